package pavetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
)

var keyPattern = regexp.MustCompile(`^[A-Z]{3}-[A-Z0-9]{10}$`)

func apiError(t *testing.T, err error) *pave.APIError {
	t.Helper()
	var apiErr *pave.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	return apiErr
}

func TestCreateSessionEchoesAndDefaults(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	c := srv.Client()
	sess := createSession(t, c, &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{
			RedirectURL: "https://dealer.example.com/done",
			Language:    "en",
			ClientID:    "LEAD-88127",
			Contact:     &pave.Contact{FirstName: "Maria", LastName: "Lopez"},
			Reference:   map[string]any{"crm_lead": "Q-4471"},
		},
		Vehicle: &pave.Vehicle{VIN: "1HGCV1F39LA012345", Year: 2020, Make: "Honda", OdomReading: 41250, OdomUnit: pave.Kilometres},
		SMS:     &pave.SMS{To: "416-555-0199", ToName: "Maria Lopez", From: "416-555-0100", By: "Lakeside Honda"},
	})
	assert.Regexp(t, keyPattern, sess.SessionKey)
	assert.Equal(t, "https://pavetest.vehiclecapture.com/"+sess.SessionKey, sess.CaptureURL)
	assert.Equal(t, pave.ThemePro, sess.Theme)
	assert.Equal(t, pave.StatusIdle, sess.Status)
	assert.Equal(t, pave.Language("en"), sess.Language)
	assert.True(t, sess.Active)
	assert.True(t, sess.InspectStartedAt.IsZero())
	require.NotNil(t, sess.Options)
	assert.Equal(t, "LEAD-88127", sess.Options.ClientID)
	assert.Equal(t, &pave.Contact{FirstName: "Maria", LastName: "Lopez"}, sess.Options.Contact)
	assert.Equal(t, "Q-4471", sess.Options.Reference["crm_lead"])
	require.NotNil(t, sess.Options.SMS)
	assert.Equal(t, "416-555-0199", sess.Options.SMS.To)
	require.NotNil(t, sess.Vehicle)
	assert.Equal(t, "1HGCV1F39LA012345", sess.Vehicle.VIN)
	assert.EqualValues(t, 41250, sess.Vehicle.OdomReading)

	// Raw shape: timestamps in the ...000000Z form, nulls for unset times.
	hc := rawClient(t, srv, srv.Credentials(), nil)
	status, body := call(t, hc, http.MethodGet, srv.URL+"/v1/sessions/"+sess.SessionKey, nil, nil)
	require.Equal(t, http.StatusOK, status)
	m := jsonMap(t, body)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$`, m["created_at"])
	assert.Nil(t, m["inspect_started_at"])
	assert.Equal(t, "41,250", m["vehicle"].(map[string]any)["odom_reading"])

	// Options placement works too, and the language defaults to EN.
	sess2 := createSession(t, c, &pave.CreateSessionRequest{Options: &pave.SessionOptions{ClientID: "OPT-1"}})
	assert.Equal(t, "OPT-1", sess2.ClientID)
	assert.Equal(t, pave.LanguageEN, sess2.Language)
	assert.NotEqual(t, sess.SessionKey, sess2.SessionKey)
}

func TestCreateSessionAccountDefaults(t *testing.T) {
	t.Parallel()
	lite := Account{Username: "LakesideHonda", APIKey: "k1", APISecret: "s1", DefaultTheme: pave.ThemeLite}
	srv := NewServer(t, WithAccounts(lite), WithOptions(Options{Accounts: []Account{lite}, CaptureHost: "capture.test"}))
	sess := createSession(t, srv.Client(), nil)
	assert.Equal(t, pave.ThemeLite, sess.Theme)
	assert.Equal(t, "https://lakesidehonda.capture.test/"+sess.SessionKey, sess.CaptureURL)
	explicit := createSession(t, srv.Client(), &pave.CreateSessionRequest{Session: &pave.SessionSettings{Theme: pave.ThemeCapt}})
	assert.Equal(t, pave.ThemeCapt, explicit.Theme)
}

func TestSessionKeysDeterministic(t *testing.T) {
	t.Parallel()
	keys := func() []string {
		srv := NewServer(t, WithSeed(42))
		var out []string
		for range 3 {
			out = append(out, createSession(t, srv.Client(), nil).SessionKey)
		}
		return out
	}
	a, b := keys(), keys()
	assert.Equal(t, a, b)
	other := NewServer(t, WithSeed(43))
	assert.NotEqual(t, a[0], createSession(t, other.Client(), nil).SessionKey)
}

func TestCreateSessionValidation(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	hc := rawClient(t, srv, srv.Credentials(), nil)
	tests := []struct {
		name  string
		body  string
		field string
	}{
		{"short VIN", `{"vehicle":{"vin":"1HGCV1F39"}}`, "vehicle.vin"},
		{"long VIN", `{"vehicle":{"vin":"1HGCV1F39LA0123456"}}`, "vehicle.vin"},
		{"relative redirect", `{"session":{"redirect_url":"/done"}}`, "session.redirect_url"},
		{"bad sms.to", `{"sms":{"to":"call me"}}`, "sms.to"},
		{"bad sms.from", `{"sms":{"from":"12"}}`, "sms.from"},
		{"unknown theme", `{"session":{"theme":"DELUXE"}}`, "session.theme"},
		{"contact without last name", `{"session":{"contact":{"first_name":"Maria"}}}`, "session.contact.last_name"},
		{"options contact without first name", `{"options":{"contact":{"last_name":"Lopez"}}}`, "options.contact.first_name"},
		{"bad language", `{"session":{"language":"english"}}`, "session.language"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, body := call(t, hc, http.MethodPost, srv.URL+"/v1/sessions", tc.body, nil)
			require.Equal(t, http.StatusBadRequest, status)
			m := jsonMap(t, body)
			assert.Equal(t, "Required fields are missing or invalid.", m["message"])
			errs, ok := m["errors"].(map[string]any)
			require.True(t, ok, string(body))
			assert.Contains(t, errs, tc.field)
			assert.Len(t, errs, 1)
		})
	}
	status, body := call(t, hc, http.MethodPost, srv.URL+"/v1/sessions", `{"vehicle":{"vin":"SHORT"}}`, nil)
	require.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"message":"Required fields are missing or invalid.","errors":{"vehicle.vin":["VIN is too short, it must be 17 characters"]}}`, string(body))

	for _, bad := range []string{`{"session":`, `[1,2]`, `{"vehicle":"x"}`, `{"vehicle":{"year":"abc"}}`, "\x00\xff"} {
		status, body := call(t, hc, http.MethodPost, srv.URL+"/v1/sessions", bad, nil)
		assert.Equal(t, http.StatusBadRequest, status, bad)
		assert.NotEmpty(t, jsonMap(t, body)["message"], bad)
	}
	// An empty body creates a session with the defaults.
	status, _ = call(t, hc, http.MethodPost, srv.URL+"/v1/sessions", nil, nil)
	assert.Equal(t, http.StatusCreated, status)
}

func TestSessionEndpointsThroughClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := NewServer(t)
	c := srv.Client(pave.WithMaxRetries(0))
	sess := createSession(t, c, &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "https://a.example/done"}})
	key := sess.SessionKey

	got, err := c.Sessions.Get(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, key, got.SessionKey)

	photos, err := c.Sessions.Photos(ctx, key)
	require.NoError(t, err)
	assert.Empty(t, photos)
	notes, err := c.Sessions.Notes(ctx, key)
	require.NoError(t, err)
	assert.Empty(t, notes)

	_, err = c.Sessions.Results(ctx, key)
	require.ErrorIs(t, err, pave.ErrNotReady)
	assert.Equal(t, "Session is not yet completed.", apiError(t, err).Message)
	assert.Equal(t, http.StatusOK, apiError(t, err).StatusCode, "as PAVE's sample lists it")

	// Theme may change while IDLE.
	up, err := c.Sessions.Update(ctx, key, &pave.UpdateSessionRequest{Session: &pave.SessionSettings{Theme: pave.ThemeLite}})
	require.NoError(t, err)
	assert.Equal(t, pave.ThemeLite, up.Theme)

	require.NoError(t, srv.CapturePhoto(key, pave.PhotoVIN, true))
	require.NoError(t, srv.CapturePhoto(key, pave.PhotoInterior, false))
	photos, err = c.Sessions.Photos(ctx, key)
	require.NoError(t, err)
	require.Len(t, photos, 2)
	assert.Equal(t, pave.PhotoVIN, photos[0].PhotoCode)
	assert.True(t, photos[0].Approved)
	assert.Regexp(t, `^https://images-cdn\.paveapi\.com/`+key[:3]+`/`+key+`/`+key+`_01_[A-Z0-9]{3}\.jpg$`, photos[0].URL)
	assert.True(t, photos[1].Rejected())
	assert.Equal(t, "Wrong View", photos[1].RejectionReason())

	got, err = c.Sessions.Get(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, pave.StatusProcess, got.Status)
	assert.False(t, got.InspectStartedAt.IsZero())
	require.NotNil(t, got.Vehicle)
	ok, _ := pave.ValidateVIN(got.Vehicle.VIN)
	assert.True(t, ok, "VIN decoded at capture: %q", got.Vehicle.VIN)

	// Theme is locked once started; redirect_url and language are not.
	_, err = c.Sessions.Update(ctx, key, &pave.UpdateSessionRequest{Session: &pave.SessionSettings{Theme: pave.ThemePro}})
	require.Error(t, err)
	assert.Equal(t, "session.theme can only be changed while the session is IDLE.", apiError(t, err).Message)
	up, err = c.Sessions.Update(ctx, key, &pave.UpdateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "https://b.example/done", Language: "FR"}})
	require.NoError(t, err)
	assert.Equal(t, "https://b.example/done", up.RedirectURL)
	assert.Equal(t, pave.Language("FR"), up.Language)
	_, err = c.Sessions.Update(ctx, key, &pave.UpdateSessionRequest{Vehicle: &pave.Vehicle{Make: "Ford"}})
	assert.Equal(t, "vehicle can only be changed before the session has started.", apiError(t, err).Message)

	err = c.Sessions.Delete(ctx, key)
	require.Error(t, err)
	assert.Equal(t, "Session "+key+" has been started and cannot be deleted.", apiError(t, err).Message)
	assert.Equal(t, http.StatusBadRequest, apiError(t, err).StatusCode)

	require.NoError(t, srv.AddNote(key, "Scratch", "Customer mentioned a scratch"))
	notes, err = c.Sessions.Notes(ctx, key)
	require.NoError(t, err)
	require.Len(t, notes, 1)
	assert.Equal(t, "Scratch", notes[0].Title)
	assert.Equal(t, "Customer mentioned a scratch", notes[0].Description)
	assert.NotZero(t, notes[0].ID)

	require.NoError(t, srv.Complete(key))
	res, err := c.Sessions.Results(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, "SESSION:COMPLETE", res.Event)
	assert.Equal(t, pave.StatusComplete, res.Session.Status)
	assert.Equal(t, got.Vehicle.VIN, res.Vehicle.VIN)
	assert.Len(t, res.Photos, 13)
	_, err = c.Sessions.Update(ctx, key, &pave.UpdateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "https://c.example/"}})
	assert.Equal(t, "session.redirect_url can only be changed before the session is COMPLETE.", apiError(t, err).Message)

	// Delete of an IDLE session, then 404 everywhere.
	idle := createSession(t, c, nil).SessionKey
	require.NoError(t, c.Sessions.Delete(ctx, idle))
	_, err = c.Sessions.Get(ctx, idle)
	require.ErrorIs(t, err, pave.ErrNotFound)
	assert.Equal(t, "Session "+idle+" cannot be found.", apiError(t, err).Message)
	err = c.Sessions.Delete(ctx, idle)
	require.ErrorIs(t, err, pave.ErrNotFound)
}

