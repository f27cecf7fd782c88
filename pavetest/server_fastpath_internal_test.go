package pavetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/endpoint"
)

// The tests below pin the shortcuts of the request path to what they
// stand for: the cached session JSON to a fresh encoding of the session,
// fastSessionKey to the mux's routing, the strict timestamp reader to
// time.Parse, the token checker to Credentials.Token, and the compact
// request log to the requests as sent.

// getSessionBody answers GET /v1/sessions/{key} in process.
func getSessionBody(t *testing.T, srv *Server, key string) []byte {
	t.Helper()
	creds := srv.Credentials()
	ts := srv.Now().UTC().Format(pave.TimestampLayout)
	r := httptest.NewRequest(http.MethodGet, "/v1/sessions/"+key, nil)
	r.Header = signed(creds, ts)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, r)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.Equal(t, fmt.Sprint(rec.Body.Len()), rec.Header().Get("Content-Length"))
	return rec.Body.Bytes()
}

// freshView encodes the session now, without the cache.
func freshView(t *testing.T, srv *Server, key string) []byte {
	t.Helper()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	sess := srv.sessions[key]
	require.NotNil(t, sess)
	b, err := marshal(sess.view(&srv.opts))
	require.NoError(t, err)
	return b
}

func TestSessionJSONCacheFollowsEveryChange(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	client := srv.Client()
	ctx := t.Context()
	check := func(step, key string) {
		t.Helper()
		want := freshView(t, srv, key)
		assert.Equal(t, string(want), string(getSessionBody(t, srv, key)), step)
		assert.Equal(t, string(want), string(getSessionBody(t, srv, key)), step+" (cached)")
		got, err := srv.Session(key)
		require.NoError(t, err)
		assert.Equal(t, key, got.SessionKey)
	}
	sess, err := client.Sessions.Create(ctx, &pave.CreateSessionRequest{
		SMS: &pave.SMS{To: "+1 555 010 0199"},
	})
	require.NoError(t, err)
	key := sess.SessionKey
	check("created", key)

	_, err = client.Sessions.Update(ctx, key, &pave.UpdateSessionRequest{
		Session: &pave.SessionSettings{Theme: pave.ThemeLite, RedirectURL: "https://dealer.example.com/back", Language: "FR"},
		Vehicle: &pave.Vehicle{VIN: "1HGCV1F39LA012345", OdomReading: 41250},
	})
	require.NoError(t, err)
	check("updated", key)

	require.NoError(t, srv.SetSMSResult(key, false, "undeliverable"))
	check("sms failed", key)
	_, err = client.Sessions.Update(ctx, key, &pave.UpdateSessionRequest{SMS: &pave.SMS{To: "+1 555 010 0142"}})
	require.NoError(t, err)
	check("sms.to changed", key)

	srv.AdvanceClock(3 * time.Second) // a later stamp for every step below
	require.NoError(t, srv.StartCapture(key))
	check("started", key)
	srv.AdvanceClock(time.Second)
	require.NoError(t, srv.CapturePhoto(key, pave.PhotoVIN, true))
	check("VIN captured (vehicle decoded)", key)
	require.NoError(t, srv.AddNote(key, "Scratch", "Rear bumper"))
	check("note", key)
	srv.AdvanceClock(time.Second)
	require.NoError(t, srv.Complete(key))
	check("completed", key)
	assert.Contains(t, string(getSessionBody(t, srv, key)), `"status":"COMPLETE"`)

	// A failed operation leaves the view as it was.
	require.Error(t, srv.Expire(key))
	check("refused expire", key)

	for _, op := range []func(string) error{srv.Expire, srv.Invalidate} {
		s2, err := client.Sessions.Create(ctx, nil)
		require.NoError(t, err)
		check("created", s2.SessionKey)
		srv.AdvanceClock(time.Second)
		require.NoError(t, op(s2.SessionKey))
		check("closed", s2.SessionKey)
		assert.Contains(t, string(getSessionBody(t, srv, s2.SessionKey)), `"active":false`)
	}

	// The clock alone changes nothing in the view.
	before := getSessionBody(t, srv, key)
	srv.AdvanceClock(30 * 24 * time.Hour)
	assert.Equal(t, string(freshView(t, srv, key)), string(getSessionBody(t, srv, key)))
	assert.Equal(t, string(before), string(getSessionBody(t, srv, key)))
}

// plainKey is what fastSessionKey takes: unreserved characters only.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

