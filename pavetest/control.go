package pavetest

import (
	"crypto/subtle"
	"errors"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pave-go/pave"
)

// controlAllowed refuses, and answers, a control request that a web page
// could have made: the control endpoints change state and show every
// account's sessions, phone numbers, tokens and webhook secrets. It
// requires the ControlToken when one is set, and otherwise a Host naming
// the server's loopback address (a DNS-rebinding page sends its own name);
// and it refuses what browsers send across origins: an Origin of another
// host, a Sec-Fetch-Site other than same-origin or none, and bodies that
// are not JSON (a form's or a text/plain POST).
func (s *Server) controlAllowed(w http.ResponseWriter, r *http.Request) bool {
	if tok := s.opts.ControlToken; tok != "" {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(tok)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="pavetest control"`)
			writeJSON(w, http.StatusUnauthorized, msg("Control token missing or wrong."))
			return false
		}
	} else if !s.ownHost(r.Host) {
		writeJSON(w, http.StatusForbidden, msg("Host not allowed: control endpoints answer only requests to the server's loopback address."))
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		if u, err := url.Parse(o); err != nil || !strings.EqualFold(u.Host, r.Host) {
			writeJSON(w, http.StatusForbidden, msg("Cross-origin control requests are refused."))
			return false
		}
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		writeJSON(w, http.StatusForbidden, msg("Cross-site control requests are refused."))
		return false
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeJSON(w, http.StatusUnsupportedMediaType, msg("Control request bodies must be application/json."))
			return false
		}
	}
	return true
}

// ownHost reports whether host (a Host header) names the server's
// listening port on a loopback name: localhost, 127.0.0.1 or [::1], or
// the exact listen address.
func (s *Server) ownHost(host string) bool {
	if strings.EqualFold(host, s.addr) {
		return true
	}
	h, port, err := net.SplitHostPort(host)
	_, ownPort, _ := net.SplitHostPort(s.addr)
	if err != nil || port != ownPort {
		return false
	}
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

type captureBody struct {
	PhotoCode int   `json:"photo_code"`
	Accepted  *bool `json:"accepted"`
}

type noteBody struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

type smsResultBody struct {
	Success *bool  `json:"success"`
	Message string `json:"message"`
}

func (s *Server) controlSession(w http.ResponseWriter, body []byte, key, action string) {
	var err error
	switch action {
	case "start":
		err = s.StartCapture(key)
	case "capture":
		var b captureBody
		if problem := decodeJSON(body, &b); problem != "" {
			writeJSON(w, http.StatusBadRequest, msg(problem))
			return
		}
		accepted := b.Accepted == nil || *b.Accepted
		err = s.CapturePhoto(key, pave.PhotoCode(b.PhotoCode), accepted)
	case "complete":
		err = s.Complete(key)
	case "expire":
		err = s.Expire(key)
	case "invalidate":
		err = s.Invalidate(key)
	case "notes":
		var b noteBody
		if problem := decodeJSON(body, &b); problem != "" {
			writeJSON(w, http.StatusBadRequest, msg(problem))
			return
		}
		err = s.AddNote(key, b.Title, b.Description)
	case "sms":
		var b smsResultBody
		if problem := decodeJSON(body, &b); problem != "" {
			writeJSON(w, http.StatusBadRequest, msg(problem))
			return
		}
		err = s.SetSMSResult(key, b.Success == nil || *b.Success, b.Message)
	default:
		writeJSON(w, http.StatusNotFound, msg("Not found."))
		return
	}
	s.controlResult(w, key, err)
}

// controlResult answers with the session after a control operation, or
// the operation's error: 404 unknown session, 409 wrong status, 400 other.
func (s *Server) controlResult(w http.ResponseWriter, key string, err error) {
	switch {
	case errors.Is(err, ErrSessionNotFound):
		writeJSON(w, http.StatusNotFound, msg(notFoundMessage(key)))
		return
	case errors.Is(err, ErrInvalidTransition):
		writeJSON(w, http.StatusConflict, msg(err.Error()))
		return
	case err != nil:
		writeJSON(w, http.StatusBadRequest, msg(err.Error()))
		return
	}
	s.mu.Lock()
	sess := s.sessions[key]
	var b []byte
	var n string
	if sess != nil {
		b, n, err = sess.viewJSON(s.opts.CaptureHost)
	}
	s.mu.Unlock()
	if sess == nil {
		writeJSON(w, http.StatusNotFound, msg(notFoundMessage(key)))
		return
	}
	writeView(w, http.StatusOK, b, n, err)
}

type requestJSON struct {
	Method      string      `json:"method"`
	Path        string      `json:"path"`
	EscapedPath string      `json:"escaped_path"`
	RawQuery    string      `json:"raw_query"`
	Header      http.Header `json:"header"`
	Body        string      `json:"body"`
	Time        string      `json:"time"`
}

func (s *Server) controlRequests(w http.ResponseWriter) {
	{
		reqs := s.Requests()
		out := make([]requestJSON, len(reqs))
		for i, q := range reqs {
			out[i] = requestJSON{Method: q.Method, Path: q.Path, EscapedPath: q.EscapedPath, RawQuery: q.RawQuery,
				Header: q.Header, Body: string(q.Body), Time: q.Time.UTC().Format(time.RFC3339Nano)}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

type deliveryJSON struct {
	Event      string      `json:"event"`
	SessionKey string      `json:"session_key"`
	URL        string      `json:"url"`
	Method     string      `json:"method"`
	Header     http.Header `json:"header"`
	Body       string      `json:"body"`
	Attempt    int         `json:"attempt"`
	StatusCode int         `json:"status_code"`
	Error      string      `json:"error,omitempty"`
	Delivered  bool        `json:"delivered"`
	Time       string      `json:"time"`
}

func (s *Server) controlDeliveries(w http.ResponseWriter) {
	{
		s.WaitDeliveries()
		ds := s.Deliveries()
		out := make([]deliveryJSON, len(ds))
		for i, d := range ds {
			out[i] = deliveryJSON{Event: d.Event, SessionKey: d.SessionKey, URL: d.URL, Method: d.Method,
				Header: d.Header, Body: string(d.Body), Attempt: d.Attempt, StatusCode: d.StatusCode,
				Error: d.Err, Delivered: d.Delivered, Time: d.Time.UTC().Format(time.RFC3339Nano)}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// faultBody is a Fault over HTTP, with durations in seconds/milliseconds.
type faultBody struct {
	Fault
	RetryAfterSeconds float64 `json:"retry_after_seconds"`
	DelayMS           int64   `json:"delay_ms"`
}

func (s *Server) controlInject(w http.ResponseWriter, body []byte) {
	var b faultBody
	if problem := decodeJSON(body, &b); problem != "" {
		writeJSON(w, http.StatusBadRequest, msg(problem))
		return
	}
	if b.RetryAfterSeconds < 0 || b.RetryAfterSeconds > 86400 || b.DelayMS < 0 || b.DelayMS > 600000 ||
		(b.Status != 0 && (b.Status < 100 || b.Status > 999)) {
		writeJSON(w, http.StatusBadRequest, msg("Invalid fault."))
		return
	}
	f := b.Fault
	f.RetryAfter = time.Duration(b.RetryAfterSeconds * float64(time.Second))
	f.Delay = time.Duration(b.DelayMS) * time.Millisecond
	s.Inject(f)
	writeJSON(w, http.StatusOK, msg("Fault injected."))
}

type clockBody struct {
	AdvanceSeconds float64 `json:"advance_seconds"`
}

type clockJSON struct {
	Now string `json:"now"`
}

// controlClock answers the server clock, after advancing it when body (a
// POST's) asks to.
// accountJSON is an account as GET /_fake/accounts lists it: the shape
// pave.Credentials decodes, plus the fake's own settings.
type accountJSON struct {
	Username     string `json:"username"`
	APIKey       string `json:"api_key"`
	APISecret    string `json:"api_secret"`
	AccountName  string `json:"account_name,omitempty"`
	DefaultTheme string `json:"default_theme,omitempty"`
}

// controlAccounts lists the accounts, the default first, secrets included
// (a tool pointed at the fake signs with them).
func (s *Server) controlAccounts(w http.ResponseWriter) {
	out := struct {
		Accounts []accountJSON `json:"accounts"`
	}{}
	for _, a := range s.opts.Accounts {
		out.Accounts = append(out.Accounts, accountJSON{Username: a.Username, APIKey: a.APIKey, APISecret: a.APISecret,
			AccountName: a.AccountName, DefaultTheme: string(a.DefaultTheme)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) controlClock(w http.ResponseWriter, body []byte) {
	if body != nil {
		var b clockBody
		if problem := decodeJSON(body, &b); problem != "" {
			writeJSON(w, http.StatusBadRequest, msg(problem))
			return
		}
		if b.AdvanceSeconds < -1e9 || b.AdvanceSeconds > 1e9 {
			writeJSON(w, http.StatusBadRequest, msg("Invalid advance_seconds."))
			return
		}
		s.AdvanceClock(time.Duration(b.AdvanceSeconds * float64(time.Second)))
	}
	writeJSON(w, http.StatusOK, clockJSON{Now: s.Now().UTC().Format(time.RFC3339Nano)})
}
