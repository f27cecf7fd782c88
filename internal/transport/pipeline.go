// Package transport is the SDK's one request pipeline: it builds a call's
// request, has it signed (by the http.Client's SigningTransport), guards
// it against replays below the retry policy, sends one attempt at a time,
// reads each answer bounded and scrubbed, and decides retries (retry.go)
// and clock corrections (skew.go). Package pave decodes what it returns
// into its types and errors.
package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/pave-go/pave/internal/redact"
)

// ErrBadResponse is matched by the failure of an attempt whose 2xx (or
// 1xx) answer cannot be used. Package pave exports it.
var ErrBadResponse = errors.New("pave: malformed response")

// Call is one request to one operation.
type Call struct {
	Method string
	Path   string // escaped, starting with /v1 or /v2
	// Route names the operation for logs and instrumentation: its method
	// and path pattern ("GET /v1/sessions/{session_key}"), never a key.
	Route string
	// Body is marshalled as JSON when non-nil.
	Body any
	// Header holds extra headers (API-Access-Token).
	Header http.Header
	// Acts marks a call that may act on PAVE in a way a repeat would
	// repeat (create something, text a customer): it is sent at most once
	// unless PAVE provably did not process it, at every layer: no retry,
	// no replay by net/http, no redirect.
	Acts bool
	// GoneIsDone makes a retried DELETE that finds nothing (404) after an
	// attempt whose outcome is unknown a success.
	GoneIsDone bool
	// Secrets are values the request carries that must never appear in an
	// error (a webhook secret in a callback's headers).
	Secrets []string
}

// once reports whether the call may reach PAVE at most once.
func (c *Call) once() bool { return c.Acts || !Idempotent(c.Method) }

// Result is an answer: the successful one Do returns, or the non-2xx one
// a *StatusError carries.
type Result struct {
	Status int
	Header http.Header
	// Body is a 2xx body scrubbed of echoed credentials, or an error body
	// as received, cut at MaxErrorBodySize (Truncated).
	Body      []byte
	Truncated bool
	// Attempts is how many times the request was sent.
	Attempts int
	// Tokens are the API-Tokens the answered attempt sent, one per
	// redirect hop, to scrub from what the server echoes.
	Tokens []string
	// RetryAfter is the wait the answer's Retry-After asked for.
	RetryAfter time.Duration
	// ClockSkew is how far the signing clock was ahead of PAVE's
	// (negative: behind) on a 401 that showed a skew not corrected.
	ClockSkew time.Duration
	// Gone: a retried DELETE found nothing after an attempt that may have
	// removed it; Do reports it as success.
	Gone bool
	// HTTP is the answer as net/http gave it (status, headers, request),
	// its body already read and closed.
	HTTP *http.Response
}

// AttemptInfo is how one attempt went, for Pipeline.OnAttempt.
type AttemptInfo struct {
	N        int           // the attempt's number, 1 for the first
	Status   int           // the answer's status, 0 for none
	Err      error         // why there was no usable answer; its text may name the path
	Duration time.Duration // from sending to the answer read
	// Retry reports that the call is sent again, after Wait; SkewFixed
	// that it is sent again at once with the clock corrected (or a
	// correction dropped).
	Retry     bool
	Wait      time.Duration
	SkewFixed bool
	// RetryAfter is what the answer's Retry-After asked for.
	RetryAfter time.Duration
}

// StatusError is Do's error for a final answer that is not 2xx.
type StatusError struct{ *Result }

func (e *StatusError) Error() string { return fmt.Sprintf("HTTP %d", e.Status) }

// Failure is Do's error when no usable answer came: the network failed,
// the context ended, or the answer could not be used.
type Failure struct {
	Err      error
	Attempts int
	// Last is the previous attempt's outcome (a *StatusError or a network
	// error) when the context ended while waiting to retry.
	Last error
}

func (e *Failure) Error() string { return e.Err.Error() }
func (e *Failure) Unwrap() error { return e.Err }

// Pipeline sends calls. Its fields are set once, by pave.NewClient.
type Pipeline struct {
	HC      *http.Client // its transport signs
	BaseURL string       // scheme://host/prefix, no trailing slash
	// Timeout bounds each attempt.
	Timeout   time.Duration
	Policy    Policy
	UserAgent []string // the User-Agent value slice, never modified
	Logger    *slog.Logger
	Clock     *Clock
	// Redactor scrubs the client's credentials from what servers echo.
	Redactor redact.Redactor
	// OnAttempt, when set, is called after each attempt, on the request
	// path: keep it fast.
	OnAttempt func(ctx context.Context, a AttemptInfo)
}

