package output

import (
	"fmt"
	"strings"
)

// Sanitize returns s made inert on a terminal and kept to one line: C0
// controls (ESC, BEL, CR...) and DEL in caret notation (^[, ^G, ^M, ^?),
// C1 controls as the C0 control they stand for (U+009B CSI as ^[, as gh
// does), bidirectional overrides as <U+202E>, bytes that are not UTF-8 as
// U+FFFD, and tabs and newlines as spaces.
func Sanitize(s string) string { return sanitize(s, false) }

// SanitizeLines is Sanitize for text laid out in lines: it keeps newlines
// and tabs.
func SanitizeLines(s string) string { return sanitize(s, true) }

// sanitize is Sanitize; block keeps newlines and tabs.
func sanitize(s string, block bool) string {
	var b strings.Builder
	for _, r := range s { // a byte that is not UTF-8 comes as U+FFFD
		switch {
		case inert(r, block):
			b.WriteRune(r)
		case r == '\t' || r == '\n' || r == '\v' || r == '\f':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			b.WriteByte('^')
			b.WriteByte(byte(r+0x40) & 0x7f)
		case r <= 0x9f:
			b.WriteByte('^')
			b.WriteByte(byte(r - 0x40))
		default:
			fmt.Fprintf(&b, "<U+%04X>", r)
		}
	}
	return b.String()
}

// inert reports whether r may reach a terminal as it is.
func inert(r rune, block bool) bool {
	switch {
	case r == '\n' || r == '\t':
		return block
	case r < 0x20 || r >= 0x7f && r <= 0x9f, bidi(r):
		return false
	}
	return true
}

// bidi reports the invisible characters that reorder or hide the text
// around them.
func bidi(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// escapeJSON writes, as \u escapes, the characters of valid JSON that a
// terminal may act on (C1 controls, DEL, bidirectional overrides): they can
// only stand inside strings, whose value the escape keeps.
func escapeJSON(b []byte) []byte {
	var out strings.Builder
	for _, r := range string(b) {
		if r >= 0x20 && !inert(r, false) {
			fmt.Fprintf(&out, `\u%04x`, r)
			continue
		}
		out.WriteRune(r)
	}
	return []byte(out.String())
}
