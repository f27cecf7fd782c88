package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/fake"
	"github.com/pave-go/pave/internal/nettest"
	"github.com/pave-go/pave/pavetest"
)

// fakeStart is the JSON start message of pave fake serve --json.
type fakeStart = fake.Start

// startFake runs pave fake serve --json on a free loopback port with the
// extra args, and returns the process and its start message.
func startFake(t *testing.T, env []string, args ...string) (*longProc, fakeStart) {
	t.Helper()
	p := startLong(t, env, append([]string{"fake", "serve", "--addr", "127.0.0.1:0", "--json"}, args...)...)
	var st fakeStart
	line := p.waitLine(t, 30*time.Second, "the start message", func(l string) bool { return strings.HasPrefix(l, "{") })
	require.NoError(t, json.Unmarshal([]byte(line), &st), line)
	require.NotEmpty(t, st.BaseURL)
	return p, st
}

// fakeAccounts asks a fake for its accounts, secrets included.
func fakeAccounts(t *testing.T, base, token string) []pave.Credentials {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/_fake/accounts", nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out struct {
		Accounts []pave.Credentials `json:"accounts"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.NotEmpty(t, out.Accounts)
	return out.Accounts
}

// sdkClientAt is a client of the SDK for creds at base.
func sdkClientAt(t *testing.T, base string, creds pave.Credentials) *pave.Client {
	t.Helper()
	c, err := pave.NewClient(creds, pave.WithBaseURL(base))
	require.NoError(t, err)
	return c
}

// sdkNewSession creates a session with a customer's name and phone, which
// no command output may show.
func sdkNewSession(t *testing.T, c *pave.Client) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := c.Sessions.Create(ctx, &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{RedirectURL: "https://dealer.example/done",
			Contact: &pave.Contact{FirstName: "Jeanne", LastName: "Customerova"}},
		SMS: &pave.SMS{To: "+14165550199", ToName: "Jeanne Customerova"},
	})
	require.NoError(t, err)
	return sess.SessionKey
}

func TestFakeServeStartsAndStops(t *testing.T) {
	t.Parallel()
	p := startLong(t, nil, "fake", "serve", "--addr", "127.0.0.1:0")
	line := p.waitLine(t, 30*time.Second, "the start line", func(l string) bool {
		return strings.Contains(l,
			"listening on http://")
	})
	base := line[strings.Index(line, "http://"):]
	p.waitLine(t, 30*time.Second, "the end of the start message", func(l string) bool {
		return strings.Contains(l,
			"Ctrl-C")
	})
	out := p.stdout()
	assert.Contains(t, out, "/_fake/accounts")
	assert.Contains(t, out, "sign as the default account automatically")
	assert.Contains(t, out, "POST   /_fake/sessions/{key}/start")

	accts := fakeAccounts(t, base, "")
	assert.Contains(t, out, accts[0].Username)
	assert.Contains(t, out, accts[0].APIKey)
	assert.NotContains(t, out, accts[0].APISecret, "the secret is printed only with --show-secrets")

	// It answers a signed request, and refuses an unsigned one.
	c := sdkClientAt(t, base, accts[0])
	_, err := c.Webhooks.List(context.Background())
	require.NoError(t, err)
	resp, err := http.Get(base + "/v1/callbacks")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	p.stop(t)
	assert.Contains(t, p.stderr.String(), "fake server stopped")
	assert.NotContains(t, p.stderr.String(), accts[0].APISecret)
	_, err = http.Get(base + "/_fake/accounts")
	assert.Error(t, err, "the server is closed once the process stopped")
}

func TestFakeServeJSONAndAccountsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "accounts.json")
	require.NoError(t, os.WriteFile(file, []byte(`[
  {"username": "lakesidehonda", "api_key": "key-lakeside-0001", "api_secret": "secret-lakeside-aaaa",
	"account_name": "lakeside"},
  {"username": "northshoreauto", "api_key": "key-northshore-0002", "api_secret": "secret-northshore-bbbb",
	"default_theme": "lite"}
]`), 0o600))

	for _, show := range []bool{false, true} {
		t.Run(fmt.Sprintf("show-secrets=%v", show), func(t *testing.T) {
			t.Parallel()
			args := []string{"--accounts", file, "--seed", "7"}
			if show {
				args = append(args, "--show-secrets")
			}
			p, st := startFake(t, nil, args...)
			require.Len(t, st.Accounts, 2)
			assert.Equal(t, "lakesidehonda", st.Accounts[0].Username)
			assert.True(t, st.Accounts[0].Default)
			assert.Equal(t, "lakeside", st.Accounts[0].AccountName)
			assert.Equal(t, "PRO", st.Accounts[0].DefaultTheme)
			assert.Equal(t, "northshoreauto", st.Accounts[1].Username)
			assert.False(t, st.Accounts[1].Default)
			assert.Equal(t, "LITE", st.Accounts[1].DefaultTheme)
			assert.Equal(t, "strict", st.Timestamps)
			assert.Equal(t, int64(7), st.Seed)
			assert.False(t, st.TokenRequired)
			assert.NotEmpty(t, st.Control)
			if show {
				assert.Equal(t, "secret-lakeside-aaaa", st.Accounts[0].APISecret)
				assert.Equal(t, "secret-northshore-bbbb", st.Accounts[1].APISecret)
			} else {
				assert.Empty(t, st.Accounts[0].APISecret)
				assert.NotContains(t, p.stdout(), "secret-lakeside-aaaa")
				assert.NotContains(t, p.stdout(), "secret-northshore-bbbb")
			}
			// Both accounts sign; the second's sessions are its own.
			accts := fakeAccounts(t, st.BaseURL, "")
			require.Len(t, accts, 2)
			key := sdkNewSession(t, sdkClientAt(t, st.BaseURL, accts[1]))
			_, err := sdkClientAt(t, st.BaseURL, accts[0]).Sessions.Get(context.Background(), key)
			assert.ErrorIs(t, err, pave.ErrNotFound)
			sess, err := sdkClientAt(t, st.BaseURL, accts[1]).Sessions.Get(context.Background(), key)
			require.NoError(t, err)
			assert.Equal(t, pave.ThemeLite, sess.Theme)
			p.stop(t)
			assert.NotContains(t, p.stderr.String(), "secret-lakeside-aaaa")
		})
	}

	// What GET /_fake/accounts answers is accepted as --accounts too.
	t.Run("accounts endpoint output", func(t *testing.T) {
		t.Parallel()
		p, st := startFake(t, nil, "--accounts", file)
		resp, err := http.Get(st.BaseURL + "/_fake/accounts")
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		again := filepath.Join(t.TempDir(), "again.json")
		require.NoError(t, os.WriteFile(again, b, 0o600))
		p2, st2 := startFake(t, nil, "--accounts", again)
		assert.Equal(t, st.Accounts, st2.Accounts)
		p2.stop(t)
		p.stop(t)
	})
}

func TestFakeServeSeedIsDeterministic(t *testing.T) {
	t.Parallel()
	run := func(seed string) (fakeStart, string) {
		p, st := startFake(t, nil, "--seed", seed)
		key := sdkNewSession(t, sdkClientAt(t, st.BaseURL, fakeAccounts(t, st.BaseURL, "")[0]))
		p.stop(t)
		return st, key
	}
	a, keyA := run("42")
	b, keyB := run("42")
	c, _ := run("43")
	assert.Equal(t, a.Accounts, b.Accounts, "the same seed generates the same account")
	assert.Equal(t, keyA, keyB, "and the same session keys")
	assert.NotEqual(t, a.Accounts[0].APIKey, c.Accounts[0].APIKey, "another seed, another account")
}

func TestFakeServeTimestampModes(t *testing.T) {
	t.Parallel()
	// A request signed over a Unix-seconds timestamp, which PAVE's samples
	// send but only a lenient fake accepts.
	unixSigned := func(t *testing.T, base string) int {
		creds := fakeAccounts(t, base, "")[0]
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req, err := http.NewRequest(http.MethodGet, base+"/v1/callbacks", nil)
		require.NoError(t, err)
		req.Header.Set("API-Key", creds.APIKey)
		req.Header.Set("API-Timestamp", ts)
		req.Header.Set("API-Token", creds.Token(ts))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		flags []string
		mode  string
		want  int
	}{
		{nil, "strict", http.StatusUnauthorized},
		{[]string{"--strict"}, "strict", http.StatusUnauthorized},
		{[]string{"--lenient"}, "lenient", http.StatusOK},
	} {
		t.Run(strings.Join(append([]string{"default"}, tc.flags...), " "), func(t *testing.T) {
			t.Parallel()
			p, st := startFake(t, nil, tc.flags...)
			assert.Equal(t, tc.mode, st.Timestamps)
			assert.Equal(t, tc.want, unixSigned(t, st.BaseURL))
			p.stop(t)
		})
	}
}

func TestFakeServeBadFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	good := `{"username": "u1", "api_key": "k1", "api_secret": "s1"}`
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want []string // substrings of stderr
	}{
		{"addr without port", nil, []string{"--addr", "127.0.0.1"}, []string{"--addr", "host:port"}},
		{"addr port out of range", nil, []string{"--addr", "127.0.0.1:99999"}, []string{"--addr", "0 to 65535"}},
		{"addr port not a number", nil, []string{"--addr", "127.0.0.1:http"}, []string{"--addr", "0 to 65535"}},
		{"addr missing value", nil, []string{"--addr"}, []string{"--addr"}},
		{"non-loopback addr without token", nil, []string{"--addr", "0.0.0.0:0"},
			[]string{"--addr 0.0.0.0:0 is not a loopback address", "--control-token", envFakeControlToken}},
		{"empty host without token", nil, []string{"--addr", ":0"}, []string{"not a loopback address"}},
		{"short control token", nil, []string{"--control-token", "short"}, []string{"--control-token", "at least 16"}},
		{"control token with a space", nil, []string{"--control-token", "a token with spaces in it"},
			[]string{"--control-token"}},
		{"short control token from env", []string{envFakeControlToken + "=short"}, nil, []string{envFakeControlToken,
			"at least 16"}},
		{"seed not a number", nil, []string{"--seed", "abc"}, []string{"--seed"}},
		{"seed missing value", nil, []string{"--seed"}, []string{"--seed"}},
		{"strict and lenient", nil, []string{"--strict", "--lenient"}, []string{"--strict", "--lenient"}},
		{"extra argument", nil, []string{"now"}, []string{"now"}},
		{"accounts file missing", nil, []string{"--accounts", filepath.Join(dir, "missing.json")}, []string{"--accounts",
			"cannot read", "no such file"}},
		{"accounts not JSON", nil, []string{"--accounts", write("bad.json", "[{not json")}, []string{"--accounts",
			"invalid JSON"}},
		{"accounts empty file", nil, []string{"--accounts", write("empty.json", "")}, []string{"--accounts",
			"empty or cut short"}},
		{"accounts not a list", nil, []string{"--accounts", write("obj.json", `"accounts"`)}, []string{"--accounts",
			"not a JSON list"}},
		{"accounts empty list", nil, []string{"--accounts", write("none.json", "[]")}, []string{"--accounts",
			"the list is empty"}},
		{"accounts missing secret", nil, []string{"--accounts", write("nosecret.json",
			`[{"username": "u", "api_key": "k"}]`)}, []string{"--accounts", "account 1: missing api_secret"}},
		{"accounts missing fields", nil, []string{"--accounts", write("nofields.json", `[`+good+`, {"account_name": "x"}]`)},
			[]string{"account 2: missing username, api_key, api_secret"}},
		{"accounts bad theme", nil, []string{"--accounts", write("theme.json",
			`[{"username": "u", "api_key": "k", "api_secret": "s", "default_theme": "GOLD"}]`)},
			[]string{"--accounts", "default_theme \"GOLD\"", "LITE, PRO, CAPT"}},
		{"accounts duplicate key", nil, []string{"--accounts", write("dup.json",
			`[`+good+`, {"username": "u2", "api_key": "k1", "api_secret": "s2"}]`)},
			[]string{"--accounts", "account 2 has the same api_key as account 1"}},
		{"accounts unknown field", nil, []string{"--accounts", write("typo.json",
			`[{"username": "u", "apikey": "k", "api_secret": "s"}]`)}, []string{"--accounts", "apikey"}},
		{"accounts wrong type", nil, []string{"--accounts", write("type.json",
			`[{"username": 5, "api_key": "k", "api_secret": "s"}]`)}, []string{"--accounts", "username"}},
		{"accounts trailing data", nil, []string{"--accounts", write("trailing.json", `[`+good+`] []`)},
			[]string{"--accounts", "after the list"}},
		{"accounts default flag", nil, []string{"--accounts", write("default.json",
			`[{"username": "u", "api_key": "k", "api_secret": "s", "default": true}]`)},
			[]string{"--accounts", "first account is the default"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, tc.env, append([]string{"fake", "serve", "--addr", "127.0.0.1:0"}, tc.args...)...)
			assert.Equal(t, exitUsage, r.code, "stderr: %s", r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.Empty(t, r.stdout)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(r.stderr), "\n")+1, "one line: %q", r.stderr)
		})
	}
}

func TestFakeServePortInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	r := cli(t, nil, "fake", "serve", "--addr", ln.Addr().String())
	assert.Equal(t, exitError, r.code)
	assert.Equal(t, "pave: --addr "+ln.Addr().String()+": address already in use (another process listens there; "+
		"pick another port, or port 0 for a free one)\n", r.stderr)
	assert.Empty(t, r.stdout)
}

func TestFakeServeControlToken(t *testing.T) {
	t.Parallel()
	const token = "test-control-token-0123456789"
	for _, tc := range []struct {
		name string
		env  []string
		args []string
	}{
		{"flag", nil, []string{"--control-token", token}},
		{"env", []string{envFakeControlToken + "=" + token}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, st := startFake(t, tc.env, tc.args...)
			assert.True(t, st.TokenRequired)
			assert.NotContains(t, p.stdout(), token, "the token is never printed")
			resp, err := http.Get(st.BaseURL + "/_fake/accounts")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			creds := fakeAccounts(t, st.BaseURL, token)[0]
			key := sdkNewSession(t, sdkClientAt(t, st.BaseURL, creds))

			base := []string{"PAVE_BASE_URL=" + st.BaseURL}
			r := cli(t, base, "fake", "start", key)
			assert.Equal(t, exitUnauthorized, r.code, r.stderr)
			assert.Contains(t, r.stderr, "requires its control token")
			assert.Contains(t, r.stderr, envFakeControlToken)
			r = cli(t, base, "fake", "start", key, "--control-token", "wrong-token-0123456789")
			assert.Equal(t, exitUnauthorized, r.code, r.stderr)
			assert.Contains(t, r.stderr, "refused the control token")
			r = mustOK(t, cli(t, append(base, envFakeControlToken+"="+token), "fake", "start", key))
			assert.Equal(t, key+": STARTED\n", r.stdout)
			r = mustOK(t, cli(t, base, "fake", "complete", key, "--control-token", token))
			assert.Equal(t, key+": COMPLETE\n", r.stdout)
			p.stop(t)
			assert.NotContains(t, p.stderr.String(), token)
		})
	}
}

func TestFakeControlCommands(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := []string{"PAVE_BASE_URL=" + srv.URL}
	key := sdkNewSession(t, srv.Client())
	other := sdkNewSession(t, srv.Client())
	third := sdkNewSession(t, srv.Client())

	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"fake", "start", key}, key + ": STARTED\n"},
		{[]string{"fake", "capture", key, "--photo-code", "4"}, key + ": PROCESS\n"},
		{[]string{"fake", "capture", key, "--photo-code", "13", "--rejected"}, key + ": PROCESS\n"},
		{[]string{"fake", "note", key, "--title", "Scratch on bumper", "--description", "left side"}, key + ": PROCESS\n"},
		{[]string{"fake", "note", key, "--title", "Only a title"}, key + ": PROCESS\n"},
		{[]string{"fake", "sms", key, "--failed", "--message", "Undeliverable"}, key + ": PROCESS\n"},
		{[]string{"fake", "sms", other}, other + ": IDLE\n"},
		{[]string{"fake", "complete", key}, key + ": COMPLETE\n"},
		{[]string{"fake", "expire", other}, other + ": EXPIRED\n"},
		{[]string{"fake", "invalidate", third}, third + ": INVALID\n"},
	} {
		r := mustOK(t, cli(t, env, step.args...))
		assert.Equal(t, step.want, r.stdout, "%v", step.args)
	}
	notes, err := srv.Client().Sessions.Notes(context.Background(), key)
	require.NoError(t, err)
	require.Len(t, notes, 2)
	assert.Equal(t, "Scratch on bumper", notes[0].Title)
	assert.Equal(t, "left side", notes[0].Description)

	// --json prints the session the endpoint answers; --base-url wins
	// over the environment.
	fresh := sdkNewSession(t, srv.Client())
	r := mustOK(t, cli(t, []string{"PAVE_BASE_URL=http://127.0.0.1:1"}, "fake", "capture", fresh, "--photo-code", "1",
		"--json", "--base-url", srv.URL+"/"))
	var sess map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sess), r.stdout)
	assert.Equal(t, fresh, sess["session_key"])
	assert.Equal(t, "PROCESS", sess["status"])
	photos, err := srv.Client().Sessions.Photos(context.Background(), fresh)
	require.NoError(t, err)
	require.Len(t, photos, 1)
}

func TestFakeControlErrors(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := []string{"PAVE_BASE_URL=" + srv.URL}
	done := sdkNewSession(t, srv.Client())
	require.NoError(t, srv.Complete(done))

	notFake := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFake.Close)
	closed := "http://" + nettest.RefusedAddr(t)

	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		want []string
	}{
		{"unknown session", env, []string{"fake", "complete", "NSA-NOSUCHKEY"}, exitNotFound, []string{"NSA-NOSUCHKEY",
			"cannot be found"}},
		{"status does not allow it", env, []string{"fake", "expire", done}, exitError, []string{done, "not allowed"}},
		{"start a complete session", env, []string{"fake", "start", done}, exitError, []string{done}},
		{"no server", []string{"PAVE_BASE_URL=" + closed}, []string{"fake", "start", "NSA-X"}, exitError,
			[]string{"no fake server at " + closed}},
		{"not a fake server", []string{"PAVE_BASE_URL=" + notFake.URL}, []string{"fake", "accounts"}, exitNotFound,
			[]string{"is " + notFake.URL + " a pave fake server?"}},
		{"a base URL with a path", []string{"PAVE_BASE_URL=" + srv.URL + "/v1"}, []string{"fake", "accounts"}, exitUsage,
			[]string{srv.URL + "/v1", "without a path"}},
		{"no base URL", nil, []string{"fake", "start", "NSA-X"}, exitUsage, []string{"--base-url", "PAVE_BASE_URL"}},
		{"malformed base URL", nil, []string{"fake", "start", "NSA-X", "--base-url", "127.0.0.1:8080"}, exitUsage,
			[]string{"--base-url", "http://"}},
		{"short control token", env, []string{"fake", "start", "NSA-X", "--control-token", "short"}, exitUsage,
			[]string{"--control-token"}},
		{"missing key", env, []string{"fake", "start"}, exitUsage, []string{"missing the session key",
			"pave fake start KEY"}},
		{"two keys", env, []string{"fake", "complete", "A", "B"}, exitUsage, []string{"one session key only"}},
		{"blank key", env, []string{"fake", "expire", " "}, exitUsage, []string{"is not a session key"}},
		{"key with a slash", env, []string{"fake", "invalidate", "A/B"}, exitUsage, []string{"is not a session key"}},
		{"capture without photo code", env, []string{"fake", "capture", done}, exitUsage,
			[]string{"--photo-code is required"}},
		{"photo code 0", env, []string{"fake", "capture", done, "--photo-code", "0"}, exitUsage, []string{"--photo-code 0",
			"1 to 13"}},
		{"photo code 14", env, []string{"fake", "capture", done, "--photo-code", "14"}, exitUsage,
			[]string{"--photo-code 14", "1 to 13"}},
		{"photo code not a number", env, []string{"fake", "capture", done, "--photo-code", "front"}, exitUsage,
			[]string{"--photo-code"}},
		{"rejected not a bool", env, []string{"fake", "capture", done, "--photo-code", "1", "--rejected=maybe"}, exitUsage,
			[]string{"--rejected"}},
		{"note without title", env, []string{"fake", "note", done}, exitUsage, []string{"--title is required"}},
		{"note with a blank title", env, []string{"fake", "note", done, "--title", "  "}, exitUsage, []string{"--title"}},
		{"sms with a blank message", env, []string{"fake", "sms", done, "--message", ""}, exitUsage, []string{"--message"}},
		{"unknown flag", env, []string{"fake", "complete", done, "--photo-code", "1"}, exitUsage, []string{"--photo-code"}},
		{"unknown subcommand", env, []string{"fake", "explode"}, exitUsage, []string{"unknown subcommand \"explode\""}},
		{"accounts with an argument", env, []string{"fake", "accounts", "x"}, exitUsage, []string{"x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, tc.env, tc.args...)
			assert.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.Empty(t, r.stdout)
		})
	}
}

func TestFakeAccountsCommand(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t, pavetest.WithAccounts(
		pavetest.Account{Username: "lakesidehonda", APIKey: "key-lakeside-0001", APISecret: "secret-lakeside-aaaa"},
		pavetest.Account{Username: "northshoreauto", APIKey: "key-northshore-0002", APISecret: "secret-northshore-bbbb",
			DefaultTheme: pave.ThemeCapt},
	))
	env := []string{"PAVE_BASE_URL=" + srv.URL}

	r := mustOK(t, cli(t, env, "fake", "accounts"))
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3, r.stdout)
	assert.Regexp(t, `^USERNAME\s+API KEY\s+ACCOUNT NAME\s+THEME\s+DEFAULT$`, lines[0])
	assert.Regexp(t, `^lakesidehonda\s+key-lakeside-0001\s+lakesidehonda\s+PRO\s+yes$`, lines[1])
	assert.Regexp(t, `^northshoreauto\s+key-northshore-0002\s+northshoreauto\s+CAPT$`, lines[2])
	assert.NotContains(t, r.stdout, "secret-")

	r = mustOK(t, cli(t, env, "fake", "accounts", "--show-secrets"))
	assert.Contains(t, r.stdout, "API SECRET")
	assert.Contains(t, r.stdout, "secret-lakeside-aaaa")

	for _, show := range []bool{false, true} {
		args := []string{"fake", "accounts", "--json"}
		if show {
			args = append(args, "--show-secrets")
		}
		r := mustOK(t, cli(t, env, args...))
		var out struct {
			Accounts []fakeAccountJSON `json:"accounts"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
		require.Len(t, out.Accounts, 2)
		assert.True(t, out.Accounts[0].Default)
		assert.Equal(t, "key-northshore-0002", out.Accounts[1].APIKey)
		if show {
			assert.Equal(t, "secret-northshore-bbbb", out.Accounts[1].APISecret)
		} else {
			assert.NotContains(t, r.stdout, "secret-")
		}
	}
}

