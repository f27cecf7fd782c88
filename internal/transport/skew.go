package transport

// Clock-skew correction. PAVE refuses a token whose timestamp is more than
// about five minutes from its clock; like AWS's SDKs, a skew above 4
// minutes counts, and at most an hour is corrected (a clock further off is
// a problem to fix, not to paper over). The decision rests on PAVE's Date
// header alone, never on its wording.

import (
	"math"
	"net/http"
	"sync/atomic"
	"time"
)

const (
	skewThreshold = 4 * time.Minute
	maxSkewFix    = time.Hour
)

// Clock is the clock requests are signed with: the local clock plus the
// offset learnt from PAVE (its clock minus the local one).
type Clock struct {
	local  func() time.Time
	offset atomic.Int64 // nanoseconds
	fix    bool
}

// NewClock returns a clock over local that learns PAVE's offset when fix
// is set.
func NewClock(local func() time.Time, fix bool) *Clock {
	return &Clock{local: local, fix: fix}
}

// Now is the signing clock: local time plus the learnt offset.
func (c *Clock) Now() time.Time { return c.local().Add(time.Duration(c.offset.Load())) }

// skewCall is what one call did about the clock: a correction and a drop
// of a kept offset each happen at most once per call.
type skewCall struct {
	corrected, dropped bool
}

// skewVerdict is the decision on a 401.
type skewVerdict struct {
	resend bool
	// ahead is how far the signing clock is ahead of PAVE's (negative:
	// behind) when the 401 showed a skew that was not corrected, else 0.
	ahead time.Duration
	// fixed is the offset kept after a correction (PAVE's clock minus the
	// local one), for the log line.
	fixed time.Duration
}

// on401 decides what a 401 means for the clock:
//
//   - its Date shows the signing clock more than 4 minutes off: when
//     allowed (on, first time this call, within an hour in all) the offset
//     is corrected and the request sent again; otherwise the skew is
//     reported;
//   - it carries no Date while an offset learnt earlier is in use: the
//     offset came from one answer and this refusal is evidence against
//     it, so it is dropped and the request sent again once;
//   - otherwise (a Date agreeing with the signing clock) the 401 has
//     another cause.
func (c *Clock) on401(h http.Header, call *skewCall) skewVerdict {
	date, err := http.ParseTime(h.Get("Date"))
	kept := time.Duration(c.offset.Load())
	if err != nil {
		if kept != 0 && c.fix && !call.dropped {
			call.dropped = true
			c.offset.CompareAndSwap(int64(kept), 0)
			return skewVerdict{resend: true}
		}
		return skewVerdict{}
	}
	// PAVE's clock minus the signing clock, saturating; then minus the
	// local clock: what the offset should be.
	off := date.Sub(c.Now())
	if abs(off) <= skewThreshold {
		return skewVerdict{}
	}
	total := addSat(kept, off)
	if c.fix && !call.corrected && abs(total) <= maxSkewFix {
		call.corrected = true
		c.offset.Store(int64(total))
		return skewVerdict{resend: true, fixed: total}
	}
	return skewVerdict{ahead: negSat(total)}
}

// addSat adds without overflow, saturating at the Duration bounds.
func addSat(a, b time.Duration) time.Duration {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return math.MaxInt64
	case a < 0 && b < 0 && s >= 0:
		return math.MinInt64
	}
	return s
}

// negSat negates without overflow.
func negSat(d time.Duration) time.Duration {
	if d == math.MinInt64 {
		return math.MaxInt64
	}
	return -d
}

func abs(d time.Duration) time.Duration { return max(d, negSat(d)) }
