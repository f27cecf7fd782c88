package pavetest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Request is an API request as the server received it (control endpoints
// under /_fake/ are not recorded).
type Request struct {
	// Method is the HTTP method.
	Method string `json:"method"`
	// Path is the decoded path; EscapedPath the path as sent (e.g.
	// /v1/callbacks/SESSION%3ACOMPLETE).
	Path        string `json:"path"`
	EscapedPath string `json:"escaped_path"`
	// RawQuery is the query string without "?".
	RawQuery string `json:"raw_query,omitempty"`
	// Header holds the request headers.
	Header http.Header `json:"header"`
	// Body is the request body (at most Options.MaxBodyBytes).
	Body []byte `json:"body,omitempty"`
	// Time is the server-clock time of arrival.
	Time time.Time `json:"time"`
	// Status is the status answered (0 while the request is served, or
	// when a fault dropped the connection).
	Status int `json:"status,omitempty"`
	// Reason says why the fake refused the request (its Pave-Fake-Reason
	// header), "" when it did not.
	Reason string `json:"reason,omitempty"`
}

// MarshalJSON writes the body as a string, not base64.
func (r Request) MarshalJSON() ([]byte, error) {
	type plain Request
	return json.Marshal(struct {
		plain
		Body string `json:"body,omitempty"`
	}{plain(r), string(r.Body)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Request) UnmarshalJSON(b []byte) error {
	type plain Request
	w := struct {
		*plain
		Body string `json:"body"`
	}{plain: (*plain)(r)}
	err := json.Unmarshal(b, &w)
	if w.Body != "" {
		r.Body = []byte(w.Body)
	}
	return err
}

// recordedRequest is a Request as the log keeps it: method, paths, query
// and header names and values copied into one pointer-free byte slice, so
// recording costs one allocation and the garbage collector never scans a
// logged request (the log holds up to Options.MaxRecordedRequests of
// them). Requests decodes it.
type recordedRequest struct {
	data      []byte // length-prefixed strings: method, path, raw path, query, then name, value pairs
	hasHeader bool   // false: the request's Header was nil
	body      []byte
	time      time.Time
	seq       uint64 // the request's number, to find it again in the ring
	status    int
	reason    string
	start     time.Time // real time, for the log line's duration
}

// logSlot is where admit recorded a request.
type logSlot struct {
	i   int
	seq uint64
}

// appendString appends s with its length as a uvarint.
func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// encodeRequest lays out r's method, paths, query and header as
// recordedRequest.data, in one pass over the header: into a buffer on the
// stack, then copied to the heap at its exact size.
func encodeRequest(r *http.Request) []byte {
	var stack [1024]byte
	b := appendString(stack[:0], r.Method)
	b = appendString(b, r.URL.Path)
	b = appendString(b, r.URL.RawPath) // EscapedPath is computed from Path and RawPath alone
	b = appendString(b, r.URL.RawQuery)
	for k, vs := range r.Header {
		for _, v := range vs {
			b = appendString(appendString(b, k), v)
		}
	}
	return append([]byte(nil), b...)
}

// request decodes the Request, with its own header and body.
func (q recordedRequest) request() Request {
	d := q.data
	next := func() string {
		n, k := binary.Uvarint(d)
		s := string(d[k : k+int(n)])
		d = d[k+int(n):]
		return s
	}
	r := Request{Method: next(), Path: next(), Body: bytes.Clone(q.body), Time: q.time, Status: q.status, Reason: q.reason}
	r.EscapedPath = (&url.URL{Path: r.Path, RawPath: next()}).EscapedPath()
	r.RawQuery = next()
	if q.hasHeader {
		r.Header = http.Header{}
		for len(d) > 0 {
			k := next()
			r.Header[k] = append(r.Header[k], next())
		}
	}
	return r
}

// admit records r and takes the first matching fault (nil when none), in
// one critical section; it returns the server-clock time of arrival. body
// is what ServeHTTP read: a slice of its own that no handler modifies, so
// the log keeps it as it is.
func (s *Server) admit(r *http.Request, body []byte) (time.Time, *Fault, logSlot) {
	req := recordedRequest{data: encodeRequest(r), hasHeader: r.Header != nil, body: body}
	if s.opts.Log != nil {
		req.start = time.Now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req.time = s.now()
	s.reqSeq++
	req.seq = s.reqSeq
	i := s.requests.add(req, s.opts.MaxRecordedRequests)
	return req.time, s.takeFaultLocked(r), logSlot{i, req.seq}
}

// settle records the answer to a request admit recorded, and logs it.
func (s *Server) settle(r *http.Request, slot logSlot, status int, reason string) {
	var start time.Time
	s.mu.Lock()
	if items := s.requests.items; slot.i < len(items) && items[slot.i].seq == slot.seq {
		items[slot.i].status, items[slot.i].reason, start = status, reason, items[slot.i].start
	}
	s.mu.Unlock()
	if s.opts.Log != nil {
		s.logLine("kind", "request", "method", r.Method, "path", r.URL.Path, "status", status,
			"ms", float64(time.Since(start).Microseconds())/1000, "reason", reason)
	}
}

// Requests returns the API requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return snapshot(&s.requests, recordedRequest.request)
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.requests.reset()
	s.mu.Unlock()
}

// clone returns r with its own copy of the header and body.
func (r Request) clone() Request {
	r.Header, r.Body = r.Header.Clone(), bytes.Clone(r.Body)
	return r
}