func TestFastSessionKeyAgreesWithTheMux(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	// A mux with the route alone, to read the path value it extracts.
	var gotKey string
	probe := http.NewServeMux()
	probe.HandleFunc("GET /v1/sessions/{key}", func(_ http.ResponseWriter, r *http.Request) { gotKey = r.PathValue("key") })
	paths := []string{
		"/v1/sessions/ABC-1234567890", "/v1/sessions/abc", "/v1/sessions/", "/v1/sessions", "/v1/sessions/a/b",
		"/v1/sessions/a/", "/v1/sessions/.", "/v1/sessions/..", "/v1/sessions/%41BC", "/v1/sessions/A%2FB",
		"/v1/sessions/a%20b", "/v1/sessions/a b", "/v1/sessions//x", "//v1/sessions/x", "/v1/sessions/./x",
		"/v1/sessions/x/photos", "/v1/sessions/x/notes", "/v1/sessions/x/results", "/v1/sessionsX/y",
		"/v1/sessions/ü", "/v1/sessions/a+b", "/v1/sessions/a;b", "/v1/sessions/~x", "/V1/sessions/x",
		"/v1/sessions/x?y=1", "/v1/sessions/x#frag", "/v1/sessions/a.b_c~d-E9", "/v1/sessions/...", "/v1/sessions/a$b",
		"/v1/sessions/a:b", "/v1/sessions/a@b", "/v1/sessions/a%7Eb", "/v1/sessions%2FABC", "/v1%2Fsessions/ABC",
	}
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, "get", http.MethodOptions}
	for _, p := range paths {
		for _, m := range methods {
			r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+strings.ReplaceAll(p, " ", "%20"), nil)
			if p == "/v1/sessions/a b" {
				r.URL.Path, r.URL.RawPath = p, "" // as a hand-made in-process request may carry it
			}
			r.Method = m
			key, fast := fastSessionKey(r)
			_, pattern := srv.apiMux.Handler(r)
			routed := pattern == endpoint.GetSession.Route() && (m == http.MethodGet)
			if fast {
				assert.True(t, routed, "%s %s: fast path taken, mux pattern %q", m, p, pattern)
				gotKey = ""
				probe.ServeHTTP(httptest.NewRecorder(), r.Clone(r.Context()))
				assert.Equal(t, gotKey, key, "%s %s", m, p)
			}
			if rest := strings.TrimPrefix(r.URL.EscapedPath(), "/v1/sessions/"); routed && plainKey.MatchString(rest) &&
				rest != "." && rest != ".." {
				assert.True(t, fast, "%s %s: plain GET of a session not on the fast path", m, p)
			}
		}
	}
}

func TestFastPathAnswersAsTheMuxDoes(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	key := createSession(t, srv.Client(), nil).SessionKey
	creds := srv.Credentials()
	ts := srv.Now().UTC().Format(pave.TimestampLayout)
	serve := func(r *http.Request, viaMux bool) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		if viaMux {
			srv.apiMux.ServeHTTP(&exchange{ResponseWriter: rec, body: []byte{}}, r)
		} else {
			srv.ServeHTTP(rec, r)
		}
		return rec
	}
	for _, tc := range []struct {
		name string
		h    http.Header
		key  string
	}{
		{"signed", signed(creds, ts), key},
		{"unknown key", signed(creds, ts), "ZZZ-0000000000"},
		{"unsigned", http.Header{}, key},
		{"bad token", http.Header{"Api-Key": {creds.APIKey}, "Api-Timestamp": {ts}, "Api-Token": {strings.Repeat("0", 64)}}, key},
		{"stale", signed(creds, srv.Now().Add(-time.Hour).UTC().Format(pave.TimestampLayout)), key},
	} {
		mk := func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/v1/sessions/"+tc.key, nil)
			r.Header = tc.h.Clone()
			return r
		}
		_, fast := fastSessionKey(mk())
		require.True(t, fast, tc.name)
		a, b := serve(mk(), false), serve(mk(), true)
		assert.Equal(t, b.Code, a.Code, tc.name)
		assert.Equal(t, b.Body.String(), a.Body.String(), tc.name)
		assert.Equal(t, b.Header().Get("Content-Type"), a.Header().Get("Content-Type"), tc.name)
		assert.Equal(t, b.Header().Get("Content-Length"), a.Header().Get("Content-Length"), tc.name)
		assert.NotEmpty(t, a.Header().Get("Date"), tc.name)
	}
}

