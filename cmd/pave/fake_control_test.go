package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// signedGet sends a signed GET to the fake and returns its status and body.
func signedGet(t *testing.T, base string, creds pave.Credentials, path string) (int, map[string]any) {
	t.Helper()
	tr, err := pave.NewSigningTransport(creds, base, nil, nil)
	require.NoError(t, err)
	resp, err := (&http.Client{Transport: tr}).Get(base + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// recorder collects the webhook bodies delivered to it.
type recorder struct {
	mu     sync.Mutex
	bodies []map[string]any
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var m map[string]any
	_ = json.NewDecoder(req.Body).Decode(&m)
	r.mu.Lock()
	r.bodies = append(r.bodies, m)
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *recorder) find(event string) map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bodies {
		if b["event"] == event || event == "" {
			return b
		}
	}
	return nil
}

func TestFakeServeFlags(t *testing.T) {
	t.Parallel()
	const vin = "1HGCV1F39LA012345"
	newSession := func(t *testing.T, st fakeStart) (*pave.Client, pave.Credentials, string) {
		creds := fakeAccounts(t, st.BaseURL, "")[0]
		c := sdkClientAt(t, st.BaseURL, creds)
		sess, err := c.Sessions.Create(t.Context(), &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{VIN: vin}})
		require.NoError(t, err)
		return c, creds, sess.SessionKey
	}
	complete := func(t *testing.T, st fakeStart, key string) result {
		return mustOK(t, cli(t, []string{"PAVE_BASE_URL=" + st.BaseURL}, "fake", "complete", key))
	}
	for _, tc := range []struct {
		flags []string
		check func(t *testing.T, p *longProc, st fakeStart)
	}{
		{[]string{"--not-ready-status", "400"}, func(t *testing.T, _ *longProc, st fakeStart) {
			_, creds, key := newSession(t, st)
			status, body := signedGet(t, st.BaseURL, creds, "/v1/sessions/"+key+"/results")
			assert.Equal(t, http.StatusBadRequest, status)
			assert.Equal(t, "Session is not yet completed.", body["message"])
		}},
		{[]string{"--mask-pii"}, func(t *testing.T, _ *longProc, st fakeStart) {
			c, _, key := newSession(t, st)
			sess, err := c.Sessions.Get(t.Context(), key)
			require.NoError(t, err)
			assert.Equal(t, vin[:11]+"XXXXXX", sess.Vehicle.VIN)
		}},
		{[]string{"--results-delay", "1h"}, func(t *testing.T, _ *longProc, st fakeStart) {
			_, _, key := newSession(t, st)
			assert.Equal(t, key+": CONFIRM\n", complete(t, st, key).stdout, "the results are held back")
		}},
		{[]string{"--vehicle-in-session"}, func(t *testing.T, _ *longProc, st fakeStart) {
			_, creds, key := newSession(t, st)
			complete(t, st, key)
			_, body := signedGet(t, st.BaseURL, creds, "/v1/sessions/"+key+"/results")
			session, _ := body["session"].(map[string]any)
			assert.Contains(t, session, "vehicle")
			assert.NotContains(t, body, "vehicle")
		}},
		{[]string{"--hotspots-cropped-images"}, func(t *testing.T, _ *longProc, st fakeStart) {
			c, creds, key := newSession(t, st)
			_, err := c.Hotspots.UploadPhotos(t.Context(), key, []pave.HotspotPhoto{{PhotoLabel: pave.LabelRear,
				URL: "https://cdn.example/r.jpg"}})
			require.NoError(t, err)
			r := mustOK(t, cli(t, []string{"PAVE_BASE_URL=" + st.BaseURL}, "fake", "hotspots", "process", key))
			assert.Equal(t, key+": ", r.stdout[:len(key)+2])
			_, body := signedGet(t, st.BaseURL, creds, "/v1/hotspots/"+key)
			b, _ := json.Marshal(body)
			assert.Contains(t, string(b), "cropped_image_url")
		}},
		{[]string{"--rich-webhooks", "--async-webhooks"}, func(t *testing.T, _ *longProc, st fakeStart) {
			rec := &recorder{}
			hook := httptest.NewServer(rec)
			t.Cleanup(hook.Close)
			c, _, key := newSession(t, st)
			_, _, err := c.Webhooks.Ensure(t.Context(), pave.NewCallback(pave.EventStatusChange, hook.URL, testWebhookSecret))
			require.NoError(t, err)
			complete(t, st, key)
			require.Eventually(t, func() bool { return rec.find("SESSION:STATUS_CHANGE") != nil }, 30*time.Second,
				5*time.Millisecond, "delivered in the background")
			assert.Contains(t, rec.find("SESSION:STATUS_CHANGE"), "previous_status", "a rich delivery")
		}},
		{[]string{"--log"}, func(t *testing.T, p *longProc, st fakeStart) {
			_, creds, _ := newSession(t, st)
			signedGet(t, st.BaseURL, creds, "/v1/sessions/NSA-%1b%5d0;pwned%07")
			require.Eventually(t, func() bool { return strings.Contains(p.stderr.String(), "path=/v1/sessions/NSA-") },
				30*time.Second, 5*time.Millisecond)
			assert.Contains(t, p.stderr.String(), "method=POST path=/v1/sessions status=201")
			assertInert(t, "the log", p.stderr.String())
		}},
		{[]string{"--log-json"}, func(t *testing.T, p *longProc, st fakeStart) {
			newSession(t, st)
			require.Eventually(t, func() bool { return strings.Contains(p.stderr.String(), `"path":"/v1/sessions"`) },
				30*time.Second, 5*time.Millisecond)
			var line map[string]any
			require.NoError(t, json.Unmarshal([]byte(strings.SplitN(p.stderr.String(), "\n", 2)[0]), &line))
			assert.Equal(t, "request", line["kind"])
		}},
	} {
		t.Run(strings.Join(tc.flags, " "), func(t *testing.T) {
			t.Parallel()
			p, st := startFake(t, nil, tc.flags...)
			tc.check(t, p, st)
			p.stop(t)
		})
	}
	r := cli(t, nil, "fake", "serve", "--addr", "127.0.0.1:0", "--not-ready-status", "99")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--not-ready-status 99")
}

