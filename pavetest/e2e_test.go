package pavetest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/webhook"
)

// e2eHookRecorder is the user's side of the webhooks: what a handler from
// pave.NewWebhookHandler accepted, in order.
type e2eHookRecorder struct {
	mu     sync.Mutex
	events []*webhook.Event
}

func (r *e2eHookRecorder) handle(_ context.Context, ev *webhook.Event) error {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	return nil
}

// of returns the accepted events named name, oldest first.
func (r *e2eHookRecorder) of(name pave.EventName) []*webhook.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*webhook.Event
	for _, ev := range r.events {
		if ev.Name == name {
			out = append(out, ev)
		}
	}
	return out
}

// last returns the latest accepted event named name, failing the test if
// there is none.
func (r *e2eHookRecorder) last(t *testing.T, name pave.EventName) *webhook.Event {
	t.Helper()
	evs := r.of(name)
	require.NotEmpty(t, evs, "no %s delivery accepted", name)
	return evs[len(evs)-1]
}

// e2eWebhookReceiver serves pave.NewWebhookHandler with secret on an
// httptest server and returns its URL.
func e2eWebhookReceiver(t *testing.T, secret string) (string, *e2eHookRecorder) {
	t.Helper()
	rec := &e2eHookRecorder{}
	handler, err := webhook.NewHandler(webhook.Config{Secrets: []string{secret}, Handler: rec.handle})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/hooks/", handler)
	hooks := httptest.NewServer(mux)
	t.Cleanup(hooks.Close)
	return hooks.URL + "/hooks/", rec
}

// The 13 standard views as a Hotspots upload.
func e2eHotspotPhotos() []pave.HotspotPhoto {
	var photos []pave.HotspotPhoto
	for _, code := range pave.CaptureOrder() {
		photos = append(photos, pave.HotspotPhoto{
			PhotoLabel: code.Label(),
			URL:        fmt.Sprintf("https://cdn.spinco.example/veh/9981/%02d.jpg", int(code)),
		})
	}
	return photos
}

