package pavetest

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
)

// The results' session.options echo sms as the session's options do
// (PAVE's results sample shows options: {client_id, sms}).
func TestResultsEchoTheSMS(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	sms := &pave.SMS{To: "4165550199", From: "4165550100", By: "Lakeside Honda"}
	key := createSession(t, srv.Client(), &pave.CreateSessionRequest{SMS: sms,
		Options: &pave.SessionOptions{ClientID: "LEAD-1"}}).SessionKey
	require.NoError(t, srv.Complete(key))
	res, err := srv.Client().Sessions.Results(t.Context(), key)
	require.NoError(t, err)
	require.NotNil(t, res.Session.Options)
	assert.Equal(t, "LEAD-1", res.Session.Options.ClientID)
	assert.Equal(t, sms, res.Session.Options.SMS)
}

// The v2 resend needs the original SMS recorded as delivered.
func TestResendNeedsTheOriginalSMSDelivered(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	hc := plainClient(t)
	token := http.Header{"Api-Access-Token": {srv.Credentials().APIKey}}
	key := createSession(t, srv.Client(), &pave.CreateSessionRequest{SMS: &pave.SMS{To: "+14165550199"}}).SessionKey
	status, body := call(t, hc, http.MethodPost, srv.URL+"/v2/capture/sessions/"+key+"/resend", nil, token)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"status":"error","session_key":"`+key+
		`","message":"The original SMS has not been reported delivered, so it cannot be resent"}`, string(body))
	require.NoError(t, srv.SetSMSResult(key, true, ""))
	status, body = call(t, hc, http.MethodPost, srv.URL+"/v2/capture/sessions/"+key+"/resend", nil, token)
	assert.Equal(t, http.StatusOK, status, string(body))
}

// A value of the wrong JSON type gets PAVE's 400 shape naming its path,
// whichever body the fake decodes.
func TestWrongTypesAreNamedByPath(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	hc := rawClient(t, srv, srv.Credentials(), nil)
	key := createSession(t, srv.Client(), nil).SessionKey
	for _, tt := range []struct{ method, path, body, field string }{
		{http.MethodPost, "/v1/sessions", `{"vehicle":{"year":"twenty"}}`, "vehicle.year"},
		{http.MethodPost, "/v1/sessions", `{"vehicle":{"make":3}}`, "vehicle.make"},
		{http.MethodPost, "/v1/sessions", `{"sms":{"send_results_to_phototaker":3}}`, "sms.send_results_to_phototaker"},
		{http.MethodPost, "/v1/sessions", `{"session":"LITE"}`, "session"},
		{http.MethodPut, "/v1/sessions/" + key, `{"session":{"reference":[1]}}`, "session.reference"},
		{http.MethodPost, "/v1/callbacks", `{"event":"SESSION:COMPLETE","url":"https://x.example","headers":{"A":1}}`, "headers.A"},
		{http.MethodPost, "/v1/hotspots/" + key + "/photos-url", `{"photos":[{"url":"https://x.example/a.jpg","photo_label":9}]}`,
			"photos.0.photo_label"},
	} {
		status, body := call(t, hc, tt.method, srv.URL+tt.path, tt.body, nil)
		require.Equal(t, http.StatusBadRequest, status, "%s: %s", tt.body, body)
		var got struct {
			Message string              `json:"message"`
			Errors  map[string][]string `json:"errors"`
		}
		require.NoError(t, json.Unmarshal(body, &got))
		assert.Equal(t, msgValidation, got.Message, tt.body)
		assert.Contains(t, got.Errors, tt.field, "%s: %s", tt.body, body)
	}
}

// The results' timeline agrees with their durations and the fake clock.
func TestResultsTimelineAgreesWithDurations(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithClock(func() time.Time { return fixedNow }))
	c := srv.Client()
	idle := createSession(t, c, nil).SessionKey
	started := createSession(t, c, nil).SessionKey
	srv.AdvanceClock(time.Hour)
	require.NoError(t, srv.StartCapture(started))
	srv.AdvanceClock(20 * time.Minute) // a capture longer than the generated one
	for _, key := range []string{idle, started} {
		require.NoError(t, srv.Complete(key))
		res, err := c.Sessions.Results(t.Context(), key)
		require.NoError(t, err)
		s := res.Session
		capture, inspect := time.Duration(s.CaptureDuration)*time.Second, time.Duration(s.InspectDuration)*time.Second
		assert.Positive(t, capture, key)
		assert.Positive(t, inspect, key)
		assert.False(t, s.InspectStartedAt.Before(s.CreatedAt.Time), "%s: created %v, started %v", key, s.CreatedAt, s.InspectStartedAt)
		assert.Equal(t, s.InspectStartedAt.Add(capture), s.InspectEndedAt.Time, key)
		assert.False(t, s.UpdatedAt.Before(s.InspectEndedAt.Add(inspect)), key)
		assert.False(t, s.InspectEndedAt.Before(srv.Now().Add(-time.Second)), "%s: capture ends at the clock or later", key)
	}
	s, err := srv.Session(started)
	require.NoError(t, err)
	assert.Equal(t, fixedNow.Add(time.Hour), s.InspectStartedAt.Time, "a real start is kept")
}

// With MaskPII, VINs, plates and phones are masked wherever they show.
func TestMaskPII(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, func(o *Options) { o.MaskPII = true })
	rc := newReceiver(t, 0)
	registerAll(t, srv, rc)
	c := srv.Client()
	key := createSession(t, c, &pave.CreateSessionRequest{
		Vehicle: &pave.Vehicle{VIN: "JN1CV6AR9BM123456", VRM: "AB12CDE"}, SMS: &pave.SMS{To: "647-455-1234"}}).SessionKey
	s, err := c.Sessions.Get(t.Context(), key)
	require.NoError(t, err)
	assert.Equal(t, "JN1CV6AR9BMXXXXXX", s.Vehicle.VIN)
	assert.Equal(t, "ABXXXXX", s.Vehicle.VRM)
	assert.Equal(t, "647-455-XXXX", s.Options.SMS.To)
	require.NoError(t, srv.SetSMSResult(key, true, ""))
	require.NoError(t, srv.Complete(key))
	res, err := c.Sessions.Results(t.Context(), key)
	require.NoError(t, err)
	assert.Equal(t, "JN1CV6AR9BMXXXXXX", res.Vehicle.VIN)
	assert.Equal(t, "647-455-XXXX", res.Session.Options.SMS.To)
	assert.Equal(t, "647-455-XXXX", rc.events("SESSION:SMS_PROCESS")[0]["phone"])
	for _, d := range srv.Deliveries() {
		assert.NotContains(t, string(d.Body), "1234", d.Event)
	}
}