func TestFakeServeStartMessage(t *testing.T) {
	t.Parallel()
	p, st := startFake(t, nil, "--lenient")
	assert.Equal(t, "lenient", st.Timestamps)
	for url, want := range map[string]string{st.HealthURL: "", st.OpenAPIURL: `"openapi"`, st.AccountsURL: `"accounts"`} {
		resp, err := http.Get(url)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, url)
		assert.Contains(t, string(b), want, url)
	}
	p.stop(t)

	text := startLong(t, nil, "fake", "serve", "--addr", "127.0.0.1:0")
	line := text.waitLine(t, 30*time.Second, "the timestamp mode", func(l string) bool {
		return strings.HasPrefix(l,
			"timestamps")
	})
	assert.Contains(t, line, "timestamps strict")
	assert.Contains(t, line, "/_fake/health")
	assert.Contains(t, line, "/_fake/openapi.json")
	text.stop(t)
}

func TestFakeFaultsResetOpenAPI(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := []string{"PAVE_BASE_URL=" + srv.URL}
	client := srv.Client()

	assert.Equal(t, "No faults.\n", mustOK(t, cli(t, env, "fake", "fault", "list")).stdout)
	r := mustOK(t, cli(t, env, "fake", "fault", "add", "--path", "/v1/callbacks", "--status", "503", "--times", "5"))
	assert.Regexp(t, `^Added fault \d+ `, r.stdout)
	var added struct{ ID int }
	require.NoError(t, json.Unmarshal([]byte(mustOK(t, cli(t, env, "fake", "fault", "add", "--method", "DELETE",
		"--path-prefix", "/v1/", "--drop", "--json")).stdout), &added))
	r = mustOK(t, cli(t, env, "fake", "fault", "list"))
	assert.Regexp(t, `ID\s+METHOD\s+PATH\s+DOES\s+REMAINING`, r.stdout)
	assert.Regexp(t, `any\s+/v1/callbacks\s+answer 503\s+5`, r.stdout)
	assert.Regexp(t, `DELETE\s+/v1/\*\s+drop\s+until removed`, r.stdout)
	var listed []map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustOK(t, cli(t, env, "fake", "fault", "list", "--json")).stdout), &listed))
	require.Len(t, listed, 2)

	_, err := client.Webhooks.List(t.Context())
	require.ErrorIs(t, err, pave.ErrServer, "the fault applies")
	mustOK(t, cli(t, env, "fake", "fault", "rm", "--all"))
	_, err = client.Webhooks.List(t.Context())
	require.NoError(t, err)

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"fake", "fault", "rm", "999"}, exitNotFound, "999"},
		{[]string{"fake", "fault", "rm"}, exitUsage, "--all"},
		{[]string{"fake", "fault", "rm", "x"}, exitUsage, "numeric"},
		{[]string{"fake", "fault", "rm", "1", "--all"}, exitUsage, "--all"},
		{[]string{"fake", "fault", "add", "--path", "/v1/callbacks"}, exitUsage, "status"},
		{[]string{"fake", "fault", "add", "--delay", "soon"}, exitUsage, "--delay"},
		{[]string{"fake", "reset", "now"}, exitUsage, "now"},
		{[]string{"fake", "hotspots", "process"}, exitUsage, "session key"},
		{[]string{"fake", "hotspots", "process", "NSA-NOSUCHKEY"}, exitNotFound, "NSA-NOSUCHKEY"},
	} {
		r := cli(t, env, tc.args...)
		assert.Equal(t, tc.code, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.want, "%v", tc.args)
	}

	key := sdkNewSession(t, client)
	assert.Equal(t, "The fake server is back in its start state.\n", mustOK(t, cli(t, env, "fake", "reset")).stdout)
	_, err = srv.Session(key)
	assert.ErrorIs(t, err, pavetest.ErrSessionNotFound)
	var done map[string]string
	require.NoError(t, json.Unmarshal([]byte(mustOK(t, cli(t, env, "fake", "reset", "--json")).stdout), &done))
	assert.NotEmpty(t, done["done"])

	r = mustOK(t, cli(t, env, "fake", "openapi"))
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
	assert.Contains(t, doc["openapi"], "3.1")
	paths, _ := doc["paths"].(map[string]any)
	assert.Contains(t, paths, "/_fake/reset")
}
