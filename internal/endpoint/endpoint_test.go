package endpoint

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPathEscapesEachParameter(t *testing.T) {
	t.Parallel()
	cases := []struct {
		ep   *Endpoint
		args []string
		want string
	}{
		{CreateSession, nil, "/v1/sessions"},
		{GetSession, []string{"NSA-7K2D5MZ8WP"}, "/v1/sessions/NSA-7K2D5MZ8WP"},
		{Results, []string{"a b/c"}, "/v1/sessions/a%20b%2Fc/results"},
		{GetCallback, []string{"SESSION:COMPLETE"}, "/v1/callbacks/SESSION:COMPLETE"},
		{UploadHotspotPhotos, []string{"K"}, "/v1/hotspots/K/photos-url"},
		{ResendSMS, []string{"K"}, "/v2/capture/sessions/K/resend"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.ep.Path(c.args...), c.ep.Op)
	}
	assert.Panics(t, func() { GetSession.Path() })
	assert.Equal(t, []string{"session_key"}, Photos.Params())
}

// TestTable holds every entry to the rules the readers of the table rely
// on: a unique operation and route, a documented status, fixtures that
// exist and are JSON, and the retry markers where they belong.
func TestTable(t *testing.T) {
	t.Parallel()
	ops, routes := map[string]bool{}, map[string]bool{}
	used := map[string]bool{}
	for _, e := range All() {
		require.False(t, ops[e.Op], "operation %s twice", e.Op)
		require.False(t, routes[e.Route()], "route %s twice", e.Route())
		ops[e.Op], routes[e.Route()] = true, true
		assert.Regexp(t, `^[A-Z][a-zA-Z]+\.[A-Z][a-zA-Z]+$`, e.Op)
		assert.True(t, strings.HasPrefix(e.Pattern, "/v1/") || strings.HasPrefix(e.Pattern, "/v2/"), e.Op)
		assert.NotEmpty(t, e.Summary, e.Op)
		assert.NotEmpty(t, e.Response, e.Op)
		assert.NotZero(t, http.StatusText(e.Status), e.Op)
		assert.Equal(t, e.Method == http.MethodPost, e.Acts, "%s: every POST acts, nothing else does by itself", e.Op)
		assert.Equal(t, e.Method == http.MethodDelete, e.GoneIsDone, e.Op)
		assert.Equal(t, e, ByOp(e.Op))
		for _, a := range append([]Answer{{Status: e.Status, Fixture: e.Fixture}}, e.Errors...) {
			b := Fixture(a.Fixture)
			require.NotNil(t, b, "%s: fixture %s", e.Op, a.Fixture)
			assert.True(t, json.Valid(b), "%s: fixture %s is not JSON", e.Op, a.Fixture)
			used[a.Fixture] = true
		}
	}
	assert.Nil(t, ByOp("Sessions.Nope"))
	assert.Len(t, All(), 15)
	for _, name := range FixtureNames() {
		if !strings.HasPrefix(name, "delivery_") && name != "error_unauthorized.json" && name != "error_rate_limited.json" {
			assert.True(t, used[name], "fixture %s is named by no endpoint", name)
		}
	}
}
