package pave

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/pave-go/pave/internal/transport"
)

// waitConfig is the polling schedule of the waiting helpers.
type waitConfig struct {
	first, interval, max time.Duration
}

// defaultWait polls after 5 s, then every 5 s growing to a minute.
var defaultWait = waitConfig{first: 5 * time.Second, interval: 5 * time.Second, max: 60 * time.Second}

// minPollInterval is the shortest interval PollInterval accepts: anything
// shorter is a unit mistake (5 for 5*time.Second) that would hammer PAVE.
const minPollInterval = 10 * time.Millisecond

// PollFirstAfter sets the wait before the first poll (default 5 s); 0
// polls at once.
func PollFirstAfter(d time.Duration) CallOption {
	return func(c *callConfig) error {
		if d < 0 {
			return fmt.Errorf("%w: PollFirstAfter: %s is negative", ErrInvalidOption, d)
		}
		c.wait.first, c.polls = d, true
		return nil
	}
}

// PollInterval sets the interval between polls: it starts at initial and
// grows by half each poll up to max (defaults 5 s and 60 s). initial must
// be at least 10 ms, and max at least initial.
func PollInterval(initial, max time.Duration) CallOption {
	return func(c *callConfig) error {
		if initial < minPollInterval {
			return fmt.Errorf("%w: PollInterval: initial interval %s is under %s", ErrInvalidOption, initial, minPollInterval)
		}
		if max < initial {
			return fmt.Errorf("%w: PollInterval: max %s is under the initial interval %s", ErrInvalidOption, max, initial)
		}
		c.wait.interval, c.wait.max, c.polls = initial, max, true
		return nil
	}
}

// poll calls check until it reports done or a permanent error, waiting
// between calls as opts say, and returns what check last returned.
// Transient failures that outlast the client's own retries (5xx, 429,
// network) do not end the wait; ctx does. When ctx ends the error wraps
// ctx's error (or the request error carrying it) and names the wait (what),
// how long it lasted, how many polls it made and, if the last poll failed,
// why.
func poll[T any](ctx context.Context, what string, opts []CallOption, check func(context.Context) (T, bool, error)) (T, error) {
	var zero T
	cfg, err := callOptions(opts, true)
	if err != nil {
		return zero, err
	}
	w := cfg.wait
	if ctx != nil && cfg.into != nil {
		ctx = context.WithValue(ctx, ctxKey{}, cfg)
	}
	start, polls := time.Now(), 0
	var last error // the last poll's transient failure, nil if it had none
	ended := func(cause error) error {
		msg := fmt.Sprintf("pave: waiting for %s: gave up after %s and %s", what, time.Since(start).Round(time.Millisecond), countPolls(polls))
		switch {
		case last == nil:
		case errors.Is(last, cause):
			cause = last // the request that ctx cut short
		default:
			return fmt.Errorf("%s (last poll: %v): %w", msg, last, cause)
		}
		return fmt.Errorf("%s: %w", msg, cause)
	}
	wait, interval := w.first, w.interval
	for {
		if err := ctx.Err(); err != nil {
			return zero, ended(err)
		}
		if err := transport.Sleep(ctx, wait); err != nil {
			return zero, ended(err)
		}
		polls++
		v, done, err := check(ctx)
		if done || (err != nil && !transient(err)) {
			return v, err
		}
		last = err
		wait = interval + rand.N(interval/10+1)
		interval = min(interval+interval/2, w.max)
	}
}

func countPolls(n int) string {
	if n == 1 {
		return "1 poll"
	}
	return fmt.Sprintf("%d polls", n)
}

// transient reports whether err is worth polling through: a server error
// (5xx), a rate limit (429), or a request that got no usable answer
// (network failure, timeout), unless it went to a foreign host or the
// answer was unreadable. A request cut short by the caller's context is a
// *RequestError too: poll checks the context itself.
func transient(err error) bool {
	if errors.Is(err, ErrServer) || errors.Is(err, ErrRateLimited) {
		return true
	}
	var re *RequestError
	return errors.As(err, &re) && !errors.Is(err, ErrForeignHost) && !errors.Is(err, ErrBadResponse)
}