// parsedDockerfile is the parsed Dockerfile: its stages' base images and the
// final stage's instructions.
type parsedDockerfile struct {
	stages     []string // FROM images, in order
	final      map[string][]string
	entrypoint []string
	cmd        []string
	text       string
}

func parseDockerfile(t *testing.T) parsedDockerfile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	require.NoError(t, err)
	df := parsedDockerfile{final: map[string][]string{}, text: string(b)}
	// Join continuation lines, drop comments.
	var logical []string
	var cur strings.Builder
	for _, l := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(l)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		logical = append(logical, cur.String())
		cur.Reset()
	}
	for _, l := range logical {
		instr, rest, _ := strings.Cut(l, " ")
		instr = strings.ToUpper(instr)
		rest = strings.TrimSpace(rest)
		if instr == "FROM" {
			df.stages = append(df.stages, strings.Fields(rest)[0])
			df.final = map[string][]string{}
			continue
		}
		df.final[instr] = append(df.final[instr], rest)
	}
	exec := func(name string) []string {
		vals := df.final[name]
		require.NotEmpty(t, vals, "the final stage has no %s", name)
		var arr []string
		require.NoError(t, json.Unmarshal([]byte(vals[len(vals)-1]), &arr), "%s must be in exec (JSON) form", name)
		return arr
	}
	df.entrypoint, df.cmd = exec("ENTRYPOINT"), exec("CMD")
	return df
}

