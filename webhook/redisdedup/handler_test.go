package redisdedup_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pave-go/pave/webhook"
	"github.com/pave-go/pave/webhook/redisdedup"
)

// replicas builds n handlers as n replicas of a receiver would, each on
// stores[i%len(stores)], all calling handle.
func replicas(t *testing.T, n int, stores []webhook.Store, logger *logCounter,
	handle func(context.Context, *webhook.Event) error) []http.Handler {
	t.Helper()
	hs := make([]http.Handler, n)
	for i := range hs {
		cfg := webhook.Config{
			Secrets:     []string{testSecret},
			DedupWindow: 10 * time.Minute,
			DedupStore:  stores[i%len(stores)],
			Handler:     handle,
		}
		if logger != nil {
			cfg.Logger = slogLogger(logger)
		}
		h, err := webhook.NewHandler(cfg)
		if err != nil {
			t.Fatal(err)
		}
		hs[i] = h
	}
	return hs
}

// sendToAll delivers body to every handler at once and returns their
// statuses.
func sendToAll(ctx context.Context, hs []http.Handler, body string) []int {
	statuses := make([]int, len(hs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, h := range hs {
		wg.Go(func() {
			<-start
			statuses[i], _ = deliver(ctx, h, body)
		})
	}
	close(start)
	wg.Wait()
	return statuses
}

// Two replicas receive every delivery at the same time: each is dispatched
// once, and both answer 204.
func TestReplicasDispatchOnce(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		stores int // 1: the replicas share one Store; 2: each has its own client
	}{
		{"one shared Store", 1},
		{"a Store and client per replica", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mr, rdb := newRedis(t)
			stores := []webhook.Store{redisdedup.New(rdb)}
			if tc.stores == 2 {
				other := newClient(mr.Addr())
				t.Cleanup(func() { _ = other.Close() })
				stores = append(stores, redisdedup.New(other))
			}
			got := newDispatches()
			logs := newLogCounter()
			hs := replicas(t, 2, stores, logs, func(_ context.Context, ev *webhook.Event) error {
				got.add(ev.Body)
				time.Sleep(time.Millisecond) // long enough for the duplicate to find it in progress
				return nil
			})
			const deliveries = 100
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for n := range deliveries {
				body := deliveryBody(n)
				for i, status := range sendToAll(ctx, hs, body) {
					if status != http.StatusNoContent {
						t.Errorf("delivery %d: replica %d answered %d; want 204", n, i, status)
					}
				}
				if c := got.count(body); c != 1 {
					t.Errorf("delivery %d dispatched %d times; want 1", n, c)
				}
			}
			if acked := logs.count("pave webhook: duplicate acknowledged"); acked != deliveries {
				t.Errorf("%d duplicates acknowledged; want %d", acked, deliveries)
			}
			if keys := len(mr.Keys()); keys != deliveries {
				t.Errorf("%d keys; want one per delivery, %d", keys, deliveries)
			}
			// PAVE's retry minutes later is still a duplicate, on either replica.
			mr.FastForward(5 * time.Minute)
			for i, h := range hs {
				if status, _ := deliver(ctx, h, deliveryBody(0)); status != http.StatusNoContent {
					t.Errorf("late duplicate on replica %d answered %d", i, status)
				}
			}
			if c := got.count(deliveryBody(0)); c != 1 {
				t.Errorf("late duplicates dispatched: %d dispatches", c)
			}
		})
	}
}

// A delivery whose dispatch failed is handled again on PAVE's next attempt,
// by whichever replica receives it, and is a duplicate once that succeeds.
func TestFailedDispatchIsHandledAgain(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	got := newDispatches()
	var mu sync.Mutex
	failures := 1
	hs := replicas(t, 2, []webhook.Store{redisdedup.New(rdb)}, nil, func(_ context.Context, ev *webhook.Event) error {
		got.add(ev.Body)
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			return errors.New("CRM database unavailable")
		}
		return nil
	})
	ctx := context.Background()
	body := deliveryBody(7)
	for i, want := range []struct {
		replica, status, dispatches int
	}{
		{0, http.StatusInternalServerError, 1}, // the first attempt fails
		{1, http.StatusNoContent, 2},           // the retry, on the other replica, is handled
		{0, http.StatusNoContent, 2},           // a later one is a duplicate
		{1, http.StatusNoContent, 2},
	} {
		if status, _ := deliver(ctx, hs[want.replica], body); status != want.status {
			t.Fatalf("attempt %d on replica %d answered %d; want %d", i, want.replica, status, want.status)
		}
		if c := got.count(body); c != want.dispatches {
			t.Fatalf("after attempt %d: %d dispatches; want %d", i, c, want.dispatches)
		}
	}
}

