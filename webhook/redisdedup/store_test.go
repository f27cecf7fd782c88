package redisdedup_test

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/pave-go/pave/webhook/redisdedup"
)

const (
	testID     = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
	testKey    = redisdedup.DefaultPrefix + testID
	testTTL    = 2 * time.Minute
	testWindow = 10 * time.Minute
)

var tokenRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// storeEnv is one test's Store on its own miniredis, with the tokens its
// winning claims got, by the claims' numbers.
type storeEnv struct {
	mr     *miniredis.Miniredis
	s      *redisdedup.Store
	tokens map[int]string
}

// step is one step of a scenario on the delivery testID.
type step func(t *testing.T, e *storeEnv)

// claim expects claim n to win.
func claim(n int) step {
	return claimFor(n, testTTL)
}

// claimFor expects claim n, for ttl, to win.
func claimFor(n int, ttl time.Duration) step {
	return func(t *testing.T, e *storeEnv) {
		t.Helper()
		token, done, err := e.s.Claim(context.Background(), testID, ttl)
		if err != nil || done || !tokenRE.MatchString(token) {
			t.Fatalf("claim %d = %q, %t, %v; want a 32-hex-digit token", n, token, done, err)
		}
		for m, other := range e.tokens {
			if other == token {
				t.Fatalf("claim %d got claim %d's token", n, m)
			}
		}
		e.tokens[n] = token
	}
}

// duplicate expects a claim to lose, finding the delivery done or not.
func duplicate(done bool) step {
	return func(t *testing.T, e *storeEnv) {
		t.Helper()
		token, gotDone, err := e.s.Claim(context.Background(), testID, testTTL)
		if err != nil || token != "" || gotDone != done {
			t.Fatalf("duplicate claim = %q, %t, %v; want \"\", %t, nil", token, gotDone, err, done)
		}
	}
}

// settle settles claim n with the test window.
func settle(n int, handled bool) step {
	return settleFor(n, handled, testWindow)
}

// settleFor settles claim n (with a token no claim had if n is negative).
func settleFor(n int, handled bool, window time.Duration) step {
	return func(t *testing.T, e *storeEnv) {
		t.Helper()
		token := "ffffffffffffffffffffffffffffffff"
		if n >= 0 {
			token = e.tokens[n]
		}
		if err := e.s.Settle(context.Background(), testID, token, handled, window); err != nil {
			t.Fatalf("settle %d: %v", n, err)
		}
	}
}

// forward moves miniredis's clock.
func forward(d time.Duration) step {
	return func(_ *testing.T, e *storeEnv) { e.mr.FastForward(d) }
}

// pending is the value claim n holds the key with.
func pending(n int) string { return "pending:" + strconv.Itoa(n) }

// want expects the key to hold value ("" for none, pending(n) for claim n's
// value) with ttl left.
func want(value string, ttl time.Duration) step {
	return func(t *testing.T, e *storeEnv) {
		t.Helper()
		if n, ok := strings.CutPrefix(value, "pending:"); ok {
			i, _ := strconv.Atoi(n)
			value = "pending:" + e.tokens[i]
		}
		got, err := e.mr.Get(testKey)
		switch {
		case value == "" && !errors.Is(err, miniredis.ErrKeyNotFound):
			t.Fatalf("key holds %q, %v; want no key", got, err)
		case value != "" && (err != nil || got != value):
			t.Fatalf("key holds %q, %v; want %q", got, err, value)
		}
		if got := e.mr.TTL(testKey); got != ttl {
			t.Fatalf("key's TTL = %s; want %s", got, ttl)
		}
	}
}

