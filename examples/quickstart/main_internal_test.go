package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// TestMain checks that run stops everything it starts (fake server,
// webhook receiver, connections).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// envOf returns an env lookup backed by a map.
func envOf(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestQuickstartEmbedded(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, envOf(nil)))
	got := out.String()

	assert.True(t, strings.HasPrefix(got, "mode: embedded fake server (no credentials needed)\n"), got)
	assert.Regexp(t, `capture link: https://\S+\.vehiclecapture\.com/[A-Z]{3}-[A-Z0-9]{10}\n`, got)

	// One line per photo, the rejected one included, and the status changes.
	stage := regexp.MustCompile(`(?m)^  webhook SESSION:STAGE_CHANGE .*$`).FindAllString(got, -1)
	assert.Len(t, stage, 14, got)
	assert.Regexp(t, `SESSION:STAGE_CHANGE +photo 10 Front_Left +REJECTED \(Wrong View\)`, got)
	assert.Regexp(t, `SESSION:STATUS_CHANGE +CONFIRM -> COMPLETE`, got)
	assert.Regexp(t, `SESSION:COMPLETE +session [A-Z]{3}-[A-Z0-9]{10}: results are ready`, got)

	// The report comes after the COMPLETE webhook, from the API.
	complete := strings.Index(got, "SESSION:COMPLETE ")
	report := strings.Index(got, "Condition report for session ")
	require.Positive(t, complete, got)
	require.Greater(t, report, complete, got)
	assert.Contains(t, got, "  VIN:      1HGCV1F39LA012345\n")
	assert.Regexp(t, `  Grade: +[1-5]/5, \w+`, got)
	assert.Regexp(t, `  Damages: +\d+\n`, got)
	assert.Regexp(t, `  COMPONENT +N +REPAIR +WORST DAMAGE\n`, got)
	for _, line := range strings.Split(got[report:], "\n") {
		if strings.HasPrefix(line, "  ") { // the report's lines
			assert.LessOrEqual(t, len([]rune(line)), 80, "the report fits a terminal: %q", line)
		}
	}

	// The customer's name never reaches the output.
	assert.NotContains(t, got, "Maria")
	assert.NotContains(t, got, "Lopez")
}

func TestQuickstartPartialCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		missing []string
	}{
		{"only username", map[string]string{pave.EnvUsername: "acme"}, []string{pave.EnvAPIKey, pave.EnvAPISecret}},
		{"blank secret", map[string]string{pave.EnvUsername: "acme", pave.EnvAPIKey: "k", pave.EnvAPISecret: "  "}, []string{pave.EnvAPISecret}},
		{"only base URL", map[string]string{"PAVE_BASE_URL": "https://openapi.paveapi.com"}, []string{pave.EnvUsername, pave.EnvAPIKey, pave.EnvAPISecret}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := run(context.Background(), &out, envOf(tt.env))
			require.Error(t, err)
			for _, name := range tt.missing {
				assert.Contains(t, err.Error(), name)
			}
			assert.Contains(t, err.Error(), strings.Join(tt.missing, ", ")+" not set or blank")
			require.ErrorIs(t, err, pave.ErrInvalidCredentials)
			assert.Empty(t, out.String(), "nothing runs with partial credentials")
		})
	}
}

// liveEnv points live mode at a fake server.
func liveEnv(srv *pavetest.Server, creds pave.Credentials) func(string) string {
	return envOf(map[string]string{
		pave.EnvUsername:  creds.Username,
		pave.EnvAPIKey:    creds.APIKey,
		pave.EnvAPISecret: creds.APISecret,
		"PAVE_BASE_URL":   srv.URL,
	})
}

func TestQuickstartLive(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, liveEnv(srv, srv.Credentials())))
	got := out.String()

	assert.True(t, strings.HasPrefix(got, "mode: live PAVE API at "+srv.URL+"\n"), got)
	m := regexp.MustCompile(`capture link: (https://\S+/([A-Z]{3}-[A-Z0-9]{10}))\n`).FindStringSubmatch(got)
	require.NotNil(t, m, got)

	// The session exists, untouched, and nothing else was done: no
	// webhook settings, no capture.
	sess, err := srv.Session(m[2])
	require.NoError(t, err)
	assert.Equal(t, m[1], sess.CaptureURL)
	assert.Equal(t, pave.StatusIdle, sess.Status)
	assert.Equal(t, "LEAD-88127", sess.ClientID)
	var calls []string
	for _, r := range srv.Requests() {
		calls = append(calls, r.Method+" "+r.Path)
	}
	assert.Equal(t, []string{http.MethodPost + " /v1/sessions"}, calls)
	assert.Empty(t, srv.Deliveries())
}

func TestQuickstartLiveWrongSecret(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	creds := srv.Credentials()
	creds.APISecret = "not-the-secret"
	var out bytes.Buffer
	err := run(context.Background(), &out, liveEnv(srv, creds))
	require.Error(t, err)
	assert.True(t, errors.Is(err, pave.ErrUnauthorized), err)
	assert.Contains(t, err.Error(), "create the session")
	assert.NotContains(t, err.Error(), "not-the-secret")
}

func TestQuickstartLiveRejectsPlainHTTP(t *testing.T) {
	t.Parallel()
	env := envOf(map[string]string{
		pave.EnvUsername: "acme", pave.EnvAPIKey: "key", pave.EnvAPISecret: "secret",
		"PAVE_BASE_URL": "http://openapi.example.com", // http only for loopback
	})
	var out bytes.Buffer
	err := run(context.Background(), &out, env)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "create the PAVE client")
}
