package track_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/track"
)

// The chaos test: three dealers' sessions through ledger replicas in
// processes of their own, against a fake PAVE that drops 30 % of its
// deliveries, sends 20 % twice, reorders them and holds the results of
// 10 % of sessions back for up to a day of fake time, while OnComplete
// fails 10 % of its calls. On PostgreSQL three replicas run, one is killed
// with SIGKILL while its creates are in flight and started again, and
// PostgreSQL is restarted once; on SQLite one replica runs. It checks that
// no reference is POSTed twice, that every session PAVE made ends with its
// results stored and OnComplete's effect written once, and reports the
// figures.

func TestChaosPostgres(t *testing.T) {
	runChaos(t, chaosPlan{kind: track.Postgres, replicas: 3, kill: true, restartDB: true})
}

func TestChaosSQLite(t *testing.T) {
	runChaos(t, chaosPlan{kind: track.SQLite, replicas: 1})
}

type chaosPlan struct {
	kind      string
	replicas  int
	kill      bool // SIGKILL a replica mid-create and start it again
	restartDB bool // restart PostgreSQL mid-run
}

// chaosSessions is the number of sessions (PAVE_TRACK_CHAOS_SESSIONS, 300).
func chaosSessions(t *testing.T) int {
	n := 300
	if s := os.Getenv("PAVE_TRACK_CHAOS_SESSIONS"); s != "" {
		_, err := fmt.Sscan(s, &n)
		require.NoError(t, err, "PAVE_TRACK_CHAOS_SESSIONS")
	}
	return n
}

// apiRecorder stands in front of the fake for the replicas: it counts the
// creates per reference and remembers the session each made (even when
// its answer never reaches the replica), counts the tracking requests,
// and can hold create answers back after the fake acted, so that a replica
// dies before it hears them.
type apiRecorder struct {
	fake    http.Handler
	mu      sync.Mutex
	posts   map[string]int    // reference -> POSTs
	created map[string]string // reference -> session key
	gets    map[string]int    // session key -> GET session
	results map[string]int    // session key -> GET results
	slow    atomic.Bool
}

