package pavetest

import (
	"bytes"
	"net/http"
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
}

// record appends r to the request log, dropping the oldest entries beyond
// Options.MaxRecordedRequests.
func (s *Server) record(r *http.Request, body []byte) {
	req := Request{
		Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: bytes.Clone(body),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req.Time = s.now()
	s.requests.add(req, s.opts.MaxRecordedRequests)
}

// Requests returns the API requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.snapshot(Request.clone)
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.requests.reset()
	s.mu.Unlock()
}

// clone returns r with its own copy of the header and body.
func (r Request) clone() Request {
	r.Header = r.Header.Clone()
	r.Body = bytes.Clone(r.Body)
	return r
}