// claimSpy reports each Claim that found the delivery in progress.
type claimSpy struct {
	webhook.Store
	inProgress chan struct{}
}

func (s *claimSpy) Claim(ctx context.Context, id string, ttl time.Duration) (string, bool, error) {
	token, done, err := s.Store.Claim(ctx, id, ttl)
	if token == "" && !done && err == nil {
		select {
		case s.inProgress <- struct{}{}:
		default:
		}
	}
	return token, done, err
}

// A duplicate waiting on another replica's delivery is handled when that
// one fails.
func TestWaitingDuplicateHandledWhenFirstFails(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	store := redisdedup.New(rdb)
	spy := &claimSpy{Store: store, inProgress: make(chan struct{}, 1)}
	entered, fail := make(chan struct{}), make(chan struct{})
	got := newDispatches()
	first := true
	var mu sync.Mutex
	hs := replicas(t, 2, []webhook.Store{store, spy}, nil, func(_ context.Context, ev *webhook.Event) error {
		got.add(ev.Body)
		mu.Lock()
		isFirst := first
		first = false
		mu.Unlock()
		if isFirst {
			close(entered)
			<-fail
			return errors.New("CRM database unavailable")
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body := deliveryBody(8)
	statuses := make([]int, 2)
	var wg sync.WaitGroup
	wg.Go(func() { statuses[0], _ = deliver(ctx, hs[0], body) })
	<-entered
	wg.Go(func() { statuses[1], _ = deliver(ctx, hs[1], body) })
	select {
	case <-spy.inProgress: // the duplicate is waiting
	case <-ctx.Done():
		t.Fatal("the duplicate never found the delivery in progress")
	}
	close(fail)
	wg.Wait()
	if statuses[0] != http.StatusInternalServerError || statuses[1] != http.StatusNoContent {
		t.Fatalf("statuses %v; want [500 204]", statuses)
	}
	if c := got.count(body); c != 2 {
		t.Fatalf("%d dispatches; want 2 (the failed one and the duplicate)", c)
	}
}

// A duplicate whose request ends while the first is in progress is
// answered 503 with Retry-After, and nothing is dispatched twice.
func TestWaitingDuplicateGivesUp(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	store := redisdedup.New(rdb)
	entered, finish := make(chan struct{}), make(chan struct{})
	got := newDispatches()
	hs := replicas(t, 2, []webhook.Store{store}, nil, func(_ context.Context, ev *webhook.Event) error {
		got.add(ev.Body)
		close(entered)
		<-finish
		return nil
	})
	body := deliveryBody(9)
	var wg sync.WaitGroup
	var firstStatus int
	wg.Go(func() { firstStatus, _ = deliver(context.Background(), hs[0], body) })
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	status, retryAfter := deliver(ctx, hs[1], body)
	close(finish)
	wg.Wait()
	if status != http.StatusServiceUnavailable || retryAfter == "" {
		t.Fatalf("duplicate answered %d, Retry-After %q; want 503 with Retry-After", status, retryAfter)
	}
	if firstStatus != http.StatusNoContent || got.count(body) != 1 {
		t.Fatalf("first answered %d after %d dispatches; want 204 after 1", firstStatus, got.count(body))
	}
}

// Without Redis the handler answers 503 with Retry-After and dispatches
// nothing: neither answer would be safe.
func TestHandlerWithoutRedis(t *testing.T) {
	t.Parallel()
	mr, rdb := newRedis(t)
	mr.Close()
	got := newDispatches()
	logs := newLogCounter()
	hs := replicas(t, 1, []webhook.Store{redisdedup.New(rdb)}, logs, func(_ context.Context, ev *webhook.Event) error {
		got.add(ev.Body)
		return nil
	})
	status, retryAfter := deliver(context.Background(), hs[0], deliveryBody(10))
	if status != http.StatusServiceUnavailable || retryAfter == "" {
		t.Fatalf("answered %d, Retry-After %q; want 503 with Retry-After", status, retryAfter)
	}
	if _, calls := got.totals(); calls != 0 {
		t.Fatalf("%d dispatches without Redis", calls)
	}
	if logs.count("pave webhook: duplicate store unavailable") != 1 {
		t.Fatal("the handler did not log the store's failure")
	}
}