func (a *apiRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/sessions/") {
		key, tail, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v1/sessions/"), "/")
		a.mu.Lock()
		if tail == "results" {
			a.results[key]++
		} else if tail == "" {
			a.gets[key]++
		}
		a.mu.Unlock()
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/sessions" {
		a.fake.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req pave.CreateSessionRequest
	_ = json.Unmarshal(body, &req)
	ref := ""
	if req.Options != nil {
		ref = req.Options.ClientID
	}
	rec := httptest.NewRecorder()
	a.fake.ServeHTTP(rec, r)
	var sess struct {
		SessionKey string `json:"session_key"`
	}
	a.mu.Lock()
	a.posts[ref]++
	if rec.Code/100 == 2 && json.Unmarshal(rec.Body.Bytes(), &sess) == nil {
		a.created[ref] = sess.SessionKey
	}
	a.mu.Unlock()
	if a.slow.Load() {
		time.Sleep(500 * time.Millisecond)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// replica is one replica process.
type replica struct {
	name  string
	cmd   *exec.Cmd
	url   string
	alive atomic.Bool
	logs  *syncBuffer
	done  chan struct{}
}

type chaosRun struct {
	t         *testing.T
	plan      chaosPlan
	srv       *pavetest.Server
	api       *apiRecorder
	spec      replicaSpec
	mu        sync.Mutex
	reps      []*replica
	store     *track.Store
	ops       *track.Ledger // the operator's: no Run
	keys      sync.Map      // reference -> session key, as Create returned it
	ambiguous sync.Map      // references whose create was answered ambiguous
	created   atomic.Int64
	advanced  atomic.Int64 // when the test last moved the fake's clock, Unix ns
}

func runChaos(t *testing.T, plan chaosPlan) {
	if testing.Short() {
		t.Skip("the chaos test runs replicas for a minute or two; not in -short")
	}
	n := chaosSessions(t)
	dsn := testDSN(t, plan.kind)
	restart := os.Getenv("PAVE_TEST_POSTGRES_RESTART")
	if plan.restartDB && restart == "" {
		t.Log("PAVE_TEST_POSTGRES_RESTART is unset: PostgreSQL is not restarted in this run")
	}
	c := &chaosRun{t: t, plan: plan}
	var accounts []pavetest.Account
	c.spec = replicaSpec{DSN: dsn, Accounts: map[string]acctSpec{}, Secrets: map[string][]string{}, FailRate: 0.1}
	for i := range 3 {
		name := fmt.Sprintf("dealer%d", i+1)
		a := pavetest.Account{Username: name, APIKey: fmt.Sprintf("key-%d-0000-4000-8000-000000000000", i),
			APISecret: fmt.Sprintf("sk-test-%032d", i)}
		accounts = append(accounts, a)
		c.spec.Accounts[name] = acctSpec{a.Username, a.APIKey, a.APISecret}
		c.spec.Secrets[name] = []string{"whsec-" + name + "-0123456789abcdef0123456789"}
	}
	c.srv = pavetest.NewServer(t, pavetest.WithAccounts(accounts...), pavetest.WithSeed(20260517),
		pavetest.WithAsyncWebhooks(), pavetest.WithWebhookRetries(-1, 0), func(o *pavetest.Options) {
			o.MaxRecordedRequests = 1 << 20
			o.Chaos = pavetest.Chaos{Drop: 0.3, Duplicate: 0.2, Reorder: true, ResultsDelayFraction: 0.1,
				ResultsDelayMax: 24 * time.Hour}
		})
	c.api = &apiRecorder{fake: c.srv, posts: map[string]int{}, created: map[string]string{}, gets: map[string]int{},
		results: map[string]int{}}
	apiSrv := httptest.NewServer(c.api)
	t.Cleanup(apiSrv.Close)
	c.spec.APIURL, c.spec.ControlURL = apiSrv.URL, c.srv.URL

	ctx := context.Background()
	var err error
	c.store, err = track.Open(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.store.Close() })
	for _, q := range strings.Split(chaosTables, ";") {
		_, err := c.store.DB().Exec(q)
		require.NoError(t, err)
	}
	clients := map[string]*pave.Client{}
	for _, a := range accounts {
		clients[a.Username], err = pave.NewClient(a.Credentials(), pave.WithBaseURL(apiSrv.URL), pave.WithClock(c.srv.Now))
		require.NoError(t, err)
	}
	c.ops, err = track.New(track.Config{Store: c.store, Accounts: clients, Clock: c.srv.Now,
		OnComplete: func(context.Context, *track.Completion) error { return nil }})
	require.NoError(t, err)

	lb := httptest.NewServer(http.HandlerFunc(c.balance))
	t.Cleanup(lb.Close)
	for _, a := range accounts {
		for _, ev := range []pave.EventName{pave.EventComplete, pave.EventStatusChange} {
			_, _, err := clients[a.Username].Webhooks.Ensure(ctx, pave.NewCallback(ev, lb.URL, c.spec.Secrets[a.Username][0]))
			require.NoError(t, err)
		}
	}
	for i := range plan.replicas {
		c.reps = append(c.reps, nil)
		c.start(i)
	}
	t.Cleanup(c.stopAll)
	began := time.Now()

	// Create: a job queue retries every create that gets no answer.
	refs := make([]string, n)
	for i := range refs {
		refs[i] = fmt.Sprintf("dealer%d/lead-%03d", i%3+1, i)
	}
	var killed sync.WaitGroup
	if plan.kill {
		var mine []string
		for i := range 3 {
			mine = append(mine, fmt.Sprintf("dealer%d/killed-%d", i+1, i))
		}
		refs = append(refs, mine...)
		killed.Add(1)
		go func() { defer killed.Done(); c.killOneMidCreate(n/3, mine) }()
		defer func() {
			for _, r := range mine {
				_, seen := c.ambiguous.Load(r)
				assert.True(t, seen, "%s: its create was answered ambiguous after the kill", r)
			}
		}()
	}
	c.createAll(refs[:n])
	killed.Wait()

	// Complete every session PAVE made, in random order; restart the
	// database halfway.
	keys := c.sessions()
	rand.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	for i, k := range keys {
		require.NoError(t, c.srv.Complete(k))
		if i == len(keys)/2 && plan.restartDB && restart != "" {
			began := time.Now()
			out, err := exec.Command("sh", "-c", restart).CombinedOutput()
			require.NoError(t, err, "restarting PostgreSQL: %s", out)
			t.Logf("chaos: restarted PostgreSQL (%s) after %d completions", time.Since(began).Round(time.Millisecond), i)
		}
	}

	// Let fake time pass until every session is done: backoffs, lost
	// deliveries found by polls, results queued for up to a day.
	start := c.srv.Now()
	for {
		c.srv.WaitDeliveries()
		c.waitQuiet()
		if c.operate() {
			continue // let the replicas work before the clock moves
		}
		if c.finished() {
			break
		}
		if c.srv.Now().Sub(start) > 30*time.Hour || time.Since(began) > 4*time.Minute {
			c.dump()
			t.Fatalf("not finished after %s of fake time and %s", c.srv.Now().Sub(start), time.Since(began))
		}
		c.advanced.Store(time.Now().UnixNano())
		c.srv.AdvanceClock(30 * time.Minute)
	}
	c.check(refs, time.Since(began), c.srv.Now().Sub(start))
	if os.Getenv("PAVE_TRACK_CHAOS_LOGS") != "" {
		c.dump()
	}
}

// balance hands a delivery to a live replica's inbox (a load balancer);
// 502 when none answers.
func (c *chaosRun) balance(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	// The replicas read the fake's clock every 50 ms: a delivery the
	// fake sends as its clock jumps waits until they have seen the jump,
	// or they would call the API with the time before it.
	if wait := 150*time.Millisecond - time.Since(time.Unix(0, c.advanced.Load())); wait > 0 {
		time.Sleep(wait)
	}
	rep := c.pick()
	if rep == nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, rep.url+"/inbox", bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	_ = resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
}

// pick returns a live replica at random, or nil.
func (c *chaosRun) pick() *replica {
	c.mu.Lock()
	defer c.mu.Unlock()
	var live []*replica
	for _, r := range c.reps {
		if r != nil && r.alive.Load() {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return nil
	}
	return live[rand.IntN(len(live))]
}

// start starts replica i (again).
func (c *chaosRun) start(i int) {
	t := c.t
	spec := c.spec
	spec.Name = fmt.Sprintf("replica-%d", i+1)
	b, err := json.Marshal(spec)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), replicaEnv+"="+string(b))
	rep := &replica{name: spec.Name, cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = rep.logs
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- u
			}
		}
	}()
	go func() { _ = cmd.Wait(); rep.alive.Store(false); close(rep.done) }()
	select {
	case rep.url = <-ready:
	case <-rep.done:
		t.Fatalf("%s exited: %s", rep.name, rep.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start: %s", rep.name, rep.logs.String())
	}
	rep.alive.Store(true)
	c.mu.Lock()
	c.reps[i] = rep
	c.mu.Unlock()
}

