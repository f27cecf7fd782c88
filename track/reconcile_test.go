package track_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/track"
)

func TestCompletionByWebhook(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{kind: kind})
			rec := e.createAndComplete("dealer1", "lead-1")
			k := track.Key{Account: "dealer1", Ref: "lead-1"}
			done := e.waitPhase(k, track.PhaseDone)
			assert.Equal(t, pave.StatusComplete, done.Status)
			assert.Equal(t, "webhook", done.LearnedBy)
			assert.True(t, done.HasResults)
			assert.Equal(t, 1, done.Calls, "one results request, no poll")
			assert.False(t, done.DoneAt.IsZero())

			calls := e.done.list()
			require.Len(t, calls, 1)
			c := calls[0]
			assert.Equal(t, rec.ID(), c.ID)
			assert.Equal(t, "lead-1", c.Ref)
			assert.Equal(t, pave.SourceAPI, c.Source)
			assert.Equal(t, 1, c.Attempt)
			require.NotNil(t, c.Results)
			assert.Equal(t, rec.SessionKey, c.Results.Session.SessionKey)
			assert.NotEmpty(t, c.Results.Raw())

			assert.Zero(t, e.gets("/v1/sessions/"+rec.SessionKey), "no poll")
			assert.Equal(t, 1, e.gets("/results"))
			st := e.ledger.Stats()
			assert.Equal(t, int64(1), st.ByWebhook)
			assert.Equal(t, int64(1), st.Handled)
			assert.InDelta(t, 1.0, st.CallsPerCompletion(), 0.001)
			sum, err := e.ledger.Summary(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 1, sum.ByWebhook)
			assert.Equal(t, 1, sum.Phases[track.PhaseDone])
			assert.InDelta(t, 1.0, sum.CallsPerCompletion, 0.001)
		})
	}
}

func TestCompletionByPoll(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{kind: kind, noWebhooks: true})
			rec := e.createAndComplete("dealer1", "lead-1")
			k := track.Key{Ref: "lead-1"}
			assert.Equal(t, track.PhaseTracking, e.show(k).Phase, "nothing is due before the first poll")
			e.srv.AdvanceClock(2 * time.Minute) // past MinBackoff and its jitter
			done := e.waitPhase(k, track.PhaseDone)
			assert.Equal(t, "poll", done.LearnedBy)
			assert.Equal(t, 2, done.Calls, "one poll, one results request")
			assert.Equal(t, 1, e.gets("/v1/sessions/"+rec.SessionKey))
			require.Len(t, e.done.list(), 1)
			assert.Equal(t, int64(1), e.ledger.Stats().ByPoll)
		})
	}
}

func TestPollBacksOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWebhooks: true})
	rec, err := e.ledger.Create(context.Background(), "dealer1", "lead-1", request())
	require.NoError(t, err)
	k := track.Key{Ref: "lead-1"}
	gap := func(r *track.Record) time.Duration { return r.NextAt.Sub(r.UpdatedAt) }
	first := e.show(k)
	assert.InDelta(t, float64(time.Minute), float64(gap(first)), float64(12*time.Second), "1 minute, jittered")
	want := []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 30 * time.Minute,
		30 * time.Minute}
	for i, w := range want {
		e.srv.AdvanceClock(gap(e.show(k)) + time.Second)
		require.Eventually(t, func() bool { return e.show(k).Attempts == i+1 }, 10*time.Second, 5*time.Millisecond)
		r := e.show(k)
		assert.InDelta(t, float64(w), float64(gap(r)), float64(w)/5+float64(time.Second), "poll %d", i+1)
		assert.Equal(t, track.PhaseTracking, r.Phase)
	}
	assert.Equal(t, len(want), e.gets("/v1/sessions/"+rec.SessionKey))
}

