package track_test

import (
	"context"
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

func TestAdoptsSessionsStartedElsewhere(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{kind: kind, accounts: 2})
			sess, err := e.clients["dealer2"].Sessions.Create(context.Background(), request())
			require.NoError(t, err)
			require.NoError(t, e.srv.Complete(sess.SessionKey))
			k := track.Key{SessionKey: sess.SessionKey}
			r := e.waitPhase(k, track.PhaseDone)
			assert.Equal(t, "dealer2", r.Account)
			assert.Empty(t, r.Ref)
			assert.Equal(t, pave.SourceAPI, r.Source, "the source PAVE reports")
			assert.Equal(t, "webhook", r.LearnedBy)
			calls := e.done.list()
			require.Len(t, calls, 1)
			assert.Equal(t, "dealer2/"+sess.SessionKey, calls[0].ID)
			assert.Empty(t, calls[0].Ref)
			assert.Equal(t, int64(1), e.ledger.Stats().Adopted)
			assert.Contains(t, e.logs.String(), "session started elsewhere")
		})
	}
}

func TestDeliveryResolvesAmbiguousCreate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		req  *pave.CreateSessionRequest // the create PAVE acted on, as the ledger sent it
	}{
		{"client_id", &pave.CreateSessionRequest{Options: &pave.SessionOptions{ClientID: "lead-5"}}},
		{"reference", &pave.CreateSessionRequest{Options: &pave.SessionOptions{ClientID: "CRM-5",
			Reference: map[string]any{track.ReferenceKey: "lead-5"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{})
			e.srv.Inject(pavetest.Fault{Method: "POST", Path: "/v1/sessions", Status: http.StatusGatewayTimeout, Times: 1})
			ctx := context.Background()
			_, err := e.ledger.Create(ctx, "dealer1", "lead-5", request())
			require.ErrorIs(t, err, track.ErrAmbiguous)
			// PAVE made the session after all (the fault hid its answer).
			sess, err := e.clients["dealer1"].Sessions.Create(ctx, tc.req)
			require.NoError(t, err)
			require.NoError(t, e.srv.Complete(sess.SessionKey))
			r := e.waitPhase(track.Key{Ref: "lead-5"}, track.PhaseDone)
			assert.Equal(t, sess.SessionKey, r.SessionKey)
			assert.Equal(t, 2, r.Calls, "the adoption's GET and the results request")
			calls := e.done.list()
			require.Len(t, calls, 1)
			assert.Equal(t, "lead-5", calls[0].Ref)
			again, err := e.ledger.Create(ctx, "dealer1", "lead-5", request())
			require.NoError(t, err, "a resolved reference answers from the ledger")
			assert.Equal(t, sess.SessionKey, again.SessionKey)
			assert.Equal(t, 2, e.posts(), "the ledger POSTed once, the test once, and Create no more")
		})
	}
}

func TestSecondSessionForABoundReference(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	first, err := e.ledger.Create(ctx, "dealer1", "lead-1", request())
	require.NoError(t, err)
	dup, err := e.clients["dealer1"].Sessions.Create(ctx,
		&pave.CreateSessionRequest{Options: &pave.SessionOptions{ClientID: "lead-1"}})
	require.NoError(t, err)
	require.NoError(t, e.srv.Complete(dup.SessionKey))
	r := e.waitPhase(track.Key{SessionKey: dup.SessionKey}, track.PhaseDone)
	assert.Empty(t, r.Ref, "the reference stays with the first session")
	assert.Equal(t, first.SessionKey, e.show(track.Key{Ref: "lead-1"}).SessionKey)
	assert.Contains(t, e.logs.String(), "carries the reference of another session")
}

func TestDeliveryForUnknownSessionIsDropped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	body := `{"event":"SESSION:STATUS_CHANGE","session_key":"ZZZ-0000000000","status":"STARTED"}`
	require.Equal(t, http.StatusNoContent, e.deliver("dealer1", body))
	require.Eventually(t, func() bool {
		s, err := e.ledger.Summary(context.Background())
		return err == nil && s.Inbox == 1 && s.InboxPending == 0
	}, 10*time.Second, 5*time.Millisecond)
	list, err := e.ledger.List(context.Background(), track.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, list)
	assert.Contains(t, e.logs.String(), "PAVE does not know")
}

func TestDeadCreateBecomesAmbiguous(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{kind: kind, noRun: true})
			// A process recorded the intent, sent the POST and died: its
			// lease has run out.
			now := e.srv.Now().UnixMilli()
			for _, ref := range []string{"lead-a", "lead-b"} {
				_, err := e.store.DB().Exec(fmt.Sprintf(`INSERT INTO track_records
  (account, ref, phase, lease_owner, lease_until, next_at, created_at, updated_at)
VALUES ('dealer1', '%s', 'creating', 'dead#1', 1, %d, %d, %d)`, ref, now, now, now))
				require.NoError(t, err)
			}
			_, err := e.ledger.Create(context.Background(), "dealer1", "lead-a", request())
			var amb *track.AmbiguousError
			require.ErrorAs(t, err, &amb)
			assert.Contains(t, amb.Reason, "stopped before recording")
			e.run()
			e.waitPhase(track.Key{Ref: "lead-b"}, track.PhaseAmbiguous)
			assert.Zero(t, e.posts())

			_, err = e.store.DB().Exec(fmt.Sprintf(`INSERT INTO track_records
  (account, ref, phase, lease_owner, lease_until, created_at, updated_at)
VALUES ('dealer1', 'lead-c', 'creating', 'dead#2', 1, %d, %d)`, now, now))
			require.NoError(t, err)
			require.NoError(t, e.ledger.Abandon(context.Background(), track.Key{Ref: "lead-c"}),
				"a create whose process died is abandoned like an ambiguous one")
		})
	}
}
