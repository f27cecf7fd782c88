package webhook_test

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/webhook"
)

// The receiver benchmarks come in pairs, SDK and Floor, for comparing with
// internal/benchratio: the SDK side is webhook.NewHandler, the Floor side
// what a careful engineer writes without the SDK (method check, bearer
// secret compared in constant time, bounded io.ReadAll, one typed
// json.Unmarshal). Both are driven alike: a fresh request per iteration
// over a shared body, and a fresh recorder whose status must be 204.

const benchSecret = "bench-secret-Vd3kQ9sLr2Xw7ZpT4nHc"

var benchAuth = "Bearer " + benchSecret

// delivery1KB is a SESSION:COMPLETE delivery of about 1 KB: the session,
// its vehicle, one photo, a location and an inspection with one damage.
var delivery1KB = []byte(`{"event":"SESSION:COMPLETE","session":{"session_key":"HBM-4R7T2KQ9XZ","theme":"PRO","active":true,` +
	`"status":"COMPLETE","inspect_started_at":"2024-06-03T14:05:12+00:00","inspect_ended_at":"2024-06-03T14:19:40+00:00",` +
	`"capture_duration":236,"created_at":"2024-06-03T13:58:00+00:00",` +
	`"user_account":{"username":"harbourmotors","email":"dana@harbourmotors.example"},` +
	`"source":{"type":"api","properties":{"api_name":"Trade-in widget"}}},` +
	`"vehicle":{"id":77310,"session_key":"HBM-4R7T2KQ9XZ","vin":"2T1BURHE5KC123456","year":2019,"make":"Toyota","model":"Corolla",` +
	`"odom_reading":"88,412","odom_unit":"KILOMETRES"},` +
	`"photos":[{"photo_code":10,"photo_label":"Front_Left","url":"https://images-cdn.paveapi.com/HBM/HBM-4R7T2KQ9XZ/HBM-4R7T2KQ9XZ_10_FLT.jpg",` +
	`"approved":true,"approved_message":"ACCEPTED"}],"location":{"latitude":44.6488,"longitude":-63.5752,"address":"Halifax, NS"},` +
	`"inspection":{"grade":3,"damage_count":1,"damages":[{"damage_group":"BODY","component":"BUMPER_REAR_UNIQUE",` +
	`"damage_name":"SCRAPED_MEDIUM","grade_score":1,"photo_code":8}]}}`)

// delivery51KB is a SESSION:COMPLETE delivery of about 51 KB: a generated
// results document with 13 photos and 280 damages.
var delivery51KB = func() []byte {
	doc := pavetest.GenerateResults(51, "BEN-7Q2M9XK4TB", pavetest.GenerateOptions{Damages: 280})
	if !bytes.Contains(doc, []byte(`"event":"SESSION:COMPLETE"`)) {
		doc = append([]byte(`{"event":"SESSION:COMPLETE",`), bytes.TrimPrefix(doc, []byte("{"))...)
	}
	return doc
}()

// plainResults has pave.Results' typed parts without its raw document:
// what one typed json.Unmarshal of a COMPLETE delivery decodes.
type plainResults struct {
	Event      string           `json:"event,omitempty"`
	Session    pave.Session     `json:"session"`
	Vehicle    pave.Vehicle     `json:"vehicle"`
	Photos     []pave.Photo     `json:"photos,omitempty"`
	Location   *pave.Location   `json:"location,omitempty"`
	Inspection *pave.Inspection `json:"inspection,omitempty"`
}

// plainEnvelope is what a handler that only acknowledges decodes.
type plainEnvelope struct {
	Event   string `json:"event"`
	Session struct {
		SessionKey string `json:"session_key"`
	} `json:"session"`
}

var errNoSessionKey = errors.New("no session key")