func TestStatusOnlyMovesForward(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWebhooks: true})
	rec, err := e.ledger.Create(context.Background(), "dealer1", "lead-1", request())
	require.NoError(t, err)
	k := track.Key{Ref: "lead-1"}
	status := func(s string) string {
		return fmt.Sprintf(`{"event":"SESSION:STATUS_CHANGE","session_key":%q,"status":%q}`, rec.SessionKey, s)
	}
	require.Equal(t, http.StatusNoContent, e.deliver("dealer1", status("QC_PASSED")))
	require.Eventually(t, func() bool { return e.show(k).Status == pave.StatusQCPassed },
		10*time.Second, 5*time.Millisecond)
	require.Equal(t, http.StatusNoContent, e.deliver("dealer1", status("STARTED")))
	require.Equal(t, http.StatusNoContent, e.deliver("dealer1", status("SOMETHING_NEW")))
	require.Eventually(t, func() bool {
		s, err := e.ledger.Summary(context.Background())
		return err == nil && s.InboxPending == 0 && s.Inbox == 3
	}, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, pave.StatusQCPassed, e.show(k).Status, "a late STARTED and an unknown status change nothing")

	require.NoError(t, e.srv.Complete(rec.SessionKey))
	require.Equal(t, http.StatusNoContent, e.deliver("dealer1", status("COMPLETE")))
	e.waitPhase(k, track.PhaseDone)
	require.Equal(t, http.StatusNoContent, e.deliver("dealer1", status("STARTED")))
	require.Equal(t, http.StatusNoContent, e.deliver("dealer1", status("EXPIRED")))
	require.Eventually(t, func() bool {
		s, err := e.ledger.Summary(context.Background())
		return err == nil && s.InboxPending == 0
	}, 10*time.Second, 5*time.Millisecond)
	r := e.show(k)
	assert.Equal(t, track.PhaseDone, r.Phase)
	assert.Equal(t, pave.StatusComplete, r.Status, "COMPLETE is final: EXPIRED after it changes nothing")
	assert.Len(t, e.done.list(), 1)
}

func TestEndedSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	for _, tc := range []struct {
		ref  string
		end  func(key string) error
		want pave.SessionStatus
	}{
		{"expires", e.srv.Expire, pave.StatusExpired},
		{"invalid", e.srv.Invalidate, pave.StatusInvalid},
	} {
		rec, err := e.ledger.Create(ctx, "dealer1", tc.ref, request())
		require.NoError(t, err)
		require.NoError(t, tc.end(rec.SessionKey))
		r := e.waitPhase(track.Key{Ref: tc.ref}, track.PhaseEnded)
		assert.Equal(t, tc.want, r.Status)
		assert.True(t, r.NextAt.IsZero(), "an ended session is not polled")
	}
	assert.Empty(t, e.done.list())
}

func TestSessionUnknownToPAVEEnds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWebhooks: true})
	rec, err := e.ledger.Create(context.Background(), "dealer1", "lead-1", request())
	require.NoError(t, err)
	require.NoError(t, e.clients["dealer1"].Sessions.Delete(context.Background(), rec.SessionKey))
	e.srv.AdvanceClock(2 * time.Minute)
	r := e.waitPhase(track.Key{Ref: "lead-1"}, track.PhaseEnded)
	assert.Contains(t, r.LastError, "no longer knows")
}

