package redact

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// URL returns raw for an error message or a printout with what may be
// secret hidden: the user information (user:password@), every query value
// but "event"'s, and the fragment. It works on text that does not parse as
// a URL, and on opaque forms without "//" ("svc:pw@host", "https:svc:pw@host"),
// where everything between the scheme and the last "@" before the path is
// hidden.
func URL(raw string) string {
	rest, fragment, hasFragment := strings.Cut(raw, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	var b strings.Builder
	b.WriteString(userInfo(rest))
	if hasQuery {
		b.WriteByte('?')
		for i, pair := range strings.Split(query, "&") {
			if i > 0 {
				b.WriteByte('&')
			}
			k, _, hasValue := strings.Cut(pair, "=")
			if !hasValue {
				// A bare ?token is a value too.
				if pair != "" && pair != "event" {
					pair = Marker
				}
				b.WriteString(pair)
				continue
			}
			b.WriteString(k)
			b.WriteByte('=')
			if name, err := url.QueryUnescape(k); err == nil && name == "event" {
				b.WriteString(pair[len(k)+1:])
			} else {
				b.WriteString(Marker)
			}
		}
	}
	if hasFragment {
		b.WriteByte('#')
		if fragment != "" {
			b.WriteString(Marker)
		}
	}
	out := b.String()
	if !utf8.ValidString(out) {
		return Marker
	}
	return out
}

// userInfo hides the user information of scheme://authority/path, or of an
// opaque scheme:stuff@host/path, up to the last "@" before the path.
func userInfo(s string) string {
	head := ""
	if i := schemeEnd(s); i > 0 {
		head, s = s[:i+1], s[i+1:]
	}
	if strings.HasPrefix(s, "//") {
		head, s = head+"//", s[2:]
	}
	authority := s
	if j := strings.IndexByte(s, '/'); j >= 0 {
		authority = s[:j]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return head + s
	}
	return head + Marker + s[at:]
}

// schemeEnd returns the index of the ":" ending a URL scheme at the start
// of s (a letter, then letters, digits, "+", "-" or "."), or -1.
func schemeEnd(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return i
		default:
			return -1
		}
	}
	return -1
}
