package pave

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/pave-go/pave/internal/endpoint"
	"github.com/pave-go/pave/internal/redact"
	"github.com/pave-go/pave/internal/transport"
)

// Defaults of the client options, as their documentation states them.
const (
	defaultTimeout       = 30 * time.Second
	defaultMaxRetries    = 2
	defaultRetryBase     = 500 * time.Millisecond
	defaultRetryMax      = 8 * time.Second
	defaultMaxRetryAfter = 30 * time.Second
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

	pipe     *transport.Pipeline
	observer Observer // nil unless WithObserver
	username string
	// ownsTransport: the SDK built the transport (no WithHTTPClient
	// transport was given), so CloseIdleConnections may close its pool.
	ownsTransport bool
	// accessToken returns the API-Access-Token header value of the v2
	// endpoints. A closure, so that no printer reaches the token.
	accessToken func() []string
}

type settings struct {
	noSkewFix     bool
	baseURL       string
	hc            *http.Client
	timeout       time.Duration
	maxRetries    int
	userAgent     string
	logger        *slog.Logger
	now           func() time.Time
	base, max     time.Duration // the retry backoff
	maxRetryAfter time.Duration
	accessToken   string
	observer      Observer
}

// Option configures a Client. Options validate their argument; NewClient
// returns the first error.
type Option func(*settings) error

// WithBaseURL sets the API host, e.g. a pavetest fake server's URL. It must be
// https, or plain http for a loopback host only. A path prefix is kept.
func WithBaseURL(u string) Option {
	return func(s *settings) error {
		if _, err := parseBaseURL(u); err != nil {
			return fmt.Errorf("%w: WithBaseURL: %w", ErrInvalidOption, err)
		}
		s.baseURL = u
		return nil
	}
}

// WithHTTPClient makes the client send through hc. hc is not modified: the
// client uses a copy whose transport is wrapped by a SigningTransport (a
// nil Transport gets the SDK's tuned one, not http.DefaultTransport). Its
// Timeout, if set, bounds each attempt like WithTimeout (the shorter of the
// two applies); it is folded into the per-attempt deadline rather than left
// on the copy, whose timer net/http would run a second way for a
// transport it does not know.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return fmt.Errorf("%w: WithHTTPClient: nil *http.Client", ErrInvalidOption)
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
			return fmt.Errorf("%w: WithTimeout: %s is not positive", ErrInvalidOption, d)
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
			return fmt.Errorf("%w: WithMaxRetries: %d is outside 0..10", ErrInvalidOption, n)
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
			return fmt.Errorf("%w: WithRetryBackoff: need 0 <= base <= max, got %s, %s", ErrInvalidOption, base, max)
		}
		s.base, s.max = base, max
		return nil
	}
}

// WithMaxRetryAfter caps how long the client honours a server's
// Retry-After before retrying (default 30 s).
func WithMaxRetryAfter(d time.Duration) Option {
	return func(s *settings) error {
		if d < 0 {
			return fmt.Errorf("%w: WithMaxRetryAfter: %s is negative", ErrInvalidOption, d)
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
			return fmt.Errorf("%w: WithUserAgent: %q is empty or has control characters", ErrInvalidOption, product)
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
			return fmt.Errorf("%w: WithClock: nil clock", ErrInvalidOption)
		}
		s.now = now
		return nil
	}
}

// WithClockSkewCorrection turns the clock-skew correction on (the default)
// or off. PAVE refuses a token whose API-Timestamp is more than about five
// minutes from its own clock, which a machine with a drifting clock meets
// as "API-Token has expired." With correction on, a 401 whose Date header
// shows a skew of more than 4 minutes (and at most an hour) is sent once
// more with the timestamp corrected, safe for a POST too since PAVE did
// not process it, and the offset is kept for the client's later requests;
// each correction is logged at warn level. A 401 without such a skew (a
// wrong secret) is never repeated. Whether on or off, a 401 that shows an
// uncorrected skew says so in its error ("your clock is 6m12s ahead of
// PAVE's") and in APIError.ClockSkew.
func WithClockSkewCorrection(on bool) Option {
	return func(s *settings) error {
		s.noSkewFix = !on
		return nil
	}
}

// WithObserver makes o see every call the client makes (see Observer), for
// tracing and metrics; package github.com/pave-go/pave/otel is one for
// OpenTelemetry.
func WithObserver(o Observer) Option {
	return func(s *settings) error {
		s.observer = o
		return nil
	}
}

