package pavetest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
)

// Every refusal of a signed request says why in Pave-Fake-Reason and in
// the request log, while the body stays PAVE's; PAVE's own sample forms
// of API-Timestamp are named.
func TestRefusalsCarryTheirReason(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	srv := NewServer(t, WithAccounts(acme), WithClock(func() time.Time { return fixedNow }),
		func(o *Options) { o.Log = &syncWriter{w: &log} })
	hc := plainClient(t)
	c := acme.Credentials()
	upper := signed(c, "2024-03-15T09:30:00Z")
	upper.Set(pave.HeaderAPIToken, strings.ToUpper(c.Token("2024-03-15T09:30:00Z")))
	wrong := signed(c, "2024-03-15T09:30:00Z")
	wrong.Set(pave.HeaderAPIToken, strings.Repeat("0", 64))
	unknown := signed(pave.Credentials{Username: "x", APIKey: "nope", APISecret: "s"}, "2024-03-15T09:30:00Z")
	tests := []struct {
		name   string
		header http.Header
		body   string
		reason string
	}{
		{"no key", http.Header{}, `{"message":"Unauthorized."}`, "API-Key header missing"},
		{"unknown key", unknown, `{"message":"Unauthorized."}`, "API-Key matches no account"},
		{"milliseconds", signed(c, "2024-03-15T09:30:00.123Z"), `{"message":"Invalid API-Token."}`,
			"API-Timestamp has milliseconds (JavaScript's toJSON()); PAVE documents 2006-01-02T15:04:05Z; start the fake with --lenient"},
		{"python", signed(c, "2024-03-15T09:30:00.123456+00:00"), `{"message":"Invalid API-Token."}`, "Python's isoformat()"},
		{"php", signed(c, "2024-03-15T09:30:00+00:00"), `{"message":"Invalid API-Token."}`, "PHP's DATE_ATOM"},
		{"unix", signed(c, "1710495000"), `{"message":"Invalid API-Token."}`, "Unix seconds"},
		{"rfc1123", signed(c, "Fri, 15 Mar 2024 09:30:00 GMT"), `{"message":"Invalid API-Token."}`, "RFC 1123"},
		{"garbage", signed(c, "yesterday"), `{"message":"Invalid API-Token."}`, "not a timestamp"},
		{"upper-case token", upper, `{"message":"Invalid API-Token."}`, "upper-case hex"},
		{"wrong token", wrong, `{"message":"Invalid API-Token."}`,
			`API-Token does not match: it must be the lowercase hex HMAC-SHA256 of "acmemotors:9f2c4e1a-7b3d-4c5e-8f6a-1b2c3d4e5f60@2024-03-15T09:30:00Z"`},
		{"stale", signed(c, "2024-03-14T09:30:00Z"), `{"message":"API-Token has expired."}`,
			"API-Timestamp 2024-03-14T09:30:00Z is -24h0m0s away from the fake's clock 2024-03-15T09:30:00Z; the window is 5m0s"},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/callbacks", nil)
		require.NoError(t, err)
		req.Header = tt.header
		resp, err := hc.Do(req)
		require.NoError(t, err)
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, tt.name)
		assert.JSONEq(t, tt.body, body.String(), tt.name)
		assert.Contains(t, resp.Header.Get("Pave-Fake-Reason"), tt.reason, tt.name)
		assert.NotContains(t, resp.Header.Get("Pave-Fake-Reason"), acme.APISecret, tt.name)
		reqs := srv.Requests()
		assert.Equal(t, resp.Header.Get("Pave-Fake-Reason"), reqs[len(reqs)-1].Reason, tt.name)
		assert.Equal(t, http.StatusUnauthorized, reqs[len(reqs)-1].Status, tt.name)
	}
	assert.Contains(t, log.String(), `kind=request method=GET path=/v1/callbacks status=401 ms=`)
	assert.NotContains(t, log.String(), acme.APISecret)
	assert.NotContains(t, log.String(), c.Token("2024-03-15T09:30:00Z"))
}

// syncWriter guards a buffer shared by the server's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// The log has one line per request and per delivery attempt, as JSON
// with LogJSON, without secrets, phones, names, tokens or bodies.
func TestLogLines(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w := &syncWriter{w: &out}
	srv := NewServer(t, func(o *Options) { o.Log, o.LogJSON = w, true })
	rc := newReceiver(t, 0)
	hc := rawClient(t, srv, srv.Credentials(), nil)
	register(t, hc, srv, map[string]any{"event": "SESSION:COMPLETE", "url": rc.URL + "/hook?token=hook-secret-123"})
	key := createSession(t, srv.Client(), &pave.CreateSessionRequest{SMS: &pave.SMS{To: "4165550199", ToName: "Maria Lopez"}}).SessionKey
	require.NoError(t, srv.Complete(key))
	var kinds []string
	for _, line := range strings.Split(strings.TrimSpace(w.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		kinds = append(kinds, m["kind"].(string))
		if m["kind"] == "delivery" {
			assert.Equal(t, rc.URL+"/hook", m["url"])
			assert.Equal(t, "delivered", m["state"])
		}
	}
	assert.Equal(t, []string{"request", "request", "delivery"}, kinds)
	for _, secret := range []string{"hook-secret-123", "4165550199", "Maria", srv.Credentials().APISecret, "redirect"} {
		assert.NotContains(t, w.String(), secret)
	}
}

// Every answer, control answers and refusals included, carries the fake's
// clock in Date, so a client in another language can sign with the Date
// of the last answer: after advancing the clock 8 days, it still gets in.
func TestDateFollowsTheFakeClock(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	hc := plainClient(t)
	resp, err := hc.Post(srv.URL+"/_fake/clock", "application/json", strings.NewReader(`{"advance_seconds":691200}`))
	require.NoError(t, err)
	_ = resp.Body.Close()
	date, err := http.ParseTime(resp.Header.Get("Date"))
	require.NoError(t, err)
	assert.WithinDuration(t, srv.Now(), date, time.Minute, "the Date of the answer is the clock after the advance")

	ts := date.UTC().Format(pave.TimestampLayout)
	for _, path := range []string{"/v1/callbacks", "/nowhere"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header = signed(srv.Credentials(), ts)
		resp, err = hc.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.NotEqual(t, http.StatusUnauthorized, resp.StatusCode, path)
		d, err := http.ParseTime(resp.Header.Get("Date"))
		require.NoError(t, err)
		assert.WithinDuration(t, date, d, time.Minute, path)
	}
}