// TestClaimSettle runs claim, duplicate, in-progress, done and release
// scenarios on miniredis, whose clock moves only by FastForward.
func TestClaimSettle(t *testing.T) {
	t.Parallel()
	const ms = time.Millisecond
	cases := []struct {
		name  string
		steps []step
	}{
		{"a first claim wins for ttl", []step{claim(0), want(pending(0), testTTL)}},
		{"a duplicate of a delivery in progress waits", []step{claim(0), duplicate(false), want(pending(0), testTTL)}},
		{"a handled delivery is done for the window", []step{
			claim(0), settle(0, true), want("done", testWindow), duplicate(true),
			forward(testWindow - ms), duplicate(true), want("done", ms)}},
		{"a handled delivery is forgotten after the window", []step{
			claim(0), settle(0, true), forward(testWindow), want("", 0), claim(1), want(pending(1), testTTL)}},
		{"a failed delivery is released for the next attempt", []step{
			claim(0), settle(0, false), want("", 0), claim(1), want(pending(1), testTTL), settle(1, true), duplicate(true)}},
		{"a claim whose process died expires after ttl", []step{
			claim(0), forward(testTTL - ms), duplicate(false), want(pending(0), ms), forward(ms), want("", 0), claim(1)}},
		{"a stale handled settle does not mark the newer claim", []step{
			claim(0), forward(testTTL), claim(1), settle(0, true), want(pending(1), testTTL), duplicate(false),
			settle(1, true), want("done", testWindow)}},
		{"a stale release does not delete the newer claim", []step{
			claim(0), forward(testTTL), claim(1), forward(time.Second), settle(0, false),
			want(pending(1), testTTL-time.Second), duplicate(false)}},
		{"a stale settle after the delivery was forgotten creates nothing", []step{
			claim(0), forward(testTTL), settle(0, true), want("", 0), settle(0, false), want("", 0), claim(1)}},
		{"a release after the handled settle keeps it done", []step{
			claim(0), settle(0, true), settle(0, false), want("done", testWindow), duplicate(true)}},
		{"settling again does not extend the window", []step{
			claim(0), settle(0, true), forward(testWindow / 2), settle(0, true), want("done", testWindow/2)}},
		{"an unknown token changes nothing", []step{
			claim(0), settleFor(-1, true, testWindow), settleFor(-1, false, 0), want(pending(0), testTTL)}},
		{"an empty token changes nothing", []step{
			claim(0), func(t *testing.T, e *storeEnv) {
				if err := e.s.Settle(context.Background(), testID, "", false, 0); err != nil {
					t.Fatal(err)
				}
			}, want(pending(0), testTTL)}},
		{"a settle without a claim creates nothing", []step{settleFor(-1, true, testWindow), want("", 0)}},
		{"a handled settle with no window forgets the delivery", []step{
			claim(0), settleFor(0, true, 0), want("", 0), claim(1)}},
		{"durations round up to whole milliseconds", []step{
			claimFor(0, 1500*time.Microsecond), want(pending(0), 2*ms),
			settleFor(0, true, time.Nanosecond), want("done", ms)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mr, rdb := newRedis(t)
			e := &storeEnv{mr: mr, s: redisdedup.New(rdb), tokens: map[int]string{}}
			for _, st := range tc.steps {
				st(t, e)
			}
		})
	}
}

func TestClaimRejectsTTLWithoutExpiry(t *testing.T) {
	t.Parallel()
	mr, rdb := newRedis(t)
	s := redisdedup.New(rdb)
	for _, ttl := range []time.Duration{0, -time.Second} {
		token, done, err := s.Claim(context.Background(), testID, ttl)
		if err == nil || token != "" || done || !strings.HasPrefix(err.Error(), "redisdedup: claim: ") {
			t.Errorf("Claim(ttl %s) = %q, %t, %v; want an error", ttl, token, done, err)
		}
	}
	if mr.Exists(testKey) {
		t.Error("a rejected claim wrote the key")
	}
}

