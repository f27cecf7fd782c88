package pavetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
)

// registerAll registers the five events to rc with a secret header and a
// payload.
// registerAll registers every event at rc's /hooks/<event>, so a delivery
// says which setting it was sent for.
func registerAll(t *testing.T, srv *Server, rc *receiver) {
	hc := rawClient(t, srv, srv.Credentials(), nil)
	for _, ev := range knownEvents {
		register(t, hc, srv, map[string]any{
			"event": ev, "url": rc.URL + "/hooks/" + ev, "headers": map[string]string{"Authorization": "Bearer hook-secret"},
			"payload": map[string]any{"source": "PAVE", "event": "must-not-override", "dealer": map[string]any{"id": 7}},
		})
	}
}

func TestLifecycleFiresWebhooks(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	rc := newReceiver(t, 0)
	registerAll(t, srv, rc)
	key := createSession(t, srv.Client(), &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{ClientID: "LEAD-1", Reference: map[string]any{"crm": "Q-1"}},
	}).SessionKey

	require.NoError(t, srv.StartCapture(key))
	require.ErrorIs(t, srv.StartCapture(key), ErrInvalidTransition)
	require.NoError(t, srv.CapturePhoto(key, pave.PhotoLeft, false))
	require.Error(t, srv.CapturePhoto(key, 14, true))
	require.NoError(t, srv.Complete(key))
	require.ErrorIs(t, srv.Complete(key), ErrInvalidTransition)
	require.ErrorIs(t, srv.Complete("NOP-0000000000"), ErrSessionNotFound)

	// Every delivery carries the registered header, the method and the
	// merged payload, which never overrides a field of the event's own
	// (COMPLETE's "event"), and fills in what the body lacks.
	all := rc.deliveries()
	require.NotEmpty(t, all)
	for _, d := range all {
		assert.Equal(t, http.MethodPost, d.Method)
		assert.Equal(t, "/hooks/"+d.Event, d.Path)
		assert.Equal(t, "Bearer hook-secret", d.Header.Get("Authorization"))
		assert.Equal(t, "application/json", d.Header.Get("Content-Type"))
		assert.Equal(t, "PAVE", d.Body["source"])
		assert.Equal(t, map[string]any{"id": float64(7)}, d.Body["dealer"])
		if d.Event == "SESSION:COMPLETE" {
			assert.Equal(t, "SESSION:COMPLETE", d.Body["event"])
		} else {
			assert.Equal(t, "must-not-override", d.Body["event"], "PAVE shows no event field but COMPLETE's: the payload's is merged in")
		}
	}

	var statuses []string
	for _, ev := range rc.events("SESSION:STATUS_CHANGE") {
		assert.Equal(t, key, ev["session_key"])
		assert.NotContains(t, ev, "previous_status", "not documented: only with RichWebhooks")
		statuses = append(statuses, ev["status"].(string))
	}
	assert.Equal(t, []string{"STARTED", "PROCESS", "QC_PASSED", "CONFIRM", "COMPLETE"}, statuses)

	stages := rc.events("SESSION:STAGE_CHANGE")
	require.Len(t, stages, 14, "one rejected Left, then 13 accepted views")
	assert.NotContains(t, stages[0], "photo_code", "PAVE documents no photo code: it is in photo_url")
	assert.Regexp(t, `_04_[A-Z0-9]+\.jpg$`, stages[0]["photo_url"])
	assert.Equal(t, "REJECTED", stages[0]["photo_status"])
	assert.Equal(t, "Wrong View", stages[0]["message"])
	assert.Equal(t, "ACCEPTED", stages[1]["photo_status"])
	assert.NotContains(t, stages[1], "message", "no message for an accepted photo")
	assert.Regexp(t, `^https://images-cdn\.paveapi\.com/.*_01_`, stages[1]["photo_url"], "capture order starts with the VIN")

	completes := rc.events("SESSION:COMPLETE")
	require.Len(t, completes, 1)
	var raw []byte
	for _, d := range rc.deliveries() {
		if d.Event == "SESSION:COMPLETE" {
			raw = d.Raw
		}
	}
	var res pave.Results
	require.NoError(t, json.Unmarshal(raw, &res))
	assert.Equal(t, key, res.Session.SessionKey)
	assert.Equal(t, pave.StatusComplete, res.Session.Status)
	assert.Equal(t, "LEAD-1", res.Session.ClientID)
	assert.Equal(t, "Q-1", res.Session.Reference["crm"])
	assert.Len(t, res.Photos, 13)
	require.NotNil(t, res.Inspection)
	assert.EqualValues(t, len(res.Inspection.Damages), res.Inspection.DamageCount)

	// The webhook carries the same document GET results returns, plus payload.
	hc := rawClient(t, srv, srv.Credentials(), nil)
	status, body := call(t, hc, http.MethodGet, srv.URL+"/v1/sessions/"+key+"/results", nil, nil)
	require.Equal(t, http.StatusOK, status)
	fromAPI := jsonMap(t, body)
	fromHook := completes[0]
	delete(fromHook, "source")
	delete(fromHook, "dealer")
	assert.Equal(t, fromAPI, fromHook)

	// Deliveries are synchronous: all recorded by the time the calls returned.
	assert.Len(t, srv.Deliveries(), len(rc.deliveries()))
}

