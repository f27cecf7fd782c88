package pavetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/webhook"
)

func TestMockClientDefaults(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	require.NotNil(t, mt)
	assert.Equal(t, pave.DefaultBaseURL, client.BaseURL())
	assert.Equal(t, 0, mt.NumResponders())

	// Nothing registered: the request fails without touching the network.
	_, err := client.Sessions.Get(t.Context(), "NOPE")
	require.Error(t, err)
	assert.ErrorIs(t, err, httpmock.NoResponderFound)

	// User options come last and win.
	client2, _ := pavetest.NewMockClient(t, pave.WithBaseURL("https://sandbox.example.com"))
	assert.Equal(t, "https://sandbox.example.com", client2.BaseURL())
}

func TestMockClientsAreIndependent(t *testing.T) {
	t.Parallel()
	c1, mt1 := pavetest.NewMockClient(t)
	c2, mt2 := pavetest.NewMockClient(t)
	pavetest.OnGetSession(mt1, "", nil)

	_, err := c1.Sessions.Get(t.Context(), "A-1")
	require.NoError(t, err)
	_, err = c2.Sessions.Get(t.Context(), "A-1")
	require.ErrorIs(t, err, httpmock.NoResponderFound)
	assert.Equal(t, 1, mt1.GetTotalCallCount())
	assert.Equal(t, 0, mt2.GetTotalCallCount())
}

func TestOnCreateSession(t *testing.T) {
	t.Parallel()
	t.Run("fixture", func(t *testing.T) {
		t.Parallel()
		client, mt := pavetest.NewMockClient(t)
		pavetest.OnCreateSession(mt, nil)
		sess, err := client.Sessions.Create(t.Context(), &pave.CreateSessionRequest{
			Session: &pave.SessionSettings{RedirectURL: "https://dealer.example.com/done"},
		})
		require.NoError(t, err)
		assert.Equal(t, pavetest.FixtureSessionKey, sess.SessionKey)
		assert.Equal(t, pave.StatusIdle, sess.Status)
		assert.Equal(t, "https://northshoreauto.vehiclecapture.com/"+pavetest.FixtureSessionKey, sess.CaptureURL)
		assert.Equal(t, "CRM-20931", sess.ClientID)
		assert.Equal(t, 1, pavetest.Calls(mt, http.MethodPost, pavetest.PathSessions))
	})
	t.Run("custom", func(t *testing.T) {
		t.Parallel()
		client, mt := pavetest.NewMockClient(t)
		pavetest.OnCreateSession(mt, &pave.Session{SessionKey: "ABC-123", Status: pave.StatusIdle, Theme: pave.ThemeLite})
		sess, err := client.Hotspots.CreateSession(t.Context(), nil)
		require.NoError(t, err)
		assert.Equal(t, "ABC-123", sess.SessionKey)
		assert.Equal(t, pave.ThemeLite, sess.Theme)
		// The SDK builds the capture link from the mock username.
		assert.Equal(t, "https://northshoreauto.vehiclecapture.com/ABC-123", sess.CaptureURL)
	})
}

func TestOnGetSession(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	pavetest.OnGetSession(mt, "", nil)
	pavetest.OnGetSession(mt, "VIP-1", &pave.Session{SessionKey: "VIP-1", Status: pave.StatusProcess})

	sess, err := client.Sessions.Get(t.Context(), "ANY-42")
	require.NoError(t, err)
	assert.Equal(t, "ANY-42", sess.SessionKey, "the fixture carries the requested key")
	assert.Equal(t, pave.StatusComplete, sess.Status)
	require.NotNil(t, sess.Vehicle)
	assert.Equal(t, "2T1BURHE5JC074512", sess.Vehicle.VIN)
	assert.EqualValues(t, 41250, sess.Vehicle.OdomReading)

	vip, err := client.Sessions.Get(t.Context(), "VIP-1")
	require.NoError(t, err)
	assert.Equal(t, pave.StatusProcess, vip.Status, "a key-specific responder wins over the any-key one")

	assert.Equal(t, 1, pavetest.Calls(mt, http.MethodGet, pavetest.PathSession("ANY-42")))
	assert.Equal(t, 1, pavetest.Calls(mt, http.MethodGet, "/v1/sessions/VIP-1"))
	assert.Equal(t, 1, pavetest.Calls(mt, http.MethodGet, pavetest.PathSession("")), "calls answered by the any-key route")
	assert.Equal(t, 0, pavetest.Calls(mt, http.MethodPut, pavetest.PathSession("VIP-1")))
}

func TestOnPhotosAndNotes(t *testing.T) {
	t.Parallel()
	const key = "PH-77"
	client, mt := pavetest.NewMockClient(t)
	pavetest.OnPhotos(mt, key, nil)
	pavetest.OnNotes(mt, key, nil)
	pavetest.OnPhotos(mt, "EMPTY-1", []pave.Photo{})
	pavetest.OnNotes(mt, "CUSTOM-1", []pave.Note{{ID: 7, Title: "Keys", Description: "Two fobs"}})

	photos, err := client.Sessions.Photos(t.Context(), key)
	require.NoError(t, err)
	require.Len(t, photos, 2)
	assert.Equal(t, pave.LabelVIN, photos[0].PhotoLabel)
	assert.False(t, photos[0].Rejected())
	assert.Equal(t, "Wrong View", photos[1].RejectionReason())
	assert.Contains(t, photos[0].URL, key)
	assert.NotContains(t, photos[0].URL, pavetest.FixtureSessionKey)

	empty, err := client.Sessions.Photos(t.Context(), "EMPTY-1")
	require.NoError(t, err)
	assert.Empty(t, empty)

	notes, err := client.Sessions.Notes(t.Context(), key)
	require.NoError(t, err)
	require.Len(t, notes, 2)
	assert.EqualValues(t, 911, notes[0].ID)
	assert.Contains(t, string(notes[1].Raw()), `"author"`, "undocumented fields stay in Raw")

	custom, err := client.Sessions.Notes(t.Context(), "CUSTOM-1")
	require.NoError(t, err)
	require.Len(t, custom, 1)
	assert.Equal(t, "Two fobs", custom[0].Description)
}

