package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// obj is a JSON object that keeps its keys in the order they were set, so
// the document reads in OpenAPI's usual order and fixtures keep theirs.
// Values are *obj, []any, string, bool, int, json.Number or nil.
type obj struct {
	keys []string
	vals map[string]any
}

// object returns an obj holding the key/value pairs kv, in order.
func object(kv ...any) *obj {
	o := &obj{vals: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}

// set adds k, or replaces its value in place. A nil *obj, an empty string
// or a nil list is not set: optional parts are simply left out.
func (o *obj) set(k string, v any) *obj {
	switch x := v.(type) {
	case *obj:
		if x == nil {
			return o
		}
	case string:
		if x == "" {
			return o
		}
	case []any:
		if x == nil {
			return o
		}
	}
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
	return o
}

// get returns the value of k, or nil.
func (o *obj) get(k string) any { return o.vals[k] }

// del removes k.
func (o *obj) del(k string) {
	if _, ok := o.vals[k]; !ok {
		return
	}
	delete(o.vals, k)
	for i, key := range o.keys {
		if key == k {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			return
		}
	}
}

// decodeOrdered reads one JSON value, keeping the order of object keys and
// numbers as written.
func decodeOrdered(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := decodeValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func decodeValue(d *json.Decoder) (any, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		o := object()
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(d)
			if err != nil {
				return nil, err
			}
			o.keys = append(o.keys, k.(string))
			o.vals[k.(string)] = v
		}
		_, err = d.Token()
		return o, err
	case json.Delim('['):
		list := []any{}
		for d.More() {
			v, err := decodeValue(d)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err = d.Token()
		return list, err
	}
	return t, nil
}

// writeJSON writes v as compact JSON.
func writeJSON(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case *obj:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			quote(b, k)
			b.WriteByte(':')
			writeJSON(b, x.vals[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	default:
		b.WriteString(scalar(v))
	}
}

// scalar returns the JSON text of a value that is neither object nor list.
func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		var b bytes.Buffer
		quote(&b, x)
		return b.String()
	case bool, int, int64:
		return fmt.Sprint(x)
	case json.Number:
		return x.String()
	}
	panic(fmt.Sprintf("openapi: no JSON form for %T", v)) // a programming error in this package
}

// quote writes s as a JSON string: the same text is a valid YAML
// double-quoted scalar. It escapes only what JSON requires, whatever JSON
// engine the build uses.
func quote(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff:
			// Control characters, and what YAML may read as a line break
			// or a byte-order mark.
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hex[r>>shift&0xf])
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