// TestE2ELifecycle walks every documented endpoint through
// pave.Client against the fake server, with real webhook deliveries to a
// pave.NewWebhookHandler receiver.
func TestE2ELifecycle(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := pavetest.NewServer(t, pavetest.WithSeed(7))
	client := srv.Client()

	secret, err := webhook.NewSecret()
	require.NoError(t, err)
	hookURL, rec := e2eWebhookReceiver(t, secret)

	// Callback settings: create one per event, then list, get, update and
	// delete them.
	for _, event := range pave.Events() {
		cb, err := client.Webhooks.Create(ctx, pave.NewCallback(event, hookURL+"all", secret))
		require.NoError(t, err, event)
		assert.Equal(t, event, cb.Event)
		assert.Equal(t, hookURL+"all", cb.URL)
		assert.Equal(t, http.MethodPost, cb.Method)
		assert.Equal(t, "Bearer "+secret, cb.Headers["Authorization"], "the API echoes the registered header")
	}
	_, err = client.Webhooks.Create(ctx, pave.NewCallback(pave.EventComplete, hookURL+"again", secret))
	var apiErr *pave.APIError
	require.ErrorAs(t, err, &apiErr, "one setting per event")
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)

	list, err := client.Webhooks.List(ctx)
	require.NoError(t, err)
	var listed []pave.EventName
	for _, cb := range list {
		listed = append(listed, cb.Event)
	}
	assert.ElementsMatch(t, pave.Events(), listed)

	got, err := client.Webhooks.Get(ctx, pave.EventComplete)
	require.NoError(t, err)
	assert.Equal(t, hookURL+"all", got.URL)
	assert.Equal(t, map[string]any{"event": string(pave.EventComplete)}, got.Payload)

	updated, err := client.Webhooks.Update(ctx, pave.EventNoteInsert, pave.NewCallback(pave.EventNoteInsert, hookURL+"notes", secret))
	require.NoError(t, err)
	assert.Equal(t, hookURL+"notes", updated.URL)
	got, err = client.Webhooks.Get(ctx, pave.EventNoteInsert)
	require.NoError(t, err)
	assert.Equal(t, hookURL+"notes", got.URL)

	require.NoError(t, client.Webhooks.Delete(ctx, pave.EventSMSProcess))
	_, err = client.Webhooks.Get(ctx, pave.EventSMSProcess)
	require.ErrorIs(t, err, pave.ErrNotFound)
	require.ErrorIs(t, client.Webhooks.Delete(ctx, pave.EventSMSProcess), pave.ErrNotFound)
	list, err = client.Webhooks.List(ctx)
	require.NoError(t, err)
	assert.Len(t, list, 4)
	_, err = client.Webhooks.Create(ctx, pave.NewCallback(pave.EventSMSProcess, hookURL+"sms", secret))
	require.NoError(t, err)

	// A session whose capture link PAVE texts to the customer.
	sess, err := client.Sessions.Create(ctx, &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{
			RedirectURL: "https://dealer.example.com/trade-in/done",
			ClientID:    "LEAD-88127",
			Contact:     &pave.Contact{FirstName: "Maria", LastName: "Lopez"},
		},
		Vehicle: &pave.Vehicle{VIN: "1HGCV1F39LA012345"},
		SMS:     &pave.SMS{To: "+14165550199", ToName: "Maria Lopez"},
	})
	require.NoError(t, err)
	key := sess.SessionKey
	assert.Regexp(t, `^[A-Z]{3}-[A-Z0-9]{10}$`, key)
	assert.Equal(t, pave.StatusIdle, sess.Status)
	assert.Contains(t, sess.CaptureURL, key)
	assert.Equal(t, "LEAD-88127", sess.ClientID)

	// The SMS provider reports the text delivered: SESSION:SMS_PROCESS.
	require.NoError(t, srv.SetSMSResult(key, true, ""))
	sms, err := rec.last(t, pave.EventSMSProcess).SMSProcess()
	require.NoError(t, err)
	assert.Empty(t, sms.SessionKey, "PAVE documents no session key in SMS_PROCESS")
	assert.True(t, sms.Status.OK())

	got2, err := client.Sessions.Get(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, key, got2.SessionKey)
	assert.Equal(t, sess.CaptureURL, got2.CaptureURL)
	assert.Equal(t, "1HGCV1F39LA012345", got2.Vehicle.VIN)

	// The theme may change while IDLE.
	upd, err := client.Sessions.Update(ctx, key, &pave.UpdateSessionRequest{Session: &pave.SessionSettings{Theme: pave.ThemeLite}})
	require.NoError(t, err)
	assert.Equal(t, pave.ThemeLite, upd.Theme)

	// One reminder SMS is allowed before the capture.
	resent, err := client.Sessions.ResendSMS(ctx, key, nil)
	require.NoError(t, err)
	assert.Equal(t, "success", resent.Status)
	assert.Equal(t, key, resent.SessionKey)
	_, err = client.Sessions.ResendSMS(ctx, key, nil)
	require.ErrorIs(t, err, pave.ErrResendAlreadySent)

	// The customer captures photos: one STAGE_CHANGE per photo, typed.
	require.NoError(t, srv.StartCapture(key))
	require.NoError(t, srv.CapturePhoto(key, pave.PhotoVIN, true))
	require.NoError(t, srv.CapturePhoto(key, pave.PhotoLeft, false))
	stage, err := rec.last(t, pave.EventStageChange).StageChange()
	require.NoError(t, err)
	assert.Equal(t, key, stage.SessionKey)
	assert.Equal(t, pave.PhotoLeft, stage.PhotoCode)
	assert.Equal(t, pave.LabelLeft, stage.PhotoLabel)
	assert.True(t, stage.PhotoStatus.Rejected())
	assert.Equal(t, "Wrong View", stage.Message)
	assert.Contains(t, stage.PhotoURL, key)
	require.NoError(t, srv.CapturePhoto(key, pave.PhotoLeft, true))
	stage, err = rec.last(t, pave.EventStageChange).StageChange()
	require.NoError(t, err)
	assert.True(t, stage.PhotoStatus.Accepted())
	assert.Len(t, rec.of(pave.EventStageChange), 3)

	var statuses []pave.SessionStatus
	for _, ev := range rec.of(pave.EventStatusChange) {
		sc, err := ev.StatusChange()
		require.NoError(t, err)
		statuses = append(statuses, sc.Status)
	}
	assert.Equal(t, []pave.SessionStatus{pave.StatusStarted, pave.StatusProcess}, statuses)

	// The theme is fixed once the capture has started.
	_, err = client.Sessions.Update(ctx, key, &pave.UpdateSessionRequest{Session: &pave.SessionSettings{Theme: pave.ThemePro}})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)

	photos, err := client.Sessions.Photos(ctx, key)
	require.NoError(t, err)
	require.Len(t, photos, 2)
	for _, p := range photos {
		assert.True(t, p.Approved, "the retake replaced the rejected photo of %s", p.PhotoLabel)
	}

	// A note: SESSION:NOTE_INSERT, then GET notes.
	require.NoError(t, srv.AddNote(key, "Windshield", "Chip on the passenger side"))
	ni, err := rec.last(t, pave.EventNoteInsert).NoteInsert()
	require.NoError(t, err)
	assert.Equal(t, key, ni.SessionKey)
	assert.Equal(t, "Windshield", ni.Note.Title)
	notes, err := client.Sessions.Notes(ctx, key)
	require.NoError(t, err)
	require.Len(t, notes, 1)
	assert.Equal(t, "Windshield", notes[0].Title)
	assert.Equal(t, "Chip on the passenger side", notes[0].Description)

	_, err = client.Sessions.Results(ctx, key)
	require.ErrorIs(t, err, pave.ErrNotReady)

	// PAVE completes the inspection: SESSION:COMPLETE carries the same
	// results as the API.
	require.NoError(t, srv.Complete(key))
	completes := rec.of(pave.EventComplete)
	require.Len(t, completes, 1)
	assert.Equal(t, key, completes[0].SessionKey)
	hooked, err := completes[0].Complete()
	require.NoError(t, err)
	res, err := client.Sessions.Results(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, key, res.Session.SessionKey)
	assert.Equal(t, pave.StatusComplete, res.Session.Status)
	assert.Equal(t, res.Session.SessionKey, hooked.Session.SessionKey)
	resGrade, ok := res.Grade()
	require.True(t, ok, "the fake reports a grade")
	hookGrade, _ := hooked.Grade()
	assert.Equal(t, resGrade, hookGrade)
	assert.Equal(t, res.DamageCount(), hooked.DamageCount())
	assert.Equal(t, res.Summary(), hooked.Summary())
	assert.Len(t, res.Photos, 13)
	assert.Equal(t, "LEAD-88127", res.Session.ClientID)
	assert.Equal(t, "1HGCV1F39LA012345", res.Vehicle.VIN)

	waited, err := client.Sessions.WaitForResults(ctx, key, pave.PollFirstAfter(0))
	require.NoError(t, err)
	assert.Equal(t, res.Summary(), waited.Summary())

	// Every delivery reached the receiver and was accepted (2xx), with the
	// registered secret.
	deliveries := srv.Deliveries()
	require.NotEmpty(t, deliveries)
	for _, d := range deliveries {
		assert.True(t, d.Delivered, "%s attempt %d: status %d %s", d.Event, d.Attempt, d.StatusCode, d.Err)
		assert.Equal(t, 1, d.Attempt)
		assert.Equal(t, "Bearer "+secret, d.Header.Get("Authorization"))
	}
	var kinds []pave.EventName
	for _, ev := range pave.Events() {
		if len(rec.of(ev)) > 0 {
			kinds = append(kinds, ev)
		}
	}
	assert.ElementsMatch(t, pave.Events(), kinds, "every event type was received")

	// Only an IDLE session can be deleted.
	err = client.Sessions.Delete(ctx, key)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, "Session "+key+" has been started and cannot be deleted.", apiErr.Message)
	idle, err := client.Sessions.Create(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, client.Sessions.Delete(ctx, idle.SessionKey))
	_, err = client.Sessions.Get(ctx, idle.SessionKey)
	require.ErrorIs(t, err, pave.ErrNotFound)

	// Hotspots: a session, 13 photo URLs, results once processed.
	hs, err := client.Hotspots.CreateSession(ctx, &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{VIN: "1HGCV1F39LA012345"}})
	require.NoError(t, err)
	uploads, err := client.Hotspots.UploadPhotos(ctx, hs.SessionKey, e2eHotspotPhotos())
	require.NoError(t, err)
	assert.Len(t, uploads, 13)
	assert.Empty(t, pave.FailedUploads(uploads))
	_, err = client.Hotspots.Results(ctx, hs.SessionKey)
	require.ErrorIs(t, err, pave.ErrNotReady)
	require.NoError(t, srv.ProcessHotspots(hs.SessionKey))
	spots, err := client.Hotspots.Results(ctx, hs.SessionKey)
	require.NoError(t, err)
	assert.True(t, spots.Success)
	require.Positive(t, spots.DamageCount())
	for _, p := range spots.Photos {
		assert.True(t, p.PhotoLabel.Known(), p.PhotoLabel)
		for _, d := range p.Damages {
			require.NotNil(t, d.Coords, "%s on %s", d.Component, p.PhotoLabel)
			assert.True(t, d.Coords.X >= 0 && d.Coords.X <= 100 && d.Coords.Y >= 0 && d.Coords.Y <= 100, "%+v", *d.Coords)
		}
	}

	// Every documented endpoint was called.
	assert.Equal(t, []string{
		"DELETE /v1/callbacks/{event}",
		"DELETE /v1/sessions/{key}",
		"GET /v1/callbacks",
		"GET /v1/callbacks/{event}",
		"GET /v1/hotspots/{key}",
		"GET /v1/sessions/{key}",
		"GET /v1/sessions/{key}/notes",
		"GET /v1/sessions/{key}/photos",
		"GET /v1/sessions/{key}/results",
		"POST /v1/callbacks",
		"POST /v1/hotspots/{key}/photos-url",
		"POST /v1/sessions",
		"POST /v2/capture/sessions/{key}/resend",
		"PUT /v1/callbacks/{event}",
		"PUT /v1/sessions/{key}",
	}, e2eEndpointsCalled(srv))
}

