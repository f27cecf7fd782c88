package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/nettest"
	"github.com/pave-go/pave/pavetest"
)

// doctorJSON runs pave doctor --json and returns its checks by name.
func doctorJSON(t *testing.T, env []string, args ...string) (map[string]doctorCheck, result) {
	t.Helper()
	r := cli(t, env, append([]string{"doctor", "--json"}, args...)...)
	var list []struct {
		Name, Status, Detail, Fix string
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list), "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	byName := map[string]doctorCheck{}
	for _, c := range list {
		require.Contains(t, []string{checkOK, checkFail, checkWarn, checkSkip}, c.Status, c.Name)
		if c.Status == checkFail || c.Status == checkWarn {
			assert.NotEmpty(t, c.Fix, "%s %s has no fix", c.Status, c.Name)
		}
		byName[c.Name] = doctorCheck{Name: c.Name, Status: c.Status, Detail: c.Detail, Fix: c.Fix}
	}
	return byName, r
}

// writeConfig writes a config file with one profile and the given mode.
func doctorWriteConfig(t *testing.T, creds pave.Credentials, base string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json")
	b, err := json.Marshal(cmdutil.ConfigFile{Profiles: map[string]cmdutil.Profile{"default": {
		Username: creds.Username, APIKey: creds.APIKey, APISecret: creds.APISecret, BaseURL: base}}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, mode))
	require.NoError(t, os.Chmod(path, mode))
	return path
}

func doctorWithEnv(env []string, name, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return append(out, name+"="+value)
}

