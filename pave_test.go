package pave_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/nettest"
	"github.com/pave-go/pave/pavetest"
)

func TestWithBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url     string
		wantErr string // substring; "" means accepted
		want    string // BaseURL() when accepted
	}{
		{"https://openapi.paveapi.com", "", "https://openapi.paveapi.com"},
		{"https://openapi.paveapi.com/", "", "https://openapi.paveapi.com"},
		{" https://pave.internal.example/proxy/ ", "", "https://pave.internal.example/proxy"},
		{"http://localhost:8080", "", "http://localhost:8080"},
		{"http://LOCALHOST", "", "http://LOCALHOST"},
		{"http://fake.localhost:9000", "loopback", ""}, // resolved through DNS by Go: not loopback
		{"http://evil.localhost", "loopback", ""},
		{"http://127.0.0.1:9999", "", "http://127.0.0.1:9999"},
		{"http://127.8.9.10", "", "http://127.8.9.10"},
		{"http://[::1]:8080", "", "http://[::1]:8080"},
		{"http://openapi.paveapi.com", "loopback", ""},
		{"http://10.0.0.7:8080", "loopback", ""},
		{"http://localhost.evil.example", "loopback", ""},
		{"http://[::2]:8080", "loopback", ""},
		{"ftp://openapi.paveapi.com", "absolute https", ""},
		{"openapi.paveapi.com", "absolute https", ""},
		{"/v1", "absolute https", ""},
		{"", "absolute https", ""},
		{"https://", "absolute https", ""},
		{"https://user:pw@openapi.paveapi.com", "user information", ""},
		{"https://openapi.paveapi.com?x=1", "query or fragment", ""},
		{"https://openapi.paveapi.com#top", "query or fragment", ""},
		{"https://openapi.paveapi.com?", "query or fragment", ""},
		{"https://openapi.paveapi.com#", "query or fragment", ""},
		{"https://openapi.paveapi.com/pave?", "query or fragment", ""},
		{"http://[::1", "invalid base URL", ""},
		{"https://svc:pw@[::1", "invalid base URL", ""},
		{"https://svc:pw@openapi.paveapi.com/%zz", "invalid base URL", ""},
		// Opaque URLs (no "//"): the user information is still a password.
		{"svc:pw@openapi.paveapi.com", "absolute https", ""},
		{"https:svc:pw@openapi.paveapi.com", "absolute https", ""},
		{"https:svc:pw@openapi.paveapi.com/x?y#z", "absolute https", ""},
		{"svc:pw@", "absolute https", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			c, err := pave.NewClient(testCreds, pave.WithBaseURL(tt.url))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.Nil(t, c)
				assert.NotContains(t, err.Error(), "pw", "the error never echoes a password")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.BaseURL())
		})
	}
}

func TestDefaultBaseURL(t *testing.T) {
	t.Parallel()
	c, err := pave.NewClient(testCreds)
	require.NoError(t, err)
	assert.Equal(t, pave.DefaultBaseURL, c.BaseURL())
	assert.NotNil(t, c.Sessions)
	assert.NotNil(t, c.Webhooks)
	assert.NotNil(t, c.Hotspots)
}

func TestBaseURLPathPrefixIsKept(t *testing.T) {
	t.Parallel()
	// pavetest.MockTransport drops a base path prefix before its responders
	// and its record see the request, so the prefix is checked on a plain
	// httpmock transport, recording what its responder saw.
	var saw []pavetest.Request
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		saw = append(saw, serverSaw(r))
		return jsonResponse(200, `{"session_key":"`+sessionKey+`"}`), nil
	})
	c, err := pave.NewClient(testCreds, pave.WithHTTPClient(&http.Client{Transport: mt}),
		pave.WithBaseURL("https://gateway.example.com/pave/"))
	require.NoError(t, err)
	_, err = c.Sessions.Get(context.Background(), sessionKey)
	require.NoError(t, err)
	require.Len(t, saw, 1)
	assert.Equal(t, "/pave/v1/sessions/"+sessionKey, requestURI(saw[0]))
}

func TestOptionValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opt     pave.Option
		wantErr string
	}{
		{"nil http client", pave.WithHTTPClient(nil), "nil *http.Client"},
		{"zero timeout", pave.WithTimeout(0), "WithTimeout"},
		{"negative timeout", pave.WithTimeout(-time.Second), "WithTimeout"},
		{"positive timeout", pave.WithTimeout(time.Millisecond), ""},
		{"retries -1", pave.WithMaxRetries(-1), "WithMaxRetries"},
		{"retries 11", pave.WithMaxRetries(11), "WithMaxRetries"},
		{"retries 0", pave.WithMaxRetries(0), ""},
		{"retries 10", pave.WithMaxRetries(10), ""},
		{"negative backoff base", pave.WithRetryBackoff(-time.Millisecond, time.Second), "WithRetryBackoff"},
		{"backoff max below base", pave.WithRetryBackoff(time.Second, time.Millisecond), "WithRetryBackoff"},
		{"zero backoff", pave.WithRetryBackoff(0, 0), ""},
		{"negative retry-after cap", pave.WithMaxRetryAfter(-time.Second), "WithMaxRetryAfter"},
		{"zero retry-after cap", pave.WithMaxRetryAfter(0), ""},
		{"empty user agent", pave.WithUserAgent(""), "WithUserAgent"},
		{"blank user agent", pave.WithUserAgent("   "), "WithUserAgent"},
		{"user agent with newline", pave.WithUserAgent("crm/1\r\nX-Evil: 1"), "WithUserAgent"},
		{"user agent", pave.WithUserAgent("dealercrm/2.1"), ""},
		{"nil logger", pave.WithLogger(nil), ""},
		{"nil clock", pave.WithClock(nil), "WithClock"},
		{"empty access token", pave.WithAccessToken(""), "WithAccessToken"},
		{"access token with newline", pave.WithAccessToken("tok\nX: y"), "WithAccessToken"},
		{"access token", pave.WithAccessToken("v2-token"), ""},
		{"nil option", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := pave.NewClient(testCreds, tt.opt)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NotNil(t, c)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			assert.Nil(t, c)
		})
	}
}