// sdkReceiver is the SDK's receiver; with complete, its handler reads the
// results.
func sdkReceiver(tb testing.TB, complete bool) http.Handler {
	tb.Helper()
	handle := func(context.Context, *webhook.Event) error { return nil }
	if complete {
		handle = func(_ context.Context, ev *webhook.Event) error {
			r, err := ev.Complete()
			if err != nil {
				return err
			}
			if r.Session.SessionKey == "" {
				return errNoSessionKey
			}
			return nil
		}
	}
	h, err := webhook.NewHandler(webhook.Config{Secrets: []string{benchSecret}, Handler: handle})
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// floorReceiver is the receiver written without the SDK; decode is its one
// typed json.Unmarshal.
func floorReceiver(decode func([]byte) error) http.Handler {
	want := []byte(benchAuth)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
			return
		}
		if err := decode(body); err != nil {
			http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func floorComplete(body []byte) error {
	var r plainResults
	if err := json.Unmarshal(body, &r); err != nil {
		return err
	}
	if r.Session.SessionKey == "" {
		return errNoSessionKey
	}
	return nil
}

func floorNoop(body []byte) error {
	var env plainEnvelope
	return json.Unmarshal(body, &env)
}

// deliver posts body to h as PAVE would, and reports the status.
func deliver(h http.Handler, body []byte) int {
	r, err := http.NewRequestWithContext(context.Background(), http.MethodPost, "https://receiver.example/pave", bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", benchAuth)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

func benchReceiver(b *testing.B, h http.Handler, body []byte) {
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if code := deliver(h, body); code != http.StatusNoContent {
			b.Fatalf("status %d, want 204", code)
		}
	}
}

func benchPair(b *testing.B, body []byte, complete bool) {
	floor := floorNoop
	if complete {
		floor = floorComplete
	}
	b.Run("SDK", func(b *testing.B) { benchReceiver(b, sdkReceiver(b, complete), body) })
	b.Run("Floor", func(b *testing.B) { benchReceiver(b, floorReceiver(floor), body) })
}

func BenchmarkReceiver1KBComplete(b *testing.B)  { benchPair(b, delivery1KB, true) }
func BenchmarkReceiver1KBNoop(b *testing.B)      { benchPair(b, delivery1KB, false) }
func BenchmarkReceiver51KBComplete(b *testing.B) { benchPair(b, delivery51KB, true) }
func BenchmarkReceiver51KBNoop(b *testing.B)     { benchPair(b, delivery51KB, false) }

// TestBenchReceivers checks the benchmarks' bodies and that both sides
// accept them and read the same results.
func TestBenchReceivers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     []byte
		min, max int
	}{
		{"1KB", delivery1KB, 900, 1200},
		{"51KB", delivery51KB, 49 << 10, 53 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := len(tc.body); n < tc.min || n > tc.max {
				t.Fatalf("body is %d bytes, want %d to %d", n, tc.min, tc.max)
			}
			for _, complete := range []bool{false, true} {
				floor := floorNoop
				if complete {
					floor = floorComplete
				}
				if code := deliver(sdkReceiver(t, complete), tc.body); code != http.StatusNoContent {
					t.Errorf("SDK (complete %t): status %d", complete, code)
				}
				if code := deliver(floorReceiver(floor), tc.body); code != http.StatusNoContent {
					t.Errorf("floor (complete %t): status %d", complete, code)
				}
			}
			ev, err := webhook.Parse(tc.body, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Name != pave.EventComplete || ev.NameFrom != webhook.NameFromBody {
				t.Fatalf("event %q from %q", ev.Name, ev.NameFrom)
			}
			got, err := ev.Complete()
			if err != nil {
				t.Fatal(err)
			}
			var want plainResults
			if err := json.Unmarshal(tc.body, &want); err != nil {
				t.Fatal(err)
			}
			if ev.SessionKey != want.Session.SessionKey {
				t.Errorf("session key %q, want %q", ev.SessionKey, want.Session.SessionKey)
			}
			if g, w := fmt.Sprint(len(got.Photos), len(got.Inspection.Damages), got.Vehicle.VIN),
				fmt.Sprint(len(want.Photos), len(want.Inspection.Damages), want.Vehicle.VIN); g != w {
				t.Errorf("SDK read %s, floor %s", g, w)
			}
		})
	}
}

// BenchmarkSecretLookup measures the secret check of one delivery: a
// SecretMap of 10,000 dealers (Dealers10k) against today's NamedSecrets of
// 3 (Named3), the pair BENCHMARKS.md reports. Each verifies a delivery of
// the last dealer and answers 204 from a handler that does nothing.
func BenchmarkSecretLookup(b *testing.B) {
	named := func(n int) map[string][]string {
		m := make(map[string][]string, n)
		for i := range n {
			m[fmt.Sprintf("dealer-%05d", i)] = []string{fmt.Sprintf("secret-of-dealer-%05d-Vd3kQ9sLr2Xw", i)}
		}
		return m
	}
	run := func(b *testing.B, cfg webhook.Config, secret string) {
		cfg.Handler = func(context.Context, *webhook.Event) error { return nil }
		h, err := webhook.NewHandler(cfg)
		if err != nil {
			b.Fatal(err)
		}
		body := []byte(`{"event":"SESSION:STATUS_CHANGE","session_key":"HBM-4R7T2KQ9XZ","status":"STARTED"}`)
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/pave", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+secret)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusNoContent {
				b.Fatalf("status %d", w.Code)
			}
		}
	}
	b.Run("Dealers10k", func(b *testing.B) {
		m, err := webhook.NewSecretMap(named(10000))
		if err != nil {
			b.Fatal(err)
		}
		run(b, webhook.Config{SecretLookup: m}, "secret-of-dealer-09999-Vd3kQ9sLr2Xw")
	})
	b.Run("Named3", func(b *testing.B) {
		run(b, webhook.Config{NamedSecrets: named(3)}, "secret-of-dealer-00002-Vd3kQ9sLr2Xw")
	})
}