func (c *chaosRun) stopAll() {
	for _, r := range c.reps {
		if r != nil && r.alive.Load() {
			_ = r.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, r := range c.reps {
		if r != nil {
			select {
			case <-r.done:
			case <-time.After(20 * time.Second):
				_ = r.cmd.Process.Kill()
			}
		}
	}
}

// killOneMidCreate waits for after creates, holds create answers back,
// sends the killed replica creates of its own (refs) and SIGKILLs it once
// PAVE has made their sessions and before it hears so; then starts it
// again and has the job queue create those references again, on any
// replica.
func (c *chaosRun) killOneMidCreate(after int, refs []string) {
	for c.created.Load() < int64(after) {
		time.Sleep(5 * time.Millisecond)
	}
	c.api.slow.Store(true)
	rep := c.reps[1]
	for _, ref := range refs {
		account, _, _ := strings.Cut(ref, "/")
		go func() { _, _ = http.PostForm(rep.url+"/create", url.Values{"account": {account}, "ref": {ref}}) }()
	}
	for !c.madeAll(refs) {
		time.Sleep(5 * time.Millisecond)
	}
	_ = rep.cmd.Process.Signal(syscall.SIGKILL)
	rep.alive.Store(false)
	<-rep.done
	c.api.slow.Store(false)
	c.t.Logf("chaos: killed %s with SIGKILL after %d creates, with %d of its own unanswered", rep.name,
		c.created.Load(), len(refs))
	time.Sleep(time.Second)
	c.start(1)
	c.createAll(refs)
}

// madeAll reports whether PAVE made the sessions of refs.
func (c *chaosRun) madeAll(refs []string) bool {
	c.api.mu.Lock()
	defer c.api.mu.Unlock()
	for _, r := range refs {
		if c.api.created[r] == "" {
			return false
		}
	}
	return true
}

// createAll creates every reference through the replicas, retrying what
// gets no answer, as a CRM's job queue would.
func (c *chaosRun) createAll(refs []string) {
	queue := make(chan string, len(refs))
	for _, r := range refs {
		queue <- r
	}
	close(queue)
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ref := range queue {
				c.create(ref)
			}
		}()
	}
	wg.Wait()
}