func TestOnResults(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	pavetest.OnResults(mt, "", nil)
	pavetest.OnResults(mt, "RAW-1", []byte(`{"event":"SESSION:COMPLETE","session":{"session_key":"RAW-1","status":"COMPLETE"},"vehicle":{"vin":"1HGCV1F39LA012345"},"inspection":{"grade":5}}`))

	res, err := client.Sessions.Results(t.Context(), "RES-9")
	require.NoError(t, err)
	assert.Equal(t, "RES-9", res.Session.SessionKey)
	assert.Equal(t, "RES-9", res.Vehicle.SessionKey)
	assert.Equal(t, "2T1BURHE5JC074512", res.Vehicle.VIN)
	grade, ok := res.Grade()
	assert.True(t, ok)
	assert.Equal(t, 3, grade)
	assert.Equal(t, 2, res.DamageCount())
	require.NotNil(t, res.Location)
	assert.Len(t, res.Photos, 2)
	assert.Contains(t, string(res.Raw()), `"estimates"`)

	raw, err := client.Sessions.Results(t.Context(), "RAW-1")
	require.NoError(t, err)
	grade, ok = raw.Grade()
	assert.True(t, ok)
	assert.Equal(t, 5, grade)
	assert.Equal(t, "1HGCV1F39LA012345", raw.Vehicle.VIN)
}

func TestOnUpdateAndDeleteSession(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	pavetest.OnUpdateSession(mt, "UPD-1", nil)
	pavetest.OnUpdateSession(mt, "UPD-2", &pave.Session{SessionKey: "UPD-2", Language: "FR"})
	pavetest.OnDeleteSession(mt, "")

	req := &pave.UpdateSessionRequest{Session: &pave.SessionSettings{Language: pave.LanguageEN}}
	sess, err := client.Sessions.Update(t.Context(), "UPD-1", req)
	require.NoError(t, err)
	assert.Equal(t, "UPD-1", sess.SessionKey)

	sess, err = client.Sessions.Update(t.Context(), "UPD-2", req)
	require.NoError(t, err)
	assert.Equal(t, pave.Language("FR"), sess.Language)

	require.NoError(t, client.Sessions.Delete(t.Context(), "DEL-1"))
	assert.Equal(t, 1, pavetest.Calls(mt, http.MethodDelete, pavetest.PathSession("DEL-1")))
	assert.Equal(t, 2, pavetest.Calls(mt, http.MethodPut, pavetest.PathSession("UPD-1"))+pavetest.Calls(mt, http.MethodPut, pavetest.PathSession("UPD-2")))
}

func TestOnResendSMS(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	pavetest.OnResendSMS(mt, "", nil)
	pavetest.OnResendSMS(mt, "FIX-1", &pave.ResendResult{Status: "success", SessionKey: "FIX-1", SessionAgeDays: 6, DaysRemaining: 1})
	pavetest.OnFixture(mt, http.MethodPost, pavetest.PathResend("DONE-1"), http.StatusBadRequest, "error_resend_finalized.json")

	res, err := client.Sessions.ResendSMS(t.Context(), "RS-1", nil)
	require.NoError(t, err)
	assert.Equal(t, "RS-1", res.SessionKey)
	assert.Equal(t, "+16045550142", res.Phone)
	assert.EqualValues(t, 5, res.DaysRemaining)

	res, err = client.Sessions.ResendSMS(t.Context(), "RS-2", &pave.ResendSMSRequest{Phone: "+16045550199"})
	require.NoError(t, err)
	assert.Equal(t, "+16045550199", res.Phone, "the request's phone is echoed")

	res, err = client.Sessions.ResendSMS(t.Context(), "FIX-1", nil)
	require.NoError(t, err)
	assert.EqualValues(t, 1, res.DaysRemaining)

	_, err = client.Sessions.ResendSMS(t.Context(), "DONE-1", nil)
	require.ErrorIs(t, err, pave.ErrResendFinalized)
	var rerr *pave.ResendError
	require.ErrorAs(t, err, &rerr)
	assert.Equal(t, pave.StatusQCPassed, rerr.SessionStatus)
	assert.Equal(t, 1, pavetest.Calls(mt, http.MethodPost, pavetest.PathResend("DONE-1")), "a resend is never retried")
}