func TestNoteAndSMSWebhooks(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	rc := newReceiver(t, 0)
	registerAll(t, srv, rc)
	key := createSession(t, srv.Client(), &pave.CreateSessionRequest{SMS: &pave.SMS{To: "416-555-0199"}}).SessionKey
	require.NoError(t, srv.AddNote(key, "Title", "Body"))
	require.NoError(t, srv.SetSMSResult(key, false, "Undeliverable"))
	require.NoError(t, srv.SetSMSResult(key, true, ""))

	notes := rc.events("SESSION:NOTE_INSERT")
	require.Len(t, notes, 1)
	note := notes[0]["note"].(map[string]any)
	assert.Equal(t, "Title", note["title"])
	assert.Equal(t, "Body", note["description"])
	assert.NotZero(t, note["id"])
	assert.NotEmpty(t, note["created_at"])

	sms := rc.events("SESSION:SMS_PROCESS")
	require.Len(t, sms, 2)
	assert.Equal(t, "416-555-0199", sms[0]["phone"])
	assert.Equal(t, "error", sms[0]["status"])
	assert.Equal(t, "Undeliverable", sms[0]["message"])
	assert.NotContains(t, sms[0], "session_key", "PAVE documents none")
	assert.Equal(t, "success", sms[1]["status"])
	assert.NotContains(t, sms[1], "message")
}