// jsonValue is the value slice of Accept and Content-Type, shared by every
// request: it is never modified.
var jsonValue = []string{"application/json"}

// Do sends c under the retry policy and returns the successful answer, or
// a *StatusError for a final non-2xx answer, or a *Failure.
func (p *Pipeline) Do(ctx context.Context, c *Call) (*Result, error) {
	if ctx == nil {
		return nil, &Failure{Err: errors.New("nil context")}
	}

	var payload []byte
	if c.Body != nil {
		var err error
		if payload, err = json.Marshal(c.Body); err != nil {
			return nil, &Failure{Err: fmt.Errorf("encoding request: %w", err)}
		}
	}
	target := p.BaseURL + c.Path
	var (
		last         error // the last attempt's outcome
		mayHaveActed bool  // an attempt reached PAVE with an unknown outcome
		skew         skewCall
		resends      int // sent again for the clock: not counted as retries
	)
	for n := 1; ; n++ {
		// net/http's Transport checks the context, a custom RoundTripper
		// may not: never start an attempt for a context that has ended.
		if err := ctx.Err(); err != nil {
			return nil, &Failure{Err: err, Attempts: n - 1, Last: last}
		}
		start := time.Now()
		res, err := p.attempt(ctx, c, target, payload)
		info := AttemptInfo{N: n, Err: err, Duration: time.Since(start)}
		if res != nil {
			info.Status = res.Status
		}
		p.logAttempt(ctx, c, res, n, info.Duration)
		a := Attempt{N: n - resends, Method: c.Method, Acts: c.Acts, Err: err}
		switch {
		case err != nil && ctx.Err() != nil:
			p.observe(ctx, info)
			return nil, &Failure{Err: ctx.Err(), Attempts: n, Last: last}
		case err != nil:
			last = &Failure{Err: err, Attempts: n}
		case res.Status >= 200 && res.Status <= 299:
			res.Body, res.Attempts = p.Redactor.SuccessData(res.Body, res.Tokens), n
			p.observe(ctx, info)
			return res, nil
		case res.Status == http.StatusNotFound && c.GoneIsDone && mayHaveActed:
			p.Logger.LogAttrs(ctx, slog.LevelInfo, "pave: retried DELETE found nothing; an earlier attempt removed it",
				slog.String("method", c.Method), slog.String("path", c.Path), slog.Int("attempt", n))
			p.observe(ctx, info)
			return &Result{Status: res.Status, Header: res.Header, Attempts: n, Gone: true, HTTP: res.HTTP}, nil
		default:
			res.Attempts = n
			res.RetryAfter = RetryAfter(res.Header.Get("Retry-After"), p.Clock.Now())
			if res.Status == http.StatusUnauthorized {
				v := p.Clock.on401(res.Header, &skew)
				if v.resend {
					// PAVE refused the token before doing anything: safe
					// to send again at once, a POST included.
					p.logSkew(ctx, c, v.fixed)
					info.SkewFixed = true
					p.observe(ctx, info)
					resends++
					last = &StatusError{res}
					continue
				}
				res.ClockSkew = v.ahead
			}
			last = &StatusError{res}
			a.Status, a.RetryAfter = res.Status, res.RetryAfter
		}
		mayHaveActed = mayHaveActed || MayHaveActed(a.Status, a.Err)
		retry, wait := p.Policy.Decide(a)
		info.Retry, info.Wait, info.RetryAfter = retry, wait, a.RetryAfter
		p.observe(ctx, info)
		if !retry {
			return nil, last
		}
		p.Logger.LogAttrs(ctx, slog.LevelInfo, "pave retry",
			slog.String("method", c.Method), slog.String("path", c.Path),
			slog.Int("status", a.Status), slog.Int("attempt", n), slog.String("wait", wait.String()))
		if err := Sleep(ctx, wait); err != nil {
			return nil, &Failure{Err: err, Attempts: n, Last: last}
		}
	}
}

