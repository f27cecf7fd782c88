package pave_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

const resendOK = `{"status": "success", "message": "SMS resend has been processed", "session_key": "SPN-7Q2M9XK4TB",
	"phone": "+14165550199", "session_age_days": 2, "days_remaining": 5}`

func TestResendSMSRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      []pave.Option
		key       string
		req       *pave.ResendSMSRequest
		wantPath  string
		wantBody  string
		wantToken string
	}{
		{name: "original recipient", key: hsKey, req: nil,
			wantPath: "/v2/capture/sessions/SPN-7Q2M9XK4TB/resend", wantBody: `{}`, wantToken: hsCreds.APIKey},
		{name: "empty request", key: hsKey, req: &pave.ResendSMSRequest{},
			wantPath: "/v2/capture/sessions/SPN-7Q2M9XK4TB/resend", wantBody: `{}`, wantToken: hsCreds.APIKey},
		{name: "new phone", key: hsKey, req: &pave.ResendSMSRequest{Phone: "+14165550199"},
			wantPath: "/v2/capture/sessions/SPN-7Q2M9XK4TB/resend", wantBody: `{"phone": "+14165550199"}`, wantToken: hsCreds.APIKey},
		{name: "phone trimmed", key: hsKey, req: &pave.ResendSMSRequest{Phone: "  +1 (416) 555-0199 "},
			wantPath: "/v2/capture/sessions/SPN-7Q2M9XK4TB/resend", wantBody: `{"phone": "+1 (416) 555-0199"}`, wantToken: hsCreds.APIKey},
		{name: "configured access token", opts: []pave.Option{pave.WithAccessToken("v2-access-7d1e0c")}, key: hsKey,
			wantPath: "/v2/capture/sessions/SPN-7Q2M9XK4TB/resend", wantBody: `{}`, wantToken: "v2-access-7d1e0c"},
		{name: "escaped key", key: "SPN 7Q2M?9", req: nil,
			wantPath: "/v2/capture/sessions/SPN%207Q2M%3F9/resend", wantBody: `{}`, wantToken: hsCreds.APIKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := hsMockClient(t, tt.opts, httpmock.NewStringResponder(200, resendOK))
			res, err := c.Sessions.ResendSMS(context.Background(), tt.key, tt.req)
			require.NoError(t, err)
			assert.Equal(t, &pave.ResendResult{
				Status: "success", Message: "SMS resend has been processed", SessionKey: hsKey,
				Phone: "+14165550199", SessionAgeDays: 2, DaysRemaining: 5,
			}, pave.WithoutRaw(res))

			reqs := pavetest.Sent(mt)
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, http.MethodPost, r.Method)
			assert.Equal(t, tt.wantPath, r.EscapedPath)
			assert.Equal(t, []string{tt.wantToken}, headerValues(r.Header, "API-Access-Token"))
			hsAssertSigned(t, r.Header)
			assert.Equal(t, []string{"application/json"}, headerValues(r.Header, "Content-Type"))
			assert.JSONEq(t, tt.wantBody, string(r.Body))
		})
	}
}

func TestResendSMSHTTPTest(t *testing.T) {
	t.Parallel()
	var saw pavetest.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw = serverSaw(r)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, resendOK)
	}))
	t.Cleanup(srv.Close)
	c, err := pave.NewClient(hsCreds, pave.WithBaseURL(srv.URL), pave.WithAccessToken("v2-access-7d1e0c"))
	require.NoError(t, err)
	res, err := c.Sessions.ResendSMS(context.Background(), hsKey, nil)
	require.NoError(t, err)
	assert.EqualValues(t, 5, res.DaysRemaining)
	assert.Equal(t, "v2-access-7d1e0c", saw.Header.Get("API-Access-Token"))
	assert.Equal(t, hsCreds.APIKey, saw.Header.Get("API-Key"))
	assert.Len(t, saw.Header.Get("API-Token"), 64)
}

func TestResendSMSErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		body       string
		reason     error // nil: no *ResendError
		alsoIs     []error
		notIs      []error
		wantStatus pave.SessionStatus
		wantAge    int
	}{
		{name: "not found", status: 404, body: `{"status": "error", "message": "Session not found", "session_key": "SPN-7Q2M9XK4TB"}`,
			alsoIs: []error{pave.ErrNotFound}, notIs: []error{pave.ErrResendFinalized, pave.ErrResendTooOld, pave.ErrResendAlreadySent}},
		{name: "finalized", status: 400,
			body:   `{"status": "error", "message": "Session is already finalized and cannot be resent", "session_key": "SPN-7Q2M9XK4TB", "session_status": "QC_PASSED"}`,
			reason: pave.ErrResendFinalized, wantStatus: "QC_PASSED", notIs: []error{pave.ErrNotFound, pave.ErrResendTooOld}},
		{name: "too old", status: 400,
			body:   `{"status": "error", "message": "Session is older than 7 days and cannot be resent", "session_key": "SPN-7Q2M9XK4TB", "session_age_days": 9}`,
			reason: pave.ErrResendTooOld, wantAge: 9, notIs: []error{pave.ErrResendFinalized}},
		{name: "too old, age as string", status: 400,
			body:   `{"status": "error", "message": "Session is older than 7 days", "session_age_days": "12"}`,
			reason: pave.ErrResendTooOld, wantAge: 12},
		{name: "already resent", status: 400,
			body:   `{"status": "error", "message": "SMS has already been resent for this session", "session_key": "SPN-7Q2M9XK4TB"}`,
			reason: pave.ErrResendAlreadySent, notIs: []error{pave.ErrResendTooOld}},
		{name: "already resent, 409", status: 409, body: `{"status": "error", "message": "SMS already resent"}`,
			reason: pave.ErrResendAlreadySent},
		{name: "finalized with field errors", status: 400,
			body:   `{"message": "Session is already finalized and cannot be resent", "errors": {"session": ["finalized"]}}`,
			reason: pave.ErrResendFinalized, alsoIs: []error{pave.ErrValidation}},
		{name: "finalized on a 200", status: 200,
			body:   `{"status": "error", "message": "Session is already finalized and cannot be resent", "session_status": "COMPLETE"}`,
			reason: pave.ErrResendFinalized, wantStatus: "COMPLETE"},
		{name: "other 400", status: 400, body: `{"status": "error", "message": "Invalid phone number"}`,
			notIs: []error{pave.ErrResendFinalized, pave.ErrResendTooOld, pave.ErrResendAlreadySent, pave.ErrNotFound}},
		{name: "other error on a 200", status: 200, body: `{"status": "ERROR", "message": "SMS provider unavailable"}`,
			notIs: []error{pave.ErrResendFinalized, pave.ErrResendTooOld, pave.ErrResendAlreadySent}},
		{name: "unauthorized", status: 401, body: `{"message": "Unauthorized."}`, alsoIs: []error{pave.ErrUnauthorized}},
		{name: "expired, as PAVE's page names it", status: 400, body: `{"status": "error", "message": "Expired"}`,
			reason: pave.ErrResendTooOld},
		{name: "no phone", status: 400, body: `{"status": "error", "message": "No phone number to send the SMS to", "session_key": "SPN-7Q2M9XK4TB"}`,
			reason: pave.ErrResendNoPhone, notIs: []error{pave.ErrResendFinalized, pave.ErrResendAlreadySent}},
		{name: "no phone, as a field error", status: 422, body: `{"message": "The given data was invalid.", "errors": {"phone": ["The phone field is required."]}}`,
			reason: pave.ErrResendNoPhone, alsoIs: []error{pave.ErrValidation}},
		{name: "a bad phone is not a missing one", status: 422, body: `{"message": "The given data was invalid.", "errors": {"phone": ["The phone format is invalid."]}}`,
			alsoIs: []error{pave.ErrValidation}, notIs: []error{pave.ErrResendNoPhone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := hsMockClient(t, nil, httpmock.NewStringResponder(tt.status, tt.body))
			res, err := c.Sessions.ResendSMS(context.Background(), hsKey, nil)
			require.Error(t, err)
			assert.Nil(t, res)
			assert.Len(t, pavetest.Sent(mt), 1)

			var apiErr *pave.APIError
			require.ErrorAs(t, err, &apiErr, "the *APIError stays reachable")
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, "/v2/capture/sessions/SPN-7Q2M9XK4TB/resend", apiErr.Path)

			var re *pave.ResendError
			if tt.reason == nil {
				assert.False(t, errors.As(err, &re), "no *ResendError expected")
			} else {
				require.ErrorAs(t, err, &re)
				assert.ErrorIs(t, err, tt.reason)
				assert.Equal(t, tt.reason, re.Reason)
				assert.Equal(t, tt.wantStatus, re.SessionStatus)
				assert.Equal(t, tt.wantAge, re.SessionAgeDays)
				assert.Same(t, apiErr, re.APIError)
				assert.Equal(t, apiErr.Error(), err.Error())
			}
			for _, target := range tt.alsoIs {
				assert.ErrorIs(t, err, target)
			}
			for _, target := range tt.notIs {
				assert.NotErrorIs(t, err, target)
			}
		})
	}
}

func TestResendSMSValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		key   string
		req   *pave.ResendSMSRequest
		field string
	}{
		{name: "short phone", key: hsKey, req: &pave.ResendSMSRequest{Phone: "12345"}, field: "phone"},
		{name: "letters in phone", key: hsKey, req: &pave.ResendSMSRequest{Phone: "+1416CALLNOW"}, field: "phone"},
		{name: "too long phone", key: hsKey, req: &pave.ResendSMSRequest{Phone: "+1234567890123456"}, field: "phone"},
		{name: "blank phone", key: hsKey, req: &pave.ResendSMSRequest{Phone: "   "}, field: "phone"},
		{name: "empty key", key: "", field: "session_key"},
		{name: "slash in key", key: "a/b", field: "session_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := hsMockClient(t, nil)
			_, err := c.Sessions.ResendSMS(context.Background(), tt.key, tt.req)
			require.Error(t, err)
			assert.ErrorIs(t, err, pave.ErrValidation)
			var ve *pave.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "Sessions.ResendSMS", ve.Op)
			assert.Contains(t, pave.FieldErrors(err), tt.field)
			assert.Empty(t, pavetest.Sent(mt), "validation must not touch the network")
		})
	}
}

// A resend texts a customer: it must be sent once, unless PAVE provably
// did not receive it.
func TestResendSMSNeverSentTwice(t *testing.T) {
	t.Parallel()
	refused := func(*http.Request) (*http.Response, error) {
		return nil, fmt.Errorf("dial tcp 127.0.0.1:1: %w", syscall.ECONNREFUSED)
	}
	tests := []struct {
		name  string
		first httpmock.Responder
		calls int
		ok    bool
	}{
		{name: "500", first: httpmock.NewStringResponder(500, `{"message": "Server Error"}`), calls: 1},
		{name: "502", first: httpmock.NewStringResponder(502, `<html>Bad Gateway</html>`), calls: 1},
		{name: "503", first: httpmock.NewStringResponder(503, `{}`), calls: 1},
		{name: "504", first: httpmock.NewStringResponder(504, `{}`), calls: 1},
		{name: "408", first: httpmock.NewStringResponder(408, `{}`), calls: 1},
		{name: "dropped connection", first: httpmock.ConnectionFailure, calls: 1},
		{name: "429 is retried", first: httpmock.NewStringResponder(429, `{"message": "Too Many Requests."}`), calls: 2, ok: true},
		{name: "connection refused is retried", first: refused, calls: 2, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := hsMockClient(t, nil, tt.first, httpmock.NewStringResponder(200, resendOK))
			res, err := c.Sessions.ResendSMS(context.Background(), hsKey, &pave.ResendSMSRequest{Phone: "+14165550199"})
			assert.Len(t, pavetest.Sent(mt), tt.calls)
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, "success", res.Status)
				for _, r := range pavetest.Sent(mt) {
					assert.Equal(t, []string{hsCreds.APIKey}, headerValues(r.Header, "API-Access-Token"), "every attempt carries the token")
				}
			} else {
				assert.Error(t, err)
			}
		})
	}
}