func TestOnCallbacks(t *testing.T) {
	t.Parallel()
	t.Run("fixtures", func(t *testing.T) {
		t.Parallel()
		client, mt := pavetest.NewMockClient(t)
		pavetest.OnListCallbacks(mt, nil)
		pavetest.OnGetCallback(mt, "", nil)
		pavetest.OnDeleteCallback(mt, "")

		list, err := client.Webhooks.List(t.Context())
		require.NoError(t, err)
		require.Len(t, list, 2)
		assert.Equal(t, pave.EventComplete, list[0].Event)
		assert.Equal(t, "Bearer ns-complete-token-4410", list[0].Headers["Authorization"])
		assert.Equal(t, pave.EventStageChange, list[1].Event)

		cb, err := client.Webhooks.Get(t.Context(), pave.EventStatusChange)
		require.NoError(t, err)
		assert.Equal(t, pave.EventStatusChange, cb.Event, "the fixture carries the requested event")
		assert.Equal(t, "https://hooks.northshore.example/pave/complete", cb.URL)

		require.NoError(t, client.Webhooks.Delete(t.Context(), pave.EventComplete))
		assert.Equal(t, 1, pavetest.Calls(mt, http.MethodDelete, pavetest.PathCallback(pave.EventComplete)))
	})
	t.Run("custom", func(t *testing.T) {
		t.Parallel()
		client, mt := pavetest.NewMockClient(t)
		mine := pave.Callback{Event: pave.EventNoteInsert, URL: "https://crm.example.com/hooks/notes", Method: http.MethodPost}
		pavetest.OnListCallbacks(mt, []pave.Callback{mine})
		pavetest.OnGetCallback(mt, pave.EventNoteInsert, &mine)

		list, err := client.Webhooks.List(t.Context())
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, mine.URL, list[0].URL)

		cb, err := client.Webhooks.Get(t.Context(), pave.EventNoteInsert)
		require.NoError(t, err)
		assert.Equal(t, mine.URL, cb.URL)

		_, err = client.Webhooks.Get(t.Context(), pave.EventComplete)
		require.ErrorIs(t, err, httpmock.NoResponderFound, "only the registered event is answered")
	})
	t.Run("empty list", func(t *testing.T) {
		t.Parallel()
		client, mt := pavetest.NewMockClient(t)
		pavetest.OnListCallbacks(mt, []pave.Callback{})
		list, err := client.Webhooks.List(t.Context())
		require.NoError(t, err)
		assert.Empty(t, list)
	})
	t.Run("create and update echo", func(t *testing.T) {
		t.Parallel()
		client, mt := pavetest.NewMockClient(t)
		pavetest.OnCreateCallback(mt, nil)
		pavetest.OnUpdateCallback(mt, "", nil)

		in := pave.NewCallback(pave.EventComplete, "https://crm.example.com/hooks/pave", "0123456789abcdef0123456789abcdef")
		out, err := client.Webhooks.Create(t.Context(), in)
		require.NoError(t, err)
		assert.Equal(t, in.Event, out.Event)
		assert.Equal(t, in.URL, out.URL)
		assert.Equal(t, in.Headers, out.Headers)

		up, err := client.Webhooks.Update(t.Context(), pave.EventStatusChange, &pave.Callback{URL: "https://crm.example.com/hooks/status"})
		require.NoError(t, err)
		assert.Equal(t, pave.EventStatusChange, up.Event)
		assert.Equal(t, "https://crm.example.com/hooks/status", up.URL)
		assert.Equal(t, http.MethodPost, up.Method)
	})
	t.Run("create and update custom", func(t *testing.T) {
		t.Parallel()
		client, mt := pavetest.NewMockClient(t)
		stored := &pave.Callback{Event: pave.EventComplete, URL: "https://stored.example.com/x", Method: http.MethodPut}
		pavetest.OnCreateCallback(mt, stored)
		pavetest.OnUpdateCallback(mt, pave.EventComplete, &pave.Callback{URL: "https://stored.example.com/y"})

		out, err := client.Webhooks.Create(t.Context(), pave.NewCallback(pave.EventComplete, "https://crm.example.com/a", "0123456789abcdef0123456789abcdef"))
		require.NoError(t, err)
		assert.Equal(t, "https://stored.example.com/x", out.URL)
		assert.Equal(t, http.MethodPut, out.Method)

		up, err := client.Webhooks.Update(t.Context(), pave.EventComplete, &pave.Callback{URL: "https://crm.example.com/b"})
		require.NoError(t, err)
		assert.Equal(t, pave.EventComplete, up.Event, "the event comes from the path")
		assert.Equal(t, "https://stored.example.com/y", up.URL)
	})
}

func TestOnCreateCallbackRejectsIncompleteRequest(t *testing.T) {
	t.Parallel()
	// The SDK validates before sending, so send a raw request through the
	// mock transport.
	_, mt := pavetest.NewMockClient(t)
	pavetest.OnCreateCallback(mt, nil)
	hc := &http.Client{Transport: mt}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, pave.DefaultBaseURL+pavetest.PathCallbacks, strings.NewReader(`{"event":"SESSION:COMPLETE"}`))
	require.NoError(t, err)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	var body struct{ Message string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	assert.Equal(t, "Missing required fields.", body.Message)
}

func TestOnHotspots(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	pavetest.OnUploadHotspotPhotos(mt, "", nil)
	pavetest.OnUploadHotspotPhotos(mt, "PART-1", []pave.HotspotUpload{
		{PhotoLabel: pave.LabelVIN, URL: "https://cdn.example.com/vin.jpg", Success: true},
		{PhotoLabel: pave.LabelLeft, URL: "https://cdn.example.com/left.jpg", Success: false, Message: "Photo URL could not be fetched."},
	})
	pavetest.OnHotspotResults(mt, "", nil)
	pavetest.OnHotspotResults(mt, "NONE-1", []byte(`{"success": true, "message": "0 damages found on the vehicle.", "data": []}`))
	pavetest.OnHotspotsNotReady(mt, "BUSY-1")

	photos := []pave.HotspotPhoto{
		{PhotoLabel: pave.LabelVIN, URL: "https://cdn.example.com/vin.jpg"},
		{PhotoLabel: pave.LabelFrontLeft, URL: "https://cdn.example.com/fl.jpg"},
	}
	ups, err := client.Hotspots.UploadPhotos(t.Context(), "HS-1", photos)
	require.NoError(t, err)
	require.Len(t, ups, 2)
	assert.Equal(t, pave.LabelFrontLeft, ups[1].PhotoLabel)
	assert.Equal(t, "https://cdn.example.com/fl.jpg", ups[1].URL)
	assert.Empty(t, pave.FailedUploads(ups))

	ups, err = client.Hotspots.UploadPhotos(t.Context(), "PART-1", photos)
	require.NoError(t, err)
	failed := pave.FailedUploads(ups)
	require.Len(t, failed, 1)
	assert.Equal(t, pave.LabelLeft, failed[0].PhotoLabel)

	res, err := client.Hotspots.Results(t.Context(), "HS-1")
	require.NoError(t, err)
	assert.True(t, res.Success)
	assert.Equal(t, 3, res.DamageCount())
	require.NotNil(t, res.Photos[0].Damages[0].Coords)
	assert.InDelta(t, 77.4, res.Photos[0].Damages[0].Coords.X, 1e-9)

	res, err = client.Hotspots.Results(t.Context(), "NONE-1")
	require.NoError(t, err)
	assert.Equal(t, 0, res.DamageCount())

	_, err = client.Hotspots.Results(t.Context(), "BUSY-1")
	require.ErrorIs(t, err, pave.ErrNotReady)
}

