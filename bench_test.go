package pave_test

// Benchmarks of the SDK against a hand-written baseline doing the same work
// with bare net/http, crypto/hmac and encoding/json. See BENCHMARKS.md for
// the commands and the figures.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pave-go/pave"
)

var benchCreds = pave.Credentials{
	Username:  "benchmotors",
	APIKey:    "0b7d2c6e-3f41-4a8e-9c15-6d2e8f0a1b3c",
	APISecret: "bench-secret-not-real",
}

// ---- signing ----

type nopTransport struct{ resp *http.Response }

func (t nopTransport) RoundTrip(*http.Request) (*http.Response, error) { return t.resp, nil }

// BenchmarkSignFloor is the bare HMAC computation a request needs: the floor
// the SDK's signing is compared with.
func BenchmarkSignFloor(b *testing.B) {
	b.ReportAllocs()
	ts := time.Now().UTC().Format(pave.TimestampLayout)
	var sink string
	for b.Loop() {
		mac := hmac.New(sha256.New, []byte(benchCreds.APISecret))
		mac.Write([]byte(benchCreds.Username + ":" + benchCreds.APIKey + "@" + ts))
		sink = hex.EncodeToString(mac.Sum(nil))
	}
	_ = sink
}

// BenchmarkSignBaseline is what a careful hand-written client does per
// request: format the timestamp, compute the HMAC, set three headers on a
// request it owns.
func BenchmarkSignBaseline(b *testing.B) {
	b.ReportAllocs()
	req, _ := http.NewRequest(http.MethodGet, "https://openapi.paveapi.com/v1/sessions/ABC-1234567890", nil)
	for b.Loop() {
		ts := time.Now().UTC().Format("2006-01-02T15:04:05Z")
		mac := hmac.New(sha256.New, []byte(benchCreds.APISecret))
		mac.Write([]byte(benchCreds.Username + ":" + benchCreds.APIKey + "@" + ts))
		req.Header.Set("API-Key", benchCreds.APIKey)
		req.Header.Set("API-Timestamp", ts)
		req.Header.Set("API-Token", hex.EncodeToString(mac.Sum(nil)))
	}
}

// BenchmarkSignBaselineRoundTripper is the baseline under the rules a
// signing http.RoundTripper must follow (never modify the caller's
// request): the same work plus the request clone the SDK's transport does.
func BenchmarkSignBaselineRoundTripper(b *testing.B) {
	b.ReportAllocs()
	req, _ := http.NewRequest(http.MethodGet, "https://openapi.paveapi.com/v1/sessions/ABC-1234567890", nil)
	for b.Loop() {
		r := req.Clone(req.Context())
		ts := time.Now().UTC().Format("2006-01-02T15:04:05Z")
		mac := hmac.New(sha256.New, []byte(benchCreds.APISecret))
		mac.Write([]byte(benchCreds.Username + ":" + benchCreds.APIKey + "@" + ts))
		r.Header.Set("API-Key", benchCreds.APIKey)
		r.Header.Set("API-Timestamp", ts)
		r.Header.Set("API-Token", hex.EncodeToString(mac.Sum(nil)))
	}
}

