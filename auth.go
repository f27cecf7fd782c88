package pave

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"hash"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pave-go/pave/internal/redact"
	"github.com/pave-go/pave/internal/transport"
)

// Header names of PAVE's request signature (see docs/pave-api.md), and the
// layout of the timestamp it signs.
const (
	HeaderAPIKey       = "API-Key"
	HeaderAPITimestamp = "API-Timestamp"
	HeaderAPIToken     = "API-Token"
	// TimestampLayout is the layout of the API-Timestamp header the SDK
	// sends: RFC 3339 in UTC with whole seconds and a literal Z, e.g.
	// 2024-03-15T09:30:00Z.
	TimestampLayout = "2006-01-02T15:04:05Z"
	// HeaderAccessToken carries the v2 endpoints' credential (see
	// WithAccessToken).
	HeaderAccessToken = "API-Access-Token"
)

// Environment variables read by CredentialsFromEnv.
const (
	EnvUsername  = "PAVE_USERNAME"
	EnvAPIKey    = "PAVE_API_KEY"
	EnvAPISecret = "PAVE_API_SECRET"
)

// Credentials identify a PAVE account and API key. Username is the primary
// account name PAVE gave the account (not a dashboard login), APIKey and
// APISecret come from Dashboard -> Developer -> API Keys.
//
// The secret is only ever used as an HMAC key. Credentials print redacted
// with fmt (%v, %+v, %#v), log/slog and encoding/json, so a struct that
// embeds them can be logged without leaking the secret.
type Credentials struct {
	Username  string
	APIKey    string
	APISecret string
}

// CredentialsFromEnv reads credentials from PAVE_USERNAME, PAVE_API_KEY and
// PAVE_API_SECRET, trimming surrounding white space from each (a secret
// read from a file usually ends in a newline, which would make every token
// wrong). The error matches ErrInvalidCredentials and names every variable
// that is missing or blank.
func CredentialsFromEnv() (Credentials, error) {
	return CredentialsFromLookup(os.Getenv, "")
}

// CredentialsFromLookup is CredentialsFromEnv with the values read through
// getenv, for configuration held elsewhere than the process environment (a
// secret store, a test's map), and with another prefix than "PAVE" when
// prefix is not empty: prefix "NORTHSHORE_PAVE" reads
// NORTHSHORE_PAVE_USERNAME, NORTHSHORE_PAVE_API_KEY and
// NORTHSHORE_PAVE_API_SECRET, one set per dealer. The error names the keys
// it looked up.
func CredentialsFromLookup(getenv func(string) string, prefix string) (Credentials, error) {
	keys := [3]string{EnvUsername, EnvAPIKey, EnvAPISecret}
	if prefix = strings.TrimSuffix(strings.TrimSpace(prefix), "_"); prefix != "" {
		for i, k := range keys {
			keys[i] = prefix + strings.TrimPrefix(k, "PAVE")
		}
	}
	c := Credentials{
		Username:  strings.TrimSpace(getenv(keys[0])),
		APIKey:    strings.TrimSpace(getenv(keys[1])),
		APISecret: strings.TrimSpace(getenv(keys[2])),
	}
	var missing []string
	for i, v := range [3]string{c.Username, c.APIKey, c.APISecret} {
		if v == "" {
			missing = append(missing, keys[i])
		}
	}
	if len(missing) > 0 {
		return Credentials{}, fmt.Errorf("%w: %s not set or blank", ErrInvalidCredentials, strings.Join(missing, ", "))
	}
	return c, nil
}

// Validate reports which credential fields are missing or blank.
func (c Credentials) Validate() error {
	var missing []string
	if strings.TrimSpace(c.Username) == "" {
		missing = append(missing, "Username")
	}
	if strings.TrimSpace(c.APIKey) == "" {
		missing = append(missing, "APIKey")
	}
	if strings.TrimSpace(c.APISecret) == "" {
		missing = append(missing, "APISecret")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s missing or blank", ErrInvalidCredentials, strings.Join(missing, ", "))
	}
	return nil
}

// String returns the credentials with the secret redacted.
func (c Credentials) String() string {
	return fmt.Sprintf("pave.Credentials{Username: %q, APIKey: %q, APISecret: %s}", c.Username, c.APIKey, redact.Mark(c.APISecret))
}

// GoString implements fmt.GoStringer so %#v is redacted too.
func (c Credentials) GoString() string { return c.String() }

// Format implements fmt.Formatter so every verb (%v, %+v, %s, %q, %x...) prints
// the redacted form and never the raw fields.
func (c Credentials) Format(f fmt.State, verb rune) { redact.Print(f, verb, c.String()) }

// LogValue implements slog.LogValuer: the secret is never logged.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("username", c.Username),
		slog.String("api_key", c.APIKey),
		slog.String("api_secret", redact.Mark(c.APISecret)),
	)
}

