package pave_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

var sessionURL = mockBase + "/v1/sessions/" + sessionKey

func TestSessionsCreate(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodPost, mockBase+"/v1/sessions",
		jsonResponder(201, string(fixture(t, "session_created.json"))))

	req := &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{
			Theme:       pave.ThemePro,
			RedirectURL: "https://crm.northshore.example/inspections/done",
			Language:    pave.LanguageEN,
			ClientID:    "CRM-20931",
			Contact:     &pave.Contact{FirstName: "Priya", LastName: "Natarajan"},
			Reference:   map[string]any{"stock_no": "NS-5521"},
		},
		Vehicle: &pave.Vehicle{VIN: "2T1BURHE5JC074512", Year: 2018, Make: "Toyota", Model: "Corolla",
			OdomReading: 41250, OdomUnit: pave.Kilometres},
		SMS: &pave.SMS{To: "604-555-0142", ToName: "Priya Natarajan", From: "604-555-0100", By: "North Shore Auto",
			SendResultsToPhototaker: pave.Bool(true)},
		Options: &pave.SessionOptions{ClientID: "CRM-20931"},
	}
	s, err := c.Sessions.Create(context.Background(), req)
	require.NoError(t, err)

	reqs := sentTo(mt, http.MethodPost, "/v1/sessions")
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/v1/sessions", requestURI(r))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assertSignedAPIRequest(t, r, mockCreds)
	assert.JSONEq(t, `{
		"session": {"theme":"PRO","redirect_url":"https://crm.northshore.example/inspections/done","language":"EN",
			"client_id":"CRM-20931","contact":{"first_name":"Priya","last_name":"Natarajan"},"reference":{"stock_no":"NS-5521"}},
		"vehicle": {"vin":"2T1BURHE5JC074512","year":2018,"make":"Toyota","model":"Corolla","odom_reading":41250,"odom_unit":"KILOMETRES"},
		"sms": {"to":"604-555-0142","to_name":"Priya Natarajan","from":"604-555-0100","by":"North Shore Auto",
			"send_results_to_phototaker":"true"},
		"options": {"client_id":"CRM-20931"}
	}`, string(r.Body))

	assert.Equal(t, sessionKey, s.SessionKey)
	assert.Equal(t, pave.ThemePro, s.Theme)
	assert.True(t, s.Active)
	assert.Equal(t, pave.StatusIdle, s.Status)
	assert.True(t, s.InspectStartedAt.IsZero())
	assert.True(t, s.InspectEndedAt.IsZero())
	assert.Equal(t, time.Date(2025, 6, 2, 14, 5, 9, 0, time.UTC), s.CreatedAt.Time)
	assert.Equal(t, "https://northshoreauto.vehiclecapture.com/NSA-7K2D5MZ8WP", s.CaptureURL)
	require.NotNil(t, s.Options)
	assert.Equal(t, "CRM-20931", s.ClientID)
	require.NotNil(t, s.Options.SMS)
	assert.Equal(t, "604-555-0142", s.Options.SMS.To)
	require.NotNil(t, s.Options.SMS.SendResultsToPhototaker)
	assert.True(t, bool(*s.Options.SMS.SendResultsToPhototaker))
	require.NotNil(t, s.Vehicle)
	assert.Equal(t, "2T1BURHE5JC074512", s.Vehicle.VIN)
}

func TestSessionsCreateWithoutCaptureURL(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodPost, mockBase+"/v1/sessions",
		jsonResponder(200, string(fixture(t, "session_create_no_capture_url.json"))))
	s, err := c.Sessions.Create(context.Background(), &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{Theme: pave.ThemeLite, RedirectURL: "myapp://inspection/finished"},
	})
	require.NoError(t, err)
	assert.Equal(t, "NSA-R4T9X2LC6V", s.SessionKey)
	assert.Equal(t, "https://"+mockCreds.Username+".vehiclecapture.com/NSA-R4T9X2LC6V", s.CaptureURL)
	assert.Equal(t, pave.Language("en"), s.Language)
	assert.Equal(t, time.Date(2025, 6, 2, 14, 7, 44, 0, time.UTC), s.UpdatedAt.UTC())
}

