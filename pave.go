package pave

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Version is the SDK version sent in the User-Agent header.
const Version = "0.1.0"

// DefaultBaseURL is PAVE's production API host. Live and test keys share it.
const DefaultBaseURL = "https://openapi.paveapi.com"

// Defaults of the client options.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultMaxRetries    = 2
	DefaultRetryBase     = 500 * time.Millisecond
	DefaultRetryMax      = 8 * time.Second
	DefaultMaxRetryAfter = 30 * time.Second
	// MaxResponseSize bounds a successful response body.
	MaxResponseSize = 64 << 20
)

// Client talks to the PAVE API. Create one with NewClient; a *Client is
// immutable and safe for concurrent use, so share one per set of
// credentials (one per dealer in a multi-tenant process).
type Client struct {
	// Sessions is the inspection-session API (/v1/sessions).
	Sessions *SessionsService
	// Webhooks manages callback settings (/v1/callbacks).
	Webhooks *WebhooksService
	// Hotspots analyses photos you already have (/v1/hotspots).
	Hotspots *HotspotsService

	hc          *http.Client
	baseURL     string // scheme://host/prefix, no trailing slash
	username    string
	redact      redactor // the API secret and access token, in closures only
	timeout     time.Duration
	maxRetries  int
	policy      backoffPolicy
	maxRetryAft time.Duration
	// userAgentValue is the User-Agent header value slice, shared by every
	// request: it is never modified.
	userAgentValue []string
	logger         *slog.Logger
	now            func() time.Time
	// accessToken returns the API-Access-Token header value of the v2
	// endpoints. A closure, so that no printer reaches the token.
	accessToken func() []string
}

type settings struct {
	baseURL       string
	hc            *http.Client
	timeout       time.Duration
	maxRetries    int
	userAgent     string
	logger        *slog.Logger
	now           func() time.Time
	policy        backoffPolicy
	maxRetryAfter time.Duration
	accessToken   string
}

// Option configures a Client. Options validate their argument; NewClient
// returns the first error.
type Option func(*settings) error

// WithBaseURL sets the API host, e.g. a pavetest fake server's URL. It must be
// https, or plain http for a loopback host only. A path prefix is kept.
func WithBaseURL(u string) Option {
	return func(s *settings) error {
		if _, err := parseBaseURL(u); err != nil {
			return err
		}
		s.baseURL = u
		return nil
	}
}

// WithHTTPClient makes the client send through hc. hc is not modified: the
// client uses a copy whose transport is wrapped by a SigningTransport (a
// nil Transport gets the SDK's tuned one, not http.DefaultTransport). Its
// Timeout, if set, applies on top of WithTimeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("pave: WithHTTPClient: nil *http.Client")
		}
		s.hc = hc
		return nil
	}
}

// WithTimeout bounds each attempt (connect, send, and reading the whole
// response). The default is 30 seconds. Use the context for an overall bound.
func WithTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return fmt.Errorf("pave: WithTimeout: %s is not positive", d)
		}
		s.timeout = d
		return nil
	}
}

// WithMaxRetries sets how many times a failed request may be retried (0 to
// 10; default 2). See the package documentation for what is retried.
func WithMaxRetries(n int) Option {
	return func(s *settings) error {
		if n < 0 || n > 10 {
			return fmt.Errorf("pave: WithMaxRetries: %d is outside 0..10", n)
		}
		s.maxRetries = n
		return nil
	}
}

// WithRetryBackoff sets the exponential backoff: the first retry waits about
// base, each later one twice as long, never more than max (defaults 500 ms
// and 8 s). Waits are jittered.
func WithRetryBackoff(base, max time.Duration) Option {
	return func(s *settings) error {
		if base < 0 || max < base {
			return fmt.Errorf("pave: WithRetryBackoff: need 0 <= base <= max, got %s, %s", base, max)
		}
		s.policy = backoffPolicy{Base: base, Max: max}
		return nil
	}
}

