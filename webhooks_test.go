package pave_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/webhook"
)

var whCreds = pave.Credentials{
	Username:  "northshore",
	APIKey:    "5d0c2f7a-91e4-4b6a-8c3e-7a1f0b9d2e64",
	APISecret: "hm-Api-Secret-52817",
}

// whSecret is the bearer token registered in the fixtures.
const whSecret = "ns-complete-token-4410"

// whMockClient returns a client for whCreds sending through a fresh
// pavetest.MockTransport that answers "METHOD /escaped/path" from routes,
// and anything else with a 418.
func whMockClient(t *testing.T, routes map[string]httpmock.Responder) (*pave.Client, *pavetest.MockTransport) {
	t.Helper()
	mt := pavetest.NewMockTransport()
	teapot := jsonResponder(http.StatusTeapot, `{"message": "no such route in test"}`)
	mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
		if route, ok := routes[req.Method+" "+req.URL.EscapedPath()]; ok {
			return route(req)
		}
		return teapot(req)
	})
	c, err := mt.NewClient(whCreds)
	require.NoError(t, err)
	return c, mt
}

// whCompleteSetting is the setting the fixtures describe.
func whCompleteSetting() pave.Callback {
	return pave.Callback{
		Event:   pave.EventComplete,
		URL:     "https://hooks.northshore.example/pave/complete",
		Method:  http.MethodPost,
		Headers: map[string]string{"Authorization": "Bearer " + whSecret},
		Payload: map[string]any{"event": "SESSION:COMPLETE", "source": "PAVE"},
	}
}

func whStageSetting() pave.Callback {
	return pave.Callback{
		Event:   pave.EventStageChange,
		URL:     "https://hooks.northshore.example/pave/stage",
		Method:  http.MethodPost,
		Headers: map[string]string{},
		Payload: map[string]any{},
	}
}

func TestEventNames(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []pave.EventName{
		"SESSION:SMS_PROCESS", "SESSION:STAGE_CHANGE", "SESSION:STATUS_CHANGE", "SESSION:COMPLETE", "SESSION:NOTE_INSERT",
	}, pave.Events())
	for _, e := range pave.Events() {
		assert.True(t, e.Known(), e)
	}
	assert.False(t, pave.EventName("SESSION:ARCHIVED").Known())
	assert.False(t, pave.EventName("session:complete").Known())

	// Events returns a copy.
	evs := pave.Events()
	evs[0] = "changed"
	assert.Equal(t, pave.EventSMSProcess, pave.Events()[0])
}

func TestWebhooksList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []pave.Callback
	}{
		{"data list", string(fixture(t, "callbacks_list.json")), []pave.Callback{whCompleteSetting(), whStageSetting()}},
		{"empty data list", string(fixture(t, "webhooks/callbacks_list_empty.json")), []pave.Callback{}},
		{"null data", `{"api_key": "k", "data": null}`, []pave.Callback{}},
		{"bare list", `[{"event": "SESSION:STAGE_CHANGE", "url": "https://hooks.northshore.example/pave/stage", "method": "POST", "headers": {}, "payload": {}}]`,
			[]pave.Callback{whStageSetting()}},
		{"data object", string(fixture(t, "callback.json")), []pave.Callback{whCompleteSetting()}},
		{"flat object", string(fixture(t, "callback_created.json")), []pave.Callback{whCompleteSetting()}},
		{"api key only", `{"api_key": "k"}`, []pave.Callback{}},
		{"empty body", ``, []pave.Callback{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := whMockClient(t, map[string]httpmock.Responder{"GET /v1/callbacks": jsonResponder(200, tt.body)})
			got, err := c.Webhooks.List(context.Background())
			require.NoError(t, err)
			require.NotNil(t, got)
			assert.Equal(t, tt.want, settings(got))

			reqs := pavetest.Sent(mt)
			require.Len(t, reqs, 1)
			assert.Equal(t, http.MethodGet, reqs[0].Method)
			assert.Equal(t, "/v1/callbacks", reqs[0].EscapedPath)
			assert.Empty(t, reqs[0].Body)
			assertSignedAPIRequest(t, reqs[0], whCreds)
		})
	}
}

func TestWebhooksGet(t *testing.T) {
	t.Parallel()
	twoSettings := `{"api_key": "k", "data": [
		{"event": "SESSION:STAGE_CHANGE", "url": "https://hooks.northshore.example/pave/stage", "method": "POST", "headers": {}, "payload": {}},
		{"event": "SESSION:COMPLETE", "url": "https://hooks.northshore.example/pave/complete", "method": "POST",
		 "headers": {"Authorization": "Bearer ns-complete-token-4410"}, "payload": {"event": "SESSION:COMPLETE", "source": "PAVE"}}]}`
	tests := []struct {
		name string
		body string
	}{
		{"data object", string(fixture(t, "callback.json"))},
		{"flat object", string(fixture(t, "callback_created.json"))},
		{"data list of one", `{"api_key": "k", "data": [` + strings.TrimSpace(string(fixture(t, "callback_created.json"))) + `]}`},
		{"data list picks the event", twoSettings},
		{"headers and payload as JSON text", string(fixture(t, "webhooks/callback_stringly.json"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var sentURL string // with its host, which pavetest.Request does not keep
			answer := jsonResponder(200, tt.body)
			c, mt := whMockClient(t, map[string]httpmock.Responder{"GET /v1/callbacks/SESSION:COMPLETE": func(req *http.Request) (*http.Response, error) {
				sentURL = req.URL.String()
				return answer(req)
			}})
			got, err := c.Webhooks.Get(context.Background(), pave.EventComplete)
			require.NoError(t, err)
			want := whCompleteSetting()
			if tt.name == "headers and payload as JSON text" {
				want.Method = ""
				want.Headers["X-Retry"] = "3"
			}
			assert.Equal(t, &want, settings(got))

			reqs := pavetest.Sent(mt)
			require.Len(t, reqs, 1)
			assert.Equal(t, http.MethodGet, reqs[0].Method)
			// The colon stays as is: exactly this path goes on the wire.
			assert.Equal(t, "/v1/callbacks/SESSION:COMPLETE", reqs[0].EscapedPath)
			assert.Equal(t, "/v1/callbacks/SESSION:COMPLETE", reqs[0].Path)
			assert.Equal(t, "https://openapi.paveapi.com/v1/callbacks/SESSION:COMPLETE", sentURL)
			assertSignedAPIRequest(t, reqs[0], whCreds)
		})
	}
}

func TestWebhooksGetFillsMissingEvent(t *testing.T) {
	t.Parallel()
	c, _ := whMockClient(t, map[string]httpmock.Responder{
		"GET /v1/callbacks/SESSION:STAGE_CHANGE": jsonResponder(200, `{"data": {"url": "https://hooks.northshore.example/pave/stage", "method": "POST", "headers": {}, "payload": {}}}`),
	})
	got, err := c.Webhooks.Get(context.Background(), pave.EventStageChange)
	require.NoError(t, err)
	want := whStageSetting()
	assert.Equal(t, &want, settings(got))
}

func TestWebhooksPathEscaping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		event pave.EventName
		path  string
	}{
		{pave.EventComplete, "/v1/callbacks/SESSION:COMPLETE"},
		{pave.EventSMSProcess, "/v1/callbacks/SESSION:SMS_PROCESS"},
		{pave.EventStageChange, "/v1/callbacks/SESSION:STAGE_CHANGE"},
		{pave.EventStatusChange, "/v1/callbacks/SESSION:STATUS_CHANGE"},
		{pave.EventNoteInsert, "/v1/callbacks/SESSION:NOTE_INSERT"},
		{"SESSION:NEW EVENT", "/v1/callbacks/SESSION:NEW%20EVENT"},
		{"A?B#C%D", "/v1/callbacks/A%3FB%23C%25D"},
		{"ÉVÉNEMENT", "/v1/callbacks/%C3%89V%C3%89NEMENT"},
	}
	for _, tt := range tests {
		t.Run(string(tt.event), func(t *testing.T) {
			t.Parallel()
			c, mt := whMockClient(t, map[string]httpmock.Responder{
				"GET " + tt.path:    jsonResponder(200, `{"data": {"event": "`+string(tt.event)+`", "url": "https://a.example/h"}}`),
				"PUT " + tt.path:    jsonResponder(200, `{"event": "`+string(tt.event)+`", "url": "https://a.example/h"}`),
				"DELETE " + tt.path: jsonResponder(200, `{"message": "removed"}`),
			})
			ctx := context.Background()
			_, err := c.Webhooks.Get(ctx, tt.event)
			require.NoError(t, err)
			_, err = c.Webhooks.Update(ctx, tt.event, &pave.Callback{URL: "https://a.example/h"})
			require.NoError(t, err)
			require.NoError(t, c.Webhooks.Delete(ctx, tt.event))
			for _, r := range pavetest.Sent(mt) {
				assert.Equal(t, tt.path, r.EscapedPath, r.Method)
				assert.Equal(t, "/v1/callbacks/"+string(tt.event), r.Path, r.Method)
			}
		})
	}
}

