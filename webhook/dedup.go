package webhook

import (
	"container/list"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Store remembers deliveries for duplicate suppression (Config.DedupWindow),
// so that a delivery PAVE sends more than once is handled once, by one
// process among all that share the store. A delivery is identified by an
// id derived from its event name, its body and the name of the secret it
// carried (Event.Secret), so that identical bodies for two names are two
// deliveries.
//
// Implementations must be safe for concurrent use, and Claim must be
// atomic across every process sharing the store. The default keeps the
// deliveries in memory; package webhook/redisdedup shares them on Redis.
type Store interface {
	// Claim tries to claim delivery id. When no claim holds it, it claims
	// it for ttl (how long a claim whose process died blocks duplicates)
	// and returns a non-empty token: the caller must handle the delivery,
	// then Settle. Otherwise it returns "" and whether the earlier claim
	// already handled the delivery (done) or is still handling it.
	Claim(ctx context.Context, id string, ttl time.Duration) (token string, done bool, err error)
	// Settle ends the claim token holds on id: when handled, the delivery
	// is remembered as done for window; when not, the claim is released so
	// that PAVE's next attempt is handled. It changes only token's own
	// claim, never a newer one.
	Settle(ctx context.Context, id, token string, handled bool, window time.Duration) error
}

// ErrStoreFull is returned by the in-memory store's Claim when every
// delivery it remembers is still being handled: the handler answers 503
// with Retry-After, as forgetting one could dispatch its duplicate.
var ErrStoreFull = errors.New("webhook: duplicate memory is full of deliveries in progress")

// claimTTL is how long a claim lasts before its delivery is handled or
// failed: a process that dies mid-delivery blocks its duplicates no longer.
const claimTTL = 2 * time.Minute

// deduper suppresses duplicates for a handler.
type deduper struct {
	store  Store
	window time.Duration
}

// deliveryID identifies a delivery by its event name, its body and the
// name of its secret. A delivery checked against an unnamed secret keeps
// the id it had before secrets had names, so a shared store's entries stay
// valid across an upgrade. A named one is hashed after a prefix no unnamed
// one starts with: an event name holds no NUL, and a body no leading one.
func deliveryID(ev *Event) string {
	hs := sha256.New()
	if ev.Secret != "" {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(ev.Secret)))
		hs.Write([]byte("named\x00"))
		hs.Write(n[:])
		hs.Write([]byte(ev.Secret))
	}
	hs.Write([]byte(ev.Name))
	hs.Write([]byte{0})
	hs.Write(ev.Body)
	return hex.EncodeToString(hs.Sum(nil))
}

// serve handles ev at most once across the store: the first claim
// dispatches; a duplicate waits for the first's outcome, polling the store,
// and is acknowledged once it is done, or handled itself if it failed.
func (d *deduper) serve(w http.ResponseWriter, r *http.Request, ev *Event, h *handler) {
	ctx := r.Context()
	id := deliveryID(ev)
	wait := 5 * time.Millisecond
	for {
		token, done, err := d.store.Claim(ctx, id, claimTTL)
		switch {
		case err != nil:
			// Neither answer is safe without the store: ask PAVE to
			// come back.
			w.Header().Set("Retry-After", "1")
			reply(w, http.StatusServiceUnavailable)
			h.report(ctx, "store_failed", http.StatusServiceUnavailable, ev, slog.String("error", err.Error()))
			return
		case token != "":
			ok := false
			// Deferred so that even an aborting handler settles the claim.
			defer func() {
				// The request's context may be over; the claim must still
				// be settled.
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				if err := d.store.Settle(sctx, id, token, ok, d.window); err != nil {
					h.log(ctx, slog.LevelWarn, "pave webhook: settling the duplicate claim failed", 0, ev,
						slog.String("error", err.Error()))
				}
			}()
			ok = h.dispatch(w, r, ev)
			return
		case done:
			reply(w, http.StatusNoContent)
			h.report(ctx, "duplicate", http.StatusNoContent, ev)
			return
		}
		// The first copy is still being handled.
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			w.Header().Set("Retry-After", "1")
			reply(w, http.StatusServiceUnavailable)
			h.report(ctx, "duplicate_hangs", http.StatusServiceUnavailable, ev)
			return
		}
		wait = min(2*wait, 250*time.Millisecond)
	}
}

// memoryStore is the default Store: this process's memory, bounded in
// entries. Only handled entries are evicted for room: evicting one in
// progress would let its duplicate be dispatched beside it. A claim in
// progress never expires either: its process is this one, and alive.
type memoryStore struct {
	mu      sync.Mutex
	max     int
	now     func() time.Time
	entries map[string]*memoryEntry
	handled *list.List // of handled *memoryEntry, oldest first
}

type memoryEntry struct {
	id      string
	token   string
	until   time.Time     // end of the window, once handled
	element *list.Element // in handled, once handled
}

// NewMemoryStore returns the in-memory Store a Handler uses by default,
// remembering at most maxEntries deliveries (DefaultDedupEntries when 0)
// on the clock now (time.Now when nil). Keep it and give it to a handler
// you rebuild (Config.DedupStore), so that the rebuilt handler still knows
// the deliveries the old one handled.
func NewMemoryStore(maxEntries int, now func() time.Time) Store {
	if maxEntries <= 0 {
		maxEntries = DefaultDedupEntries
	}
	if now == nil {
		now = time.Now
	}
	return newMemoryStore(maxEntries, now)
}

func newMemoryStore(max int, now func() time.Time) *memoryStore {
	return &memoryStore{max: max, now: now, entries: map[string]*memoryEntry{}, handled: list.New()}
}

// Claim implements Store. The ttl is not needed: see memoryStore.
func (m *memoryStore) Claim(_ context.Context, id string, _ time.Duration) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.expire(now)
	if e, ok := m.entries[id]; ok {
		// Handled entries past their window were expired above.
		return "", e.element != nil, nil
	}
	if len(m.entries) >= m.max {
		front := m.handled.Front()
		if front == nil {
			return "", false, ErrStoreFull
		}
		m.remove(front.Value.(*memoryEntry))
	}
	e := &memoryEntry{id: id, token: newToken()}
	m.entries[id] = e
	return e.token, false, nil
}

// Settle implements Store.
func (m *memoryStore) Settle(_ context.Context, id, token string, handled bool, window time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[id]
	if !ok || e.token != token || e.element != nil {
		return nil // not this claim any more
	}
	if !handled {
		delete(m.entries, id)
		return nil
	}
	e.until = m.now().Add(window)
	e.element = m.handled.PushBack(e)
	return nil
}

// expire forgets the handled entries whose window has passed.
func (m *memoryStore) expire(now time.Time) {
	for el := m.handled.Front(); el != nil; el = m.handled.Front() {
		e := el.Value.(*memoryEntry)
		if now.Before(e.until) {
			return
		}
		m.remove(e)
	}
}

func (m *memoryStore) remove(e *memoryEntry) {
	if e.element != nil {
		m.handled.Remove(e.element)
	}
	delete(m.entries, e.id)
}

// newToken returns a random claim token.
func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
