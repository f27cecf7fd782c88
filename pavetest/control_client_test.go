package pavetest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

const controlToken = "ctl-0123456789abcdef"

// newControlled starts a fake with a control token and a client of it.
func newControlled(t *testing.T, opts ...pavetest.Option) (*pavetest.Server, *pavetest.ControlClient) {
	t.Helper()
	srv := pavetest.NewServer(t, append(opts, func(o *pavetest.Options) { o.ControlToken = controlToken })...)
	cc, err := pavetest.NewControlClient(srv.URL, controlToken, nil)
	require.NoError(t, err)
	return srv, cc
}

func TestControlClientDrivesTheFake(t *testing.T) {
	t.Parallel()
	srv, cc := newControlled(t)
	ctx := context.Background()
	require.NoError(t, cc.Health(ctx))
	accts, err := cc.Accounts(ctx)
	require.NoError(t, err)
	require.Len(t, accts, 1)
	assert.Equal(t, srv.Credentials(), accts[0].Credentials())
	assert.Equal(t, srv.Accounts()[0].AccountName, accts[0].AccountName)

	key := createSession(t, srv).SessionKey
	steps := []struct {
		name string
		do   func() (*pave.Session, error)
		want pave.SessionStatus
	}{
		{"session", func() (*pave.Session, error) { return cc.Session(ctx, key) }, pave.StatusIdle},
		{"start", func() (*pave.Session, error) { return cc.Start(ctx, key) }, pave.StatusStarted},
		{"capture", func() (*pave.Session, error) { return cc.Capture(ctx, key, pave.PhotoFront, false) }, pave.StatusProcess},
		{"note", func() (*pave.Session, error) { return cc.AddNote(ctx, key, "Dent", "rear door") }, pave.StatusProcess},
		{"sms", func() (*pave.Session, error) { return cc.SetSMSResult(ctx, key, false, "Undeliverable") }, pave.StatusProcess},
		{"complete", func() (*pave.Session, error) { return cc.Complete(ctx, key) }, pave.StatusComplete},
	}
	for _, st := range steps {
		sess, err := st.do()
		require.NoError(t, err, st.name)
		assert.Equal(t, key, sess.SessionKey, st.name)
		assert.Equal(t, st.want, sess.Status, st.name)
		assert.NotEmpty(t, sess.Raw(), st.name)
	}
	for _, end := range []func(context.Context, string) (*pave.Session, error){cc.Expire, cc.Invalidate} {
		other := createSession(t, srv).SessionKey
		sess, err := end(ctx, other)
		require.NoError(t, err)
		assert.True(t, sess.Status.Final())
	}
	_, err = cc.ProcessHotspots(ctx, key)
	assert.ErrorIs(t, err, pavetest.ErrInvalidTransition, "no photos uploaded")
	_, err = cc.Complete(ctx, "NOP-0000000000")
	assert.ErrorIs(t, err, pavetest.ErrSessionNotFound)
	var ce *pavetest.ControlError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, http.StatusNotFound, ce.StatusCode)
	assert.Equal(t, "Session NOP-0000000000 cannot be found.", ce.Message)

	id, err := cc.Inject(ctx, pavetest.Fault{Path: "/v1/callbacks", Status: 503, RetryAfter: 2 * time.Second, Times: 3})
	require.NoError(t, err)
	faults, err := cc.Faults(ctx)
	require.NoError(t, err)
	require.Len(t, faults, 1)
	assert.Equal(t, pavetest.InjectedFault{ID: id, Remaining: 3,
		Fault: pavetest.Fault{Path: "/v1/callbacks", Status: 503, RetryAfter: 2 * time.Second, Times: 3}}, faults[0])
	require.NoError(t, cc.RemoveFault(ctx, id))
	assert.ErrorAs(t, cc.RemoveFault(ctx, id), &ce)
	assert.Equal(t, http.StatusNotFound, ce.StatusCode)
	_, err = cc.Inject(ctx, pavetest.Fault{Status: 500})
	require.NoError(t, err)
	require.NoError(t, cc.ResetFaults(ctx))
	assert.Empty(t, srv.Faults())

	now, err := cc.Clock(ctx)
	require.NoError(t, err)
	later, err := cc.AdvanceClock(ctx, 8*24*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 8*24*time.Hour, later.Sub(now).Round(time.Hour))

	reqs, err := cc.Requests(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, reqs)
	assert.Equal(t, "/v1/sessions", reqs[0].Path)
	assert.Contains(t, string(reqs[0].Body), "redirect_url", "the body round-trips as text")
	require.NoError(t, cc.ResetRequests(ctx))
	assert.Empty(t, srv.Requests())
	require.NoError(t, cc.FlushDeliveries(ctx))
	_, err = cc.Deliveries(ctx)
	require.NoError(t, err)
	require.NoError(t, cc.ResetDeliveries(ctx))

	doc, err := cc.OpenAPI(ctx)
	require.NoError(t, err)
	assert.Contains(t, string(doc), `"/_fake/sessions/{session_key}/complete"`)

	require.NoError(t, cc.Reset(ctx))
	_, err = cc.Session(ctx, key)
	assert.ErrorIs(t, err, pavetest.ErrSessionNotFound, "reset forgets sessions")
}

