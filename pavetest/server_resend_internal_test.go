package pavetest

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
)

func TestResendRules(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithClock(func() time.Time { return fixedNow }))
	c := srv.Client()
	hc := plainClient(t)
	token := http.Header{"Api-Access-Token": {srv.Credentials().APIKey}}
	resend := func(key string, body any) (int, []byte) {
		return call(t, hc, http.MethodPost, srv.URL+"/v2/capture/sessions/"+key+"/resend", body, token)
	}

	key := createSession(t, c, &pave.CreateSessionRequest{SMS: &pave.SMS{To: "+14165550199"}}).SessionKey
	require.NoError(t, srv.SetSMSResult(key, true, ""))
	srv.AdvanceClock(2*24*time.Hour + time.Hour)
	status, body := resend(key, nil)
	require.Equal(t, http.StatusOK, status, string(body))
	assert.JSONEq(t, `{"status":"success","message":"SMS resend has been processed","session_key":"`+key+
		`","phone":"+14165550199","session_age_days":2,"days_remaining":5}`, string(body))

	status, body = resend(key, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"status":"error","message":"SMS has already been resent for this session","session_key":"`+key+`"}`, string(body))

	status, body = resend("NOP-0000000000", nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.JSONEq(t, `{"status":"error","message":"Session not found","session_key":"NOP-0000000000"}`, string(body))

	// A phone in the body overrides the recipient; IN_PROGRESS is allowed.
	started := createSession(t, c, &pave.CreateSessionRequest{SMS: &pave.SMS{To: "+14165550199"}}).SessionKey
	require.NoError(t, srv.SetSMSResult(started, true, ""))
	require.NoError(t, srv.CapturePhoto(started, pave.PhotoVIN, true))
	status, body = resend(started, map[string]string{"phone": "+14165550123"})
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, "+14165550123", jsonMap(t, body)["phone"])

	noPhone := createSession(t, c, nil).SessionKey // no original SMS: a phone in the body may name one
	status, body = resend(noPhone, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, string(body), "No phone number")
	status, _ = resend(noPhone, map[string]string{"phone": "nope"})
	assert.Equal(t, http.StatusBadRequest, status)
	status, _ = resend(noPhone, `{"phone":`)
	assert.Equal(t, http.StatusBadRequest, status)

	// Finalised sessions.
	for _, tc := range []struct {
		drive  func(string) error
		status string
	}{
		{srv.Complete, "COMPLETE"},
		{srv.Expire, "EXPIRED"},
		{func(k string) error {
			for _, code := range pave.CaptureOrder() {
				if err := srv.CapturePhoto(k, code, true); err != nil {
					return err
				}
			}
			return nil
		}, "QC_PASSED"},
	} {
		k := createSession(t, c, &pave.CreateSessionRequest{SMS: &pave.SMS{To: "+14165550199"}}).SessionKey
		require.NoError(t, tc.drive(k))
		status, body = resend(k, nil)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"status":"error","message":"Session is already finalized and cannot be resent","session_key":"`+k+
			`","session_status":"`+tc.status+`"}`, string(body))
	}

	// Failed original SMS.
	failed := createSession(t, c, &pave.CreateSessionRequest{SMS: &pave.SMS{To: "+14165550199"}}).SessionKey
	require.NoError(t, srv.SetSMSResult(failed, false, "Undeliverable"))
	status, _ = resend(failed, nil)
	assert.Equal(t, http.StatusBadRequest, status)

	// Older than 7 days, by the server clock.
	old := createSession(t, c, &pave.CreateSessionRequest{SMS: &pave.SMS{To: "+14165550199"}}).SessionKey
	require.NoError(t, srv.SetSMSResult(old, true, ""))
	srv.AdvanceClock(9 * 24 * time.Hour)
	status, body = resend(old, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"status":"error","message":"Session is older than 7 days and cannot be resent","session_key":"`+old+
		`","session_age_days":9}`, string(body))
}
