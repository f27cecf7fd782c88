package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/nettest"
	"github.com/pave-go/pave/pavetest"
)

// secretForms are the encodings a server may echo a credential in.
func secretForms(s string) []string {
	b := []byte(s)
	return []string{s, strings.ToUpper(s), strings.ToLower(s), base64.StdEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b), hex.EncodeToString(b)}
}

func TestControlTokenNeverPrinted(t *testing.T) {
	t.Parallel()
	const token = "control-token-0123456789abcdef"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": "refused " + auth + " b64 " +
			base64.StdEncoding.EncodeToString([]byte(token)) + " hex " + hex.EncodeToString([]byte(token))})
	}))
	t.Cleanup(srv.Close)
	r := cli(t, []string{"PAVE_BASE_URL=" + srv.URL, envFakeControlToken + "=" + token}, "fake", "complete", "NSA-K")
	assert.Equal(t, exitUnauthorized, r.code, r.stderr)
	for _, f := range secretForms(token) {
		assert.NotContains(t, r.stdout+r.stderr, f)
	}
}

func TestProbeRedactsEchoedTokens(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var tokens []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get(pave.HeaderAPIToken)
		mu.Lock()
		tokens = append(tokens, tok)
		mu.Unlock()
		b := []byte(tok)
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": "bad token " + base64.StdEncoding.EncodeToString(b) +
			" " + hex.EncodeToString(b) + " " + strings.ToUpper(tok) + " " + base64.URLEncoding.EncodeToString(b)})
	}))
	t.Cleanup(srv.Close)
	c := pavetest.MockCredentials()
	env := []string{"PAVE_BASE_URL=" + srv.URL, "PAVE_USERNAME=" + c.Username, "PAVE_API_KEY=" + c.APIKey,
		"PAVE_API_SECRET=" + c.APISecret}
	for _, args := range [][]string{{"probe", "--yes"}, {"probe", "--yes", "--json"}} {
		r := cli(t, env, args...)
		assert.Equal(t, exitUnauthorized, r.code, r.stderr)
		mu.Lock()
		require.NotEmpty(t, tokens)
		for _, tok := range tokens {
			for _, f := range secretForms(tok) {
				assert.NotContains(t, r.stdout+r.stderr, f, "%v", args)
			}
		}
		tokens = nil
		mu.Unlock()
	}
}

// hangingServer answers nothing until the client goes away.
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the server sees the client go only once the body is read
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv
}

func credsEnv(base string) []string {
	c := pavetest.MockCredentials()
	return []string{"PAVE_BASE_URL=" + base, "PAVE_USERNAME=" + c.Username, "PAVE_API_KEY=" + c.APIKey,
		"PAVE_API_SECRET=" + c.APISecret}
}

func TestTimeoutsAreErrorsNotNotReady(t *testing.T) {
	t.Parallel()
	env := credsEnv(hangingServer(t).URL)
	for _, args := range [][]string{
		{"sessions", "get", "NSA-K", "--timeout", "50ms"},
		{"sessions", "create", "--timeout", "50ms"},
		{"callbacks", "list", "--timeout", "50ms"},
		{"hotspots", "create", "--timeout", "50ms"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := cli(t, env, args...)
			assert.Equal(t, exitError, r.code, r.stderr)
			assert.Contains(t, r.stderr, "timeout")
		})
	}
	r := cli(t, env, "sessions", "get", "NSA-K", "--timeout", "0s")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--timeout")
}

func TestWaitInterrupted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			srv := pavetest.NewServer(t)
			key := sdkNewSession(t, srv.Client())
			p := startProcess(t, fakeEnv(srv), "sessions", "wait", key, "--interval", "20ms")
			require.Eventually(t, func() bool {
				for _, r := range srv.Requests() {
					if strings.HasPrefix(r.Path, "/v1/sessions/"+key) {
						return true
					}
				}
				return false
			}, 30*time.Second, 5*time.Millisecond, "the wait polls")
			p.interrupt(t, tc.sig)
			<-p.done
			assert.Equal(t, tc.code, p.code, p.stderr.String())
		})
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()
	closed := "http://" + nettest.RefusedAddr(t)
	srv := pavetest.NewServer(t)
	vinRefused := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write([]byte(`{"message": "Invalid.", "errors": {"vehicle.vin": ["is invalid"]}}`))
	}))
	t.Cleanup(vinRefused.Close)
	endless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"session_key": "`))
		chunk := []byte(strings.Repeat("x", 64<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(endless.Close)
	for _, tc := range []struct {
		name    string
		env     []string
		args    []string
		code    int
		want    []string
		notWant []string
	}{
		{"a stopped fake", []string{"PAVE_BASE_URL=" + closed}, []string{"sessions", "get", "NSA-K"}, exitError,
			[]string{"cannot connect to " + closed}, []string{"invalid credentials"}},
		{"--base-url ftp", fakeEnv(srv), []string{"sessions", "get", "NSA-K", "--base-url", "ftp://x"}, exitUsage,
			[]string{"--base-url"}, []string{"WithBaseURL", "PAVE_BASE_URL"}},
		{"PAVE_BASE_URL ftp", credsEnv("ftp://x"), []string{"sessions", "get", "NSA-K"}, exitUsage,
			[]string{"PAVE_BASE_URL"}, []string{"WithBaseURL"}},
		{"no flag get lacks", credsEnv(vinRefused.URL), []string{"sessions", "get", "NSA-K"}, exitValidation,
			[]string{"vehicle.vin"}, []string{"--vin"}},
		{"one prefix", nil, []string{"sessions", "get"}, exitUsage, []string{"pave: ", "KEY"}, []string{"pave: pave"}},
		{"an endless answer", []string{"PAVE_BASE_URL=" + endless.URL}, []string{"fake", "complete", "NSA-K"}, exitError,
			[]string{"answer larger than"}, []string{"unexpected end of JSON input"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, tc.env, tc.args...)
			assert.Equal(t, tc.code, r.code, r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			for _, w := range tc.notWant {
				assert.NotContains(t, r.stderr, w)
			}
		})
	}
}

func TestDoctorRefusesControlCharactersInSecret(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := doctorWithEnv(fakeEnv(srv), pave.EnvAPISecret, "abc\x1b[2Jdef-0123456789")
	checks, r := doctorJSON(t, env)
	assert.Equal(t, exitUnauthorized, r.code, r.stdout)
	assert.Equal(t, checkFail, checks["format"].Status, checks["format"].Detail)
	assert.Contains(t, checks["format"].Detail, "control character")
	assert.NotContains(t, r.stdout+r.stderr, "abc")
}

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	assert.Equal(t, mustOK(t, cli(t, nil, "version")).stdout, mustOK(t, cli(t, nil, "--version")).stdout)
}

