package pave_test

// Fidelity: where PAVE's docs leave a shape open, the SDK accepts every
// documented reading. The bodies below follow the shapes PAVE's pages show,
// with values of our own; each test names the docs item it covers.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// docsResultsNested is the results sample read literally: counting its
// braces, user_account, source and vehicle sit inside session.
const docsResultsNested = `{
  "event": "SESSION:COMPLETE",
  "session": {
    "session_key": "FDL-3M8Q2ZK7WD",
    "theme": "PRO",
    "active": true,
    "status": "COMPLETE",
    "redirect_url": "https://crm.fidelity.example/done",
    "inspect_started_at": "",
    "inspect_ended_at": "2025-02-11T16:02:11+00:00",
    "capture_duration": 300,
    "inspect_duration": "540",
    "created_at": "2025-02-11T15:40:02+00:00",
    "updated_at": "2025-02-11T16:04:40+00:00",
    "language": "EN",
    "options": {"client_id": "FDL-77", "contact": {"first_name": "Ana", "last_name": "Reyes"}, "reference": {"lead": "L-9"}},
    "user_account": {"username": "fidelityauto", "first_name": "Sam", "last_name": "Ortiz", "email": "sam@fidelity.example", "phone": null},
    "source": {"type": "shareable_link", "properties": {"form_name": "Trade-in page"}},
    "vehicle": {"id": 9021, "session_key": "FDL-3M8Q2ZK7WD", "vin": "1HGCV1F39LA012345", "vrm": null, "year": "2020",
      "make": "Honda", "model": "Accord", "odom_reading": "100,945", "odom_unit": "MILES"}
  }
}`

// docsResultsTop is the other reading: vehicle next to session.
const docsResultsTop = `{
  "event": "SESSION:COMPLETE",
  "session": {"session_key": "FDL-3M8Q2ZK7WD", "status": "COMPLETE",
    "user_account": {"username": "fidelityauto"}, "source": {"type": "api", "properties": {"api_name": "CRM"}}},
  "vehicle": {"vin": "1HGCV1F39LA012345", "year": 2020, "make": "Honda", "odom_reading": 100945, "odom_unit": "MILES"}
}`

// Item 1: the results page lists {"message": "Session is not yet
// completed."} under its 200 sample.
func TestFidelityNotReadyWith200(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       error
	}{
		{"the documented not-ready body", `{"message": "Session is not yet completed."}`, pave.ErrNotReady},
		{"another message alone", `{"message": "Processing."}`, pave.ErrBadResponse},
		{"an empty object", `{}`, pave.ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := pavetest.NewMockClient(t)
			mt.RegisterResponder(http.MethodGet, sessionURL+"/results", jsonResponder(200, tt.body))
			res, err := c.Sessions.Results(context.Background(), sessionKey)
			require.ErrorIs(t, err, tt.want)
			assert.Nil(t, res, "never a zero value with a nil error")
		})
	}

	// WaitForResults keeps waiting on it.
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodGet, sessionURL, jsonResponder(200, statusBody(pave.StatusComplete)))
	mt.RegisterResponder(http.MethodGet, sessionURL+"/results", sequence(
		jsonResponder(200, `{"message": "Session is not yet completed."}`),
		jsonResponder(200, docsResultsTop),
	))
	res, err := c.Sessions.WaitForResults(waitCtx(t), sessionKey, fastPolling()...)
	require.NoError(t, err)
	assert.Equal(t, "1HGCV1F39LA012345", res.Vehicle.VIN)

	// Hotspots results: the same body, with or without PAVE's success flag.
	for _, body := range []string{`{"message": "Session is not yet completed."}`, `{"success": false, "message": "Session is not yet completed."}`} {
		c, _ := hsMockClient(t, nil, jsonResponder(200, body))
		hr, err := c.Hotspots.Results(context.Background(), hsKey)
		require.ErrorIs(t, err, pave.ErrNotReady, body)
		assert.Nil(t, hr)
	}
}