func TestResendSMSResponseBodies(t *testing.T) {
	t.Parallel()
	t.Run("empty 2xx", func(t *testing.T) {
		t.Parallel()
		c, _ := hsMockClient(t, nil, httpmock.NewStringResponder(204, ``))
		res, err := c.Sessions.ResendSMS(context.Background(), hsKey, nil)
		require.NoError(t, err)
		assert.Equal(t, &pave.ResendResult{}, res)
	})
	t.Run("unreadable 2xx", func(t *testing.T) {
		t.Parallel()
		c, mt := hsMockClient(t, nil, httpmock.NewStringResponder(200, `<html>ok</html>`))
		_, err := c.Sessions.ResendSMS(context.Background(), hsKey, nil)
		assert.ErrorIs(t, err, pave.ErrBadResponse)
		assert.Len(t, pavetest.Sent(mt), 1)
	})
	t.Run("lenient numbers", func(t *testing.T) {
		t.Parallel()
		c, _ := hsMockClient(t, nil, httpmock.NewStringResponder(200, `{"status": "success", "session_age_days": "3", "days_remaining": null}`))
		res, err := c.Sessions.ResendSMS(context.Background(), hsKey, nil)
		require.NoError(t, err)
		assert.EqualValues(t, 3, res.SessionAgeDays)
		assert.EqualValues(t, 0, res.DaysRemaining)
	})
}

func TestResendSMSRedactsAccessToken(t *testing.T) {
	t.Parallel()
	const token = "v2-access-SECRET-91f3"
	c, _ := hsMockClient(t, []pave.Option{pave.WithAccessToken(token)},
		httpmock.NewStringResponder(400, `{"status": "error", "message": "Session is already finalized and cannot be resent (token `+token+`)"}`))
	_, err := c.Sessions.ResendSMS(context.Background(), hsKey, nil)
	require.ErrorIs(t, err, pave.ErrResendFinalized)
	assert.NotContains(t, err.Error(), token)
	var apiErr *pave.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.NotContains(t, string(apiErr.Body), token)
}

func TestResendErrorZero(t *testing.T) {
	t.Parallel()
	e := &pave.ResendError{Reason: pave.ErrResendTooOld}
	assert.Equal(t, pave.ErrResendTooOld.Error(), e.Error())
	assert.NoError(t, e.Unwrap())
	assert.ErrorIs(t, e, pave.ErrResendTooOld)
	assert.NotErrorIs(t, e, pave.ErrNotFound)
	assert.Equal(t, "pave: resend refused", (&pave.ResendError{}).Error())
	assert.False(t, (&pave.ResendError{}).Is(nil))
}

// roundTripFunc lets a test stand in for a RoundTripper below the SDK.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestAccessTokenHeaderIsCanonical: middleware below the SDK reads the v2
// token with Header.Get or by its canonical map key, as net/http code does.
func TestAccessTokenHeaderIsCanonical(t *testing.T) {
	t.Parallel()
	var byGet string
	var byKey []string
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		byGet = r.Header.Get("API-Access-Token")
		byKey = r.Header[http.CanonicalHeaderKey(pave.HeaderAccessToken)]
		return jsonResponse(200, resendOK), nil
	})
	c, err := pave.NewClient(hsCreds, pave.WithHTTPClient(&http.Client{Transport: rt}), pave.WithAccessToken("v2-access-7d1e0c"))
	require.NoError(t, err)
	_, err = c.Sessions.ResendSMS(context.Background(), hsKey, nil)
	require.NoError(t, err)
	assert.Equal(t, "v2-access-7d1e0c", byGet)
	assert.Equal(t, []string{"v2-access-7d1e0c"}, byKey)
}

// TestResendSMSWithoutAPhone: against the fake, a session created without
// sms.to has nobody to text unless the request names a phone.
func TestResendSMSWithoutAPhone(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	c := srv.Client()
	ctx := context.Background()
	sess, err := c.Sessions.Create(ctx, nil)
	require.NoError(t, err)
	_, err = c.Sessions.ResendSMS(ctx, sess.SessionKey, nil)
	require.ErrorIs(t, err, pave.ErrResendNoPhone)
	var re *pave.ResendError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, pave.ErrResendNoPhone, re.Reason)
	res, err := c.Sessions.ResendSMS(ctx, sess.SessionKey, &pave.ResendSMSRequest{Phone: "+14165550199"})
	require.NoError(t, err)
	assert.Equal(t, "+14165550199", res.Phone)
}
