package pavetest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/pave-go/pave"
)

// MockTransport is the httpmock transport of one test: register answers on
// it with the On* helpers (or httpmock's own Register* methods, which it
// embeds), and read back what the code under test sent with Sent and
// LastSent. It is never httpmock's global transport, so tests using it can
// run in parallel.
//
// Every client built on it is recorded, however it was built: by
// NewMockClient, by NewClient for another dealer's credentials, or by your
// own pave.NewClient with pave.WithHTTPClient(&http.Client{Transport: mt}).
// A base URL with a path prefix (https://gateway.example.com/pave) works
// too: the prefix before /v1/ or /v2/ is dropped before the request meets
// the routes, so every Path* route and On* helper matches.
type MockTransport struct {
	*httpmock.MockTransport

	mu   sync.Mutex
	sent []Request
}

// NewMockTransport returns a fresh mock transport.
func NewMockTransport() *MockTransport {
	return &MockTransport{MockTransport: httpmock.NewMockTransport()}
}

// RoundTrip records req (reading and restoring its body), drops a base
// path prefix, and answers it with the registered responders.
func (m *MockTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	if p, ok := apiPath(req.URL.Path); ok && p != req.URL.Path {
		r2 := req.Clone(req.Context()) // its own URL, the same body
		r2.URL.Path, r2.URL.RawPath = p, ""
		if raw, ok := apiPath(req.URL.EscapedPath()); ok {
			r2.URL.RawPath = raw
		}
		req = r2
	}
	m.mu.Lock()
	m.sent = append(m.sent, Request{
		Method: req.Method, Path: req.URL.Path, EscapedPath: req.URL.EscapedPath(), RawQuery: req.URL.RawQuery,
		Header: req.Header.Clone(), Body: body, Time: time.Now(),
	})
	m.mu.Unlock()
	return m.MockTransport.RoundTrip(req)
}

// apiPath returns p from its /v1/ or /v2/ segment on, and whether p has one.
func apiPath(p string) (string, bool) {
	if strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/v2/") || p == "/v1" || p == "/v2" {
		return p, true
	}
	for _, v := range []string{"/v1/", "/v2/"} {
		if i := strings.Index(p, v); i >= 0 {
			return p[i:], true
		}
	}
	return p, false
}

// CloseIdleConnections lets client.CloseIdleConnections reach the mock.
func (m *MockTransport) CloseIdleConnections() {}

// NewClient returns a client for creds that sends through m, with the kit's
// fast retries (backoff from 1 to 5 ms, Retry-After honoured for at most
// 5 ms, so a test of a retried request takes milliseconds). opts come after
// those and may change any of them. Use it for the clients of several
// dealers on one transport.
func (m *MockTransport) NewClient(creds pave.Credentials, opts ...pave.Option) (*pave.Client, error) {
	all := append([]pave.Option{
		pave.WithHTTPClient(&http.Client{Transport: m}),
		pave.WithRetryBackoff(time.Millisecond, 5*time.Millisecond),
		pave.WithMaxRetryAfter(5 * time.Millisecond),
	}, opts...)
	return pave.NewClient(creds, all...)
}

// Sent returns every request sent through mt, oldest first, signed and with
// its JSON body: what the code under test actually asked PAVE for. Retries
// appear once per attempt. Paths are the API's, without a base path prefix.
func Sent(mt *MockTransport) []Request {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	out := make([]Request, len(mt.sent))
	for i, r := range mt.sent {
		out[i] = r.clone()
	}
	return out
}

// LastSent returns the newest request sent through mt with this method and
// exact path (as PathSession(key) etc. give for a non-empty key), and
// whether there was one.
func LastSent(mt *MockTransport, method, path string) (Request, bool) {
	reqs := Sent(mt)
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && (reqs[i].Path == path || reqs[i].EscapedPath == path) {
			return reqs[i], true
		}
	}
	return Request{}, false
}

// DecodeBody unmarshals the request's JSON body into v, for example a
// *pave.CreateSessionRequest to check what the code under test sent.
func (r Request) DecodeBody(v any) error { return json.Unmarshal(r.Body, v) }
