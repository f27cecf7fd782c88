package pavetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pave-go/pave"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fixedNow is the clock of tests that need exact timestamps.
var fixedNow = time.Date(2024, 3, 15, 9, 30, 0, 0, time.UTC)

// rawClient returns an http.Client that signs every request with creds
// (through pave.NewSigningTransport) using clock (srv.Now when nil).
func rawClient(t *testing.T, srv *Server, creds pave.Credentials, clock func() time.Time) *http.Client {
	t.Helper()
	if clock == nil {
		clock = srv.Now
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	st, err := pave.NewSigningTransport(creds, srv.URL, base, clock)
	require.NoError(t, err)
	return &http.Client{Transport: st, Timeout: 10 * time.Second}
}

// plainClient returns an unsigned http.Client with its own transport.
func plainClient(t *testing.T) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	return &http.Client{Transport: base, Timeout: 10 * time.Second}
}

// call sends a request with a JSON body (nil: none, []byte or string: raw)
// and returns the status and body.
func call(t *testing.T, hc *http.Client, method, url string, body any, header http.Header) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		require.NoError(t, err)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, r)
	require.NoError(t, err)
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

// jsonMap decodes a JSON object.
func jsonMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), string(b))
	return m
}

// createSession creates a session through the SDK client.
func createSession(t *testing.T, c *pave.Client, req *pave.CreateSessionRequest) *pave.Session {
	t.Helper()
	s, err := c.Sessions.Create(context.Background(), req)
	require.NoError(t, err)
	return s
}

// received is one webhook delivery seen by a receiver.
type received struct {
	// Event is the event the delivery was registered for (the last
	// segment of its URL's path, see registerAll).
	Event  string
	Method string
	Path   string
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// receiver is an httptest webhook endpoint that answers fail (e.g. 500)
// for the first failFirst requests, then 200.
type receiver struct {
	*httptest.Server
	mu        sync.Mutex
	got       []received
	failFirst int
	seen      int
}

func newReceiver(t *testing.T, failFirst int) *receiver {
	rc := &receiver{failFirst: failFirst}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		rc.mu.Lock()
		rc.seen++
		fail := rc.seen <= rc.failFirst
		if !fail {
			rc.got = append(rc.got, received{Event: path.Base(r.URL.Path), Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: m, Raw: raw})
		}
		rc.mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) deliveries() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// events returns the received bodies of one event, in order.
func (rc *receiver) events(event string) []map[string]any {
	var out []map[string]any
	for _, g := range rc.deliveries() {
		if g.Event == event {
			out = append(out, g.Body)
		}
	}
	return out
}

// register creates a callback setting with raw signed requests.
func register(t *testing.T, hc *http.Client, srv *Server, cb map[string]any) {
	t.Helper()
	status, body := call(t, hc, http.MethodPost, srv.URL+"/v1/callbacks", cb, nil)
	require.Equal(t, http.StatusOK, status, string(body))
}

func newHTTPTestServer(h http.Handler) *httptest.Server { return httptest.NewServer(h) }