func TestOnError(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	pavetest.OnError(mt, http.MethodGet, pavetest.PathSession(""), http.StatusServiceUnavailable, "Down for maintenance.")
	pavetest.OnError(mt, http.MethodPost, pavetest.PathSessions, http.StatusInternalServerError, "Boom.")
	pavetest.OnError(mt, http.MethodDelete, pavetest.PathSession("STARTED-1"), http.StatusBadRequest,
		"Session STARTED-1 has been started and cannot be deleted.")

	_, err := client.Sessions.Get(t.Context(), "E-1")
	require.ErrorIs(t, err, pave.ErrServer)
	var apiErr *pave.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
	assert.Equal(t, "Down for maintenance.", apiErr.Message)
	assert.Equal(t, 1+2, apiErr.Attempts)
	assert.Equal(t, 1+2, pavetest.Calls(mt, http.MethodGet, pavetest.PathSession("E-1")), "GET is retried")

	_, err = client.Sessions.Create(t.Context(), nil)
	require.ErrorIs(t, err, pave.ErrServer)
	assert.Equal(t, 1, pavetest.Calls(mt, http.MethodPost, pavetest.PathSessions), "a POST answered 500 is not retried")

	err = client.Sessions.Delete(t.Context(), "STARTED-1")
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, "cannot be deleted")
}

func TestOnValidationError(t *testing.T) {
	t.Parallel()
	t.Run("custom", func(t *testing.T) {
		t.Parallel()
		client, mt := pavetest.NewMockClient(t)
		want := map[string][]string{"sms.to": {"Invalid phone number"}, "session.redirect_url": {"Invalid redirect url"}}
		pavetest.OnValidationError(mt, http.MethodPost, pavetest.PathSessions, want)

		_, err := client.Sessions.Create(t.Context(), nil)
		require.ErrorIs(t, err, pave.ErrValidation)
		assert.Equal(t, want, pave.FieldErrors(err))
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "Required fields are missing or invalid.", apiErr.Message)
		assert.Equal(t, 1, apiErr.Attempts)
	})
	t.Run("fixture", func(t *testing.T) {
		t.Parallel()
		client, mt := pavetest.NewMockClient(t)
		pavetest.OnValidationError(mt, http.MethodPut, pavetest.PathSession(""), nil)

		_, err := client.Sessions.Update(t.Context(), "V-1", &pave.UpdateSessionRequest{Session: &pave.SessionSettings{Language: pave.LanguageEN}})
		require.ErrorIs(t, err, pave.ErrValidation)
		fe := pave.FieldErrors(err)
		assert.Equal(t, []string{"VIN is too short, it must be 17 characters"}, fe["vehicle.vin"])
		assert.Len(t, fe, 3)
	})
}

func TestOnRateLimited(t *testing.T) {
	t.Parallel()
	t.Run("retried until retries run out", func(t *testing.T) {
		t.Parallel()
		client, mt := pavetest.NewMockClient(t)
		pavetest.OnRateLimited(mt, http.MethodGet, pavetest.PathSession(""), 0)

		_, err := client.Sessions.Get(t.Context(), "RL-1")
		require.ErrorIs(t, err, pave.ErrRateLimited)
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, time.Duration(0), apiErr.RetryAfter)
		assert.Equal(t, 1+2, pavetest.Calls(mt, http.MethodGet, pavetest.PathSession("RL-1")))
	})
	t.Run("with Retry-After", func(t *testing.T) {
		t.Parallel()
		client, mt := pavetest.NewMockClient(t, pave.WithMaxRetries(1))
		pavetest.OnRateLimited(mt, http.MethodPost, pavetest.PathSessions, 1500*time.Millisecond)

		_, err := client.Sessions.Create(t.Context(), nil)
		require.ErrorIs(t, err, pave.ErrRateLimited)
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 2*time.Second, apiErr.RetryAfter, "whole seconds, rounded up")
		assert.Equal(t, 2, pavetest.Calls(mt, http.MethodPost, pavetest.PathSessions), "even a POST is retried after a 429")
	})
	t.Run("lifts", func(t *testing.T) {
		t.Parallel()
		client, mt := pavetest.NewMockClient(t)
		mt.RegisterResponder(http.MethodGet, pavetest.PathSession("RL-2"),
			pavetest.RateLimitedResponder(0).Then(pavetest.FixtureResponder(http.StatusOK, "session.json")))

		sess, err := client.Sessions.Get(t.Context(), "RL-2")
		require.NoError(t, err)
		assert.Equal(t, "RL-2", sess.SessionKey)
		assert.Equal(t, 2, pavetest.Calls(mt, http.MethodGet, pavetest.PathSession("RL-2")))
	})
}

func TestOnNotReady(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	pavetest.OnNotReady(mt, "")
	pavetest.OnResults(mt, "DONE-1", nil)

	_, err := client.Sessions.Results(t.Context(), "WAIT-1")
	require.ErrorIs(t, err, pave.ErrNotReady)
	assert.NotErrorIs(t, err, pave.ErrNotFound)
	assert.Equal(t, 1, pavetest.Calls(mt, http.MethodGet, pavetest.PathResults("WAIT-1")), "not retried")

	_, err = client.Sessions.Results(t.Context(), "DONE-1")
	require.NoError(t, err)
}

