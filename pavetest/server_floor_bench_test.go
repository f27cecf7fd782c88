package pavetest_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// The benchmarks below come in pairs, each beside its floor: the fake
// server against the least a handler answering the same request must do,
// to be compared interleaved from one test binary (Fake over Floor).

// floorHandler is the floor of the fake's signed GET: a bare handler that
// looks the API key up in a map, recomputes the token with hmac.New per
// request (no precomputed state: what a plain handler written for the
// purpose does), compares it in constant time, checks that the timestamp
// parses and is within 300 s, and writes a pre-encoded session answer. It
// keeps no state, records nothing and routes nothing.
type floorHandler struct {
	accounts map[string]pave.Credentials // by API key
	now      func() time.Time
	body     []byte
	length   []string // Content-Length of body
}

var jsonContentType = []string{"application/json"}

func (h *floorHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header["Api-Key"]
	ts := r.Header["Api-Timestamp"]
	token := r.Header["Api-Token"]
	if len(key) != 1 || len(ts) != 1 || len(token) != 1 {
		http.Error(w, `{"message":"Unauthorized."}`, http.StatusUnauthorized)
		return
	}
	c, ok := h.accounts[key[0]]
	if !ok {
		http.Error(w, `{"message":"Unauthorized."}`, http.StatusUnauthorized)
		return
	}
	var got [sha256.Size]byte
	if len(token[0]) != 2*sha256.Size {
		http.Error(w, `{"message":"Invalid API-Token."}`, http.StatusUnauthorized)
		return
	}
	if _, err := hex.Decode(got[:], []byte(token[0])); err != nil {
		http.Error(w, `{"message":"Invalid API-Token."}`, http.StatusUnauthorized)
		return
	}
	mac := hmac.New(sha256.New, []byte(c.APISecret))
	mac.Write([]byte(c.Username + ":" + c.APIKey + "@" + ts[0]))
	if !hmac.Equal(mac.Sum(nil), got[:]) {
		http.Error(w, `{"message":"Invalid API-Token."}`, http.StatusUnauthorized)
		return
	}
	t, err := time.Parse(pave.TimestampLayout, ts[0])
	if err != nil {
		http.Error(w, `{"message":"Invalid API-Token."}`, http.StatusUnauthorized)
		return
	}
	if d := h.now().Sub(t); d > 300*time.Second || d < -300*time.Second {
		http.Error(w, `{"message":"API-Token has expired."}`, http.StatusUnauthorized)
		return
	}
	hd := w.Header()
	hd["Content-Type"] = jsonContentType
	hd["Content-Length"] = h.length
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(h.body)
}

// benchSession starts a fake server with one session and returns the
// server, the session key and the fake's own answer to GET of it.
func benchSession(b *testing.B) (*pavetest.Server, string, []byte) {
	b.Helper()
	srv := pavetest.NewServer(b)
	ctx := context.Background()
	sess, err := srv.Client().Sessions.Create(ctx, &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{RedirectURL: "https://dealer.example.com/done"},
		Vehicle: &pave.Vehicle{VIN: "1HGCV1F39LA012345"},
	})
	if err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, signedGet(srv.Credentials(), srv.Now(), sess.SessionKey))
	if rec.Code != http.StatusOK {
		b.Fatalf("GET session: %d %s", rec.Code, rec.Body)
	}
	return srv, sess.SessionKey, bytes.Clone(rec.Body.Bytes())
}

// newFloor returns the floor handler for srv's accounts answering body.
func newFloor(srv *pavetest.Server, body []byte) *floorHandler {
	h := &floorHandler{accounts: map[string]pave.Credentials{}, now: srv.Now, body: body,
		length: []string{strconv.Itoa(len(body))}}
	for _, a := range srv.Accounts() {
		h.accounts[a.APIKey] = a.Credentials()
	}
	return h
}

// signedGet builds GET /v1/sessions/{key} signed at now, with the headers
// under their canonical keys as the SDK sends them.
func signedGet(c pave.Credentials, now time.Time, key string) *http.Request {
	ts := now.UTC().Format(pave.TimestampLayout)
	r := httptest.NewRequest(http.MethodGet, "/v1/sessions/"+key, nil)
	r.Header["Api-Key"] = []string{c.APIKey}
	r.Header["Api-Timestamp"] = []string{ts}
	r.Header["Api-Token"] = []string{c.Token(ts)}
	r.Header["Accept"] = []string{"application/json"}
	r.Header["User-Agent"] = []string{"pave-go-bench"}
	return r
}

// BenchmarkFakeInProcessGet is a signed GET of a session answered in
// process: the fake's ServeHTTP (recording, fault lookup, signature check,
// routing, the session's JSON) against floorHandler answering the fake's
// own bytes. Both answer the same request, built once outside the timed
// loop (its timestamp stays well inside the window for the run), into the
// same recorder, reset between iterations; each answer is checked for
// status 200 and the session key.
func BenchmarkFakeInProcessGet(b *testing.B) {
	run := func(b *testing.B, srv *pavetest.Server, h http.Handler, key string) {
		req := signedGet(srv.Credentials(), srv.Now(), key)
		want := []byte(`"session_key":"` + key + `"`)
		rec := httptest.NewRecorder()
		hdr, body := rec.Header(), rec.Body
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			clear(hdr)
			body.Reset()
			*rec = httptest.ResponseRecorder{HeaderMap: hdr, Body: body, Code: http.StatusOK}
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !bytes.Contains(body.Bytes(), want) {
				b.Fatalf("GET session: %d %s", rec.Code, body)
			}
		}
	}
	b.Run("Fake", func(b *testing.B) {
		srv, key, _ := benchSession(b)
		run(b, srv, srv, key)
	})
	b.Run("Floor", func(b *testing.B) {
		srv, key, answer := benchSession(b)
		run(b, srv, newFloor(srv, answer), key)
	})
}

// BenchmarkFakeLoopbackGet is Sessions.Get over loopback from 64
// goroutines sharing one SDK client: the fake server against floorHandler
// behind an httptest server answering the fake's own bytes. Client and
// server share the machine's cores. Every answer is decoded by the SDK and
// checked for the session key.
func BenchmarkFakeLoopbackGet(b *testing.B) {
	run := func(b *testing.B, client *pave.Client, key string) {
		ctx := context.Background()
		if _, err := client.Sessions.Get(ctx, key); err != nil { // warm up a connection
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				sess, err := client.Sessions.Get(ctx, key)
				if err != nil {
					b.Error(err)
					return
				}
				if sess.SessionKey != key {
					b.Errorf("session key %q, want %q", sess.SessionKey, key)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	}
	b.Run("Fake", func(b *testing.B) {
		srv, key, _ := benchSession(b)
		client := srv.Client()
		b.Cleanup(client.CloseIdleConnections)
		run(b, client, key)
	})
	b.Run("Floor", func(b *testing.B) {
		srv, key, answer := benchSession(b)
		ts := httptest.NewServer(newFloor(srv, answer))
		b.Cleanup(ts.Close)
		client, err := pave.NewClient(srv.Credentials(), pave.WithBaseURL(ts.URL))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(client.CloseIdleConnections)
		run(b, client, key)
	})
}
