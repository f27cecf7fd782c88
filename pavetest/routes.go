package pavetest

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// The fake's routes, one line per endpoint, in Go 1.22 ServeMux patterns:
// search for "GET /v1/sessions/{key}" and find the client method's path,
// this route and its tests. A path requested with a method it does not
// serve is answered 405 (with Allow); any other path 404, both in JSON.

// apiRequest is an authenticated API request.
type apiRequest struct {
	*http.Request
	acct *account
	body []byte
	key  string // the {key} path value when routed by fastSessionKey, else ""
}

// apiHandler answers one authenticated API request.
type apiHandler func(w http.ResponseWriter, q *apiRequest)

// bodyKey carries the request body, read once by ServeHTTP, to the
// control routes (the API routes find it on their exchange).
type bodyKey struct{}

// apiRoutes builds the API's mux.
func (s *Server) apiRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	v1 := func(h apiHandler) http.Handler { return s.authed(s.authV1, h) }
	hotspots := func(h apiHandler) http.Handler { return s.authed(s.authHotspots, h) }
	v2 := func(h apiHandler) http.Handler { return s.authed(s.authV2, h) }
	key := func(q *apiRequest) string {
		if q.key != "" {
			return q.key
		}
		return q.PathValue("key")
	}
	event := func(q *apiRequest) string { return q.PathValue("event") }

	// Sessions (client.Sessions).
	mux.Handle("POST /v1/sessions", v1(func(w http.ResponseWriter, q *apiRequest) { s.handleCreateSession(w, q.body, q.acct) }))
	s.getSession = v1(func(w http.ResponseWriter, q *apiRequest) { s.handleGetSession(w, q.acct, key(q)) })
	mux.Handle("GET /v1/sessions/{key}", s.getSession) // also reached without the mux: see fastSessionKey
	mux.Handle("PUT /v1/sessions/{key}", v1(func(w http.ResponseWriter, q *apiRequest) { s.handleUpdateSession(w, q.body, q.acct, key(q)) }))
	mux.Handle("DELETE /v1/sessions/{key}", v1(func(w http.ResponseWriter, q *apiRequest) { s.handleDeleteSession(w, q.acct, key(q)) }))
	mux.Handle("GET /v1/sessions/{key}/photos", v1(func(w http.ResponseWriter, q *apiRequest) { s.handleGetPhotos(w, q.acct, key(q)) }))
	mux.Handle("GET /v1/sessions/{key}/notes", v1(func(w http.ResponseWriter, q *apiRequest) { s.handleGetNotes(w, q.acct, key(q)) }))
	mux.Handle("GET /v1/sessions/{key}/results", v1(func(w http.ResponseWriter, q *apiRequest) { s.handleGetResults(w, q.acct, key(q)) }))
	mux.Handle("POST /v2/capture/sessions/{key}/resend", v2(func(w http.ResponseWriter, q *apiRequest) { s.handleResend(w, q.body, q.acct, key(q)) }))

	// Callback settings (client.Webhooks).
	mux.Handle("GET /v1/callbacks", v1(func(w http.ResponseWriter, q *apiRequest) { s.handleListCallbacks(w, q.acct) }))
	mux.Handle("POST /v1/callbacks", v1(func(w http.ResponseWriter, q *apiRequest) { s.handleCreateCallback(w, q.body, q.acct) }))
	mux.Handle("GET /v1/callbacks/{event}", v1(func(w http.ResponseWriter, q *apiRequest) { s.handleGetCallback(w, q.acct, event(q)) }))
	mux.Handle("PUT /v1/callbacks/{event}", v1(func(w http.ResponseWriter, q *apiRequest) { s.handleUpdateCallback(w, q.body, q.acct, event(q)) }))
	mux.Handle("DELETE /v1/callbacks/{event}", v1(func(w http.ResponseWriter, q *apiRequest) { s.handleDeleteCallback(w, q.acct, event(q)) }))

	// Hotspots (client.Hotspots).
	mux.Handle("POST /v1/hotspots/{key}/photos-url", hotspots(func(w http.ResponseWriter, q *apiRequest) { s.handleHotspotUpload(w, q.body, q.acct, key(q)) }))
	mux.Handle("GET /v1/hotspots/{key}", hotspots(func(w http.ResponseWriter, q *apiRequest) { s.handleHotspotResults(w, q.acct, key(q)) }))

	methodsOf(mux, "/v1/sessions", "/v1/sessions/{key}", "/v1/sessions/{key}/photos", "/v1/sessions/{key}/notes",
		"/v1/sessions/{key}/results", "/v2/capture/sessions/{key}/resend", "/v1/callbacks", "/v1/callbacks/{event}",
		"/v1/hotspots/{key}/photos-url", "/v1/hotspots/{key}")
	mux.HandleFunc("/", notFound)
	return mux
}

