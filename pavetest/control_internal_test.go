package pavetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pave-go/pave"
)

func TestControlEndpoints(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithClock(func() time.Time { return fixedNow }))
	rc := newReceiver(t, 0)
	registerAll(t, srv, rc)
	key := createSession(t, srv.Client(), &pave.CreateSessionRequest{SMS: &pave.SMS{To: "4165550199"}}).SessionKey
	hc := plainClient(t) // no auth on control endpoints
	ctl := srv.URL + "/_fake/sessions/" + key

	status, body := call(t, hc, http.MethodPost, ctl+"/start", nil, nil)
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, "STARTED", jsonMap(t, body)["status"])
	status, body = call(t, hc, http.MethodPost, ctl+"/start", nil, nil)
	assert.Equal(t, http.StatusConflict, status)
	assert.Contains(t, jsonMap(t, body)["message"], "STARTED")

	status, body = call(t, hc, http.MethodPost, ctl+"/capture", `{"photo_code":4,"accepted":false}`, nil)
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, "PROCESS", jsonMap(t, body)["status"])
	status, _ = call(t, hc, http.MethodPost, ctl+"/capture", `{"photo_code":99}`, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	status, _ = call(t, hc, http.MethodPost, ctl+"/capture", `{"photo_code":`, nil)
	assert.Equal(t, http.StatusBadRequest, status)

	status, _ = call(t, hc, http.MethodPost, ctl+"/notes", `{"title":"T","description":"D"}`, nil)
	assert.Equal(t, http.StatusOK, status)
	status, _ = call(t, hc, http.MethodPost, ctl+"/sms", `{"success":false,"message":"Undeliverable"}`, nil)
	assert.Equal(t, http.StatusOK, status)
	status, body = call(t, hc, http.MethodPost, ctl+"/complete", nil, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "COMPLETE", jsonMap(t, body)["status"])
	status, _ = call(t, hc, http.MethodGet, ctl, nil, nil)
	assert.Equal(t, http.StatusOK, status)

	assert.Len(t, rc.events("SESSION:NOTE_INSERT"), 1)
	assert.Len(t, rc.events("SESSION:SMS_PROCESS"), 1)
	assert.Len(t, rc.events("SESSION:COMPLETE"), 1)

	for _, action := range []string{"expire", "invalidate"} {
		other := createSession(t, srv.Client(), nil).SessionKey
		status, body = call(t, hc, http.MethodPost, srv.URL+"/_fake/sessions/"+other+"/"+action, nil, nil)
		require.Equal(t, http.StatusOK, status, action)
		assert.Contains(t, []any{"EXPIRED", "INVALID"}, jsonMap(t, body)["status"])
	}

	status, body = call(t, hc, http.MethodPost, srv.URL+"/_fake/sessions/NOP-0000000000/complete", nil, nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.JSONEq(t, `{"message":"Session NOP-0000000000 cannot be found."}`, string(body))
	status, _ = call(t, hc, http.MethodPost, ctl+"/dance", nil, nil)
	assert.Equal(t, http.StatusNotFound, status)
	status, _ = call(t, hc, http.MethodGet, ctl+"/start", nil, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, status)

	// Hotspots processing.
	shc := rawClient(t, srv, srv.Credentials(), nil)
	status, _ = call(t, shc, http.MethodPost, srv.URL+"/v1/hotspots/"+key+"/photos-url", hotspotUpload, nil)
	require.Equal(t, http.StatusOK, status)
	status, _ = call(t, hc, http.MethodPost, srv.URL+"/_fake/hotspots/"+key+"/process", nil, nil)
	assert.Equal(t, http.StatusOK, status)
	status, body = call(t, shc, http.MethodGet, srv.URL+"/v1/hotspots/"+key, nil, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, true, jsonMap(t, body)["success"])

	// Recorded requests and deliveries; control calls are not recorded.
	status, body = call(t, hc, http.MethodGet, srv.URL+"/_fake/requests", nil, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), `"path":"/v1/hotspots/`+key+`"`)
	assert.NotContains(t, string(body), "/_fake/")
	status, _ = call(t, hc, http.MethodDelete, srv.URL+"/_fake/requests", nil, nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Empty(t, srv.Requests())
	status, body = call(t, hc, http.MethodGet, srv.URL+"/_fake/deliveries", nil, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), `"event":"SESSION:COMPLETE"`)
	status, _ = call(t, hc, http.MethodDelete, srv.URL+"/_fake/deliveries", nil, nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Empty(t, srv.Deliveries())

	// Faults over HTTP.
	status, _ = call(t, hc, http.MethodPost, srv.URL+"/_fake/faults", `{"path":"/v1/callbacks","status":429,"retry_after_seconds":3,"times":1}`, nil)
	require.Equal(t, http.StatusOK, status)
	resp, err := shc.Get(srv.URL + "/v1/callbacks")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "3", resp.Header.Get("Retry-After"))
	status, _ = call(t, hc, http.MethodPost, srv.URL+"/_fake/faults", `{"status":7}`, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	status, _ = call(t, hc, http.MethodPost, srv.URL+"/_fake/faults", `{"status":500}`, nil)
	require.Equal(t, http.StatusOK, status)
	status, _ = call(t, hc, http.MethodDelete, srv.URL+"/_fake/faults", nil, nil)
	assert.Equal(t, http.StatusOK, status)
	status, _ = call(t, shc, http.MethodGet, srv.URL+"/v1/callbacks", nil, nil)
	assert.Equal(t, http.StatusOK, status)

	// Clock.
	status, body = call(t, hc, http.MethodGet, srv.URL+"/_fake/clock", nil, nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"now":"2024-03-15T09:30:00Z"}`, string(body))
	status, body = call(t, hc, http.MethodPost, srv.URL+"/_fake/clock", `{"advance_seconds":86400}`, nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"now":"2024-03-16T09:30:00Z"}`, string(body))
	assert.Equal(t, fixedNow.Add(24*time.Hour), srv.Now())
}