// Item 2: results' vehicle, user_account and source, nested or not.
func TestFidelityResultsVehicleEitherPlace(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{"nested, as printed": docsResultsNested, "top level": docsResultsTop} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := decodeBoth(t, []byte(doc))
			assert.Equal(t, "1HGCV1F39LA012345", r.Vehicle.VIN)
			assert.Equal(t, pave.Int(2020), r.Vehicle.Year)
			assert.Equal(t, pave.Int(100945), r.Vehicle.OdomReading)
			assert.Equal(t, pave.Miles, r.Vehicle.OdomUnit)
			require.NotNil(t, r.Session.Vehicle)
			assert.Equal(t, r.Vehicle, *r.Session.Vehicle)
			require.NotNil(t, r.Session.UserAccount)
			assert.Equal(t, "fidelityauto", r.Session.UserAccount.Username)
			require.NotNil(t, r.Session.Source)
			assert.Contains(t, []pave.SourceType{pave.SourceShareableLink, pave.SourceAPI}, r.Session.Source.Type)
		})
	}
	// A callback payload merged into a COMPLETE delivery may put anything
	// at the top level: PAVE's own example payload is {"source": "PAVE"}.
	var r pave.Results
	require.NoError(t, json.Unmarshal([]byte(`{"event": "SESSION:COMPLETE", "source": "PAVE", "user_account": 7,
		"session": {"session_key": "FDL-3M8Q2ZK7WD", "source": {"type": "api"}}}`), &r))
	assert.Equal(t, pave.SourceAPI, r.Session.Source.Type)
}

