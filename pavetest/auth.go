package pavetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pave-go/pave"
)

// Authentication failure bodies (the fake's choices: PAVE documents none).
const (
	msgUnauthorized = "Unauthorized."
	msgInvalidToken = "Invalid API-Token."
	msgExpiredToken = "API-Token has expired."
)

// headerAccessToken is the v2 authentication header.
const headerAccessToken = "API-Access-Token"

// authFailure is the 401 body; Status is set on v2 ("error").
type authFailure struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message"`
}

func unauthorized(text string) *authFailure { return &authFailure{Message: text} }

// TimestampMode is how strictly the fake server, CheckSignature,
// AssertSigned and SignedBy read API-Timestamp. Both sides default to
// Strict, so a test that passes here does not lean on a form PAVE may
// refuse.
type TimestampMode int

const (
	// Strict accepts only 2006-01-02T15:04:05Z (UTC, whole seconds, a
	// literal Z) and a lowercase hex token: the forms PAVE's docs show, and
	// the ones the SDK sends.
	Strict TimestampMode = iota
	// Lenient also accepts what PAVE's own code samples and code others
	// wrote send: RFC 3339 with a fraction or an offset (toJSON()
	// milliseconds, Python's isoformat() +00:00), Unix seconds and RFC
	// 1123, and the token in upper-case hex. PAVE may refuse every one.
	Lenient
)

// String names the mode.
func (m TimestampMode) String() string {
	if m == Lenient {
		return "lenient"
	}
	return "strict"
}

// parseTimestamp parses an API-Timestamp value as mode says.
func parseTimestamp(v string, mode TimestampMode) (time.Time, bool) {
	if mode != Lenient {
		t, err := time.Parse(pave.TimestampLayout, v)
		if err != nil || t.Format(pave.TimestampLayout) != v {
			return time.Time{}, false
		}
		return t, true
	}
	if v == "" || len(v) > 64 {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, true
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999Z0700", v); err == nil {
		return t, true
	}
	if isDigits(v) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > 1<<40 {
			return time.Time{}, false
		}
		return time.Unix(n, 0), true
	}
	for _, layout := range []string{time.RFC1123, time.RFC1123Z} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// tokenMatches recomputes the HMAC over the raw timestamp string and
// compares it in constant time: lowercase hex, as PAVE's docs show, or
// either case in lenient mode.
func tokenMatches(c pave.Credentials, timestamp, token string, mode TimestampMode) bool {
	if len(token) != sha256.Size*2 {
		return false
	}
	if mode == Strict && strings.ToLower(token) != token {
		return false // PAVE's docs show lowercase hex
	}
	got, err := hex.DecodeString(token)
	if err != nil {
		return false
	}
	want, _ := hex.DecodeString(c.Token(timestamp))
	return hmac.Equal(got, want)
}

// lookupKey finds the account of an API key, comparing in constant time.
func (s *Server) lookupKey(key string) *account {
	var found *account
	for _, a := range s.accounts {
		if subtle.ConstantTimeCompare([]byte(a.APIKey), []byte(key)) == 1 {
			found = a
		}
	}
	return found
}

// verifySignature checks API-Timestamp and API-Token for acct.
func (s *Server) verifySignature(acct *account, ts, token string) *authFailure {
	t, ok := parseTimestamp(ts, s.opts.Timestamps)
	if !ok {
		return unauthorized(msgInvalidToken)
	}
	if !tokenMatches(acct.Credentials(), ts, token, s.opts.Timestamps) {
		return unauthorized(msgInvalidToken)
	}
	if !withinWindow(t, s.Now(), s.opts.TimestampWindow) {
		return unauthorized(msgExpiredToken)
	}
	return nil
}

// withinWindow reports whether t is at most window away from now, either
// way. It compares instants, never a subtraction: time.Time.Sub saturates
// at about 292 years, and negating the saturated minimum overflows back to
// a negative skew that passes any window.
func withinWindow(t, now time.Time, window time.Duration) bool {
	return !t.Before(now.Add(-window)) && !t.After(now.Add(window))
}

// authV1 requires all three headers (PAVE's authentication page).
func (s *Server) authV1(r *http.Request) (*account, *authFailure) {
	key := r.Header.Get(pave.HeaderAPIKey)
	ts := r.Header.Get(pave.HeaderAPITimestamp)
	token := r.Header.Get(pave.HeaderAPIToken)
	if key == "" || ts == "" || token == "" {
		return nil, unauthorized(msgUnauthorized)
	}
	acct := s.lookupKey(key)
	if acct == nil {
		return nil, unauthorized(msgUnauthorized)
	}
	if f := s.verifySignature(acct, ts, token); f != nil {
		return nil, f
	}
	return acct, nil
}

// authHotspots requires API-Key, as PAVE's Hotspots pages list only
// API-Key; API-Token and API-Timestamp are verified when either is present.
func (s *Server) authHotspots(r *http.Request) (*account, *authFailure) {
	key := r.Header.Get(pave.HeaderAPIKey)
	if key == "" {
		return nil, unauthorized(msgUnauthorized)
	}
	acct := s.lookupKey(key)
	if acct == nil {
		return nil, unauthorized(msgUnauthorized)
	}
	ts := r.Header.Get(pave.HeaderAPITimestamp)
	token := r.Header.Get(pave.HeaderAPIToken)
	if ts == "" && token == "" {
		return acct, nil
	}
	if ts == "" || token == "" {
		return nil, unauthorized(msgUnauthorized)
	}
	if f := s.verifySignature(acct, ts, token); f != nil {
		return nil, f
	}
	return acct, nil
}

// authV2 accepts API-Access-Token (the account's API key, or its
// configured AccessToken) and/or the v1 headers. Every credential present
// must be valid, and all must name the same account.
func (s *Server) authV2(r *http.Request) (*account, *authFailure) {
	fail := func(text string) (*account, *authFailure) {
		return nil, &authFailure{Status: "error", Message: text}
	}
	var byToken, byHeaders *account
	if tok := r.Header.Get(headerAccessToken); tok != "" {
		for _, a := range s.accounts {
			if subtle.ConstantTimeCompare([]byte(a.APIKey), []byte(tok)) == 1 ||
				(a.AccessToken != "" && subtle.ConstantTimeCompare([]byte(a.AccessToken), []byte(tok)) == 1) {
				byToken = a
			}
		}
		if byToken == nil {
			return fail(msgUnauthorized)
		}
	}
	if r.Header.Get(pave.HeaderAPIKey) != "" || r.Header.Get(pave.HeaderAPIToken) != "" || r.Header.Get(pave.HeaderAPITimestamp) != "" {
		a, f := s.authV1(r)
		if f != nil {
			return fail(f.Message)
		}
		byHeaders = a
	}
	switch {
	case byToken == nil && byHeaders == nil:
		return fail(msgUnauthorized)
	case byToken != nil && byHeaders != nil && byToken != byHeaders:
		return fail(msgUnauthorized)
	case byToken != nil:
		return byToken, nil
	}
	return byHeaders, nil
}
