package pavetest

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
)

// fastRetries makes SDK retries quick in tests.
var fastRetries = pave.WithRetryBackoff(time.Millisecond, 5*time.Millisecond)

func TestFaultStatusWithRetryAfter(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Inject(Fault{Method: http.MethodPost, Path: "/v1/sessions", Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second, Times: 1})
	c := srv.Client(pave.WithMaxRetries(0))
	_, err := c.Sessions.Create(context.Background(), nil)
	require.ErrorIs(t, err, pave.ErrRateLimited)
	apiErr := apiError(t, err)
	assert.Equal(t, 2*time.Second, apiErr.RetryAfter)
	assert.Equal(t, "Too Many Requests.", apiErr.Message)
	// Times: 1 is used up.
	_, err = c.Sessions.Create(context.Background(), nil)
	require.NoError(t, err)
}

func TestFaultAppliesBeforeAuthAndIsRetried(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	key := createSession(t, srv.Client(), nil).SessionKey
	srv.ResetRequests()
	srv.Inject(Fault{Path: "/v1/sessions/*", Status: http.StatusServiceUnavailable, Body: "<html>bad gateway</html>", Times: 2})

	// An unsigned request gets the fault, not a 401: faults act like an edge proxy.
	status, body := call(t, plainClient(t), http.MethodGet, srv.URL+"/v1/sessions/"+key, nil, nil)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "<html>bad gateway</html>", string(body))

	// The SDK retries the GET through the remaining 503.
	got, err := srv.Client(fastRetries).Sessions.Get(context.Background(), key)
	require.NoError(t, err)
	assert.Equal(t, key, got.SessionKey)
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, "/v1/sessions/"+key, reqs[2].Path)
	assert.NotEqual(t, reqs[1].Header.Get(pave.HeaderAPIToken), "", "signed")
}

func TestFaultPrefixAndMethod(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Inject(Fault{Method: http.MethodGet, PathPrefix: "/v1/callbacks", Status: http.StatusBadGateway})
	hc := rawClient(t, srv, srv.Credentials(), nil)
	for range 3 {
		status, _ := call(t, hc, http.MethodGet, srv.URL+"/v1/callbacks/SESSION:COMPLETE", nil, nil)
		assert.Equal(t, http.StatusBadGateway, status, "Times 0 means every request")
	}
	status, _ := call(t, hc, http.MethodPost, srv.URL+"/v1/callbacks", `{}`, nil)
	assert.Equal(t, http.StatusBadRequest, status, "other methods pass")
	srv.ResetFaults()
	status, _ = call(t, hc, http.MethodGet, srv.URL+"/v1/callbacks", nil, nil)
	assert.Equal(t, http.StatusOK, status)
}

func TestFaultConnectionKinds(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]Fault{
		"drop":     {DropConnection: true},
		"truncate": {TruncateBody: true},
		"reset":    {ResetMidBody: true},
		"truncated error": {Status: http.StatusInternalServerError, TruncateBody: true,
			Body: `{"message":"a rather long error message that will be cut in half"}`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := NewServer(t)
			key := createSession(t, srv.Client(), nil).SessionKey
			f.Path = "/v1/sessions/" + key
			f.Times = 1
			srv.Inject(f)
			c := srv.Client(pave.WithMaxRetries(0))
			_, err := c.Sessions.Get(context.Background(), key)
			require.Error(t, err)
			var reqErr *pave.RequestError
			assert.True(t, errors.As(err, &reqErr), "%T: %v", err, err)
			// The fault is used up; the next call works.
			_, err = c.Sessions.Get(context.Background(), key)
			require.NoError(t, err)
		})
	}
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	key := createSession(t, srv.Client(), nil).SessionKey
	srv.Inject(Fault{Path: "/v1/sessions/" + key, Delay: 10 * time.Second, Times: 1})
	c := srv.Client(pave.WithMaxRetries(0), pave.WithTimeout(50*time.Millisecond))
	_, err := c.Sessions.Get(context.Background(), key)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// A short delay then passes through to the API.
	srv.Inject(Fault{Path: "/v1/sessions/" + key, Delay: time.Millisecond, Times: 1})
	_, err = srv.Client().Sessions.Get(context.Background(), key)
	require.NoError(t, err)
}

func TestFaultDelayCancelledByClose(t *testing.T) {
	t.Parallel()
	srv, err := Start()
	require.NoError(t, err)
	srv.Inject(Fault{Delay: time.Hour})
	done := make(chan error, 1)
	go func() {
		_, err := srv.Client(pave.WithMaxRetries(0)).Sessions.Get(context.Background(), "ABC-1234567890")
		done <- err
	}()
	require.Eventually(t, func() bool { return len(srv.Requests()) == 1 }, 5*time.Second, time.Millisecond)
	srv.Close()
	require.Error(t, <-done)
}

func TestFaultMatching(t *testing.T) {
	t.Parallel()
	req := func(method, path string) *http.Request {
		r, _ := http.NewRequest(method, "http://x"+path, nil)
		return r
	}
	assert.True(t, (&Fault{}).matches(req("GET", "/anything")))
	assert.True(t, (&Fault{Path: "/v1/sessions/*/results"}).matches(req("GET", "/v1/sessions/ABC-1/results")))
	assert.False(t, (&Fault{Path: "/v1/sessions/*"}).matches(req("GET", "/v1/sessions/ABC-1/results")))
	assert.False(t, (&Fault{Path: "/v1/sessions/["}).matches(req("GET", "/v1/sessions/[")))
	assert.True(t, (&Fault{Method: "get", Path: "/v1/sessions"}).matches(req("GET", "/v1/sessions")))
	assert.False(t, (&Fault{Method: "POST"}).matches(req("GET", "/v1/sessions")))
}