func TestDockerfileBuild(t *testing.T) {
	t.Parallel()
	df := parseDockerfile(t)
	require.GreaterOrEqual(t, len(df.stages), 2, "multi-stage")

	// The builder is a golang image pinned to a version no older than
	// go.mod's minimum.
	m := regexp.MustCompile(`^golang:(\d+)\.(\d+)(\.\d+)?(-[a-z0-9.]+)?$`).FindStringSubmatch(df.stages[0])
	require.NotNil(t, m, "builder image %q is not golang:<version>", df.stages[0])
	gomod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	require.NoError(t, err)
	gm := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindStringSubmatch(string(gomod))
	require.NotNil(t, gm)
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	assert.True(t, num(m[1]) > num(gm[1]) || (num(m[1]) == num(gm[1]) && num(m[2]) >= num(gm[2])),
		"builder %s is older than go.mod's go %s.%s", df.stages[0], gm[1], gm[2])

	assert.Contains(t, df.text, "CGO_ENABLED=0")
	assert.Contains(t, df.text, "-trimpath")
	assert.Contains(t, df.text, `-ldflags "-s -w"`)
	assert.Contains(t, df.text, "./cmd/pave")

	final := df.stages[len(df.stages)-1]
	switch final {
	case "gcr.io/distroless/static-debian12:nonroot":
	case "scratch":
		require.NotEmpty(t, df.final["USER"])
		assert.Regexp(t, `^65532(:65532)?$`, df.final["USER"][len(df.final["USER"])-1])
	default:
		t.Errorf("final image %q is neither distroless static nonroot nor scratch", final)
	}
	if users := df.final["USER"]; len(users) > 0 {
		assert.NotRegexp(t, `^(0|root)(:|$)`, users[len(users)-1], "never root")
	}
	assert.Equal(t, []string{"8080"}, df.final["EXPOSE"])
	assert.Equal(t, []string{"/pave"}, df.entrypoint)
	assert.Equal(t, []string{"fake", "serve", "--addr", "0.0.0.0:8080"}, df.cmd)
	assert.Contains(t, df.text, envFakeControlToken, "the Dockerfile documents the control token")
}

