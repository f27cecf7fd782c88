package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/redact"
	"github.com/pave-go/pave/pavetest"
)

const testWebhookSecret = "3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e"

func TestCallbacksEnsureIsIdempotent(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := append(fakeEnv(srv), "PAVE_WEBHOOK_SECRET="+testWebhookSecret)
	client := srv.Client()

	assert.Equal(t, "No callback settings.\n", mustOK(t, cli(t, env, "callbacks", "list")).stdout)
	assert.Equal(t, "[]\n", mustOK(t, cli(t, env, "callbacks", "list", "--json")).stdout)

	ensure := []string{"callbacks", "ensure", "complete", "https://crm.example/pave", "--secret-env",
		"PAVE_WEBHOOK_SECRET", "--header", "X-Tenant=north"}
	r := mustOK(t, cli(t, env, ensure...))
	assert.Contains(t, r.stdout, "Created the SESSION:COMPLETE setting.")
	assert.Regexp(t, `Headers:\s+Authorization, X-Pave-Event, X-Tenant \(values hidden\)`, r.stdout)
	assert.NotContains(t, r.stdout+r.stderr, testWebhookSecret)
	assert.NotContains(t, r.stdout, "north")

	got, err := client.Webhooks.Get(t.Context(), pave.EventComplete)
	require.NoError(t, err)
	assert.Equal(t, "https://crm.example/pave", got.URL)
	assert.Equal(t, "Bearer "+testWebhookSecret, got.Headers["Authorization"])
	assert.Equal(t, "north", got.Headers["X-Tenant"])

	// The second run finds the setting matching: it only reads.
	srv.ResetRequests()
	r = mustOK(t, cli(t, env, ensure...))
	assert.Contains(t, r.stdout, "The SESSION:COMPLETE setting already matched; nothing written.")
	reqs := srv.Requests()
	require.NotEmpty(t, reqs)
	for _, req := range reqs {
		assert.Equal(t, http.MethodGet, req.Method, "the second ensure wrote: %s %s", req.Method, req.Path)
	}
	list, err := client.Webhooks.List(t.Context())
	require.NoError(t, err)
	assert.Len(t, list, 1)

	// --json says so too, redacted.
	r = mustOK(t, cli(t, env, append(ensure, "--json")...))
	var out struct {
		Outcome  string         `json:"outcome"`
		Callback map[string]any `json:"callback"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
	assert.Equal(t, "unchanged", out.Outcome)
	assert.Equal(t, "SESSION:COMPLETE", out.Callback["event"])
	assert.NotContains(t, r.stdout, testWebhookSecret)

	// A change is an update, of the one setting.
	r = mustOK(t, cli(t, env, "callbacks", "ensure", "SESSION:COMPLETE", "https://crm.example/pave/v2?token=abc123",
		"--secret-env", "PAVE_WEBHOOK_SECRET", "--method", "put"))
	assert.Contains(t, r.stdout, "Updated the SESSION:COMPLETE setting.")
	assert.Regexp(t, `Method:\s+PUT`, r.stdout)
	assert.NotContains(t, r.stdout, "abc123", "query values are redacted")
	got, err = client.Webhooks.Get(t.Context(), pave.EventComplete)
	require.NoError(t, err)
	assert.Equal(t, "https://crm.example/pave/v2?token=abc123", got.URL)
	assert.Equal(t, http.MethodPut, got.Method)
	assert.NotContains(t, got.Headers, "X-Tenant", "an update replaces the whole setting")
	list, err = client.Webhooks.List(t.Context())
	require.NoError(t, err)
	assert.Len(t, list, 1)

	// Without a secret: a setting of its own.
	r = mustOK(t, cli(t, env, "callbacks", "ensure", "stage-change", "https://crm.example/stages", "--header",
		"X-Api-Key=k-123"))
	assert.Contains(t, r.stdout, "Created the SESSION:STAGE_CHANGE setting.")
	assert.NotContains(t, r.stdout, "k-123")
}

func TestCallbacksListGetRm(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := fakeEnv(srv)
	client := srv.Client()
	for _, e := range []pave.EventName{pave.EventComplete, pave.EventStatusChange} {
		_, err := client.Webhooks.Create(t.Context(), pave.NewCallback(e, "https://crm.example/pave?event=x&sig=s3cr3t",
			testWebhookSecret))
		require.NoError(t, err)
	}

	r := mustOK(t, cli(t, env, "callbacks", "list"))
	assert.Regexp(t, `EVENT\s+METHOD\s+URL\s+HEADERS`, r.stdout)
	assert.Regexp(t, `SESSION:COMPLETE\s+POST\s+https://crm.example/pave\?\S+\s+Authorization, X-Pave-Event`, r.stdout)
	assert.Contains(t, r.stdout, "SESSION:STATUS_CHANGE")
	assert.NotContains(t, r.stdout, testWebhookSecret)
	assert.NotContains(t, r.stdout, "s3cr3t")

	r = mustOK(t, cli(t, env, "callbacks", "list", "--json"))
	assert.NotContains(t, r.stdout, testWebhookSecret)
	assert.NotContains(t, r.stdout, "s3cr3t")
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list), r.stdout)
	require.Len(t, list, 2)
	events := []any{list[0]["event"], list[1]["event"]}
	assert.ElementsMatch(t, []any{"SESSION:COMPLETE", "SESSION:STATUS_CHANGE"}, events)

	for _, name := range []string{"complete", "COMPLETE", "Session:Complete", "SESSION:COMPLETE"} {
		r := mustOK(t, cli(t, env, "callbacks", "get", name))
		assert.Regexp(t, `Event:\s+SESSION:COMPLETE`, r.stdout, name)
		assert.Regexp(t, `Method:\s+POST`, r.stdout)
		assert.Regexp(t, `Payload:\s+event`, r.stdout)
		assert.NotContains(t, r.stdout, testWebhookSecret)
	}
	r = mustOK(t, cli(t, env, "callbacks", "get", "status_change", "--json"))
	assert.NotContains(t, r.stdout, testWebhookSecret)
	var one map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &one), r.stdout)
	assert.Equal(t, "SESSION:STATUS_CHANGE", one["event"])
	headers, ok := one["headers"].(map[string]any)
	require.True(t, ok, "%v", one["headers"])
	assert.Equal(t, redact.Marker, headers["Authorization"])
	payload, ok := one["payload"].(map[string]any)
	require.True(t, ok, "%v", one["payload"])
	assert.Equal(t, "SESSION:STATUS_CHANGE", payload["event"], "the payload's event is not a secret")

	r = mustOK(t, cli(t, env, "callbacks", "rm", "status-change"))
	assert.Equal(t, "Deleted the SESSION:STATUS_CHANGE setting.\n", r.stdout)
	_, err := client.Webhooks.Get(t.Context(), pave.EventStatusChange)
	require.ErrorIs(t, err, pave.ErrNotFound)
	var del map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustOK(t, cli(t, env, "callbacks", "rm", "complete", "--json")).stdout),
		&del))
	assert.Equal(t, map[string]any{"event": "SESSION:COMPLETE", "deleted": true}, del)

	for _, args := range [][]string{{"callbacks", "get", "complete"}, {"callbacks", "rm", "note_insert"}, {"callbacks",
		"get", "sms_process", "--json"}} {
		r := cli(t, env, args...)
		assert.Equal(t, exitNotFound, r.code, "%v: %s", args, r.stderr)
		assert.Empty(t, r.stdout)
	}
}