func TestStartValidatesOptions(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]Options{
		"public address": {Addr: "0.0.0.0:0"},
		"bad address":    {Addr: "nope"},
		"blank account":  {Accounts: []Account{{Username: "u"}}},
		"duplicate key":  {Accounts: []Account{{Username: "a", APIKey: "k", APISecret: "s"}, {Username: "b", APIKey: "k", APISecret: "t"}}},
		"unknown theme":  {Accounts: []Account{{Username: "a", APIKey: "k", APISecret: "s", DefaultTheme: "GOLD"}}},
	} {
		srv, err := Start(WithOptions(o))
		assert.Error(t, err, name)
		assert.Nil(t, srv, name)
	}
}

func TestStartAndClose(t *testing.T) {
	t.Parallel()
	srv, err := Start(WithSeed(5))
	require.NoError(t, err)
	c, err := srv.NewClient(srv.Credentials(), pave.WithMaxRetries(0))
	require.NoError(t, err)
	_, err = c.Sessions.Create(context.Background(), nil)
	require.NoError(t, err)
	assert.Len(t, srv.Accounts(), 1)
	srv.Close()
	srv.Close() // idempotent
	_, err = c.Sessions.Create(context.Background(), nil)
	require.Error(t, err)
}

// TestNoLeakAfterClose is deliberately not parallel: it checks that Close
// leaves no goroutine behind, even with a webhook delivery stuck on a
// receiver that never answers.
func TestNoLeakAfterClose(t *testing.T) {
	defer goleak.VerifyNone(t)
	hang := make(chan struct{})
	rc := newBlockingReceiver(t, hang)
	srv, err := Start(WithOptions(Options{AsyncWebhooks: true, WebhookTimeout: time.Minute}))
	require.NoError(t, err)
	hc := rawClient(t, srv, srv.Credentials(), nil)
	register(t, hc, srv, map[string]any{"event": "SESSION:STATUS_CHANGE", "url": rc.URL})
	c := srv.Client()
	key := createSession(t, c, nil).SessionKey
	require.NoError(t, srv.StartCapture(key))
	srv.Inject(Fault{Delay: time.Hour})
	done := make(chan error, 1)
	go func() {
		_, err := srv.Client(pave.WithMaxRetries(0)).Sessions.Get(context.Background(), key)
		done <- err
	}()
	require.Eventually(t, func() bool { return len(srv.Requests()) >= 3 }, 5*time.Second, time.Millisecond)
	srv.Close()
	require.Error(t, <-done)
	close(hang)
	rc.Close()
	hc.CloseIdleConnections()
	ds := srv.Deliveries()
	require.NotEmpty(t, ds)
	assert.False(t, ds[0].Delivered)
}

