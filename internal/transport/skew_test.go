package transport

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func dateHeader(t time.Time) http.Header {
	return http.Header{"Date": {t.UTC().Format(http.TimeFormat)}}
}

func TestOn401(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	local := func() time.Time { return now }

	c := NewClock(local, true)
	var call skewCall
	v := c.on401(dateHeader(now.Add(6*time.Minute)), &call)
	assert.True(t, v.resend, "6 minutes off: corrected")
	assert.Equal(t, 6*time.Minute, v.fixed)
	assert.Equal(t, now.Add(6*time.Minute), c.Now())
	v = c.on401(dateHeader(now.Add(20*time.Minute)), &call)
	assert.False(t, v.resend, "one correction per call")
	assert.Equal(t, -20*time.Minute, v.ahead, "the machine's clock, not the corrected one")

	v = c.on401(dateHeader(c.Now()), &skewCall{})
	assert.Equal(t, skewVerdict{}, v, "a Date agreeing with the signing clock: another cause")

	v = c.on401(http.Header{}, &skewCall{dropped: true})
	assert.False(t, v.resend, "dropped once per call")
	v = c.on401(http.Header{}, &skewCall{})
	assert.True(t, v.resend, "no Date while an offset is kept: dropped")
	assert.Equal(t, now, c.Now())
	v = c.on401(http.Header{}, &skewCall{})
	assert.Equal(t, skewVerdict{}, v, "no Date and no offset: nothing to do")

	v = c.on401(dateHeader(now.Add(2*time.Hour)), &skewCall{})
	assert.Equal(t, skewVerdict{ahead: -2 * time.Hour}, v, "more than an hour is reported, not corrected")
	v = c.on401(dateHeader(now.Add(3*time.Minute)), &skewCall{})
	assert.Equal(t, skewVerdict{}, v, "within the window")

	off := NewClock(local, false)
	v = off.on401(dateHeader(now.Add(-10*time.Minute)), &skewCall{})
	assert.Equal(t, skewVerdict{ahead: 10 * time.Minute}, v, "correction off: reported")
}

func TestSkewArithmeticSaturates(t *testing.T) {
	t.Parallel()
	assert.Equal(t, time.Duration(math.MaxInt64), addSat(math.MaxInt64, time.Hour))
	assert.Equal(t, time.Duration(math.MinInt64), addSat(math.MinInt64, -time.Hour))
	assert.Equal(t, time.Duration(math.MaxInt64-int64(time.Hour)), addSat(math.MaxInt64, -time.Hour))
	assert.Equal(t, time.Duration(math.MaxInt64), negSat(math.MinInt64))
	assert.Equal(t, time.Duration(math.MaxInt64), abs(math.MinInt64))
	assert.Equal(t, "your clock is 6m12s behind PAVE's", DescribeSkew(-(6*time.Minute + 12*time.Second)))
	assert.Equal(t, "your clock is 3 days ahead of PAVE's", DescribeSkew(80*time.Hour))
	assert.Equal(t, "your clock is 106751 days behind PAVE's", DescribeSkew(math.MinInt64))
}
