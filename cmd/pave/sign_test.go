package main

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/sign"
	"github.com/pave-go/pave/pavetest"
)

// signHeaders turns sign --json's headers into an http.Header.
func signHeaders(out sign.Output) http.Header {
	h := http.Header{}
	for k, v := range out.Headers {
		h.Set(k, v)
	}
	return h
}

func parseSign(t *testing.T, r result) sign.Output {
	t.Helper()
	var out sign.Output
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
	return out
}

func TestSignFixedTimestampIsTheSDKToken(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	creds := srv.Credentials()
	const ts = "2024-03-15T09:30:00Z"

	out := parseSign(t, mustOK(t, cli(t, fakeEnv(srv), "sign", "--timestamp", ts, "--json")))
	assert.Equal(t, creds.APIKey, out.Headers[pave.HeaderAPIKey])
	assert.Equal(t, ts, out.Headers[pave.HeaderAPITimestamp])
	assert.Equal(t, creds.Token(ts), out.Headers[pave.HeaderAPIToken])
	assert.Len(t, out.Headers, 3)
	require.NoError(t, pavetest.CheckSignature(signHeaders(out), creds, pavetest.Strict, time.Time{}, 0))
	assert.Contains(t, out.Curl, "-X GET")
	assert.Contains(t, out.Curl, "-H 'API-Token: "+creds.Token(ts)+"'")
	assert.True(t, strings.HasSuffix(out.Curl, " "+srv.URL+"/v1/callbacks"), out.Curl)
	assert.NotContains(t, out.Curl, creds.APISecret)

	// The text form: the three headers, then the curl command.
	r := mustOK(t, cli(t, fakeEnv(srv), "sign", "--timestamp", ts))
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 5, r.stdout)
	assert.Equal(t, "API-Key: "+creds.APIKey, lines[0])
	assert.Equal(t, "API-Timestamp: "+ts, lines[1])
	assert.Equal(t, "API-Token: "+creds.Token(ts), lines[2])
	assert.Equal(t, "", lines[3])
	assert.Equal(t, out.Curl, lines[4])
	assert.NotContains(t, r.stdout+r.stderr, creds.APISecret)
}

func TestSignNowIsAcceptedByTheServer(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	creds := srv.Credentials()
	out := parseSign(t, mustOK(t, cli(t, fakeEnv(srv), "sign", "--path", "/v1/callbacks", "--json")))
	require.NoError(t, pavetest.CheckSignature(signHeaders(out), creds, pavetest.Strict, time.Now(),
		pavetest.DefaultTimestampWindow))

	// The request curl would send, made with net/http.
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/callbacks", nil)
	require.NoError(t, err)
	req.Header = signHeaders(out)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestSignCurlRuns runs the printed curl command in a shell: the quoting
// survives a body with a single quote, and the fake accepts the request.
func TestSignCurlRuns(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl")
	}
	srv := pavetest.NewServer(t)
	tests := []struct {
		name string
		args []string
		want string // in curl's output
	}{
		{"get", []string{"--path", "/v1/callbacks"}, `"data"`},
		{"post with a quote in the body", []string{"--method", "post", "--path", "/v1/callbacks",
			"--body", `{"event":"SESSION:COMPLETE","url":"https://crm.example/it's/done?a=1&b=$HOME"}`}, `it's/done`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := parseSign(t, mustOK(t, cli(t, fakeEnv(srv), append([]string{"sign", "--json"}, tt.args...)...)))
			got, err := exec.Command("sh", "-c", out.Curl).CombinedOutput()
			require.NoError(t, err, string(got))
			assert.Contains(t, strings.ReplaceAll(string(got), `\/`, `/`), tt.want)
			assert.NotContains(t, string(got), "Invalid API-Token")
		})
	}
	cb, err := srv.Client().Webhooks.Get(t.Context(), pave.EventComplete)
	require.NoError(t, err)
	assert.Equal(t, "https://crm.example/it's/done?a=1&b=$HOME", cb.URL)
}

func TestSignOtherTimestampForms(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	creds := srv.Credentials()
	tests := []struct{ ts, form string }{
		{"2024-03-15T09:30:00.123Z", "RFC 3339"},
		{"2024-03-15T09:30:00+00:00", "RFC 3339"},
		{"1710495000", "Unix seconds"},
		{"Fri, 15 Mar 2024 09:30:00 GMT", "RFC 1123"},
	}
	for _, tt := range tests {
		t.Run(tt.ts, func(t *testing.T) {
			t.Parallel()
			r := mustOK(t, cli(t, fakeEnv(srv), "sign", "--json", "--timestamp", tt.ts))
			out := parseSign(t, r)
			assert.Equal(t, creds.Token(tt.ts), out.Headers[pave.HeaderAPIToken])
			assert.Contains(t, r.stderr, tt.form)
			assert.Contains(t, r.stderr, "PAVE may refuse it")
			require.NoError(t, pavetest.CheckSignature(signHeaders(out), creds, pavetest.Lenient, time.Time{}, 0))
			assert.Error(t, pavetest.CheckSignature(signHeaders(out), creds, pavetest.Strict, time.Time{}, 0))
		})
	}
}

func TestSignBadInput(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"unknown method", fakeEnv(srv), []string{"--method", "FETCH"}, exitUsage, "--method"},
		{"empty method", fakeEnv(srv), []string{"--method", ""}, exitUsage, "--method"},
		{"relative path", fakeEnv(srv), []string{"--path", "callbacks"}, exitUsage, "--path"},
		{"other version", fakeEnv(srv), []string{"--path", "/v3/sessions"}, exitUsage, "--path"},
		{"space in path", fakeEnv(srv), []string{"--path", "/v1/sessions/a b"}, exitUsage, "--path"},
		{"body not JSON", fakeEnv(srv), []string{"--method", "POST", "--body", "{bad"}, exitUsage, "--body"},
		{"body with GET", fakeEnv(srv), []string{"--body", `{"a":1}`}, exitUsage, "--body"},
		{"timestamp", fakeEnv(srv), []string{"--timestamp", "yesterday"}, exitUsage, "--timestamp"},
		{"timestamp close to canonical", fakeEnv(srv), []string{"--timestamp", "2024-03-15 09:30:00"}, exitUsage,
			"--timestamp"},
		{"json flag", fakeEnv(srv), []string{"--json=maybe"}, exitUsage, "--json"},
		{"unknown flag", fakeEnv(srv), []string{"--secret"}, exitUsage, "--secret"},
		{"argument", fakeEnv(srv), []string{"GET"}, exitUsage, "unknown command"},
		{"base URL", fakeEnv(srv), []string{"--base-url", "ftp://example.com"}, exitUsage, "--base-url"},
		{"no credentials", []string{"PAVE_BASE_URL=" + pave.DefaultBaseURL}, nil, exitUnauthorized, pave.EnvAPISecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, tt.env, append([]string{"sign"}, tt.args...)...)
			assert.Equal(t, tt.code, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			assert.Empty(t, r.stdout)
			assert.NotContains(t, r.stderr, srv.Credentials().APISecret)
		})
	}
}

func TestSignHelp(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"sign", "doctor", "probe"} {
		r := mustOK(t, cli(t, nil, c, "--help"))
		assert.Contains(t, r.stdout, "Examples:", c)
		assert.Contains(t, r.stdout, "pave "+c, c)
	}
}