func TestWebhooksCreate(t *testing.T) {
	t.Parallel()
	wantBody := `{"event": "SESSION:COMPLETE", "url": "https://hooks.northshore.example/pave/complete",
		"method": "POST", "headers": {"Authorization": "Bearer ns-complete-token-4410"},
		"payload": {"event": "SESSION:COMPLETE", "source": "PAVE"}}`
	tests := []struct {
		name     string
		response string
	}{
		{"flat with api_key", string(fixture(t, "callback_created.json"))},
		{"data object", string(fixture(t, "callback.json"))},
		{"data list", `{"api_key": "k", "data": [` + strings.TrimSpace(string(fixture(t, "callback_created.json"))) + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := whMockClient(t, map[string]httpmock.Responder{"POST /v1/callbacks": jsonResponder(200, tt.response)})
			in := whCompleteSetting()
			got, err := c.Webhooks.Create(context.Background(), &in)
			require.NoError(t, err)
			want := whCompleteSetting()
			assert.Equal(t, &want, settings(got))

			reqs := pavetest.Sent(mt)
			require.Len(t, reqs, 1)
			assert.Equal(t, http.MethodPost, reqs[0].Method)
			assert.Equal(t, "/v1/callbacks", reqs[0].EscapedPath)
			assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))
			assert.JSONEq(t, wantBody, string(reqs[0].Body))
			assertSignedAPIRequest(t, reqs[0], whCreds)
		})
	}
}

func TestWebhooksCreateBodyShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   pave.Callback
		want string
	}{
		{"minimal", pave.Callback{Event: pave.EventStageChange, URL: "https://a.example/stage"},
			`{"event": "SESSION:STAGE_CHANGE", "url": "https://a.example/stage"}`},
		{"empty maps are sent", pave.Callback{Event: pave.EventStageChange, URL: "https://a.example/stage",
			Headers: map[string]string{}, Payload: map[string]any{}},
			`{"event": "SESSION:STAGE_CHANGE", "url": "https://a.example/stage", "headers": {}, "payload": {}}`},
		{"unknown event passes through", pave.Callback{Event: "SESSION:ARCHIVED", URL: "http://localhost:8080/h", Method: "PUT"},
			`{"event": "SESSION:ARCHIVED", "url": "http://localhost:8080/h", "method": "PUT"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := whMockClient(t, map[string]httpmock.Responder{"POST /v1/callbacks": jsonResponder(200, `{"api_key": "k", "event": "`+string(tt.in.Event)+`", "url": "`+tt.in.URL+`"}`)})
			got, err := c.Webhooks.Create(context.Background(), &tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.in.Event, got.Event)
			reqs := pavetest.Sent(mt)
			require.Len(t, reqs, 1)
			assert.JSONEq(t, tt.want, string(reqs[0].Body))
		})
	}
}

func TestWebhooksCreateWithoutEchoFetchesSetting(t *testing.T) {
	t.Parallel()
	c, mt := whMockClient(t, map[string]httpmock.Responder{
		"POST /v1/callbacks":                 jsonResponder(200, `{"api_key": "k", "message": "Callback setting created."}`),
		"GET /v1/callbacks/SESSION:COMPLETE": jsonResponder(200, string(fixture(t, "callback.json"))),
	})
	in := whCompleteSetting()
	got, err := c.Webhooks.Create(context.Background(), &in)
	require.NoError(t, err)
	assert.Equal(t, &in, settings(got))
	reqs := pavetest.Sent(mt)
	require.Len(t, reqs, 2)
	assert.Equal(t, "POST", reqs[0].Method)
	assert.Equal(t, "GET", reqs[1].Method)
}

func TestWebhooksCreateIsNotRetriedOnServerError(t *testing.T) {
	t.Parallel()
	c, mt := whMockClient(t, map[string]httpmock.Responder{"POST /v1/callbacks": jsonResponder(503, `{"message": "Service Unavailable"}`)})
	in := whCompleteSetting()
	_, err := c.Webhooks.Create(context.Background(), &in)
	require.Error(t, err)
	assert.ErrorIs(t, err, pave.ErrServer)
	assert.Len(t, pavetest.Sent(mt), 1)
}

func TestWebhooksUpdate(t *testing.T) {
	t.Parallel()
	newURL := "https://hooks.northshore.example/pave/v2/complete"
	flat := strings.Replace(string(fixture(t, "callback_created.json")), "https://hooks.northshore.example/pave/complete", newURL, 1)
	tests := []struct {
		name     string
		response string
		calls    int
	}{
		{"flat with api_key", flat, 1},
		{"data object", `{"api_key": "k", "data": ` + flat + `}`, 1},
		{"data list", `{"api_key": "k", "data": [` + flat + `]}`, 1},
		{"message only, then Get", `{"api_key": "k", "message": "Updated."}`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := whMockClient(t, map[string]httpmock.Responder{
				"PUT /v1/callbacks/SESSION:COMPLETE": jsonResponder(200, tt.response),
				"GET /v1/callbacks/SESSION:COMPLETE": jsonResponder(200, `{"data": `+flat+`}`),
			})
			in := whCompleteSetting()
			in.URL = newURL
			got, err := c.Webhooks.Update(context.Background(), pave.EventComplete, &in)
			require.NoError(t, err)
			assert.Equal(t, &in, settings(got))

			reqs := pavetest.Sent(mt)
			require.Len(t, reqs, tt.calls)
			assert.Equal(t, http.MethodPut, reqs[0].Method)
			assert.Equal(t, "/v1/callbacks/SESSION:COMPLETE", reqs[0].EscapedPath)
			assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))
			// The event travels in the path only.
			assert.JSONEq(t, `{"url": "`+newURL+`", "method": "POST",
				"headers": {"Authorization": "Bearer ns-complete-token-4410"},
				"payload": {"event": "SESSION:COMPLETE", "source": "PAVE"}}`, string(reqs[0].Body))
			assertSignedAPIRequest(t, reqs[0], whCreds)
		})
	}
}

func TestWebhooksDelete(t *testing.T) {
	t.Parallel()
	c, mt := whMockClient(t, map[string]httpmock.Responder{"DELETE /v1/callbacks/SESSION:COMPLETE": jsonResponder(200, string(fixture(t, "callback_deleted.json")))})
	require.NoError(t, c.Webhooks.Delete(context.Background(), pave.EventComplete))
	reqs := pavetest.Sent(mt)
	require.Len(t, reqs, 1)
	assert.Equal(t, http.MethodDelete, reqs[0].Method)
	assert.Equal(t, "/v1/callbacks/SESSION:COMPLETE", reqs[0].EscapedPath)
	assert.Empty(t, reqs[0].Body)
	assertSignedAPIRequest(t, reqs[0], whCreds)
}

func TestWebhooksNotFound(t *testing.T) {
	t.Parallel()
	notFound := jsonResponder(404, string(fixture(t, "error_callback_not_found.json")))
	ops := map[string]func(c *pave.Client) error{
		"Get": func(c *pave.Client) error {
			_, err := c.Webhooks.Get(context.Background(), pave.EventComplete)
			return err
		},
		"Update": func(c *pave.Client) error {
			_, err := c.Webhooks.Update(context.Background(), pave.EventComplete, &pave.Callback{URL: "https://a.example/h"})
			return err
		},
		"Delete": func(c *pave.Client) error {
			return c.Webhooks.Delete(context.Background(), pave.EventComplete)
		},
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := whMockClient(t, map[string]httpmock.Responder{
				"GET /v1/callbacks/SESSION:COMPLETE":    notFound,
				"PUT /v1/callbacks/SESSION:COMPLETE":    notFound,
				"DELETE /v1/callbacks/SESSION:COMPLETE": notFound,
			})
			err := op(c)
			require.Error(t, err)
			assert.ErrorIs(t, err, pave.ErrNotFound)
			var apiErr *pave.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, 404, apiErr.StatusCode)
			assert.Equal(t, "Your API Key does not have callback setting for the event SESSION:COMPLETE.", apiErr.Message)
			assert.Len(t, pavetest.Sent(mt), 1, "a 404 is not retried")
		})
	}
}

func TestWebhooksMissingFields(t *testing.T) {
	t.Parallel()
	c, _ := whMockClient(t, map[string]httpmock.Responder{"POST /v1/callbacks": jsonResponder(400, string(fixture(t, "webhooks/callback_missing_fields.json")))})
	in := whCompleteSetting()
	_, err := c.Webhooks.Create(context.Background(), &in)
	var apiErr *pave.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Missing required fields.", apiErr.Message)
	assert.NotContains(t, err.Error(), whSecret)
}

func TestWebhooksBadResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
	}{
		{"not JSON", `<html>ok</html>`},
		{"data is a string", `{"data": "SESSION:COMPLETE"}`},
		{"list of numbers", `[1, 2]`},
		{"several settings, none matching", `{"data": [{"event": "A", "url": "https://a.example"}, {"event": "B", "url": "https://b.example"}]}`},
		{"no setting", `{"api_key": "k"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := whMockClient(t, map[string]httpmock.Responder{"GET /v1/callbacks/SESSION:COMPLETE": jsonResponder(200, tt.body)})
			_, err := c.Webhooks.Get(context.Background(), pave.EventComplete)
			require.Error(t, err)
			assert.ErrorIs(t, err, pave.ErrBadResponse)
			var re *pave.RequestError
			assert.ErrorAs(t, err, &re)
		})
	}
	t.Run("List", func(t *testing.T) {
		t.Parallel()
		c, _ := whMockClient(t, map[string]httpmock.Responder{"GET /v1/callbacks": jsonResponder(200, `"nope"`)})
		_, err := c.Webhooks.List(context.Background())
		assert.ErrorIs(t, err, pave.ErrBadResponse)
	})
}

