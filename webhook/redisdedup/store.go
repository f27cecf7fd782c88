package redisdedup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pave-go/pave/webhook"
)

// DefaultPrefix begins every key the Store writes unless WithPrefix gives
// another.
const DefaultPrefix = "pave:webhook:dedup:"

// The values a key holds.
const (
	pendingPrefix = "pending:" // followed by the claim's token
	doneValue     = "done"
)

// claimAttempts bounds Claim's tries when the key vanishes between its SET
// and its GET (the claim holding it was released or expired).
const claimAttempts = 3

// markDone remembers a delivery as handled for ARGV[2] milliseconds, if
// KEYS[1] still holds the claim ARGV[1].
var markDone = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	redis.call("SET", KEYS[1], "done", "PX", ARGV[2])
	return 1
end
return 0
`)

// release deletes KEYS[1] if it still holds the claim ARGV[1]: a release
// that only deletes its own claim.
var release = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0
`)

// errForeignValue reports a key holding neither a claim nor "done". The
// value itself is left out: it is not this package's to show.
var errForeignValue = errors.New("the key holds a value this package did not write (is the prefix shared?)")

// Store is a webhook.Store on Redis, shared by every process using the same
// Redis and prefix. It is safe for concurrent use.
type Store struct {
	client redis.UniversalClient
	prefix string
}

var _ webhook.Store = (*Store)(nil)

// Option configures New.
type Option func(*Store)

// WithPrefix sets the prefix of the Store's keys (default DefaultPrefix):
// give receivers that must not suppress each other's deliveries, such as
// two environments on one Redis, prefixes of their own.
func WithPrefix(prefix string) Option {
	return func(s *Store) { s.prefix = prefix }
}

// New returns a Store on client, which may be a *redis.Client, a
// *redis.ClusterClient, a failover client or a *redis.Ring. The caller
// owns the client: the Store never closes it, so close it after the last
// request that uses the Store has ended. New panics if client is nil.
func New(client redis.UniversalClient, opts ...Option) *Store {
	if client == nil {
		panic("redisdedup: New: nil client")
	}
	s := &Store{client: client, prefix: DefaultPrefix}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// Claim implements webhook.Store: SET key "pending:<token>" NX PX ttl, and
// when another claim holds the key, GET it to tell "done" from in
// progress. If the key vanishes between the two a few times running (the
// claims holding it keep being released), Claim reports the delivery in
// progress, and the handler asks again. A ttl that is not positive is an
// error: a claim without expiry would block the delivery for good if its
// process died.
func (s *Store) Claim(ctx context.Context, id string, ttl time.Duration) (token string, done bool, err error) {
	if ttl <= 0 {
		return "", false, fmt.Errorf("redisdedup: claim: ttl %s is not positive", ttl)
	}
	key := s.prefix + id
	token = newToken()
	for range claimAttempts {
		err := s.client.Do(ctx, "set", key, pendingPrefix+token, "nx", "px", milliseconds(ttl)).Err()
		switch {
		case err == nil:
			return token, false, nil
		case !errors.Is(err, redis.Nil):
			return "", false, fmt.Errorf("redisdedup: claim: %w", err)
		}
		// Another claim holds the key.
		v, err := s.client.Get(ctx, key).Result()
		switch {
		case errors.Is(err, redis.Nil):
			continue // released or expired since the SET: try again
		case err != nil:
			return "", false, fmt.Errorf("redisdedup: claim: %w", err)
		case v == doneValue:
			return "", true, nil
		case strings.HasPrefix(v, pendingPrefix):
			return "", false, nil
		default:
			return "", false, fmt.Errorf("redisdedup: claim: %w", errForeignValue)
		}
	}
	return "", false, nil
}

// Settle implements webhook.Store with a Lua script that changes the key
// only while it holds token's claim: handled, it becomes "done" for window
// (a window that is not positive forgets the delivery at once, as the
// claim is released); not handled, it is deleted. Settling a claim that
// expired, or was already settled, changes nothing and is not an error.
func (s *Store) Settle(ctx context.Context, id, token string, handled bool, window time.Duration) error {
	keys := []string{s.prefix + id}
	var err error
	if handled && window > 0 {
		err = markDone.Run(ctx, s.client, keys, pendingPrefix+token, milliseconds(window)).Err()
	} else {
		err = release.Run(ctx, s.client, keys, pendingPrefix+token).Err()
	}
	if err != nil {
		return fmt.Errorf("redisdedup: settle: %w", err)
	}
	return nil
}

// milliseconds is d in whole milliseconds, rounded up so that a positive d
// never becomes 0 (which Redis rejects).
func milliseconds(d time.Duration) int64 {
	ms := int64(d / time.Millisecond)
	if d%time.Millisecond != 0 {
		ms++
	}
	return ms
}

// newToken returns a claim token: 16 random bytes, in hex.
func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}