func TestSessionsGet(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodGet, sessionURL, jsonResponder(200, string(fixture(t, "session_get.json"))))
	s, err := c.Sessions.Get(context.Background(), sessionKey)
	require.NoError(t, err)

	reqs := sentTo(mt, http.MethodGet, "/v1/sessions/"+sessionKey)
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, http.MethodGet, r.Method)
	assert.Equal(t, "/v1/sessions/"+sessionKey, requestURI(r))
	assertSignedAPIRequest(t, r, mockCreds)

	assert.Equal(t, pave.StatusProcess, s.Status)
	assert.False(t, s.Status.Final())
	assert.Equal(t, time.Date(2025, 6, 2, 15, 11, 20, 0, time.UTC), s.InspectStartedAt.Time)
	assert.True(t, s.InspectEndedAt.IsZero())
	assert.Equal(t, time.Date(2025, 6, 2, 15, 13, 2, 5e8, time.UTC), s.UpdatedAt.Time)
	assert.Equal(t, "https://northshoreauto.vehiclecapture.com/"+sessionKey, s.CaptureURL, "filled in")
	require.NotNil(t, s.Vehicle)
	assert.Equal(t, pave.Vehicle{
		VehicleID: 73304, VIN: "2T1BURHE5JC074512", Year: 2018, Make: "Toyota", Model: "Corolla",
		BodyType: "Sedan 4 Dr.", Trim: "LE", Transmission: "CVT", Drivetrain: "Front Wheel Drive",
		EngineType: "4 Cylinder Engine", FuelType: "Gasoline Fuel", ExtCol: "Blue Crush Metallic", IntCol: "Ash",
		OdomReading: 41250, OdomUnit: pave.Kilometres,
	}, *s.Vehicle)
	require.NotNil(t, s.Options)
	assert.Equal(t, &pave.SMS{To: "604-555-0142", ToName: "Priya Natarajan", From: "604-555-0100", By: "North Shore Auto"}, s.Options.SMS)
}

func TestSessionsGetNotFound(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodGet, sessionURL,
		jsonResponder(404, `{"message":"Session NSA-7K2D5MZ8WP cannot be found."}`))
	_, err := c.Sessions.Get(context.Background(), sessionKey)
	require.ErrorIs(t, err, pave.ErrNotFound)
	var apiErr *pave.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Session NSA-7K2D5MZ8WP cannot be found.", apiErr.Message)
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestSessionsPhotos(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodGet, sessionURL+"/photos", jsonResponder(200, string(fixture(t, "photos.json"))))
	photos, err := c.Sessions.Photos(context.Background(), sessionKey)
	require.NoError(t, err)
	reqs := sentTo(mt, http.MethodGet, "/v1/sessions/"+sessionKey+"/photos")
	require.Len(t, reqs, 1)
	assert.Equal(t, "/v1/sessions/"+sessionKey+"/photos", requestURI(reqs[0]))
	assertSignedAPIRequest(t, reqs[0], mockCreds)

	require.Len(t, photos, 2)
	assert.Equal(t, pave.Photo{
		PhotoCode: pave.PhotoVIN, PhotoLabel: pave.LabelVIN,
		URL:      "https://images-cdn.paveapi.com/NSA/NSA-7K2D5MZ8WP/NSA-7K2D5MZ8WP_01_K3P.jpg",
		Approved: true, ApprovedMessage: "ACCEPTED",
		CreatedAt: pave.Time{Time: time.Date(2025, 6, 2, 15, 11, 41, 0, time.UTC)},
		UpdatedAt: pave.Time{Time: time.Date(2025, 6, 2, 15, 11, 47, 0, time.UTC)},
	}, normalizePhoto(pave.WithoutRaw(photos[0])))
	assert.Equal(t, pave.PhotoFrontLeft, photos[1].PhotoCode)
	assert.True(t, photos[1].Rejected())
	assert.Equal(t, "Wrong View", photos[1].RejectionReason())
}

