package pavetest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/endpoint"
)

// The values the embedded fixtures are written with. Responders that serve
// a fixture for a request naming another session key or event put the
// request's key or event in place of these (see FixtureResponder).
const (
	// FixtureSessionKey is the session key in every session-scoped fixture.
	FixtureSessionKey = "NSA-7K2D5MZ8WP"
	// FixtureEvent is the event of the single-setting callback fixtures
	// (callback.json, callback_created.json, callback_deleted.json,
	// error_callback_not_found.json).
	FixtureEvent = pave.EventComplete
	// FixtureAPIKey is the api_key in the callback fixtures; it is also
	// the API key of MockCredentials.
	FixtureAPIKey = "5d0c2f7a-91e4-4b6a-8c3e-7a1f0b9d2e64"
)

// Fixture returns a copy of the embedded JSON fixture name ("session.json",
// or "session" without the extension), or nil if there is no such fixture.
// The fixtures are shaped like PAVE's documented examples, with invented
// values: FixtureSessionKey, the VIN 2T1BURHE5JC074512, the dealer "North
// Shore Auto" and FixtureAPIKey. FixtureNames lists them:
//
//	session_created.json     POST /v1/sessions (201)
//	session.json             GET /v1/sessions/{key}: a COMPLETE session
//	session_deleted.json     DELETE /v1/sessions/{key}
//	photos.json              GET /v1/sessions/{key}/photos: one accepted, one rejected
//	notes.json               GET /v1/sessions/{key}/notes
//	results.json             GET /v1/sessions/{key}/results, with photos, location, inspection
//	callbacks_list.json      GET /v1/callbacks
//	callback.json            GET /v1/callbacks/{event}: the setting in a "data" wrapper
//	callback_created.json    POST /v1/callbacks, PUT /v1/callbacks/{event}: flat, with api_key
//	callback_deleted.json    DELETE /v1/callbacks/{event}
//	hotspots_upload.json     POST /v1/hotspots/{key}/photos-url: two accepted, one refused
//	hotspots_results.json    GET /v1/hotspots/{key}
//	hotspots_not_ready.json  GET /v1/hotspots/{key} while PAVE is still analysing
//	resend.json              POST /v2/capture/sessions/{key}/resend
//	error_*.json             error bodies: validation (400 with field errors),
//	                         not_found, not_ready, unauthorized, rate_limited,
//	                         callback_not_found, resend_finalized, resend_not_found
func Fixture(name string) []byte {
	if strings.Contains(name, "/") {
		return nil // a fixture is named by its file name alone
	}
	return endpoint.Fixture(strings.TrimSuffix(name, ".json") + ".json")
}

// MustFixture is Fixture for tests: it fails tb at once when there is no
// fixture of that name.
func MustFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b := Fixture(name)
	if b == nil {
		tb.Fatalf("pavetest: no fixture named %q; FixtureNames lists them", name)
	}
	return b
}

// FixtureNames returns the names of the embedded fixtures, sorted.
func FixtureNames() []string { return endpoint.FixtureNames() }

// renderFixture returns fixture name for req: the session key and the
// event of req's path replace FixtureSessionKey and FixtureEvent. It
// returns nil for an unknown name.
func renderFixture(name string, req *http.Request) []byte {
	b := Fixture(name)
	if b == nil || req == nil || req.URL == nil {
		return b
	}
	_, params := mockParams(req)
	for param, fixed := range map[string]string{"session_key": FixtureSessionKey, "event": string(FixtureEvent)} {
		if v := params[param]; v != "" && v != fixed {
			b = bytes.ReplaceAll(b, []byte(fixed), jsonStringContent(v))
		}
	}
	return b
}

// jsonStringContent returns s escaped for use inside a JSON string.
func jsonStringContent(s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return b[1 : len(b)-1]
}

// mockParams finds the operation of the endpoint table whose pattern
// req's path matches (of req's method when several do) and the values of
// its path parameters, each unescaped.
func mockParams(req *http.Request) (*endpoint.Endpoint, map[string]string) {
	segs := strings.Split(strings.Trim(req.URL.EscapedPath(), "/"), "/")
	var found *endpoint.Endpoint
	var params map[string]string
	for _, ep := range endpoint.All() {
		pat := strings.Split(strings.Trim(ep.Pattern, "/"), "/")
		if len(pat) != len(segs) || found != nil && ep.Method != req.Method {
			continue
		}
		vals := map[string]string{}
		for i, p := range pat {
			v, err := url.PathUnescape(segs[i])
			if err != nil {
				v = segs[i]
			}
			if name, ok := strings.CutPrefix(p, "{"); ok && v != "" {
				vals[strings.TrimSuffix(name, "}")] = v
			} else if p != v {
				vals = nil
				break
			}
		}
		if vals != nil {
			found, params = ep, vals
			if ep.Method == req.Method {
				break
			}
		}
	}
	return found, params
}
