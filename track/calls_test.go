package track_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/track"
)

// TestCallsPerInspection measures the tracking requests per completed
// inspection when every delivery arrives: 120 sessions of three dealers
// created over an hour of fake time (the first ones before any delivery
// shows the dealers' webhooks work, so polled from MinBackoff), their
// customers opening the link after a few minutes (80 %), up to 25 minutes
// (15 %) or an hour or more (5 %), photos over 4 minutes, and the
// inspection 10 minutes after them. Fake time moves a minute at a time;
// the ledger works after each.
func TestCallsPerInspection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{accounts: 3})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	type step struct {
		at  int // minute
		act func() error
	}
	var plan []step
	const sessions = 120
	for i := range sessions {
		created := i / 2
		var opens int
		switch r := rng.Float64(); {
		case r < 0.8:
			opens = rng.IntN(8)
		case r < 0.95:
			opens = 10 + rng.IntN(16)
		default:
			opens = 60 + rng.IntN(40)
		}
		account := e.names[i%3]
		var key string
		start := created + opens
		plan = append(plan, step{created, func() error {
			rec, err := e.ledger.Create(ctx, account, "lead-"+string(rune('A'+i/26))+string(rune('a'+i%26)), request())
			if err == nil {
				key = rec.SessionKey
			}
			return err
		}})
		plan = append(plan, step{start, func() error { return e.srv.StartCapture(key) }})
		for j, code := range pave.CaptureOrder() {
			plan = append(plan, step{start + j/3, func() error { return e.srv.CapturePhoto(key, code, true) }})
		}
		plan = append(plan, step{start + 14, func() error { return e.srv.Complete(key) }})
	}
	last := 0
	for _, s := range plan {
		last = max(last, s.at)
	}
	for minute := 0; minute <= last+1; minute++ {
		for _, s := range plan {
			if s.at == minute {
				require.NoError(t, s.act())
			}
		}
		e.quiet()
		e.srv.AdvanceClock(time.Minute)
	}
	require.Eventually(t, func() bool {
		s, err := e.ledger.Summary(ctx)
		return err == nil && s.Phases[track.PhaseDone] == sessions
	}, 20*time.Second, 10*time.Millisecond)
	polls, results := 0, e.gets("/results")
	for _, r := range e.srv.Requests() {
		if k, ok := strings.CutPrefix(r.Path, "/v1/sessions/"); ok && r.Method == "GET" && !strings.Contains(k, "/") {
			polls++
		}
	}
	perInspection := float64(polls+results) / sessions
	s, err := e.ledger.Summary(ctx)
	require.NoError(t, err)
	t.Logf("tracking requests per completed inspection, every delivery arriving: %.2f (%d polls, %d results; "+
		"ledger's count %.2f)", perInspection, polls, results, s.CallsPerCompletion)
	assert.LessOrEqual(t, perInspection, 1.2)

	assert.Equal(t, sessions, results, "results once per session")
	assert.Equal(t, sessions, s.ByWebhook)
}

// quiet waits until nothing is due by the fake's clock.
func (e *env) quiet() {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		var due int
		now := e.srv.Now().UnixMilli()
		err := e.store.DB().QueryRow(rebind(e.store, `SELECT
  (SELECT COUNT(*) FROM track_records WHERE next_at <= $1) + (SELECT COUNT(*) FROM track_inbox WHERE next_at <= $1)`),
			now).Scan(&due)
		return err == nil && due == 0
	}, 20*time.Second, 2*time.Millisecond)
}