// WithMaxRetryAfter caps how long the client honours a server's
// Retry-After before retrying (default 30 s).
func WithMaxRetryAfter(d time.Duration) Option {
	return func(s *settings) error {
		if d < 0 {
			return fmt.Errorf("pave: WithMaxRetryAfter: %s is negative", d)
		}
		s.maxRetryAfter = d
		return nil
	}
}

// WithUserAgent puts product (e.g. "dealercrm/2.1") in front of the SDK's
// own User-Agent.
func WithUserAgent(product string) Option {
	return func(s *settings) error {
		product = strings.TrimSpace(product)
		if product == "" || strings.ContainsFunc(product, isControl) {
			return fmt.Errorf("pave: WithUserAgent: %q is empty or has control characters", product)
		}
		s.userAgent = product
		return nil
	}
}

// WithLogger logs each attempt (method, path, status, attempt, duration) at
// debug level and each retry at info level. Credentials, tokens and bodies
// are never logged. The default is silent; nil restores it.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		s.logger = l
		return nil
	}
}

// WithClock sets the clock used for API-Timestamp and Retry-After dates.
func WithClock(now func() time.Time) Option {
	return func(s *settings) error {
		if now == nil {
			return errors.New("pave: WithClock: nil clock")
		}
		s.now = now
		return nil
	}
}

// WithAccessToken sets the API-Access-Token header value sent to the v2
// endpoints (Sessions.ResendSMS). PAVE describes it only as "your API key",
// which is the default.
func WithAccessToken(token string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(token) == "" || strings.ContainsFunc(token, isControl) {
			return errors.New("pave: WithAccessToken: token is empty or has control characters")
		}
		s.accessToken = token
		return nil
	}
}

// NewClient returns a client for the given credentials. All three
// credential fields are required.
func NewClient(creds Credentials, opts ...Option) (*Client, error) {
	if err := creds.Validate(); err != nil {
		return nil, err
	}
	s := settings{
		baseURL:       DefaultBaseURL,
		timeout:       DefaultTimeout,
		maxRetries:    DefaultMaxRetries,
		now:           time.Now,
		policy:        backoffPolicy{Base: DefaultRetryBase, Max: DefaultRetryMax},
		maxRetryAfter: DefaultMaxRetryAfter,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&s); err != nil {
			return nil, err
		}
	}
	u, err := parseBaseURL(s.baseURL)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{}
	var base http.RoundTripper
	if s.hc != nil {
		cp := *s.hc
		hc = &cp
		base = s.hc.Transport
	}
	if base == nil {
		// Also for a caller's client without a Transport: net/http
		// would use DefaultTransport and its 2 idle connections per host.
		base = newTransport()
	}
	st, err := NewSigningTransport(creds, u.String(), base, s.now)
	if err != nil {
		return nil, err
	}
	hc.Transport = st
	hc.CheckRedirect = checkRedirect(hc.CheckRedirect)
	logger := s.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ua := fmt.Sprintf("pave-go/%s (%s; %s/%s)", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if s.userAgent != "" {
		ua = s.userAgent + " " + ua
	}
	token := s.accessToken
	secrets := []string{creds.APISecret}
	if token == "" {
		token = creds.APIKey // sent in clear anyway: not a secret
	} else if token != creds.APIKey {
		secrets = append(secrets, token)
	}
	tokenValue := []string{token}
	c := &Client{
		hc:             hc,
		baseURL:        u.String(),
		username:       creds.Username,
		redact:         newRedactor(secrets...),
		accessToken:    func() []string { return tokenValue },
		timeout:        s.timeout,
		maxRetries:     s.maxRetries,
		policy:         s.policy,
		maxRetryAft:    s.maxRetryAfter,
		userAgentValue: []string{ua},
		logger:         logger,
		now:            s.now,
	}
	c.Sessions = &SessionsService{c: c}
	c.Webhooks = &WebhooksService{c: c}
	c.Hotspots = &HotspotsService{c: c}
	return c, nil
}

// BaseURL returns the API host the client talks to.
func (c *Client) BaseURL() string { return c.baseURL }

