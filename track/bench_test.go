package track_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/track"
)

// The inbox benchmarks come in pairs for internal/benchratio: Ledger is
// the ledger's Inbox (the secret checked by package webhook, the delivery
// parsed, an id derived, one INSERT ... ON CONFLICT DO NOTHING); Floor is
// what a careful engineer writes without it (method check, bearer secret in
// constant time, bounded read, one json.Unmarshal, the body's SHA-256 as
// id, one INSERT ... ON CONFLICT DO NOTHING into a table of the same shape
// in the same database). Both answer 204 after the commit, and each
// iteration is a new 1 KB COMPLETE delivery for a new session.
//
//	go test -c -o /tmp/track.test ./track
//	PAVE_TEST_POSTGRES_URL=... go run ./internal/benchratio -bin /tmp/track.test -rounds 20 -benchtime 2s \
//	  -pair 'InboxSQLite/Ledger=InboxSQLite/Floor' -pair 'InboxPostgres/Ledger=InboxPostgres/Floor'

const benchSecret = "bench-secret-Vd3kQ9sLr2Xw7ZpT4nHc"

// benchDelivery is a 1 KB SESSION:COMPLETE delivery for session key %s.
const benchDelivery = `{"event":"SESSION:COMPLETE","session":{"session_key":"%[1]s","theme":"PRO",` +
	`"active":true,"status":"COMPLETE","inspect_started_at":"2024-06-03T14:05:12+00:00",` +
	`"inspect_ended_at":"2024-06-03T14:19:40+00:00","capture_duration":236,"created_at":"2024-06-03T13:58:00+00:00",` +
	`"source":{"type":"api","properties":{"api_name":"Trade-in widget"}}},` +
	`"vehicle":{"id":77310,"session_key":"%[1]s","vin":"2T1BURHE5KC123456","year":2019,"make":"Toyota",` +
	`"model":"Corolla","odom_reading":"88,412","odom_unit":"KILOMETRES"},"photos":[{"photo_code":10,` +
	`"photo_label":"Front_Left","url":"https://images-cdn.paveapi.com/HBM/%[1]s/%[1]s_10_FLT.jpg",` +
	`"approved":true,"approved_message":"ACCEPTED"}],` +
	`"location":{"latitude":44.6488,"longitude":-63.5752,"address":"Halifax, NS"},` +
	`"inspection":{"grade":3,"damage_count":1,"damages":[{"damage_group":"BODY","component":"BUMPER_REAR_UNIQUE",` +
	`"damage_name":"SCRAPED_MEDIUM","grade_score":1,"photo_code":8}]}}`

func BenchmarkInboxSQLite(b *testing.B)   { benchInbox(b, track.SQLite) }
func BenchmarkInboxPostgres(b *testing.B) { benchInbox(b, track.Postgres) }

func benchInbox(b *testing.B, kind string) {
	b.Run("Ledger", func(b *testing.B) { runInbox(b, ledgerInbox(b, benchStore(b, kind))) })
	b.Run("Floor", func(b *testing.B) { runInbox(b, floorSide(b, benchStore(b, kind))) })
}

// ledgerInbox is the ledger's inbox on store.
func ledgerInbox(tb testing.TB, store *track.Store) http.Handler {
	client, err := pave.NewClient(pave.Credentials{Username: "bench", APIKey: "k", APISecret: "s"})
	if err != nil {
		tb.Fatal(err)
	}
	l, err := track.New(track.Config{Store: store, Accounts: map[string]*pave.Client{"bench": client},
		OnComplete: func(context.Context, *track.Completion) error { return nil }})
	if err != nil {
		tb.Fatal(err)
	}
	h, err := l.Inbox(track.InboxConfig{Secrets: map[string][]string{"bench": {benchSecret}}})
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// floorSide creates the floor's table, shaped as the inbox's, in store's
// database and returns the floor's handler.
func floorSide(tb testing.TB, store *track.Store) http.Handler {
	db := store.DB()
	ddl := `CREATE TABLE floor_inbox (id TEXT PRIMARY KEY, account TEXT NOT NULL, event TEXT NOT NULL,
  session_key TEXT NOT NULL, status TEXT NOT NULL, received_at BIGINT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0,
  next_at BIGINT, lease_owner TEXT NOT NULL DEFAULT '', lease_until BIGINT NOT NULL DEFAULT 0)`
	for _, q := range []string{ddl, `CREATE INDEX floor_inbox_due ON floor_inbox (next_at) WHERE next_at IS NOT NULL`} {
		if _, err := db.Exec(q); err != nil {
			tb.Fatal(err)
		}
	}
	insert := `INSERT INTO floor_inbox (id, account, event, session_key, status, received_at, next_at)
VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING`
	if store.Kind() == track.SQLite {
		insert = `INSERT INTO floor_inbox (id, account, event, session_key, status, received_at, next_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT DO NOTHING`
	}
	return floorInbox(db, insert)
}

// floorInbox is the hand-written inbox.
func floorInbox(db *sql.DB, insert string) http.Handler {
	want := []byte("Bearer " + benchSecret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var env struct {
			Event   string `json:"event"`
			Session struct {
				SessionKey string `json:"session_key"`
				Status     string `json:"status"`
			} `json:"session"`
		}
		if json.Unmarshal(body, &env) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		sum := sha256.Sum256(body)
		now := time.Now().UnixMilli()
		if _, err := db.ExecContext(r.Context(), insert, hex.EncodeToString(sum[:]), "bench", env.Event,
			env.Session.SessionKey, env.Session.Status, now); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// runInbox sends a new delivery per iteration and checks the 204.
func runInbox(b *testing.B, h http.Handler) {
	b.ReportAllocs()
	n := 0
	start := time.Now()
	for b.Loop() {
		n++
		if code := deliverBench(h, n); code != http.StatusNoContent {
			b.Fatalf("status %d", code)
		}
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "deliveries/s")
}

// deliverBench sends delivery n to h and returns the status.
func deliverBench(h http.Handler, n int) int {
	body := fmt.Appendf(nil, benchDelivery, fmt.Sprintf("BEN-%010d", n))
	req := httptest.NewRequest(http.MethodPost, "/pave", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+benchSecret)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// benchStore opens an empty store of kind for a benchmark.
func benchStore(b *testing.B, kind string) *track.Store {
	s, err := track.Open(context.Background(), testDSN(b, kind))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// TestBenchInboxesAgree checks that both sides of the pair commit each
// delivery once, a repeat included.
func TestBenchInboxesAgree(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			for table, side := range map[string]func(testing.TB, *track.Store) http.Handler{
				"track_inbox": ledgerInbox, "floor_inbox": floorSide,
			} {
				store, err := track.Open(context.Background(), testDSN(t, kind))
				require.NoError(t, err)
				h := side(t, store)
				for _, n := range []int{1, 2, 1} {
					require.Equal(t, http.StatusNoContent, deliverBench(h, n), table)
				}
				var count int
				require.NoError(t, store.DB().QueryRow("SELECT COUNT(*) FROM "+table).Scan(&count))
				assert.Equal(t, 2, count, table)
				require.NoError(t, store.Close())
			}
		})
	}
}
