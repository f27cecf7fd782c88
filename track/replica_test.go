package track_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/track"
)

// replicaEnv names the environment variable that makes the test binary a
// ledger replica (replicaMain) instead of running tests: the chaos test
// starts replicas as processes of their own, to kill them.
const replicaEnv = "PAVE_TRACK_REPLICA"

func TestMain(m *testing.M) {
	if spec := os.Getenv(replicaEnv); spec != "" {
		os.Exit(replicaMain(spec))
	}
	os.Exit(m.Run())
}

// replicaSpec is what a replica process is told.
type replicaSpec struct {
	Name       string              `json:"name"`
	DSN        string              `json:"dsn"`
	APIURL     string              `json:"api_url"`     // where the replica sends API requests
	ControlURL string              `json:"control_url"` // the fake's own URL, for its clock
	Accounts   map[string]acctSpec `json:"accounts"`
	Secrets    map[string][]string `json:"secrets"`
	FailRate   float64             `json:"fail_rate"` // of OnComplete calls
}

type acctSpec struct {
	Username, APIKey, APISecret string
}

// chaosTables are the application's tables the replicas' OnComplete
// writes: one row per effect (its primary key makes the effect happen
// once) and one per call.
const chaosTables = `CREATE TABLE chaos_effects (id TEXT PRIMARY KEY, account TEXT NOT NULL, ref TEXT NOT NULL,
  session_key TEXT NOT NULL, replica TEXT NOT NULL);
CREATE TABLE chaos_calls (id TEXT NOT NULL, attempt INTEGER NOT NULL, replica TEXT NOT NULL, failed INTEGER NOT NULL)`

// replicaMain runs one replica: the ledger's Run, its inbox under /inbox
// and Create under /create, until SIGTERM (or SIGKILL). It prints
// "READY <url>" once it serves.
func replicaMain(specJSON string) int {
	var spec replicaSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "replica: spec:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("replica", spec.Name)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	clock, err := fakeClock(ctx, spec.ControlURL)
	if err != nil {
		log.Error("clock", "error", err)
		return 1
	}
	var store *track.Store
	for store == nil { // the database may be restarting
		if store, err = track.Open(ctx, spec.DSN); err != nil {
			log.Warn("open", "error", err)
			time.Sleep(200 * time.Millisecond)
		}
	}
	clients := map[string]*pave.Client{}
	for name, a := range spec.Accounts {
		c, err := pave.NewClient(pave.Credentials{Username: a.Username, APIKey: a.APIKey, APISecret: a.APISecret},
			pave.WithBaseURL(spec.APIURL), pave.WithClock(clock),
			pave.WithRetryBackoff(10*time.Millisecond, 50*time.Millisecond),
			// The clock follows the fake's already: an offset the SDK kept would count twice.
			pave.WithClockSkewCorrection(false))
		if err != nil {
			log.Error("client", "error", err)
			return 1
		}
		clients[name] = c
	}
	db := store.DB()
	l, err := track.New(track.Config{Store: store, Accounts: clients, Clock: clock, Logger: log, Owner: spec.Name,
		Lease: 3 * time.Second, ScanInterval: 100 * time.Millisecond, Workers: 8, Budget: 1_000_000,
		OnComplete: func(ctx context.Context, c *track.Completion) error {
			failed := rand.Float64() < spec.FailRate
			_, err := db.ExecContext(ctx, rebind(store, `INSERT INTO chaos_calls (id, attempt, replica, failed)
VALUES ($1, $2, $3, $4)`), c.ID, c.Attempt, spec.Name, map[bool]int{false: 0, true: 1}[failed])
			if err != nil {
				return err
			}
			if failed {
				return errors.New("injected failure")
			}
			if c.Results == nil || c.Results.Session.SessionKey != c.SessionKey {
				return errors.New("results of another session")
			}
			_, err = db.ExecContext(ctx, rebind(store, `INSERT INTO chaos_effects (id, account, ref, session_key, replica)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`), c.ID, c.Account, c.Ref, c.SessionKey, spec.Name)
			return err
		}})
	if err != nil {
		log.Error("ledger", "error", err)
		return 1
	}
	inbox, err := l.Inbox(track.InboxConfig{Secrets: spec.Secrets})
	if err != nil {
		log.Error("inbox", "error", err)
		return 1
	}
	mux := http.NewServeMux()
	mux.Handle("POST /inbox", inbox)
	mux.HandleFunc("POST /create", func(w http.ResponseWriter, r *http.Request) {
		rec, err := l.Create(r.Context(), r.FormValue("account"), r.FormValue("ref"),
			&pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "https://dealer.example/done"}})
		switch {
		case err == nil:
			_, _ = fmt.Fprint(w, rec.SessionKey)
		case errors.Is(err, track.ErrAmbiguous):
			http.Error(w, err.Error(), http.StatusConflict)
		default:
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Error("listen", "error", err)
		return 1
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	done := make(chan struct{})
	go func() { _ = l.Run(ctx); close(done) }()
	fmt.Printf("READY http://%s\n", ln.Addr())
	<-ctx.Done()
	_ = hs.Close()
	<-done
	_ = store.Close()
	return 0
}

// rebind spells $N as SQLite's ?N on a SQLite store.
func rebind(s *track.Store, q string) string {
	if s.Kind() == track.SQLite {
		return placeholderRE.ReplaceAllString(q, "?$1")
	}
	return q
}

// fakeClock returns a clock that follows the fake server's, which the test
// moves forward: it reads the fake's time through the control API every
// 50 ms and adds the time passed since.
func fakeClock(ctx context.Context, controlURL string) (func() time.Time, error) {
	cc, err := pavetest.NewControlClient(controlURL, "", nil)
	if err != nil {
		return nil, err
	}
	var offset atomic.Int64
	read := func() error {
		t, err := cc.Clock(ctx)
		if err == nil {
			offset.Store(int64(time.Until(t)))
		}
		return err
	}
	if err := read(); err != nil {
		return nil, err
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
				_ = read()
			}
		}
	}()
	return func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }, nil
}

// placeholderRE matches the $N of a query.
var placeholderRE = regexp.MustCompile(`\$(\d+)`)