// attempt sends the request once under the per-attempt timeout and reads
// the body completely (bounded) before returning, so the connection can be
// reused.
func (p *Pipeline) attempt(ctx context.Context, c *Call, target string, payload []byte) (*Result, error) {
	actx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	actx, guard := guardWire(actx, cancel, c.once())
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, c.Method, target, body)
	if err != nil {
		return nil, err
	}
	guard.owned = req
	if c.once() {
		// Without GetBody no layer below (HTTP/2's replay after a reset
		// stream or GOAWAY, a 307 redirect) can send the body again.
		req.GetBody = nil
	}
	// Shared value slices: a SigningTransport signs the pipeline's own
	// request in place and clones any other before modifying it.
	req.Header["Accept"] = jsonValue
	req.Header["User-Agent"] = p.UserAgent
	if payload != nil {
		req.Header["Content-Type"] = jsonValue
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	resp, err := p.HC.Do(req)
	if err != nil {
		return nil, guard.explain(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 {
		// 101 Switching Protocols hands over the raw connection as the
		// body, which no timeout bounds: never read it.
		return nil, fmt.Errorf("%w: unexpected %d %s", ErrBadResponse, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	res := &Result{Status: resp.StatusCode, Header: resp.Header, Tokens: sentTokens(resp), HTTP: resp}
	isError := resp.StatusCode > 299
	limit := int64(MaxResponseSize)
	if isError {
		limit = MaxErrorBodySize
	} else if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: the answer of %d bytes is too large (the limit is %d)", ErrBadResponse, resp.ContentLength, limit)
	}
	res.Body, res.Truncated, err = readBounded(resp.Body, resp.ContentLength, limit, isError)
	if err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	if res.Truncated {
		if !isError {
			return nil, fmt.Errorf("%w: the answer is too large (more than %d bytes)", ErrBadResponse, limit)
		}
		// Drain a little more so a slightly oversized error body does not
		// cost the connection; give up on anything larger.
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	}
	return res, nil
}

// observe hands an attempt to OnAttempt.
func (p *Pipeline) observe(ctx context.Context, a AttemptInfo) {
	if p.OnAttempt != nil {
		p.OnAttempt(ctx, a)
	}
}

// sentTokens returns the API-Token of every request of resp's redirect
// chain: each hop was signed afresh.
func sentTokens(resp *http.Response) []string {
	var tokens []string
	for r := resp.Request; r != nil; {
		if t := r.Header.Get("Api-Token"); t != "" {
			tokens = append(tokens, t)
		}
		if r.Response == nil {
			break
		}
		r = r.Response.Request
	}
	return tokens
}

func (p *Pipeline) logAttempt(ctx context.Context, c *Call, res *Result, n int, d time.Duration) {
	if !p.Logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	status := 0
	if res != nil {
		status = res.Status
	}
	p.Logger.LogAttrs(ctx, slog.LevelDebug, "pave request",
		slog.String("method", c.Method), slog.String("path", c.Path),
		slog.Int("status", status), slog.Int("attempt", n), slog.String("duration", d.String()))
}

func (p *Pipeline) logSkew(ctx context.Context, c *Call, fixed time.Duration) {
	if fixed == 0 {
		p.Logger.LogAttrs(ctx, slog.LevelWarn, "pave clock skew correction dropped: PAVE refused a request signed with it",
			slog.String("method", c.Method), slog.String("path", c.Path))
		return
	}
	p.Logger.LogAttrs(ctx, slog.LevelWarn, "pave clock skew corrected: "+DescribeSkew(negSat(fixed))+"; fix the machine's clock (NTP)",
		slog.String("method", c.Method), slog.String("path", c.Path),
		slog.String("clock_ahead_by", negSat(fixed).Round(time.Second).String()))
}

// DescribeSkew says how far this machine's clock is from PAVE's, given how
// far it is ahead (negative: behind).
func DescribeSkew(ahead time.Duration) string {
	d, dir := ahead, "ahead of"
	if d < 0 {
		d, dir = negSat(d), "behind"
	}
	if d >= 48*time.Hour {
		return fmt.Sprintf("your clock is %d days %s PAVE's", d/(24*time.Hour), dir)
	}
	return "your clock is " + d.Round(time.Second).String() + " " + dir + " PAVE's"
}

// RedirectPolicy is the CheckRedirect of the SDK's http.Client: only GET
// and HEAD follow redirects (to the same host: a SigningTransport refuses
// to sign for another). Anything else gets the 3xx back, so a POST is never
// re-sent by a redirect (and never turned into a GET by a 301, 302 or
// 303). next is the caller's own policy, consulted for the redirects that
// are followed.
func RedirectPolicy(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
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