func TestWebhooksValidation(t *testing.T) {
	t.Parallel()
	valid := func() *pave.Callback {
		cb := whCompleteSetting()
		return &cb
	}
	with := func(f func(*pave.Callback)) *pave.Callback {
		cb := valid()
		f(cb)
		return cb
	}
	type op func(c *pave.Client) error
	create := func(cb *pave.Callback) op {
		return func(c *pave.Client) error { _, err := c.Webhooks.Create(context.Background(), cb); return err }
	}
	update := func(ev pave.EventName, cb *pave.Callback) op {
		return func(c *pave.Client) error { _, err := c.Webhooks.Update(context.Background(), ev, cb); return err }
	}
	get := func(ev pave.EventName) op {
		return func(c *pave.Client) error { _, err := c.Webhooks.Get(context.Background(), ev); return err }
	}
	del := func(ev pave.EventName) op {
		return func(c *pave.Client) error { return c.Webhooks.Delete(context.Background(), ev) }
	}
	tests := []struct {
		name   string
		op     op
		fields []string
	}{
		{"create nil", create(nil), []string{""}},
		{"create no event", create(with(func(cb *pave.Callback) { cb.Event = "" })), []string{"event"}},
		{"create event with slash", create(with(func(cb *pave.Callback) { cb.Event = "SESSION/COMPLETE" })), []string{"event"}},
		{"create event with newline", create(with(func(cb *pave.Callback) { cb.Event = "SESSION:COMPLETE\n" })), []string{"event"}},
		{"create event too long", create(with(func(cb *pave.Callback) { cb.Event = pave.EventName(strings.Repeat("E", 200)) })), []string{"event"}},
		{"create no url", create(with(func(cb *pave.Callback) { cb.URL = "" })), []string{"url"}},
		{"create relative url", create(with(func(cb *pave.Callback) { cb.URL = "/pave/complete" })), []string{"url"}},
		{"create ftp url", create(with(func(cb *pave.Callback) { cb.URL = "ftp://files.example/x" })), []string{"url"}},
		{"create url without host", create(with(func(cb *pave.Callback) { cb.URL = "https:///x" })), []string{"url"}},
		{"create url with space", create(with(func(cb *pave.Callback) { cb.URL = "https://a.example/a b" })), []string{"url"}},
		{"create bad method", create(with(func(cb *pave.Callback) { cb.Method = "FETCH" })), []string{"method"}},
		{"create lower-case method", create(with(func(cb *pave.Callback) { cb.Method = "post" })), []string{"method"}},
		{"create bad header name", create(with(func(cb *pave.Callback) { cb.Headers["Bad Header"] = "x" })), []string{"headers"}},
		{"create header value with newline", create(with(func(cb *pave.Callback) { cb.Headers["Authorization"] = "Bearer a\r\nX-Evil: 1" })), []string{"headers.Authorization"}},
		{"create everything wrong", create(&pave.Callback{Method: "SEND"}), []string{"event", "url", "method"}},
		{"update empty event", update("", valid()), []string{"event"}},
		{"update nil", update(pave.EventComplete, nil), []string{""}},
		{"update no url", update(pave.EventComplete, &pave.Callback{}), []string{"url"}},
		{"update rename", update(pave.EventComplete, with(func(cb *pave.Callback) { cb.Event = pave.EventStageChange })), []string{"event"}},
		{"update bad method", update(pave.EventComplete, &pave.Callback{URL: "https://a.example", Method: "TRACE"}), []string{"method"}},
		{"get empty", get(""), []string{"event"}},
		{"get blank", get("  "), []string{"event"}},
		{"get slash", get("../sessions"), []string{"event"}},
		{"get control", get("SESSION:\x00"), []string{"event"}},
		{"delete empty", del(""), []string{"event"}},
		{"delete slash", del("a/b"), []string{"event"}},
		{"get dot dot", get(".."), []string{"event"}},
		{"get dot", get("."), []string{"event"}},
		{"update dot dot", update("..", &pave.Callback{URL: "https://a.example"}), []string{"event"}},
		{"update dot", update(".", &pave.Callback{URL: "https://a.example"}), []string{"event"}},
		{"delete dot dot", del(".."), []string{"event"}},
		{"delete dot", del("."), []string{"event"}},
		{"create event dot dot", create(with(func(cb *pave.Callback) { cb.Event = ".." })), []string{"event"}},
		{"create event dot", create(with(func(cb *pave.Callback) { cb.Event = "." })), []string{"event"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := whMockClient(t, nil)
			err := tt.op(c)
			require.Error(t, err)
			assert.ErrorIs(t, err, pave.ErrValidation)
			var ve *pave.ValidationError
			require.ErrorAs(t, err, &ve)
			for _, f := range tt.fields {
				assert.Contains(t, ve.Errors, f, "field errors: %v", ve.Errors)
			}
			assert.Len(t, ve.Errors, len(tt.fields), "field errors: %v", ve.Errors)
			assert.Empty(t, pavetest.Sent(mt), "validation must happen before any network call")
			assert.NotContains(t, err.Error(), "ns-complete-token", "a header value must not be echoed")
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestCallbackValidateAcceptsDocumentedShapes(t *testing.T) {
	t.Parallel()
	for _, cb := range []*pave.Callback{
		{Event: pave.EventComplete, URL: "https://hooks.example.com/pave/complete"},
		{Event: "SESSION:ARCHIVED", URL: "http://127.0.0.1:9000/hook?event=SESSION:ARCHIVED", Method: "PATCH"},
		{Event: pave.EventSMSProcess, URL: "https://a.example", Method: "GET", Headers: map[string]string{"X-Token": "a\tb"}},
		pave.NewCallback(pave.EventNoteInsert, "https://a.example/pave", "0123456789abcdef0123"),
	} {
		assert.NoError(t, cb.Validate(), cb)
	}
}

func TestCallbackJSONRoundTrip(t *testing.T) {
	t.Parallel()
	in := whCompleteSetting()
	b, err := json.Marshal(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"event": "SESSION:COMPLETE", "url": "https://hooks.northshore.example/pave/complete",
		"method": "POST", "headers": {"Authorization": "Bearer ns-complete-token-4410"},
		"payload": {"event": "SESSION:COMPLETE", "source": "PAVE"}}`, string(b))
	var out pave.Callback
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, settings(out))
	assert.JSONEq(t, string(b), string(out.Raw()))

	// Lenient decoding.
	tests := []struct {
		name string
		in   string
		want pave.Callback
	}{
		{"nulls", `{"event": "SESSION:COMPLETE", "url": null, "method": null, "headers": null, "payload": null}`,
			pave.Callback{Event: pave.EventComplete}},
		{"header values of other types", `{"event": "E", "url": "https://a.example", "headers": {"X-N": 7, "X-B": true, "X-E": "", "X-Null": null}}`,
			pave.Callback{Event: "E", URL: "https://a.example", Headers: map[string]string{"X-N": "7", "X-B": "true", "X-E": ""}}},
		{"payload as text that is not JSON", `{"event": "E", "payload": "source=PAVE"}`, pave.Callback{Event: "E"}},
		{"headers as a list", `{"event": "E", "headers": ["Authorization"]}`, pave.Callback{Event: "E"}},
		{"null object", `null`, pave.Callback{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got pave.Callback
			require.NoError(t, json.Unmarshal([]byte(tt.in), &got))
			assert.Equal(t, tt.want, settings(got))
		})
	}
	var cb pave.Callback
	assert.Error(t, json.Unmarshal([]byte(`"SESSION:COMPLETE"`), &cb))
}

func TestCallbackPrintsRedacted(t *testing.T) {
	t.Parallel()
	cb := pave.Callback{
		Event:   pave.EventComplete,
		URL:     "https://user:url-password-1@hooks.example.com/pave?event=SESSION:COMPLETE&token=query-secret-2#frag-secret-3",
		Method:  "POST",
		Headers: map[string]string{"Authorization": "Bearer header-secret-4", "X-Pave-Event": "SESSION:COMPLETE"},
		Payload: map[string]any{"event": "SESSION:COMPLETE", "shared": "payload-secret-5"},
	}
	var logBuf strings.Builder
	logger := slog.New(slog.NewJSONHandler(&logBuf, nil))
	logger.Info("setting", "callback", cb, "ptr", &cb)

	outputs := map[string]string{
		"String":   cb.String(),
		"GoString": cb.GoString(),
		"%v":       fmt.Sprintf("%v", cb),
		"%+v":      fmt.Sprintf("%+v", cb),
		"%#v":      fmt.Sprintf("%#v", cb),
		"%s":       fmt.Sprintf("%s", cb),
		"%q":       fmt.Sprintf("%q", cb),
		"ptr %v":   fmt.Sprintf("%v", &cb),
		"slog":     logBuf.String(),
	}
	for name, out := range outputs {
		for _, secret := range []string{"url-password-1", "query-secret-2", "frag-secret-3", "header-secret-4", "payload-secret-5"} {
			assert.NotContains(t, out, secret, name)
		}
		assert.Contains(t, out, "SESSION:COMPLETE", name)
		assert.Contains(t, out, "Authorization", name)
	}
	assert.Contains(t, cb.String(), "[REDACTED]")
	assert.Contains(t, cb.String(), "hooks.example.com")
	assert.Equal(t, `pave.Callback{Event: "E", URL: "", Method: ""}`, pave.Callback{Event: "E"}.String())
	assert.NotContains(t, pave.Callback{URL: "https://a.example/%zz?secret"}.String(), "secret")
}

func TestNewCallback(t *testing.T) {
	t.Parallel()
	secret, err := webhook.NewSecret()
	require.NoError(t, err)
	cb := pave.NewCallback(pave.EventStageChange, "https://hooks.example.com/pave", secret)
	assert.Equal(t, &pave.Callback{
		Event:  pave.EventStageChange,
		URL:    "https://hooks.example.com/pave",
		Method: "POST",
		Headers: map[string]string{
			"Authorization": "Bearer " + secret,
			"X-Pave-Event":  "SESSION:STAGE_CHANGE",
		},
		Payload: map[string]any{"event": "SESSION:STAGE_CHANGE"},
	}, cb)
	require.NoError(t, cb.Validate())
	assert.NotContains(t, cb.String(), secret)

	// Registered and then fetched back, it is unchanged.
	b, err := json.Marshal(cb)
	require.NoError(t, err)
	c, mt := whMockClient(t, map[string]httpmock.Responder{"POST /v1/callbacks": jsonResponder(200, `{"api_key": "k", `+string(b[1:]))})
	got, err := c.Webhooks.Create(context.Background(), cb)
	require.NoError(t, err)
	assert.Equal(t, "k", got.APIKey)
	assert.Equal(t, cb, settings(got))
	assert.JSONEq(t, string(b), string(pavetest.Sent(mt)[0].Body))
}

// settings returns v as the tests build settings in code: without the
// object it was decoded from and the API key PAVE answered it for (both
// checked by TestCallbackKeepsWhatPAVESent).
func settings[T pave.Callback | *pave.Callback | []pave.Callback](v T) T {
	v = pave.WithoutRaw(v)
	switch v := any(v).(type) {
	case pave.Callback:
		v.APIKey = ""
		return any(v).(T)
	case *pave.Callback:
		if v != nil {
			v.APIKey = ""
		}
	case []pave.Callback:
		for i := range v {
			v[i].APIKey = ""
		}
	}
	return v
}

// TestCallbackKeepsWhatPAVESent: a decoded setting carries PAVE's api_key
// from wherever PAVE put it, and Raw returns the object as received with
// fields this SDK does not know, as a copy.
func TestCallbackKeepsWhatPAVESent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		key        string
		raw        string
	}{
		{"beside the setting", `{"api_key": "k1", "event": "SESSION:COMPLETE", "url": "https://a.example", "retries": 3}`,
			"k1", `{"api_key": "k1", "event": "SESSION:COMPLETE", "url": "https://a.example", "retries": 3}`},
		{"around a data object", `{"api_key": "k2", "data": {"event": "SESSION:COMPLETE", "url": "https://a.example", "retries": 3}}`,
			"k2", `{"event": "SESSION:COMPLETE", "url": "https://a.example", "retries": 3}`},
		{"around a data list", `{"api_key": "k3", "data": [{"event": "SESSION:COMPLETE", "url": "https://a.example", "retries": 3}]}`,
			"k3", `{"event": "SESSION:COMPLETE", "url": "https://a.example", "retries": 3}`},
		{"none", `{"data": {"event": "SESSION:COMPLETE", "url": "https://a.example", "retries": 3}}`,
			"", `{"event": "SESSION:COMPLETE", "url": "https://a.example", "retries": 3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := whMockClient(t, map[string]httpmock.Responder{"GET /v1/callbacks/SESSION:COMPLETE": jsonResponder(200, tt.body)})
			got, err := c.Webhooks.Get(context.Background(), pave.EventComplete)
			require.NoError(t, err)
			assert.Equal(t, tt.key, got.APIKey)
			raw := got.Raw()
			assert.JSONEq(t, tt.raw, string(raw))
			raw[0] = 'x'
			assert.JSONEq(t, tt.raw, string(got.Raw()), "Raw returns a copy")
			// Encoding keeps the unknown field and never sends the key.
			b, err := json.Marshal(got)
			require.NoError(t, err)
			assert.Contains(t, string(b), `"retries"`)
			got.URL = "https://b.example"
			b, err = json.Marshal(got)
			require.NoError(t, err)
			assert.Contains(t, string(b), `"url":"https://b.example"`, "an edit is kept")
			assert.Contains(t, string(b), `"retries":3`, "an unknown field is kept")
		})
	}
}

// whEnsureURL is where the settings of the Ensure tests point.
const whEnsureURL = "https://hooks.northshore.example/pave/hooks"

// whSettingBody returns cb as PAVE answers it: under "data" for a GET
// (wrapped), flat beside api_key for create and update.
func whSettingBody(t *testing.T, cb *pave.Callback, wrapped bool) string {
	t.Helper()
	setting := map[string]any{"event": cb.Event, "url": cb.URL, "method": cb.Method, "headers": cb.Headers, "payload": cb.Payload}
	var doc map[string]any
	if wrapped {
		doc = map[string]any{"api_key": whCreds.APIKey, "data": setting}
	} else {
		doc = setting
		doc["api_key"] = whCreds.APIKey
	}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return string(b)
}

// whEchoResponder answers a POST or PUT with the setting it was sent, as
// PAVE does (flat, with api_key), the event taken from the path of a PUT.
func whEchoResponder(event pave.EventName) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		var m map[string]any
		if err := json.NewDecoder(req.Body).Decode(&m); err != nil {
			return jsonResponse(http.StatusBadRequest, `{"message": "Missing required fields."}`), nil
		}
		m["event"] = string(event)
		m["api_key"] = whCreds.APIKey
		b, _ := json.Marshal(m)
		return jsonResponse(http.StatusOK, string(b)), nil
	}
}

// foldedHeader returns the value of the header name in any letter case.
func foldedHeader(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func TestWebhooksEnsure(t *testing.T) {
	t.Parallel()
	const path = "/v1/callbacks/SESSION:COMPLETE"
	want := func() *pave.Callback { return pave.NewCallback(pave.EventComplete, whEnsureURL, whSecret) }
	// existing returns the setting PAVE holds: want, changed by edit.
	existing := func(edit func(cb *pave.Callback)) *pave.Callback {
		cb := want()
		if edit != nil {
			edit(cb)
		}
		return cb
	}
	getOf := func(edit func(cb *pave.Callback)) httpmock.Responder {
		return jsonResponder(http.StatusOK, whSettingBody(t, existing(edit), true))
	}
	notFound := jsonResponder(http.StatusNotFound, string(fixture(t, "error_callback_not_found.json")))
	conflict := jsonResponder(http.StatusBadRequest, `{"message": "Callback setting for the event SESSION:COMPLETE already exists."}`)
	otherURL := func(cb *pave.Callback) { cb.URL = "https://old.northshore.example/pave" }

	tests := []struct {
		name   string
		get    httpmock.Responder // GET answers, in order
		post   httpmock.Responder
		want   []string // methods sent, in order
		wantIn string   // what the result should hold
	}{
		{name: "missing: created", get: notFound, want: []string{"GET", "POST"}},
		{name: "equal: nothing changed", get: getOf(nil), want: []string{"GET"}},
		{name: "equal with method and header names in other cases", get: getOf(func(cb *pave.Callback) {
			cb.Method = "post"
			cb.Headers = map[string]string{"authorization": "Bearer " + whSecret, "X-PAVE-EVENT": "SESSION:COMPLETE"}
		}), want: []string{"GET"}},
		{name: "equal with no method (POST)", get: getOf(func(cb *pave.Callback) { cb.Method = "" }), want: []string{"GET"}},
		{name: "url differs: updated", get: getOf(otherURL), want: []string{"GET", "PUT"}},
		{name: "method differs: updated", get: getOf(func(cb *pave.Callback) { cb.Method = "PUT" }), want: []string{"GET", "PUT"}},
		{name: "old secret: updated", get: getOf(func(cb *pave.Callback) { cb.Headers["Authorization"] = "Bearer old-secret-0123456789" }), want: []string{"GET", "PUT"}},
		{name: "extra header: updated", get: getOf(func(cb *pave.Callback) { cb.Headers["X-Old"] = "1" }), want: []string{"GET", "PUT"}},
		{name: "header value case differs: updated", get: getOf(func(cb *pave.Callback) { cb.Headers["X-Pave-Event"] = "session:complete" }), want: []string{"GET", "PUT"}},
		{name: "payload key missing: updated", get: getOf(func(cb *pave.Callback) { cb.Payload = map[string]any{} }), want: []string{"GET", "PUT"}},
		{name: "undocumented payload key: updated", get: getOf(func(cb *pave.Callback) { cb.Payload["dealer"] = "d-17" }), want: []string{"GET", "PUT"}},
		{name: "no headers at PAVE: updated", get: getOf(func(cb *pave.Callback) { cb.Headers = nil }), want: []string{"GET", "PUT"}},
		{name: "conflict race, equal: not updated", get: sequence(notFound, getOf(nil)), post: conflict, want: []string{"GET", "POST", "GET"}},
		{name: "conflict race, differs: updated", get: sequence(notFound, getOf(otherURL)), post: conflict, want: []string{"GET", "POST", "GET", "PUT"}},
		{name: "409 conflict, differs: updated", get: sequence(notFound, getOf(otherURL)),
			post: jsonResponder(http.StatusConflict, `{"message": "Conflict"}`), want: []string{"GET", "POST", "GET", "PUT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			post := tt.post
			if post == nil {
				post = whEchoResponder(pave.EventComplete)
			}
			c, mt := whMockClient(t, map[string]httpmock.Responder{
				"GET " + path:        tt.get,
				"POST /v1/callbacks": post,
				"PUT " + path:        whEchoResponder(pave.EventComplete),
			})
			got, outcome, err := c.Webhooks.Ensure(context.Background(), want())
			require.NoError(t, err)
			wantOutcome := map[string]pave.EnsureOutcome{"GET": pave.EnsureUnchanged, "POST": pave.EnsureCreated,
				"PUT": pave.EnsureUpdated}[tt.want[len(tt.want)-1]]
			assert.Equal(t, wantOutcome, outcome)
			assert.Equal(t, pave.EventComplete, got.Event)
			assert.Equal(t, whEnsureURL, got.URL)
			assert.Equal(t, "Bearer "+whSecret, foldedHeader(got.Headers, "Authorization"))

			reqs := pavetest.Sent(mt)
			var methods []string
			for _, r := range reqs {
				methods = append(methods, r.Method)
				assertSignedAPIRequest(t, r, whCreds)
				switch r.Method {
				case http.MethodGet:
					assert.Equal(t, path, r.EscapedPath)
				case http.MethodPost:
					assert.Equal(t, "/v1/callbacks", r.EscapedPath)
					assert.JSONEq(t, `{"event": "SESSION:COMPLETE", "url": "`+whEnsureURL+`", "method": "POST",
						"headers": {"Authorization": "Bearer `+whSecret+`", "X-Pave-Event": "SESSION:COMPLETE"},
						"payload": {"event": "SESSION:COMPLETE"}}`, string(r.Body))
				case http.MethodPut:
					assert.Equal(t, path, r.EscapedPath)
					// The whole setting, so nothing of the old one is kept.
					assert.JSONEq(t, `{"url": "`+whEnsureURL+`", "method": "POST",
						"headers": {"Authorization": "Bearer `+whSecret+`", "X-Pave-Event": "SESSION:COMPLETE"},
						"payload": {"event": "SESSION:COMPLETE"}}`, string(r.Body))
				}
			}
			assert.Equal(t, tt.want, methods)
		})
	}
}

// TestWebhooksEnsureEchoedPayload: PAVE's "view all callbacks" sample shows
// the documented body fields of SMS_PROCESS and STAGE_CHANGE inside the
// setting's payload. Those keys alone are no difference; any other is.
func TestWebhooksEnsureEchoedPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		event  pave.EventName
		extra  map[string]any
		update bool
	}{
		{"SMS_PROCESS echoes its fields", pave.EventSMSProcess,
			map[string]any{"phone": "+19025550143", "status": "success", "message": ""}, false},
		{"STAGE_CHANGE echoes its fields", pave.EventStageChange,
			map[string]any{"session_key": "NSA-7K2D5MZ8WP", "photo_url": "https://cdn.example/p_04_.jpg", "photo_status": "ACCEPTED", "message": "Wrong View"}, false},
		{"STAGE_CHANGE echoes some of its fields", pave.EventStageChange, map[string]any{"photo_status": "ACCEPTED"}, false},
		{"SMS_PROCESS with an undocumented key", pave.EventSMSProcess,
			map[string]any{"phone": "+19025550143", "dealer": "d-17"}, true},
		{"STAGE_CHANGE does not echo SMS fields", pave.EventStageChange, map[string]any{"phone": "+19025550143"}, true},
		{"COMPLETE echoes nothing", pave.EventComplete, map[string]any{"status": "success"}, true},
		{"STATUS_CHANGE echoes nothing", pave.EventStatusChange, map[string]any{"session_key": "NSA-7K2D5MZ8WP"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := "/v1/callbacks/" + string(tt.event)
			atPAVE := pave.NewCallback(tt.event, whEnsureURL, whSecret)
			for k, v := range tt.extra {
				atPAVE.Payload[k] = v
			}
			c, mt := whMockClient(t, map[string]httpmock.Responder{
				"GET " + path: jsonResponder(http.StatusOK, whSettingBody(t, atPAVE, true)),
				"PUT " + path: whEchoResponder(tt.event),
			})
			_, _, err := c.Webhooks.Ensure(context.Background(), pave.NewCallback(tt.event, whEnsureURL, whSecret))
			require.NoError(t, err)
			want := []string{"GET"}
			if tt.update {
				want = append(want, "PUT")
			}
			var methods []string
			for _, r := range pavetest.Sent(mt) {
				methods = append(methods, r.Method)
			}
			assert.Equal(t, want, methods)
		})
	}
}

