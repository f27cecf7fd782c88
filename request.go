package pave

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pave-go/pave/internal/endpoint"
)

// Limits of a response body.
const (
	// maxResponseSize bounds a successful body (64 MiB).
	maxResponseSize = 64 << 20
	// maxErrorBodySize bounds what is read and kept of an error body
	// (APIError.Body, 1 MiB).
	maxErrorBodySize = 1 << 20
)

// jsonHeaderValue is the value slice of Accept and Content-Type, shared by
// every request: it is never modified.
var jsonHeaderValue = []string{"application/json"}

// call is one request to one operation of the endpoint table.
type call struct {
	method string
	path   string // escaped, starting with /v1 or /v2
	body   any    // marshalled as JSON when non-nil
	header http.Header
	// acts marks a request that may act on PAVE in a way a repeat would
	// repeat (create something, text a customer): every operation the
	// table marks Acts, and a PUT that changes the SMS. It is sent at most
	// once unless PAVE provably did not process it, at every layer: no
	// retry of ours, no replay by net/http, no redirect.
	acts bool
	// goneIsDone makes a retried DELETE that finds nothing (404) after an
	// attempt whose outcome is unknown a success: the first attempt most
	// likely removed it, and either way it is gone.
	goneIsDone bool
	// secrets are values this request carries that must never appear in
	// an error (a webhook secret in a callback's headers).
	secrets []string
}

// newCall returns the call of operation ep with its path parameters args
// (escaped here) and body (nil for none).
func newCall(ep *endpoint.Endpoint, body any, args ...string) call {
	return call{method: ep.Method, path: ep.Path(args...), body: body, acts: ep.Acts, goneIsDone: ep.GoneIsDone}
}

// once reports whether the call may reach PAVE at most once.
func (cl *call) once() bool { return cl.acts || !idempotent(cl.method) }

// result is a successful exchange.
type result struct {
	// Body is the 2xx body, scrubbed of echoed credentials.
	Body []byte
	// Status is the 2xx status.
	Status int
	// Attempts is how many times the request was sent, for errors a caller
	// builds from a 2xx body it cannot use.
	Attempts int
	// tokens are the API-Tokens the successful attempt sent.
	tokens []string
}

// badResponse returns the *RequestError (matching ErrBadResponse) for a
// 2xx answer to cl that could not be used.
func (r result) badResponse(cl call, err error) *RequestError {
	return &RequestError{Method: cl.method, Path: cl.path, Attempts: r.Attempts,
		Err: fmt.Errorf("%w: %w", ErrBadResponse, err)}
}