// CloseIdleConnections closes the client's idle keep-alive connections, for
// a process that drops a client (a dealer removed from a multi-tenant
// service) or a test that checks for leaked goroutines. The client stays
// usable.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// String describes the client without any credential: the base URL and
// the account username.
func (c *Client) String() string {
	if c == nil {
		return "pave.Client(nil)"
	}
	return "pave.Client{" + c.describe() + "}"
}

// describe names the client's base URL and username.
func (c *Client) describe() string {
	if c == nil {
		return "nil"
	}
	return fmt.Sprintf("BaseURL: %q, Username: %q", c.baseURL, c.username)
}

// Format implements fmt.Formatter so every verb (%v, %+v, %#v, %s...) prints
// String. (No field reachable from a *Client holds a plain credential
// either: the signer and the redactor keep theirs in closures.)
func (c *Client) Format(f fmt.State, verb rune) { printRedacted(f, verb, c.String()) }

// LogValue implements slog.LogValuer: a logged client shows its base URL
// and username, never a credential.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("pave.Client(nil)")
	}
	return slog.GroupValue(slog.String("base_url", c.baseURL), slog.String("username", c.username))
}

// newTransport clones http.DefaultTransport (keeping HTTP/2 and proxy
// settings) and raises the idle-connection limits: the default keeps only 2
// idle connections per host, so concurrent callers would keep reconnecting.
func newTransport() http.RoundTripper {
	dt, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	t := dt.Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	t.ForceAttemptHTTP2 = true
	return t
}

// isLoopbackHost reports whether host is "localhost" or a literal loopback
// IP. Not a *.localhost name: Go's resolver may send those to DNS, so a
// signed request could leave the machine in clear text.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RequestError is returned when a request could not be completed: a network
// failure, a timeout, a cancelled context, or a response that could not be
// read or decoded. Unwrap gives the cause (errors.Is(err,
// context.DeadlineExceeded) works) and, after a wait was cancelled, the
// previous attempt's error too.
type RequestError struct {
	Method   string
	Path     string
	Attempts int
	// Err is the cause.
	Err error
	// Last is the previous attempt's error when the context ended during
	// a retry wait, else nil.
	Last error
}

