package transport

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecide is the whole retry rule as a table: how an attempt ended ->
// whether it is sent again, and after how long.
func TestDecide(t *testing.T) {
	t.Parallel()
	p := Policy{MaxRetries: 2, Base: 100 * time.Millisecond, Max: time.Second, MaxRetryAfter: 30 * time.Second,
		Jitter: func(d time.Duration) time.Duration { return d }}
	refused := fmt.Errorf("dial: %w", syscall.ECONNREFUSED)
	reset := fmt.Errorf("read: %w", syscall.ECONNRESET)
	tlsErr := fmt.Errorf("tls: %w", x509.UnknownAuthorityError{})
	tests := []struct {
		name  string
		a     Attempt
		retry bool
		wait  time.Duration
	}{
		{"GET 503", Attempt{N: 1, Method: "GET", Status: 503}, true, 100 * time.Millisecond},
		{"GET 503 second retry doubles", Attempt{N: 2, Method: "GET", Status: 503}, true, 200 * time.Millisecond},
		{"GET 503 out of retries", Attempt{N: 3, Method: "GET", Status: 503}, false, 0},
		{"GET 500 502 504 408", Attempt{N: 1, Method: "GET", Status: 408}, true, 100 * time.Millisecond},
		{"GET 429 with Retry-After", Attempt{N: 1, Method: "GET", Status: 429, RetryAfter: 3 * time.Second}, true, 3 * time.Second},
		{"GET 429 Retry-After capped", Attempt{N: 1, Method: "GET", Status: 429, RetryAfter: time.Hour}, true, 30 * time.Second},
		{"GET 404", Attempt{N: 1, Method: "GET", Status: 404}, false, 0},
		{"GET 400", Attempt{N: 1, Method: "GET", Status: 400}, false, 0},
		{"GET 301", Attempt{N: 1, Method: "GET", Status: 301}, false, 0},
		{"GET network reset", Attempt{N: 1, Method: "GET", Err: reset}, true, 100 * time.Millisecond},
		{"GET timeout", Attempt{N: 1, Method: "GET", Err: context.DeadlineExceeded}, true, 100 * time.Millisecond},
		{"GET bad 2xx", Attempt{N: 1, Method: "GET", Err: fmt.Errorf("x: %w", ErrBadResponse)}, false, 0},
		{"GET unverified certificate", Attempt{N: 1, Method: "GET", Err: tlsErr}, false, 0},
		{"GET permanent", Attempt{N: 1, Method: "GET", Err: Permanent(errors.New("signed as another"))}, false, 0},
		{"PUT 500", Attempt{N: 1, Method: "PUT", Status: 500}, true, 100 * time.Millisecond},
		{"DELETE reset", Attempt{N: 1, Method: "DELETE", Err: reset}, true, 100 * time.Millisecond},
		{"POST 500: PAVE may have acted", Attempt{N: 1, Method: "POST", Acts: true, Status: 500}, false, 0},
		{"POST reset: PAVE may have acted", Attempt{N: 1, Method: "POST", Acts: true, Err: reset}, false, 0},
		{"POST timeout", Attempt{N: 1, Method: "POST", Acts: true, Err: context.DeadlineExceeded}, false, 0},
		{"POST refused: nothing was sent", Attempt{N: 1, Method: "POST", Acts: true, Err: refused}, true, 100 * time.Millisecond},
		{"POST 429: refused before processing", Attempt{N: 1, Method: "POST", Acts: true, Status: 429, RetryAfter: time.Second}, true, time.Second},
		{"POST 503", Attempt{N: 1, Method: "POST", Status: 503}, false, 0},
		{"PUT that texts, 500", Attempt{N: 1, Method: "PUT", Acts: true, Status: 500}, false, 0},
		{"PUT that texts, refused", Attempt{N: 1, Method: "PUT", Acts: true, Err: refused}, true, 100 * time.Millisecond},
		{"POST refused out of retries", Attempt{N: 3, Method: "POST", Acts: true, Err: refused}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			retry, wait := p.Decide(tt.a)
			assert.Equal(t, tt.retry, retry)
			assert.Equal(t, tt.wait, wait)
		})
	}
}

func TestBackoffIsCappedExponentialWithEqualJitter(t *testing.T) {
	t.Parallel()
	p := Policy{Base: 100 * time.Millisecond, Max: time.Second}
	for n, nominal := range map[int]time.Duration{-3: 100 * time.Millisecond, 0: 100 * time.Millisecond,
		1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond,
		5: time.Second, 60: time.Second} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := p.backoff(n)
			require.GreaterOrEqual(t, d, nominal/2)
			require.LessOrEqual(t, d, nominal)
			seen[d] = true
		}
		assert.Greater(t, len(seen), 1, "no jitter")
	}
	assert.Zero(t, Policy{}.backoff(3))
	assert.Zero(t, Policy{Max: time.Second}.backoff(5), "zero base")
	d := Policy{Base: time.Second, Max: 100 * time.Millisecond}.backoff(1)
	assert.LessOrEqual(t, d, 100*time.Millisecond, "Max wins over Base")
	huge := Policy{Base: time.Duration(1 << 61), Max: time.Duration(1<<63 - 1)}
	for n := 3; n < 70; n++ {
		assert.GreaterOrEqual(t, huge.backoff(n), huge.Max/2, "no overflow at %d", n)
	}
}

func TestMayHaveActed(t *testing.T) {
	t.Parallel()
	assert.False(t, MayHaveActed(0, fmt.Errorf("dial: %w", syscall.ECONNREFUSED)))
	assert.True(t, MayHaveActed(0, context.DeadlineExceeded))
	assert.True(t, MayHaveActed(http.StatusBadGateway, nil))
	assert.False(t, MayHaveActed(http.StatusTooManyRequests, nil))
	assert.False(t, MayHaveActed(http.StatusNotFound, nil))
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"": 0, "3": 3 * time.Second, "1.5": 1500 * time.Millisecond, "-1": 0, "NaN": 0, "999999": 24 * time.Hour,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0, "soon": 0,
	} {
		assert.Equal(t, want, RetryAfter(in, now), in)
	}
}

func TestSleep(t *testing.T) {
	t.Parallel()
	require.NoError(t, Sleep(context.Background(), 0))
	require.NoError(t, Sleep(context.Background(), -time.Second))
	require.NoError(t, Sleep(context.Background(), time.Millisecond))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, Sleep(cancelled, 0), context.Canceled)
	require.ErrorIs(t, Sleep(cancelled, time.Hour), context.Canceled)
}
