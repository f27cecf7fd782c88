package pave_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// Ensure runs unattended at start-up: what it reports must be what PAVE
// holds, and nothing it sends or reads may leak into its errors.

const ensurePath = "/v1/callbacks/SESSION:COMPLETE"

// TestEnsureRedactsEverySecretItHandles: the setting's secret is scrubbed
// from the errors of every request Ensure makes (the first GET, the GET
// after a conflict, the GET after a write that echoes nothing), and so is
// the old secret PAVE held, which stays valid during a rotation.
func TestEnsureRedactsEverySecretItHandles(t *testing.T) {
	t.Parallel()
	const oldSecret = "old-rotated-secret-77aa10"
	quoting := func(secret string) httpmock.Responder {
		return jsonResponder(http.StatusInternalServerError, `{"message": "setting Bearer `+secret+` is corrupt"}`)
	}
	quotingBadRequest := jsonResponder(http.StatusBadRequest,
		`{"message": "header Bearer `+oldSecret+` replaced by Bearer `+whSecret+` is invalid"}`)
	old := pave.NewCallback(pave.EventComplete, "https://old.example/pave", oldSecret)
	notFound := jsonResponder(http.StatusNotFound, string(fixture(t, "error_callback_not_found.json")))
	conflict := jsonResponder(http.StatusBadRequest, `{"message": "Callback setting for the event SESSION:COMPLETE already exists."}`)
	echoNothing := jsonResponder(http.StatusOK, `{"api_key": "k"}`)
	tests := map[string]map[string]httpmock.Responder{
		"first GET": {"GET " + ensurePath: quoting(whSecret)},
		"GET after a conflict": {"GET " + ensurePath: sequence(notFound, quoting(whSecret)),
			"POST /v1/callbacks": conflict},
		"GET after a create that echoes nothing": {"GET " + ensurePath: sequence(notFound, quoting(whSecret)),
			"POST /v1/callbacks": echoNothing},
		"GET after an update that echoes nothing": {
			"GET " + ensurePath: sequence(jsonResponder(http.StatusOK, whSettingBody(t, old, true)), quoting(oldSecret)),
			"PUT " + ensurePath: echoNothing},
		"PUT quoting the old and new secret": {
			"GET " + ensurePath: jsonResponder(http.StatusOK, whSettingBody(t, old, true)),
			"PUT " + ensurePath: quotingBadRequest},
	}
	for name, routes := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, _ := whMockClient(t, routes)
			_, _, err := c.Webhooks.Ensure(context.Background(), pave.NewCallback(pave.EventComplete, whEnsureURL, whSecret))
			require.Error(t, err)
			assert.NotContains(t, err.Error(), whSecret)
			assert.NotContains(t, err.Error(), oldSecret)
			assert.Contains(t, err.Error(), "[REDACTED]")
			assert.Contains(t, err.Error(), "SESSION:COMPLETE", "the event name is not a secret")
		})
	}
}

// TestEventNamesAreNotRedacted: the X-Pave-Event header NewCallback sets
// holds the event name, which is public: messages and paths keep it.
func TestEventNamesAreNotRedacted(t *testing.T) {
	t.Parallel()
	const exists = "Callback setting for the event SESSION:COMPLETE already exists."
	c, _ := whMockClient(t, map[string]httpmock.Responder{
		"POST /v1/callbacks": jsonResponder(http.StatusBadRequest, `{"message": "`+exists+`"}`),
		"PUT " + ensurePath:  jsonResponder(http.StatusBadRequest, `{"message": "`+exists+`"}`),
	})
	cb := pave.NewCallback(pave.EventComplete, whEnsureURL, whSecret)
	_, err := c.Webhooks.Create(context.Background(), cb)
	var apiErr *pave.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, exists, apiErr.Message)
	_, err = c.Webhooks.Update(context.Background(), pave.EventComplete, cb)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, ensurePath, apiErr.Path)
	assert.Equal(t, exists, apiErr.Message)
}

// TestEnsureSucceedsOnlyWhenPAVEHoldsTheSetting: a success means a setting
// equal to the one asked for was seen; anything else is an error saying
// what PAVE kept.
func TestEnsureSucceedsOnlyWhenPAVEHoldsTheSetting(t *testing.T) {
	t.Parallel()
	want := pave.NewCallback(pave.EventComplete, whEnsureURL, whSecret)
	old := pave.NewCallback(pave.EventComplete, "https://old.example/pave", whSecret)
	stage := pave.NewCallback(pave.EventStageChange, whEnsureURL, whSecret)
	stage.Event = pave.EventStageChange
	notFound := jsonResponder(http.StatusNotFound, string(fixture(t, "error_callback_not_found.json")))
	flat := func(cb *pave.Callback) httpmock.Responder {
		return jsonResponder(http.StatusOK, whSettingBody(t, cb, false))
	}
	wrapped := func(cb *pave.Callback) httpmock.Responder {
		return jsonResponder(http.StatusOK, whSettingBody(t, cb, true))
	}
	echoNothing := jsonResponder(http.StatusOK, `{"api_key": "k"}`)
	tests := []struct {
		name   string
		routes map[string]httpmock.Responder
		says   string // in the error
	}{
		{"GET answers another event's setting", map[string]httpmock.Responder{"GET " + ensurePath: wrapped(stage)},
			"SESSION:STAGE_CHANGE"},
		{"PUT echoes the old setting", map[string]httpmock.Responder{"GET " + ensurePath: wrapped(old),
			"PUT " + ensurePath: flat(old)}, "old.example"},
		{"POST echoes a different setting", map[string]httpmock.Responder{"GET " + ensurePath: notFound,
			"POST /v1/callbacks": flat(old)}, "old.example"},
		{"PUT echoes nothing and the GET is still old", map[string]httpmock.Responder{
			"GET " + ensurePath: wrapped(old), "PUT " + ensurePath: echoNothing}, "old.example"},
		{"POST echoes another event", map[string]httpmock.Responder{"GET " + ensurePath: notFound,
			"POST /v1/callbacks": flat(stage)}, "SESSION:STAGE_CHANGE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := whMockClient(t, tt.routes)
			got, outcome, err := c.Webhooks.Ensure(context.Background(), want)
			require.Error(t, err, "outcome %q", outcome)
			assert.Nil(t, got)
			assert.ErrorIs(t, err, pave.ErrBadResponse)
			assert.Contains(t, err.Error(), tt.says)
			assert.NotContains(t, err.Error(), whSecret)
		})
	}
}

// TestEnsureSaysWhatItDid: the outcome tells created, updated and
// unchanged apart, so a caller needs no GET of its own.
func TestEnsureSaysWhatItDid(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	c := srv.Client()
	ctx := context.Background()
	want := pave.NewCallback(pave.EventComplete, whEnsureURL, whSecret)

	got, outcome, err := c.Webhooks.Ensure(ctx, want)
	require.NoError(t, err)
	assert.Equal(t, pave.EnsureCreated, outcome)
	assert.Equal(t, whEnsureURL, got.URL)

	_, outcome, err = c.Webhooks.Ensure(ctx, want)
	require.NoError(t, err)
	assert.Equal(t, pave.EnsureUnchanged, outcome)

	moved := pave.NewCallback(pave.EventComplete, whEnsureURL+"/v2", whSecret)
	got, outcome, err = c.Webhooks.Ensure(ctx, moved)
	require.NoError(t, err)
	assert.Equal(t, pave.EnsureUpdated, outcome)
	assert.True(t, strings.HasSuffix(got.URL, "/v2"))
}