// TestWebhooksEnsureComparesJSONValues: a payload value built in Go
// matches PAVE's decoded one (numbers come back as float64).
func TestWebhooksEnsureComparesJSONValues(t *testing.T) {
	t.Parallel()
	cb := pave.NewCallback(pave.EventComplete, whEnsureURL, whSecret)
	cb.Payload["dealer_id"] = 17
	cb.Payload["tags"] = []string{"a", "b"}
	cb.Payload["meta"] = map[string]any{"region": "NS", "tier": 2}
	c, mt := whMockClient(t, map[string]httpmock.Responder{
		"GET /v1/callbacks/SESSION:COMPLETE": jsonResponder(http.StatusOK, whSettingBody(t, cb, true)),
	})
	got, _, err := c.Webhooks.Ensure(context.Background(), cb)
	require.NoError(t, err)
	assert.InDelta(t, 17, got.Payload["dealer_id"], 0)
	assert.Len(t, pavetest.Sent(mt), 1)
}

// TestWebhooksEnsureErrors: failures other than a missing setting or a
// conflicting create are returned, and a create is never repeated.
func TestWebhooksEnsureErrors(t *testing.T) {
	t.Parallel()
	const path = "/v1/callbacks/SESSION:COMPLETE"
	notFound := jsonResponder(http.StatusNotFound, string(fixture(t, "error_callback_not_found.json")))
	tests := []struct {
		name    string
		routes  map[string]httpmock.Responder
		is      error
		methods []string
	}{
		{"get refused", map[string]httpmock.Responder{"GET " + path: jsonResponder(http.StatusUnauthorized, `{"message": "Unauthorized"}`)},
			pave.ErrUnauthorized, []string{"GET"}},
		{"create fails ambiguously", map[string]httpmock.Responder{"GET " + path: notFound,
			"POST /v1/callbacks": jsonResponder(http.StatusServiceUnavailable, `{"message": "Service Unavailable"}`)},
			pave.ErrServer, []string{"GET", "POST"}},
		{"create refused", map[string]httpmock.Responder{"GET " + path: notFound,
			"POST /v1/callbacks": jsonResponder(http.StatusBadRequest, `{"message": "Unsupported event."}`)},
			nil, []string{"GET", "POST"}},
		{"deleted after the conflict", map[string]httpmock.Responder{"GET " + path: notFound,
			"POST /v1/callbacks": jsonResponder(http.StatusBadRequest, `{"message": "Callback setting for the event SESSION:COMPLETE already exists."}`)},
			pave.ErrNotFound, []string{"GET", "POST", "GET"}},
		{"update fails", map[string]httpmock.Responder{
			"GET " + path: jsonResponder(http.StatusOK, whSettingBody(t, pave.NewCallback(pave.EventComplete, "https://old.example/h", whSecret), true)),
			"PUT " + path: jsonResponder(http.StatusBadRequest, `{"message": "Invalid header."}`)},
			nil, []string{"GET", "PUT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := whMockClient(t, tt.routes)
			got, _, err := c.Webhooks.Ensure(context.Background(), pave.NewCallback(pave.EventComplete, whEnsureURL, whSecret))
			require.Error(t, err)
			assert.Nil(t, got)
			var apiErr *pave.APIError
			require.ErrorAs(t, err, &apiErr)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			assert.NotContains(t, err.Error(), whSecret)
			var methods []string
			for _, r := range pavetest.Sent(mt) {
				methods = append(methods, r.Method)
			}
			assert.Equal(t, tt.methods, methods)
		})
	}
}