// create creates ref until a replica answers with a session (or says it
// may exist).
func (c *chaosRun) create(ref string) {
	account, _, _ := strings.Cut(ref, "/")
	for attempt := 0; ; attempt++ {
		if rep := c.pick(); rep != nil {
			resp, err := http.PostForm(rep.url+"/create", url.Values{"account": {account}, "ref": {ref}})
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					c.keys.Store(ref, string(body))
					c.created.Add(1)
					return
				case http.StatusConflict: // ambiguous: the ledger resolves it, or an operator does
					c.ambiguous.Store(ref, true)
					c.created.Add(1)
					return
				}
			}
		}
		require.Less(c.t, attempt, 2000, "create %s never answered", ref)
		time.Sleep(20 * time.Millisecond)
	}
}

// sessions returns the keys of every session PAVE made.
func (c *chaosRun) sessions() []string {
	c.api.mu.Lock()
	defer c.api.mu.Unlock()
	var out []string
	for _, k := range c.api.created {
		out = append(out, k)
	}
	return out
}

// waitQuiet waits until no delivery and no record is due by the fake's
// clock, three checks in a row.
func (c *chaosRun) waitQuiet() {
	time.Sleep(150 * time.Millisecond) // the replicas read the fake's clock every 50 ms
	quiet := 0
	for deadline := time.Now().Add(time.Minute); quiet < 3 && time.Now().Before(deadline); {
		now := c.srv.Now().UnixMilli()
		var due int
		err := c.store.DB().QueryRow(rebind(c.store, `SELECT
  (SELECT COUNT(*) FROM track_records WHERE next_at <= $1) + (SELECT COUNT(*) FROM track_inbox WHERE next_at <= $1)`),
			now).Scan(&due)
		if err == nil && due == 0 {
			quiet++
		} else {
			quiet = 0
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// operate does what an operator would for creates still ambiguous once
// everything is quiet (every delivery for their session was lost, or no
// session was made): resolve with the session PAVE's dashboard shows, or
// abandon and create again. It reports whether it did anything.
func (c *chaosRun) operate() (acted bool) {
	ctx := context.Background()
	if s, err := c.ops.Summary(ctx); err != nil || s.InboxPending > 0 {
		return false // a delivery put off may still resolve them
	}
	list, err := c.ops.List(ctx, track.ListOptions{Filter: track.Ambiguous, Limit: 10000})
	if err != nil {
		return false
	}
	for _, r := range list {
		c.api.mu.Lock()
		key, made := c.api.created[r.Ref]
		c.api.mu.Unlock()
		k := track.Key{Account: r.Account, Ref: r.Ref}
		if made {
			_, err := c.ops.Resolve(ctx, k, key)
			require.NoError(c.t, err, "resolving %s", r.Ref)
			c.t.Logf("chaos: an operator resolved %s with %s (every delivery for it was lost)", r.Ref, key)
			continue
		}
		require.NoError(c.t, c.ops.Abandon(ctx, k))
		c.t.Logf("chaos: operator abandoned %s (no session was made) and it is created again", r.Ref)
		c.create(r.Ref)
		if v, ok := c.keys.Load(r.Ref); ok {
			require.NoError(c.t, c.srv.Complete(v.(string)))
		}
	}
	return len(list) > 0
}

// finished reports whether every session PAVE made has its effect written
// and every record is done.
func (c *chaosRun) finished() bool {
	var effects, open int
	db := c.store.DB()
	if db.QueryRow("SELECT COUNT(*) FROM chaos_effects").Scan(&effects) != nil ||
		db.QueryRow("SELECT COUNT(*) FROM track_records WHERE phase <> 'done'").Scan(&open) != nil {
		return false
	}
	return effects == len(c.sessions()) && open == 0
}

func (c *chaosRun) dump() {
	s, err := c.ops.Summary(context.Background())
	c.t.Logf("summary: %+v %v", s, err)
	list, _ := c.ops.List(context.Background(), track.ListOptions{Filter: track.Pending, Limit: 20})
	for _, r := range list {
		c.t.Logf("pending: %+v", r)
	}
	for _, r := range c.reps {
		if r != nil {
			c.t.Logf("%s log:\n%s", r.name, tail(r.logs.String(), 20000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// check asserts the outcome and reports the figures.
func (c *chaosRun) check(refs []string, wall, fake time.Duration) {
	t := c.t
	ctx := context.Background()
	c.api.mu.Lock()
	twice := 0
	for ref, n := range c.api.posts {
		if n > 1 {
			twice++
			t.Errorf("reference %s was POSTed %d times", ref, n)
		}
	}
	sessions := len(c.api.created)
	gets, results, refetched, quick, quickGets := 0, 0, 0, 0, 0
	for _, k := range c.api.created {
		n := c.api.gets[k]
		gets += n
		if n <= 4 { // the sessions whose results PAVE did not queue
			quick++
			quickGets += n
		}
	}
	for _, n := range c.api.results {
		results += n
		if n > 1 {
			refetched++
		}
	}
	c.api.mu.Unlock()
	assert.Zero(t, twice)
	assert.Equal(t, len(refs), sessions, "one session per reference")

	db := c.store.DB()
	var effects, distinct, calls, failedCalls, records, withResults int
	for q, dst := range map[string][]any{
		"SELECT COUNT(*), COUNT(DISTINCT session_key) FROM chaos_effects":         {&effects, &distinct},
		"SELECT COUNT(*), COALESCE(SUM(failed), 0) FROM chaos_calls":              {&calls, &failedCalls},
		"SELECT COUNT(*), COUNT(results) FROM track_records WHERE phase = 'done'": {&records, &withResults},
	} {
		require.NoError(t, db.QueryRow(q).Scan(dst...), q)
	}
	assert.Equal(t, sessions, effects, "OnComplete's effect once per session")
	assert.Equal(t, sessions, distinct)
	assert.Equal(t, sessions, records, "every session done")
	assert.Equal(t, sessions, withResults, "every session's results stored")
	for _, k := range c.sessions() {
		var n int
		q := rebind(c.store, "SELECT COUNT(*) FROM chaos_effects WHERE session_key = $1")
		require.NoError(t, db.QueryRow(q, k).Scan(&n))
		assert.Equal(t, 1, n, "effect of %s", k)
	}
	s, err := c.ops.Summary(ctx)
	require.NoError(t, err)
	okCalls := calls - failedCalls
	t.Logf("CHAOS %s: %d replicas, %d sessions, %s wall, %s fake; POSTs twice %d; effects %d; OnComplete calls %d "+
		"(failed %d, repeated after success %d); completions by webhook %d, by poll %d; tracking requests per "+
		"completion %.2f (GET session %d, GET results %d, results fetched more than once for %d sessions; "+
		"the %d sessions polled at most 4 times: %.2f polls each)",
		c.plan.kind, c.plan.replicas, sessions, wall.Round(time.Second), fake.Round(time.Minute), twice, effects, calls,
		failedCalls, okCalls-effects, s.ByWebhook, s.ByPoll, float64(gets+results)/float64(sessions), gets, results,
		refetched, quick, float64(quickGets)/float64(max(quick, 1)))
}