// normalizePhoto puts the timestamps in UTC so struct equality ignores the
// decoded zone (+00:00 decodes as a fixed zone).
func normalizePhoto(p pave.Photo) pave.Photo {
	p.CreatedAt.Time = p.CreatedAt.UTC()
	p.UpdatedAt.Time = p.UpdatedAt.UTC()
	return p
}

func TestSessionsPhotosShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    int
		wantErr bool
	}{
		{"empty list", `[]`, 0, false},
		{"null", `null`, 0, false},
		{"empty body", ``, 0, false},
		{"wrapped in data", `{"data":[{"photo_code":2}]}`, 1, false},
		{"wrapped in photos", `{"photos":[{"photo_code":2},{"photo_code":3}]}`, 2, false},
		{"unknown wrapper", `{"items":[]}`, 0, true},
		{"malformed object", `{"data":`, 0, true},
		{"wrong element type", `[1,2]`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := pavetest.NewMockClient(t)
			mt.RegisterResponder(http.MethodGet, sessionURL+"/photos", jsonResponder(200, tt.body))
			photos, err := c.Sessions.Photos(context.Background(), sessionKey)
			if tt.wantErr {
				require.ErrorIs(t, err, pave.ErrBadResponse)
				var re *pave.RequestError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, "/v1/sessions/"+sessionKey+"/photos", re.Path)
				assert.Equal(t, 1, mt.GetTotalCallCount())
				return
			}
			require.NoError(t, err)
			assert.Len(t, photos, tt.want)
		})
	}
	t.Run("error", func(t *testing.T) {
		t.Parallel()
		c, mt := pavetest.NewMockClient(t)
		mt.RegisterResponder(http.MethodGet, sessionURL+"/photos", jsonResponder(404, `{"message":"Session NSA-7K2D5MZ8WP cannot be found."}`))
		_, err := c.Sessions.Photos(context.Background(), sessionKey)
		require.ErrorIs(t, err, pave.ErrNotFound)
	})
}

func TestSessionsNotes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture string
		check   func(t *testing.T, notes []pave.Note)
	}{
		{"notes.json", func(t *testing.T, notes []pave.Note) {
			require.Len(t, notes, 2)
			assert.Equal(t, pave.Int(911), notes[0].ID)
			assert.Equal(t, "Windshield", notes[0].Title)
			assert.Equal(t, "Customer mentioned a chip on the passenger side.", notes[0].Description)
			assert.Equal(t, time.Date(2025, 6, 2, 15, 20, 0, 0, time.UTC), notes[0].CreatedAt.Time)
			var extra struct{ Author string }
			require.NoError(t, json.Unmarshal(notes[1].Raw(), &extra))
			assert.Equal(t, "agent-7", extra.Author, "undocumented fields stay reachable")
		}},
		{"notes_wrapped.json", func(t *testing.T, notes []pave.Note) {
			require.Len(t, notes, 1)
			assert.Equal(t, pave.Int(913), notes[0].ID)
			assert.Equal(t, "Winter tires on steel rims.", notes[0].Description)
		}},
		{"notes_strings.json", func(t *testing.T, notes []pave.Note) {
			require.Len(t, notes, 2)
			assert.Equal(t, "Seller will bring the service records.", notes[0].Description)
			assert.Equal(t, `"Smells of smoke."`, string(notes[1].Raw()))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			c, mt := pavetest.NewMockClient(t)
			mt.RegisterResponder(http.MethodGet, sessionURL+"/notes", jsonResponder(200, string(fixture(t, tt.fixture))))
			notes, err := c.Sessions.Notes(context.Background(), sessionKey)
			require.NoError(t, err)
			reqs := sentTo(mt, http.MethodGet, "/v1/sessions/"+sessionKey+"/notes")
			require.Len(t, reqs, 1)
			assert.Equal(t, "/v1/sessions/"+sessionKey+"/notes", requestURI(reqs[0]))
			assertSignedAPIRequest(t, reqs[0], mockCreds)
			tt.check(t, notes)
		})
	}
	t.Run("wrapped in notes", func(t *testing.T) {
		t.Parallel()
		c, mt := pavetest.NewMockClient(t)
		mt.RegisterResponder(http.MethodGet, sessionURL+"/notes", jsonResponder(200, `{"notes":["a"]}`))
		notes, err := c.Sessions.Notes(context.Background(), sessionKey)
		require.NoError(t, err)
		require.Len(t, notes, 1)
		assert.Equal(t, "a", notes[0].Description)
		assert.Equal(t, `"a"`, string(notes[0].Raw()))
	})
	t.Run("error", func(t *testing.T) {
		t.Parallel()
		c, mt := pavetest.NewMockClient(t)
		mt.RegisterResponder(http.MethodGet, sessionURL+"/notes", jsonResponder(401, `{"message":"Unauthorized."}`))
		_, err := c.Sessions.Notes(context.Background(), sessionKey)
		require.ErrorIs(t, err, pave.ErrUnauthorized)
	})
}

