package pavetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"sync"
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

// The authentication headers' canonical map keys ("Api-Key"...), the keys
// net/http and Header.Set store them under: indexing the map with them
// finds what Header.Get would, without canonicalising (and allocating)
// the name on every request.
var (
	keyAPIKey       = http.CanonicalHeaderKey(pave.HeaderAPIKey)
	keyAPITimestamp = http.CanonicalHeaderKey(pave.HeaderAPITimestamp)
	keyAPIToken     = http.CanonicalHeaderKey(pave.HeaderAPIToken)
	keyAccessToken  = http.CanonicalHeaderKey(headerAccessToken)
)

// header is h.Get(key) for a canonical key.
func header(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// headerReason carries, on every refusal of a signed request, why the fake
// refused it; the body stays exactly PAVE's.
const headerReason = "Pave-Fake-Reason"

// authFailure is the 401 body; Status is set on v2 ("error").
type authFailure struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message"`
	reason  string // the Pave-Fake-Reason, never a secret
}

func unauthorized(text, reason string) *authFailure {
	return &authFailure{Message: text, reason: reason}
}

// timestampReason says why API-Timestamp v does not parse in mode,
// naming the forms PAVE's own samples send.
func timestampReason(v string, mode TimestampMode) string {
	const tail = "; PAVE documents 2006-01-02T15:04:05Z; start the fake with --lenient (Options.Timestamps = Lenient) to accept it"
	_, lenientOK := parseTimestamp(v, Lenient)
	_, frac, _ := strings.Cut(strings.TrimSuffix(v, "Z"), ".")
	switch {
	case mode == Lenient || !lenientOK:
		return "API-Timestamp is not a timestamp the fake reads (PAVE documents 2006-01-02T15:04:05Z)"
	case isDigits(v):
		return "API-Timestamp is Unix seconds (PAVE's Hotspots samples)" + tail
	case strings.Contains(v, ","):
		return "API-Timestamp is RFC 1123 (JavaScript's toUTCString())" + tail
	case strings.HasSuffix(v, "Z") && len(frac) == 3:
		return "API-Timestamp has milliseconds (JavaScript's toJSON())" + tail
	case strings.HasSuffix(v, "Z"):
		return "API-Timestamp has a fraction of a second" + tail
	case strings.Contains(v, "."):
		return "API-Timestamp has a fraction and an offset (Python's isoformat())" + tail
	}
	return "API-Timestamp has an offset instead of Z (PHP's DATE_ATOM)" + tail
}

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
	if t, ok := parseStrictTimestamp(v); ok || mode != Lenient {
		return t, ok // the SDK's form, valid in both modes, and the only one Strict reads
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

// parseStrictTimestamp parses exactly 2006-01-02T15:04:05Z with every
// field in range: the strings time.Parse with pave.TimestampLayout accepts
// and formats back unchanged, read without its general machinery (a test
// holds the two to the same answers).
func parseStrictTimestamp(v string) (time.Time, bool) {
	if len(v) != len(pave.TimestampLayout) || v[4] != '-' || v[7] != '-' || v[10] != 'T' ||
		v[13] != ':' || v[16] != ':' || v[19] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		x := 0
		for ; n > 0; i, n = i+1, n-1 {
			c := v[i]
			if c < '0' || c > '9' {
				return -1
			}
			x = x*10 + int(c-'0')
		}
		return x
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 ||
		minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day { // the 31st of a 30-day month, 29 February of a common year
		return time.Time{}, false
	}
	return t, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// decodeToken decodes an API-Token, 64 hex digits: lowercase, as PAVE's
// docs show, or either case in lenient mode.
func decodeToken(token string, mode TimestampMode, dst *[sha256.Size]byte) bool {
	if len(token) != 2*sha256.Size {
		return false
	}
	t := &hexValues[0]
	if mode == Lenient {
		t = &hexValues[1]
	}
	bad := false
	for i := range dst {
		hi, lo := t[token[2*i]], t[token[2*i+1]]
		bad = bad || hi == 0 || lo == 0
		dst[i] = (hi-1)<<4 | (lo - 1)
	}
	return !bad
}

// hexValues maps a hex digit to its value plus one (0: not a digit),
// lowercase in the first table, either case in the second.
var hexValues = func() (t [2][256]byte) {
	for i, c := range "0123456789abcdef" {
		t[0][c], t[1][c] = byte(i+1), byte(i+1)
	}
	for i, c := range "ABCDEF" {
		t[1][c] = byte(i + 11)
	}
	return t
}()

// tokenChecker verifies the API-Tokens of one account without allocating:
// it keeps keyed HMAC states (the secret's pads already absorbed, which
// Reset restores) in a pool, each with a scratch buffer holding the
// constant "username:apikey@" prefix, so a check is a reset, one write of
// prefix and timestamp, and a sum into the buffer.
type tokenChecker struct {
	creds  pave.Credentials
	prefix string
	pool   sync.Pool // *macScratch
}

type macScratch struct {
	mac hash.Hash
	buf []byte
}

func newTokenChecker(c pave.Credentials) *tokenChecker {
	return &tokenChecker{creds: c, prefix: c.Username + ":" + c.APIKey + "@"}
}

// matches recomputes the HMAC over the raw timestamp string and compares
// it with the token in constant time: lowercase hex, as PAVE's docs show,
// or either case in lenient mode.
func (tc *tokenChecker) matches(timestamp, token string, mode TimestampMode) bool {
	var got [sha256.Size]byte
	if !decodeToken(token, mode, &got) {
		return false
	}
	sc, _ := tc.pool.Get().(*macScratch)
	if sc == nil {
		sc = &macScratch{mac: hmac.New(sha256.New, []byte(tc.creds.APISecret)),
			buf: make([]byte, 0, len(tc.prefix)+64)}
	} else {
		sc.mac.Reset()
	}
	sc.buf = append(append(sc.buf[:0], tc.prefix...), timestamp...)
	sc.mac.Write(sc.buf)
	sum := sc.mac.Sum(sc.buf[:0])
	ok := hmac.Equal(got[:], sum)
	if cap(sc.buf) <= 4<<10 { // a lenient timestamp is at most 64 bytes; never keep a huge one
		sc.buf = sc.buf[:0]
		tc.pool.Put(sc)
	}
	return ok
}

// lookupKey finds the account of an API key, comparing in constant time.
func (s *Server) lookupKey(key string) *account {
	var buf [64]byte
	var kb []byte
	if len(key) <= len(buf) {
		kb = append(buf[:0], key...) // no allocation for any realistic key
	} else {
		kb = []byte(key)
	}
	var found *account
	for _, a := range s.accounts {
		if subtle.ConstantTimeCompare(a.apiKey, kb) == 1 {
			found = a
		}
	}
	return found
}

// verifySignature checks API-Timestamp and API-Token for acct at now, the
// server clock.
func (s *Server) verifySignature(acct *account, ts, token string, now time.Time) *authFailure {
	t, ok := parseTimestamp(ts, s.opts.Timestamps)
	if !ok {
		return unauthorized(msgInvalidToken, timestampReason(ts, s.opts.Timestamps))
	}
	if !acct.tokens.matches(ts, token, s.opts.Timestamps) {
		if s.opts.Timestamps == Strict && acct.tokens.matches(ts, token, Lenient) {
			return unauthorized(msgInvalidToken, "API-Token is upper-case hex; PAVE documents lower case; "+
				"start the fake with --lenient (Options.Timestamps = Lenient) to accept it")
		}
		return unauthorized(msgInvalidToken, fmt.Sprintf("API-Token does not match: it must be the lowercase hex "+
			"HMAC-SHA256 of %q keyed with the API secret of account %s", acct.tokens.prefix+ts, acct.Username))
	}
	if !withinWindow(t, now, s.opts.TimestampWindow) {
		return unauthorized(msgExpiredToken, fmt.Sprintf("API-Timestamp %s is %s away from the fake's clock %s; "+
			"the window is %s (sign with the time of the Date header of the fake's last answer)",
			ts, t.Sub(now).Round(time.Second), now.UTC().Format(pave.TimestampLayout), s.opts.TimestampWindow))
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
func (s *Server) authV1(r *http.Request, now time.Time) (*account, *authFailure) {
	return s.authKey(r, now, false)
}

// authHotspots requires API-Key, as PAVE's Hotspots pages list only
// API-Key; API-Token and API-Timestamp are verified when either is present.
func (s *Server) authHotspots(r *http.Request, now time.Time) (*account, *authFailure) {
	return s.authKey(r, now, true)
}

// authKey checks API-Key and the signature, which may be left out whole
// when keyOnly.
func (s *Server) authKey(r *http.Request, now time.Time, keyOnly bool) (*account, *authFailure) {
	key, ts, token := header(r.Header, keyAPIKey), header(r.Header, keyAPITimestamp), header(r.Header, keyAPIToken)
	for _, h := range []struct{ name, v string }{{pave.HeaderAPIKey, key}, {pave.HeaderAPITimestamp, ts},
		{pave.HeaderAPIToken, token}} {
		if h.v == "" && !(keyOnly && h.name != pave.HeaderAPIKey && ts == "" && token == "") {
			return nil, unauthorized(msgUnauthorized, h.name+" header missing")
		}
	}
	acct := s.lookupKey(key)
	if acct == nil {
		return nil, unauthorized(msgUnauthorized, "API-Key matches no account of this fake (GET /_fake/accounts lists them)")
	}
	if ts == "" && token == "" { // keyOnly
		return acct, nil
	}
	if f := s.verifySignature(acct, ts, token, now); f != nil {
		return nil, f
	}
	return acct, nil
}

// authV2 accepts API-Access-Token (the account's API key, or its
// configured AccessToken) and/or the v1 headers. Every credential present
// must be valid, and all must name the same account.
func (s *Server) authV2(r *http.Request, now time.Time) (*account, *authFailure) {
	fail := func(text, reason string) (*account, *authFailure) {
		return nil, &authFailure{Status: "error", Message: text, reason: reason}
	}
	var byToken, byHeaders *account
	if tok := header(r.Header, keyAccessToken); tok != "" {
		for _, a := range s.accounts {
			if subtle.ConstantTimeCompare([]byte(a.APIKey), []byte(tok)) == 1 ||
				(a.AccessToken != "" && subtle.ConstantTimeCompare([]byte(a.AccessToken), []byte(tok)) == 1) {
				byToken = a
			}
		}
		if byToken == nil {
			return fail(msgUnauthorized, "API-Access-Token is neither an account's API key nor its access token")
		}
	}
	if header(r.Header, keyAPIKey) != "" || header(r.Header, keyAPIToken) != "" || header(r.Header, keyAPITimestamp) != "" {
		a, f := s.authV1(r, now)
		if f != nil {
			return fail(f.Message, f.reason)
		}
		byHeaders = a
	}
	switch {
	case byToken == nil && byHeaders == nil:
		return fail(msgUnauthorized, "API-Access-Token header missing (or the v1 headers)")
	case byToken != nil && byHeaders != nil && byToken != byHeaders:
		return fail(msgUnauthorized, "API-Access-Token and API-Key name different accounts")
	case byToken != nil:
		return byToken, nil
	}
	return byHeaders, nil
}
