package main

// A server that puts terminal escape sequences in every string it answers
// with, as a compromised or buggy PAVE (or anything at PAVE_BASE_URL)
// could: no human-readable output may pass them to the terminal, and
// --json keeps them as escaped JSON.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// hostile holds the sequences a terminal acts on, in their C0 (ESC) and
// C1 (single-character CSI, OSC, ST) forms: OSC 52 writes the clipboard,
// OSC 0 retitles the window, OSC 8 disguises a link, CSI 2J clears the
// screen, BEL rings.
const hostile = "\x1b]52;c;cHduZWQ=\x07" + "\x1b]0;pwned\x07" +
	"\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\" + "\x1b[2J" +
	"\u009b2J" + "\u009d52;c;cHduZWQ=\u009c" + "\r\x7f"

// assertInert fails when out holds a character a terminal acts on.
func assertInert(t *testing.T, what, out string) {
	t.Helper()
	if i := strings.IndexAny(out, "\x1b\x07\u009b\u009d\u009c\r\x7f"); i >= 0 {
		t.Errorf("%s passes a control character to the terminal at byte %d:\n%q", what, i, out)
	}
}

// poisonKeys are the fields whose string values the hostile server
// appends the sequences to.
var poisonKeys = map[string]bool{
	"status": true, "theme": true, "capture_url": true, "vin": true, "make": true, "model": true, "trim": true,
	"client_id": true, "first_name": true, "last_name": true, "component": true, "description": true,
	"damage_name": true, "repair_method": true, "approved_message": true, "title": true, "message": true,
	"url": true, "redirect_url": true, "username": true, "label": true,
}

// poison applies f to the values of poisonKeys and to the keys of
// "headers" and "payload" objects, at any depth.
func poison(v any, f func(string) string) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range v {
			if s, ok := val.(string); ok && poisonKeys[k] {
				val = f(s)
			}
			if m, ok := val.(map[string]any); ok && (k == "headers" || k == "payload") {
				hm := map[string]any{}
				for hk, hv := range m {
					hm[f(hk)] = hv
				}
				val = hm
			}
			out[k] = poison(val, f)
		}
		return out
	case []any:
		for i := range v {
			v[i] = poison(v[i], f)
		}
	}
	return v
}

// poisonedFixture is the fixture with hostile appended to its strings.
func poisonedFixture(t *testing.T, name string) []byte {
	t.Helper()
	return rewrittenFixture(t, name, func(s string) string { return s + hostile })
}

// rewrittenFixture is the fixture with f applied to its strings (see poison).
func rewrittenFixture(t *testing.T, name string, f func(string) string) []byte {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(pavetest.MustFixture(t, name), &v), name)
	b, err := json.Marshal(poison(v, f))
	require.NoError(t, err)
	return b
}