func TestDeleteSessionMessages(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	hc := rawClient(t, srv, srv.Credentials(), nil)
	key := createSession(t, srv.Client(), nil).SessionKey
	status, body := call(t, hc, http.MethodDelete, srv.URL+"/v1/sessions/"+key, nil, nil)
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"message":"Session `+key+` has been successfully removed."}`, string(body))
	status, body = call(t, hc, http.MethodDelete, srv.URL+"/v1/sessions/"+key, nil, nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.JSONEq(t, `{"message":"Session `+key+` cannot be found."}`, string(body))
}

func TestUpdateSMSToRule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := NewServer(t)
	c := srv.Client(pave.WithMaxRetries(0))
	key := createSession(t, c, &pave.CreateSessionRequest{SMS: &pave.SMS{To: "4165550199"}}).SessionKey
	change := &pave.UpdateSessionRequest{SMS: &pave.SMS{To: "4165550100"}}
	_, err := c.Sessions.Update(ctx, key, change)
	require.Error(t, err)
	assert.Equal(t, "sms.to can only be changed before the session has started and after the previous SMS delivery failed.", apiError(t, err).Message)

	require.NoError(t, srv.SetSMSResult(key, false, "Undeliverable"))
	up, err := c.Sessions.Update(ctx, key, change)
	require.NoError(t, err)
	assert.Equal(t, "4165550100", up.Options.SMS.To)
	// The new number resets the delivery state.
	_, err = c.Sessions.Update(ctx, key, &pave.UpdateSessionRequest{SMS: &pave.SMS{To: "4165550111"}})
	require.Error(t, err)

	// Invalid values are 400 with the field map, like create.
	hc := rawClient(t, srv, srv.Credentials(), nil)
	status, body := call(t, hc, http.MethodPut, srv.URL+"/v1/sessions/"+key, `{"session":{"redirect_url":"nope"}}`, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, jsonMap(t, body)["errors"], "session.redirect_url")
	status, _ = call(t, hc, http.MethodPut, srv.URL+"/v1/sessions/NOP-0000000000", `{}`, nil)
	assert.Equal(t, http.StatusNotFound, status)
}

func TestAccountIsolation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := Account{Username: "dealer-a", APIKey: "key-a", APISecret: "secret-a"}
	b := Account{Username: "dealer-b", APIKey: "key-b", APISecret: "secret-b"}
	srv := NewServer(t, WithAccounts(a, b))
	ca := srv.Client(pave.WithMaxRetries(0))
	cb, err := srv.NewClient(b.Credentials(), pave.WithMaxRetries(0))
	require.NoError(t, err)
	key := createSession(t, ca, nil).SessionKey

	_, err = cb.Sessions.Get(ctx, key)
	require.ErrorIs(t, err, pave.ErrNotFound)
	assert.Equal(t, "Session "+key+" cannot be found.", apiError(t, err).Message)
	_, err = cb.Sessions.Photos(ctx, key)
	require.ErrorIs(t, err, pave.ErrNotFound)
	_, err = cb.Sessions.Results(ctx, key)
	require.ErrorIs(t, err, pave.ErrNotFound)
	require.ErrorIs(t, cb.Sessions.Delete(ctx, key), pave.ErrNotFound)
	_, err = cb.Sessions.Update(ctx, key, &pave.UpdateSessionRequest{Session: &pave.SessionSettings{Language: "FR"}})
	require.ErrorIs(t, err, pave.ErrNotFound)

	_, err = ca.Sessions.Get(ctx, key)
	require.NoError(t, err)
	sb := createSession(t, cb, nil)
	assert.True(t, strings.HasPrefix(sb.CaptureURL, "https://dealer-b.vehiclecapture.com/"))
}

func TestOddRequests(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	hc := rawClient(t, srv, srv.Credentials(), nil)
	for _, p := range []string{"/", "/v1", "/v1/", "/v1/nothing", "/v1/sessions/ABC-1234567890/unknown", "/v1/sessions//photos",
		"/v1/sessions/%2F%2E%2E", "/v2/capture", "/v9/sessions", "/v1/sessions/a/b/c/d", "/_fake", "/_fake/nothing"} {
		status, body := call(t, hc, http.MethodGet, srv.URL+p, nil, nil)
		assert.Contains(t, []int{http.StatusNotFound, http.StatusBadRequest}, status, p)
		if status == http.StatusNotFound {
			assert.NotEmpty(t, jsonMap(t, body)["message"], p)
		}
	}
	status, _ := call(t, hc, http.MethodPatch, srv.URL+"/v1/sessions", nil, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, status)

	big := strings.Repeat("x", DefaultMaxBodyBytes+10)
	status, body := call(t, hc, http.MethodPost, srv.URL+"/v1/sessions", big, nil)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.JSONEq(t, `{"message":"Request body too large."}`, string(body))
}

// PAVE lists "not yet completed" under its 200 sample; the fake answers
// 200 by default and any status NotReadyStatus names. The SDK reads both as
// not ready.
func TestResultsNotReadyStatus(t *testing.T) {
	t.Parallel()
	for _, status := range []int{0, http.StatusBadRequest, http.StatusConflict} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			srv := NewServer(t, func(o *Options) { o.NotReadyStatus = status })
			c := srv.Client()
			key := createSession(t, c, nil).SessionKey
			_, err := c.Sessions.Results(context.Background(), key)
			require.ErrorIs(t, err, pave.ErrNotReady)
			assert.Equal(t, cmp.Or(status, http.StatusOK), apiError(t, err).StatusCode)
			got, body := call(t, plainClient(t), http.MethodGet, srv.URL+"/v1/sessions/"+key+"/results", nil, signed(srv.Credentials(), srv.Now().UTC().Format(pave.TimestampLayout)))
			assert.Equal(t, cmp.Or(status, http.StatusOK), got)
			assert.JSONEq(t, `{"message": "Session is not yet completed."}`, string(body), "the body PAVE shows, and nothing else")
		})
	}
	_, err := Start(func(o *Options) { o.NotReadyStatus = 99 })
	assert.ErrorContains(t, err, "NotReadyStatus")
}

// Both readings of where the results' vehicle sits: the fake emits the
// literal one (inside session) with ResultsVehicleInSession, and the SDK
// fills Results.Vehicle and Session.Vehicle either way.
func TestResultsVehiclePlacement(t *testing.T) {
	t.Parallel()
	for _, inSession := range []bool{false, true} {
		t.Run(fmt.Sprint("inSession=", inSession), func(t *testing.T) {
			t.Parallel()
			srv := NewServer(t, func(o *Options) { o.ResultsVehicleInSession = inSession })
			c := srv.Client()
			key := createSession(t, c, &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{VIN: "1HGCV1F39LA012345"}}).SessionKey
			require.NoError(t, srv.Complete(key))
			res, err := c.Sessions.Results(context.Background(), key)
			require.NoError(t, err)
			doc := jsonMap(t, res.Raw())
			session := doc["session"].(map[string]any)
			if inSession {
				assert.NotContains(t, doc, "vehicle")
				assert.Contains(t, session, "vehicle")
			} else {
				assert.Contains(t, doc, "vehicle")
				assert.NotContains(t, session, "vehicle")
			}
			assert.Contains(t, session, "user_account")
			assert.Contains(t, session, "source")
			assert.Equal(t, "1HGCV1F39LA012345", res.Vehicle.VIN)
			require.NotNil(t, res.Session.Vehicle)
			assert.Equal(t, "1HGCV1F39LA012345", res.Session.Vehicle.VIN)
			require.NotNil(t, res.Session.UserAccount)
			require.NotNil(t, res.Session.Source)
			assert.Equal(t, pave.SourceAPI, res.Session.Source.Type)
		})
	}
}

// TestCreateSessionKeepsAnUnknownOdometerUnit: PAVE names its units
// "such as" KILOMETRES and MILES, so the fake refuses none.
func TestCreateSessionKeepsAnUnknownOdometerUnit(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	hc := rawClient(t, srv, srv.Credentials(), nil)
	status, body := call(t, hc, http.MethodPost, srv.URL+"/v1/sessions", `{"vehicle":{"odom_unit":"FURLONGS","odom_reading":12}}`, nil)
	require.Equal(t, http.StatusCreated, status, string(body))
	m := jsonMap(t, body)
	assert.Equal(t, "FURLONGS", m["vehicle"].(map[string]any)["odom_unit"])
}
