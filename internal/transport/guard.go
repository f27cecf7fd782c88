package transport

// Go's HTTP/2 transport re-sends a request by itself when a server (or a
// proxy) resets its stream with PROTOCOL_ERROR or REFUSED_STREAM or sends
// GOAWAY, even after the server has read it; its HTTP/1 path re-sends an
// idempotent request on a reused connection that failed. Those replays
// happen below the retry policy. A request sent at most once has no
// GetBody, so its body cannot be replayed; the guard below also bounds
// what net/http does with a request, whatever its body, by watching the
// connection it takes and the headers it writes.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
)

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
// names the attempt's request, which the pipeline owns, so that a
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

// Owned reports whether req is the request the pipeline built for the
// attempt whose context it carries (not a redirect's, which net/http
// builds): the only kind a RoundTripper may modify without a copy.
func Owned(req *http.Request) bool {
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