func TestSessionsResults(t *testing.T) {
	t.Parallel()
	doc := fixture(t, "results.json")
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodGet, sessionURL+"/results", jsonResponder(200, string(doc)))
	res, err := c.Sessions.Results(context.Background(), sessionKey)
	require.NoError(t, err)
	reqs := sentTo(mt, http.MethodGet, "/v1/sessions/"+sessionKey+"/results")
	require.Len(t, reqs, 1)
	assert.Equal(t, "/v1/sessions/"+sessionKey+"/results", requestURI(reqs[0]))
	assertSignedAPIRequest(t, reqs[0], mockCreds)

	assert.Equal(t, "SESSION:COMPLETE", res.Event)
	s := res.Session
	assert.Equal(t, pave.StatusComplete, s.Status)
	assert.Equal(t, pave.Int(262), s.CaptureDuration)
	assert.Equal(t, pave.Int(623), s.InspectDuration, "a numeric string")
	assert.Equal(t, time.Date(2025, 6, 2, 15, 26, 5, 0, time.UTC), s.InspectEndedAt.UTC())
	assert.Equal(t, "https://northshoreauto.vehiclecapture.com/"+sessionKey, s.CaptureURL)
	assert.Equal(t, &pave.Contact{FirstName: "Priya", LastName: "Natarajan"}, s.Contact)
	assert.Equal(t, map[string]any{"stock_no": "NS-5521", "appraiser": "devon"}, s.Reference)
	assert.Equal(t, &pave.UserAccount{Username: "northshoreauto", FirstName: "Devon", LastName: "Marsh",
		Email: "devon@northshore.example"}, s.UserAccount)
	assert.Equal(t, &pave.Source{Type: "api", Properties: pave.SourceProperties{APIName: "CRM trade-in"}}, s.Source)

	v := res.Vehicle
	assert.Equal(t, pave.Int(73304), v.ID)
	assert.Equal(t, sessionKey, v.SessionKey)
	assert.Equal(t, pave.Int(2018), v.Year, "year as a string")
	assert.Empty(t, v.VRM)
	assert.Equal(t, pave.Int(41250), v.OdomReading)

	require.Len(t, res.Photos, 2)
	assert.Equal(t, pave.PhotoLeft, res.Photos[0].PhotoCode)
	require.NotNil(t, res.Location)
	assert.Equal(t, pave.Location{Latitude: 49.3198, Longitude: -123.0724, Address: "North Vancouver, BC"}, *res.Location)
	require.NotNil(t, res.Inspection)
	assert.Equal(t, pave.Int(3), res.Inspection.Grade)
	assert.Equal(t, pave.Int(2), res.Inspection.DamageCount)
	require.Len(t, res.Inspection.Damages, 2)
	assert.Equal(t, pave.Damage{DamageGroup: "WHEEL", Component: "WHEEL_FRONT_LEFT", DamageName: "CURB_RASH_MEDIUM",
		Description: "Curb rash", RepairMethod: "Specialist Repair", GradeScore: 3, PhotoCode: pave.PhotoLeft},
		res.Inspection.Damages[1])

	// Undocumented sections stay reachable through Raw.
	assert.JSONEq(t, string(doc), string(res.Raw()))
	var extra struct {
		Estimates struct {
			Currency string  `json:"currency"`
			Total    float64 `json:"total"`
		} `json:"estimates"`
	}
	require.NoError(t, json.Unmarshal(res.Raw(), &extra))
	assert.Equal(t, "CAD", extra.Estimates.Currency)
	assert.Equal(t, 640.5, extra.Estimates.Total)
	// Encoding: as received plus any edit; the capture link the SDK
	// derived is not one.
	out, err := json.Marshal(res)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(out, &got))
	sess := got["session"].(map[string]any)
	assert.NotEmpty(t, res.Session.CaptureURL)
	assert.NotContains(t, sess, "capture_url", "the link the SDK filled in is not written")
	delete(sess, "capture_url")
	want, err := json.Marshal(got)
	require.NoError(t, err)
	assert.JSONEq(t, string(doc), string(want), "a decoded Results re-encodes unchanged")

	res.Inspection.Grade = 5
	res.Inspection.Damages = res.Inspection.Damages[:1]
	res.Session.Theme = ""
	out, err = json.Marshal(res)
	require.NoError(t, err)
	var edited struct {
		Estimates  map[string]any `json:"estimates"`
		Inspection struct {
			Grade   int              `json:"grade"`
			Damages []map[string]any `json:"damages"`
		} `json:"inspection"`
		Session map[string]any `json:"session"`
	}
	require.NoError(t, json.Unmarshal(out, &edited))
	assert.Equal(t, 5, edited.Inspection.Grade, "an edit is kept")
	assert.Len(t, edited.Inspection.Damages, 1, "a shortened list is kept")
	assert.NotContains(t, edited.Session, "theme", "a cleared field is removed")
	assert.Equal(t, "623", edited.Session["inspect_duration"], "an unedited field keeps PAVE's form")
	assert.Equal(t, "CAD", edited.Estimates["currency"], "an unknown section is kept")
}