// Observer sees a client's calls as they happen, for instrumentation. Its
// methods are called on the request path, concurrently for concurrent
// calls: keep them fast and safe for concurrent use.
//
// A route names an operation by its method and path pattern ("GET
// /v1/sessions/{session_key}"), never by a session key; an error's text
// may name the request's path, which holds the key, so instrumentation
// should record an error's kind, not its text.
type Observer interface {
	// CallStart is called before an operation's first attempt; the
	// context it returns is the call's (carrying a span, say).
	CallStart(ctx context.Context, route string) context.Context
	// Attempt is called after each attempt.
	Attempt(ctx context.Context, a AttemptInfo)
	// CallEnd is called once the operation ends, with its last HTTP
	// status (0 for none), the attempts made and its error (nil on
	// success).
	CallEnd(ctx context.Context, status, attempts int, err error)
}

// AttemptInfo is how one attempt of a call went (see Observer).
type AttemptInfo struct {
	N        int           // the attempt's number, 1 for the first
	Status   int           // the answer's status, 0 for none
	Err      error         // why there was no usable answer
	Duration time.Duration // from sending to the answer read
	// Retry reports that the call is sent again after Wait; SkewFixed
	// that it is sent again at once with the clock corrected (see
	// WithClockSkewCorrection).
	Retry     bool
	Wait      time.Duration
	SkewFixed bool
	// RetryAfter is what the answer's Retry-After asked for (a 429's).
	RetryAfter time.Duration
}

// WithAccessToken sets the API-Access-Token header value sent to the v2
// endpoints (Sessions.ResendSMS). PAVE describes it only as "your API key",
// which is the default.
func WithAccessToken(token string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(token) == "" || strings.ContainsFunc(token, isControl) {
			return fmt.Errorf("%w: WithAccessToken: token is empty or has control characters", ErrInvalidOption)
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
		timeout:       defaultTimeout,
		maxRetries:    defaultMaxRetries,
		now:           time.Now,
		base:          defaultRetryBase,
		max:           defaultRetryMax,
		maxRetryAfter: defaultMaxRetryAfter,
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
		return nil, fmt.Errorf("pave: %w", err)
	}
	hc := &http.Client{}
	var base http.RoundTripper
	if s.hc != nil {
		cp := *s.hc
		hc = &cp
		base = s.hc.Transport
		if _, signs := base.(*SigningTransport); signs {
			// It would sign every request as its own account, over ours.
			return nil, fmt.Errorf("%w: WithHTTPClient: its Transport is a SigningTransport, which signs as "+
				"another client's account; give the transport below it (for several dealers, share a "+
				"pave.NewTransport())", ErrInvalidOption)
		}
		if t := hc.Timeout; t > 0 {
			s.timeout = min(s.timeout, t)
			hc.Timeout = 0
		}
	}
	owns := base == nil
	if owns {
		// Also for a caller's client without a Transport: net/http
		// would use DefaultTransport and its 2 idle connections per host.
		base = NewTransport()
	}
	clock := transport.NewClock(s.now, !s.noSkewFix)
	st, err := NewSigningTransport(creds, u.String(), base, clock.Now)
	if err != nil {
		return nil, err
	}
	hc.Transport = st
	hc.CheckRedirect = transport.RedirectPolicy(hc.CheckRedirect)
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
		pipe: &transport.Pipeline{
			HC:        hc,
			BaseURL:   u.String(),
			Timeout:   s.timeout,
			Policy:    transport.Policy{MaxRetries: s.maxRetries, Base: s.base, Max: s.max, MaxRetryAfter: s.maxRetryAfter},
			UserAgent: []string{ua},
			Logger:    logger,
			Clock:     clock,
			Redactor:  redact.New(secrets...),
		},
		username:      creds.Username,
		accessToken:   func() []string { return tokenValue },
		ownsTransport: owns,
	}
	if o := s.observer; o != nil {
		c.observer = o
		c.pipe.OnAttempt = func(ctx context.Context, a transport.AttemptInfo) { o.Attempt(ctx, AttemptInfo(a)) }
	}
	c.Sessions = &SessionsService{c: c}
	c.Webhooks = &WebhooksService{c: c}
	c.Hotspots = &HotspotsService{c: c}
	return c, nil
}

// BaseURL returns the API host the client talks to.
func (c *Client) BaseURL() string { return c.pipe.BaseURL }