// do is the request pipeline, the one way every operation reaches PAVE: it
// encodes the body, sends attempts (each signed afresh below, each read
// bounded and scrubbed) under the retry policy, and returns the 2xx body,
// which the operation decodes, or the last typed error.
func (c *Client) do(ctx context.Context, cl call) (result, error) {
	if ctx == nil {
		return result{}, errors.New("pave: nil context")
	}
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			return result{}, fmt.Errorf("pave: %s %s: encoding request: %w", cl.method, cl.path, err)
		}
	}
	target := c.baseURL + cl.path
	var lastErr error
	// mayHaveActed: an earlier attempt reached PAVE and its outcome is
	// unknown (no answer, or a 5xx).
	mayHaveActed := false
	// skewFixed: this call was sent once more with the clock corrected,
	// which does not count against the retry budget.
	skewFixed := 0
	for attempt := 1; ; attempt++ {
		// net/http's Transport checks the context, a custom RoundTripper
		// may not: never start an attempt for a context that has ended.
		if err := ctx.Err(); err != nil {
			return result{Attempts: attempt}, &RequestError{Method: cl.method, Path: cl.path, Attempts: attempt, Err: err, Last: lastErr}
		}
		start := time.Now()
		res, err := c.attempt(ctx, &cl, target, payload)
		status := 0
		if res != nil {
			status = res.status
		}
		if c.logger.Enabled(ctx, slog.LevelDebug) {
			c.logger.LogAttrs(ctx, slog.LevelDebug, "pave request",
				slog.String("method", cl.method), slog.String("path", cl.path),
				slog.Int("status", status), slog.Int("attempt", attempt),
				slog.String("duration", time.Since(start).String()))
		}

		if err == nil && res.status >= 200 && res.status <= 299 {
			body := c.scrubber.SuccessData(res.body, res.tokens)
			return result{Body: body, Status: res.status, Attempts: attempt, tokens: res.tokens}, nil
		}
		if err == nil && res.status == http.StatusNotFound && cl.goneIsDone && mayHaveActed {
			c.logger.LogAttrs(ctx, slog.LevelInfo, "pave: retried DELETE found nothing; an earlier attempt removed it",
				slog.String("method", cl.method), slog.String("path", cl.path), slog.Int("attempt", attempt))
			return result{Attempts: attempt}, nil
		}

		var retry bool
		var wait time.Duration
		if err != nil {
			if ctx.Err() != nil {
				return result{Attempts: attempt}, &RequestError{Method: cl.method, Path: cl.path, Attempts: attempt, Err: ctx.Err(), Last: lastErr}
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
			apiErr.scrub(c.scrubber, cl.diagnosticSecrets(res.tokens))
			if res.status == http.StatusUnauthorized && c.correctSkew(ctx, &cl, res.header, apiErr, skewFixed == 0) {
				// PAVE refused the token before doing anything: safe
				// to send again at once, a POST included.
				skewFixed++
				lastErr = apiErr
				continue
			}
			lastErr = apiErr
			retry = retryableStatus(cl.once(), res.status)
			wait = apiErr.RetryAfter
			mayHaveActed = mayHaveActed || res.status >= 500
		}
		if !retry || attempt-skewFixed > c.maxRetries {
			return result{Attempts: attempt}, lastErr
		}
		if wait <= 0 {
			wait = c.policy.delay(attempt)
		} else if wait > c.maxRetryAft {
			wait = c.maxRetryAft
		}
		c.logger.LogAttrs(ctx, slog.LevelInfo, "pave retry",
			slog.String("method", cl.method), slog.String("path", cl.path),
			slog.Int("status", status), slog.Int("attempt", attempt),
			slog.String("wait", wait.String()))
		if err := sleepCtx(ctx, wait); err != nil {
			return result{Attempts: attempt}, &RequestError{Method: cl.method, Path: cl.path, Attempts: attempt, Err: err, Last: lastErr}
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

// attempt sends the request once under the per-attempt timeout and reads the body
// completely (bounded) before returning, so the connection can be reused.
func (c *Client) attempt(ctx context.Context, cl *call, target string, payload []byte) (*response, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	actx, guard := guardWire(actx, cancel, cl.once())
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, target, body)
	if err != nil {
		return nil, err
	}
	guard.owned = req
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
		return nil, guard.explain(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 {
		// 101 Switching Protocols hands over the raw connection as the
		// body, which no timeout bounds: never read it.
		return nil, fmt.Errorf("%w: unexpected %d %s", ErrBadResponse, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	res := &response{status: resp.StatusCode, header: resp.Header, tokens: sentTokens(resp)}
	limit := int64(maxResponseSize)
	if resp.StatusCode > 299 {
		limit = maxErrorBodySize
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

// Go's HTTP/2 transport re-sends a request by itself when a server (or a
// proxy) resets its stream with PROTOCOL_ERROR or REFUSED_STREAM or sends
// GOAWAY, even after the server has read it; its HTTP/1 path re-sends an
// idempotent request on a reused connection that failed. Those replays
// happen below the SDK's retry policy. A request sent at most once has no
// GetBody, so its body cannot be replayed; the guard below also bounds
// what net/http does with a request, whatever its body, by watching the
// connection it takes and the headers it writes.

// Why the guard stopped an attempt.
var (
	errReplayStopped = errors.New("the connection failed after the request was sent and net/http was about to send it again; stopped")
	errDialLoop      = errors.New("every connection net/http opened was closed before the request could be sent")
)

// maxConnsPerAttempt bounds the connections one attempt may take.
const maxConnsPerAttempt = 4

// wireGuard counts, for one attempt, the connections net/http takes and
// the times it writes the request's headers, and cancels the attempt
// before a write beyond maxWrites: 1 for a request sent at most once, 2 for
// an idempotent one (net/http may replay it once, never in a loop). It also
// names the attempt's request, which the pipeline owns, so that
// SigningTransport signs it in place instead of cloning it.
type wireGuard struct {
	cancel    context.CancelFunc // the attempt's own
	maxWrites int32
	writes    atomic.Int32
	conns     atomic.Int32
	stopped   atomic.Pointer[error] // why the guard cancelled, if it did
	owned     *http.Request
	trace     httptrace.ClientTrace
}

// guardKey is the context key of an attempt's *wireGuard.
type guardKey struct{}

// guardWire returns ctx with the guard's trace installed; cancel is the
// attempt's cancel function, which the guard calls to stop it.
func guardWire(ctx context.Context, cancel context.CancelFunc, once bool) (context.Context, *wireGuard) {
	g := &wireGuard{cancel: cancel, maxWrites: 2}
	if once {
		g.maxWrites = 1
	}
	g.trace = httptrace.ClientTrace{
		GetConn: func(string) {
			if g.conns.Add(1) > maxConnsPerAttempt {
				g.stop(errDialLoop)
			}
		},
		// GotConn comes before every write, on both protocols (HTTP/2
		// reports it for each of its own retries).
		GotConn: func(httptrace.GotConnInfo) {
			if g.writes.Load() >= g.maxWrites {
				g.stop(errReplayStopped)
			}
		},
		WroteHeaders: func() { g.writes.Add(1) },
	}
	return context.WithValue(httptrace.WithClientTrace(ctx, &g.trace), guardKey{}, g), g
}

// stop cancels the attempt for reason.
func (g *wireGuard) stop(reason error) {
	g.stopped.CompareAndSwap(nil, &reason)
	g.cancel()
}

// ownedBy reports whether req is the request the pipeline built for the
// attempt whose context it carries (not a redirect's, which net/http
// builds): the only kind SigningTransport may sign without a copy.
func ownedBy(req *http.Request) bool {
	g, _ := req.Context().Value(guardKey{}).(*wireGuard)
	return g != nil && g.owned == req
}

// explain turns the error of a failed round trip into what happened: the
// guard's reason when it stopped the attempt, and for a request sent at
// most once that reached the wire, that PAVE may have processed it.
func (g *wireGuard) explain(err error) error {
	if cause := g.stopped.Load(); cause != nil {
		return fmt.Errorf("%w (%d connections, %d sent)", *cause, g.conns.Load(), g.writes.Load())
	}
	if g.maxWrites == 1 && g.writes.Load() > 0 {
		return fmt.Errorf("no answer after the request was sent (PAVE may have processed it, so it was not sent again): %w", err)
	}
	return err
}
