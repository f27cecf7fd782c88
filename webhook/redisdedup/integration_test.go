package redisdedup_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pave-go/pave/webhook"
	"github.com/pave-go/pave/webhook/redisdedup"
)

// redisURLEnv names the real Redis the integration test runs against.
const redisURLEnv = "PAVE_TEST_REDIS_URL"

// realRedis connects to the Redis named by PAVE_TEST_REDIS_URL, or skips.
func realRedis(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv(redisURLEnv)
	if url == "" {
		t.Skip("set " + redisURLEnv + " (e.g. redis://127.0.0.1:6379/0) to run against a real redis-server")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("%s: %v", redisURLEnv, err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("%s: ping: %v", redisURLEnv, err)
	}
	return rdb
}

// scanKeys returns the keys under prefix.
func scanKeys(ctx context.Context, t *testing.T, rdb *redis.Client, prefix string) []string {
	t.Helper()
	var keys []string
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scan: %v", err)
	}
	return keys
}

// progressCounter counts the claims that found the delivery in progress.
type progressCounter struct {
	webhook.Store
	n *atomic.Int64
}

func (c *progressCounter) Claim(ctx context.Context, id string, ttl time.Duration) (string, bool, error) {
	token, done, err := c.Store.Claim(ctx, id, ttl)
	if token == "" && !done && err == nil {
		c.n.Add(1)
	}
	return token, done, err
}

// Two replicas, each with its own client, on one real Redis receive 1,000
// deliveries, each sent to both at the same time: each is dispatched once.
func TestIntegrationReplicasOnRealRedis(t *testing.T) {
	rdb := realRedis(t)
	opts, _ := redis.ParseURL(os.Getenv(redisURLEnv))
	other := redis.NewClient(opts)
	t.Cleanup(func() { _ = other.Close() })

	b := make([]byte, 8)
	_, _ = rand.Read(b)
	prefix := "pave:test:redisdedup:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if keys := scanKeys(ctx, t, rdb, prefix); len(keys) > 0 {
			if err := rdb.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("cleaning up: %v", err)
			}
		}
		if keys := scanKeys(ctx, t, rdb, prefix); len(keys) > 0 {
			t.Errorf("%d keys left under %s", len(keys), prefix)
		}
	})

	const window = 10 * time.Minute
	got := newDispatches()
	logs := newLogCounter()
	var inProgress atomic.Int64 // claims that found the delivery in progress
	hs := replicas(t, 2, []webhook.Store{
		&progressCounter{redisdedup.New(rdb, redisdedup.WithPrefix(prefix)), &inProgress},
		&progressCounter{redisdedup.New(other, redisdedup.WithPrefix(prefix)), &inProgress},
	}, logs, func(_ context.Context, ev *webhook.Event) error {
		got.add(ev.Body)
		time.Sleep(time.Millisecond) // long enough for the duplicate to find it in progress
		return nil
	})

	const deliveries, workers = 1000, 16
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var status204, status503, other5xx atomic.Int64
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for n := range next {
				for _, status := range sendToAll(ctx, hs, deliveryBody(n)) {
					switch status {
					case http.StatusNoContent:
						status204.Add(1)
					case http.StatusServiceUnavailable:
						status503.Add(1)
					default:
						other5xx.Add(1)
						t.Errorf("delivery %d answered %d", n, status)
					}
				}
			}
		})
	}
	for n := range deliveries {
		next <- n
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)

	bodies, calls := got.totals()
	acked := logs.count("pave webhook: duplicate acknowledged")
	gaveUp := logs.count("pave webhook: gave up waiting for a concurrent duplicate")
	t.Logf("deliveries %d (each to 2 replicas at once: %d requests), dispatches %d (distinct %d), "+
		"duplicates acknowledged %d, claims that found the delivery in progress %d, 204s %d, "+
		"503s %d (duplicates that gave up waiting %d), other %d, elapsed %s",
		deliveries, 2*deliveries, calls, bodies, acked, inProgress.Load(), status204.Load(), status503.Load(), gaveUp,
		other5xx.Load(), elapsed.Round(time.Millisecond))
	for n := range deliveries {
		if c := got.count(deliveryBody(n)); c != 1 {
			t.Errorf("delivery %d dispatched %d times; want 1", n, c)
		}
	}
	if calls != deliveries || bodies != deliveries {
		t.Errorf("%d dispatches of %d deliveries; want %d of %d", calls, bodies, deliveries, deliveries)
	}
	// A 503 is allowed only where a duplicate's request ended while waiting.
	if status503.Load() != int64(gaveUp) {
		t.Errorf("%d 503s but %d duplicates gave up waiting", status503.Load(), gaveUp)
	}
	if status204.Load()+status503.Load() != 2*deliveries || int(status204.Load()) != calls+acked {
		t.Errorf("answers: %d 204s (%d dispatched + %d duplicates), %d 503s; want %d answers",
			status204.Load(), calls, acked, status503.Load(), 2*deliveries)
	}

	// Every delivery is remembered as done for the window.
	keys := scanKeys(ctx, t, rdb, prefix)
	if len(keys) != deliveries {
		t.Fatalf("%d keys under the prefix; want %d", len(keys), deliveries)
	}
	for _, key := range keys[:10] {
		v, err := rdb.Get(ctx, key).Result()
		ttl := rdb.PTTL(ctx, key).Val()
		if err != nil || v != "done" || ttl <= window-time.Minute || ttl > window {
			t.Errorf("%s = %q (%v), TTL %s; want done for about %s", key, v, err, ttl, window)
		}
	}
}