// newBlockingReceiver answers only once hang is closed.
func newBlockingReceiver(t *testing.T, hang chan struct{}) *receiver {
	rc := &receiver{}
	rc.Server = newHTTPTestServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

// A web page the developer visits must not drive the fake nor read what it
// recorded: not by DNS rebinding (its own name in Host), not by a
// cross-origin fetch or form post.
func TestControlEndpointsRefuseWhatABrowserSendsAcrossOrigins(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	key := createSession(t, srv.Client(), nil).SessionKey
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	hc := plainClient(t)
	tests := []struct {
		name   string
		method string
		path   string
		host   string
		header http.Header
		body   any
		want   int
	}{
		{"own address", http.MethodGet, "/_fake/requests", "", nil, nil, http.StatusOK},
		{"localhost name", http.MethodGet, "/_fake/requests", "localhost:" + port, nil, nil, http.StatusOK},
		{"DNS rebinding: another name", http.MethodGet, "/_fake/requests", "attacker.example:" + port, nil, nil, http.StatusForbidden},
		{"DNS rebinding: another port", http.MethodGet, "/_fake/deliveries", "127.0.0.1:1", nil, nil, http.StatusForbidden},
		{"cross-origin fetch", http.MethodGet, "/_fake/requests", "", http.Header{"Origin": {"https://attacker.example"}}, nil, http.StatusForbidden},
		{"same-origin fetch", http.MethodGet, "/_fake/requests", "", http.Header{"Origin": {srv.URL}}, nil, http.StatusOK},
		{"cross-site navigation", http.MethodPost, "/_fake/sessions/" + key + "/start", "", http.Header{"Sec-Fetch-Site": {"cross-site"}}, nil, http.StatusForbidden},
		{"text/plain post", http.MethodPost, "/_fake/sessions/" + key + "/notes", "", http.Header{"Content-Type": {"text/plain"}}, []byte(`{"title":"x"}`), http.StatusUnsupportedMediaType},
		{"form post", http.MethodPost, "/_fake/faults", "", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte("status=500"), http.StatusUnsupportedMediaType},
		{"a tool's plain post", http.MethodPost, "/_fake/sessions/" + key + "/start", "", nil, nil, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r io.Reader
			if b, ok := tt.body.([]byte); ok {
				r = bytes.NewReader(b)
			}
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, r)
			require.NoError(t, err)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			resp, err := hc.Do(req)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, tt.want, resp.StatusCode)
		})
	}
}

func TestControlToken(t *testing.T) {
	t.Parallel()
	const token = "ctl-0123456789abcdef"
	srv, err := Start(WithOptions(Options{ControlToken: token}))
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	hc := plainClient(t)
	for _, tt := range []struct {
		auth string
		host string
		want int
	}{
		{"", "", http.StatusUnauthorized},
		{"Bearer wrong-token-0123456789", "", http.StatusUnauthorized},
		{"Basic " + token, "", http.StatusUnauthorized},
		{"Bearer " + token, "", http.StatusOK},
		{"bearer " + token, "pave-fake:8080", http.StatusOK}, // a container's name: the token decides
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/_fake/requests", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		if tt.host != "" {
			req.Host = tt.host
		}
		resp, err := hc.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, tt.want, resp.StatusCode, "%q", tt.auth)
	}

	_, err = Start(WithOptions(Options{Addr: "0.0.0.0:0"}))
	assert.ErrorContains(t, err, "not a loopback address")
	_, err = Start(WithOptions(Options{Addr: "0.0.0.0:0", ControlToken: "short"}))
	assert.ErrorContains(t, err, "ControlToken")
	open, err := Start(WithOptions(Options{Addr: "0.0.0.0:0", ControlToken: token}))
	require.NoError(t, err)
	open.Close()
}

// TestControlAccounts: a tool pointed at the fake (the pave command) finds
// the credentials to sign with, in the shape pave.Credentials decodes.
func TestControlAccounts(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithAccounts(
		Account{Username: "lakesidehonda", APIKey: "k-1", APISecret: "s-1", AccountName: "lakeside", DefaultTheme: pave.ThemeLite},
		Account{Username: "northshoreauto", APIKey: "k-2", APISecret: "s-2"},
	))
	status, body := call(t, plainClient(t), http.MethodGet, srv.URL+"/_fake/accounts", nil, nil)
	require.Equal(t, http.StatusOK, status, string(body))
	var out struct {
		Accounts []pave.Credentials `json:"accounts"`
	}
	require.NoError(t, json.Unmarshal(body, &out))
	assert.Equal(t, []pave.Credentials{srv.Accounts()[0].Credentials(), srv.Accounts()[1].Credentials()}, out.Accounts)
	assert.Contains(t, string(body), `"account_name":"lakeside"`)
	assert.Contains(t, string(body), `"default_theme":"LITE"`)
}

