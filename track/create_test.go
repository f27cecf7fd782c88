package track_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/track"
)

func TestCreateOncePerReference(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{kind: kind, accounts: 2, noRun: true})
			ctx := context.Background()
			first, err := e.ledger.Create(ctx, "dealer1", "lead-1", request())
			require.NoError(t, err)
			assert.Equal(t, track.PhaseTracking, first.Phase)
			assert.Equal(t, pave.StatusIdle, first.Status)
			assert.Equal(t, pave.SourceAPI, first.Source)
			assert.NotEmpty(t, first.CaptureURL)
			assert.Equal(t, "dealer1/"+first.SessionKey, first.ID())

			again, err := e.ledger.Create(ctx, "dealer1", "lead-1", request())
			require.NoError(t, err)
			assert.Equal(t, first.SessionKey, again.SessionKey)
			assert.Equal(t, first.CaptureURL, again.CaptureURL)
			assert.Equal(t, 1, e.posts(), "the second Create must not POST")

			other, err := e.ledger.Create(ctx, "dealer2", "lead-1", request())
			require.NoError(t, err, "a reference is per account")
			assert.NotEqual(t, first.SessionKey, other.SessionKey)
			assert.Equal(t, 2, e.posts())

			sess, err := e.srv.Session(first.SessionKey)
			require.NoError(t, err)
			assert.Equal(t, "lead-1", sess.ClientID, "the reference travels as options.client_id")
			st := e.ledger.Stats()
			assert.Equal(t, int64(2), st.Creates)
			assert.Equal(t, int64(1), st.CreatesReused)
		})
	}
}

func TestCreateKeepsCallersClientID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noRun: true})
	for _, tc := range []struct {
		name string
		req  *pave.CreateSessionRequest
		want map[string]any
	}{
		{"options", &pave.CreateSessionRequest{Options: &pave.SessionOptions{ClientID: "CRM-1"}},
			map[string]any{track.ReferenceKey: "ref-options"}},
		{"session with reference", &pave.CreateSessionRequest{Session: &pave.SessionSettings{ClientID: "CRM-2",
			Reference: map[string]any{"campaign": "spring"}}},
			map[string]any{track.ReferenceKey: "ref-session with reference", "campaign": "spring"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := *tc.req
			rec, err := e.ledger.Create(context.Background(), "dealer1", "ref-"+tc.name, tc.req)
			require.NoError(t, err)
			assert.Equal(t, orig, *tc.req, "the caller's request is not changed")
			sess, err := e.srv.Session(rec.SessionKey)
			require.NoError(t, err)
			assert.Contains(t, []string{"CRM-1", "CRM-2"}, sess.ClientID)
			assert.Equal(t, tc.want, sess.Reference)
		})
	}
}

func TestCreateRefusalReleasesReference(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault *pavetest.Fault
		req   *pave.CreateSessionRequest
		posts int
	}{
		{"SDK validation", nil, &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{VIN: "SHORT"}}, 0},
		{"400 from PAVE", &pavetest.Fault{Method: "POST", Path: "/v1/sessions", Status: http.StatusBadRequest,
			Body:  `{"message":"Required fields are missing or invalid.","errors":{"sms.to":["Invalid phone number"]}}`,
			Times: 1},
			request(), 1},
		{"401", &pavetest.Fault{Method: "POST", Path: "/v1/sessions", Status: http.StatusUnauthorized, Times: 1},
			request(), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{noRun: true})
			if tc.fault != nil {
				e.srv.Inject(*tc.fault)
			}
			ctx := context.Background()
			_, err := e.ledger.Create(ctx, "dealer1", "lead-9", tc.req)
			require.Error(t, err)
			assert.False(t, errors.Is(err, track.ErrAmbiguous), "a clear refusal is not ambiguous: %v", err)
			assert.Equal(t, tc.posts, e.posts())
			_, err = e.ledger.Show(ctx, track.Key{Account: "dealer1", Ref: "lead-9"})
			require.ErrorIs(t, err, track.ErrNotFound, "the reference is released")

			rec, err := e.ledger.Create(ctx, "dealer1", "lead-9", request())
			require.NoError(t, err, "the reference may be created again")
			assert.Equal(t, track.PhaseTracking, rec.Phase)
			assert.Equal(t, int64(1), e.ledger.Stats().Refused)
		})
	}
}