func TestWithHTTPClientIsNotModified(t *testing.T) {
	t.Parallel()
	mt := pavetest.NewMockTransport()
	mt.RegisterNoResponder(jsonResponder(200, `{"session_key":"`+sessionKey+`"}`))
	hc := &http.Client{Transport: mt, Timeout: time.Minute}
	c, err := pave.NewClient(testCreds, pave.WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = c.Sessions.Get(context.Background(), sessionKey)
	require.NoError(t, err)
	assert.Same(t, mt, hc.Transport, "the caller's http.Client was modified")
	assert.Equal(t, time.Minute, hc.Timeout)
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestDefaultTransportAndHTTPClientWithoutTransport(t *testing.T) {
	t.Parallel()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"session_key":"`+sessionKey+`"}`)
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for name, opts := range map[string][]pave.Option{
		"default transport":              {pave.WithBaseURL(srv.URL)},
		"http client with nil transport": {pave.WithBaseURL(srv.URL), pave.WithHTTPClient(&http.Client{})},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := pave.NewClient(testCreds, opts...)
			require.NoError(t, err)
			s, err := c.Sessions.Get(context.Background(), sessionKey)
			require.NoError(t, err)
			assert.Equal(t, sessionKey, s.SessionKey)
		})
	}
}

func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t, pave.WithUserAgent("dealercrm/2.1"))
	mt.RegisterNoResponder(jsonResponder(200, `{"session_key":"`+sessionKey+`"}`))
	ctx := context.Background()
	_, err := c.Sessions.Get(ctx, sessionKey)
	require.NoError(t, err)
	_, err = c.Sessions.Create(ctx, nil)
	require.NoError(t, err)
	_, err = c.Sessions.Update(ctx, sessionKey, &pave.UpdateSessionRequest{Session: &pave.SessionSettings{Language: pave.LanguageEN}})
	require.NoError(t, err)
	require.NoError(t, c.Sessions.Delete(ctx, sessionKey))

	reqs := pavetest.Sent(mt)
	require.Len(t, reqs, 4)
	for _, r := range reqs {
		assert.Equal(t, "application/json", r.Header.Get("Accept"), r.Method)
		ua := r.Header.Get("User-Agent")
		assert.True(t, strings.HasPrefix(ua, "dealercrm/2.1 pave-go/"+pave.Version+" ("), "User-Agent %q", ua)
		if r.Method == http.MethodPost || r.Method == http.MethodPut {
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"), r.Method)
		} else {
			assert.Empty(t, r.Header.Get("Content-Type"), r.Method)
			assert.Empty(t, r.Body, r.Method)
		}
	}
	assert.JSONEq(t, `{}`, string(reqs[1].Body), "nil create request sends an empty object")
}

func TestNilContext(t *testing.T) {
	t.Parallel()
	c, mt := noNetworkClient(t)
	var ctx context.Context
	_, err := c.Sessions.Get(ctx, sessionKey)
	require.ErrorContains(t, err, "nil context")
	assert.Empty(t, pavetest.Sent(mt))
}

// Idempotent methods against a mock that always fails with status.
func TestIdempotentMethodsRetryTransientStatuses(t *testing.T) {
	t.Parallel()
	methods := map[string]func(*pave.Client) error{
		http.MethodGet: func(c *pave.Client) error {
			_, err := c.Sessions.Get(context.Background(), sessionKey)
			return err
		},
		http.MethodPut: func(c *pave.Client) error {
			_, err := c.Sessions.Update(context.Background(), sessionKey,
				&pave.UpdateSessionRequest{Session: &pave.SessionSettings{Language: "EN"}})
			return err
		},
		http.MethodDelete: func(c *pave.Client) error {
			return c.Sessions.Delete(context.Background(), sessionKey)
		},
	}
	tests := []struct {
		status    int
		retried   bool
		sentinels []error
	}{
		{408, true, nil},
		{429, true, []error{pave.ErrRateLimited}},
		{500, true, []error{pave.ErrServer}},
		{502, true, []error{pave.ErrServer}},
		{503, true, []error{pave.ErrServer}},
		{504, true, []error{pave.ErrServer}},
		{400, false, nil},
		{401, false, []error{pave.ErrUnauthorized}},
		{403, false, []error{pave.ErrUnauthorized}},
		{404, false, []error{pave.ErrNotFound}},
		{501, false, []error{pave.ErrServer}},
	}
	for method, call := range methods {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s %d", method, tt.status), func(t *testing.T) {
				t.Parallel()
				c, mt := pavetest.NewMockClient(t)
				mt.RegisterNoResponder(jsonResponder(tt.status, `{"message":"status `+fmt.Sprint(tt.status)+`"}`))
				err := call(c)
				var apiErr *pave.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tt.status, apiErr.StatusCode)
				assert.Equal(t, method, apiErr.Method)
				assert.Equal(t, "/v1/sessions/"+sessionKey, apiErr.Path)
				want := 1
				if tt.retried {
					want = 2 + 1
				}
				reqs := pavetest.Sent(mt)
				assert.Len(t, reqs, want, "requests sent")
				assert.Equal(t, want, apiErr.Attempts)
				for _, s := range tt.sentinels {
					assert.ErrorIs(t, err, s)
				}
				for _, r := range reqs {
					assert.Equal(t, method, r.Method)
				}
			})
		}
	}
}

func TestRetryThenSuccess(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodGet, mockBase+"/v1/sessions/"+sessionKey, sequence(
		jsonResponder(500, `{"message":"Server Error"}`),
		httpmock.NewErrorResponder(errors.New("connection reset by peer")),
		jsonResponder(200, `{"session_key":"`+sessionKey+`","status":"IDLE"}`),
	))
	s, err := c.Sessions.Get(context.Background(), sessionKey)
	require.NoError(t, err)
	assert.Equal(t, pave.StatusIdle, s.Status)
	assert.Len(t, sentTo(mt, http.MethodGet, "/v1/sessions/"+sessionKey), 3)
}

func TestWithMaxRetries(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 4} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			c, mt := pavetest.NewMockClient(t, pave.WithMaxRetries(n))
			mt.RegisterNoResponder(jsonResponder(503, `{}`))
			_, err := c.Sessions.Get(context.Background(), sessionKey)
			var apiErr *pave.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, n+1, apiErr.Attempts)
			assert.Equal(t, n+1, mt.GetTotalCallCount())
		})
	}
}

func TestIdempotentMethodsRetryNetworkErrors(t *testing.T) {
	t.Parallel()
	netErr := errors.New("read tcp: connection reset by peer")
	calls := map[string]func(*pave.Client) error{
		http.MethodGet: func(c *pave.Client) error {
			_, err := c.Sessions.Photos(context.Background(), sessionKey)
			return err
		},
		http.MethodPut: func(c *pave.Client) error {
			_, err := c.Sessions.Update(context.Background(), sessionKey, &pave.UpdateSessionRequest{})
			return err
		},
		http.MethodDelete: func(c *pave.Client) error { return c.Sessions.Delete(context.Background(), sessionKey) },
	}
	for method, call := range calls {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			c, mt := pavetest.NewMockClient(t)
			mt.RegisterNoResponder(httpmock.NewErrorResponder(netErr))
			err := call(c)
			require.ErrorIs(t, err, netErr)
			var re *pave.RequestError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, 3, re.Attempts)
			assert.Equal(t, method, re.Method)
			assert.Len(t, pavetest.Sent(mt), 3)
			assert.Contains(t, err.Error(), "after 3 attempts")
		})
	}
}

func TestCreateIsNotRetriedAfterTheServerMayHaveActed(t *testing.T) {
	t.Parallel()
	for _, status := range []int{500, 502, 503, 504, 408} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			c, mt := pavetest.NewMockClient(t)
			mt.RegisterResponder(http.MethodPost, mockBase+"/v1/sessions", jsonResponder(status, `{"message":"oops"}`))
			_, err := c.Sessions.Create(context.Background(), &pave.CreateSessionRequest{SMS: &pave.SMS{To: "604-555-0142"}})
			var apiErr *pave.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, status, apiErr.StatusCode)
			assert.Equal(t, 1, apiErr.Attempts)
			assert.Len(t, sentTo(mt, http.MethodPost, "/v1/sessions"), 1, "a POST that may have texted a customer was re-sent")
		})
	}
	t.Run("network error", func(t *testing.T) {
		t.Parallel()
		c, mt := pavetest.NewMockClient(t)
		mt.RegisterResponder(http.MethodPost, mockBase+"/v1/sessions", httpmock.NewErrorResponder(io.ErrUnexpectedEOF))
		_, err := c.Sessions.Create(context.Background(), nil)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.Equal(t, 1, mt.GetTotalCallCount())
	})
}

func TestCreateIsRetriedOn429(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodPost, mockBase+"/v1/sessions", sequence(
		jsonResponder(429, `{"message":"Too Many Requests."}`),
		jsonResponder(201, string(fixture(t, "session_created.json"))),
	))
	s, err := c.Sessions.Create(context.Background(), &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{VIN: "2T1BURHE5JC074512"}})
	require.NoError(t, err)
	assert.Equal(t, sessionKey, s.SessionKey)
	reqs := sentTo(mt, http.MethodPost, "/v1/sessions")
	require.Len(t, reqs, 2)
	assert.JSONEq(t, string(reqs[0].Body), string(reqs[1].Body), "the retried body differs")
	assert.JSONEq(t, `{"vehicle":{"vin":"2T1BURHE5JC074512"}}`, string(reqs[1].Body))

	t.Run("exhausted", func(t *testing.T) {
		t.Parallel()
		c, mt := pavetest.NewMockClient(t)
		mt.RegisterNoResponder(jsonResponder(429, `{"message":"Too Many Requests."}`))
		_, err := c.Sessions.Create(context.Background(), nil)
		require.ErrorIs(t, err, pave.ErrRateLimited)
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 3, apiErr.Attempts)
		assert.Equal(t, 3, mt.GetTotalCallCount())
	})
}

func TestCreateIsRetriedWhenTheConnectionIsRefused(t *testing.T) {
	t.Parallel()
	c, err := pave.NewClient(testCreds, pave.WithBaseURL("http://"+nettest.RefusedAddr(t)), fastRetries())
	require.NoError(t, err)
	_, err = c.Sessions.Create(context.Background(), &pave.CreateSessionRequest{})
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	var re *pave.RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 3, re.Attempts)
	assert.Equal(t, http.MethodPost, re.Method)
	assert.Equal(t, "/v1/sessions", re.Path)
}

// slowHandler blocks until the client gives up on the request.
func slowHandler(count *atomic.Int32, fastAfter int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := count.Add(1); n > fastAfter {
			_, _ = io.WriteString(w, `{"session_key":"`+sessionKey+`"}`)
			return
		}
		// The server notices the client hanging up only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
}

func TestCreateIsNotRetriedAfterAnAttemptTimeout(t *testing.T) {
	t.Parallel()
	var count atomic.Int32
	// The server never answers: the attempt always times out. The timeout
	// is long enough for the request to reach the server even on a loaded
	// machine, so the count below means something.
	c, _ := newServerClient(t, slowHandler(&count, 100), pave.WithTimeout(500*time.Millisecond))
	_, err := c.Sessions.Create(context.Background(), &pave.CreateSessionRequest{})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var re *pave.RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 1, re.Attempts)
	assert.Equal(t, int32(1), count.Load(), "the server saw a second create")
}

func TestGetIsRetriedAfterAnAttemptTimeout(t *testing.T) {
	t.Parallel()
	var count atomic.Int32
	// A generous timeout: only the first attempt is meant to time out,
	// even on a loaded machine.
	c, _ := newServerClient(t, slowHandler(&count, 1), pave.WithTimeout(time.Second))
	s, err := c.Sessions.Get(context.Background(), sessionKey)
	require.NoError(t, err)
	assert.Equal(t, sessionKey, s.SessionKey)
	assert.Equal(t, int32(2), count.Load())
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 2, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		retryAfter string
		clock      time.Time
		cap        time.Duration
		wantWait   time.Duration
		wantParsed time.Duration
	}{
		{"seconds", "0.004", now, time.Minute, 4 * time.Millisecond, 4 * time.Millisecond},
		{"http date", now.Add(time.Second).Format(http.TimeFormat), now.Add(994 * time.Millisecond), time.Minute, 6 * time.Millisecond, 6 * time.Millisecond},
		{"seconds capped", "3600", now, time.Millisecond, time.Millisecond, time.Hour},
		{"http date capped", now.Add(2 * time.Hour).Format(http.TimeFormat), now, time.Millisecond, time.Millisecond, 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			log, buf := debugLogger()
			c, mt := pavetest.NewMockClient(t, pave.WithMaxRetryAfter(tt.cap), pave.WithLogger(log),
				pave.WithClock(func() time.Time { return tt.clock }),
				pave.WithRetryBackoff(time.Hour, time.Hour)) // a backoff wait would hang the test
			limited := jsonResponse(429, `{"message":"Too Many Requests."}`)
			limited.Header.Set("Retry-After", tt.retryAfter)
			mt.RegisterNoResponder(sequence(httpmock.ResponderFromResponse(limited),
				jsonResponder(200, `{"session_key":"`+sessionKey+`"}`)))
			// Safety net only: were the cap ignored, the call would wait an
			// hour; the deadline turns that into a clear failure.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := c.Sessions.Get(ctx, sessionKey)
			require.NoError(t, err, "Retry-After was not capped")
			assert.Equal(t, []time.Duration{tt.wantWait}, retryWaits(t, buf))

			// The parsed (uncapped) value is reported on the error.
			c0, mt0 := pavetest.NewMockClient(t, pave.WithMaxRetries(0), pave.WithClock(func() time.Time { return tt.clock }))
			mt0.RegisterNoResponder(httpmock.ResponderFromResponse(limited))
			_, err = c0.Sessions.Get(context.Background(), sessionKey)
			var apiErr *pave.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.wantParsed, apiErr.RetryAfter)
		})
	}
}

func TestBackoffIsUsedWithoutRetryAfter(t *testing.T) {
	t.Parallel()
	log, buf := debugLogger()
	c, mt := pavetest.NewMockClient(t, pave.WithLogger(log), pave.WithRetryBackoff(2*time.Millisecond, 4*time.Millisecond))
	mt.RegisterNoResponder(jsonResponder(503, `{}`))
	_, err := c.Sessions.Get(context.Background(), sessionKey)
	require.ErrorIs(t, err, pave.ErrServer)
	waits := retryWaits(t, buf)
	require.Len(t, waits, 2)
	// Equal jitter: retry n waits between half and all of base*2^(n-1).
	assert.GreaterOrEqual(t, waits[0], time.Millisecond)
	assert.LessOrEqual(t, waits[0], 2*time.Millisecond)
	assert.GreaterOrEqual(t, waits[1], 2*time.Millisecond)
	assert.LessOrEqual(t, waits[1], 4*time.Millisecond)
}

func TestCancelDuringRetryWait(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, mt := pavetest.NewMockClient(t, pave.WithMaxRetryAfter(time.Minute))
	mt.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
		resp := jsonResponse(503, `{"message":"Service Unavailable"}`)
		resp.Header.Set("Retry-After", "30")
		// Cancel once the client has read and closed this response, that
		// is while it waits the 30 seconds the server asked for.
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
		return resp, nil
	})
	_, err := c.Sessions.Get(ctx, sessionKey)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, pave.ErrServer, "the last API error is lost")
	var re *pave.RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 1, re.Attempts)
	var apiErr *pave.APIError
	require.ErrorAs(t, re.Last, &apiErr)
	assert.Equal(t, 30*time.Second, apiErr.RetryAfter)
	assert.Len(t, pavetest.Sent(mt), 1)
	assert.Contains(t, err.Error(), "while waiting to retry")
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	go func() {
		time.Sleep(10 * time.Millisecond)
		c.cancel()
	}()
	return err
}

func TestContextAlreadyCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, mt := noNetworkClient(t)
	_, err := c.Sessions.Get(ctx, sessionKey)
	require.ErrorIs(t, err, context.Canceled)
	var re *pave.RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 0, re.Attempts, "nothing was sent")
	assert.Nil(t, re.Last)
	assert.Empty(t, pavetest.Sent(mt), "an attempt was started for a cancelled context")
}

func TestResponseBodiesAreClosedBeforeEachRetry(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies []*trackedBody
	c, mt := pavetest.NewMockClient(t, pave.WithMaxRetries(3))
	mt.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		for i, b := range bodies {
			assert.True(t, b.closed.Load(), "body of attempt %d still open at attempt %d", i+1, len(bodies)+1)
		}
		resp := jsonResponse(502, `{"message":"Bad Gateway"}`)
		b := &trackedBody{Reader: resp.Body}
		resp.Body = b
		bodies = append(bodies, b)
		return resp, nil
	})
	_, err := c.Sessions.Get(context.Background(), sessionKey)
	require.ErrorIs(t, err, pave.ErrServer)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, bodies, 4)
	for i, b := range bodies {
		assert.True(t, b.closed.Load(), "body %d never closed", i+1)
	}
}

func TestSuccessfulResponseThatCannotBeDecoded(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterNoResponder(jsonResponder(200, `{"session_key": 42`))
	_, err := c.Sessions.Get(context.Background(), sessionKey)
	require.ErrorIs(t, err, pave.ErrBadResponse)
	var re *pave.RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 1, mt.GetTotalCallCount(), "a malformed 200 is not retried")
}

// A 2xx that lacks what the operation must return is ErrBadResponse,
// never a zero value with a nil error.
func TestEmptySuccessIsABadResponse(t *testing.T) {
	t.Parallel()
	answers := []struct {
		name   string
		status int
		body   string
	}{
		{"204", http.StatusNoContent, ""},
		{"empty 200", http.StatusOK, ""},
		{"null", http.StatusOK, "null"},
		{"{}", http.StatusOK, "{}"},
		{"no session_key", http.StatusOK, `{"status": "IDLE"}`},
	}
	ops := []struct {
		name string
		run  func(*pave.Client) (*pave.Session, error)
	}{
		{"Create", func(c *pave.Client) (*pave.Session, error) { return c.Sessions.Create(context.Background(), nil) }},
		{"Get", func(c *pave.Client) (*pave.Session, error) { return c.Sessions.Get(context.Background(), sessionKey) }},
		{"Update", func(c *pave.Client) (*pave.Session, error) {
			return c.Sessions.Update(context.Background(), sessionKey, &pave.UpdateSessionRequest{
				Session: &pave.SessionSettings{Language: pave.LanguageEN}})
		}},
	}
	for _, a := range answers {
		for _, op := range ops {
			t.Run(a.name+"/"+op.name, func(t *testing.T) {
				t.Parallel()
				c, mt := pavetest.NewMockClient(t)
				mt.RegisterNoResponder(jsonResponder(a.status, a.body))
				s, err := op.run(c)
				require.ErrorIs(t, err, pave.ErrBadResponse)
				assert.Nil(t, s)
				var re *pave.RequestError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, 1, re.Attempts, "a malformed 2xx is not retried")
			})
		}
	}
}

// erroringBody fails mid-read.
type erroringBody struct{ closed atomic.Bool }

func (b *erroringBody) Read([]byte) (int, error) { return 0, errors.New("stream reset") }
func (b *erroringBody) Close() error             { b.closed.Store(true); return nil }

func TestBodyReadErrorIsRetried(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	body := &erroringBody{}
	mt.RegisterNoResponder(sequence(
		func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: body}, nil
		},
		jsonResponder(200, `{"session_key":"`+sessionKey+`"}`),
	))
	s, err := c.Sessions.Get(context.Background(), sessionKey)
	require.NoError(t, err)
	assert.Equal(t, sessionKey, s.SessionKey)
	assert.Equal(t, 2, mt.GetTotalCallCount())
	assert.True(t, body.closed.Load())
}

func TestRequestLogging(t *testing.T) {
	t.Parallel()
	log, buf := debugLogger()
	c, mt := pavetest.NewMockClient(t, pave.WithLogger(log))
	mt.RegisterNoResponder(sequence(
		jsonResponder(503, `{"message":"busy"}`),
		jsonResponder(200, `{"session_key":"`+sessionKey+`"}`),
	))
	_, err := c.Sessions.Get(context.Background(), sessionKey)
	require.NoError(t, err)
	var requests, retries []map[string]any
	for _, r := range buf.records(t) {
		switch r["msg"] {
		case "pave request":
			requests = append(requests, r)
		case "pave retry":
			retries = append(retries, r)
		}
	}
	require.Len(t, requests, 2)
	require.Len(t, retries, 1)
	assert.Equal(t, "DEBUG", requests[0]["level"])
	assert.Equal(t, "GET", requests[0]["method"])
	assert.Equal(t, "/v1/sessions/"+sessionKey, requests[0]["path"])
	assert.EqualValues(t, 503, requests[0]["status"])
	assert.EqualValues(t, 1, requests[0]["attempt"])
	assert.Contains(t, requests[0], "duration")
	assert.EqualValues(t, 200, requests[1]["status"])
	assert.EqualValues(t, 2, requests[1]["attempt"])
	assert.Equal(t, "INFO", retries[0]["level"])
	out := buf.String()
	assert.NotContains(t, out, mockCreds.APISecret)
	assert.NotContains(t, out, "API-Token")
}

func TestClientIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	// Errors echo each request's own token; every error must have its own
	// token scrubbed, which breaks if concurrent requests share state.
	c, mt := pavetest.NewMockClient(t, pave.WithMaxRetries(0))
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		return jsonResponse(400, `{"message":"bad token `+r.Header.Get(pave.HeaderAPIToken)+`"}`), nil
	})
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			_, err := c.Sessions.Get(context.Background(), fmt.Sprintf("NSA-%010d", i))
			var apiErr *pave.APIError
			if assert.ErrorAs(t, err, &apiErr) {
				assert.Equal(t, "bad token [REDACTED]", apiErr.Message)
			}
		})
	}
	wg.Wait()
}

func TestOversizedSuccessfulResponseIsRefused(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: &endlessBody{n: (64 << 20) + 1},
			ContentLength: -1}, nil
	})
	_, err := c.Sessions.Results(context.Background(), sessionKey)
	require.ErrorIs(t, err, pave.ErrBadResponse)
	assert.Contains(t, err.Error(), "too large")
	assert.Equal(t, 1, mt.GetTotalCallCount(), "an oversized body is not retried")
}

// A 2xx that echoes the API-Token or the secret (a hostile server or proxy)
// is scrubbed before anything is decoded or built from it.
func TestCredentialsAreScrubbedFromSuccessfulBodies(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		tok := r.Header.Get(pave.HeaderAPIToken)
		return jsonResponse(200, `[{"id":1,"title":"`+tok+`","description":"secret `+mockCreds.APISecret+`"}]`), nil
	})
	notes, err := c.Sessions.Notes(context.Background(), sessionKey)
	require.NoError(t, err)
	require.Len(t, notes, 1)
	assert.Equal(t, "[REDACTED]", notes[0].Title)
	assert.Equal(t, "secret [REDACTED]", notes[0].Description)
	assert.NotContains(t, string(notes[0].Raw()), mockCreds.APISecret)
}

// Scrubbing must not corrupt data: a short (test) secret that happens to
// occur in a successful body is left alone.
func TestShortSecretsDoNotCorruptSuccessfulBodies(t *testing.T) {
	t.Parallel()
	mt := pavetest.NewMockTransport()
	mt.RegisterNoResponder(jsonResponder(200, `{"session_key":"NSA-TEST","redirect_url":"https://a.example/test"}`))
	c, err := mt.NewClient(pave.Credentials{Username: "u", APIKey: "k", APISecret: "test"})
	require.NoError(t, err)
	s, err := c.Sessions.Get(context.Background(), "NSA-TEST")
	require.NoError(t, err)
	assert.Equal(t, "https://a.example/test", s.RedirectURL)
}

// An error built from a 2xx body that cannot be used reports every attempt
// the request took, retries included.
func TestBadListAfterRetriesReportsAllAttempts(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterNoResponder(sequence(
		jsonResponder(503, `{}`),
		jsonResponder(503, `{}`),
		jsonResponder(200, `{"unexpected":true}`),
	))
	_, err := c.Sessions.Photos(context.Background(), sessionKey)
	require.ErrorIs(t, err, pave.ErrBadResponse)
	var re *pave.RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 3, re.Attempts)
	assert.NotErrorIs(t, err, pave.ErrServer)
}

func TestCloseIdleConnections(t *testing.T) {
	t.Parallel()
	closed := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"session_key":"ABC-1234567890","status":"IDLE"}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateClosed {
			select {
			case closed <- struct{}{}:
			default:
			}
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := pave.NewClient(pave.Credentials{Username: "u", APIKey: "k", APISecret: "s"}, pave.WithBaseURL(srv.URL))
	require.NoError(t, err)
	_, err = c.Sessions.Get(context.Background(), "ABC-1234567890")
	require.NoError(t, err)

	c.CloseIdleConnections()
	select {
	case <-closed:
	case <-time.After(10 * time.Second): // a safety net, not a timing assertion
		t.Fatal("the idle connection was not closed")
	}
	_, err = c.Sessions.Get(context.Background(), "ABC-1234567890")
	require.NoError(t, err, "the client stays usable")
}

// TestSharedTransportOneConnection: three dealers' clients over one
// NewTransport share its pool, so one keep-alive connection serves them
// all; each still signs with its own key.
func TestSharedTransportOneConnection(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	keys := make(chan string, 3)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys <- r.Header.Get(pave.HeaderAPIKey)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"session_key": "K-1", "status": "IDLE"}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	count := func(hc func(i int) *http.Client) int32 {
		conns.Store(0)
		for i, dealer := range []string{"north", "south", "east"} {
			creds := pave.Credentials{Username: dealer, APIKey: dealer + "-key", APISecret: dealer + "-secret"}
			c, err := pave.NewClient(creds, pave.WithBaseURL(srv.URL), pave.WithHTTPClient(hc(i)))
			require.NoError(t, err)
			_, err = c.Sessions.Get(context.Background(), "K-1")
			require.NoError(t, err)
			assert.Equal(t, dealer+"-key", <-keys, "each client signs with its own key")
			t.Cleanup(c.CloseIdleConnections)
		}
		return conns.Load()
	}

	shared := &http.Client{Transport: pave.NewTransport()}
	assert.EqualValues(t, 1, count(func(int) *http.Client { return shared }), "one pool, one connection")
	assert.EqualValues(t, 3, count(func(int) *http.Client { return &http.Client{} }), "a pool per client")

	// The transport is a plain *http.Transport to adjust: HTTP/2 kept, more
	// idle connections per host than Go's default 2.
	tr := pave.NewTransport()
	assert.True(t, tr.ForceAttemptHTTP2)
	assert.Greater(t, tr.MaxIdleConnsPerHost, 2)
	assert.NotNil(t, tr.Proxy, "proxy settings from the environment are kept")
}

// recordingObserver records what a pave.Observer sees.
type recordingObserver struct {
	mu       sync.Mutex
	routes   []string
	attempts []pave.AttemptInfo
	ends     []string
	errs     []error
}

type obsKey struct{}

func (o *recordingObserver) CallStart(ctx context.Context, route string) context.Context {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.routes = append(o.routes, route)
	return context.WithValue(ctx, obsKey{}, route)
}

func (o *recordingObserver) Attempt(_ context.Context, a pave.AttemptInfo) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.attempts = append(o.attempts, a)
}

func (o *recordingObserver) CallEnd(ctx context.Context, status, attempts int, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ends = append(o.ends, fmt.Sprintf("%v %d %d %t", ctx.Value(obsKey{}), status, attempts, err == nil))
	o.errs = append(o.errs, err)
}

// TestObserverSeesEveryCall: each operation is named by its route
// template, never a key; every attempt is seen with its retry decision;
// the call's context is the one CallStart returned.
func TestObserverSeesEveryCall(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	obs := &recordingObserver{}
	client := srv.Client(pave.WithObserver(obs))
	ctx := context.Background()
	sess, err := client.Sessions.Create(ctx, nil)
	require.NoError(t, err)
	srv.Inject(pavetest.Fault{Method: http.MethodGet, Path: "/v1/sessions/*", Status: 503, Times: 1})
	_, err = client.Sessions.Get(ctx, sess.SessionKey)
	require.NoError(t, err)
	_, err = client.Sessions.Results(ctx, sess.SessionKey)
	require.ErrorIs(t, err, pave.ErrNotReady)

	assert.Equal(t, []string{"POST /v1/sessions", "GET /v1/sessions/{session_key}", "GET /v1/sessions/{session_key}/results"}, obs.routes)
	for _, r := range obs.routes {
		assert.NotContains(t, r, sess.SessionKey)
	}
	require.Len(t, obs.attempts, 4)
	assert.Equal(t, 503, obs.attempts[1].Status)
	assert.True(t, obs.attempts[1].Retry, "the 503 is retried")
	assert.Positive(t, obs.attempts[1].Wait)
	assert.Equal(t, 2, obs.attempts[2].N)
	assert.False(t, obs.attempts[2].Retry)
	assert.Equal(t, []string{"POST /v1/sessions 201 1 true", "GET /v1/sessions/{session_key} 200 2 true",
		"GET /v1/sessions/{session_key}/results 200 1 false"}, obs.ends)
	assert.ErrorIs(t, obs.errs[2], pave.ErrNotReady, "the call ends with the SDK's own error: a not-ready 200")
	var apiErr *pave.APIError
	assert.ErrorAs(t, obs.errs[2], &apiErr)

	// An answer the SDK cannot decode ends the call with ErrBadResponse,
	// though its status was 200.
	srv.Inject(pavetest.Fault{Method: http.MethodGet, Path: "/v1/sessions/*", Status: 200, Body: "{not json", Times: 1})
	_, err = client.Sessions.Get(ctx, sess.SessionKey)
	require.ErrorIs(t, err, pave.ErrBadResponse)
	assert.ErrorIs(t, obs.errs[len(obs.errs)-1], pave.ErrBadResponse)
}

// TestWithResponseInto: a call stores PAVE's HTTP answer, successful or
// not, so headers the SDK does not decode are readable.
func TestWithResponseInto(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodGet, pavetest.PathSession(sessionKey), func(r *http.Request) (*http.Response, error) {
		resp := jsonResponse(200, `{"session_key": "`+sessionKey+`"}`)
		resp.Header.Set("X-Request-Id", "req-1")
		return resp, nil
	})
	mt.RegisterResponder(http.MethodGet, pavetest.PathResults(sessionKey), jsonResponder(404, `{"message": "gone"}`))
	ctx := context.Background()
	var resp *http.Response
	_, err := client.Sessions.Get(ctx, sessionKey, pave.WithResponseInto(&resp))
	require.NoError(t, err)
	require.NotNil(t, resp)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "req-1", resp.Header.Get("X-Request-Id"))

	resp = nil
	_, err = client.Sessions.Results(ctx, sessionKey, pave.WithResponseInto(&resp))
	require.ErrorIs(t, err, pave.ErrNotFound)
	require.NotNil(t, resp, "the answer of a failed call too")
	assert.Equal(t, 404, resp.StatusCode)

	_, err = client.Sessions.Get(ctx, sessionKey, pave.WithResponseInto(nil))
	require.ErrorIs(t, err, pave.ErrInvalidOption)
	_, err = client.Sessions.Get(ctx, sessionKey, pave.PollInterval(time.Second, time.Minute))
	require.ErrorIs(t, err, pave.ErrInvalidOption, "a polling option on a call that does not poll")
	assert.Equal(t, 1, pavetest.Calls(mt, http.MethodGet, pavetest.PathSession(sessionKey)), "refused options send nothing")
}

// closeCounter counts CloseIdleConnections calls reaching a transport.
type closeCounter struct {
	http.RoundTripper
	n atomic.Int32
}

func (c *closeCounter) CloseIdleConnections() { c.n.Add(1) }

// TestCloseIdleConnectionsLeavesABorrowedTransport: a transport given with
// WithHTTPClient may be shared by other dealers' clients; dropping one
// client must not close the pool they all use.
func TestCloseIdleConnectionsLeavesABorrowedTransport(t *testing.T) {
	t.Parallel()
	shared := &closeCounter{RoundTripper: pave.NewTransport()}
	a, err := pave.NewClient(testCreds, pave.WithHTTPClient(&http.Client{Transport: shared}))
	require.NoError(t, err)
	a.CloseIdleConnections()
	assert.Zero(t, shared.n.Load(), "the shared pool is the caller's to close")
	own, err := pave.NewClient(testCreds)
	require.NoError(t, err)
	own.CloseIdleConnections() // the SDK's own transport: closed, no panic
}