func TestCreateAgainstFakeSaysHowToDriveIt(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	r := mustOK(t, cli(t, fakeEnv(srv), "sessions", "create"))
	key := strings.TrimSpace(strings.TrimPrefix(strings.Split(r.stdout, "\n")[0], "Session key:"))
	assert.Contains(t, r.stderr, "pave fake start|capture|complete "+key)
	assert.NotContains(t, mustOK(t, cli(t, fakeEnv(srv), "sessions", "create", "--json")).stdout, "pave fake")
}

func TestListenRegistersWithAFakeByDefault(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	home := t.TempDir()
	env := []string{"PAVE_BASE_URL=" + srv.URL, "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
	client := srv.Client()

	p, st := startListen(t, env, "--forward-to", "http://127.0.0.1:9/pave", "--events", "complete")
	require.Len(t, st.Registered, 1, "registered without --register")
	cb, err := client.Webhooks.Get(t.Context(), pave.EventComplete)
	require.NoError(t, err)
	assert.Equal(t, st.URL, cb.URL)
	first := st.Secret
	require.NotEmpty(t, first)
	p.stop(t)
	_, err = client.Webhooks.Get(t.Context(), pave.EventComplete)
	assert.ErrorIs(t, err, pave.ErrNotFound, "removed on exit")

	// A setting that existed is replaced while it runs, and put back after.
	_, _, err = client.Webhooks.Ensure(t.Context(), pave.NewCallback(pave.EventComplete, "https://crm.example/pave",
		testWebhookSecret))
	require.NoError(t, err)
	p, st = startListen(t, env, "--events", "complete")
	assert.Equal(t, first, st.Secret, "the secret is stable across runs")
	cb, err = client.Webhooks.Get(t.Context(), pave.EventComplete)
	require.NoError(t, err)
	assert.Equal(t, st.URL, cb.URL)
	p.stop(t)
	cb, err = client.Webhooks.Get(t.Context(), pave.EventComplete)
	require.NoError(t, err)
	assert.Equal(t, "https://crm.example/pave", cb.URL, "restored on exit")
	assert.Equal(t, "Bearer "+testWebhookSecret, cb.Headers["Authorization"])
	matches, err := filepath.Glob(filepath.Join(home, ".config", "pave", "*"))
	require.NoError(t, err)
	for _, m := range matches {
		info, err := os.Stat(m)
		require.NoError(t, err)
		if !info.IsDir() {
			assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), m)
		}
	}
}

func TestDamagesTableFits80Columns(t *testing.T) {
	t.Parallel()
	body := rewrittenFixture(t, "hotspots_results", func(s string) string {
		return s + strings.Repeat(" Rear Quarter Panel Lower Molding", 3)
	})
	wide := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	t.Cleanup(wide.Close)
	r := mustOK(t, cli(t, credsEnv(wide.URL), "hotspots", "results", pavetest.FixtureSessionKey))
	for _, l := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(l, "  ") {
			continue // the table's rows and header
		}
		assert.LessOrEqual(t, utf8.RuneCountInString(l), 80, "%q", l)
	}
	assert.Contains(t, r.stdout, "…", "long cells are cut, not dropped")
}

func TestCompletions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	require.NoError(t, os.WriteFile(cfg, []byte(`{"profiles": {"dealer-a": {}, "dealer-b": {}}}`), 0o600))
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"sessions", "create", "--theme", ""}, []string{"LITE", "PRO", "CAPT"}},
		{[]string{"sessions", "update", "K", "--odometer-unit", ""}, []string{"KILOMETRES", "MILES"}},
		{[]string{"callbacks", "get", ""}, []string{"complete", "stage_change"}},
		{[]string{"listen", "--events", ""}, []string{"complete", "note_insert"}},
		{[]string{"--config", cfg, "doctor", "--profile", ""}, []string{"dealer-a", "dealer-b"}},
	} {
		r := mustOK(t, cli(t, nil, append([]string{"__complete"}, tc.args...)...))
		for _, w := range tc.want {
			assert.Contains(t, r.stdout, w+"\n", "%v", tc.args)
		}
	}
}
