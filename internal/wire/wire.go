// Package wire reads and checks what crosses the wire between PAVE and its
// clients, for packages pave and webhook alike: JSON values decoded
// leniently (PAVE's docs and samples disagree on the types of several
// fields), and the syntax of HTTP header names and values.
//
// Nothing here quotes a value it could not read: decode errors end up in
// logs, and a response value may be personal data or an echoed credential.
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Trim removes JSON white space (space, tab, CR, LF) around b. Unlike
// bytes.TrimSpace it leaves \v and U+0085, which encoding/json rejects.
func Trim(b []byte) []byte { return bytes.Trim(b, " \t\r\n") }

// IsNull reports whether raw is absent, empty or the JSON null.
func IsNull(raw []byte) bool {
	raw = Trim(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// IsObject reports whether raw holds a JSON object.
func IsObject(raw []byte) bool {
	raw = Trim(raw)
	return len(raw) > 0 && raw[0] == '{'
}

// String returns a JSON string's value, or the compact JSON text of any
// other non-null value, so an unexpected type never fails a document.
func String(raw []byte) string {
	if IsNull(raw) {
		return ""
	}
	if s, err := Quoted(Trim(raw)); err == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return ""
}

// LooseString is a string field decoded with String: any JSON value is
// accepted, a non-string kept as its JSON text, null as "".
type LooseString string

// UnmarshalJSON implements the decoding described on LooseString.
func (s *LooseString) UnmarshalJSON(b []byte) error {
	*s = LooseString(String(b))
	return nil
}

// Quoted decodes a JSON string literal. Timestamps, keys and numbers in
// strings almost never hold escapes, so those skip encoding/json.
func Quoted(b []byte) (string, error) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 && bytes.IndexByte(b[1:len(b)-1], '"') < 0 {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// Describe names the kind of a JSON value without quoting it.
func Describe(b []byte) string {
	b = Trim(b)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// Int decodes an integer leniently: a JSON number, a numeric string, a
// string with thousands separators ("100,945"), or null and "" (0).
func Int(raw []byte) (int64, error) {
	raw = Trim(raw)
	if IsNull(raw) {
		return 0, nil
	}
	s := string(raw)
	if raw[0] == '"' {
		var err error
		if s, err = Quoted(raw); err != nil {
			return 0, fmt.Errorf("integer: %w", err)
		}
	}
	v, err := ParseInt(s)
	if err != nil {
		return 0, fmt.Errorf("not an integer (%s of %d bytes)", Describe(raw), len(s))
	}
	return v, nil
}

// ParseInt parses digits with an optional sign, thousands separators (",",
// "_", spaces) and a zero fraction ("41250.0").
//
// Only JSON's white space (space, tab, CR, LF) around the digits is
// ignored, and a string of it alone is blank (0); any other control
// character, alone or not, makes the value not an integer.
func ParseInt(s string) (int64, error) {
	s = strings.Trim(s, " \t\r\n")
	if s == "" {
		return 0, nil
	}
	if strings.ContainsAny(s, ", _") {
		s = strings.NewReplacer(",", "", "_", "", " ", "").Replace(s)
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) && f < 1<<62 && f > -(1<<62) {
		return int64(f), nil
	}
	return 0, fmt.Errorf("not an integer (%d bytes)", len(s))
}

var timeLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02",
}

// ParseTime parses a timestamp leniently: RFC 3339 with or without a
// fraction, with Z or a numeric offset, a few space-separated variants, or
// a date. Timestamps without a zone are taken as UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised timestamp (%d bytes)", len(s))
}

// Elements splits a JSON array into its elements; anything else gives nil.
func Elements(raw []byte) []json.RawMessage {
	raw = Trim(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	return items
}

// Object returns raw when it holds a JSON object, the object held in raw
// when raw is a JSON string of one (fields PAVE labels "string" but shows
// as objects), or nil.
func Object(raw []byte) []byte {
	raw = Trim(raw)
	if len(raw) > 0 && raw[0] == '"' {
		s, err := Quoted(raw)
		if err != nil {
			return nil
		}
		raw = Trim([]byte(s))
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	return raw
}
