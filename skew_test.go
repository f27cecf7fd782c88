package pave_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// skewedServer is a fake PAVE whose clock runs off from this machine's by
// serverAhead, as PAVE's would for a machine whose clock drifted.
func skewedServer(t *testing.T, serverAhead time.Duration) *pavetest.Server {
	t.Helper()
	return pavetest.NewServer(t, pavetest.WithClock(func() time.Time { return time.Now().Add(serverAhead) }))
}

// countRequests counts the API requests the fake received for method and path.
func countRequests(srv *pavetest.Server, method, path string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func TestClockSkewCorrection(t *testing.T) {
	t.Parallel()
	for _, serverAhead := range []time.Duration{6*time.Minute + 12*time.Second, -(6*time.Minute + 12*time.Second), 59 * time.Minute} {
		t.Run(serverAhead.String(), func(t *testing.T) {
			t.Parallel()
			srv := skewedServer(t, serverAhead)
			log, buf := debugLogger()
			// This machine's clock, not the fake's: the client must learn
			// the difference from PAVE's answers.
			client, err := pave.NewClient(srv.Credentials(), pave.WithBaseURL(srv.URL), pave.WithLogger(log))
			require.NoError(t, err)
			ctx := context.Background()

			// A POST: refused for its timestamp, corrected, sent once more.
			sess, err := client.Sessions.Create(ctx, &pave.CreateSessionRequest{SMS: &pave.SMS{To: "+14165550199"}})
			require.NoError(t, err)
			assert.Equal(t, 2, countRequests(srv, http.MethodPost, "/v1/sessions"), "the first call: exactly two requests")
			// The first was refused before anything was done: one session.
			_, err = srv.Session(sess.SessionKey)
			require.NoError(t, err)

			// The next call is right the first time.
			_, err = client.Sessions.Get(ctx, sess.SessionKey)
			require.NoError(t, err)
			assert.Equal(t, 1, countRequests(srv, http.MethodGet, "/v1/sessions/"+sess.SessionKey), "the next call: one request")

			var warned []map[string]any
			for _, rec := range buf.records(t) {
				if m, _ := rec["msg"].(string); strings.HasPrefix(m, "pave clock skew corrected") {
					warned = append(warned, rec)
				}
			}
			require.Len(t, warned, 1, "the correction is logged once, at warn")
			assert.Equal(t, "WARN", warned[0]["level"])
			ahead, err := time.ParseDuration(warned[0]["clock_ahead_by"].(string))
			require.NoError(t, err)
			assert.InDelta(t, (-serverAhead).Seconds(), ahead.Seconds(), 1.5)
		})
	}
}

func TestClockSkewNotCorrected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		serverAhead time.Duration
		opts        []pave.Option
		creds       func(pave.Credentials) pave.Credentials
		wantMsg     string
		wantSkew    bool // the error names the skew
	}{
		{name: "correction off", serverAhead: -(6*time.Minute + 12*time.Second),
			opts: []pave.Option{pave.WithClockSkewCorrection(false)}, wantMsg: "API-Token has expired.", wantSkew: true},
		{name: "more than an hour", serverAhead: 3 * time.Hour, wantMsg: "API-Token has expired.", wantSkew: true},
		{name: "a wrong secret without skew", creds: func(c pave.Credentials) pave.Credentials { c.APISecret = "not-the-secret-at-all"; return c },
			wantMsg: "Invalid API-Token."},
		{name: "a wrong secret, clock within the window", serverAhead: 3 * time.Minute,
			creds: func(c pave.Credentials) pave.Credentials { c.APISecret = "not-the-secret-at-all"; return c }, wantMsg: "Invalid API-Token."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := skewedServer(t, tt.serverAhead)
			creds := srv.Credentials()
			if tt.creds != nil {
				creds = tt.creds(creds)
			}
			client, err := pave.NewClient(creds, append([]pave.Option{pave.WithBaseURL(srv.URL)}, tt.opts...)...)
			require.NoError(t, err)
			_, err = client.Sessions.Create(context.Background(), nil)
			require.ErrorIs(t, err, pave.ErrUnauthorized)
			var apiErr *pave.APIError
			require.True(t, errors.As(err, &apiErr))
			assert.Equal(t, tt.wantMsg, apiErr.Message)
			assert.Equal(t, 1, countRequests(srv, http.MethodPost, "/v1/sessions"), "never sent twice")
			assert.Contains(t, err.Error(), "likely causes: ")
			if tt.wantSkew {
				assert.InDelta(t, (-tt.serverAhead).Seconds(), apiErr.ClockSkew.Seconds(), 1.5)
				dir := "ahead of"
				if tt.serverAhead > 0 {
					dir = "behind"
				}
				assert.Regexp(t, `your clock is [0-9hms]+ `+dir+` PAVE's`, err.Error())
			} else {
				assert.Zero(t, apiErr.ClockSkew)
				assert.NotContains(t, err.Error(), "your clock is")
			}
		})
	}
}

