package pave_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
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

const (
	mockBase   = "https://openapi.paveapi.com"
	sessionKey = "NSA-7K2D5MZ8WP"
)

// fastRetries keeps retry waits in the millisecond range.
func fastRetries() pave.Option {
	return pave.WithRetryBackoff(time.Millisecond, 5*time.Millisecond)
}

// newMockClient returns a client whose requests go to a per-test httpmock
// transport (never the global one).
func newMockClient(t *testing.T, opts ...pave.Option) (*pave.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	all := append([]pave.Option{pave.WithHTTPClient(&http.Client{Transport: mt}), fastRetries()}, opts...)
	c, err := pave.NewClient(testCreds, all...)
	require.NoError(t, err)
	return c, mt
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

// noNetworkClient returns a client whose transport fails the test if it is
// ever used, and a counter of such uses.
func noNetworkClient(t *testing.T) (*pave.Client, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		t.Errorf("unexpected network call: %s %s", r.Method, r.URL)
		return nil, io.ErrUnexpectedEOF
	})
	c, err := pave.NewClient(testCreds, pave.WithHTTPClient(&http.Client{Transport: rt}), fastRetries())
	require.NoError(t, err)
	return c, &calls
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

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

// recorder keeps every request a handler or responder saw, with its body.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	Method     string
	EscapedURI string
	Header     http.Header
	Body       []byte
}

func (rec *recorder) add(r *http.Request) recorded {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	rr := recorded{Method: r.Method, EscapedURI: r.URL.EscapedPath(), Header: r.Header.Clone(), Body: body}
	if r.URL.RawQuery != "" {
		rr.EscapedURI += "?" + r.URL.RawQuery
	}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, rr)
	rec.mu.Unlock()
	return rr
}

func (rec *recorder) all() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recorded(nil), rec.reqs...)
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.reqs)
}

// record wraps a responder so every request is recorded first.
func (rec *recorder) record(next httpmock.Responder) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		rec.add(r)
		return next(r)
	}
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

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
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