func TestSessionsResultsNotReady(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 409, 425} {
		c, mt := pavetest.NewMockClient(t)
		mt.RegisterResponder(http.MethodGet, sessionURL+"/results",
			jsonResponder(status, `{"message":"Session is not yet completed."}`))
		_, err := c.Sessions.Results(context.Background(), sessionKey)
		require.ErrorIs(t, err, pave.ErrNotReady, status)
		assert.NotErrorIs(t, err, pave.ErrNotFound)
		assert.Equal(t, 1, mt.GetTotalCallCount())
	}
}

func TestSessionsUpdate(t *testing.T) {
	t.Parallel()
	update := &pave.UpdateSessionRequest{Session: &pave.SessionSettings{
		RedirectURL: "https://crm.northshore.example/inspections/v2/done", Language: pave.LanguageEN,
	}}
	wantBody := `{"session":{"redirect_url":"https://crm.northshore.example/inspections/v2/done","language":"EN"}}`

	t.Run("returns the session", func(t *testing.T) {
		t.Parallel()
		c, mt := pavetest.NewMockClient(t)
		mt.RegisterResponder(http.MethodPut, sessionURL, jsonResponder(200, string(fixture(t, "session_get.json"))))
		s, err := c.Sessions.Update(context.Background(), sessionKey, update)
		require.NoError(t, err)
		reqs := pavetest.Sent(mt)
		require.Len(t, reqs, 1, "no extra GET when the session came back")
		r := reqs[0]
		assert.Equal(t, http.MethodPut, r.Method)
		assert.Equal(t, "/v1/sessions/"+sessionKey, requestURI(r))
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assertSignedAPIRequest(t, r, mockCreds)
		assert.JSONEq(t, wantBody, string(r.Body))
		assert.Equal(t, sessionKey, s.SessionKey)
		assert.Equal(t, "https://northshoreauto.vehiclecapture.com/"+sessionKey, s.CaptureURL)
	})
	for name, body := range map[string]string{
		"returns a message": `{"message":"Session updated successfully."}`,
		"returns nothing":   ``,
		"returns a list":    `[]`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := pavetest.NewMockClient(t)
			mt.RegisterResponder(http.MethodPut, sessionURL, jsonResponder(200, body))
			mt.RegisterResponder(http.MethodGet, sessionURL, jsonResponder(200, string(fixture(t, "session_get.json"))))
			s, err := c.Sessions.Update(context.Background(), sessionKey, update)
			require.NoError(t, err)
			reqs := pavetest.Sent(mt)
			require.Len(t, reqs, 2)
			assert.Equal(t, http.MethodPut, reqs[0].Method)
			assert.JSONEq(t, wantBody, string(reqs[0].Body))
			assert.Equal(t, http.MethodGet, reqs[1].Method, "the session is fetched after the update")
			assert.Equal(t, pave.StatusProcess, s.Status)
		})
	}
	t.Run("rule violation", func(t *testing.T) {
		t.Parallel()
		c, mt := pavetest.NewMockClient(t)
		mt.RegisterResponder(http.MethodPut, sessionURL,
			jsonResponder(400, `{"message":"session.theme can be changed only while the session is IDLE."}`))
		_, err := c.Sessions.Update(context.Background(), sessionKey, &pave.UpdateSessionRequest{
			Session: &pave.SessionSettings{Theme: pave.ThemeLite}})
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 400, apiErr.StatusCode)
		assert.Equal(t, 1, mt.GetTotalCallCount())
	})
}