var (
	e2eSessionKeyRE = regexp.MustCompile(`[A-Z]{3}-[A-Z0-9]{10}`)
	e2eEventRE      = regexp.MustCompile(`SESSION:[A-Z_]+`)
)

// e2eEndpointsCalled lists the distinct endpoints the server received, with
// session keys and event names replaced by placeholders.
func e2eEndpointsCalled(srv *pavetest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		p := e2eEventRE.ReplaceAllString(e2eSessionKeyRE.ReplaceAllString(r.Path, "{key}"), "{event}")
		e := r.Method + " " + p
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	sort.Strings(out)
	return out
}

// TestE2ESigningBugs: the mistakes integrators make when signing all get
// a 401 from the fake, as from PAVE, and are not retried.
func TestE2ESigningBugs(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	good := srv.Credentials()

	// The control: the right credentials and clock work.
	_, err := srv.Client().Webhooks.List(context.Background())
	require.NoError(t, err)

	wrongSecret := good
	wrongSecret.APISecret = "wrong-secret-0123456789"
	wrongUser := good
	wrongUser.Username = "a-dashboard-login"
	tests := []struct {
		name    string
		creds   pave.Credentials
		skew    time.Duration
		message string
	}{
		{"wrong secret", wrongSecret, 0, "Invalid API-Token."},
		{"wrong username", wrongUser, 0, "Invalid API-Token."},
		{"clock 6 minutes fast", good, 6 * time.Minute, "API-Token has expired."},
		{"clock 6 minutes slow", good, -6 * time.Minute, "API-Token has expired."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := func() time.Time { return srv.Now().Add(tt.skew) }
			// Without the SDK's clock-skew correction, to see the server's
			// answer (TestClockSkewCorrection covers the correction).
			client, err := srv.NewClient(tt.creds, pave.WithClock(clock), pave.WithClockSkewCorrection(false))
			require.NoError(t, err)
			ctx := context.Background()

			_, getErr := client.Webhooks.List(ctx)
			_, postErr := client.Sessions.Create(ctx, &pave.CreateSessionRequest{
				Session: &pave.SessionSettings{RedirectURL: "https://dealer.example.com/done"},
			})
			for _, err := range []error{getErr, postErr} {
				require.ErrorIs(t, err, pave.ErrUnauthorized)
				var apiErr *pave.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
				assert.Equal(t, tt.message, apiErr.Message)
				assert.Equal(t, 1, apiErr.Attempts, "a 401 is not retried")
				assert.NotContains(t, err.Error(), tt.creds.APISecret)
				if tt.skew > 0 {
					// Date has whole seconds: 6m0s or 6m1s.
					assert.Regexp(t, `your clock is (6m0s|6m1s|5m59s) ahead of PAVE's`, err.Error())
				} else if tt.skew < 0 {
					assert.Regexp(t, `your clock is (6m0s|6m1s|5m59s) behind PAVE's`, err.Error())
				} else {
					assert.Zero(t, apiErr.ClockSkew)
					assert.Contains(t, err.Error(), "more than 5 minutes off", "the likely causes are listed")
				}
			}
		})
	}
}
