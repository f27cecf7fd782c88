package pave

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/pave-go/pave/internal/endpoint"
	"github.com/pave-go/pave/internal/transport"
	"github.com/pave-go/pave/internal/wire"
)

// canonicalAccessToken is its key in an http.Header ("Api-Access-Token"),
// where Header.Get, in any RoundTripper or middleware, finds it.
var canonicalAccessToken = http.CanonicalHeaderKey(HeaderAccessToken)

// ResendSMSRequest is the optional body of Sessions.ResendSMS.
type ResendSMSRequest struct {
	// Phone overrides the destination (e.g. "+14165550199"); empty sends
	// to the original recipient.
	Phone string `json:"phone,omitempty"`
}

// ResendResult is PAVE's answer to a successful resend.
type ResendResult struct {
	// Status is "success".
	Status string `json:"status"`
	// Message is e.g. "SMS resend has been processed".
	Message    string `json:"message,omitempty"`
	SessionKey string `json:"session_key,omitempty"`
	// Phone is the number the SMS went to.
	Phone string `json:"phone,omitempty"`
	// SessionAgeDays is the session's age in days; DaysRemaining is how
	// many of the 7 days allowed for a resend were left.
	SessionAgeDays Int `json:"session_age_days"`
	DaysRemaining  Int `json:"days_remaining"`

	raw json.RawMessage
}

// resendPlain is ResendResult without its methods.
type resendPlain ResendResult

// UnmarshalJSON decodes the answer and keeps it (Raw).
func (r *ResendResult) UnmarshalJSON(b []byte) error {
	err := wire.Decode(b, (*resendPlain)(r))
	r.raw = wire.Keep(b)
	return err
}

// Raw returns a copy of PAVE's answer as received.
func (r ResendResult) Raw() json.RawMessage { return wire.Clone(r.raw) }

// MarshalJSON writes the object as received plus any edit to its fields
// (see Raw).
func (r ResendResult) MarshalJSON() ([]byte, error) {
	return wire.MarshalKept(r.raw, r, func(v ResendResult) resendPlain { return resendPlain(v) })
}

// ResendSMS asks PAVE to text the capture link once more (POST
// /v2/capture/sessions/{key}/resend). req may be nil to text the original
// recipient; a req.Phone that is not 7 to 15 digits (PhoneDigits) is a
// *ValidationError for field "phone", returned without any network call.
//
// The request carries API-Access-Token (WithAccessToken, by default the
// API key) as well as the usual signature. PAVE allows one resend per
// session, within 7 days, before the photos pass quality control; its
// refusals come back as a *ResendError matching ErrResendFinalized,
// ErrResendTooOld or ErrResendAlreadySent, a session without a phone
// number (when req gives none) as one matching ErrResendNoPhone, and an
// unknown session as an
// *APIError matching ErrNotFound. A 200 whose status is "error" is treated
// like a refusal (an *APIError with StatusCode 200, or a *ResendError).
//
// A resend texts a customer, so it is retried only when PAVE provably did
// not process it (connection refused, 429): never twice otherwise. A 2xx
// with an empty body gives an empty *ResendResult; one with an unreadable
// body is a *RequestError matching ErrBadResponse, although PAVE has most
// likely sent the SMS: do not resend because of it.
func (s *SessionsService) ResendSMS(ctx context.Context, key string, req *ResendSMSRequest, opts ...CallOption) (*ResendResult, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	const op = "Sessions.ResendSMS"
	fe := fieldErrors{}
	if msg := validateSessionKey(key); msg != "" {
		fe.add("session_key", msg)
	}
	body := ResendSMSRequest{}
	if req != nil && req.Phone != "" {
		body.Phone = strings.TrimSpace(req.Phone)
		if !validPhone(body.Phone) {
			fe.add("phone", "phone number must have 7 to 15 digits")
		}
	}
	if err := fe.err(op); err != nil {
		return nil, err
	}
	cl := newCall(endpoint.ResendSMS, body, key)
	cl.Header = http.Header{canonicalAccessToken: s.c.accessToken()}
	var out ResendResult
	err = s.c.do(ctx, cl, func(res *transport.Result) error {
		if wire.IsNull(res.Body) {
			return nil // a 2xx means PAVE processed the resend, even without a body
		}
		if err := json.Unmarshal(res.Body, &out); err != nil {
			// Still a 2xx: the SMS was most likely sent, so do not resend
			// because of this error.
			return badResponse(cl, res, fmt.Errorf("decoding response: %w", err))
		}
		if strings.EqualFold(out.Status, "error") {
			return s.c.apiError(cl, res, out.Message)
		}
		return nil
	})
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			if rerr := classifyResendError(apiErr); rerr != nil {
				return nil, rerr
			}
		}
		return nil, err
	}
	return &out, nil
}

// classifyResendError recognises the documented refusals by their message
// (the status alone, 400, does not tell them apart) and returns nil for any
// other error. PAVE's page names the too-old refusal "Expired"; the wording
// of the others is undocumented, so the fake server's is matched, and
// loosely: a no-phone refusal is one whose message or field errors name a
// missing phone.
// missingPhone reports a refusal saying there is no phone number.
func missingPhone(msg string, fields map[string][]string) bool {
	says := func(m string) bool {
		m = strings.ToLower(m)
		if !strings.Contains(m, "phone") {
			return false
		}
		for _, w := range [...]string{"no ", "missing", "required", "without", "empty", "not set"} {
			if strings.Contains(m, w) {
				return true
			}
		}
		return false
	}
	if says(msg) {
		return true
	}
	for _, m := range fields["phone"] {
		if says("phone " + m) {
			return true
		}
	}
	return false
}

func classifyResendError(e *APIError) *ResendError {
	if e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500 {
		return nil
	}
	m := strings.ToLower(e.Message)
	var reason error
	switch {
	case strings.Contains(m, "finalized") || strings.Contains(m, "finalised"):
		reason = ErrResendFinalized
	case strings.Contains(m, "older than") || strings.Contains(m, "too old") || strings.Contains(m, "expired"):
		reason = ErrResendTooOld
	case strings.Contains(m, "already been resent") || strings.Contains(m, "already resent"):
		reason = ErrResendAlreadySent
	case missingPhone(m, e.Errors):
		reason = ErrResendNoPhone
	default:
		return nil
	}
	re := &ResendError{APIError: e, Reason: reason}
	var extra struct {
		SessionStatus  SessionStatus `json:"session_status"`
		SessionAgeDays int32         `json:"session_age_days"`
	}
	if wire.Decode(e.Body, &extra) == nil && extra.SessionAgeDays >= 0 {
		re.SessionStatus, re.SessionAgeDays = extra.SessionStatus, int(extra.SessionAgeDays)
	}
	return re
}