func TestDoctor(t *testing.T) {
	t.Parallel()
	healthy := pavetest.NewServer(t)
	skewed := pavetest.NewServer(t, pavetest.WithClock(func() time.Time { return time.Now().Add(7 * time.Minute) }))
	odd := pavetest.NewServer(t, pavetest.WithAccounts(pavetest.Account{
		Username: "sales@dealer.example", APIKey: "dealer-key-1", APISecret: "an-invented-secret-for-tests"}))
	notPAVE := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	}))
	t.Cleanup(notPAVE.Close)
	secret := healthy.Credentials().APISecret

	type want struct {
		status string // of the check
		text   string // in its detail or fix (optional)
	}
	tests := []struct {
		name   string
		env    func(t *testing.T) []string
		args   []string
		code   int
		checks map[string]want
		stdout *regexp.Regexp // in the text output (optional)
	}{
		{
			name: "healthy", code: exitOK,
			env: func(*testing.T) []string { return fakeEnv(healthy) },
			checks: map[string]want{
				"config": {checkOK, "no config file"}, "credentials": {checkOK, "API secret from PAVE_API_SECRET"},
				"format": {checkOK, ""}, "API key": {checkOK, "UUID"}, "username": {checkOK, ""},
				"base URL": {checkOK, healthy.URL}, "reachable": {checkOK, "TCP connection"},
				"clock": {checkOK, "agrees"}, "signed call": {checkOK, "answered 200: 0 callback settings"},
			},
			stdout: regexp.MustCompile(`(?m)^ok    signed call: GET /v1/callbacks answered 200`),
		},
		{
			name: "fake server's account", code: exitOK,
			env: func(*testing.T) []string { return []string{"PAVE_BASE_URL=" + healthy.URL} },
			checks: map[string]want{
				"credentials": {checkOK, "fake server's default account " + healthy.Credentials().Username},
				"signed call": {checkOK, ""},
			},
		},
		{
			name: "clock skew", code: exitUnauthorized,
			env: func(*testing.T) []string { return fakeEnv(skewed) },
			checks: map[string]want{
				"clock":       {checkFail, "behind PAVE's"},
				"signed call": {checkFail, `401 "API-Token has expired."`},
			},
			stdout: regexp.MustCompile(`(?m)^FAIL  clock: your clock is (6m5\ds|7m\ds) behind PAVE's\n      fix: synchronise`),
		},
		{
			name: "wrong secret", code: exitUnauthorized,
			env: func(*testing.T) []string {
				return doctorWithEnv(fakeEnv(healthy), pave.EnvAPISecret, "not-the-secret-of-this-key")
			},
			checks: map[string]want{
				"clock":       {checkOK, ""},
				"signed call": {checkFail, "the token does not verify"},
			},
			stdout: regexp.MustCompile(`fix: the API secret is not this key's, or the username is not the account name`),
		},
		{
			name: "unknown key", code: exitUnauthorized,
			env: func(*testing.T) []string {
				return doctorWithEnv(fakeEnv(healthy), pave.EnvAPIKey, "00000000-0000-4000-8000-000000000000")
			},
			checks: map[string]want{"signed call": {checkFail, "does not accept these credentials"}},
		},
		{
			name: "unreachable", code: exitError,
			env: func(t *testing.T) []string {
				return doctorWithEnv(fakeEnv(healthy), "PAVE_BASE_URL", "http://"+nettest.RefusedAddr(t))
			},
			checks: map[string]want{
				"base URL":    {checkOK, ""},
				"reachable":   {checkFail, "cannot connect"},
				"clock":       {checkSkip, ""},
				"signed call": {checkSkip, ""},
			},
			stdout: regexp.MustCompile(`(?m)^FAIL  reachable: cannot connect to 127\.0\.0\.1:\d+`),
		},
		{
			name: "secret with a trailing newline", code: exitUnauthorized,
			env: func(*testing.T) []string {
				return doctorWithEnv(fakeEnv(healthy), pave.EnvAPISecret, secret+"\n")
			},
			checks: map[string]want{
				"format":      {checkFail, "PAVE_API_SECRET ends with a newline"},
				"signed call": {checkOK, ""}, // pave trims it
			},
			stdout: regexp.MustCompile(
				`(?m)^FAIL  format: PAVE_API_SECRET ends with a newline\n      fix: set it again without`),
		},
		{
			name: "username flag with spaces", code: exitUnauthorized,
			env: func(*testing.T) []string {
				return doctorWithEnv(fakeEnv(healthy), pave.EnvUsername, "")
			},
			args: []string{"--username", " " + healthy.Credentials().Username + " "},
			checks: map[string]want{
				"credentials": {checkOK, "username from --username"},
				"format":      {checkFail, "--username starts with whitespace and ends with whitespace"},
			},
		},
		{
			name: "email username and a key that is no UUID", code: exitOK,
			env: func(*testing.T) []string { return fakeEnv(odd) },
			checks: map[string]want{
				"API key":     {checkWarn, "not a UUID"},
				"username":    {checkWarn, "'@'"},
				"signed call": {checkOK, ""},
			},
			stdout: regexp.MustCompile(`(?m)^warn  username: contains '@'`),
		},
		{
			name: "no credentials", code: exitUnauthorized,
			env: func(*testing.T) []string { return []string{"PAVE_BASE_URL=" + notPAVE.URL} },
			checks: map[string]want{
				"credentials": {checkFail, pave.EnvAPISecret},
				"reachable":   {checkOK, ""},
				"clock":       {checkSkip, ""},
				"signed call": {checkSkip, ""},
			},
		},
		{
			name: "config file readable by others", code: exitError,
			env: func(t *testing.T) []string { return []string{"PAVE_BASE_URL=" + healthy.URL} },
			checks: map[string]want{
				"config":      {checkFail, "chmod 600"},
				"credentials": {checkSkip, ""},
			},
		},
		{
			name: "config file profile", code: exitOK,
			env: func(t *testing.T) []string { return nil },
			checks: map[string]want{
				"config":      {checkOK, "profile default of"},
				"credentials": {checkOK, `API secret from "api_secret" of profile default in`},
				"base URL":    {checkOK, healthy.URL},
				"signed call": {checkOK, ""},
			},
		},
		{
			name: "base URL not https", code: exitError,
			env:  func(*testing.T) []string { return fakeEnv(healthy) },
			args: []string{"--base-url", "http://pave.example.com"},
			checks: map[string]want{
				"base URL":  {checkFail, "http://pave.example.com"},
				"reachable": {checkSkip, ""},
			},
		},
		{
			name: "base URL not PAVE", code: exitError,
			env: func(*testing.T) []string { return doctorWithEnv(fakeEnv(healthy), "PAVE_BASE_URL", notPAVE.URL) },
			checks: map[string]want{
				"clock":       {checkOK, ""},
				"signed call": {checkFail, "answered 404"},
			},
			stdout: regexp.MustCompile(`fix: the base URL does not point at the PAVE API`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := tt.env(t)
			args := tt.args
			switch tt.name {
			case "config file readable by others":
				args = append(args, "--config", doctorWriteConfig(t, healthy.Credentials(), "", 0o644))
			case "config file profile":
				args = append(args, "--config", doctorWriteConfig(t, healthy.Credentials(), healthy.URL, 0o600))
			}
			checks, r := doctorJSON(t, env, args...)
			assert.Equal(t, tt.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			for name, w := range tt.checks {
				c, ok := checks[name]
				if !assert.True(t, ok, "no check %q in %s", name, r.stdout) {
					continue
				}
				assert.Equal(t, w.status, c.Status, "%s: %s", name, c.Detail)
				assert.Contains(t, c.Detail+" "+c.Fix, w.text, name)
			}
			text := cli(t, env, append([]string{"doctor"}, args...)...)
			assert.Equal(t, tt.code, text.code)
			if tt.stdout != nil {
				assert.Regexp(t, tt.stdout, text.stdout)
			}
			if tt.code != exitOK {
				assert.Regexp(t, `pave: \d+ checks? failed`, text.stderr)
			}
			for _, out := range []string{r.stdout, r.stderr, text.stdout, text.stderr} {
				assert.NotContains(t, out, secret)
				assert.NotContains(t, out, odd.Credentials().APISecret)
			}
		})
	}
}

func TestDoctorBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"doctor", "now"}, "unknown command"},
		{[]string{"doctor", "--json=perhaps"}, "--json"},
		{[]string{"doctor", "--fix"}, "--fix"},
	}
	for _, tt := range tests {
		r := cli(t, nil, tt.args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tt.args, r.stderr)
		assert.Contains(t, r.stderr, tt.want)
	}
}