// By default a delivery has exactly the fields PAVE documents for its event
// (plus the payload); RichWebhooks adds the undocumented ones.
func TestWebhookBodiesAsDocumented(t *testing.T) {
	t.Parallel()
	keysOf := func(m map[string]any) []string {
		var out []string
		for k := range m {
			if k != "source" && k != "dealer" && k != "event" { // the payload's
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	for _, rich := range []bool{false, true} {
		t.Run(fmt.Sprint("rich=", rich), func(t *testing.T) {
			t.Parallel()
			var opts []Option
			if rich {
				opts = append(opts, WithRichWebhooks())
			}
			srv := NewServer(t, opts...)
			rc := newReceiver(t, 0)
			registerAll(t, srv, rc)
			key := createSession(t, srv.Client(), &pave.CreateSessionRequest{SMS: &pave.SMS{To: "+14165550199"}}).SessionKey
			require.NoError(t, srv.SetSMSResult(key, false, "Undeliverable"))
			require.NoError(t, srv.CapturePhoto(key, pave.PhotoLeft, false))
			require.NoError(t, srv.AddNote(key, "T", "D"))
			want := map[string][]string{
				"SESSION:SMS_PROCESS":   {"message", "phone", "status"},
				"SESSION:STAGE_CHANGE":  {"message", "photo_status", "photo_url", "session_key"},
				"SESSION:STATUS_CHANGE": {"session_key", "status"},
				"SESSION:NOTE_INSERT":   {"note", "session_key"},
			}
			if rich {
				want["SESSION:SMS_PROCESS"] = []string{"message", "phone", "session_key", "status"}
				want["SESSION:STAGE_CHANGE"] = []string{"message", "photo_code", "photo_label", "photo_status", "photo_url", "session_key"}
				want["SESSION:STATUS_CHANGE"] = []string{"previous_status", "session_key", "status", "updated_at"}
			}
			for event, keys := range want {
				got := rc.events(event)
				require.NotEmpty(t, got, event)
				assert.Equal(t, keys, keysOf(got[0]), event)
				if rich {
					assert.Equal(t, event, got[0]["event"], "rich bodies name their event")
				}
			}
		})
	}
}

func TestExpireAndInvalidate(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	rc := newReceiver(t, 0)
	registerAll(t, srv, rc)
	c := srv.Client()

	expired := createSession(t, c, nil).SessionKey
	require.NoError(t, srv.Expire(expired))
	require.ErrorIs(t, srv.Expire(expired), ErrInvalidTransition)
	require.ErrorIs(t, srv.CapturePhoto(expired, pave.PhotoVIN, true), ErrInvalidTransition)
	sess, err := srv.Session(expired)
	require.NoError(t, err)
	assert.Equal(t, pave.StatusExpired, sess.Status)
	assert.False(t, sess.Active)

	done := createSession(t, c, nil).SessionKey
	require.NoError(t, srv.Complete(done))
	require.ErrorIs(t, srv.Expire(done), ErrInvalidTransition)
	require.ErrorIs(t, srv.Invalidate(done), ErrInvalidTransition)

	invalid := createSession(t, c, nil).SessionKey
	require.NoError(t, srv.CapturePhoto(invalid, pave.PhotoVIN, true))
	require.NoError(t, srv.Invalidate(invalid))
	require.ErrorIs(t, srv.Complete(invalid), ErrInvalidTransition)

	last := rc.events("SESSION:STATUS_CHANGE")
	assert.Equal(t, "INVALID", last[len(last)-1]["status"])
	_, err = srv.Session("NOP-0000000000")
	require.ErrorIs(t, err, ErrSessionNotFound)
}

func TestWebhookRetries(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithWebhookRetries(3, time.Millisecond))
	rc := newReceiver(t, 2) // two 500s, then 200
	hc := rawClient(t, srv, srv.Credentials(), nil)
	register(t, hc, srv, map[string]any{"event": "SESSION:STATUS_CHANGE", "url": rc.URL})
	key := createSession(t, srv.Client(), nil).SessionKey
	require.NoError(t, srv.StartCapture(key))

	ds := srv.Deliveries()
	require.Len(t, ds, 3)
	for i, d := range ds {
		assert.Equal(t, i+1, d.Attempt)
		assert.Equal(t, "SESSION:STATUS_CHANGE", d.Event)
		assert.Equal(t, key, d.SessionKey)
	}
	assert.Equal(t, http.StatusInternalServerError, ds[0].StatusCode)
	assert.False(t, ds[1].Delivered)
	assert.True(t, ds[2].Delivered)
	assert.Len(t, rc.deliveries(), 1)

	// Retries run out against a receiver that always fails.
	srv.ResetDeliveries()
	dead := NewServer(t, WithWebhookRetries(2, time.Millisecond))
	hc2 := rawClient(t, dead, dead.Credentials(), nil)
	register(t, hc2, dead, map[string]any{"event": "SESSION:STATUS_CHANGE", "url": "http://127.0.0.1:1/unreachable"})
	key2 := createSession(t, dead.Client(), nil).SessionKey
	require.NoError(t, dead.StartCapture(key2), "a failed delivery does not fail the transition")
	ds = dead.Deliveries()
	require.Len(t, ds, 3)
	for _, d := range ds {
		assert.False(t, d.Delivered)
		assert.NotEmpty(t, d.Err)
	}
	assert.Empty(t, srv.Deliveries())
}

func TestAsyncWebhooks(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithAsyncWebhooks())
	rc := newReceiver(t, 0)
	registerAll(t, srv, rc)
	key := createSession(t, srv.Client(), nil).SessionKey
	require.NoError(t, srv.Complete(key))
	srv.WaitDeliveries()
	var events []string
	for _, d := range rc.deliveries() {
		events = append(events, d.Event)
	}
	require.NotEmpty(t, events)
	assert.Equal(t, "SESSION:STATUS_CHANGE", events[0])
	assert.Equal(t, "SESSION:COMPLETE", events[len(events)-1], "order is kept")
	assert.Len(t, srv.Deliveries(), len(events))
}

func TestMergePayload(t *testing.T) {
	t.Parallel()
	assert.JSONEq(t, `{"event":"E","a":1,"z":"x"}`, string(mergePayload([]byte(`{"event":"E"}`), map[string]any{"z": "x", "a": 1, "event": "no"})))
	assert.Equal(t, `{"event":"E"}`, string(mergePayload([]byte(`{"event":"E"}`), nil)))
	assert.Equal(t, `{"a":1}`, string(mergePayload([]byte(`{}`), map[string]any{"a": 1})))
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	rc := newReceiver(t, 0)
	registerAll(t, srv, rc)
	c := srv.Client()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 8 {
		wg.Go(func() {
			for range 3 {
				sess, err := c.Sessions.Create(ctx, nil)
				if err != nil {
					errs <- err
					return
				}
				if err := srv.CapturePhoto(sess.SessionKey, pave.PhotoFront, false); err != nil {
					errs <- err
				}
				_ = srv.AddNote(sess.SessionKey, "t", "d")
				if err := srv.Complete(sess.SessionKey); err != nil {
					errs <- err
				}
				if _, err := c.Sessions.Results(ctx, sess.SessionKey); err != nil {
					errs <- err
				}
			}
			_ = srv.Requests()
			_ = srv.Deliveries()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Len(t, rc.events("SESSION:COMPLETE"), 24)
}