// TestWebhooksEnsureValidation: an invalid setting, or a Bearer secret that
// package webhook would refuse, fails before any request.
func TestWebhooksEnsureValidation(t *testing.T) {
	t.Parallel()
	bearer := func(value string) *pave.Callback {
		cb := pave.NewCallback(pave.EventComplete, whEnsureURL, whSecret)
		cb.Headers["Authorization"] = value
		return cb
	}
	tests := []struct {
		name   string
		cb     *pave.Callback
		fields []string
		says   string
	}{
		{"nil", nil, []string{""}, "nil"},
		{"no event", pave.NewCallback("", whEnsureURL, whSecret), []string{"event"}, "required"},
		{"no url", pave.NewCallback(pave.EventComplete, "", whSecret), []string{"url"}, "required"},
		{"bad method", &pave.Callback{Event: pave.EventComplete, URL: whEnsureURL, Method: "SEND"}, []string{"method"}, "method"},
		{"empty secret", pave.NewCallback(pave.EventComplete, whEnsureURL, ""), []string{"headers.Authorization"}, "empty"},
		{"short secret", pave.NewCallback(pave.EventComplete, whEnsureURL, "short-token-1"), []string{"headers.Authorization"}, "shorter than 16"},
		{"secret with leading space", pave.NewCallback(pave.EventComplete, whEnsureURL, " "+whSecret), []string{"headers.Authorization"}, "leading or trailing"},
		{"secret with trailing newline", pave.NewCallback(pave.EventComplete, whEnsureURL, whSecret+"\n"), []string{"headers.Authorization"}, "control characters"},
		{"secret with trailing space", pave.NewCallback(pave.EventComplete, whEnsureURL, whSecret+" "), []string{"headers.Authorization"}, "leading or trailing"},
		{"secret with inner space", pave.NewCallback(pave.EventComplete, whEnsureURL, "ns-complete token-4410"), []string{"headers.Authorization"}, "spaces"},
		{"Bearer without a token", bearer("Bearer"), []string{"headers.Authorization"}, "empty"},
		{"lower-case scheme, short token", bearer("bearer short-token-1"), []string{"headers.Authorization"}, "shorter than 16"},
		{"upper-case scheme, empty token", bearer("BEARER "), []string{"headers.Authorization"}, "empty"},
		{"lower-case header name", &pave.Callback{Event: pave.EventComplete, URL: whEnsureURL,
			Headers: map[string]string{"authorization": "Bearer short-token-1"}}, []string{"headers.authorization"}, "shorter than 16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := whMockClient(t, nil)
			got, _, err := c.Webhooks.Ensure(context.Background(), tt.cb)
			require.Error(t, err)
			assert.Nil(t, got)
			var ve *pave.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.ErrorIs(t, err, pave.ErrValidation)
			assert.Equal(t, "Webhooks.Ensure", ve.Op)
			assert.Len(t, ve.Errors, len(tt.fields), "field errors: %v", ve.Errors)
			for _, f := range tt.fields {
				require.Contains(t, ve.Errors, f, "field errors: %v", ve.Errors)
				assert.Contains(t, strings.Join(ve.Errors[f], "; "), tt.says)
			}
			assert.Empty(t, pavetest.Sent(mt), "validation must happen before any network call")
			assert.NotContains(t, err.Error(), "short-token", "the token must not be echoed")
			assert.NotContains(t, err.Error(), "token-4410", "the token must not be echoed")
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

// TestCallbackValidateBearerSecret: Validate, and so Create and Update,
// apply package webhook's rule to an "Authorization: Bearer" token, and
// only to that header.
func TestCallbackValidateBearerSecret(t *testing.T) {
	t.Parallel()
	with := func(headers map[string]string) *pave.Callback {
		return &pave.Callback{Event: pave.EventComplete, URL: whEnsureURL, Headers: headers}
	}
	refused := []*pave.Callback{
		pave.NewCallback(pave.EventComplete, whEnsureURL, ""),
		pave.NewCallback(pave.EventComplete, whEnsureURL, "0123456789abcde"), // 15 bytes
		pave.NewCallback(pave.EventComplete, whEnsureURL, "\t0123456789abcdef"),
		with(map[string]string{"Authorization": "bEaReR 0123"}),
		with(map[string]string{"Authorization": "  Bearer 0123"}),
	}
	for _, cb := range refused {
		err := cb.Validate()
		var ve *pave.ValidationError
		require.ErrorAs(t, err, &ve, cb)
		assert.Contains(t, ve.Errors, "headers.Authorization", cb)
		assert.NotContains(t, err.Error(), "0123", cb)

		c, mt := whMockClient(t, nil)
		_, err = c.Webhooks.Create(context.Background(), cb)
		assert.ErrorAs(t, err, &ve, "Create")
		_, err = c.Webhooks.Update(context.Background(), pave.EventComplete, cb)
		assert.ErrorAs(t, err, &ve, "Update")
		assert.Empty(t, pavetest.Sent(mt))
	}
	accepted := []*pave.Callback{
		pave.NewCallback(pave.EventComplete, whEnsureURL, "0123456789abcdef"), // 16 bytes
		with(map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}),        // not Bearer: not a webhook secret
		with(map[string]string{"Authorization": "Token short"}),
		with(map[string]string{"X-Pave-Token": "short"}),               // other headers are not checked
		with(map[string]string{"X-Webhook-Auth": "Bearer short"}),      // nor Bearer values in them
		with(map[string]string{"Authorization": "Bearer " + whSecret}), // whSecret is 22 bytes
	}
	for _, cb := range accepted {
		assert.NoError(t, cb.Validate(), cb)
	}
}

// TestWebhooksEnsureFakeServer: against the fake over HTTP, Ensure twice
// leaves one setting, and the second call only reads it.
func TestWebhooksEnsureFakeServer(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	c := srv.Client()
	ctx := context.Background()
	secret, err := webhook.NewSecret()
	require.NoError(t, err)
	methods := func(from int) []string {
		var out []string
		for _, r := range srv.Requests()[from:] {
			out = append(out, r.Method+" "+r.EscapedPath)
		}
		return out
	}

	first, _, err := c.Webhooks.Ensure(ctx, pave.NewCallback(pave.EventComplete, whEnsureURL, secret))
	require.NoError(t, err)
	assert.Equal(t, []string{"GET /v1/callbacks/SESSION:COMPLETE", "POST /v1/callbacks"}, methods(0))

	n := len(srv.Requests())
	second, _, err := c.Webhooks.Ensure(ctx, pave.NewCallback(pave.EventComplete, whEnsureURL, secret))
	require.NoError(t, err)
	assert.Equal(t, []string{"GET /v1/callbacks/SESSION:COMPLETE"}, methods(n), "the second Ensure only reads")
	assert.Equal(t, settings(first), settings(second))

	list, err := c.Webhooks.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, whEnsureURL, list[0].URL)
	assert.Equal(t, "Bearer "+secret, list[0].Headers["Authorization"])

	// A new secret (rotation) is one GET and one PUT, and still one setting.
	rotated, err := webhook.NewSecret()
	require.NoError(t, err)
	n = len(srv.Requests())
	got, _, err := c.Webhooks.Ensure(ctx, pave.NewCallback(pave.EventComplete, whEnsureURL, rotated))
	require.NoError(t, err)
	assert.Equal(t, []string{"GET /v1/callbacks/SESSION:COMPLETE", "PUT /v1/callbacks/SESSION:COMPLETE"}, methods(n))
	assert.Equal(t, "Bearer "+rotated, got.Headers["Authorization"])
	list, err = c.Webhooks.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "Bearer "+rotated, list[0].Headers["Authorization"])
}

