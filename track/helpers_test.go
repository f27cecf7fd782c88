package track_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/track"
)

// kinds are the stores every store-dependent test runs on; PostgreSQL's
// subtests skip, saying so, without PAVE_TEST_POSTGRES_URL.
var kinds = []string{track.SQLite, track.Postgres}

// testDSN returns a DSN for an empty store of kind: a SQLite file in a
// temporary directory, or a schema of its own in PAVE_TEST_POSTGRES_URL's
// database.
func testDSN(t testing.TB, kind string) string {
	t.Helper()
	if kind == track.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	}
	base := os.Getenv("PAVE_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("PAVE_TEST_POSTGRES_URL is unset: the PostgreSQL tests are skipped (track/testdata/postgres.sh starts one)")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec("CREATE SCHEMA " + schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
			_ = db.Close()
		}
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// completions records OnComplete's calls.
type completions struct {
	mu      sync.Mutex
	calls   []track.Completion
	fail    func(c *track.Completion) error // nil: succeed
	busy    map[string]bool
	overlap int
}

func (c *completions) handle(_ context.Context, comp *track.Completion) error {
	c.mu.Lock()
	if c.busy == nil {
		c.busy = map[string]bool{}
	}
	if c.busy[comp.ID] {
		c.overlap++
	}
	c.busy[comp.ID] = true
	c.calls = append(c.calls, *comp)
	fail := c.fail
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.busy, comp.ID)
		c.mu.Unlock()
	}()
	if fail != nil {
		return fail(comp)
	}
	return nil
}

func (c *completions) list() []track.Completion {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]track.Completion(nil), c.calls...)
}

// env is a ledger on a store, against a fake PAVE whose deliveries reach
// the ledger's inbox.
type env struct {
	t       *testing.T
	srv     *pavetest.Server
	store   *track.Store
	ledger  *track.Ledger
	clients map[string]*pave.Client
	names   []string
	secrets map[string]string
	inbox   *httptest.Server
	logs    *syncBuffer
	done    *completions
	stop    func()
}

type envOptions struct {
	kind       string
	accounts   int
	noWebhooks bool // register no callback settings: only polls find completions
	noRun      bool // do not start Run
	config     func(*track.Config)
	fake       []pavetest.Option
	client     []pave.Option // for every account's client
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	if o.kind == "" {
		o.kind = track.SQLite
	}
	if o.accounts == 0 {
		o.accounts = 1
	}
	e := &env{t: t, clients: map[string]*pave.Client{}, secrets: map[string]string{}, logs: &syncBuffer{},
		done: &completions{}}
	var accounts []pavetest.Account
	for i := range o.accounts {
		name := fmt.Sprintf("dealer%d", i+1)
		e.names = append(e.names, name)
		accounts = append(accounts, pavetest.Account{Username: name,
			APIKey: fmt.Sprintf("key-%d-0000-4000-8000-000000000000", i), APISecret: fmt.Sprintf("sk-test-%032d", i)})
	}
	e.srv = pavetest.NewServer(t, append([]pavetest.Option{pavetest.WithAccounts(accounts...),
		pavetest.WithWebhookRetries(-1, 0)}, o.fake...)...)
	ctx := context.Background()
	var err error
	e.store, err = track.Open(ctx, testDSN(t, o.kind))
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.store.Close() })
	for i, a := range accounts {
		c, err := e.srv.NewClient(a.Credentials(), o.client...)
		require.NoError(t, err)
		e.clients[e.names[i]] = c
	}
	cfg := track.Config{Store: e.store, Accounts: e.clients, OnComplete: e.done.handle, Clock: e.srv.Now,
		Logger:       slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ScanInterval: 20 * time.Millisecond, Lease: 3 * time.Second, Budget: 10000}
	if o.config != nil {
		o.config(&cfg)
	}
	e.ledger, err = track.New(cfg)
	require.NoError(t, err)
	named := map[string][]string{}
	for _, name := range e.names {
		e.secrets[name] = "whsec-" + name + "-0123456789abcdef0123456789"
		named[name] = []string{e.secrets[name]}
	}
	h, err := e.ledger.Inbox(track.InboxConfig{Secrets: named})
	require.NoError(t, err)
	e.inbox = httptest.NewServer(h)
	t.Cleanup(e.inbox.Close)
	if !o.noWebhooks {
		for _, name := range e.names {
			for _, ev := range []pave.EventName{pave.EventComplete, pave.EventStatusChange} {
				_, _, err := e.clients[name].Webhooks.Ensure(ctx, pave.NewCallback(ev, e.inbox.URL, e.secrets[name]))
				require.NoError(t, err)
			}
		}
	}
	e.stop = func() {}
	if !o.noRun {
		e.run()
	}
	return e
}

// run starts the ledger's Run until the test ends (or stop).
func (e *env) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.ledger.Run(ctx)
	}()
	var once sync.Once
	e.stop = func() { once.Do(func() { cancel(); <-done }) }
	e.t.Cleanup(e.stop)
}

// posts counts the create requests the fake received.
func (e *env) posts() int {
	n := 0
	for _, r := range e.srv.Requests() {
		if r.Method == "POST" && r.Path == "/v1/sessions" {
			n++
		}
	}
	return n
}

// requests counts the fake's requests whose path matches (path.Match).
func (e *env) gets(suffix string) int {
	n := 0
	for _, r := range e.srv.Requests() {
		if r.Method == "GET" && len(r.Path) >= len(suffix) && r.Path[len(r.Path)-len(suffix):] == suffix {
			n++
		}
	}
	return n
}

// show returns a record, failing the test when it cannot.
func (e *env) show(k track.Key) *track.Record {
	e.t.Helper()
	r, err := e.ledger.Show(context.Background(), k)
	require.NoError(e.t, err)
	return r
}

// waitPhase waits until the record k names reaches phase.
func (e *env) waitPhase(k track.Key, phase track.Phase) *track.Record {
	e.t.Helper()
	var last *track.Record
	require.Eventually(e.t, func() bool {
		r, err := e.ledger.Show(context.Background(), k)
		last = r
		return err == nil && r.Phase == phase
	}, 20*time.Second, 10*time.Millisecond, "waiting for %s to reach %s (last: %+v)", k, phase, last)
	return last
}

func request() *pave.CreateSessionRequest {
	return &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "https://dealer.example/done"}}
}

// deliver posts a delivery body to the inbox with account's secret and
// returns the status.
func (e *env) deliver(account, body string) int {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.inbox.URL, strings.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+e.secrets[account])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// createAndComplete creates a session for ref and completes it at the fake.
func (e *env) createAndComplete(account, ref string) *track.Record {
	e.t.Helper()
	rec, err := e.ledger.Create(context.Background(), account, ref, request())
	require.NoError(e.t, err)
	require.NoError(e.t, e.srv.Complete(rec.SessionKey))
	return rec
}