// Item 3: the flag can be unset, true or false, in the docs' string form.
func TestFidelitySendResultsToPhototaker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		flag *pave.StringBool
		want string
	}{
		{nil, `{"sms": {"to": "+14165550199"}}`},
		{pave.Bool(true), `{"sms": {"to": "+14165550199", "send_results_to_phototaker": "true"}}`},
		{pave.Bool(false), `{"sms": {"to": "+14165550199", "send_results_to_phototaker": "false"}}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(pave.CreateSessionRequest{SMS: &pave.SMS{To: "+14165550199", SendResultsToPhototaker: tt.flag}})
		require.NoError(t, err)
		assert.JSONEq(t, tt.want, string(b))
	}
	for in, want := range map[string]bool{`"false"`: false, `"true"`: true, `false`: false, `true`: true} {
		var sms pave.SMS
		require.NoError(t, json.Unmarshal([]byte(`{"send_results_to_phototaker": `+in+`}`), &sms))
		require.NotNil(t, sms.SendResultsToPhototaker, in)
		assert.Equal(t, want, bool(*sms.SendResultsToPhototaker), in)
	}
}

// Item 4: every decoded type keeps its object; Raw returns a copy.
func TestFidelityRawOnEveryType(t *testing.T) {
	t.Parallel()
	const extra = `"added_by_pave_later": {"x": 1}`
	decode := map[string]func([]byte) (interface{ Raw() json.RawMessage }, error){
		"Session": func(b []byte) (interface{ Raw() json.RawMessage }, error) {
			var v pave.Session
			return v, json.Unmarshal(b, &v)
		},
		"Photo": func(b []byte) (interface{ Raw() json.RawMessage }, error) {
			var v pave.Photo
			return v, json.Unmarshal(b, &v)
		},
		"Note": func(b []byte) (interface{ Raw() json.RawMessage }, error) {
			var v pave.Note
			return v, json.Unmarshal(b, &v)
		},
		"Callback": func(b []byte) (interface{ Raw() json.RawMessage }, error) {
			var v pave.Callback
			return v, json.Unmarshal(b, &v)
		},
		"ResendResult": func(b []byte) (interface{ Raw() json.RawMessage }, error) {
			var v pave.ResendResult
			return v, json.Unmarshal(b, &v)
		},
		"HotspotResults": func(b []byte) (interface{ Raw() json.RawMessage }, error) {
			var v pave.HotspotResults
			return &v, json.Unmarshal(b, &v)
		},
		"Results": func(b []byte) (interface{ Raw() json.RawMessage }, error) {
			var v pave.Results
			return &v, json.Unmarshal(b, &v)
		},
	}
	bodies := map[string]string{
		"Session":        `{"session_key": "FDL-3M8Q2ZK7WD", "status": "IDLE", ` + extra + `}`,
		"Photo":          `{"photo_code": 4, "photo_label": "Left", "url": "https://img.example/4.jpg", "approved": true, ` + extra + `}`,
		"Note":           `{"id": 3, "title": "Scratch", ` + extra + `}`,
		"Callback":       `{"event": "SESSION:COMPLETE", "url": "https://crm.example/pave", ` + extra + `}`,
		"ResendResult":   `{"status": "success", "session_key": "FDL-3M8Q2ZK7WD", ` + extra + `}`,
		"HotspotResults": `{"success": true, "message": "0 damages found on the vehicle.", "data": [], ` + extra + `}`,
		"Results":        `{"session": {"session_key": "FDL-3M8Q2ZK7WD"}, ` + extra + `}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v, err := decode[name]([]byte(body))
			require.NoError(t, err)
			raw := v.Raw()
			assert.JSONEq(t, body, string(raw))
			var m map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(raw, &m))
			assert.JSONEq(t, `{"x": 1}`, string(m["added_by_pave_later"]), "an undocumented field is reachable")
			for i := range raw {
				raw[i] = ' '
			}
			assert.JSONEq(t, body, string(v.Raw()), "Raw returns a copy")
			out, err := json.Marshal(v)
			require.NoError(t, err)
			assert.JSONEq(t, body, string(out), "an unedited value encodes as received")
		})
	}

	// Edits win; unknown fields stay.
	var s pave.Session
	require.NoError(t, json.Unmarshal([]byte(bodies["Session"]), &s))
	s.Status = pave.StatusStarted
	out, err := json.Marshal(s)
	require.NoError(t, err)
	assert.JSONEq(t, `{"session_key": "FDL-3M8Q2ZK7WD", "status": "STARTED", `+extra+`}`, string(out))
	// A value built in code has no raw object.
	assert.Nil(t, pave.Session{SessionKey: "K"}.Raw())
}

// Item 6: values PAVE documents or others observed.
func TestFidelityDocumentedValues(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]pave.SourceType{
		"api": pave.SourceAPI, "dashboard": pave.SourceDashboard,
		"shareable_link": pave.SourceShareableLink, "embedded_widget": pave.SourceEmbeddedWidget,
	} {
		var s pave.Session
		require.NoError(t, json.Unmarshal([]byte(`{"session_key": "K", "source": {"type": "`+in+`"}}`), &s))
		assert.Equal(t, want, s.Source.Type)
	}
	for _, st := range []pave.SessionStatus{pave.StatusPending, pave.StatusPeding, pave.StatusInProgress, pave.StatusSubmitted} {
		assert.False(t, st.Final(), st)
	}
	assert.Equal(t, pave.SessionStatus("PEDING"), pave.StatusPeding, "PAVE's spelling, as printed")
	assert.True(t, pave.SessionStatus("complete").Final())

	// Grades: 1-5 documented, 0-5 observed.
	for g := range 6 {
		var r pave.Results
		require.NoError(t, json.Unmarshal(fmt.Appendf(nil, `{"inspection": {"grade": %d}}`, g), &r))
		got, ok := r.Grade()
		assert.True(t, ok, g)
		assert.Equal(t, g, got)
	}
	assert.Equal(t, "Very poor condition", pave.GradeLabel(pave.GradeVeryPoor), "0 in the documented labels' style")
	assert.Equal(t, "Excellent condition", pave.GradeLabel(pave.GradeExcellent))

	// Refusals that share 400 each match their own sentinel.
	for body, want := range map[string]error{
		`{"message": "Missing required fields."}`:                                 pave.ErrValidation,
		`{"message": "Callback for SESSION:COMPLETE already exists."}`:            pave.ErrConflict,
		`{"message": "Session has been started and cannot be deleted."}`:          pave.ErrSessionStarted,
		`{"message": "Required fields are missing.", "errors": {"url": ["bad"]}}`: pave.ErrValidation,
	} {
		c, mt := pavetest.NewMockClient(t)
		mt.RegisterNoResponder(jsonResponder(400, body))
		err := c.Sessions.Delete(context.Background(), sessionKey)
		require.ErrorIs(t, err, want, body)
		var apiErr *pave.APIError
		require.True(t, errors.As(err, &apiErr))
		assert.Equal(t, 400, apiErr.StatusCode)
	}
}

