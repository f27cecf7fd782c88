package pavetest

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
)

// countStates counts the recorded deliveries by state, and duplicates.
func countStates(ds []Delivery) map[string]int {
	n := map[string]int{}
	for _, d := range ds {
		n[d.State]++
		if d.Duplicate {
			n["duplicate"]++
		}
	}
	return n
}

func TestChaosDropsDuplicatesAndReordersDeterministically(t *testing.T) {
	t.Parallel()
	run := func(seed int64, c Chaos) ([]string, map[string]int) {
		srv := NewServer(t, WithSeed(seed), func(o *Options) { o.Chaos = c })
		rc := newReceiver(t, 0)
		registerAll(t, srv, rc)
		for range 5 {
			require.NoError(t, srv.Complete(createSession(t, srv.Client(), nil).SessionKey))
		}
		var events []string
		for _, d := range rc.deliveries() {
			events = append(events, d.Event)
		}
		states := countStates(srv.Deliveries())
		assert.Equal(t, len(events), states["delivered"], "every delivery sent is recorded")
		return events, states
	}
	calm, calmStates := run(1, Chaos{})
	assert.Zero(t, calmStates["dropped"]+calmStates["duplicate"])

	c := Chaos{Drop: 0.2, Duplicate: 0.2, Reorder: true}
	got, states := run(1, c)
	again, _ := run(1, c)
	assert.Equal(t, got, again, "the same seed gives the same chaos")
	assert.Positive(t, states["dropped"])
	assert.Positive(t, states["duplicate"])
	assert.Equal(t, len(calm)-states["dropped"]+states["duplicate"], len(got))
	assert.NotEqual(t, calm[:10], got[:10], "reordered")
}

func TestChaosOverHTTPAndValidation(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	hc := plainClient(t)
	status, body := call(t, hc, http.MethodPut, srv.URL+"/_fake/chaos",
		`{"drop":0.5,"reorder":true,"results_delay_fraction":1,"results_delay_max_seconds":3600}`, nil)
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, Chaos{Drop: 0.5, Reorder: true, ResultsDelayFraction: 1, ResultsDelayMax: time.Hour}, srv.CurrentChaos())
	status, body = call(t, hc, http.MethodPut, srv.URL+"/_fake/chaos", `{"drop":2}`, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, string(body), `"drop":["drop must be between 0 and 1"]`)
	assert.Error(t, srv.SetChaos(Chaos{Duplicate: -1}))
	_, err := Start(func(o *Options) { o.Chaos.Drop = 1.5 })
	assert.Error(t, err)
	srv.Reset()
	assert.Equal(t, Chaos{}, srv.CurrentChaos(), "reset restores the options' chaos")
}

// With ResultsDelay, Complete stops at CONFIRM and the server completes
// the session, firing COMPLETE, when its clock passes the due time.
func TestResultsDelay(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithClock(func() time.Time { return fixedNow }), func(o *Options) { o.ResultsDelay = 24 * time.Hour })
	rc := newReceiver(t, 0)
	registerAll(t, srv, rc)
	c := srv.Client()
	key := createSession(t, c, nil).SessionKey
	require.NoError(t, srv.Complete(key))
	s, err := srv.Session(key)
	require.NoError(t, err)
	assert.Equal(t, pave.StatusConfirm, s.Status)
	assert.ErrorIs(t, srv.Complete(key), ErrInvalidTransition, "already waiting for its results")
	_, err = c.Sessions.Results(t.Context(), key)
	assert.ErrorIs(t, err, pave.ErrNotReady)
	assert.Empty(t, rc.events("SESSION:COMPLETE"))

	srv.AdvanceClock(23 * time.Hour)
	s, _ = srv.Session(key)
	assert.Equal(t, pave.StatusConfirm, s.Status, "not due yet")
	srv.AdvanceClock(2 * time.Hour)
	s, _ = srv.Session(key)
	assert.Equal(t, pave.StatusComplete, s.Status)
	require.Len(t, rc.events("SESSION:COMPLETE"), 1)
	res, err := c.Sessions.Results(t.Context(), key)
	require.NoError(t, err)
	assert.False(t, res.Session.UpdatedAt.Before(res.Session.InspectEndedAt.Add(24*time.Hour)), "completed when due")

	// A fraction of sessions: here all of them, by up to an hour; a request
	// after the clock passes completes them too.
	late := NewServer(t, WithClock(func() time.Time { return fixedNow }),
		func(o *Options) { o.Chaos = Chaos{ResultsDelayFraction: 1, ResultsDelayMax: time.Hour} })
	k := createSession(t, late.Client(), nil).SessionKey
	require.NoError(t, late.Complete(k))
	s, _ = late.Session(k)
	assert.Equal(t, pave.StatusConfirm, s.Status)
	late.clockOffset.Add(int64(2 * time.Hour)) // behind AdvanceClock's back: the next request notices
	got, err := late.Client().Sessions.Get(t.Context(), k)
	require.NoError(t, err)
	assert.Equal(t, pave.StatusComplete, got.Status)
}

// A repeat inspection carries the earlier vehicle and damages over, less
// the repaired ones, plus the new ones.
func TestCompleteRepeat(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	c := srv.Client()
	first := createSession(t, c, &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{VIN: "1HGCV1F39LA012345"}}).SessionKey
	require.NoError(t, srv.Complete(first))
	before, err := c.Sessions.Results(t.Context(), first)
	require.NoError(t, err)
	require.NotEmpty(t, before.Inspection.Damages, "seed 0 gives the first session damages")
	repaired := before.Inspection.Damages[0].Component

	second := createSession(t, c, nil).SessionKey
	err = srv.CompleteRepeat(second, Repeat{Previous: first, Repaired: []string{repaired},
		NewDamages: []RepeatDamage{{"DOOR_FRONT_LEFT", "DENTED_MAJOR"}}})
	require.NoError(t, err)
	after, err := c.Sessions.Results(t.Context(), second)
	require.NoError(t, err)
	assert.Equal(t, before.Vehicle.VIN, after.Vehicle.VIN)
	var comps []string
	for _, d := range after.Inspection.Damages {
		comps = append(comps, d.Component)
	}
	assert.NotContains(t, comps, repaired)
	assert.Contains(t, comps, "DOOR_FRONT_LEFT")

	third := createSession(t, c, nil).SessionKey
	for _, r := range []Repeat{
		{Previous: "NOP-0000000000"},
		{Previous: first, Repaired: []string{"NO_SUCH_PART"}},
		{Previous: first, NewDamages: []RepeatDamage{{"DOOR_FRONT_LEFT", "MELTED"}}},
	} {
		var re *requestError
		assert.True(t, errors.As(srv.CompleteRepeat(third, r), &re), "%+v", r)
	}
	s, _ := srv.Session(third)
	assert.Equal(t, pave.StatusIdle, s.Status, "a refused repeat changes nothing")
}
