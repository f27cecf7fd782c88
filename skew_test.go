package pave_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
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