func TestSessionsDelete(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodDelete, sessionURL,
		jsonResponder(200, `{"message":"Session NSA-7K2D5MZ8WP has been successfully removed."}`))
	require.NoError(t, c.Sessions.Delete(context.Background(), sessionKey))
	reqs := sentTo(mt, http.MethodDelete, "/v1/sessions/"+sessionKey)
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, http.MethodDelete, r.Method)
	assert.Equal(t, "/v1/sessions/"+sessionKey, requestURI(r))
	assertSignedAPIRequest(t, r, mockCreds)
	assert.Empty(t, r.Body)

	t.Run("started session", func(t *testing.T) {
		t.Parallel()
		c, mt := pavetest.NewMockClient(t)
		mt.RegisterResponder(http.MethodDelete, sessionURL,
			jsonResponder(400, `{"message":"Session NSA-7K2D5MZ8WP has been started and cannot be deleted."}`))
		err := c.Sessions.Delete(context.Background(), sessionKey)
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "Session NSA-7K2D5MZ8WP has been started and cannot be deleted.", apiErr.Message)
		assert.NotErrorIs(t, err, pave.ErrValidation)
	})
}

// statusBody is a session document in the given status.
func statusBody(status pave.SessionStatus) string {
	return `{"session_key":"` + sessionKey + `","status":"` + string(status) + `"}`
}

// waitCtx is a safety net for WaitForResults tests: were the loop never to
// end, the deadline turns a hang into a clear failure.
func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func fastPolling() []pave.CallOption {
	return []pave.CallOption{pave.PollFirstAfter(0), pave.PollInterval(10*time.Millisecond, 20*time.Millisecond)}
}

func TestWaitForResultsCompletes(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodGet, sessionURL, sequence(
		jsonResponder(200, statusBody(pave.StatusIdle)),
		jsonResponder(200, statusBody(pave.StatusProcess)),
		jsonResponder(200, statusBody("PROCESSING")),
		jsonResponder(200, statusBody(pave.StatusComplete)),
	))
	mt.RegisterResponder(http.MethodGet, sessionURL+"/results",
		jsonResponder(200, string(fixture(t, "results.json"))))
	res, err := c.Sessions.WaitForResults(waitCtx(t), sessionKey, fastPolling()...)
	require.NoError(t, err)
	assert.Equal(t, pave.StatusComplete, res.Session.Status)
	assert.Len(t, sentTo(mt, http.MethodGet, "/v1/sessions/"+sessionKey), 4)
	assert.Len(t, sentTo(mt, http.MethodGet, "/v1/sessions/"+sessionKey+"/results"), 1)
}

