package pave_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// A redirect in answer to anything but a GET is never followed: a POST is
// not re-sent (307, 308) nor turned into a GET that returns another
// session (301, 302, 303). The caller gets the 3xx, naming where it pointed.
// On the mock transport net/http would follow the redirect through it, so
// a followed hop would be recorded.
func TestRedirectInAnswerToAWriteIsNotFollowed(t *testing.T) {
	t.Parallel()
	ops := []struct {
		method string
		run    func(*pave.Client) error
	}{
		{http.MethodPost, func(c *pave.Client) error {
			_, err := c.Sessions.Create(context.Background(), &pave.CreateSessionRequest{SMS: &pave.SMS{To: "+14165550199"}})
			return err
		}},
		{http.MethodPut, func(c *pave.Client) error {
			_, err := c.Sessions.Update(context.Background(), sessionKey, &pave.UpdateSessionRequest{Session: &pave.SessionSettings{Language: "EN"}})
			return err
		}},
		{http.MethodDelete, func(c *pave.Client) error { return c.Sessions.Delete(context.Background(), sessionKey) }},
	}
	for _, status := range []int{301, 302, 303, 307, 308} {
		for _, op := range ops {
			t.Run(fmt.Sprintf("%d %s", status, op.method), func(t *testing.T) {
				t.Parallel()
				c, mt := pavetest.NewMockClient(t)
				mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
					if r.URL.Path == "/elsewhere" {
						return jsonResponse(http.StatusOK, `{"session_key": "OTH-ERSESSION1"}`), nil
					}
					resp := httpmock.NewStringResponse(status, "")
					resp.Header.Set("Location", "/elsewhere")
					return resp, nil
				})
				err := op.run(c)
				var apiErr *pave.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, status, apiErr.StatusCode)
				assert.Equal(t, "/elsewhere", apiErr.Location)
				assert.Contains(t, err.Error(), "/elsewhere", "the error names where the redirect pointed")
				assert.Equal(t, 1, apiErr.Attempts)
				reqs := pavetest.Sent(mt)
				assert.Len(t, reqs, 1, "only the original request was sent")
				for _, r := range reqs {
					assert.Equal(t, op.method, r.Method)
				}
			})
		}
	}
}

// endless is an endless body of one repeated byte.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// A successful answer of 2 GB, with or without a Content-Length and
// behind gzip, is refused after reading at most MaxResponseSize: peak
// memory stays within about 1.1x that limit, never a doubled buffer.
func TestHugeSuccessfulBodyMemoryIsBounded(t *testing.T) {
	// Not parallel: it measures the process's allocations.
	const huge = int64(2 << 30)
	cases := []struct {
		name  string
		serve func(w http.ResponseWriter)
	}{
		{"Content-Length 2 GB", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", strconv.FormatInt(huge, 10))
			_, _ = io.CopyN(w, endless{}, huge)
		}},
		{"chunked, no length", func(w http.ResponseWriter) {
			_, _ = io.CopyN(w, endless{}, huge)
		}},
		{"gzip", func(w http.ResponseWriter) {
			w.Header().Set("Content-Encoding", "gzip")
			zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
			_, _ = io.CopyN(zw, endless{}, huge)
			_ = zw.Close()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newServerClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				tc.serve(w)
			}), pave.WithMaxRetries(0))
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := c.Sessions.Get(context.Background(), sessionKey)
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, pave.ErrBadResponse)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: allocated %.1f MiB for a limit of %d MiB", tc.name, float64(allocated)/(1<<20), (64<<20)>>20)
			assert.LessOrEqual(t, float64(allocated), 1.1*(64<<20))
			c.CloseIdleConnections()
		})
	}
}

// TestTLSConfigurationErrorsAreNotRetried: a certificate that does not
// verify, or a server that does not speak TLS, fails the same way every
// time: one attempt, a *RequestError naming the cause.
func TestTLSConfigurationErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		start func(*httptest.Server)
	}{
		{"untrusted certificate", (*httptest.Server).StartTLS},
		{"plain HTTP behind an https URL", (*httptest.Server).Start},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var conns atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				t.Error("the handler must not be reached")
			}))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes
			tt.start(srv)
			t.Cleanup(srv.Close)
			base := "https://" + srv.Listener.Addr().String()
			c, err := pave.NewClient(testCreds, pave.WithBaseURL(base), pave.WithRetryBackoff(time.Millisecond, time.Millisecond))
			require.NoError(t, err)
			_, err = c.Sessions.Get(context.Background(), sessionKey)
			var re *pave.RequestError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, 1, re.Attempts, "not retried: %v", err)
			assert.EqualValues(t, 1, conns.Load())
		})
	}
}

// TestHTTPClientTimeoutIsPerAttempt: a caller's http.Client.Timeout bounds
// each attempt like WithTimeout, costs nothing extra per request, and
// fails as the SDK's own per-attempt timeout does.
func TestHTTPClientTimeoutIsPerAttempt(t *testing.T) {
	// Not parallel: AllocsPerRun needs the process to itself.
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/sessions/SLOW" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"session_key": "K-1"}`))
	}))
	t.Cleanup(func() { close(release); srv.Close() })

	timed, err := pave.NewClient(testCreds, pave.WithBaseURL(srv.URL), pave.WithMaxRetries(1),
		pave.WithRetryBackoff(time.Millisecond, time.Millisecond),
		pave.WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}))
	require.NoError(t, err)
	_, err = timed.Sessions.Get(context.Background(), "SLOW")
	var re *pave.RequestError
	require.ErrorAs(t, err, &re)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the SDK's per-attempt deadline, not net/http's timer")
	assert.Equal(t, 2, re.Attempts, "each attempt is bounded, and retried as a timeout is")

	plain, err := pave.NewClient(testCreds, pave.WithBaseURL(srv.URL), pave.WithHTTPClient(&http.Client{}))
	require.NoError(t, err)
	get := func(c *pave.Client) func() {
		return func() {
			if _, err := c.Sessions.Get(context.Background(), "K-1"); err != nil {
				t.Error(err)
			}
		}
	}
	get(timed)() // warm the connections
	get(plain)()
	assert.InDelta(t, testing.AllocsPerRun(50, get(plain)), testing.AllocsPerRun(50, get(timed)), 2,
		"a Timeout on the caller's client adds no allocations")
}