// TestClockSkewCorrectedOnlyOncePerCall: a 401 that persists after the
// correction (a wrong secret on a skewed machine) is returned, not looped.
func TestClockSkewCorrectedOnlyOncePerCall(t *testing.T) {
	t.Parallel()
	srv := skewedServer(t, 10*time.Minute)
	creds := srv.Credentials()
	creds.APISecret = "not-the-secret-at-all"
	client, err := pave.NewClient(creds, pave.WithBaseURL(srv.URL))
	require.NoError(t, err)
	_, err = client.Webhooks.List(context.Background())
	require.ErrorIs(t, err, pave.ErrUnauthorized)
	var apiErr *pave.APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, "Invalid API-Token.", apiErr.Message, "after the correction, the real cause")
	assert.Equal(t, 2, countRequests(srv, http.MethodGet, "/v1/callbacks"))
	assert.Equal(t, 2, apiErr.Attempts)
}

// TestClockSkewFromAbsurdDates: a 401 whose Date is at the end of time
// (year 1, year 9999) says the truth about direction, with or without an
// offset kept from an earlier correction, and nothing overflows.
func TestClockSkewFromAbsurdDates(t *testing.T) {
	t.Parallel()
	for _, kept := range []time.Duration{0, -59 * time.Minute, 59 * time.Minute} {
		for date, ahead := range map[string]bool{
			"Mon, 01 Jan 0001 00:00:00 GMT": true,  // PAVE says year 1: this clock is ahead
			"Fri, 31 Dec 9999 23:59:59 GMT": false, // PAVE says year 9999: this clock is behind
		} {
			t.Run(kept.String()+"/"+date[12:16], func(t *testing.T) {
				t.Parallel()
				var requests atomic.Int32
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					n := requests.Add(1)
					if n == 1 && kept != 0 {
						// Teach the client an offset first.
						w.Header().Set("Date", time.Now().Add(-kept).UTC().Format(http.TimeFormat))
						w.WriteHeader(http.StatusUnauthorized)
						_, _ = w.Write([]byte(`{"message": "API-Token has expired."}`))
						return
					}
					if n == 2 && kept != 0 {
						_, _ = w.Write([]byte(`{"api_key": "k", "data": []}`))
						return
					}
					w.Header().Set("Date", date)
					w.WriteHeader(http.StatusUnauthorized)
					_, _ = w.Write([]byte(`{"message": "API-Token has expired."}`))
				}))
				t.Cleanup(srv.Close)
				client, err := pave.NewClient(testCreds, pave.WithBaseURL(srv.URL))
				require.NoError(t, err)
				if kept != 0 {
					_, err := client.Webhooks.List(context.Background())
					require.NoError(t, err, "the offset is learned")
				}
				_, err = client.Webhooks.List(context.Background())
				var apiErr *pave.APIError
				require.ErrorAs(t, err, &apiErr)
				if ahead {
					assert.Positive(t, apiErr.ClockSkew, "this clock is ahead of year 1")
					assert.Contains(t, err.Error(), "ahead of PAVE's")
				} else {
					assert.Negative(t, apiErr.ClockSkew, "this clock is behind year 9999")
					assert.Contains(t, err.Error(), "behind PAVE's")
				}
				assert.NotContains(t, err.Error(), "clock is -")
			})
		}
	}
}

// TestPoisonedClockOffsetHeals: an offset learned from one answer (a proxy
// with a wrong clock) does not outlive evidence against it: a later 401
// that carries no Date drops it, and the request is sent once more with the
// machine's own clock.
func TestPoisonedClockOffsetHeals(t *testing.T) {
	t.Parallel()
	var poisoned atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if poisoned.CompareAndSwap(false, true) {
			w.Header().Set("Date", time.Now().Add(59*time.Minute).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message": "API-Token has expired."}`))
			return
		}
		ts, err := time.Parse(pave.TimestampLayout, r.Header.Get(pave.HeaderAPITimestamp))
		w.Header()["Date"] = nil // PAVE's real answers may carry none
		if err != nil || time.Since(ts).Abs() > 5*time.Minute {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message": "API-Token has expired."}`))
			return
		}
		_, _ = w.Write([]byte(`{"api_key": "k", "data": []}`))
	}))
	t.Cleanup(srv.Close)
	client, err := pave.NewClient(testCreds, pave.WithBaseURL(srv.URL))
	require.NoError(t, err)
	ok := 0
	for range 5 {
		if _, err := client.Webhooks.List(context.Background()); err == nil {
			ok++
		}
	}
	assert.Equal(t, 5, ok, "every call succeeds once the poisoned offset is dropped")
}
