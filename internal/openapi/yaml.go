package openapi

import (
	"bytes"
	"regexp"
	"strings"
)

// plain matches the strings written as YAML plain scalars: they start with
// a letter, '$', '/' or '_' and hold nothing YAML gives a meaning to (no
// ':', '#', quote at the start, flow indicator or leading digit).
var plain = regexp.MustCompile(`^[A-Za-z_$/][A-Za-z0-9_$/.,()' -]*$`)

// reserved are plain scalars YAML 1.1 or 1.2 reads as something other than
// a string.
var reserved = map[string]bool{"true": true, "false": true, "null": true, "yes": true, "no": true,
	"on": true, "off": true, "y": true, "n": true}

// writeYAML writes v as a block-style YAML document. Strings are plain
// when that is unambiguous, literal blocks when they span lines, and JSON
// double-quoted otherwise; every value reads back as the JSON writeJSON
// writes.
func writeYAML(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case *obj:
		if len(x.keys) > 0 {
			writeMapping(b, x, 0, false)
			return
		}
	case []any:
		if len(x) > 0 {
			writeSequence(b, x, 0)
			return
		}
	}
	writeScalar(b, v, 0)
	b.WriteByte('\n')
}

// writeMapping writes o's pairs at indent; the first one goes on the
// current line when inline (after "- ").
func writeMapping(b *bytes.Buffer, o *obj, indent int, inline bool) {
	for i, k := range o.keys {
		if i > 0 || !inline {
			b.WriteString(strings.Repeat(" ", indent))
		}
		writeString(b, k, indent, true)
		b.WriteByte(':')
		writeValue(b, o.vals[k], indent+2)
	}
}

func writeSequence(b *bytes.Buffer, list []any, indent int) {
	for _, e := range list {
		b.WriteString(strings.Repeat(" ", indent))
		b.WriteByte('-')
		if o, ok := e.(*obj); ok && len(o.keys) > 0 {
			b.WriteByte(' ')
			writeMapping(b, o, indent+2, true)
			continue
		}
		writeValue(b, e, indent+2)
	}
}

// writeValue writes what follows a key's colon or a sequence's dash: a
// nested block on the next lines, or a scalar on this one.
func writeValue(b *bytes.Buffer, v any, indent int) {
	switch x := v.(type) {
	case *obj:
		if len(x.keys) > 0 {
			b.WriteByte('\n')
			writeMapping(b, x, indent, false)
			return
		}
	case []any:
		if flow := flowSequence(x); flow != "" {
			b.WriteString(" " + flow + "\n")
			return
		}
		if len(x) > 0 {
			b.WriteByte('\n')
			writeSequence(b, x, indent)
			return
		}
	}
	b.WriteByte(' ')
	writeScalar(b, v, indent)
	b.WriteByte('\n')
}

// flowSequence returns a short list of scalars in flow style ("[a, b]"),
// or "" when the list is long or holds anything else. Its plain scalars
// must not hold a comma, which separates items there.
func flowSequence(list []any) string {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, e := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		switch x := e.(type) {
		case *obj, []any:
			return ""
		case string:
			if strings.Contains(x, ",") || strings.Contains(x, "\n") {
				quote(&b, x)
			} else {
				writeString(&b, x, 0, true)
			}
		default:
			b.WriteString(scalar(x))
		}
	}
	b.WriteByte(']')
	if b.Len() > 72 {
		return ""
	}
	return b.String()
}

func writeScalar(b *bytes.Buffer, v any, indent int) {
	switch x := v.(type) {
	case *obj:
		b.WriteString("{}")
	case []any:
		b.WriteString("[]")
	case string:
		writeString(b, x, indent, false)
	default:
		b.WriteString(scalar(v))
	}
}

// writeString writes s plain, as a literal block (a value of several
// lines), or quoted.
func writeString(b *bytes.Buffer, s string, indent int, key bool) {
	switch {
	case plain.MatchString(s) && !strings.HasSuffix(s, " ") && !reserved[strings.ToLower(s)]:
		b.WriteString(s)
	case !key && literal(s):
		b.WriteString("|-")
		for _, line := range strings.Split(s, "\n") {
			b.WriteByte('\n')
			if line != "" {
				b.WriteString(strings.Repeat(" ", indent))
				b.WriteString(line)
			}
		}
	default:
		quote(b, s)
	}
}

// literal reports whether s reads back unchanged from a "|-" block: several
// lines, none starting or ending with white space, no control character
// and no trailing line break.
func literal(s string) bool {
	if !strings.Contains(s, "\n") || strings.HasSuffix(s, "\n") {
		return false
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) != line {
			return false
		}
		for _, r := range line {
			if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff {
				return false
			}
		}
	}
	return true
}