// TestWebhooksEnsureClearsOldFields: PAVE keeps what a PUT leaves out, so
// Ensure sends every field; a setting wanted without headers, payload or
// method then settles after one update.
func TestWebhooksEnsureClearsOldFields(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	c := srv.Client()
	ctx := context.Background()
	_, err := c.Webhooks.Create(ctx, &pave.Callback{Event: pave.EventStatusChange, URL: whEnsureURL, Method: http.MethodPut,
		Headers: map[string]string{"X-Old": "1"}, Payload: map[string]any{"old": true}})
	require.NoError(t, err)

	bare := &pave.Callback{Event: pave.EventStatusChange, URL: whEnsureURL}
	n := len(srv.Requests())
	got, _, err := c.Webhooks.Ensure(ctx, bare)
	require.NoError(t, err)
	reqs := srv.Requests()[n:]
	require.Len(t, reqs, 2)
	assert.Equal(t, http.MethodPut, reqs[1].Method)
	assert.JSONEq(t, `{"url": "`+whEnsureURL+`", "method": "POST", "headers": {}, "payload": {}}`, string(reqs[1].Body))
	assert.Equal(t, http.MethodPost, got.Method)
	assert.Empty(t, got.Headers)
	assert.Empty(t, got.Payload)
	assert.Nil(t, bare.Headers, "the caller's setting is not modified")

	n = len(srv.Requests())
	_, _, err = c.Webhooks.Ensure(ctx, bare)
	require.NoError(t, err)
	assert.Len(t, srv.Requests()[n:], 1, "settled: only a GET")
}