func TestOnWaitForResults(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	const key = "POLL-1"
	mt.RegisterResponder(http.MethodGet, pavetest.PathSession(key),
		pavetest.JSONResponder(http.StatusOK, pave.Session{SessionKey: key, Status: pave.StatusProcess}).
			Then(pavetest.FixtureResponder(http.StatusOK, "session.json")))
	pavetest.OnResults(mt, key, nil)

	res, err := client.Sessions.WaitForResults(t.Context(), key,
		pave.PollFirstAfter(0), pave.PollInterval(10*time.Millisecond, 10*time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, key, res.Session.SessionKey)
	assert.Equal(t, 2, pavetest.Calls(mt, http.MethodGet, pavetest.PathSession(key)))
	assert.Equal(t, 1, pavetest.Calls(mt, http.MethodGet, pavetest.PathResults(key)))
}

func TestOnNotFound(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	pavetest.OnSessionNotFound(mt, "GONE-1")
	pavetest.OnNotFound(mt, http.MethodGet, pavetest.PathCallback(""))
	pavetest.OnNotFound(mt, http.MethodGet, pavetest.PathCallbacks)

	ctx := t.Context()
	msg := "Session GONE-1 cannot be found."
	checks := map[string]func() error{
		"get": func() error { _, err := client.Sessions.Get(ctx, "GONE-1"); return err },
		"update": func() error {
			_, err := client.Sessions.Update(ctx, "GONE-1", &pave.UpdateSessionRequest{})
			return err
		},
		"delete":   func() error { return client.Sessions.Delete(ctx, "GONE-1") },
		"photos":   func() error { _, err := client.Sessions.Photos(ctx, "GONE-1"); return err },
		"notes":    func() error { _, err := client.Sessions.Notes(ctx, "GONE-1"); return err },
		"results":  func() error { _, err := client.Sessions.Results(ctx, "GONE-1"); return err },
		"hotspots": func() error { _, err := client.Hotspots.Results(ctx, "GONE-1"); return err },
		"upload": func() error {
			_, err := client.Hotspots.UploadPhotos(ctx, "GONE-1", []pave.HotspotPhoto{{PhotoLabel: pave.LabelVIN, URL: "https://cdn.example.com/v.jpg"}})
			return err
		},
	}
	for name, call := range checks {
		err := call()
		require.ErrorIs(t, err, pave.ErrNotFound, name)
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr, name)
		assert.Equal(t, msg, apiErr.Message, name)
	}

	_, err := client.Sessions.ResendSMS(ctx, "GONE-1", nil)
	require.ErrorIs(t, err, pave.ErrNotFound)
	var apiErr *pave.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Session not found", apiErr.Message)

	_, err = client.Webhooks.Get(ctx, pave.EventSMSProcess)
	require.ErrorIs(t, err, pave.ErrNotFound)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Your API Key does not have callback setting for the event SESSION:SMS_PROCESS.", apiErr.Message)

	_, err = client.Webhooks.List(ctx)
	require.ErrorIs(t, err, pave.ErrNotFound)
}

func TestSignedBy(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	mt.RegisterMatcherResponder(http.MethodGet, pavetest.PathSession(""),
		pavetest.SignedBy(pavetest.MockCredentials()),
		pavetest.FixtureResponder(http.StatusOK, "session.json"))

	sess, err := client.Sessions.Get(t.Context(), "SIG-1")
	require.NoError(t, err)
	assert.Equal(t, "SIG-1", sess.SessionKey)
	assert.Equal(t, 1, pavetest.Calls(mt, http.MethodGet, pavetest.PathSession("SIG-1")))

	wrong := pavetest.MockCredentials()
	wrong.APISecret = "not-the-secret"
	bad, err := pave.NewClient(wrong, pave.WithHTTPClient(&http.Client{Transport: mt}), pave.WithMaxRetries(0))
	require.NoError(t, err)
	_, err = bad.Sessions.Get(t.Context(), "SIG-2")
	require.Error(t, err)
	assert.ErrorIs(t, err, httpmock.NoResponderFound, "a badly signed request finds no responder")
	assert.Equal(t, 0, pavetest.Calls(mt, http.MethodGet, pavetest.PathSession("SIG-2")))
}

// mockSignedRequest returns a request signed for creds at ts, as the SDK
// signs one.
func mockSignedRequest(t *testing.T, creds pave.Credentials, ts string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, pave.DefaultBaseURL+"/v1/sessions/X", nil)
	require.NoError(t, err)
	req.Header.Set(pave.HeaderAPIKey, creds.APIKey)
	req.Header.Set(pave.HeaderAPITimestamp, ts)
	req.Header.Set(pave.HeaderAPIToken, creds.Token(ts))
	return req
}

