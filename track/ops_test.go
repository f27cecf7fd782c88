package track_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/track"
)

// ambiguous makes ref's create ambiguous (a 503 hides PAVE's answer).
func (e *env) ambiguous(account, ref string) {
	e.t.Helper()
	e.srv.Inject(pavetest.Fault{Method: "POST", Path: "/v1/sessions", Status: http.StatusServiceUnavailable, Times: 1})
	_, err := e.ledger.Create(context.Background(), account, ref, request())
	require.ErrorIs(e.t, err, track.ErrAmbiguous)
}

func TestResolve(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	e.ambiguous("dealer1", "lead-1")
	k := track.Key{Ref: "lead-1"}

	other, err := e.clients["dealer1"].Sessions.Create(ctx,
		&pave.CreateSessionRequest{Options: &pave.SessionOptions{ClientID: "lead-2"}})
	require.NoError(t, err)
	_, err = e.ledger.Resolve(ctx, k, other.SessionKey)
	require.ErrorIs(t, err, track.ErrState, "a session carrying another reference is refused")
	assert.Contains(t, err.Error(), `"lead-2"`)
	_, err = e.ledger.Resolve(ctx, k, "ZZZ-0000000000")
	require.ErrorIs(t, err, pave.ErrNotFound)

	mine, err := e.clients["dealer1"].Sessions.Create(ctx, request()) // found by an operator; no client_id
	require.NoError(t, err)
	r, err := e.ledger.Resolve(ctx, k, mine.SessionKey)
	require.NoError(t, err)
	assert.Equal(t, track.PhaseTracking, r.Phase)
	assert.Equal(t, mine.SessionKey, r.SessionKey)
	_, err = e.ledger.Resolve(ctx, k, mine.SessionKey)
	require.ErrorIs(t, err, track.ErrState, "only an ambiguous create is resolved")
	require.NoError(t, e.srv.Complete(mine.SessionKey))
	e.waitPhase(k, track.PhaseDone)
	assert.Equal(t, "lead-1", e.done.list()[0].Ref)
}

func TestAbandon(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noRun: true})
	ctx := context.Background()
	e.ambiguous("dealer1", "lead-1")
	require.NoError(t, e.ledger.Abandon(ctx, track.Key{Account: "dealer1", Ref: "lead-1"}))
	r, err := e.ledger.Create(ctx, "dealer1", "lead-1", request())
	require.NoError(t, err, "an abandoned reference may be created again")
	assert.Equal(t, 2, e.posts())
	err = e.ledger.Abandon(ctx, track.Key{Ref: "lead-1"})
	require.ErrorIs(t, err, track.ErrState, "a bound reference is not abandoned")
	require.ErrorIs(t, e.ledger.Abandon(ctx, track.Key{SessionKey: r.SessionKey}), track.ErrInvalid)
	require.ErrorIs(t, e.ledger.Abandon(ctx, track.Key{Ref: "nope"}), track.ErrNotFound)
	assert.Contains(t, e.logs.String(), "abandoned by an operator")
}

func TestListShowRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{accounts: 2, noWebhooks: true, noRun: true})
	ctx := context.Background()
	tracked, err := e.ledger.Create(ctx, "dealer1", "lead-1", request())
	require.NoError(t, err)
	_, err = e.ledger.Create(ctx, "dealer2", "lead-1", request())
	require.NoError(t, err)
	e.ambiguous("dealer2", "lead-2")

	for _, tc := range []struct {
		o    track.ListOptions
		want []string
	}{
		{track.ListOptions{}, []string{"dealer2/lead-2", "dealer2/lead-1", "dealer1/lead-1"}},
		{track.ListOptions{Filter: track.Pending}, []string{"dealer2/lead-1", "dealer1/lead-1"}},
		{track.ListOptions{Filter: track.Ambiguous}, []string{"dealer2/lead-2"}},
		{track.ListOptions{Filter: track.Failed}, nil},
		{track.ListOptions{Account: "dealer1"}, []string{"dealer1/lead-1"}},
		{track.ListOptions{Limit: 1}, []string{"dealer2/lead-2"}},
	} {
		list, err := e.ledger.List(ctx, tc.o)
		require.NoError(t, err)
		var got []string
		for _, r := range list {
			got = append(got, r.Account+"/"+r.Ref)
		}
		assert.Equal(t, tc.want, got, "%+v", tc.o)
	}
	for _, o := range []track.ListOptions{{Filter: "stuck"}, {Limit: -1}, {Limit: 10001}} {
		_, err := e.ledger.List(ctx, o)
		assert.ErrorIs(t, err, track.ErrInvalid, "%+v", o)
	}

	_, err = e.ledger.Show(ctx, track.Key{Ref: "lead-1"})
	require.ErrorIs(t, err, track.ErrInvalid, "two accounts have lead-1")
	assert.Contains(t, err.Error(), "name the account")
	r := e.show(track.Key{SessionKey: tracked.SessionKey})
	assert.Equal(t, "dealer1", r.Account)
	_, err = e.ledger.Show(ctx, track.Key{})
	require.ErrorIs(t, err, track.ErrInvalid)

	b, err := json.Marshal(r)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, "lead-1", m["ref"])
	assert.Equal(t, "tracking", m["phase"])
	assert.Equal(t, "IDLE", m["status"])

	_, err = e.ledger.Retry(ctx, track.Key{Account: "dealer2", Ref: "lead-2"})
	require.ErrorIs(t, err, track.ErrState, "an ambiguous create is resolved, not retried")
	k := track.Key{Account: "dealer1", Ref: "lead-1"}
	before := e.show(k)
	r, err = e.ledger.Retry(ctx, k)
	require.NoError(t, err)
	assert.True(t, r.NextAt.Before(before.NextAt), "Retry makes a poll due now")
	e.run()
	require.Eventually(t, func() bool { return e.gets("/v1/sessions/"+tracked.SessionKey) == 1 },
		10*time.Second, 5*time.Millisecond)
}