func TestCreateAmbiguousIsNeverPostedAgain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		fault   pavetest.Fault
		created bool // the fake made the session before failing
	}{
		{"503", pavetest.Fault{Method: "POST", Path: "/v1/sessions", Status: http.StatusServiceUnavailable, Times: 1}, false},
		{"truncated 201", pavetest.Fault{Method: "POST", Path: "/v1/sessions", TruncateBody: true, Times: 1}, true},
		{"dropped connection", pavetest.Fault{Method: "POST", Path: "/v1/sessions", DropConnection: true, Times: 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{noRun: true})
			e.srv.Inject(tc.fault)
			ctx := context.Background()
			_, err := e.ledger.Create(ctx, "dealer1", "lead-7", request())
			var amb *track.AmbiguousError
			require.ErrorAs(t, err, &amb)
			assert.ErrorIs(t, err, track.ErrAmbiguous)
			assert.Equal(t, "lead-7", amb.Ref)
			assert.NotNil(t, amb.Err, "the create's own error is kept")
			var apiErr *pave.APIError
			var reqErr *pave.RequestError
			assert.True(t, errors.As(err, &apiErr) || errors.As(err, &reqErr), "errors.As reaches the SDK's error")
			assert.Contains(t, err.Error(), "may exist")

			for range 2 {
				_, err = e.ledger.Create(ctx, "dealer1", "lead-7", request())
				require.ErrorAs(t, err, &amb)
				assert.Nil(t, amb.Err)
				assert.NotEmpty(t, amb.Reason, "a later call says why")
			}
			assert.Equal(t, 1, e.posts(), "an ambiguous reference is never POSTed again")
			rec := e.show(track.Key{Ref: "lead-7"})
			assert.Equal(t, track.PhaseAmbiguous, rec.Phase)
			list, err := e.ledger.List(ctx, track.ListOptions{Filter: track.Ambiguous})
			require.NoError(t, err)
			require.Len(t, list, 1)
			assert.Equal(t, "lead-7", list[0].Ref)
			assert.Equal(t, int64(1), e.ledger.Stats().Ambiguous)
		})
	}
}

func TestCreateWaitsForCreateInFlight(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noRun: true})
	e.srv.Inject(pavetest.Fault{Method: "POST", Path: "/v1/sessions", Delay: 300 * time.Millisecond, Times: 1})
	ctx := context.Background()
	var wg sync.WaitGroup
	recs := make([]*track.Record, 4)
	errs := make([]error, 4)
	for i := range recs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs[i], errs[i] = e.ledger.Create(ctx, "dealer1", "lead-2", request())
		}()
	}
	wg.Wait()
	for i := range recs {
		require.NoError(t, errs[i])
		assert.Equal(t, recs[0].SessionKey, recs[i].SessionKey)
	}
	assert.Equal(t, 1, e.posts())
}

func TestCreateInFlightElsewhereGivesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noRun: true, config: func(c *track.Config) { c.CreateWait = 50 * time.Millisecond }})
	e.srv.Inject(pavetest.Fault{Method: "POST", Path: "/v1/sessions", Delay: time.Second, Times: 1})
	ctx := context.Background()
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		close(started)
		_, err := e.ledger.Create(ctx, "dealer1", "lead-3", request())
		done <- err
	}()
	<-started
	require.Eventually(t, func() bool {
		r, err := e.ledger.Show(ctx, track.Key{Ref: "lead-3"})
		return err == nil && r.Phase == track.PhaseCreating
	}, 5*time.Second, 5*time.Millisecond)
	_, err := e.ledger.Create(ctx, "dealer1", "lead-3", request())
	require.ErrorIs(t, err, track.ErrInFlight)
	require.NoError(t, <-done)
	assert.Equal(t, 1, e.posts())
}

func TestCreateArguments(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noRun: true})
	ctx := context.Background()
	for _, tc := range []struct {
		account, ref string
		want         error
	}{
		{"nobody", "r", track.ErrUnknownAccount},
		{"dealer1", "", track.ErrInvalid},
		{"dealer1", "a\nb", track.ErrInvalid},
		{"dealer1", string(make([]byte, 201)), track.ErrInvalid},
	} {
		_, err := e.ledger.Create(ctx, tc.account, tc.ref, request())
		assert.ErrorIs(t, err, tc.want, "account %q ref %q", tc.account, tc.ref)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := e.ledger.Create(cctx, "dealer1", "r", request())
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, e.posts())
}

// TestCreateAnswerNotRecorded: the store fails after PAVE made the
// session; the error is ambiguous and names the session.
func TestCreateAnswerNotRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noRun: true})
	e.srv.Inject(pavetest.Fault{Method: "POST", Path: "/v1/sessions", Delay: time.Second, Times: 1})
	go func() { // once the intent is recorded and the POST waits for its answer
		for e.posts() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		_ = e.store.DB().Close()
	}()
	_, err := e.ledger.Create(context.Background(), "dealer1", "lead-1", request())
	var amb *track.AmbiguousError
	require.ErrorAs(t, err, &amb)
	require.NotEmpty(t, amb.SessionKey)
	_, err = e.srv.Session(amb.SessionKey)
	require.NoError(t, err, "the session it names exists")
	assert.Contains(t, amb.Error(), "recording it failed")
}