func TestCheckSignature(t *testing.T) {
	t.Parallel()
	creds := pavetest.MockCredentials()
	at := time.Date(2025, 6, 2, 15, 0, 0, 0, time.UTC)
	ts := at.UTC().Format(pave.TimestampLayout)

	tests := []struct {
		name   string
		mutate func(r *http.Request)
		now    time.Time
		window time.Duration
		errHas string
	}{
		{name: "valid"},
		{name: "valid within window", now: at.Add(4 * time.Minute), window: 5 * time.Minute},
		{name: "valid, PAVE's spelling of the header keys", mutate: func(r *http.Request) {
			for _, h := range []string{pave.HeaderAPIKey, pave.HeaderAPITimestamp, pave.HeaderAPIToken} {
				v := r.Header.Get(h)
				r.Header.Del(h)
				r.Header[h] = []string{v}
			}
		}},
		{name: "stale", now: at.Add(6 * time.Minute), window: 5 * time.Minute, errHas: "away from now"},
		{name: "from the future", now: at.Add(-6 * time.Minute), window: 5 * time.Minute, errHas: "away from now"},
		{name: "no key", mutate: func(r *http.Request) { r.Header.Del(pave.HeaderAPIKey) }, errHas: "API-Key is missing"},
		{name: "no token", mutate: func(r *http.Request) { r.Header.Del(pave.HeaderAPIToken) }, errHas: "API-Token is missing"},
		{name: "empty timestamp", mutate: func(r *http.Request) { r.Header.Set(pave.HeaderAPITimestamp, "") }, errHas: "API-Timestamp is missing"},
		{name: "key sent twice", mutate: func(r *http.Request) { r.Header["API-Key"] = []string{creds.APIKey} }, errHas: "sent 2 times"},
		{name: "other key", mutate: func(r *http.Request) { r.Header.Set(pave.HeaderAPIKey, "other") }, errHas: "not the expected API key"},
		{name: "fractional timestamp", mutate: func(r *http.Request) {
			r.Header.Set(pave.HeaderAPITimestamp, "2025-06-02T15:00:00.000Z")
			r.Header.Set(pave.HeaderAPIToken, creds.Token("2025-06-02T15:00:00.000Z"))
		}, errHas: "is not of the form"},
		{name: "offset timestamp", mutate: func(r *http.Request) {
			r.Header.Set(pave.HeaderAPITimestamp, "2025-06-02T15:00:00+00:00")
			r.Header.Set(pave.HeaderAPIToken, creds.Token("2025-06-02T15:00:00+00:00"))
		}, errHas: "is not of the form"},
		{name: "upper-case token", mutate: func(r *http.Request) {
			r.Header.Set(pave.HeaderAPIToken, strings.ToUpper(creds.Token(ts)))
		}, errHas: "HMAC-SHA256"},
		{name: "token of another timestamp", mutate: func(r *http.Request) {
			r.Header.Set(pave.HeaderAPIToken, creds.Token(at.Add(time.Second).UTC().Format(pave.TimestampLayout)))
		}, errHas: "HMAC-SHA256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := mockSignedRequest(t, creds, ts)
			if tt.mutate != nil {
				tt.mutate(req)
			}
			err := pavetest.CheckSignature(req.Header, creds, pavetest.Strict, tt.now, tt.window)
			if tt.errHas == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, pavetest.ErrBadSignature)
			assert.Contains(t, err.Error(), tt.errHas)
			assert.NotContains(t, err.Error(), creds.APISecret)
			assert.NotContains(t, err.Error(), creds.Token(ts))
		})
	}

	wrong := creds
	wrong.APISecret = "other-secret"
	err := pavetest.CheckSignature(mockSignedRequest(t, wrong, ts).Header, creds, pavetest.Strict, time.Time{}, 0)
	require.ErrorIs(t, err, pavetest.ErrBadSignature)
	require.ErrorIs(t, pavetest.CheckSignature(nil, creds, pavetest.Strict, time.Time{}, 0), pavetest.ErrBadSignature)
}

// mockRecordingTB records failures instead of failing the test.
type mockRecordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *mockRecordingTB) Helper() {}

func (r *mockRecordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *mockRecordingTB) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(errMockFatal)
}

var errMockFatal = errors.New("fatal")

func TestAssertSigned(t *testing.T) {
	t.Parallel()
	creds := pavetest.MockCredentials()
	ts := time.Date(2025, 6, 2, 15, 0, 0, 0, time.UTC).UTC().Format(pave.TimestampLayout)

	rec := &mockRecordingTB{TB: t}
	assert.True(t, pavetest.AssertSigned(rec, mockSignedRequest(t, creds, ts).Header, creds))
	assert.Empty(t, rec.errors)

	wrong := creds
	wrong.APIKey = "someone-else"
	assert.False(t, pavetest.AssertSigned(rec, mockSignedRequest(t, wrong, ts).Header, creds))
	require.Len(t, rec.errors, 1)
	assert.Contains(t, rec.errors[0], "API-Key")

	// From a responder, as users would call it.
	client, mt := pavetest.NewMockClient(t)
	mt.RegisterResponder(http.MethodGet, pavetest.PathSession(""), func(req *http.Request) (*http.Response, error) {
		pavetest.AssertSigned(t, req.Header, creds)
		return pavetest.FixtureResponder(http.StatusOK, "session.json")(req)
	})
	_, err := client.Sessions.Get(t.Context(), "AS-1")
	require.NoError(t, err)
}