// newHostileServer answers every route the commands use with a poisoned
// fixture.
func newHostileServer(t *testing.T) *httptest.Server {
	t.Helper()
	routes := map[string]string{
		"POST /v1/sessions":                   "session_created",
		"GET /v1/sessions/{key}":              "session",
		"GET /v1/sessions/{key}/photos":       "photos",
		"GET /v1/sessions/{key}/notes":        "notes",
		"GET /v1/sessions/{key}/results":      "results",
		"GET /v1/callbacks":                   "callbacks_list",
		"GET /v1/callbacks/{event}":           "callback",
		"GET /v1/hotspots/{key}":              "hotspots_results",
		"POST /v1/hotspots/{key}/photos-url":  "hotspots_upload",
		"POST /_fake/sessions/{key}/complete": "session",
	}
	mux := http.NewServeMux()
	for pattern, name := range routes {
		body := poisonedFixture(t, name)
		status := http.StatusOK
		if name == "session_created" {
			status = http.StatusCreated
		}
		mux.HandleFunc(pattern, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(body)
		})
	}
	refusal, _ := json.Marshal(map[string]string{"message": "not allowed" + hostile})
	for _, p := range []string{"POST /_fake/sessions/{key}/expire", "GET /v1/sessions/{key}/refused"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write(refusal)
		})
	}
	mux.HandleFunc("GET /_fake/accounts", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"accounts": []map[string]string{{
			"username": "lakeside" + hostile, "api_key": "key-lakeside-0001", "api_secret": "secret-lakeside-aaaa"}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func hostileEnv(srv *httptest.Server) []string {
	c := pavetest.MockCredentials()
	return []string{"PAVE_BASE_URL=" + srv.URL, "PAVE_USERNAME=" + c.Username, "PAVE_API_KEY=" + c.APIKey,
		"PAVE_API_SECRET=" + c.APISecret}
}

func TestHostileServerStringsAreInert(t *testing.T) {
	t.Parallel()
	srv := newHostileServer(t)
	env := hostileEnv(srv)
	key := pavetest.FixtureSessionKey
	for _, args := range [][]string{
		{"sessions", "create"},
		{"sessions", "get", key},
		{"sessions", "photos", key},
		{"sessions", "notes", key},
		{"sessions", "results", key},
		{"callbacks", "list"},
		{"callbacks", "get", "complete"},
		{"hotspots", "results", key},
		{"hotspots", "upload", key, "--photo", "front=https://cdn.example/f.jpg"},
		{"fake", "complete", key},
		{"fake", "expire", key},
		{"probe", "--yes"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := cli(t, env, args...)
			assertInert(t, "stdout", r.stdout)
			assertInert(t, "stderr", r.stderr)
			if r.code == exitOK || args[0] == "probe" {
				assert.NotEmpty(t, r.stdout, r.stderr)
			}
		})
		t.Run(strings.Join(args, " ")+" --json", func(t *testing.T) {
			t.Parallel()
			r := cli(t, env, append(args, "--json")...)
			assertInert(t, "stdout", r.stdout)
			assertInert(t, "stderr", r.stderr)
			if r.code == exitOK && args[0] != "probe" {
				var v any
				require.NoError(t, json.Unmarshal([]byte(r.stdout), &v), r.stdout)
				assert.Contains(t, fmt.Sprint(v), hostile, "--json keeps the API's values, escaped")
			}
		})
	}
	t.Run("the fake's account name", func(t *testing.T) {
		t.Parallel()
		r := cli(t, []string{"PAVE_BASE_URL=" + srv.URL}, "sessions", "get", key)
		assertInert(t, "stderr", r.stderr)
		assertInert(t, "stdout", r.stdout)
	})
}

func TestHostileWaitStatusLine(t *testing.T) {
	t.Parallel()
	srv := newHostileServer(t)
	r := cliTTY(t, hostileEnv(srv), "sessions", "wait", "NSA-LIVE", "--interval", "20ms", "--timeout", "300ms")
	// The status line's own rewrite is the one sequence allowed.
	assertInert(t, "the status line", strings.ReplaceAll(strings.ReplaceAll(r.stdout, "\r\x1b[K", ""), "\r", ""))
	assert.Contains(t, r.stdout, "Waiting for session NSA-LIVE")
}

func TestHostileDeliveriesAreInert(t *testing.T) {
	t.Parallel()
	p, st := startListen(t, nil)
	for _, d := range []struct {
		event pave.EventName
		body  map[string]any
	}{
		{pave.EventNoteInsert, map[string]any{"session_key": "K" + hostile,
			"note": map[string]any{"title": "Dent" + hostile}}},
		{pave.EventStatusChange, map[string]any{"session_key": "K", "status": "PROCESS" + hostile,
			"previous_status": "S" + hostile}},
		{pave.EventSMSProcess, map[string]any{"status": "error" + hostile, "message": "Undeliverable" + hostile}},
		{pave.EventStageChange, map[string]any{"session_key": "K", "photo_status": "REJECTED" + hostile,
			"message": "m" + hostile}},
		{"", map[string]any{"event": "SESSION:" + hostile, "session_key": "K"}},
	} {
		b, err := json.Marshal(d.body)
		require.NoError(t, err)
		code, _ := listenDeliver(t, st.URL, st.Secret, d.event, string(b))
		assert.Equal(t, http.StatusNoContent, code, d.event)
	}
	p.waitJSON(t, 30*time.Second, "the last delivery", func(m map[string]any) bool {
		return m["event"] == "" // the webhook package reads no name with control characters
	})
	p.stop(t)
	assertInert(t, "listen --json", p.stdout())

	text := startLong(t, nil, "listen", "--secret", testWebhookSecret)
	line := text.waitLine(t, 30*time.Second, "the start line", func(l string) bool {
		return strings.Contains(l,
			"http://")
	})
	url := line[strings.Index(line, "http://"):]
	b, err := json.Marshal(map[string]any{"session_key": "K" + hostile, "note": map[string]any{"title": "Dent" + hostile}})
	require.NoError(t, err)
	code, _ := listenDeliver(t, url, testWebhookSecret, pave.EventNoteInsert, string(b))
	assert.Equal(t, http.StatusNoContent, code)
	text.waitLine(t, 30*time.Second, "the delivery", func(l string) bool { return strings.Contains(l, "NOTE_INSERT") })
	text.stop(t)
	assertInert(t, "listen", text.stdout())
	assertInert(t, "listen's stderr", text.stderr.String())
}
