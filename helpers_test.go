package pave_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// testCreds are invented credentials for an invented account.
var testCreds = pave.Credentials{
	Username:  "northshoreauto",
	APIKey:    "5d0e8b7a-2c41-4f9e-a3b6-7e1f0c9d2b84",
	APISecret: "ns-T3st-Secret-9941",
}

// mockCreds are the credentials of the clients pavetest.NewMockClient
// builds.
var mockCreds = pavetest.MockCredentials()

const (
	mockBase   = "https://openapi.paveapi.com"
	sessionKey = "NSA-7K2D5MZ8WP"
)

// fastRetries keeps retry waits in the millisecond range.
func fastRetries() pave.Option {
	return pave.WithRetryBackoff(time.Millisecond, 5*time.Millisecond)
}

// newServerClient starts an httptest server with h and returns a client
// pointed at it (plain http is allowed for loopback).
func newServerClient(t *testing.T, h http.Handler, opts ...pave.Option) (*pave.Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	all := append([]pave.Option{pave.WithBaseURL(srv.URL), fastRetries()}, opts...)
	c, err := pave.NewClient(testCreds, all...)
	require.NoError(t, err)
	return c, srv
}

// noNetworkClient returns a client (pavetest.NewMockClient's) whose every
// request fails the test: nothing answers on its transport, and what was
// sent anyway is in pavetest.Sent(mt).
func noNetworkClient(t *testing.T) (*pave.Client, *pavetest.MockTransport) {
	t.Helper()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		t.Errorf("unexpected network call: %s %s", r.Method, r.URL)
		return nil, io.ErrUnexpectedEOF
	})
	return c, mt
}

// fixture returns a response document: the API responses users get from
// pavetest's embedded fixtures come from there (one copy for the kit and the
// SDK's own tests), test-only documents from testdata/.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	if b := pavetest.Fixture(name); b != nil {
		return b
	}
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// jsonResponse builds a response with a JSON content type.
func jsonResponse(status int, body string) *http.Response {
	r := httpmock.NewStringResponse(status, body)
	r.Header.Set("Content-Type", "application/json")
	return r
}

// jsonResponder answers every call with status and body.
func jsonResponder(status int, body string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) { return jsonResponse(status, body), nil }
}

// sequence answers call i with responders[i], repeating the last one.
func sequence(responders ...httpmock.Responder) httpmock.Responder {
	var mu sync.Mutex
	i := 0
	return func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		next := responders[min(i, len(responders)-1)]
		i++
		mu.Unlock()
		return next(r)
	}
}

// serverSaw returns what the handler of an httptest server (or an httpmock
// responder in front of the kit) received, as the kit records a request:
// pavetest.Request is the one record type of these tests. It reads the
// body and puts back a copy, so the handler can still read it.
func serverSaw(r *http.Request) pavetest.Request {
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		body, _ = io.ReadAll(r.Body)
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return pavetest.Request{
		Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: body, Time: time.Now(),
	}
}

// requestURI is the escaped path of r with its query, as on the wire.
func requestURI(r pavetest.Request) string {
	if r.RawQuery != "" {
		return r.EscapedPath + "?" + r.RawQuery
	}
	return r.EscapedPath
}

// sentTo returns the requests sent through mt with method to path (as sent
// or decoded), oldest first: what the responder of that route saw.
func sentTo(mt *pavetest.MockTransport, method, path string) []pavetest.Request {
	var out []pavetest.Request
	for _, r := range pavetest.Sent(mt) {
		if r.Method == method && (r.EscapedPath == path || r.Path == path) {
			out = append(out, r)
		}
	}
	return out
}

// headerValues returns every value of header name, whatever the case of
// its key in h.
func headerValues(h http.Header, name string) []string {
	var out []string
	for k, v := range h {
		if strings.EqualFold(k, name) {
			out = append(out, v...)
		}
	}
	return out
}

// assertSignedAPIRequest checks what every API request carries: PAVE's
// signature for creds (pavetest.AssertSigned), its token exactly as
// creds.Token spells it (the kit also accepts upper-case hex), and
// Accept: application/json.
func assertSignedAPIRequest(t *testing.T, r pavetest.Request, creds pave.Credentials) {
	t.Helper()
	pavetest.AssertSigned(t, r.Header, creds)
	assert.Equal(t, creds.Token(r.Header.Get(pave.HeaderAPITimestamp)), r.Header.Get(pave.HeaderAPIToken), "API-Token of %s %s", r.Method, r.EscapedPath)
	assert.Equal(t, "application/json", r.Header.Get("Accept"), "Accept of %s %s", r.Method, r.EscapedPath)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records decodes the JSON log lines written so far.
func (b *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(b.String()) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

// debugLogger returns a JSON logger at debug level writing to a buffer.
func debugLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// retryWaits returns the waits logged by the "pave retry" records.
func retryWaits(t *testing.T, buf *syncBuffer) []time.Duration {
	t.Helper()
	var out []time.Duration
	for _, rec := range buf.records(t) {
		if rec["msg"] == "pave retry" {
			d, err := time.ParseDuration(rec["wait"].(string)) // logged readably: "1.5ms"
			require.NoError(t, err)
			out = append(out, d)
		}
	}
	return out
}

// loggedRequests counts the "pave request" records: the attempts made.
func loggedRequests(t *testing.T, buf *syncBuffer) int {
	t.Helper()
	n := 0
	for _, rec := range buf.records(t) {
		if rec["msg"] == "pave request" {
			n++
		}
	}
	return n
}

// trackedBody records whether it was closed.
type trackedBody struct {
	io.Reader
	closed atomic.Bool
}

func (b *trackedBody) Close() error {
	b.closed.Store(true)
	return nil
}

// mustJSON marshals v or fails the test.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