// BenchmarkSignSDK is SigningTransport.RoundTrip over a transport that
// returns at once: timestamp, token, and the request clone that keeps the
// caller's request untouched.
func BenchmarkSignSDK(b *testing.B) {
	b.ReportAllocs()
	st, err := pave.NewSigningTransport(benchCreds, "https://openapi.paveapi.com", nopTransport{resp: &http.Response{StatusCode: 200}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://openapi.paveapi.com/v1/sessions/ABC-1234567890", nil)
	for b.Loop() {
		if _, err := st.RoundTrip(req); err != nil {
			b.Fatal(err)
		}
	}
}

// ---- one call round trip ----

var (
	benchCreateRequest = &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{Theme: pave.ThemeLite, RedirectURL: "https://dealer.example.com/done", Language: pave.LanguageEN, ClientID: "LEAD-1"},
		Vehicle: &pave.Vehicle{VIN: "1HGCV1F39LA012345", Year: 2020, Make: "Honda", Model: "Accord", OdomReading: 41250, OdomUnit: pave.Kilometres},
		SMS:     &pave.SMS{To: "416-555-0199", ToName: "Test Person", From: "416-555-0100", By: "Bench Motors"},
	}
	benchCreateResponse = []byte(`{"session_key":"BEN-7Q2M9XK4TB","theme":"LITE","active":true,"status":"IDLE",` +
		`"redirect_url":"https://dealer.example.com/done","inspect_started_at":null,"inspect_ended_at":null,` +
		`"created_at":"2024-03-15T09:30:01.000000Z","updated_at":"2024-03-15T09:30:01.000000Z","language":"EN",` +
		`"capture_url":"https://benchmotors.vehiclecapture.com/BEN-7Q2M9XK4TB",` +
		`"options":{"client_id":"LEAD-1","sms":{"to":"416-555-0199","to_name":"Test Person","from":"416-555-0100","by":"Bench Motors"}},` +
		`"vehicle":{"vin":"1HGCV1F39LA012345"}}`)
)

// benchServer answers create, get and results with canned bodies.
func benchServer(tb testing.TB, results []byte) *httptest.Server {
	srv := httptest.NewServer(benchHandler(results))
	tb.Cleanup(srv.Close)
	return srv
}

// benchHandler is benchServer's handler.
func benchHandler(results []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(benchCreateResponse)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/results") {
			_, _ = w.Write(results)
			return
		}
		_, _ = w.Write(benchCreateResponse)
	})
}

// baselineClient is the hand-written comparison: what a careful engineer
// writes without the SDK (sign, set headers, send, check status, decode).
type baselineClient struct {
	hc   *http.Client
	base string
}

func (c *baselineClient) sign(req *http.Request) {
	ts := time.Now().UTC().Format("2006-01-02T15:04:05Z")
	mac := hmac.New(sha256.New, []byte(benchCreds.APISecret))
	mac.Write([]byte(benchCreds.Username + ":" + benchCreds.APIKey + "@" + ts))
	req.Header.Set("API-Key", benchCreds.APIKey)
	req.Header.Set("API-Timestamp", ts)
	req.Header.Set("API-Token", hex.EncodeToString(mac.Sum(nil)))
	req.Header.Set("Accept", "application/json")
}

