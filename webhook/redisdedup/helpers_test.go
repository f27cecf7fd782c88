package redisdedup_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// testSecret authenticates the test deliveries.
const testSecret = "redisdedup-test-secret-9Vq2Lk7Xw4"

// newRedis starts a miniredis for one test and a client on it, both closed
// when the test ends.
func newRedis(t *testing.T) (*miniredis.Miniredis, *redis.Client) {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := newClient(mr.Addr())
	t.Cleanup(func() { _ = rdb.Close() })
	return mr, rdb
}

// newClient returns a client on addr that fails fast once the server is
// gone.
func newClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second,
		DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
}

// deliveryBody is delivery n's body.
func deliveryBody(n int) string {
	return fmt.Sprintf(`{"event": "SESSION:STATUS_CHANGE", "session_key": "ABC-1234567890", "status": "STARTED", "n": %d}`, n)
}

// deliver POSTs body to h as PAVE would, and returns the status and the
// Retry-After header.
func deliver(ctx context.Context, h http.Handler, body string) (int, string) {
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/pave/webhooks", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testSecret)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Header().Get("Retry-After")
}

// dispatches counts the deliveries a Handler was called with, by body.
type dispatches struct {
	mu sync.Mutex
	n  map[string]int
}

func newDispatches() *dispatches { return &dispatches{n: map[string]int{}} }

func (d *dispatches) add(body []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n[string(body)]++
}

func (d *dispatches) count(body string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n[body]
}

// totals returns how many bodies were dispatched and how many times in all.
func (d *dispatches) totals() (bodies, calls int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, n := range d.n {
		calls += n
	}
	return len(d.n), calls
}

// logCounter is a slog.Handler counting the handler's records by message.
type logCounter struct {
	mu *sync.Mutex
	n  map[string]int
}

func newLogCounter() *logCounter { return &logCounter{mu: &sync.Mutex{}, n: map[string]int{}} }

func (c *logCounter) Enabled(context.Context, slog.Level) bool { return true }

func (c *logCounter) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[r.Message]++
	return nil
}

func (c *logCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *logCounter) WithGroup(string) slog.Handler      { return c }

func (c *logCounter) count(msg string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[msg]
}

func slogLogger(c *logCounter) *slog.Logger { return slog.New(c) }
