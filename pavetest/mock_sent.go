package pavetest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

// sentLogs maps each transport made by NewMockClient to the log of what
// its client sent; entries are removed by the test's cleanup.
var sentLogs sync.Map // *httpmock.MockTransport -> *sentLog

// sentLog sits between the client and the mock transport and keeps every
// request with its body, so a test can check what the code under test sent.
type sentLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []Request
}

func newSentLog(tb testing.TB, mt *httpmock.MockTransport) *sentLog {
	l := &sentLog{next: mt}
	sentLogs.Store(mt, l)
	tb.Cleanup(func() { sentLogs.Delete(mt) })
	return l
}

// RoundTrip records req (reading and restoring its body) and passes it on.
func (l *sentLog) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	l.mu.Lock()
	l.reqs = append(l.reqs, Request{
		Method: req.Method, Path: req.URL.Path, EscapedPath: req.URL.EscapedPath(), RawQuery: req.URL.RawQuery,
		Header: req.Header.Clone(), Body: body, Time: time.Now(),
	})
	l.mu.Unlock()
	return l.next.RoundTrip(req)
}

// CloseIdleConnections lets client.CloseIdleConnections reach the mock.
func (l *sentLog) CloseIdleConnections() {}

// Sent returns every request the client of NewMockClient sent through mt,
// oldest first, signed and with its JSON body: what the code under test
// actually asked PAVE for. Retries appear once per attempt. It returns nil
// for a transport not made by NewMockClient.
func Sent(mt *httpmock.MockTransport) []Request {
	v, ok := sentLogs.Load(mt)
	if !ok {
		return nil
	}
	l := v.(*sentLog)
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, len(l.reqs))
	for i, r := range l.reqs {
		out[i] = r.clone()
	}
	return out
}

// LastSent returns the newest request sent through mt with this method and
// exact path (as PathSession(key) etc. give for a non-empty key), and
// whether there was one.
func LastSent(mt *httpmock.MockTransport, method, path string) (Request, bool) {
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