func TestWaitForResultsPollsThroughNotReady(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodGet, sessionURL, jsonResponder(200, statusBody(pave.StatusComplete)))
	mt.RegisterResponder(http.MethodGet, sessionURL+"/results", sequence(
		jsonResponder(400, `{"message":"Session is not yet completed."}`),
		jsonResponder(200, string(fixture(t, "results.json"))),
	))
	res, err := c.Sessions.WaitForResults(waitCtx(t), sessionKey, fastPolling()...)
	require.NoError(t, err)
	assert.Equal(t, "SESSION:COMPLETE", res.Event)
	assert.Len(t, sentTo(mt, http.MethodGet, "/v1/sessions/"+sessionKey+"/results"), 2)
}

func TestWaitForResultsSessionEnded(t *testing.T) {
	t.Parallel()
	for _, status := range []pave.SessionStatus{pave.StatusExpired, pave.StatusInvalid} {
		t.Run(string(status), func(t *testing.T) {
			t.Parallel()
			c, mt := pavetest.NewMockClient(t)
			mt.RegisterResponder(http.MethodGet, sessionURL, sequence(
				jsonResponder(200, statusBody(pave.StatusStarted)),
				jsonResponder(200, statusBody(status)),
			))
			_, err := c.Sessions.WaitForResults(waitCtx(t), sessionKey, fastPolling()...)
			require.ErrorIs(t, err, pave.ErrSessionEnded)
			var ended *pave.SessionEndedError
			require.ErrorAs(t, err, &ended)
			assert.Equal(t, sessionKey, ended.SessionKey)
			assert.Equal(t, status, ended.Status)
			assert.Equal(t, "pave: session "+sessionKey+" ended with status "+string(status)+" and will not complete", err.Error())
			assert.NotErrorIs(t, err, pave.ErrNotFound)
			assert.Equal(t, 2, mt.GetTotalCallCount(), "no results request for an ended session")
		})
	}
}

func TestWaitForResultsStopsOnPermanentErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		get      httpmock.Responder
		results  httpmock.Responder
		want     error
		wantGets int
	}{
		{"404", jsonResponder(404, `{"message":"Session NSA-7K2D5MZ8WP cannot be found."}`), nil, pave.ErrNotFound, 1},
		{"401", jsonResponder(401, `{"message":"Invalid API-Token."}`), nil, pave.ErrUnauthorized, 1},
		{"malformed", jsonResponder(200, `{"status":`), nil, pave.ErrBadResponse, 1},
		{"results 404", jsonResponder(200, statusBody(pave.StatusComplete)),
			jsonResponder(404, `{"message":"Session NSA-7K2D5MZ8WP cannot be found."}`), pave.ErrNotFound, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := pavetest.NewMockClient(t)
			mt.RegisterResponder(http.MethodGet, sessionURL, tt.get)
			if tt.results != nil {
				mt.RegisterResponder(http.MethodGet, sessionURL+"/results", tt.results)
			}
			_, err := c.Sessions.WaitForResults(waitCtx(t), sessionKey, fastPolling()...)
			require.ErrorIs(t, err, tt.want)
			assert.Len(t, sentTo(mt, http.MethodGet, "/v1/sessions/"+sessionKey), tt.wantGets)
		})
	}
}

