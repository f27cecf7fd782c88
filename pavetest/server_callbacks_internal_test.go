package pavetest

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallbackSettingsCRUD(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	key := srv.Credentials().APIKey
	hc := rawClient(t, srv, srv.Credentials(), nil)
	base := srv.URL + "/v1/callbacks"

	status, body := call(t, hc, http.MethodGet, base, nil, nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"api_key":"`+key+`","data":[]}`, string(body))

	create := `{"event":"SESSION:COMPLETE","url":"https://hooks.example.com/pave/complete",` +
		`"headers":{"Authorization":"Bearer abc123"},"payload":{"source":"PAVE"}}`
	status, body = call(t, hc, http.MethodPost, base, create, nil)
	require.Equal(t, http.StatusOK, status, string(body))
	assert.JSONEq(t, `{"api_key":"`+key+`","event":"SESSION:COMPLETE","url":"https://hooks.example.com/pave/complete",`+
		`"method":"POST","headers":{"Authorization":"Bearer abc123"},"payload":{"source":"PAVE"}}`, string(body))

	status, body = call(t, hc, http.MethodPost, base, create, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"message":"Callback setting for the event SESSION:COMPLETE already exists."}`, string(body))

	status, body = call(t, hc, http.MethodPost, base, `{"event":"SESSION:EXPLODE","url":"https://x.example/"}`, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"message":"Unsupported event."}`, string(body))

	for _, missing := range []string{`{"url":"https://x.example/"}`, `{"event":"SESSION:STAGE_CHANGE"}`, `{}`} {
		status, body = call(t, hc, http.MethodPost, base, missing, nil)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"message":"Missing required fields."}`, string(body))
	}
	status, _ = call(t, hc, http.MethodPost, base, `{"event":"SESSION:STAGE_CHANGE","url":"not a url"}`, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	status, _ = call(t, hc, http.MethodPost, base, `{"event":"SESSION:STAGE_CHANGE","url":"https://x.example/","headers":{"A":1}}`, nil)
	assert.Equal(t, http.StatusBadRequest, status)

	status, _ = call(t, hc, http.MethodPost, base, `{"event":"SESSION:NOTE_INSERT","url":"https://hooks.example.com/notes","method":"put"}`, nil)
	require.Equal(t, http.StatusOK, status)

	// GET one, by the raw and the %3A-escaped event.
	for _, ev := range []string{"SESSION:COMPLETE", "SESSION%3ACOMPLETE", "SESSION%3acomplete"} {
		status, body = call(t, hc, http.MethodGet, base+"/"+ev, nil, nil)
		require.Equal(t, http.StatusOK, status, ev)
		m := jsonMap(t, body)
		assert.Equal(t, key, m["api_key"])
		assert.Equal(t, "https://hooks.example.com/pave/complete", m["data"].(map[string]any)["url"])
	}

	status, body = call(t, hc, http.MethodGet, base, nil, nil)
	require.Equal(t, http.StatusOK, status)
	data := jsonMap(t, body)["data"].([]any)
	require.Len(t, data, 2)
	assert.Equal(t, "SESSION:NOTE_INSERT", data[1].(map[string]any)["event"])
	assert.Equal(t, "PUT", data[1].(map[string]any)["method"])
	assert.Equal(t, map[string]any{}, data[1].(map[string]any)["headers"])

	// Update.
	status, body = call(t, hc, http.MethodPut, base+"/SESSION%3ACOMPLETE", `{"url":"https://hooks.example.com/v2"}`, nil)
	require.Equal(t, http.StatusOK, status)
	m := jsonMap(t, body)
	assert.Equal(t, "https://hooks.example.com/v2", m["url"])
	assert.Equal(t, map[string]any{"source": "PAVE"}, m["payload"], "absent fields are kept")
	assert.Equal(t, key, m["api_key"])
	status, body = call(t, hc, http.MethodPut, base+"/SESSION:COMPLETE", `{"method":"POST"}`, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"message":"Missing required fields."}`, string(body))
	notFound := `{"api_key":"` + key + `","message":"Your API Key does not have callback setting for the event SESSION:SMS_PROCESS."}`
	status, body = call(t, hc, http.MethodPut, base+"/SESSION:SMS_PROCESS", `{"url":"https://x.example/"}`, nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.JSONEq(t, notFound, string(body))
	status, body = call(t, hc, http.MethodGet, base+"/SESSION:SMS_PROCESS", nil, nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.JSONEq(t, notFound, string(body))

	// Delete.
	status, body = call(t, hc, http.MethodDelete, base+"/SESSION:COMPLETE", nil, nil)
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"api_key":"`+key+`","message":"Callback setting SESSION:COMPLETE has been successfully removed."}`, string(body))
	status, _ = call(t, hc, http.MethodDelete, base+"/SESSION%3ACOMPLETE", nil, nil)
	assert.Equal(t, http.StatusNotFound, status)
}

func TestCallbackSettingsPerAPIKey(t *testing.T) {
	t.Parallel()
	a := Account{Username: "a", APIKey: "key-a", APISecret: "secret-a"}
	b := Account{Username: "b", APIKey: "key-b", APISecret: "secret-b"}
	srv := NewServer(t, WithAccounts(a, b))
	ha := rawClient(t, srv, a.Credentials(), nil)
	hb := rawClient(t, srv, b.Credentials(), nil)
	register(t, ha, srv, map[string]any{"event": "SESSION:COMPLETE", "url": "https://a.example/"})
	status, body := call(t, hb, http.MethodGet, srv.URL+"/v1/callbacks", nil, nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"api_key":"key-b","data":[]}`, string(body))
	status, _ = call(t, hb, http.MethodGet, srv.URL+"/v1/callbacks/SESSION:COMPLETE", nil, nil)
	assert.Equal(t, http.StatusNotFound, status)
	// b can register the same event independently.
	register(t, hb, srv, map[string]any{"event": "SESSION:COMPLETE", "url": "https://b.example/"})
}