// Error returns one line naming the request, the cause and the attempts.
func (e *RequestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pave: %s %s: %v", e.Method, e.Path, e.Err)
	if e.Last != nil {
		fmt.Fprintf(&b, " (while waiting to retry after: %v)", e.Last)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return oneLine(b.String())
}

// Unwrap returns the cause and, if any, the previous attempt's error.
func (e *RequestError) Unwrap() []error {
	if e.Last != nil {
		return []error{e.Err, e.Last}
	}
	return []error{e.Err}
}

// jsonHeaderValue is the value slice of Accept and Content-Type, shared by
// every request: it is never modified.
var jsonHeaderValue = []string{"application/json"}

// ErrBadResponse is matched (errors.Is) by a *RequestError whose 2xx
// response could not be decoded.
var ErrBadResponse = errors.New("pave: malformed response")

// call describes one API operation.
type call struct {
	method string
	path   string // escaped, starting with /v1 or /v2
	body   any    // marshalled as JSON when non-nil
	header http.Header
	// acts marks a request that may act on PAVE in a way a repeat would
	// repeat (create something, text a customer): a POST always, a PUT
	// that changes the SMS. It is sent at most once unless PAVE provably
	// did not process it, at every layer: no retry of ours, no replay by
	// net/http, no redirect.
	acts bool
	// goneIsDone makes a retried DELETE that finds nothing (404) after an
	// attempt whose outcome is unknown a success: the first attempt most
	// likely removed it, and either way it is gone.
	goneIsDone bool
	// secrets are values this request carries that must never appear in
	// an error (a webhook secret in a callback's headers).
	secrets []string
}

// once reports whether the call may reach PAVE at most once.
func (cl *call) once() bool { return cl.acts || !idempotent(cl.method) }

// do runs the call with retries and decodes a 2xx JSON body into out (when
// out is non-nil). It returns the raw body of the successful response.
func (c *Client) do(ctx context.Context, cl call, out any) ([]byte, error) {
	res, err := c.exchange(ctx, cl, out)
	return res.Body, err
}

// exchangeResult is a successful exchange.
type exchangeResult struct {
	// Body is the 2xx body, with the credentials scrubbed (see scrubBody).
	Body []byte
	// Attempts is how many times the request was sent, for errors a caller
	// builds from a 2xx body it cannot use.
	Attempts int
	// tokens are the API-Tokens the successful attempt sent.
	tokens []string
}

// badResponse returns the *RequestError (matching ErrBadResponse) for a
// 2xx answer to cl that could not be used.
func (r exchangeResult) badResponse(cl call, err error) *RequestError {
	return &RequestError{Method: cl.method, Path: cl.path, Attempts: r.Attempts,
		Err: fmt.Errorf("%w: %w", ErrBadResponse, err)}
}

// exchange is the request pipeline: it runs the call with retries, decodes a
// 2xx JSON body into out (when non-nil), and reports the body and how many
// attempts the success took.
func (c *Client) exchange(ctx context.Context, cl call, out any) (exchangeResult, error) {
	if ctx == nil {
		return exchangeResult{}, errors.New("pave: nil context")
	}
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			return exchangeResult{}, fmt.Errorf("pave: %s %s: encoding request: %w", cl.method, cl.path, err)
		}
	}
	target := c.baseURL + cl.path
	var lastErr error
	// mayHaveActed: an earlier attempt reached PAVE and its outcome is
	// unknown (no answer, or a 5xx).
	mayHaveActed := false
	for attempt := 1; ; attempt++ {
		// net/http's Transport checks the context, a custom RoundTripper
		// may not: never start an attempt for a context that has ended.
		if err := ctx.Err(); err != nil {
			return exchangeResult{Attempts: attempt}, &RequestError{Method: cl.method, Path: cl.path, Attempts: attempt, Err: err, Last: lastErr}
		}
		start := time.Now()
		res, err := c.send(ctx, &cl, target, payload)
		status := 0
		if res != nil {
			status = res.status
		}
		if c.logger.Enabled(ctx, slog.LevelDebug) {
			c.logger.LogAttrs(ctx, slog.LevelDebug, "pave request",
				slog.String("method", cl.method), slog.String("path", cl.path),
				slog.Int("status", status), slog.Int("attempt", attempt),
				slog.Duration("duration", time.Since(start)))
		}

		if err == nil && res.status >= 200 && res.status <= 299 {
			body := c.redact.successData(res.body, res.tokens)
			if out != nil && len(bytes.TrimSpace(body)) > 0 {
				if derr := json.Unmarshal(body, out); derr != nil {
					return exchangeResult{Attempts: attempt}, &RequestError{Method: cl.method, Path: cl.path, Attempts: attempt,
						Err: fmt.Errorf("%w: decoding %d response: %w", ErrBadResponse, res.status, derr)}
				}
			}
			return exchangeResult{Body: body, Attempts: attempt, tokens: res.tokens}, nil
		}
		if err == nil && res.status == http.StatusNotFound && cl.goneIsDone && mayHaveActed {
			c.logger.LogAttrs(ctx, slog.LevelInfo, "pave: retried DELETE found nothing; an earlier attempt removed it",
				slog.String("method", cl.method), slog.String("path", cl.path), slog.Int("attempt", attempt))
			return exchangeResult{Attempts: attempt}, nil
		}

		var retry bool
		var wait time.Duration
		if err != nil {
			if ctx.Err() != nil {
				return exchangeResult{Attempts: attempt}, &RequestError{Method: cl.method, Path: cl.path, Attempts: attempt, Err: ctx.Err(), Last: lastErr}
			}
			lastErr = &RequestError{Method: cl.method, Path: cl.path, Attempts: attempt, Err: err}
			retry = retryableNetError(cl.once(), err)
			mayHaveActed = mayHaveActed || !errors.Is(err, syscall.ECONNREFUSED)
		} else {
			apiErr := newAPIError(res.status, res.body, res.truncated)
			apiErr.Method, apiErr.Path, apiErr.Attempts = cl.method, cl.path, attempt
			apiErr.RetryAfter = parseRetryAfter(res.header.Get("Retry-After"), c.now())
			if res.status >= 300 && res.status <= 399 {
				apiErr.Location = res.header.Get("Location")
			}
			apiErr.scrub(c.redact, cl.diagnosticSecrets(res.tokens))
			lastErr = apiErr
			retry = retryableStatus(cl.once(), res.status)
			wait = apiErr.RetryAfter
			mayHaveActed = mayHaveActed || res.status >= 500
		}
		if !retry || attempt > c.maxRetries {
			return exchangeResult{Attempts: attempt}, lastErr
		}
		if wait <= 0 {
			wait = c.policy.delay(attempt)
		} else if wait > c.maxRetryAft {
			wait = c.maxRetryAft
		}
		c.logger.LogAttrs(ctx, slog.LevelInfo, "pave retry",
			slog.String("method", cl.method), slog.String("path", cl.path),
			slog.Int("status", status), slog.Int("attempt", attempt),
			slog.Duration("wait", wait))
		if err := sleepCtx(ctx, wait); err != nil {
			return exchangeResult{Attempts: attempt}, &RequestError{Method: cl.method, Path: cl.path, Attempts: attempt, Err: err, Last: lastErr}
		}
	}
}

