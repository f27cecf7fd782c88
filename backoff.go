package pave

// Retry waits: capped exponential backoff with jitter, and a
// context-aware sleep.

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoffPolicy is a capped exponential backoff. The zero value is not useful; set
// Base and Max.
type backoffPolicy struct {
	// Base is the wait before the first retry (before jitter).
	Base time.Duration
	// Max caps every computed wait.
	Max time.Duration
}

// delay returns the wait before retry number n (1 for the first retry):
// Base*2^(n-1), capped at Max, with "equal jitter" (a random point in the
// upper half), so concurrent clients do not retry in lockstep.
func (p backoffPolicy) delay(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := p.Base
	for i := 1; i < n && d < p.Max; i++ {
		if d > p.Max/2 {
			d = p.Max // doubling would pass Max, or overflow for huge values
			break
		}
		d *= 2
	}
	if p.Max > 0 && d > p.Max {
		d = p.Max
	}
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// sleepCtx waits for d or until ctx is done, whichever is first, and returns
// ctx.Err() in the latter case.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