func TestPrefix(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opts []redisdedup.Option
		key  string
	}{
		{"default", nil, "pave:webhook:dedup:" + testID},
		{"custom", []redisdedup.Option{redisdedup.WithPrefix("crm:staging:pave:")}, "crm:staging:pave:" + testID},
		{"empty", []redisdedup.Option{redisdedup.WithPrefix("")}, testID},
		{"last wins", []redisdedup.Option{redisdedup.WithPrefix("a:"), redisdedup.WithPrefix("b:")}, "b:" + testID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mr, rdb := newRedis(t)
			s := redisdedup.New(rdb, tc.opts...)
			ctx := context.Background()
			token, _, err := s.Claim(ctx, testID, testTTL)
			if err != nil || token == "" {
				t.Fatalf("Claim = %q, %v", token, err)
			}
			if keys := mr.Keys(); len(keys) != 1 || keys[0] != tc.key {
				t.Fatalf("keys after Claim = %q; want [%q]", keys, tc.key)
			}
			if err := s.Settle(ctx, testID, token, true, testWindow); err != nil {
				t.Fatal(err)
			}
			if v, _ := mr.Get(tc.key); v != "done" {
				t.Fatalf("%s = %q after Settle; want done", tc.key, v)
			}
			if err := s.Settle(ctx, testID, token, false, 0); err != nil {
				t.Fatal(err)
			}
			if keys := mr.Keys(); len(keys) != 1 {
				t.Fatalf("keys after a stale release = %q", keys)
			}
		})
	}
}

// Two prefixes on one Redis do not see each other's deliveries.
func TestPrefixesAreSeparate(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	a, b := redisdedup.New(rdb, redisdedup.WithPrefix("a:")), redisdedup.New(rdb, redisdedup.WithPrefix("b:"))
	for _, s := range []*redisdedup.Store{a, b} {
		if token, _, err := s.Claim(context.Background(), testID, testTTL); err != nil || token == "" {
			t.Fatalf("Claim = %q, %v; want each prefix's claim to win", token, err)
		}
	}
}

// Errors from Redis come back wrapped, naming neither the id nor a value.
func TestRedisErrors(t *testing.T) {
	t.Parallel()
	const token = "00112233445566778899aabbccddeeff"
	cases := []struct {
		name   string
		prefix string
		call   func(*redisdedup.Store) error
	}{
		{"claim", "redisdedup: claim: ", func(s *redisdedup.Store) error {
			token, done, err := s.Claim(context.Background(), testID, testTTL)
			if token != "" || done {
				return errors.New("claimed without Redis")
			}
			return err
		}},
		{"settle handled", "redisdedup: settle: ", func(s *redisdedup.Store) error {
			return s.Settle(context.Background(), testID, token, true, testWindow)
		}},
		{"settle failed", "redisdedup: settle: ", func(s *redisdedup.Store) error {
			return s.Settle(context.Background(), testID, token, false, testWindow)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" on a closed server", func(t *testing.T) {
			t.Parallel()
			mr, rdb := newRedis(t)
			mr.Close()
			checkError(t, tc.call(redisdedup.New(rdb)), tc.prefix, testID, token)
		})
		t.Run(tc.name+" on a server error", func(t *testing.T) {
			t.Parallel()
			mr, rdb := newRedis(t)
			mr.SetError("LOADING Redis is loading the dataset in memory")
			err := tc.call(redisdedup.New(rdb))
			checkError(t, err, tc.prefix, testID, token)
			if !strings.Contains(err.Error(), "LOADING") {
				t.Errorf("error %q lost Redis's", err)
			}
		})
		t.Run(tc.name+" on a canceled context", func(t *testing.T) {
			t.Parallel()
			_, rdb := newRedis(t)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			s := redisdedup.New(rdb)
			var err error
			switch tc.name {
			case "claim":
				_, _, err = s.Claim(ctx, testID, testTTL)
			default:
				err = s.Settle(ctx, testID, token, tc.name == "settle handled", testWindow)
			}
			checkError(t, err, tc.prefix, testID, token)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %q does not wrap context.Canceled", err)
			}
		})
	}
}

