package pave

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// WaitOption tunes the waiting helpers (Sessions.WaitForResults,
// Hotspots.WaitForResults). Like an Option it validates its argument: the
// helper returns its error before polling.
type WaitOption func(*waitConfig) error

type waitConfig struct {
	first, interval, max time.Duration
}

// minPollInterval is the shortest interval PollInterval accepts: anything
// shorter is a unit mistake (5 for 5*time.Second) that would hammer PAVE.
const minPollInterval = 10 * time.Millisecond

// PollFirstAfter sets the wait before the first poll (default 5 s); 0
// polls at once.
func PollFirstAfter(d time.Duration) WaitOption {
	return func(w *waitConfig) error {
		if d < 0 {
			return fmt.Errorf("%w: PollFirstAfter: %s is negative", ErrInvalidOption, d)
		}
		w.first = d
		return nil
	}
}

// PollInterval sets the interval between polls: it starts at initial and
// grows by half each poll up to max (defaults 5 s and 60 s). initial must
// be at least 10 ms, and max at least initial.
func PollInterval(initial, max time.Duration) WaitOption {
	return func(w *waitConfig) error {
		if initial < minPollInterval {
			return fmt.Errorf("%w: PollInterval: initial interval %s is under %s", ErrInvalidOption, initial, minPollInterval)
		}
		if max < initial {
			return fmt.Errorf("%w: PollInterval: max %s is under the initial interval %s", ErrInvalidOption, max, initial)
		}
		w.interval, w.max = initial, max
		return nil
	}
}

// poll calls check until it reports done or a non-transient error, waiting
// between calls as opts say. what names the wait in a context error.
// Transient failures that outlast the client's own retries (5xx, 429,
// network) do not end the wait; ctx does.
func poll[T any](ctx context.Context, what string, opts []WaitOption, check func() (T, bool, error)) (T, error) {
	var zero T
	w := waitConfig{first: 5 * time.Second, interval: 5 * time.Second, max: 60 * time.Second}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&w); err != nil {
			return zero, err
		}
	}
	wait, interval := w.first, w.interval
	for {
		if err := sleepCtx(ctx, wait); err != nil {
			return zero, fmt.Errorf("pave: waiting for %s: %w", what, err)
		}
		v, done, err := check()
		if done || (err != nil && !transient(ctx, err)) {
			return v, err
		}
		wait = interval + rand.N(interval/10+1)
		interval = min(interval+interval/2, w.max)
	}
}

// transient reports whether err is worth polling through.
func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if errors.Is(err, ErrServer) || errors.Is(err, ErrRateLimited) {
		return true
	}
	var re *RequestError
	return errors.As(err, &re) && !errors.Is(err, ErrForeignHost) && !errors.Is(err, ErrBadResponse)
}
