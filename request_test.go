package pave_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"testing"

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
