package pavetest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave/internal/endpoint"
)

// TestEveryEndpointIsServed walks the endpoint table: every operation has
// the fake's behaviour, a mock responder answering its fixture, and
// fixtures that exist; each route answers a real signed request over HTTP
// with a status the table documents for it, and its path a 405 naming the
// table's methods for any other method.
func TestEveryEndpointIsServed(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	hc := rawClient(t, srv, srv.Credentials(), nil)
	key := createSession(t, srv.Client(), nil).SessionKey
	_, mt := NewMockClient(t)
	mock := &http.Client{Transport: mt}
	for _, ep := range endpoint.All() {
		require.NotNil(t, apiBehaviour[ep.Op], "%s has no behaviour in the fake", ep.Op)
		statuses := []int{ep.Status}
		for _, a := range append([]endpoint.Answer{{Status: ep.Status, Fixture: ep.Fixture}}, ep.Errors...) {
			require.NotNil(t, Fixture(a.Fixture), "%s: no fixture %s", ep.Op, a.Fixture)
			statuses = append(statuses, a.Status)
		}
		var args []string
		for _, p := range ep.Params() {
			args = append(args, map[string]string{"session_key": key, "event": "SESSION:COMPLETE"}[p])
		}
		var body any
		if ep.Request != "" {
			body = map[string]any{}
		}
		status, answer := call(t, hc, ep.Method, srv.URL+ep.Path(args...), body, nil)
		assert.Contains(t, statuses, status, "%s %s: %s", ep.Op, ep.Route(), answer)
		assert.True(t, json.Valid(answer), ep.Op)

		other := http.MethodPatch
		status, _ = call(t, hc, other, srv.URL+ep.Path(args...), nil, nil)
		assert.Equal(t, http.StatusMethodNotAllowed, status, ep.Op)

		OnOperation(mt, ep.Op, nil)
		req, err := http.NewRequest(ep.Method, "https://openapi.paveapi.com"+ep.Path(args...), strings.NewReader("{}"))
		require.NoError(t, err)
		resp, err := mock.Do(req)
		require.NoError(t, err, "%s has no mock responder", ep.Op)
		got, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, ep.Status, resp.StatusCode, ep.Op)
		assert.True(t, json.Valid(got), ep.Op)
		if slices.Contains(ep.Params(), "session_key") && strings.Contains(string(Fixture(ep.Fixture)), FixtureSessionKey) {
			assert.Contains(t, string(got), key, "%s: the fixture follows the request's key", ep.Op)
		}
	}
	assert.Len(t, apiBehaviour, len(endpoint.All()), "a behaviour for an operation the table does not list")
	assert.Panics(t, func() { PathOf("Sessions.Nope") })
	assert.Equal(t, `=~^/v1/sessions/[^/]+/notes\z`, PathOf("Sessions.Notes"))
	assert.Equal(t, "/v1/callbacks/SESSION:COMPLETE", PathOf("Webhooks.Get", "SESSION:COMPLETE"))
	assert.Equal(t, "/v1/sessions/a%20b%2Fc", PathOf("Sessions.Get", "a b/c"))
}

// A 405 lists exactly the methods the table serves on the path.
func TestMethodNotAllowedListsTheTableMethods(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	hc := plainClient(t)
	for path, want := range map[string]string{
		"/v1/sessions/K": "GET, PUT, DELETE", "/v1/callbacks": "GET, POST", "/v2/capture/sessions/K/resend": "POST",
		"/_fake/clock": "GET, POST", "/_fake/faults/3": "DELETE",
	} {
		req, err := http.NewRequest(http.MethodPatch, srv.URL+path, nil)
		require.NoError(t, err)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, path)
		assert.Equal(t, want, resp.Header.Get("Allow"), path)
	}
}