// TestDockerfileCommand runs the binary exactly as the image does
// (ENTRYPOINT + CMD) with the control token docker run -e gives it.
func TestDockerfileCommand(t *testing.T) {
	t.Parallel()
	df := parseDockerfile(t)
	require.Equal(t, "/pave", df.entrypoint[0])
	args := append(slices.Clone(df.entrypoint[1:]), df.cmd...)

	// Without the token the image refuses to start.
	r := cli(t, nil, args...)
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--control-token")
	assert.Contains(t, r.stderr, envFakeControlToken)

	// The image's port is fixed: skip rather than fail when this machine
	// uses it already.
	addr := args[slices.Index(args, "--addr")+1]
	if ln, err := net.Listen("tcp", addr); err != nil {
		t.Skipf("%s is in use on this machine: %v", addr, err)
	} else {
		require.NoError(t, ln.Close())
	}
	const token = "docker-control-token-0123456789"
	p := startProcess(t, []string{envFakeControlToken + "=" + token}, args...)
	line := p.waitStartOrSkipIfBusy(t, addr)
	base := line[strings.Index(line, "http://"):]
	_, port, _ := net.SplitHostPort(addr)
	assert.Equal(t, "http://127.0.0.1:"+port, base)
	assert.NotContains(t, p.stdout(), token)

	// Control requests need the token.
	for _, path := range []string{"/_fake/accounts", "/_fake/requests", "/_fake/sessions/NSA-X"} {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, path)
	}
	// With it, the accounts sign requests the SDK makes.
	creds := fakeAccounts(t, base, token)[0]
	assert.NotContains(t, p.stdout(), creds.APISecret)
	c := sdkClientAt(t, base, creds)
	key := sdkNewSession(t, c)
	sess, err := c.Sessions.Get(context.Background(), key)
	require.NoError(t, err)
	assert.Equal(t, pave.StatusIdle, sess.Status)
	r = mustOK(t, cli(t, []string{"PAVE_BASE_URL=" + base, envFakeControlToken + "=" + token}, "fake", "complete", key))
	assert.Equal(t, key+": COMPLETE\n", r.stdout)
	p.stopWith(t, syscall.SIGTERM) // what docker stop sends
	assert.Contains(t, p.stderr.String(), "fake server stopped")
}