func TestWaitForResultsPollsThroughTransientErrors(t *testing.T) {
	t.Parallel()
	// No client retries, so each transient failure reaches the poll loop.
	c, mt := pavetest.NewMockClient(t, pave.WithMaxRetries(0))
	mt.RegisterResponder(http.MethodGet, sessionURL, sequence(
		jsonResponder(503, `{"message":"Service Unavailable"}`),
		jsonResponder(429, `{"message":"Too Many Requests."}`),
		httpmock.NewErrorResponder(errors.New("connection reset by peer")),
		jsonResponder(200, statusBody(pave.StatusComplete)),
	))
	mt.RegisterResponder(http.MethodGet, sessionURL+"/results", sequence(
		jsonResponder(502, `<html>bad gateway</html>`),
		jsonResponder(200, string(fixture(t, "results.json"))),
	))
	res, err := c.Sessions.WaitForResults(waitCtx(t), sessionKey, fastPolling()...)
	require.NoError(t, err)
	assert.Equal(t, sessionKey, res.Session.SessionKey)
	assert.Len(t, sentTo(mt, http.MethodGet, "/v1/sessions/"+sessionKey), 5)
}

func TestWaitForResultsContextCancel(t *testing.T) {
	t.Parallel()
	t.Run("during polling", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var polls atomic.Int32
		c, mt := pavetest.NewMockClient(t)
		mt.RegisterResponder(http.MethodGet, sessionURL, func(*http.Request) (*http.Response, error) {
			if polls.Add(1) == 3 {
				cancel()
			}
			return jsonResponse(200, statusBody(pave.StatusProcess)), nil
		})
		_, err := c.Sessions.WaitForResults(ctx, sessionKey, fastPolling()...)
		require.ErrorIs(t, err, context.Canceled)
		assert.GreaterOrEqual(t, polls.Load(), int32(2))
	})
	t.Run("before the first poll", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		c, mt := noNetworkClient(t)
		_, err := c.Sessions.WaitForResults(ctx, sessionKey) // default 5 s first wait
		require.ErrorIs(t, err, context.Canceled)
		assert.Contains(t, err.Error(), sessionKey)
		assert.Empty(t, pavetest.Sent(mt))
	})
	t.Run("deadline", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		c, mt := pavetest.NewMockClient(t)
		mt.RegisterResponder(http.MethodGet, sessionURL, jsonResponder(200, statusBody(pave.StatusQCPassed)))
		_, err := c.Sessions.WaitForResults(ctx, sessionKey, pave.PollFirstAfter(0), pave.PollInterval(10*time.Millisecond, 10*time.Millisecond))
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// Waiting options validate like client options: a bad value is an error
// before any poll, never a silent default.
func TestWaitOptionsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  pave.CallOption
		want string
	}{
		{"negative first wait", pave.PollFirstAfter(-time.Second), "PollFirstAfter: -1s is negative"},
		{"zero interval", pave.PollInterval(0, 0), "PollInterval: initial interval 0s is under 10ms"},
		{"negative interval", pave.PollInterval(-time.Second, time.Second), "is under 10ms"},
		{"a unit mistake", pave.PollInterval(5, 60), "initial interval 5ns is under 10ms"},
		{"microseconds", pave.PollInterval(time.Microsecond, time.Microsecond), "is under 10ms"},
		{"max below initial", pave.PollInterval(time.Second, time.Millisecond*500), "max 500ms is under the initial interval 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := pavetest.NewMockClient(t)
			_, err := c.Sessions.WaitForResults(waitCtx(t), sessionKey, tt.opt)
			require.ErrorIs(t, err, pave.ErrInvalidOption)
			assert.ErrorContains(t, err, tt.want)
			assert.Zero(t, mt.GetTotalCallCount(), "no poll with a bad option")
		})
	}
	// A nil option is ignored; the smallest valid values are accepted.
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodGet, sessionURL, jsonResponder(200, statusBody(pave.StatusExpired)))
	_, err := c.Sessions.WaitForResults(waitCtx(t), sessionKey, nil, pave.PollFirstAfter(0), pave.PollInterval(10*time.Millisecond, 10*time.Millisecond))
	require.ErrorIs(t, err, pave.ErrSessionEnded)
}