func TestHandlerRetriedUntilNil(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{kind: kind})
			n := 0
			e.done.fail = func(*track.Completion) error {
				if n++; n == 1 {
					return errors.New("the CRM's database is down")
				}
				if n == 2 {
					panic("a bug")
				}
				return nil
			}
			e.createAndComplete("dealer1", "lead-1")
			k := track.Key{Ref: "lead-1"}
			require.Eventually(t, func() bool { return e.show(k).Attempts == 1 }, 10*time.Second, 5*time.Millisecond)
			r := e.show(k)
			assert.Equal(t, track.PhaseHandling, r.Phase)
			assert.Equal(t, "the CRM's database is down", r.LastError)
			failed, err := e.ledger.List(context.Background(), track.ListOptions{Filter: track.Failed})
			require.NoError(t, err)
			assert.Len(t, failed, 1, "a failing handler is listed as failed")
			e.srv.AdvanceClock(2 * time.Minute)
			require.Eventually(t, func() bool { return e.show(k).Attempts == 2 }, 10*time.Second, 5*time.Millisecond)
			assert.Contains(t, e.show(k).LastError, "panicked (string)")
			assert.NotContains(t, e.logs.String(), "a bug", "a panic's value is not logged")
			e.srv.AdvanceClock(3 * time.Minute)
			e.waitPhase(k, track.PhaseDone)
			calls := e.done.list()
			require.Len(t, calls, 3)
			for i, c := range calls {
				assert.Equal(t, calls[0].ID, c.ID)
				assert.Equal(t, i+1, c.Attempt)
			}
			assert.Zero(t, e.done.overlap)
			assert.Equal(t, int64(2), e.ledger.Stats().HandlerRetries)
			assert.Equal(t, 1, e.gets("/results"), "results are fetched once, whatever the handler does")
		})
	}
}

func TestHandlerGivesUpThenRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{config: func(c *track.Config) { c.MaxHandlerAttempts = 2; c.MinBackoff = time.Millisecond }})
	fail := true
	e.done.fail = func(*track.Completion) error {
		if fail {
			return errors.New("no")
		}
		return nil
	}
	e.createAndComplete("dealer1", "lead-1")
	k := track.Key{Ref: "lead-1"}
	r := e.waitPhase(k, track.PhaseFailed)
	assert.Equal(t, 2, r.Attempts)
	assert.True(t, r.NextAt.IsZero(), "a failed record waits for an operator")
	e.done.mu.Lock()
	fail = false
	e.done.mu.Unlock()
	r, err := e.ledger.Retry(context.Background(), k)
	require.NoError(t, err)
	assert.Equal(t, track.PhaseHandling, r.Phase)
	e.waitPhase(k, track.PhaseDone)
	assert.Len(t, e.done.list(), 3)
	_, err = e.ledger.Retry(context.Background(), k)
	require.NoError(t, err, "Retry runs OnComplete again for a done record")
	require.Eventually(t, func() bool { return len(e.done.list()) == 4 }, 10*time.Second, 5*time.Millisecond)
	e.waitPhase(k, track.PhaseDone)
}

func TestResultsNotYetReleased(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.srv.Inject(pavetest.Fault{Method: "GET", Path: "/v1/sessions/*/results", Status: http.StatusOK,
		Body: `{"message":"Session is not yet completed."}`, Times: 1})
	e.createAndComplete("dealer1", "lead-1")
	k := track.Key{Ref: "lead-1"}
	require.Eventually(t, func() bool { return e.show(k).Attempts == 1 }, 10*time.Second, 5*time.Millisecond)
	r := e.show(k)
	assert.Equal(t, track.PhaseResults, r.Phase)
	assert.Equal(t, "results not released yet", r.LastError)
	e.srv.AdvanceClock(2 * time.Minute)
	r = e.waitPhase(k, track.PhaseDone)
	assert.Equal(t, 2, r.Calls)
	assert.Len(t, e.done.list(), 1)
}

func TestRateLimitPausesTheAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWebhooks: true, client: []pave.Option{pave.WithMaxRetries(0)}})
	rec := e.createAndComplete("dealer1", "lead-1")
	e.srv.Inject(pavetest.Fault{Method: "GET", Path: "/v1/sessions/" + rec.SessionKey, Status: http.StatusTooManyRequests,
		RetryAfter: 7 * time.Minute, Times: 1})
	k := track.Key{Ref: "lead-1"}
	e.srv.AdvanceClock(2 * time.Minute)
	require.Eventually(t, func() bool { return e.ledger.Stats().RateLimited == 1 }, 10*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool { return e.show(k).LastError != "" }, 10*time.Second, 5*time.Millisecond)
	r := e.show(k)
	assert.Contains(t, r.LastError, "429")
	assert.InDelta(t, float64(7*time.Minute), float64(r.NextAt.Sub(r.UpdatedAt)), float64(time.Second),
		"the next attempt waits for Retry-After")
	assert.Zero(t, r.Attempts, "a 429 is not a failure of the session")
}

func TestBudgetPutsPollsOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWebhooks: true, config: func(c *track.Config) { c.Budget = 1 }})
	ctx := context.Background()
	for _, ref := range []string{"a", "b"} {
		_, err := e.ledger.Create(ctx, "dealer1", ref, request())
		require.NoError(t, err)
	}
	e.srv.AdvanceClock(2 * time.Minute)
	require.Eventually(t, func() bool {
		a, b := e.show(track.Key{Ref: "a"}), e.show(track.Key{Ref: "b"})
		return a.Attempts+b.Attempts == 1 && a.LastError+b.LastError != ""
	}, 10*time.Second, 5*time.Millisecond)
	a, b := e.show(track.Key{Ref: "a"}), e.show(track.Key{Ref: "b"})
	assert.Contains(t, a.LastError+b.LastError, "budget")
	assert.Equal(t, 1, e.gets("/v1/sessions/"+a.SessionKey)+e.gets("/v1/sessions/"+b.SessionKey))
}

func TestRunStopsWithWorkInFlight(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWebhooks: true})
	rec, err := e.ledger.Create(context.Background(), "dealer1", "lead-1", request())
	require.NoError(t, err)
	e.srv.Inject(pavetest.Fault{Method: "GET", Path: "/v1/sessions/" + rec.SessionKey, Delay: time.Minute})
	e.srv.AdvanceClock(2 * time.Minute)
	require.Eventually(t, func() bool { return e.gets("/v1/sessions/"+rec.SessionKey) == 1 },
		10*time.Second, 5*time.Millisecond)
	stopped := make(chan struct{})
	go func() {
		e.stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	r := e.show(track.Key{Ref: "lead-1"})
	assert.Zero(t, r.Attempts, "a poll cut short by shutdown is not a failure")
	assert.Empty(t, r.LastError)
}

// TestPollsAreABackstopWhileDeliveriesArrive: once an account's deliveries
// arrive, its sessions are polled only every MaxBackoff, in case one is
// lost; a lost COMPLETE is then found by that poll.
func TestPollsAreABackstopWhileDeliveriesArrive(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	gap := func(r *track.Record) time.Duration { return r.NextAt.Sub(r.UpdatedAt) }
	first, err := e.ledger.Create(ctx, "dealer1", "first", request())
	require.NoError(t, err)
	assert.InDelta(t, float64(time.Minute), float64(gap(e.show(track.Key{Ref: "first"}))), float64(12*time.Second),
		"no delivery seen yet: polls start at MinBackoff")
	require.NoError(t, e.srv.StartCapture(first.SessionKey))
	var r *track.Record
	require.Eventually(t, func() bool { r = e.show(track.Key{Ref: "first"}); return r.Status == pave.StatusStarted },
		10*time.Second, 5*time.Millisecond)
	assert.InDelta(t, float64(30*time.Minute), float64(gap(r)), float64(6*time.Minute), "a delivery pushes the poll back")

	second, err := e.ledger.Create(ctx, "dealer1", "second", request())
	require.NoError(t, err)
	assert.InDelta(t, float64(30*time.Minute), float64(gap(e.show(track.Key{Ref: "second"}))), float64(6*time.Minute),
		"the account's deliveries arrive: a new session's first poll waits MaxBackoff")

	require.NoError(t, e.srv.SetChaos(pavetest.Chaos{Drop: 1})) // every delivery lost
	require.NoError(t, e.srv.Complete(second.SessionKey))
	e.srv.AdvanceClock(37 * time.Minute)
	done := e.waitPhase(track.Key{Ref: "second"}, track.PhaseDone)
	assert.Equal(t, "poll", done.LearnedBy)
	assert.Equal(t, 1, e.gets("/v1/sessions/"+second.SessionKey), "one poll found the lost completion")
}
