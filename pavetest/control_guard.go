package pavetest

import (
	"crypto/subtle"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
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
	return err == nil && port == ownPort && loopback(h)
}

// loopback reports whether host names this machine: localhost or a
// loopback IP address.
func loopback(host string) bool {
	ip := net.ParseIP(host)
	return strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback()
}
