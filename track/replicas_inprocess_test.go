package track_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/track"
)

// TestReplicasShareTheWork runs two ledgers on one store: each completion
// is handled once, by one of them, never by both at once.
func TestReplicasShareTheWork(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{kind: kind, accounts: 2})
			other, err := track.New(track.Config{Store: e.store, Accounts: e.clients, OnComplete: e.done.handle,
				Clock: e.srv.Now, Owner: "other", ScanInterval: 20 * time.Millisecond, Lease: 3 * time.Second})
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() { _ = other.Run(ctx); close(stopped) }()
			t.Cleanup(func() { cancel(); <-stopped })
			const n = 30
			for i := range n {
				e.createAndComplete(e.names[i%2], fmt.Sprintf("lead-%d", i))
			}
			require.Eventually(t, func() bool {
				s, err := e.ledger.Summary(context.Background())
				return err == nil && s.Phases[track.PhaseDone] == n
			}, 20*time.Second, 10*time.Millisecond)
			ids := map[string]int{}
			for _, c := range e.done.list() {
				ids[c.ID]++
			}
			assert.Len(t, ids, n)
			for id, k := range ids {
				assert.Equal(t, 1, k, id)
			}
			assert.Zero(t, e.done.overlap)
			assert.Positive(t, e.ledger.Stats().Handled+other.Stats().Handled)
		})
	}
}

// TestLeaseHeldElsewhereIsRespected: a record another replica holds is
// left alone until its lease runs out, then taken over.
func TestLeaseHeldElsewhereIsRespected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noRun: true})
	held := e.createAndComplete("dealer1", "held")
	e.createAndComplete("dealer1", "free")
	_, err := e.store.DB().Exec(rebind(e.store, `UPDATE track_records SET lease_owner = 'crashed#1', lease_until = $1
WHERE session_key = $2`), time.Now().Add(time.Hour).UnixMilli(), held.SessionKey)
	require.NoError(t, err)
	e.run()
	e.waitPhase(track.Key{Ref: "free"}, track.PhaseDone)
	require.Eventually(t, func() bool {
		s, err := e.ledger.Summary(context.Background())
		return err == nil && s.InboxPending == 0
	}, 20*time.Second, 5*time.Millisecond)
	r := e.show(track.Key{Ref: "held"})
	assert.Equal(t, track.PhaseResults, r.Phase, "deliveries still apply; the work waits for the lease")
	assert.Equal(t, pave.StatusComplete, r.Status)
	assert.Len(t, e.done.list(), 1)
	_, err = e.store.DB().Exec(rebind(e.store, `UPDATE track_records SET lease_until = 1 WHERE session_key = $1`),
		held.SessionKey)
	require.NoError(t, err)
	e.waitPhase(track.Key{Ref: "held"}, track.PhaseDone)
}
