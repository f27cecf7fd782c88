package wire

import "strings"

// ValidHeaderName reports whether s is an RFC 9110 token, as a header
// name (or a method) must be.
func ValidHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// ValidHeaderValue rejects control characters other than tab, which would
// split or corrupt a header.
func ValidHeaderValue(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r != '\t' && (r < 0x20 || r == 0x7f) })
}

// EventHeader is the request header pave.NewCallback registers with the
// event name, for package webhook to read when a body does not name its
// event.
const EventHeader = "X-Pave-Event"

// MinSecretLen is the shortest webhook secret accepted.
const MinSecretLen = 16

// CheckSecret is the one rule for a webhook secret, applied where it is
// registered with PAVE and where deliveries are checked: at least
// MinSecretLen bytes, no space or control character at either end, none
// inside. It returns "" for a usable secret, else why not.
func CheckSecret(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) < MinSecretLen:
		return "is shorter than 16 bytes"
	case strings.TrimSpace(s) != s:
		return "has leading or trailing spaces"
	case !ValidHeaderValue(s) || strings.ContainsAny(s, " \t"):
		return "has spaces or control characters"
	}
	return ""
}