// controlRoutes builds the mux of the control endpoints (/_fake/...).
func (s *Server) controlRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	body := func(r *http.Request) []byte { b, _ := r.Context().Value(bodyKey{}).([]byte); return b }
	mux.HandleFunc("GET /_fake/sessions/{key}", func(w http.ResponseWriter, r *http.Request) {
		s.controlResult(w, r.PathValue("key"), nil)
	})
	mux.HandleFunc("POST /_fake/sessions/{key}/{action}", func(w http.ResponseWriter, r *http.Request) {
		s.controlSession(w, body(r), r.PathValue("key"), r.PathValue("action"))
	})
	mux.HandleFunc("POST /_fake/hotspots/{key}/process", func(w http.ResponseWriter, r *http.Request) {
		s.controlResult(w, r.PathValue("key"), s.ProcessHotspots(r.PathValue("key")))
	})
	mux.HandleFunc("GET /_fake/requests", func(w http.ResponseWriter, r *http.Request) { s.controlRequests(w) })
	mux.HandleFunc("DELETE /_fake/requests", func(w http.ResponseWriter, r *http.Request) {
		s.ResetRequests()
		writeJSON(w, http.StatusOK, msg("Requests cleared."))
	})
	mux.HandleFunc("GET /_fake/deliveries", func(w http.ResponseWriter, r *http.Request) { s.controlDeliveries(w) })
	mux.HandleFunc("DELETE /_fake/deliveries", func(w http.ResponseWriter, r *http.Request) {
		s.ResetDeliveries()
		writeJSON(w, http.StatusOK, msg("Deliveries cleared."))
	})
	mux.HandleFunc("POST /_fake/faults", func(w http.ResponseWriter, r *http.Request) { s.controlInject(w, body(r)) })
	mux.HandleFunc("DELETE /_fake/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ResetFaults()
		writeJSON(w, http.StatusOK, msg("Faults cleared."))
	})
	mux.HandleFunc("GET /_fake/accounts", func(w http.ResponseWriter, r *http.Request) { s.controlAccounts(w) })
	mux.HandleFunc("GET /_fake/clock", func(w http.ResponseWriter, r *http.Request) { s.controlClock(w, nil) })
	mux.HandleFunc("POST /_fake/clock", func(w http.ResponseWriter, r *http.Request) { s.controlClock(w, body(r)) })
	methodsOf(mux, "/_fake/sessions/{key}", "/_fake/sessions/{key}/{action}", "/_fake/hotspots/{key}/process",
		"/_fake/requests", "/_fake/deliveries", "/_fake/faults", "/_fake/clock", "/_fake/accounts")
	mux.HandleFunc("/", notFound)
	return mux
}

// authed checks a request with auth, then hands it to h.
// The signature's time window is checked against the request's arrival
// on the server clock, or the clock now for a request a fault delayed.
func (s *Server) authed(auth func(*http.Request, time.Time) (*account, *authFailure), h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, ok := w.(*exchange)
		if !ok { // not from ServeHTTP: no body
			e = &exchange{ResponseWriter: w}
		}
		now := e.arrived
		if !e.hasArrived {
			now = s.now()
		}
		acct, fail := auth(r, now)
		if fail != nil {
			writeJSON(w, http.StatusUnauthorized, fail)
			return
		}
		e.q = apiRequest{Request: r, acct: acct, body: e.body, key: e.key}
		h(e, &e.q)
	})
}

// fastSessionKey returns the key of a request the API mux would route to
// "GET /v1/sessions/{key}" with that path value, the most frequent request
// of a load test, so ServeHTTP can hand it to the route's handler without
// the mux's matching. It answers only what is plain: method GET, no
// RawPath (the path was sent as net/url would encode it) and a path of
// /v1/sessions/ and one segment of unreserved characters (A-Z a-z 0-9 - .
// _ ~), which escaping leaves alone, not . or .. (which cleaning would
// change). Anything else goes through the mux.
func fastSessionKey(r *http.Request) (string, bool) {
	const prefix = "/v1/sessions/"
	if r.Method != http.MethodGet || r.URL.RawPath != "" || !strings.HasPrefix(r.URL.Path, prefix) {
		return "", false
	}
	key := r.URL.Path[len(prefix):]
	if key == "" || key == "." || key == ".." {
		return "", false
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~') {
			return "", false
		}
	}
	return key, true
}

// methodsOf registers, for each path, a method-less route answering 405:
// it matches only when no route of the path serves the request's method,
// and lists those that do.
func methodsOf(mux *http.ServeMux, paths ...string) {
	for _, p := range paths {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			var allowed []string
			for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
				probe := &http.Request{Method: m, URL: r.URL, Host: r.Host}
				if _, pattern := mux.Handler(probe); strings.HasPrefix(pattern, m+" ") {
					allowed = append(allowed, m)
				}
			}
			methodNotAllowed(w, allowed...)
		})
	}
}

func notFound(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusNotFound, msg("Not found."))
}

// withBody returns r carrying body for the routes.
func withBody(r *http.Request, body []byte) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), bodyKey{}, body))
}