func TestStrictTimestampReaderAgreesWithTimeParse(t *testing.T) {
	t.Parallel()
	slow := func(v string) (time.Time, bool) {
		t, err := time.Parse(pave.TimestampLayout, v)
		if err != nil || t.Format(pave.TimestampLayout) != v {
			return time.Time{}, false
		}
		return t, true
	}
	cases := []string{
		"2024-03-15T09:30:00Z", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
		"2000-02-29T23:59:59Z", "2024-04-31T00:00:00Z", "2024-12-31T23:59:59Z", "2024-13-01T00:00:00Z",
		"2024-00-10T00:00:00Z", "2024-01-00T00:00:00Z", "2024-01-32T00:00:00Z", "2024-01-01T24:00:00Z",
		"2024-01-01T23:60:00Z", "2024-01-01T23:59:60Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
		"2024-03-15T9:30:00Z", "2024-03-15 09:30:00Z", "2024-03-15T09:30:00z", "2024-03-15T09:30:00",
		"2024-03-15T09:30:00+00:00", "2024-03-15T09:30:00.000Z", "+024-03-15T09:30:00Z", "2024-3-15T09:30:00Z",
		"-024-03-15T09:30:00Z", "2024-03-15T09:30:0aZ", "", "Z",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		t := time.Unix(r.Int64N(400*365*86400)-200*365*86400, 0).UTC()
		v := []byte(t.Format(pave.TimestampLayout))
		if r.IntN(2) == 0 { // corrupt one byte
			v[r.IntN(len(v))] = "0123456789-:TZ+ a"[r.IntN(17)]
		}
		cases = append(cases, string(v))
	}
	for _, v := range cases {
		want, wantOK := slow(v)
		got, ok := parseStrictTimestamp(v)
		if ok {
			assert.True(t, wantOK, "%q accepted", v)
			assert.True(t, want.Equal(got) && got.Location() == want.Location(), "%q: %v, want %v", v, got, want)
		}
		for _, mode := range []TimestampMode{Strict, Lenient} {
			if mode == Strict {
				got, ok := parseTimestamp(v, mode)
				assert.Equal(t, wantOK, ok, "%q", v)
				assert.True(t, want.Equal(got), "%q", v)
			}
		}
	}
}

func TestTokenCheckerAgreesWithToken(t *testing.T) {
	t.Parallel()
	tc := newTokenChecker(acme.Credentials())
	for i, ts := range []string{"2024-03-15T09:30:00Z", "2024-03-15T09:30:00.123Z", "1710495000", strings.Repeat("9", 64), "", strings.Repeat("x", 5000)} {
		good := acme.Credentials().Token(ts)
		for range 3 { // pooled states are reused
			assert.True(t, tc.matches(ts, good, Strict), i)
			assert.True(t, tc.matches(ts, good, Lenient), i)
			upper := strings.ToUpper(good)
			assert.Equal(t, upper != good, !tc.matches(ts, upper, Strict), i)
			assert.True(t, tc.matches(ts, upper, Lenient), i)
			assert.False(t, tc.matches(ts+"0", good, Strict), i)
			assert.False(t, tc.matches(ts, good[:63], Lenient), i)
			assert.False(t, tc.matches(ts, good[:63]+"g", Lenient), i)
			assert.False(t, tc.matches(ts, good+"0", Lenient), i)
		}
	}
	var got [sha256.Size]byte
	for _, tok := range []string{strings.Repeat("0", 64), "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"} {
		require.True(t, decodeToken(tok, Strict, &got))
		want, _ := hex.DecodeString(tok)
		assert.Equal(t, want, got[:])
	}
}

func TestRequestLogKeepsWhatWasSent(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	creds := srv.Credentials()
	ts := srv.Now().UTC().Format(pave.TimestampLayout)
	r := httptest.NewRequest(http.MethodPost, "/v1/sessions?x=1&y=%20", strings.NewReader(`{"session":{}}`))
	r.Header = signed(creds, ts)
	r.Header["X-Multi"] = []string{"one", "two", ""}
	r.Header["Non-Canonical-key"] = []string{"v"}
	srv.ServeHTTP(httptest.NewRecorder(), r)
	want := r.Header.Clone()
	// The caller changing its request afterwards changes nothing logged.
	r.Header["X-Multi"][0] = "changed"
	r.Header.Set("X-Later", "x")

	get := httptest.NewRequest(http.MethodGet, "/v1/callbacks/SESSION%3ACOMPLETE", nil)
	get.Header = signed(creds, ts)
	srv.ServeHTTP(httptest.NewRecorder(), get)
	bare := httptest.NewRequest(http.MethodGet, "/v1/callbacks", nil)
	bare.Header = nil
	srv.ServeHTTP(httptest.NewRecorder(), bare)

	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, http.MethodPost, reqs[0].Method)
	assert.Equal(t, "/v1/sessions", reqs[0].Path)
	assert.Equal(t, "x=1&y=%20", reqs[0].RawQuery)
	assert.Equal(t, want, reqs[0].Header)
	assert.Equal(t, `{"session":{}}`, string(reqs[0].Body))
	assert.Equal(t, "/v1/callbacks/SESSION:COMPLETE", reqs[1].Path)
	assert.Equal(t, "/v1/callbacks/SESSION%3ACOMPLETE", reqs[1].EscapedPath)
	assert.NotNil(t, reqs[1].Body, "an empty body is recorded empty, not nil")
	assert.Empty(t, reqs[1].Body)
	assert.Nil(t, reqs[2].Header)
	assert.False(t, reqs[1].Time.Before(reqs[0].Time))

	// Snapshots are the caller's own.
	reqs[0].Header["X-Multi"][0] = "mine"
	reqs[0].Body[0] = 'X'
	again := srv.Requests()
	assert.Equal(t, want, again[0].Header)
	assert.True(t, bytes.HasPrefix(again[0].Body, []byte(`{"session"`)))
}
