package pavetest

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/pave-go/pave/internal/endpoint"
)

// apiRequest is an authenticated API request.
type apiRequest struct {
	*http.Request
	acct *account
	body []byte
	fast string // the session key when routed by fastSessionKey, else ""
}

// key returns the request's {session_key}, or its {event}.
func (q *apiRequest) key() string {
	if q.fast != "" {
		return q.fast
	}
	if k := q.PathValue("session_key"); k != "" {
		return k
	}
	return q.PathValue("event")
}

// apiHandler answers one authenticated API request.
type apiHandler func(s *Server, w http.ResponseWriter, q *apiRequest)

// bodyKey carries the request body, read once by ServeHTTP, to the
// control routes (the API routes find it on their exchange).
type bodyKey struct{}

// apiBehaviour is the fake's behaviour for each operation of the endpoint
// table (package internal/endpoint); the routes are registered by walking
// the table, so a new entry without a behaviour here fails
// TestEveryEndpointIsServed.
var apiBehaviour = map[string]apiHandler{
	endpoint.CreateSession.Op:       (*Server).handleCreateSession,
	endpoint.GetSession.Op:          (*Server).handleGetSession,
	endpoint.Photos.Op:              locked((*Server).own, (*Server).handleGetPhotos),
	endpoint.Notes.Op:               locked((*Server).own, (*Server).handleGetNotes),
	endpoint.Results.Op:             locked((*Server).own, (*Server).handleGetResults),
	endpoint.UpdateSession.Op:       locked((*Server).own, (*Server).handleUpdateSession),
	endpoint.DeleteSession.Op:       locked((*Server).own, (*Server).handleDeleteSession),
	endpoint.ListCallbacks.Op:       (*Server).handleListCallbacks,
	endpoint.GetCallback.Op:         locked((*Server).setting, (*Server).handleGetCallback),
	endpoint.CreateCallback.Op:      (*Server).handleCreateCallback,
	endpoint.UpdateCallback.Op:      locked((*Server).setting, (*Server).handleUpdateCallback),
	endpoint.DeleteCallback.Op:      locked((*Server).setting, (*Server).handleDeleteCallback),
	endpoint.UploadHotspotPhotos.Op: locked((*Server).own, (*Server).handleHotspotUpload),
	endpoint.HotspotResults.Op:      locked((*Server).own, (*Server).handleHotspotResults),
	endpoint.ResendSMS.Op:           (*Server).handleResend,
}

// locked adapts a handler of one thing the request names, its session or
// its callback setting: find looks it up under the server's lock, or
// answers the documented 404, and h runs with the lock still held.
func locked[T any](find func(*Server, http.ResponseWriter, *apiRequest) *T,
	h func(*Server, http.ResponseWriter, *apiRequest, *T)) apiHandler {
	return func(s *Server, w http.ResponseWriter, q *apiRequest) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if v := find(s, w, q); v != nil {
			h(s, w, q, v)
		}
	}
}

// apiRoutes builds the API's mux from the endpoint table: each operation's
// behaviour behind the authentication its page documents, and for each
// path a 405 listing the methods the table serves there.
func (s *Server) apiRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	auth := map[endpoint.Auth]func(*http.Request, time.Time) (*account, *authFailure){
		endpoint.Signed: s.authV1, endpoint.KeyOnly: s.authHotspots, endpoint.AccessToken: s.authV2,
	}
	allow := map[string][]string{}
	for _, ep := range endpoint.All() {
		h := s.authed(auth[ep.Auth], apiBehaviour[ep.Op])
		if ep == endpoint.GetSession {
			s.getSession = h // also reached without the mux: see fastSessionKey
		}
		mux.Handle(ep.Route(), h)
		allow[ep.Pattern] = append(allow[ep.Pattern], ep.Method)
	}
	methodNotAllowedRoutes(mux, allow)
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
			e.reason = fail.reason
			w.Header()[headerReason] = []string{fail.reason}
			writeJSON(e, http.StatusUnauthorized, fail)
			return
		}
		e.q = apiRequest{Request: r, acct: acct, body: e.body, fast: e.key}
		h(s, e, &e.q)
	})
}

// fastPrefix is the path of GET /v1/sessions/{session_key} before its one
// parameter, which ends the pattern.
var fastPrefix = strings.TrimSuffix(endpoint.GetSession.Pattern, "{session_key}")

// fastSessionKey returns the key of a request the API mux would route to
// "GET /v1/sessions/{key}" with that path value, the most frequent request
// of a load test, so ServeHTTP can hand it to the route's handler without
// the mux's matching. It answers only what is plain: method GET, no
// RawPath (the path was sent as net/url would encode it) and a path of
// /v1/sessions/ and one segment of unreserved characters (A-Z a-z 0-9 - .
// _ ~), which escaping leaves alone, not . or .. (which cleaning would
// change). Anything else goes through the mux.
func fastSessionKey(r *http.Request) (string, bool) {
	if r.Method != endpoint.GetSession.Method || r.URL.RawPath != "" || !strings.HasPrefix(r.URL.Path, fastPrefix) {
		return "", false
	}
	key := r.URL.Path[len(fastPrefix):]
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

// methodNotAllowedRoutes registers, for each path of allow, a method-less
// route answering 405 with the path's methods in Allow, and a catch-all
// 404.
func methodNotAllowedRoutes(mux *http.ServeMux, allow map[string][]string) {
	for p, methods := range allow {
		list := strings.Join(methods, ", ")
		mux.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Allow", list)
			writeJSON(w, http.StatusMethodNotAllowed, msg("Method not allowed."))
		})
	}
	mux.HandleFunc("/", notFound)
}

func notFound(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusNotFound, msg("Not found."))
}

// withBody returns r carrying body for the routes.
func withBody(r *http.Request, body []byte) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), bodyKey{}, body))
}
