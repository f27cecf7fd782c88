package pavetest

import (
	"bytes"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fault makes the server misbehave for matching requests, as a proxy or
// edge in front of PAVE might. Faults apply before authentication, in the
// order injected; the first matching fault with uses left wins. Control
// endpoints (/_fake/...) are never faulted.
type Fault struct {
	// Method matches the HTTP method ("" matches any).
	Method string `json:"method,omitempty"`
	// Path matches the request path exactly, or as a path.Match pattern
	// when it contains *, ? or [ (e.g. "/v1/sessions/*/results"; * does
	// not cross /). "" matches any path.
	Path string `json:"path,omitempty"`
	// PathPrefix, when set, must prefix the request path.
	PathPrefix string `json:"path_prefix,omitempty"`

	// Status answers with this status instead of the API (0: pass the
	// request to the API, after Delay, truncated if asked). A 1xx status
	// (101 Switching Protocols, say) is sent as a bare status line on the
	// raw connection, which then stays open and silent until the client
	// hangs up or the server closes: a hostile upgrade.
	Status int `json:"status,omitempty" range:"100,999"`
	// RetryAfter adds a Retry-After header (whole seconds, rounded up).
	RetryAfter time.Duration `json:"-"`
	// Header adds response headers.
	Header http.Header `json:"header,omitempty"`
	// Body is the response body for Status; default {"message": "<status text>."}.
	Body string `json:"body,omitempty"`
	// Delay waits before answering (cut short by the client going away
	// or Close).
	Delay time.Duration `json:"-"`
	// DropConnection closes the connection without answering.
	DropConnection bool `json:"drop_connection,omitempty"`
	// TruncateBody sends the headers (with the full Content-Length) and
	// half of the body, then closes the connection.
	TruncateBody bool `json:"truncate_body,omitempty"`
	// ResetMidBody is TruncateBody ending with a TCP reset instead of a
	// clean close.
	ResetMidBody bool `json:"reset_mid_body,omitempty"`

	// Times is how many requests the fault applies to; 0 or less means
	// every request until ResetFaults.
	Times int `json:"times,omitempty"`
}

// InjectedFault is an active fault as Server.Faults lists it.
type InjectedFault struct {
	// ID names the fault for RemoveFault.
	ID int
	// Fault is the fault as injected.
	Fault Fault
	// Remaining is how many requests it still applies to; -1: every
	// request until removed.
	Remaining int
}

type faultState struct {
	f         Fault
	id        int
	remaining int // -1: unlimited
}

// Inject adds a fault and returns its id. See Fault for how requests are
// matched.
func (s *Server) Inject(f Fault) int {
	rem := f.Times
	if rem <= 0 {
		rem = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextFaultID++
	s.faults = append(s.faults, &faultState{f: f, id: s.nextFaultID, remaining: rem})
	return s.nextFaultID
}

// Faults returns the active faults, in the order they apply.
func (s *Server) Faults() []InjectedFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]InjectedFault, 0, len(s.faults))
	for _, fs := range s.faults {
		out = append(out, InjectedFault{ID: fs.id, Fault: fs.f, Remaining: fs.remaining})
	}
	return out
}

// RemoveFault removes the fault with the id Inject returned, and reports
// whether it was active.
func (s *Server) RemoveFault(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.faults)
	s.faults = slices.DeleteFunc(s.faults, func(fs *faultState) bool { return fs.id == id })
	return len(s.faults) < n
}

// ResetFaults removes every injected fault.
func (s *Server) ResetFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

func (f *Fault) matches(r *http.Request) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
		return false
	}
	p := r.URL.Path
	if f.PathPrefix != "" && !strings.HasPrefix(p, f.PathPrefix) {
		return false
	}
	if f.Path != "" {
		if strings.ContainsAny(f.Path, "*?[") {
			ok, err := path.Match(f.Path, p)
			return err == nil && ok
		}
		return f.Path == p
	}
	return true
}

// takeFaultLocked returns the first matching fault, consuming one use.
// Call with s.mu held.
func (s *Server) takeFaultLocked(r *http.Request) *Fault {
	for i, fs := range s.faults {
		if !fs.f.matches(r) {
			continue
		}
		f := fs.f
		if fs.remaining > 0 {
			fs.remaining--
			if fs.remaining == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &f
	}
	return nil
}

// applyFault answers r according to f; api serves the real response.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, api func(http.ResponseWriter)) {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-s.ctx.Done():
			t.Stop()
			dropConnection(w)
			return
		}
	}
	if f.DropConnection {
		dropConnection(w)
		return
	}
	if f.Status >= 100 && f.Status <= 199 {
		s.switchProtocols(w, f)
		return
	}
	truncate := f.TruncateBody || f.ResetMidBody
	if f.Status == 0 && !truncate {
		api(w)
		return
	}
	status, header, body := f.response(api)
	if !truncate {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	header.Set("Content-Length", strconv.Itoa(len(body)))
	header.Set("Connection", "close")
	conn := hijack(w, status, header, body[:len(body)/2])
	defer conn.Close()
	if f.ResetMidBody {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
	}
}

// switchProtocols answers a 1xx status on the raw connection and then
// holds it open without a word, as an upgraded connection does.
func (s *Server) switchProtocols(w http.ResponseWriter, f *Fault) {
	header := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}}
	for k, v := range f.Header {
		header[http.CanonicalHeaderKey(k)] = v
	}
	conn := hijack(w, f.Status, header, nil)
	defer conn.Close()
	done := make(chan struct{})
	go func() {
		// Returns when the client closes the connection (or sends
		// anything, which an upgraded peer would have to).
		_, _ = conn.Read(make([]byte, 1))
		close(done)
	}()
	select {
	case <-done:
	case <-s.ctx.Done():
	}
}

// dropConnection closes the client's connection without answering.
func dropConnection(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler) // makes net/http close the connection without a response
}

// response builds the fault's status, headers and body; with Status 0 it
// is the API's own response.
func (f *Fault) response(api func(http.ResponseWriter)) (int, http.Header, []byte) {
	var status int
	var header http.Header
	var body []byte
	if f.Status == 0 {
		rec := httptest.NewRecorder()
		api(rec)
		status, header, body = rec.Code, rec.Header().Clone(), rec.Body.Bytes()
	} else {
		status, header, body = f.Status, http.Header{}, []byte(f.Body)
		if f.Body == "" {
			body, _ = marshal(msg(http.StatusText(f.Status) + "."))
		}
		header.Set("Content-Type", contentTypeOf(body))
		header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	if f.RetryAfter > 0 {
		header.Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
	}
	for k, v := range f.Header {
		header[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
	}
	return status, header, body
}

func contentTypeOf(body []byte) string {
	t := bytes.TrimSpace(body)
	switch {
	case len(t) > 0 && (t[0] == '{' || t[0] == '['):
		return "application/json"
	case len(t) > 0 && t[0] == '<':
		return "text/html; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

// hijack takes the client's connection over and writes on it a response
// head and the start of its body; the caller closes the connection.
func hijack(w http.ResponseWriter, status int, header http.Header, partial []byte) net.Conn {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	fmt.Fprintf(buf, "HTTP/1.1 %03d %s\r\n", status, http.StatusText(status))
	_ = header.Write(buf)
	_, _ = buf.WriteString("\r\n")
	_, _ = buf.Write(partial)
	_ = buf.Flush()
	return conn
}
