package pave

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDelayIsCappedExponentialWithEqualJitter(t *testing.T) {
	t.Parallel()
	p := backoffPolicy{Base: 100 * time.Millisecond, Max: time.Second}
	tests := []struct {
		n       int
		nominal time.Duration // before jitter
	}{
		{-3, 100 * time.Millisecond},
		{0, 100 * time.Millisecond},
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{3, 400 * time.Millisecond},
		{4, 800 * time.Millisecond},
		{5, time.Second},
		{60, time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			t.Parallel()
			seen := map[time.Duration]bool{}
			for range 200 {
				d := p.delay(tt.n)
				require.GreaterOrEqual(t, d, tt.nominal/2)
				require.LessOrEqual(t, d, tt.nominal)
				seen[d] = true
			}
			assert.Greater(t, len(seen), 1, "no jitter")
		})
	}
}

func TestDelayEdgeCases(t *testing.T) {
	t.Parallel()
	assert.Zero(t, backoffPolicy{}.delay(3))
	assert.Zero(t, backoffPolicy{Max: time.Second}.delay(5), "zero base")
	// No Max: the base is not doubled past itself (Max caps the growth).
	d := backoffPolicy{Base: 10 * time.Millisecond}.delay(4)
	assert.GreaterOrEqual(t, d, 5*time.Millisecond)
	assert.LessOrEqual(t, d, 10*time.Millisecond)
	// Base above Max: Max wins.
	d = backoffPolicy{Base: time.Second, Max: 100 * time.Millisecond}.delay(1)
	assert.GreaterOrEqual(t, d, 50*time.Millisecond)
	assert.LessOrEqual(t, d, 100*time.Millisecond)
	// One nanosecond: half of it rounds down to zero, jitter stays in range.
	for range 20 {
		d := backoffPolicy{Base: 1, Max: 1}.delay(1)
		assert.True(t, d == 0 || d == 1, d)
	}
	// Huge bounds do not overflow.
	huge := backoffPolicy{Base: time.Duration(1 << 61), Max: time.Duration(1<<63 - 1)}
	for n := 3; n < 70; n++ {
		assert.GreaterOrEqual(t, huge.delay(n), huge.Max/2, n)
	}
}

func TestSleep(t *testing.T) {
	t.Parallel()
	require.NoError(t, sleepCtx(context.Background(), 0))
	require.NoError(t, sleepCtx(context.Background(), -time.Second))
	require.NoError(t, sleepCtx(context.Background(), time.Millisecond))

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, sleepCtx(cancelled, 0), context.Canceled)
	// A cancelled context ends an hour-long wait at once (the test would
	// otherwise time out).
	require.ErrorIs(t, sleepCtx(cancelled, time.Hour), context.Canceled)

	ctx, cancel2 := context.WithCancel(context.Background())
	go func() {
		time.Sleep(5 * time.Millisecond)
		cancel2()
	}()
	require.ErrorIs(t, sleepCtx(ctx, time.Hour), context.Canceled)
}