func TestFixtures(t *testing.T) {
	t.Parallel()
	type errorBody struct {
		Message string              `json:"message"`
		Errors  map[string][]string `json:"errors"`
	}
	decodeInto := func(v any) func(t *testing.T, b []byte) {
		return func(t *testing.T, b []byte) {
			require.NoError(t, json.Unmarshal(b, v))
		}
	}
	errorFixture := func(t *testing.T, b []byte) {
		var e errorBody
		require.NoError(t, json.Unmarshal(b, &e))
		assert.NotEmpty(t, e.Message)
	}
	checks := map[string]func(t *testing.T, b []byte){
		"session_created.json": func(t *testing.T, b []byte) {
			var s pave.Session
			decodeInto(&s)(t, b)
			assert.Equal(t, pavetest.FixtureSessionKey, s.SessionKey)
			assert.NotEmpty(t, s.CaptureURL)
		},
		"session.json": func(t *testing.T, b []byte) {
			var s pave.Session
			decodeInto(&s)(t, b)
			assert.Equal(t, pave.StatusComplete, s.Status)
		},
		"session_deleted.json": errorFixture,
		"photos.json": func(t *testing.T, b []byte) {
			var p []pave.Photo
			decodeInto(&p)(t, b)
			assert.NotEmpty(t, p)
		},
		"notes.json": func(t *testing.T, b []byte) {
			var n []pave.Note
			decodeInto(&n)(t, b)
			assert.NotEmpty(t, n)
		},
		"results.json": func(t *testing.T, b []byte) {
			var r pave.Results
			decodeInto(&r)(t, b)
			assert.Equal(t, pavetest.FixtureSessionKey, r.Session.SessionKey)
			assert.NotEmpty(t, r.Damages())
		},
		"callbacks_list.json": func(t *testing.T, b []byte) {
			var l struct {
				APIKey string          `json:"api_key"`
				Data   []pave.Callback `json:"data"`
			}
			decodeInto(&l)(t, b)
			assert.Equal(t, pavetest.FixtureAPIKey, l.APIKey)
			assert.NotEmpty(t, l.Data)
		},
		"callback.json": func(t *testing.T, b []byte) {
			var w struct {
				Data pave.Callback `json:"data"`
			}
			decodeInto(&w)(t, b)
			assert.Equal(t, pavetest.FixtureEvent, w.Data.Event)
			require.NoError(t, w.Data.Validate())
		},
		"callback_created.json": func(t *testing.T, b []byte) {
			var c pave.Callback
			decodeInto(&c)(t, b)
			assert.Equal(t, pavetest.FixtureEvent, c.Event)
			require.NoError(t, c.Validate())
		},
		"callback_deleted.json": errorFixture,
		"hotspots_upload.json": func(t *testing.T, b []byte) {
			var u struct {
				Data []pave.HotspotUpload `json:"data"`
			}
			decodeInto(&u)(t, b)
			assert.Len(t, pave.FailedUploads(u.Data), 1)
		},
		"hotspots_results.json": func(t *testing.T, b []byte) {
			r, err := decodeHotspots(b)
			require.NoError(t, err)
			assert.True(t, r.Success)
			assert.Positive(t, r.DamageCount())
		},
		"hotspots_not_ready.json": func(t *testing.T, b []byte) {
			r, err := decodeHotspots(b)
			require.NoError(t, err)
			assert.False(t, r.Success)
		},
		"resend.json": func(t *testing.T, b []byte) {
			var r pave.ResendResult
			decodeInto(&r)(t, b)
			assert.Equal(t, "success", r.Status)
			assert.Equal(t, pavetest.FixtureSessionKey, r.SessionKey)
		},
		"error_validation.json": func(t *testing.T, b []byte) {
			var e errorBody
			decodeInto(&e)(t, b)
			assert.NotEmpty(t, e.Errors)
		},
		"error_not_found.json":          errorFixture,
		"error_not_ready.json":          errorFixture,
		"error_unauthorized.json":       errorFixture,
		"error_rate_limited.json":       errorFixture,
		"error_callback_not_found.json": errorFixture,
		"error_resend_finalized.json":   errorFixture,
		"error_resend_not_found.json":   errorFixture,
		"error_session_started.json":    errorFixture,
		"error_missing_fields.json":     errorFixture,
		"error_callback_exists.json":    errorFixture,
	}
	// Webhook deliveries: each parses, and names its event the way the
	// file name says.
	deliveries := map[string]pave.EventName{
		"delivery_complete.json": pave.EventComplete, "delivery_complete_no_event.json": pave.EventComplete,
		"delivery_note_insert.json": pave.EventNoteInsert, "delivery_sms_process.json": pave.EventSMSProcess,
		"delivery_stage_change.json": pave.EventStageChange, "delivery_stage_change_rejected.json": pave.EventStageChange,
		"delivery_status_change.json": pave.EventStatusChange, "delivery_unknown_event.json": "",
	}
	for name, event := range deliveries {
		checks[name] = func(t *testing.T, b []byte) {
			ev, err := webhook.Parse(b, nil)
			require.NoError(t, err)
			if event != "" {
				assert.Equal(t, event, ev.Name)
			}
		}
	}

	names := pavetest.FixtureNames()
	require.NotEmpty(t, names)
	assert.IsIncreasing(t, names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := pavetest.MustFixture(t, name)
			require.True(t, json.Valid(b), "valid JSON")
			check, ok := checks[name]
			require.True(t, ok, "fixture %s has no check in this table", name)
			check(t, b)
		})
	}
	for name := range checks {
		assert.Contains(t, names, name)
	}
}

