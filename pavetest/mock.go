package pavetest

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/endpoint"
)

// MockCredentials returns the invented credentials of the clients
// NewMockClient builds. Their API key is FixtureAPIKey, and the username
// matches the capture links of the fixtures.
func MockCredentials() pave.Credentials {
	return pave.Credentials{
		Username:  "northshoreauto",
		APIKey:    FixtureAPIKey,
		APISecret: "pavetest-mock-secret-0f3b9c1e",
	}
}

// NewMockClient returns a *pave.Client for pure unit tests, and the
// MockTransport every request of that client goes to. Nothing reaches the
// network: register answers on the transport with the On* helpers
// (OnCreateSession, OnGetSession, OnError...), and a request nothing
// answers fails with an error matching httpmock.NoResponderFound.
//
// The client has MockCredentials, talks to pave.DefaultBaseURL, and retries
// quickly (see MockTransport.NewClient); opts come after these and may
// change any of them but the transport. For other credentials, or several
// dealers on one transport, use NewMockTransport and its NewClient. A
// client that cannot be built fails tb at once.
func NewMockClient(tb testing.TB, opts ...pave.Option) (*pave.Client, *MockTransport) {
	tb.Helper()
	mt := NewMockTransport()
	client, err := mt.NewClient(MockCredentials(), opts...)
	if err != nil {
		tb.Fatalf("pavetest.NewMockClient: %v", err)
	}
	return client, mt
}

// PathOf returns the mock route of operation op of the endpoint table
// ("Sessions.Get", the SDK's Service.Method name) for the given path
// arguments, each escaped as the SDK escapes it. Without arguments, an
// operation with path parameters gives an httpmock regexp route matching
// every value ("=~^/v1/sessions/[^/]+\z"). Routes are paths without a host,
// so they match whatever base URL the client uses. An unknown operation or
// a wrong count of arguments is a mistake in the test: PathOf panics,
// naming it.
//
// When a key-specific and an any-key responder both match a request, the
// key-specific one answers (httpmock tries exact routes before regexps).
// Registering a responder again for the same method and route replaces it.
func PathOf(op string, args ...string) string { return routeOf(mustOp(op), args...) }

func mustOp(op string) *endpoint.Endpoint {
	ep := endpoint.ByOp(op)
	if ep == nil {
		panic("pavetest: no operation " + strconv.Quote(op) + " in the endpoint table")
	}
	return ep
}

// routeOf is PathOf for an endpoint; a single "" argument also gives the
// any-value route, as the Path* helpers take "" for every key.
func routeOf(ep *endpoint.Endpoint, args ...string) string {
	if len(args) == 0 || len(args) == 1 && args[0] == "" {
		if len(ep.Params()) > 0 {
			parts := pathParam.Split(ep.Pattern, -1)
			for i, p := range parts {
				parts[i] = regexp.QuoteMeta(p)
			}
			return "=~^" + strings.Join(parts, "[^/]+") + `\z`
		}
		args = nil
	}
	return mockPathOf(ep.Path(args...))
}

// The routes of the endpoints, as PathOf gives them; a key or event ""
// gives the route of every key.
var (
	// PathSessions is the route of POST /v1/sessions.
	PathSessions = routeOf(endpoint.CreateSession)
	// PathCallbacks is the route of GET and POST /v1/callbacks.
	PathCallbacks = routeOf(endpoint.ListCallbacks)
)

// PathSession returns the route of /v1/sessions/{key} (GET, PUT, DELETE).
func PathSession(key string) string { return routeOf(endpoint.GetSession, key) }

// PathPhotos returns the route of /v1/sessions/{key}/photos.
func PathPhotos(key string) string { return routeOf(endpoint.Photos, key) }

// PathNotes returns the route of /v1/sessions/{key}/notes.
func PathNotes(key string) string { return routeOf(endpoint.Notes, key) }

// PathResults returns the route of /v1/sessions/{key}/results.
func PathResults(key string) string { return routeOf(endpoint.Results, key) }

// PathCallback returns the route of /v1/callbacks/{event}.
func PathCallback(event pave.EventName) string { return routeOf(endpoint.GetCallback, string(event)) }

// PathHotspotPhotos returns the route of /v1/hotspots/{key}/photos-url.
func PathHotspotPhotos(key string) string { return routeOf(endpoint.UploadHotspotPhotos, key) }

// PathHotspotResults returns the route of /v1/hotspots/{key}.
func PathHotspotResults(key string) string { return routeOf(endpoint.HotspotResults, key) }

// PathResend returns the route of /v2/capture/sessions/{key}/resend.
func PathResend(key string) string { return routeOf(endpoint.ResendSMS, key) }

// mockPathOf returns the path of a URL or path the way httpmock matches a
// request: its raw (escaped) form when that differs from the default
// escaping, else the decoded path. Query and fragment are dropped.
func mockPathOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	if u.RawPath != "" {
		return u.RawPath
	}
	return u.Path
}

// Calls returns how many requests mt answered for method and path: a
// path without host ("/v1/sessions/NSA-7K2D5MZ8WP", or a Path* route for
// one key), whichever responder answered it (exact, any-key or with a
// matcher). Given an any-key route such as PathSession(""), it counts the
// requests that route's responder answered. Requests nothing answered are
// not counted. Use mt.GetCallCountInfo for the full table.
func Calls(mt *MockTransport, method, path string) int {
	n := 0
	for key, count := range mt.GetCallCountInfo() {
		m, route, _ := strings.Cut(key, " ")
		// A responder registered with a matcher is listed as
		// "METHOD route <matcher name>".
		if i := strings.LastIndex(route, " <"); i >= 0 && strings.HasSuffix(route, ">") {
			route = route[:i]
		}
		if m == method && callRoute(route) == callRoute(path) {
			n += count
		}
	}
	return n
}