// Item 7: a 201 whose body does not decode (PAVE's own create sample has a
// trailing comma) says the session may exist and names its key.
func TestFidelityUndecodableCreateNamesTheSession(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodPost, mockBase+"/v1/sessions", jsonResponder(201,
		`{"session_key": "FDL-3M8Q2ZK7WD", "theme": "PRO", "status": "IDLE",}`))
	sess, err := c.Sessions.Create(context.Background(), &pave.CreateSessionRequest{})
	require.ErrorIs(t, err, pave.ErrBadResponse)
	assert.Nil(t, sess)
	for _, want := range []string{"201", "FDL-3M8Q2ZK7WD", "may exist"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Len(t, pavetest.Sent(mt), 1, "never re-sent")
}

// TestFidelityDerivedCaptureLinkIsNotAnEdit: when PAVE omits capture_url,
// the client fills in the documented link for convenience, but an unedited
// value it returned still encodes as received: the derived link is not
// written as if PAVE had sent it. An edit to it is.
func TestFidelityDerivedCaptureLinkIsNotAnEdit(t *testing.T) {
	t.Parallel()
	const session = `{"session_key": "FDL-3M8Q2ZK7WD", "status": "IDLE", "x_new": 1}`
	results := `{"event": "SESSION:COMPLETE", "session": ` + session + `, "vehicle": {"vin": "2T1BURHE5JC074512"}}`
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodGet, pavetest.PathSession("FDL-3M8Q2ZK7WD"), jsonResponder(200, session))
	mt.RegisterResponder(http.MethodPut, pavetest.PathSession("FDL-3M8Q2ZK7WD"), jsonResponder(200, session))
	mt.RegisterResponder(http.MethodGet, pavetest.PathResults("FDL-3M8Q2ZK7WD"), jsonResponder(200, results))
	ctx := context.Background()

	got, err := c.Sessions.Get(ctx, "FDL-3M8Q2ZK7WD")
	require.NoError(t, err)
	assert.Equal(t, "https://northshoreauto.vehiclecapture.com/FDL-3M8Q2ZK7WD", got.CaptureURL, "derived for convenience")
	out, err := json.Marshal(got)
	require.NoError(t, err)
	assert.JSONEq(t, session, string(out), "Get: as received")

	upd, err := c.Sessions.Update(ctx, "FDL-3M8Q2ZK7WD", &pave.UpdateSessionRequest{Session: &pave.SessionSettings{Language: "EN"}})
	require.NoError(t, err)
	out, err = json.Marshal(upd)
	require.NoError(t, err)
	assert.JSONEq(t, session, string(out), "Update: as received")

	res, err := c.Sessions.Results(ctx, "FDL-3M8Q2ZK7WD")
	require.NoError(t, err)
	out, err = json.Marshal(res)
	require.NoError(t, err)
	assert.JSONEq(t, results, string(out), "Results: as received")

	got.CaptureURL = "https://elsewhere.example/FDL"
	out, err = json.Marshal(got)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"capture_url":"https://elsewhere.example/FDL"`, "an edit is kept")
}