// CloseIdleConnections closes the idle keep-alive connections of the
// transport the SDK built for this client (when WithHTTPClient gave none),
// for a process that drops a client or a test that checks for leaked
// goroutines; the client stays usable. A transport you gave with
// WithHTTPClient belongs to you, and may be shared by other dealers'
// clients (see NewTransport): then this does nothing, and closing the pool
// is yours to do on the transport, when no client needs it any more.
func (c *Client) CloseIdleConnections() {
	if c.ownsTransport {
		c.pipe.HC.CloseIdleConnections()
	}
}

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
	return fmt.Sprintf("BaseURL: %q, Username: %q", c.pipe.BaseURL, c.username)
}

// Format implements fmt.Formatter so every verb (%v, %+v, %#v, %s...) prints
// String. (No field reachable from a *Client holds a plain credential
// either: the signer and the redactor keep theirs in closures.)
func (c *Client) Format(f fmt.State, verb rune) { redact.Print(f, verb, c.String()) }

// LogValue implements slog.LogValuer: a logged client shows its base URL
// and username, never a credential.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("pave.Client(nil)")
	}
	return slog.GroupValue(slog.String("base_url", c.pipe.BaseURL), slog.String("username", c.username))
}

// NewTransport returns the transport a Client uses when given none: a
// clone of http.DefaultTransport (so HTTP/2, proxy settings from the
// environment and its timeouts are kept) with more idle connections per
// host, since Go's default keeps only 2 and concurrent callers would keep
// reconnecting.
//
// Clients of several dealers share one connection pool by sharing one
// transport: build it once, adjust it if needed (TLSClientConfig.RootCAs
// for a corporate proxy's certificate, Proxy for an explicit proxy URL),
// and give every client an http.Client over it:
//
//	hc := &http.Client{Transport: pave.NewTransport()}
//	north, _ := pave.NewClient(northCreds, pave.WithHTTPClient(hc))
//	south, _ := pave.NewClient(southCreds, pave.WithHTTPClient(hc))
//
// Each client still signs with its own credentials (hc is not modified).
func NewTransport() *http.Transport {
	var t *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
	} else {
		// Someone replaced http.DefaultTransport: start from its
		// documented settings instead.
		t = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
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

// call is one request to one operation of the endpoint table.
type call = transport.Call

// newCall returns the call of operation ep with its path parameters args
// (escaped here) and body (nil for none). A PUT that changes an SMS acts
// too: its caller sets Acts.
func newCall(ep *endpoint.Endpoint, body any, args ...string) *call {
	return &call{Method: ep.Method, Path: ep.Path(args...), Route: ep.Route(), Body: body,
		Acts: ep.Acts, GoneIsDone: ep.GoneIsDone}
}

// do sends cl through the pipeline and decodes a successful answer with
// decode (nil: nothing to decode). It returns the error the SDK promises:
// an *APIError for a non-2xx answer, a *RequestError when no usable answer
// came, or decode's. The observer sees the call from its start to that
// end, with the SDK's own error.
func (c *Client) do(ctx context.Context, cl *call, decode func(*transport.Result) error) error {
	if c.observer != nil && ctx != nil {
		ctx = c.observer.CallStart(ctx, cl.Route)
	}
	res, err := c.pipe.Do(ctx, cl)
	var se *transport.StatusError
	if res == nil && errors.As(err, &se) {
		res = se.Result
	}
	if cfg, _ := ctxValue(ctx); cfg != nil && res != nil {
		*cfg.into = res.HTTP
	}
	switch {
	case err != nil:
		err = c.fail(cl, err)
	case decode != nil:
		err = decode(res)
	}
	if c.observer != nil && ctx != nil {
		status, attempts := 0, 0
		if res != nil {
			status, attempts = res.Status, res.Attempts
		}
		var re *RequestError
		if errors.As(err, &re) && re.Attempts > attempts {
			attempts = re.Attempts
		}
		c.observer.CallEnd(ctx, status, attempts, err)
	}
	return err
}

// ctxValue returns the call options ctx carries.
func ctxValue(ctx context.Context) (*callConfig, bool) {
	if ctx == nil {
		return nil, false
	}
	cfg, ok := ctx.Value(ctxKey{}).(*callConfig)
	return cfg, ok
}

// fail turns the pipeline's error for cl into the SDK's.
func (c *Client) fail(cl *call, err error) error {
	var se *transport.StatusError
	var f *transport.Failure
	switch {
	case errors.As(err, &se):
		return c.apiError(cl, se.Result, "")
	case errors.As(err, &f):
		re := &RequestError{Method: cl.Method, Path: cl.Path, Attempts: f.Attempts, Err: f.Err}
		if f.Last != nil {
			re.Last = c.fail(cl, f.Last)
		}
		return re
	}
	return err
}

// apiError is the *APIError of answer res to cl, scrubbed of the client's
// credentials, the attempt's tokens and the call's secrets. A 2xx answer
// is a refusal PAVE sent with a success status ("success": false,
// "status": "error"): msg is its message.
func (c *Client) apiError(cl *call, res *transport.Result, msg string) *APIError {
	e := newAPIError(res.Status, res.Body, res.Truncated)
	e.Method, e.Path, e.Attempts, e.RetryAfter, e.ClockSkew = cl.Method, cl.Path, res.Attempts, res.RetryAfter, res.ClockSkew
	if res.Status >= 300 && res.Status <= 399 {
		e.Location = res.Header.Get("Location")
	}
	if res.Status >= 200 && res.Status <= 299 {
		e.Message = cmp.Or(msg, "success is false")
		if len(e.Body) > transport.MaxErrorBodySize {
			e.Body, e.Truncated = e.Body[:transport.MaxErrorBodySize], true
		}
		e.Body = bytes.Clone(e.Body)
	}
	e.scrub(c.pipe.Redactor, append(slices.Clip(res.Tokens), cl.Secrets...))
	return e
}

// badResponse is the *RequestError (matching ErrBadResponse) of a 2xx
// answer to cl that could not be used.
func badResponse(cl *call, res *transport.Result, err error) *RequestError {
	return &RequestError{Method: cl.Method, Path: cl.Path, Attempts: res.Attempts,
		Err: fmt.Errorf("%w: %w", ErrBadResponse, err)}
}

// messageOnly is the error of a 2xx whose body is not the document the
// operation returns: PAVE lists {"message": "Session is not yet
// completed."} under its 200 sample for results, so a message saying so is
// an *APIError matching ErrNotReady; any other message, or no document at
// all, is ErrBadResponse.
func (c *Client) messageOnly(cl *call, res *transport.Result, msg string) error {
	if isNotReadyMessage(msg) {
		return c.apiError(cl, res, msg)
	}
	if msg != "" {
		return badResponse(cl, res, fmt.Errorf("a %d answer with no document, only the message %q", res.Status,
			oneLine(c.pipe.Redactor.Text(msg, append(slices.Clip(res.Tokens), cl.Secrets...)...))))
	}
	return badResponse(cl, res, fmt.Errorf("a %d answer with no document", res.Status))
}

// CallOption tunes one call of a service method, like WithResponseInto,
// or the polling of the waiting helpers (PollFirstAfter, PollInterval).
// Like an Option it validates its argument: the method returns its error
// before sending anything.
type CallOption func(*callConfig) error

// callConfig is what a call's options set.
type callConfig struct {
	into  **http.Response
	wait  waitConfig
	polls bool // a polling option was given
}

// WithResponseInto makes the call store PAVE's HTTP answer (status,
// headers and request; the body already read and closed) in *dst: the
// successful answer, or the last one of a call that failed with an
// *APIError. A call that reads more than once (Ensure, an Update that
// reads the session back) stores its last answer. Use it to read headers
// the SDK does not decode, such as a request id.
func WithResponseInto(dst **http.Response) CallOption {
	return func(c *callConfig) error {
		if dst == nil {
			return fmt.Errorf("%w: WithResponseInto: nil destination", ErrInvalidOption)
		}
		c.into = dst
		return nil
	}
}

// callOptions applies opts; polling options are refused unless polls.
func callOptions(opts []CallOption, polls bool) (*callConfig, error) {
	cfg := &callConfig{wait: defaultWait}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	if cfg.polls && !polls {
		return nil, fmt.Errorf("%w: PollFirstAfter and PollInterval apply to WaitForResults only", ErrInvalidOption)
	}
	return cfg, nil
}

// ctxKey carries a call's options through the context to do, so that the
// services need not pass them down every helper.
type ctxKey struct{}

// withCall applies a service method's options and returns ctx carrying
// them (a nil ctx stays nil: do reports it).
func withCall(ctx context.Context, opts []CallOption) (context.Context, error) {
	if len(opts) == 0 {
		return ctx, nil
	}
	cfg, err := callOptions(opts, false)
	if err != nil || ctx == nil || cfg.into == nil {
		return ctx, err
	}
	return context.WithValue(ctx, ctxKey{}, cfg), nil
}