// callRoute is a route as Calls compares it: a regexp route as it is, a
// path as httpmock matches it.
func callRoute(route string) string {
	if strings.HasPrefix(route, "=~") {
		return route
	}
	return mockPathOf(route)
}

// ErrBadSignature is matched (errors.Is) by the errors of CheckSignature.
var ErrBadSignature = errors.New("pavetest: request is not correctly signed")

// CheckSignature reports whether the headers h carry PAVE's v1 signature
// for creds, read as mode says (Strict, the fake server's default, accepts
// only the form PAVE documents): exactly one API-Key equal to creds.APIKey;
// exactly one API-Timestamp of that form; and exactly one API-Token equal
// to the HMAC of that timestamp string (keys and tokens compared in
// constant time; lowercase hex, or either case when Lenient). With window > 0 the timestamp must
// also be at most window away from now (time.Now() when now is zero);
// window <= 0 skips that check, for clients on a fake clock.
//
// It returns nil or an error matching ErrBadSignature that says what is
// wrong without quoting the token or the secret. It works on the headers of
// any request: one seen by an httpmock responder, by an httptest.Server or
// by a RoundTripper (req.Header), or one Sent returns (sent.Header).
func CheckSignature(h http.Header, creds pave.Credentials, mode TimestampMode, now time.Time, window time.Duration) error {
	key, err := mockSingleHeader(h, pave.HeaderAPIKey)
	if err != nil {
		return err
	}
	ts, err := mockSingleHeader(h, pave.HeaderAPITimestamp)
	if err != nil {
		return err
	}
	token, err := mockSingleHeader(h, pave.HeaderAPIToken)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(creds.APIKey)) != 1 {
		return fmt.Errorf("%w: %s is not the expected API key", ErrBadSignature, pave.HeaderAPIKey)
	}
	t, ok := parseTimestamp(ts, mode)
	if !ok {
		if mode == Strict {
			return fmt.Errorf("%w: %s %q is not of the form %s", ErrBadSignature, pave.HeaderAPITimestamp, ts, pave.TimestampLayout)
		}
		return fmt.Errorf("%w: %s %q is not a timestamp", ErrBadSignature, pave.HeaderAPITimestamp, ts)
	}
	if !newTokenChecker(creds).matches(ts, token, mode) {
		return fmt.Errorf("%w: %s is not the HMAC-SHA256 of \"username:apikey@%s\" under the API secret", ErrBadSignature, pave.HeaderAPIToken, ts)
	}
	if window > 0 {
		if now.IsZero() {
			now = time.Now()
		}
		if !withinWindow(t, now, window) {
			return fmt.Errorf("%w: %s %s is more than %s away from now", ErrBadSignature, pave.HeaderAPITimestamp, ts, window)
		}
	}
	return nil
}

// mockSingleHeader returns the one value of header name, whatever the case
// of its key in h (the SDK and net/http spell header keys differently).
func mockSingleHeader(h http.Header, name string) (string, error) {
	var vals []string
	for k, v := range h {
		if strings.EqualFold(k, name) {
			vals = append(vals, v...)
		}
	}
	switch {
	case len(vals) == 0 || (len(vals) == 1 && vals[0] == ""):
		return "", fmt.Errorf("%w: %s is missing", ErrBadSignature, name)
	case len(vals) > 1:
		return "", fmt.Errorf("%w: %s is sent %d times", ErrBadSignature, name, len(vals))
	}
	return vals[0], nil
}

// SignedBy returns an httpmock matcher that accepts only requests
// correctly signed for creds (CheckSignature, Strict, without the freshness check,
// so it also suits clients on a fake clock). Register a responder with it,
// and a request signed with other credentials finds no responder and fails:
//
//	mt.RegisterMatcherResponder(http.MethodGet, pavetest.PathSession(""),
//		pavetest.SignedBy(pavetest.MockCredentials()),
//		pavetest.FixtureResponder(http.StatusOK, "session.json"))
//
// The matcher is named after creds' username and API key (never the
// secret): two matchers for credentials differing only in their secret
// share a name, and the second registration on a route replaces the first.
func SignedBy(creds pave.Credentials) httpmock.Matcher {
	name := "pavetest.SignedBy(" + creds.Username + ":" + creds.APIKey + ")"
	return httpmock.NewMatcher(name, func(req *http.Request) bool {
		return CheckSignature(req.Header, creds, Strict, time.Time{}, 0) == nil
	})
}

// AssertSigned marks tb as failed, saying why, unless the headers h are
// correctly signed for creds (CheckSignature, Strict, without the
// freshness check), and reports whether they are. Pass a recorded request's headers
// (LastSent(mt, ...).Header) or, in a responder, req.Header: "dealer B's
// request was signed with B's key".
func AssertSigned(tb testing.TB, h http.Header, creds pave.Credentials) bool {
	tb.Helper()
	if err := CheckSignature(h, creds, Strict, time.Time{}, 0); err != nil {
		tb.Errorf("pavetest.AssertSigned: %v", err)
		return false
	}
	return true
}