func TestPurge(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{kind: kind, config: func(c *track.Config) { c.DropResults = true }})
			ctx := context.Background()
			e.createAndComplete("dealer1", "done")
			_, err := e.ledger.Create(ctx, "dealer1", "pending", request())
			require.NoError(t, err)
			r := e.waitPhase(track.Key{Ref: "done"}, track.PhaseDone)
			assert.False(t, r.HasResults, "DropResults drops them once handled")
			_, err = e.ledger.Purge(ctx, -time.Second)
			require.ErrorIs(t, err, track.ErrInvalid)
			n, err := e.ledger.Purge(ctx, time.Hour)
			require.NoError(t, err)
			assert.Zero(t, n, "nothing finished an hour ago")
			require.Eventually(t, func() bool {
				s, err := e.ledger.Summary(ctx)
				return err == nil && s.InboxPending == 0
			}, 10*time.Second, 5*time.Millisecond)
			e.srv.AdvanceClock(2 * time.Hour)
			n, err = e.ledger.Purge(ctx, time.Hour)
			require.NoError(t, err)
			assert.Equal(t, int64(1), n)
			_, err = e.ledger.Show(ctx, track.Key{Ref: "done"})
			require.ErrorIs(t, err, track.ErrNotFound)
			e.show(track.Key{Ref: "pending"})
			s, err := e.ledger.Summary(ctx)
			require.NoError(t, err)
			assert.Zero(t, s.Inbox, "applied deliveries are purged too")
		})
	}
}

func TestRetryFetchesDroppedResults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{config: func(c *track.Config) { c.DropResults = true }})
	e.createAndComplete("dealer1", "lead-1")
	k := track.Key{Ref: "lead-1"}
	e.waitPhase(k, track.PhaseDone)
	_, err := e.ledger.Retry(context.Background(), k)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(e.done.list()) == 2 }, 10*time.Second, 5*time.Millisecond)
	calls := e.done.list()
	assert.Equal(t, calls[0].Results.Raw(), calls[1].Results.Raw())
	assert.Equal(t, 2, e.gets("/results"))
}

// TestResolveWithSessionAdoptedElsewhere: an ambiguous create whose session
// was adopted as started elsewhere (it carries no reference) is resolved
// onto that record, which keeps its progress.
func TestResolveWithSessionAdoptedElsewhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	e.ambiguous("dealer1", "lead-1")
	sess, err := e.clients["dealer1"].Sessions.Create(ctx, request())
	require.NoError(t, err)
	require.NoError(t, e.srv.Complete(sess.SessionKey))
	e.waitPhase(track.Key{SessionKey: sess.SessionKey}, track.PhaseDone)
	r, err := e.ledger.Resolve(ctx, track.Key{Ref: "lead-1"}, sess.SessionKey)
	require.NoError(t, err)
	assert.Equal(t, sess.SessionKey, r.SessionKey)
	assert.Equal(t, track.PhaseDone, r.Phase, "the adopted record took the reference")
	list, err := e.ledger.List(ctx, track.ListOptions{})
	require.NoError(t, err)
	assert.Len(t, list, 1, "the intent is gone")
	assert.True(t, r.Phase.Finished())
	assert.False(t, track.PhaseHandling.Finished())
}

// TestDeliveryRetriedWhenPAVEFails: a delivery whose session the ledger
// must fetch, while PAVE fails, is applied later.
func TestDeliveryRetriedWhenPAVEFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{client: []pave.Option{pave.WithMaxRetries(0)}})
	ctx := context.Background()
	sess, err := e.clients["dealer1"].Sessions.Create(ctx, request())
	require.NoError(t, err)
	e.srv.Inject(pavetest.Fault{Method: "GET", Path: "/v1/sessions/" + sess.SessionKey, Status: http.StatusBadGateway,
		Times: 1})
	require.NoError(t, e.srv.StartCapture(sess.SessionKey))
	require.Eventually(t, func() bool { return strings.Contains(e.logs.String(), "delivery not yet applied") },
		10*time.Second, 5*time.Millisecond)
	_, err = e.ledger.Show(ctx, track.Key{SessionKey: sess.SessionKey})
	require.ErrorIs(t, err, track.ErrNotFound)
	e.srv.AdvanceClock(2 * time.Minute)
	r := e.waitPhase(track.Key{SessionKey: sess.SessionKey}, track.PhaseTracking)
	assert.Equal(t, pave.StatusStarted, r.Status)
}