func createSession(t *testing.T, srv *pavetest.Server) *pave.Session {
	t.Helper()
	s, err := srv.Client().Sessions.Create(context.Background(), &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{RedirectURL: "https://dealer.example.com/done"}})
	require.NoError(t, err)
	return s
}

func TestNewControlClientRefusesBadArguments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ base, token string }{
		{"", ""}, {"127.0.0.1:8080", ""}, {"ftp://127.0.0.1", ""}, {"http://127.0.0.1:1/prefix", ""},
		{"http://127.0.0.1:1?x=" + controlToken, controlToken}, {"http://127.0.0.1:1", "two words"},
	} {
		_, err := pavetest.NewControlClient(tc.base, tc.token, nil)
		require.Error(t, err, "%q", tc.base)
		assert.NotContains(t, err.Error(), controlToken)
	}
}

// A hostile (or broken) server that quotes the Authorization header in
// every form it can think of gets no token into the client's errors.
func TestControlClientErrorsNeverHoldTheToken(t *testing.T) {
	t.Parallel()
	echo := func(w http.ResponseWriter, r *http.Request) string {
		auth := r.Header.Get("Authorization")
		tok := strings.TrimPrefix(auth, "Bearer ")
		return strings.Join([]string{auth, tok, strings.ToUpper(tok), url.QueryEscape(tok),
			base64.StdEncoding.EncodeToString([]byte(tok))}, " | ")
	}
	cases := map[string]http.HandlerFunc{
		"401 message": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]any{"message": "bad token: " + echo(w, r)})
		},
		"400 field errors": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]any{"message": "no", "errors": map[string][]string{echo(w, r): {echo(w, r)}}})
		},
		"redirect to a URL holding it": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://"+r.Host+"/x?t="+url.QueryEscape(echo(w, r)), http.StatusFound)
		},
		"a 200 that is not JSON": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(echo(w, r))) },
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts := httptest.NewServer(h)
			t.Cleanup(ts.Close)
			cc, err := pavetest.NewControlClient(ts.URL, controlToken, nil)
			require.NoError(t, err)
			_, err = cc.Session(context.Background(), "ABC-0123456789")
			require.Error(t, err)
			assert.NotContains(t, strings.ToLower(err.Error()), strings.ToLower(controlToken))
			assert.NotContains(t, err.Error(), base64.StdEncoding.EncodeToString([]byte(controlToken)))
		})
	}
	// A transport failure keeps its cause for errors.Is.
	cc, err := pavetest.NewControlClient("http://127.0.0.1:1", controlToken, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.True(t, errors.Is(cc.Health(ctx), context.Canceled))
}

func TestControlClientNeedsTheToken(t *testing.T) {
	t.Parallel()
	srv, _ := newControlled(t)
	cc, err := pavetest.NewControlClient(srv.URL, "", nil)
	require.NoError(t, err)
	require.NoError(t, cc.Health(context.Background()), "health needs no token")
	_, err = cc.Accounts(context.Background())
	var ce *pavetest.ControlError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, http.StatusUnauthorized, ce.StatusCode)
}