func checkError(t *testing.T, err error, prefix string, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("error %q does not begin with %q", err, prefix)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q shows %q", err, s)
		}
	}
}

// A key this package did not write is an error that does not show it.
func TestClaimForeignKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		set  func(*miniredis.Miniredis) error
	}{
		{"string", func(mr *miniredis.Miniredis) error { return mr.Set(testKey, "customer-phone-+14165550123") }},
		{"set", func(mr *miniredis.Miniredis) error {
			_, err := mr.SetAdd(testKey, "customer-phone-+14165550123")
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mr, rdb := newRedis(t)
			if err := tc.set(mr); err != nil {
				t.Fatal(err)
			}
			token, done, err := redisdedup.New(rdb).Claim(context.Background(), testID, testTTL)
			if token != "" || done {
				t.Fatalf("Claim = %q, %t over a foreign key", token, done)
			}
			checkError(t, err, "redisdedup: claim: ", testID, "customer", "+1416")
		})
	}
}

// vanishHook makes the key vanish between Claim's SET and GET: before a SET
// it writes another claim, before a GET it deletes it, the first times
// times.
type vanishHook struct {
	mr    *miniredis.Miniredis
	times int32
	sets  atomic.Int32
	gets  atomic.Int32
}

func (h *vanishHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *vanishHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h *vanishHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		switch cmd.Name() {
		case "set":
			if h.sets.Add(1) <= h.times {
				_ = h.mr.Set(testKey, "pending:another")
			}
		case "get":
			if h.gets.Add(1) <= h.times {
				h.mr.Del(testKey)
			}
		}
		return next(ctx, cmd)
	}
}

func TestClaimKeyVanishes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		times    int32
		won      bool
		sets     int32
		keyAfter bool
	}{
		{"once: the retry wins", 1, true, 2, true},
		{"twice: the third try wins", 2, true, 3, true},
		{"every time: bounded, reported in progress", 100, false, 3, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mr, rdb := newRedis(t)
			h := &vanishHook{mr: mr, times: tc.times}
			rdb.AddHook(h)
			token, done, err := redisdedup.New(rdb).Claim(context.Background(), testID, testTTL)
			if err != nil || done || (token != "") != tc.won {
				t.Fatalf("Claim = %q, %t, %v; want won %t", token, done, err, tc.won)
			}
			if got := h.sets.Load(); got != tc.sets {
				t.Errorf("Claim sent %d SETs; want %d", got, tc.sets)
			}
			if mr.Exists(testKey) != tc.keyAfter {
				t.Errorf("key exists = %t; want %t", !tc.keyAfter, tc.keyAfter)
			}
		})
	}
}

// Claims racing on one id: exactly one wins, whatever the client.
func TestClaimConcurrent(t *testing.T) {
	t.Parallel()
	mr, rdb := newRedis(t)
	stores := []*redisdedup.Store{redisdedup.New(rdb), redisdedup.New(rdb)}
	other := newClient(mr.Addr())
	t.Cleanup(func() { _ = other.Close() })
	stores = append(stores, redisdedup.New(other))

	const claimers = 60
	var wg sync.WaitGroup
	var won, lost atomic.Int32
	start := make(chan struct{})
	for i := range claimers {
		wg.Go(func() {
			<-start
			token, done, err := stores[i%len(stores)].Claim(context.Background(), testID, testTTL)
			switch {
			case err != nil:
				t.Error(err)
			case token != "":
				won.Add(1)
			case !done:
				lost.Add(1)
			default:
				t.Error("a claim found the delivery done")
			}
		})
	}
	close(start)
	wg.Wait()
	if won.Load() != 1 || lost.Load() != claimers-1 {
		t.Fatalf("%d claims won, %d lost; want 1 and %d", won.Load(), lost.Load(), claimers-1)
	}
}

func TestNewNilClientPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "nil client") {
			t.Fatalf("panic = %v; want one about the nil client", p)
		}
	}()
	redisdedup.New(nil)
}
