// Package redact keeps credentials (an API secret, a v2 access token, each
// attempt's API-Token, the webhook secrets a request carries) out of every
// error, log line and printed form of packages pave and webhook, whatever a
// server echoes back.
//
// Diagnostics (errors, and the bodies kept in them) are scrubbed of every
// form of a credential at every length: as sent, in any letter case,
// URL-escaped, base64- and hex-encoded, and inside JSON strings however
// they are escaped. Successful data is scrubbed of the plain forms only,
// and only of credentials of at least MinDataLen bytes: a success is the
// caller's data, and a short test secret such as "test" must not corrupt
// it.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Marker replaces a credential.
const Marker = "[REDACTED]"

// MinDataLen is the shortest credential scrubbed from successful data (see
// the package documentation). The API-Token, 64 hex digits, always is.
const MinDataLen = 12

// Redactor scrubs the forms of a fixed set of credentials. It keeps them
// only inside closures, so that neither fmt nor a reflection-based printer
// (go-spew in testify's failure diffs, which ignores Format) can reach a
// plain credential from a *Client.
type Redactor struct {
	forms func() []string // every form, for diagnostics
	data  func() []string // the plain forms of long credentials, for data
}

// New returns a Redactor of secrets (empty ones are ignored).
func New(secrets ...string) Redactor {
	forms := credentialForms(secrets...)
	var data []string
	for _, s := range secrets {
		if len(s) >= MinDataLen {
			data = append(data, s, strings.ToUpper(s), strings.ToLower(s))
		}
	}
	data = dedupeLongestFirst(data)
	return Redactor{forms: func() []string { return forms }, data: func() []string { return data }}
}

// credentialForms lists the forms a credential may be echoed in, longest
// first, so a longer form is replaced before a shorter one inside it.
func credentialForms(secrets ...string) []string {
	var forms []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		b := []byte(s)
		forms = append(forms, s,
			url.QueryEscape(s), url.PathEscape(s),
			base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b),
			base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
			hex.EncodeToString(b))
	}
	return dedupeLongestFirst(forms)
}

func dedupeLongestFirst(forms []string) []string {
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(forms)
}

// Text scrubs a diagnostic string of every form of the redactor's
// credentials and of extra ones (the attempt's tokens, the request's
// webhook secrets).
func (r Redactor) Text(s string, extra ...string) string {
	if s == "" || (r.forms == nil && len(extra) == 0) {
		return s
	}
	if r.forms != nil {
		s = replaceForms(s, r.forms())
	}
	if len(extra) > 0 {
		s = replaceForms(s, credentialForms(extra...))
	}
	return s
}

// Body scrubs a diagnostic body: byte forms first, then, when the body is
// JSON whose decoded strings still hold a credential (escaped as \u0073 or
// \/ on the wire), it is re-encoded with the decoded strings scrubbed.
func (r Redactor) Body(b []byte, extra ...string) []byte {
	if len(b) == 0 {
		return b
	}
	var forms []string
	if r.forms != nil {
		forms = r.forms()
	}
	if len(extra) > 0 {
		forms = append(slices.Clip(forms), credentialForms(extra...)...)
	}
	out := []byte(replaceForms(string(b), forms))
	if bytes.IndexByte(out, '\\') < 0 || !json.Valid(out) {
		return out
	}
	var v any
	if json.Unmarshal(out, &v) != nil {
		return out
	}
	v, changed := scrubJSON(v, forms)
	if !changed {
		return out
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return []byte(Marker)
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// scrubJSON scrubs every string and key of a decoded JSON value.
func scrubJSON(v any, forms []string) (any, bool) {
	switch v := v.(type) {
	case string:
		s := replaceForms(v, forms)
		return s, s != v
	case []any:
		changed := false
		for i := range v {
			var c bool
			v[i], c = scrubJSON(v[i], forms)
			changed = changed || c
		}
		return v, changed
	case map[string]any:
		changed := false
		for k, val := range v {
			nv, c := scrubJSON(val, forms)
			nk := replaceForms(k, forms)
			if nk != k {
				delete(v, k)
				c = true
			}
			v[nk] = nv
			changed = changed || c
		}
		return v, changed
	}
	return v, false
}

// replaceForms replaces every occurrence of each form, ignoring ASCII
// letter case.
func replaceForms(s string, forms []string) string {
	for _, f := range forms {
		s = replaceFold(s, f)
	}
	return s
}

// replaceFold replaces old in s, matching ASCII letters in either case.
func replaceFold(s, old string) string {
	if old == "" || len(old) > len(s) {
		return s
	}
	i := indexFold(s, old)
	if i < 0 {
		return s
	}
	var b strings.Builder
	for i >= 0 {
		b.WriteString(s[:i])
		b.WriteString(Marker)
		s = s[i+len(old):]
		i = indexFold(s, old)
	}
	b.WriteString(s)
	return b.String()
}

// indexFold is strings.Index ignoring ASCII letter case.
func indexFold(s, sub string) int {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if lowerASCII(s[i]) == lowerASCII(sub[0]) && equalFoldASCII(s[i:i+n], sub) {
			return i
		}
	}
	return -1
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// SuccessData scrubs a 2xx body of the plain forms of the long
// credentials and of the attempt's tokens. Neither can appear in a genuine
// answer (the secret is never sent, a token is a fresh HMAC), but a
// misbehaving server or proxy may echo them. body is copied only when
// something matches, so a genuine answer costs no allocation.
func (r Redactor) SuccessData(body []byte, tokens []string) []byte {
	for _, t := range tokens {
		body = replaceBytes(body, t)
		body = replaceBytes(body, strings.ToUpper(t))
	}
	if r.data == nil {
		return body
	}
	for _, f := range r.data() {
		body = replaceBytes(body, f)
	}
	return body
}

func replaceBytes(body []byte, sec string) []byte {
	if sec == "" {
		return body
	}
	// A short prefix is searched first: its conversion stays on the stack,
	// so a body without the secret (every genuine one) costs no allocation.
	if p := sec[:min(len(sec), MinDataLen)]; !bytes.Contains(body, []byte(p)) || !bytes.Contains(body, []byte(sec)) {
		return body
	}
	return bytes.ReplaceAll(body, []byte(sec), []byte(Marker))
}

// Print writes s, the redacted form of a value, for any fmt verb:
// %q quotes it, every other verb (%v, %+v, %#v, %s, %x...) prints it as it
// is. Types holding a credential implement fmt.Formatter with it, so no
// verb reaches their fields.
func Print(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = io.WriteString(f, s)
}

// Mark returns Marker for a set credential and `""` for an empty
// one, so a printed value still tells whether it was set.
func Mark(secret string) string {
	if secret == "" {
		return `""`
	}
	return Marker
}