func (c *baselineClient) send(req *http.Request, out any) error {
	c.sign(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return json.Unmarshal(body, out)
}

func (c *baselineClient) createSession(ctx context.Context, in *pave.CreateSessionRequest) (*pave.Session, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/sessions", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	var s pave.Session
	return &s, c.send(req, &s)
}

// plainResults has Results' typed parts without the raw copy: what
// json.Unmarshal into "the same structs" means for the baseline.
type plainResults struct {
	Event      string           `json:"event,omitempty"`
	Session    pave.Session     `json:"session"`
	Vehicle    pave.Vehicle     `json:"vehicle"`
	Photos     []pave.Photo     `json:"photos,omitempty"`
	Location   *pave.Location   `json:"location,omitempty"`
	Inspection *pave.Inspection `json:"inspection,omitempty"`
}

func (c *baselineClient) results(ctx context.Context, key string) (*plainResults, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/sessions/"+key+"/results", nil)
	if err != nil {
		return nil, err
	}
	var r plainResults
	return &r, c.send(req, &r)
}

func newBenchClient(tb testing.TB, url string, hc *http.Client) *pave.Client {
	opts := []pave.Option{pave.WithBaseURL(url)}
	if hc != nil {
		opts = append(opts, pave.WithHTTPClient(hc))
	}
	c, err := pave.NewClient(benchCreds, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func BenchmarkRoundTripCreateBaseline(b *testing.B) {
	srv := benchServer(b, smallResults(b))
	c := &baselineClient{hc: &http.Client{Transport: srv.Client().Transport}, base: srv.URL}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.createSession(ctx, benchCreateRequest); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRoundTripCreateSDK(b *testing.B) {
	srv := benchServer(b, smallResults(b))
	c := newBenchClient(b, srv.URL, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Sessions.Create(ctx, benchCreateRequest); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRoundTripResultsBaseline(b *testing.B) {
	srv := benchServer(b, smallResults(b))
	c := &baselineClient{hc: &http.Client{Transport: srv.Client().Transport}, base: srv.URL}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.results(ctx, "BEN-7Q2M9XK4TB"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRoundTripResultsSDK(b *testing.B) {
	srv := benchServer(b, smallResults(b))
	c := newBenchClient(b, srv.URL, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Sessions.Results(ctx, "BEN-7Q2M9XK4TB"); err != nil {
			b.Fatal(err)
		}
	}
}

// ---- concurrency: 64 goroutines sharing one client ----

const benchGoroutines = 64

func runConcurrent(b *testing.B, get func(ctx context.Context) error) {
	b.ReportAllocs()
	// RunParallel starts parallelism*GOMAXPROCS goroutines.
	b.SetParallelism(max(1, benchGoroutines/runtime.GOMAXPROCS(0)))
	var failed atomic.Int64
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := get(ctx); err != nil {
				failed.Add(1)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d requests failed", n)
	}
}

func BenchmarkConcurrentSDK(b *testing.B) {
	srv := benchServer(b, smallResults(b))
	c := newBenchClient(b, srv.URL, nil)
	runConcurrent(b, func(ctx context.Context) error {
		_, err := c.Sessions.Get(ctx, "BEN-7Q2M9XK4TB")
		return err
	})
}

func BenchmarkConcurrentBaselineDefaultClient(b *testing.B) {
	srv := benchServer(b, benchCreateResponse)
	c := &baselineClient{hc: http.DefaultClient, base: srv.URL}
	runConcurrent(b, func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/sessions/BEN-7Q2M9XK4TB", nil)
		var s pave.Session
		return c.send(req, &s)
	})
}

func BenchmarkConcurrentBaselineTuned(b *testing.B) {
	srv := benchServer(b, benchCreateResponse)
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 256
	c := &baselineClient{hc: &http.Client{Transport: t}, base: srv.URL}
	runConcurrent(b, func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/sessions/BEN-7Q2M9XK4TB", nil)
		var s pave.Session
		return c.send(req, &s)
	})
}

// ---- results decoding ----

func BenchmarkDecodeResultsPlain(b *testing.B) {
	doc := largeResults(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		var r plainResults
		if err := json.Unmarshal(doc, &r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeResultsSDK is the SDK's decode path (Sessions.Results and
// COMPLETE webhooks): typed view plus the raw document kept.
func BenchmarkDecodeResultsSDK(b *testing.B) {
	doc := largeResults(b)
	// Raw returns a copy: check it once, outside the measured loop.
	if r, err := pave.DecodeResults(doc); err != nil || len(r.Raw()) != len(doc) {
		b.Fatal("raw document not kept", err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := pave.DecodeResults(doc)
		if err != nil || r.Session.SessionKey == "" {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeResultsUnmarshal is json.Unmarshal into a Results, which
// must copy the document to keep it: for users who decode themselves.
func BenchmarkDecodeResultsUnmarshal(b *testing.B) {
	doc := largeResults(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		var r pave.Results
		if err := json.Unmarshal(doc, &r); err != nil {
			b.Fatal(err)
		}
	}
}

// ---- documents ----

func smallResults(tb testing.TB) []byte { return buildResults(tb, 13, 3) }
func largeResults(tb testing.TB) []byte { return buildResults(tb, 13, 200) }

// buildResults makes a results document shaped like the fake server's.
func buildResults(tb testing.TB, photos, damages int) []byte {
	tb.Helper()
	groups := []string{"BODY", "PART", "WHEEL", "GLASS", "TIRE"}
	comps := []string{"DOOR_REAR_LEFT", "FENDER_REAR_LEFT", "BUMPER_REAR_UNIQUE", "WHEEL_FRONT_LEFT", "WINDSHIELD_FRONT_UNIQUE", "TIRE_REAR_RIGHT"}
	var b strings.Builder
	b.WriteString(`{"event":"SESSION:COMPLETE","session":{"session_key":"BEN-7Q2M9XK4TB","theme":"PRO","active":true,"status":"COMPLETE",` +
		`"redirect_url":"https://dealer.example.com/done","inspect_started_at":"2024-03-15T10:02:11+00:00","inspect_ended_at":"2024-03-15T10:09:48+00:00",` +
		`"capture_duration":241,"inspect_duration":457,"created_at":"2024-03-15T09:30:01+00:00","updated_at":"2024-03-15T10:12:30+00:00","language":"EN",` +
		`"options":{"client_id":"LEAD-1","contact":{"first_name":"Test","last_name":"Person"},"reference":{"crm_lead":"Q-1"}},` +
		`"user_account":{"username":"benchmotors","first_name":"Sam","last_name":"Doe","email":"sam@example.com","phone":null},` +
		`"source":{"type":"api","properties":{"api_name":"Bench"}}},` +
		`"vehicle":{"id":50211,"session_key":"BEN-7Q2M9XK4TB","vin":"1HGCV1F39LA012345","vrm":null,"year":2020,"make":"Honda","model":"Accord",` +
		`"body_type":"Sedan 4 Dr.","trim":"Sport 1.5T","transmission":"AUTOMATIC","drivetrain":"Front Wheel Drive","engine_type":"4 Cylinder Engine",` +
		`"fuel_type":"Gasoline Fuel","ext_col":"Platinum White Pearl","int_col":"Black","odom_reading":"41,250","odom_unit":"KILOMETRES"},"photos":[`)
	for i := 1; i <= photos; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"photo_code":%d,"photo_label":"%s","url":"https://images-cdn.paveapi.com/BEN/BEN-7Q2M9XK4TB/BEN-7Q2M9XK4TB_%02d_A7C.jpg","approved":true,"approved_message":"ACCEPTED","created_at":"2024-03-15T10:02:40+00:00","updated_at":"2024-03-15T10:02:52+00:00"}`,
			i, pave.PhotoCode(i).Label(), i)
	}
	fmt.Fprintf(&b, `],"location":{"latitude":43.6532,"longitude":-79.3832,"address":"Toronto, ON"},"inspection":{"grade":4,"damage_count":%d,"damages":[`, damages)
	for i := 0; i < damages; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"damage_group":"%s","component":"%s","damage_name":"SCRAPED_MEDIUM","description":"Scraped","tolerance":"5 to 6 inches","repair_method":"Refinish","grade_score":%d,"photo_code":%d}`,
			groups[i%len(groups)], comps[i%len(comps)], i%5, 1+i%13)
	}
	b.WriteString(`]}}`)
	doc := []byte(b.String())
	if !json.Valid(doc) {
		tb.Fatal("invalid benchmark document")
	}
	return doc
}

// ---- get session, over HTTP/1.1 and over TLS with HTTP/2 ----

func (c *baselineClient) get(ctx context.Context, key string) (*pave.Session, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/sessions/"+key, nil)
	if err != nil {
		return nil, err
	}
	var s pave.Session
	return &s, c.send(req, &s)
}

// benchH2Server is benchServer over TLS with HTTP/2, and a transport that
// trusts it, for both sides of the comparison.
func benchH2Server(tb testing.TB) (*httptest.Server, *http.Transport) {
	srv := httptest.NewUnstartedServer(benchHandler(benchCreateResponse))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	return srv, tr
}

func runGet(b *testing.B, get func(ctx context.Context) (*pave.Session, error)) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s, err := get(ctx)
		if err != nil || s.SessionKey == "" {
			b.Fatal(err, s)
		}
	}
}

func BenchmarkRoundTripGet(b *testing.B) {
	b.Run("SDK", func(b *testing.B) {
		srv := benchServer(b, benchCreateResponse)
		c := newBenchClient(b, srv.URL, nil)
		runGet(b, func(ctx context.Context) (*pave.Session, error) { return c.Sessions.Get(ctx, "BEN-7Q2M9XK4TB") })
	})
	b.Run("Baseline", func(b *testing.B) {
		srv := benchServer(b, benchCreateResponse)
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 256
		c := &baselineClient{hc: &http.Client{Transport: tr}, base: srv.URL}
		runGet(b, func(ctx context.Context) (*pave.Session, error) { return c.get(ctx, "BEN-7Q2M9XK4TB") })
	})
}

func BenchmarkRoundTripGetH2(b *testing.B) {
	b.Run("SDK", func(b *testing.B) {
		srv, tr := benchH2Server(b)
		c := newBenchClient(b, srv.URL, &http.Client{Transport: tr})
		runGet(b, func(ctx context.Context) (*pave.Session, error) { return c.Sessions.Get(ctx, "BEN-7Q2M9XK4TB") })
	})
	b.Run("Baseline", func(b *testing.B) {
		srv, tr := benchH2Server(b)
		c := &baselineClient{hc: &http.Client{Transport: tr}, base: srv.URL}
		runGet(b, func(ctx context.Context) (*pave.Session, error) { return c.get(ctx, "BEN-7Q2M9XK4TB") })
	})
}