// TestFakeServeStartupTiming measures, from exec, when pave fake serve
// prints its start line and when it has answered its first signed
// request. It logs the medians; it asserts nothing about durations.
func TestFakeServeStartupTiming(t *testing.T) {
	const runs = 5
	var toStart, toSigned []time.Duration
	for range runs {
		t0 := time.Now()
		p := startProcess(t, nil, "fake", "serve", "--addr", "127.0.0.1:0", "--json", "--show-secrets")
		line := p.waitLine(t, 30*time.Second, "the start message", func(l string) bool { return strings.HasPrefix(l, "{") })
		started := time.Since(t0)
		var st fakeStart
		require.NoError(t, json.Unmarshal([]byte(line), &st))
		a := st.Accounts[0]
		c := sdkClientAt(t, st.BaseURL, pave.Credentials{Username: a.Username, APIKey: a.APIKey, APISecret: a.APISecret})
		_, err := c.Webhooks.List(context.Background())
		require.NoError(t, err)
		signed := time.Since(t0)
		p.stop(t)
		toStart, toSigned = append(toStart, started), append(toSigned, signed)
	}
	median := func(d []time.Duration) time.Duration {
		s := slices.Clone(d)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[len(s)/2]
	}
	t.Logf("pave fake serve, median of %d runs: start line %v after exec, "+
		"first signed request answered %v after exec (runs: %v / %v)",
		runs, median(toStart).Round(time.Millisecond), median(toSigned).Round(time.Millisecond), toStart, toSigned)
}

// TestFakeAndListenHelp: every command of these files has --help with an
// example, and pave fake alone shows its subcommands.
func TestFakeAndListenHelp(t *testing.T) {
	t.Parallel()
	for _, c := range [][]string{{"fake"}, {"fake", "serve"}, {"fake", "accounts"}, {"fake", "start"}, {"fake", "capture"},
		{"fake", "complete"}, {"fake", "expire"}, {"fake", "invalidate"}, {"fake", "note"}, {"fake", "sms"}, {"listen"}} {
		r := mustOK(t, cli(t, nil, append(c, "--help")...))
		assert.Contains(t, r.stdout, "Examples:", "%v", c)
		assert.Contains(t, r.stdout, "  pave "+c[0], "%v", c)
	}
	r := mustOK(t, cli(t, nil, "fake"))
	for _, sub := range []string{"serve", "accounts", "start", "capture", "complete", "expire", "invalidate", "note",
		"sms"} {
		assert.Regexp(t, `(?m)^  `+sub+`\s`, r.stdout)
	}
}