type response struct {
	status    int
	header    http.Header
	body      []byte
	truncated bool
	// tokens are the API-Tokens sent for this attempt, one per redirect
	// hop, to scrub from whatever the server echoes.
	tokens []string
}

// send makes one attempt under the per-attempt timeout and reads the body
// completely (bounded) before returning, so the connection can be reused.
func (c *Client) send(ctx context.Context, cl *call, target string, payload []byte) (*response, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	actx, guard := guardWire(actx, cl.once())
	defer guard.release()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, target, body)
	if err != nil {
		return nil, err
	}
	if cl.once() {
		// Without GetBody no layer below (HTTP/2's replay after a reset
		// stream or GOAWAY, a 307 redirect) can send the body again.
		req.GetBody = nil
	}
	// Shared value slices: SigningTransport clones the request (and its
	// header values) before anything below it sees them.
	req.Header["Accept"] = jsonHeaderValue
	req.Header["User-Agent"] = c.userAgentValue
	if payload != nil {
		req.Header["Content-Type"] = jsonHeaderValue
	}
	for k, v := range cl.header {
		req.Header[k] = v
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, guard.explain(actx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 {
		// 101 Switching Protocols hands over the raw connection as the
		// body, which no timeout bounds: never read it.
		return nil, fmt.Errorf("%w: unexpected %d %s", ErrBadResponse, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	res := &response{status: resp.StatusCode, header: resp.Header, tokens: sentTokens(resp)}
	limit := int64(MaxResponseSize)
	if resp.StatusCode > 299 {
		limit = MaxErrorBodySize
	} else if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: response body of %d bytes exceeds %d", ErrBadResponse, resp.ContentLength, limit)
	}
	res.body, res.truncated, err = readBounded(resp.Body, resp.ContentLength, limit, resp.StatusCode > 299)
	if err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	if res.truncated {
		if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
			return nil, fmt.Errorf("%w: response body exceeds %d bytes", ErrBadResponse, limit)
		}
		// Drain a little more so a slightly oversized error body does not
		// cost the connection; give up on anything larger.
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	}
	return res, nil
}

// sentTokens returns the API-Token of every request of resp's redirect
// chain: each hop was signed afresh.
func sentTokens(resp *http.Response) []string {
	var tokens []string
	for r := resp.Request; r != nil; {
		if t := r.Header.Get(HeaderAPIToken); t != "" {
			tokens = append(tokens, t)
		}
		if r.Response == nil {
			break
		}
		r = r.Response.Request
	}
	return tokens
}

// diagnosticSecrets are the values scrubbed from this call's errors
// besides the client's credentials: the attempt's tokens and the webhook
// secrets the request carries.
func (cl *call) diagnosticSecrets(tokens []string) []string {
	if len(cl.secrets) == 0 {
		return tokens
	}
	return append(slices.Clip(tokens), cl.secrets...)
}

// checkRedirect is the redirect policy of the SDK's http.Client: only GET
// and HEAD follow redirects (to the same host: SigningTransport refuses to
// sign for another). Anything else gets the 3xx back, which becomes an
// *APIError naming the Location, so a POST is never re-sent by a redirect
// (and never turned into a GET by a 301, 302 or 303). next is the
// caller's own policy, consulted for the redirects that are followed.
func checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if m := via[0].Method; m != http.MethodGet && m != http.MethodHead {
			return http.ErrUseLastResponse
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// readBounded reads a body of at most limit bytes, reporting whether it is
// longer; the first limit bytes are then returned when keepPrefix is set
// (an error body is kept cut), nil otherwise (an oversized success is
// refused whole, so its bytes need no second buffer). The buffer is sized
// exactly: from a small Content-Length up front, else by collecting chunks
// joined once at the end, so a huge or endless body costs at most the limit
// plus one chunk, never a doubled buffer. A Content-Length of 0 counts as
// unknown: mock transports (httpmock's) leave it 0 whatever the body.
func readBounded(r io.Reader, contentLength, limit int64, keepPrefix bool) ([]byte, bool, error) {
	// A Content-Length only sizes the buffer when small: a lying header
	// must not make us allocate the whole limit.
	if contentLength <= 0 || contentLength > min(limit, exactReadMax) {
		return readChunks(r, limit, keepPrefix)
	}
	buf := make([]byte, contentLength)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, false, err
	}
	// Read to EOF, so net/http can reuse the connection.
	var probe [1]byte
	if n, err := r.Read(probe[:]); n > 0 {
		return nil, false, fmt.Errorf("body longer than its Content-Length %d", contentLength)
	} else if err != nil && err != io.EOF {
		return nil, false, err
	}
	return buf, false, nil
}

// exactReadMax is the largest Content-Length allocated up front.
const exactReadMax = 1 << 20

// readChunks reads r into chunks of growing size (512 bytes doubling up to
// 1 MiB), then joins them into one buffer of exactly the body's size.
func readChunks(r io.Reader, limit int64, keepPrefix bool) ([]byte, bool, error) {
	var chunks [][]byte
	size, total := 512, int64(0)
	for {
		chunk := make([]byte, int(min(int64(size), limit+1-total)))
		n, err := io.ReadFull(r, chunk)
		total += int64(n)
		chunks = append(chunks, chunk[:n])
		if total > limit {
			if !keepPrefix {
				return nil, true, nil
			}
			return join(chunks, limit), true, nil
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return join(chunks, total), false, nil
		}
		if err != nil {
			return nil, false, err
		}
		size = min(size*2, 1<<20)
	}
}

// join concatenates chunks into n bytes (dropping anything after n).
func join(chunks [][]byte, n int64) []byte {
	if len(chunks) == 1 && int64(len(chunks[0])) >= n {
		return chunks[0][:n]
	}
	out := make([]byte, 0, n)
	for _, c := range chunks {
		out = append(out, c[:min(int64(len(c)), n-int64(len(out)))]...)
	}
	return out
}

// idempotent methods may be retried after any transient failure.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// retryableStatus: idempotent requests retry on 408, 429, 500, 502, 503,
// 504. A request sent at most once (a POST, which may text a customer)
// retries only on 429, the one status that says the request was refused
// before being processed.
func retryableStatus(once bool, status int) bool {
	if once {
		return status == http.StatusTooManyRequests
	}
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableNetError: idempotent requests retry on any network error or
// per-attempt timeout; one sent at most once only when the connection was
// refused, which proves the server never saw it.
func retryableNetError(once bool, err error) bool {
	if errors.Is(err, ErrForeignHost) || errors.Is(err, ErrBadResponse) {
		return false
	}
	if once {
		return errors.Is(err, syscall.ECONNREFUSED)
	}
	return true
}