// credentialsJSON is the shape of Credentials in JSON and XML.
type credentialsJSON struct {
	XMLName   xml.Name `json:"-" xml:"credentials"`
	Username  string   `json:"username" xml:"username"`
	APIKey    string   `json:"api_key" xml:"api_key"`
	APISecret string   `json:"api_secret" xml:"api_secret"`
}

// redacted returns the serialisable form with the secret replaced.
func (c Credentials) redacted() credentialsJSON {
	secret := ""
	if c.APISecret != "" {
		secret = redact.Marker
	}
	return credentialsJSON{Username: c.Username, APIKey: c.APIKey, APISecret: secret}
}

// MarshalJSON encodes the credentials with the secret redacted, so a struct
// holding them stays safe in slog's JSON handler (which marshals nested
// values with encoding/json) and in any JSON dump. Credentials are not
// meant to be serialised: store the secret in a secret manager.
func (c Credentials) MarshalJSON() ([]byte, error) { return json.Marshal(c.redacted()) }

// UnmarshalJSON decodes the shape MarshalJSON writes (username, api_key,
// api_secret; the Go field names are accepted too), for configuration files
// that hold fixed test credentials. A secret that is the redaction marker
// (what MarshalJSON wrote in its place) is refused: it was never the
// secret.
func (c *Credentials) UnmarshalJSON(b []byte) error {
	var w struct {
		Username    string `json:"username"`
		APIKey      string `json:"api_key"`
		APIKeyGo    string `json:"APIKey"`
		APISecret   string `json:"api_secret"`
		APISecretGo string `json:"APISecret"`
		UsernameGo  string `json:"Username"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCredentials, err)
	}
	out := Credentials{Username: cmp.Or(w.Username, w.UsernameGo), APIKey: cmp.Or(w.APIKey, w.APIKeyGo),
		APISecret: cmp.Or(w.APISecret, w.APISecretGo)}
	if out.APISecret == redact.Marker {
		return fmt.Errorf("%w: api_secret is %s, written by MarshalJSON in place of the secret: supply the secret itself", ErrInvalidCredentials, redact.Marker)
	}
	*c = out
	return nil
}

// MarshalXML encodes the credentials with the secret redacted, as
// MarshalJSON does.
func (c Credentials) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	v := c.redacted()
	v.XMLName = start.Name
	return e.EncodeElement(v, start)
}

// Token computes the API-Token for the given API-Timestamp string:
// lowercase hex of HMAC-SHA256(APISecret, Username + ":" + APIKey + "@" + timestamp).
// The timestamp must be byte-for-byte the string sent in API-Timestamp.
func (c Credentials) Token(timestamp string) string {
	mac := hmac.New(sha256.New, []byte(c.APISecret))
	mac.Write([]byte(c.Username + ":" + c.APIKey + "@" + timestamp))
	return hex.EncodeToString(mac.Sum(nil))
}

// newSigner returns a function computing API-Tokens for c. The keyed HMAC
// state, with the constant "username:apikey@" prefix already absorbed, is
// computed once and cloned per token, which halves the allocations of
// hmac.New. Everything lives in the closure: no field of a SigningTransport
// holds the secret (or the HMAC pads derived from it) for a printer to find.
func newSigner(c Credentials) func(ts string) string {
	mac := hmac.New(sha256.New, []byte(c.APISecret))
	mac.Write([]byte(c.Username + ":" + c.APIKey + "@"))
	prefixed, ok := mac.(hash.Cloner)
	if ok {
		if probe, err := prefixed.Clone(); err != nil || probe == nil {
			ok = false // cloning is unsupported (e.g. FIPS mode)
		}
	}
	if !ok {
		return c.Token
	}
	var pool sync.Pool // *[]byte scratch buffers
	return func(ts string) string {
		h, err := prefixed.Clone()
		if err != nil {
			return c.Token(ts)
		}
		bp, _ := pool.Get().(*[]byte)
		if bp == nil {
			b := make([]byte, 0, 64)
			bp = &b
		}
		buf := append((*bp)[:0], ts...)
		h.Write(buf)
		sum := h.Sum(buf[:0])
		var out [64]byte
		hex.Encode(out[:], sum)
		*bp = buf[:0]
		pool.Put(bp)
		return string(out[:])
	}
}

// The signing headers' canonical map keys ("Api-Key"...), computed once:
// Header.Set would canonicalise, and allocate, on every request.
var (
	canonicalAPIKey       = http.CanonicalHeaderKey(HeaderAPIKey)
	canonicalAPITimestamp = http.CanonicalHeaderKey(HeaderAPITimestamp)
	canonicalAPIToken     = http.CanonicalHeaderKey(HeaderAPIToken)
)

// SigningTransport is an http.RoundTripper that signs every request with
// PAVE's HMAC-SHA256 scheme. It clones the request (the caller's request is
// never modified) and sets API-Key, API-Timestamp and API-Token, computing a
// fresh timestamp for every round trip, so retries and redirects never carry a
// stale token. It refuses to sign a request whose scheme and host differ from
// the base URL it was built for.
//
// A SigningTransport is safe for concurrent use. pave.Client installs one
// automatically; use it directly to sign requests of your own http.Client.
type SigningTransport struct {
	base   http.RoundTripper
	token  func(timestamp string) string
	apiKey string
	scheme string
	host   string
	now    func() time.Time
}

// NewSigningTransport returns a transport that signs requests for baseURL
// (for example "https://openapi.paveapi.com") with creds and sends them
// through base (http.DefaultTransport when nil). now is the clock used for
// API-Timestamp (time.Now when nil).
func NewSigningTransport(creds Credentials, baseURL string, base http.RoundTripper, now func() time.Time) (*SigningTransport, error) {
	if err := creds.Validate(); err != nil {
		return nil, err
	}
	u, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, fmt.Errorf("pave: %w", err)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	if now == nil {
		now = time.Now
	}
	return &SigningTransport{
		base:   base,
		token:  newSigner(creds),
		apiKey: creds.APIKey,
		scheme: u.Scheme,
		host:   strings.ToLower(u.Host),
		now:    now,
	}, nil
}

// RoundTrip signs a clone of req and sends it through the underlying
// transport. A request that already carries another API key (signed by
// another client above this transport) is refused, never signed as this
// account.
func (t *SigningTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || req.URL.Scheme != t.scheme || !strings.EqualFold(req.URL.Host, t.host) {
		closeRequestBody(req)
		host := ""
		if req.URL != nil {
			host = req.URL.Host
		}
		return nil, transport.Permanent(fmt.Errorf("%w: %q is not %q", ErrForeignHost, host, t.host))
	}
	if k := req.Header.Get(HeaderAPIKey); k != "" && k != t.apiKey {
		// Signed below another client's signer (its transport wrapped
		// into ours): signing it again would send it as our account.
		closeRequestBody(req)
		return nil, transport.Permanent(fmt.Errorf("%w: the request is already signed with another API key; "+
			"a SigningTransport must not sit below another client's (share a pave.NewTransport() instead)", ErrInvalidOption))
	}
	ts := t.now().UTC().Format(TimestampLayout)
	r := req
	if !transport.Owned(req) {
		// The caller's request is never modified. (A pave.Client's own
		// request is signed in place: it built it for this one attempt.)
		r = req.Clone(req.Context())
	}
	if r.Header == nil {
		r.Header = make(http.Header, 3)
	}
	// Canonical names (Api-Key...): HTTP header names are case-insensitive
	// on the wire, and canonical keys are what Header.Get finds in any
	// in-process RoundTripper or test mock.
	r.Header[canonicalAPIKey] = []string{t.apiKey}
	r.Header[canonicalAPITimestamp] = []string{ts}
	r.Header[canonicalAPIToken] = []string{t.token(ts)}
	resp, err := t.base.RoundTrip(r)
	if resp != nil && resp.Request == nil {
		// net/http's Transport sets Request; a custom RoundTripper (a mock)
		// may not. The client needs the signed request to scrub the token
		// from an error body that echoes it.
		resp.Request = r
	}
	return resp, err
}

// CloseIdleConnections closes the idle connections of the underlying
// transport, when it has that method (http.Client.CloseIdleConnections
// reaches the transport through it).
func (t *SigningTransport) CloseIdleConnections() {
	if ci, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// closeRequestBody honours the RoundTripper contract of closing the body
// even when the request is refused.
func closeRequestBody(req *http.Request) {
	if req != nil && req.Body != nil {
		_ = req.Body.Close()
	}
}

// parseBaseURL validates a base URL: absolute https, or http only for a
// loopback host (a local fake server); no user information, query or
// fragment. Errors never echo user information (a password), and carry no
// "pave:" prefix: the caller adds its own.
func parseBaseURL(raw string) (*url.URL, error) {
	shown := redact.URL(raw)
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("invalid base URL %q: not a URL", shown)
	}
	if u.User != nil {
		return nil, fmt.Errorf("invalid base URL %q: must not contain user information (credentials go in Credentials)", shown)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("invalid base URL %q: must be an absolute https URL", shown)
	}
	if strings.ContainsAny(raw, "?#") {
		return nil, fmt.Errorf("invalid base URL %q: must not have a query or fragment", shown)
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("invalid base URL %q: plain http is allowed only for localhost and loopback IP addresses (127.0.0.0/8, ::1); use https", shown)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}