func TestFixtureLookup(t *testing.T) {
	t.Parallel()
	a := pavetest.Fixture("session.json")
	require.NotNil(t, a)
	a[0] = 'X'
	assert.Equal(t, byte('{'), pavetest.Fixture("session.json")[0], "Fixture returns a copy")
	assert.Equal(t, pavetest.Fixture("session.json"), pavetest.Fixture("session"), "the extension is optional")
	assert.Nil(t, pavetest.Fixture("nope.json"))

	rec := &mockRecordingTB{TB: t}
	assert.PanicsWithValue(t, errMockFatal, func() { pavetest.MustFixture(rec, "nope") })
	require.Len(t, rec.errors, 1)
	assert.Contains(t, rec.errors[0], `"nope"`)

	client, mt := pavetest.NewMockClient(t)
	pavetest.OnFixture(mt, http.MethodGet, pavetest.PathSession(""), http.StatusOK, "nope.json")
	_, err := client.Sessions.Get(t.Context(), "F-1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no fixture named "nope.json"`)
}

func TestMockKeySubstitutionEscapes(t *testing.T) {
	t.Parallel()
	// Keys are opaque: one with characters that need escaping in a URL
	// and in JSON still round-trips through the default answers.
	client, mt := pavetest.NewMockClient(t)
	const key = `odd key"é:1`
	pavetest.OnGetSession(mt, key, nil)
	pavetest.OnResults(mt, "", nil)

	sess, err := client.Sessions.Get(t.Context(), key)
	require.NoError(t, err)
	assert.Equal(t, key, sess.SessionKey)
	assert.Equal(t, 1, pavetest.Calls(mt, http.MethodGet, pavetest.PathSession(key)))

	res, err := client.Sessions.Results(t.Context(), key)
	require.NoError(t, err)
	assert.Equal(t, key, res.Session.SessionKey)
}

func TestMockConcurrentUse(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	pavetest.OnGetSession(mt, "", nil)
	pavetest.OnResults(mt, "", nil)

	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Go(func() {
			key := fmt.Sprintf("C-%d", i)
			if _, err := client.Sessions.Get(t.Context(), key); err != nil {
				errs <- err
			}
			if res, err := client.Sessions.Results(t.Context(), key); err != nil {
				errs <- err
			} else if res.Session.SessionKey != key {
				errs <- fmt.Errorf("got results of %s for %s", res.Session.SessionKey, key)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, 40, mt.GetTotalCallCount())
	assert.Equal(t, 20, pavetest.Calls(mt, http.MethodGet, pavetest.PathSession("")))
}

func TestSentRecordsWhatTheClientSent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	client, mt := pavetest.NewMockClient(t)
	pavetest.OnCreateSession(mt, nil)
	pavetest.OnRateLimited(mt, http.MethodGet, pavetest.PathSession(""), 0)

	_, err := client.Sessions.Create(ctx, &pave.CreateSessionRequest{Options: &pave.SessionOptions{ClientID: "LEAD-7"}})
	require.NoError(t, err)
	_, err = client.Sessions.Get(ctx, "ABC-1234567890")
	require.ErrorIs(t, err, pave.ErrRateLimited)

	sent := pavetest.Sent(mt)
	require.Len(t, sent, 4, "one create, then a GET tried three times")
	assert.Equal(t, http.MethodPost, sent[0].Method)
	for _, r := range sent[1:] {
		assert.Equal(t, "/v1/sessions/ABC-1234567890", r.Path)
	}
	req, ok := pavetest.LastSent(mt, http.MethodPost, pavetest.PathSessions)
	require.True(t, ok)
	var body pave.CreateSessionRequest
	require.NoError(t, req.DecodeBody(&body))
	assert.Equal(t, "LEAD-7", body.Options.ClientID)
	assert.NoError(t, pavetest.CheckSignature(req.Header, pavetest.MockCredentials(), pavetest.Strict, time.Time{}, 0))

	_, ok = pavetest.LastSent(mt, http.MethodDelete, pavetest.PathSessions)
	assert.False(t, ok)
	assert.Empty(t, pavetest.Sent(pavetest.NewMockTransport()), "a fresh transport was sent nothing")

	// Sent returns copies: changing them does not change the log.
	sent[0].Body[0] = 'X'
	assert.NotEqual(t, byte('X'), pavetest.Sent(mt)[0].Body[0])
}

// decodeHotspots decodes a Hotspots results document as a user would.
func decodeHotspots(b []byte) (*pave.HotspotResults, error) {
	var r pave.HotspotResults
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Several dealers on one transport: each client is recorded however it was
// built, a base URL with a path prefix meets the same routes, and a
// recorded request's headers are checked directly.
func TestMockTransportForManyDealers(t *testing.T) {
	t.Parallel()
	dealerA := pave.Credentials{Username: "dealer-a", APIKey: "key-a-0001", APISecret: "secret-a-0123456789"}
	dealerB := pave.Credentials{Username: "dealer-b", APIKey: "key-b-0002", APISecret: "secret-b-0123456789"}
	dealerC := pave.Credentials{Username: "dealer-c", APIKey: "key-c-0003", APISecret: "secret-c-0123456789"}
	mt := pavetest.NewMockTransport()
	a, err := mt.NewClient(dealerA)
	require.NoError(t, err)
	b, err := mt.NewClient(dealerB, pave.WithBaseURL("https://gateway.example.com/pave"))
	require.NoError(t, err)
	// Dealer C's client is built by hand, on the same transport.
	c, err := pave.NewClient(dealerC, pave.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	pavetest.OnCreateSession(mt, nil)
	pavetest.OnGetSession(mt, "", nil)

	ctx := context.Background()
	_, err = a.Sessions.Create(ctx, nil)
	require.NoError(t, err)
	_, err = b.Sessions.Create(ctx, &pave.CreateSessionRequest{Options: &pave.SessionOptions{ClientID: "LEAD-B-7"}})
	require.NoError(t, err, "a path prefix meets the same routes")
	_, err = c.Sessions.Get(ctx, pavetest.FixtureSessionKey)
	require.NoError(t, err)

	sent := pavetest.Sent(mt)
	require.Len(t, sent, 3)
	assert.Equal(t, pavetest.PathSessions, sent[1].Path, "the prefix is dropped")
	assert.True(t, pavetest.AssertSigned(t, sent[0].Header, dealerA))
	assert.True(t, pavetest.AssertSigned(t, sent[1].Header, dealerB))
	assert.True(t, pavetest.AssertSigned(t, sent[2].Header, dealerC))
	assert.ErrorIs(t, pavetest.CheckSignature(sent[1].Header, dealerA, pavetest.Strict, time.Time{}, 0), pavetest.ErrBadSignature,
		"dealer B's request is not dealer A's")
	last, ok := pavetest.LastSent(mt, http.MethodPost, pavetest.PathSessions)
	require.True(t, ok)
	var body pave.CreateSessionRequest
	require.NoError(t, last.DecodeBody(&body))
	assert.Equal(t, "LEAD-B-7", body.Options.ClientID)
	assert.Equal(t, 2, pavetest.Calls(mt, http.MethodPost, pavetest.PathSessions))
}