func TestCallbacksBadInput(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := append(fakeEnv(srv), "SHORT_SECRET=abc", "EMPTY_SECRET=", "GOOD_SECRET="+testWebhookSecret)
	const u = "https://crm.example/pave"
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"callbacks", "get", "nonsense"}, exitUsage, []string{`unknown event "nonsense"`,
			"SESSION:COMPLETE (complete)", "SESSION:NOTE_INSERT (note_insert)"}},
		{[]string{"callbacks", "rm", "SESSION:FINISHED"}, exitUsage, []string{"unknown event"}},
		{[]string{"callbacks", "ensure", "done", u}, exitUsage, []string{"unknown event"}},
		{[]string{"callbacks", "get"}, exitUsage, []string{"EVENT"}},
		{[]string{"callbacks", "rm"}, exitUsage, []string{"EVENT"}},
		{[]string{"callbacks", "ensure", "complete"}, exitUsage, []string{"URL"}},
		{[]string{"callbacks", "ensure"}, exitUsage, []string{"EVENT URL"}},
		{[]string{"callbacks", "list", "extra"}, exitUsage, []string{"extra"}},
		{[]string{"callbacks", "ensure", "complete", u, "--secret-env", "NOT_SET_ANYWHERE"}, exitUsage,
			[]string{"--secret-env NOT_SET_ANYWHERE", "not set or empty"}},
		{[]string{"callbacks", "ensure", "complete", u, "--secret-env", "EMPTY_SECRET"}, exitUsage,
			[]string{"--secret-env EMPTY_SECRET"}},
		{[]string{"callbacks", "ensure", "complete", u, "--secret-env", ""}, exitUsage, []string{"--secret-env"}},
		{[]string{"callbacks", "ensure", "complete", u, "--header", "X-Tenant"}, exitUsage, []string{"--header",
			"NAME=VALUE"}},
		{[]string{"callbacks", "ensure", "complete", u, "--header", "=v"}, exitUsage, []string{"--header"}},
		{[]string{"callbacks", "ensure", "complete", u, "--secret-env", "GOOD_SECRET", "--header", "authorization=Bearer x"},
			exitUsage, []string{"--header", "--secret-env"}},
		{[]string{"callbacks", "ensure", "complete", u, "--method", "TRACE"}, exitValidation, []string{"--method", "TRACE",
			"GET, POST, PUT, PATCH or DELETE"}},
		{[]string{"callbacks", "ensure", "complete", u, "--method", ""}, exitUsage, []string{"--method"}},
		{[]string{"callbacks", "ensure", "complete", u, "--secret-env", "SHORT_SECRET"}, exitValidation,
			[]string{"Authorization", "--secret-env"}},
		{[]string{"callbacks", "ensure", "complete", "ftp://crm.example/pave"}, exitValidation, []string{"url", "URL"}},
		{[]string{"callbacks", "ensure", "complete", "/pave"}, exitValidation, []string{"URL"}},
		{[]string{"callbacks", "ensure", "complete", u, "--header", "Bad Name=v"}, exitValidation, []string{"--header"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			r := cli(t, env, tc.args...)
			assert.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			assert.NotContains(t, r.stderr, "Bearer abc", "the short secret is not quoted")
			assert.NotContains(t, r.stderr, testWebhookSecret)
			assert.Empty(t, r.stdout)
		})
	}
	for _, req := range srv.Requests() {
		assert.Equal(t, http.MethodGet, req.Method, "bad input reached PAVE: %s %s", req.Method, req.Path)
	}
}