// Control requests are read by one strict decoder: unknown fields, wrong
// types, left-out required fields and numbers out of range are refused
// with PAVE's 400 shape naming the JSON field.
func TestControlRequestsAreValidated(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	key := createSession(t, srv.Client(), nil).SessionKey
	hc := plainClient(t)
	tests := []struct {
		path, body, field, text string
	}{
		{"/_fake/sessions/" + key + "/notes", `{}`, "title", "title is required"},
		{"/_fake/sessions/" + key + "/notes", `{"title":"  "}`, "title", "title is required"},
		{"/_fake/sessions/" + key + "/notes", `{"title":7}`, "title", "title must be a string"},
		{"/_fake/sessions/" + key + "/capture", `{}`, "photo_code", "photo_code is required"},
		{"/_fake/sessions/" + key + "/capture", ``, "photo_code", "photo_code is required"},
		{"/_fake/sessions/" + key + "/capture", `{"photo_code":99}`, "photo_code", "photo_code must be between 1 and 13"},
		{"/_fake/sessions/" + key + "/capture", `{"photo_code":4,"accepted":"yes"}`, "accepted", "accepted must be a boolean"},
		{"/_fake/sessions/" + key + "/start", `{"force":true}`, "force", "force is not a field of this request"},
		{"/_fake/faults", `{"statsu":503}`, "statsu", "statsu is not a field of this request"},
		{"/_fake/faults", `{}`, "status", "a fault must set status"},
		{"/_fake/faults", `{"status":503,"retry_after":5}`, "retry_after", "retry_after is not a field"},
		{"/_fake/faults", `{"status":503,"RetryAfter":5}`, "RetryAfter", "RetryAfter is not a field"},
		{"/_fake/faults", `{"status":7}`, "status", "status must be between 100 and 999"},
		{"/_fake/faults", `{"status":503,"header":{"X":"y"}}`, "header.X", "header.X must be an array"},
		{"/_fake/clock", `{}`, "advance_seconds", "advance_seconds is required"},
		{"/_fake/clock", `{"advance_seconds":"1d"}`, "advance_seconds", "advance_seconds must be a number"},
	}
	for _, tt := range tests {
		status, body := call(t, hc, http.MethodPost, srv.URL+tt.path, tt.body, nil)
		require.Equal(t, http.StatusBadRequest, status, "%s %s: %s", tt.path, tt.body, body)
		var got requestError
		require.NoError(t, json.Unmarshal(body, &got), string(body))
		assert.Equal(t, msgValidation, got.Message, tt.body)
		require.Contains(t, got.Errors, tt.field, "%s %s: %s", tt.path, tt.body, body)
		assert.Contains(t, got.Errors[tt.field][0], tt.text, tt.body)
	}
	status, body := call(t, hc, http.MethodPost, srv.URL+"/_fake/faults", `{"status":`, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"message":"Malformed JSON in request body."}`, string(body))
	status, body = call(t, hc, http.MethodPost, srv.URL+"/_fake/faults", `[1]`, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"message":"Invalid request body: the body must be an object."}`, string(body))
	assert.Empty(t, srv.Faults(), "nothing refused was injected")
	s, err := srv.Session(key)
	require.NoError(t, err)
	assert.Equal(t, pave.StatusIdle, s.Status, "nothing refused changed the session")
}

// Every control route is described in the OpenAPI document and served,
// and every path the document lists under /_fake is a route.
func TestEveryControlRouteIsDescribedAndServed(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	status, body := call(t, plainClient(t), http.MethodGet, srv.URL+"/_fake/openapi.json", nil, nil)
	require.Equal(t, http.StatusOK, status)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(body, &doc))
	assert.Equal(t, "3.1.0", doc.OpenAPI)
	described := 0
	assert.Contains(t, doc.Paths, "/v1/sessions/{session_key}", "PAVE's own API is in the document too")
	for path, ops := range doc.Paths {
		for method, v := range ops {
			op, isOp := v.(map[string]any)
			if !strings.HasPrefix(path, "/_fake/") || !isOp {
				continue
			}
			described++
			assert.Equal(t, []any{"fake-control"}, op["tags"], path)
			c := controlRouteOf(strings.ToUpper(method), path)
			require.NotNil(t, c, "%s %s is described but not a control route", method, path)
			assert.NotEmpty(t, op["summary"])
			if c.request != nil {
				assert.NotNil(t, op["requestBody"], path)
			}
		}
	}
	assert.Equal(t, len(controlTable), described)
	for _, c := range controlTable {
		r := httptest.NewRequest(c.Method, strings.NewReplacer("{session_key}", "K", "{id}", "1").Replace(c.Path), nil)
		_, pattern := srv.controlMux.Handler(r)
		assert.Equal(t, c.Method+" "+c.Path, pattern, "%s %s is not served", c.Method, c.Path)
	}
}

func controlRouteOf(method, path string) *controlRoute {
	for _, c := range controlTable {
		if c.Method == method && c.Path == path {
			return c
		}
	}
	return nil
}
