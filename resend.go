package pave

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// accessTokenHeader carries the v2 credential (REFERENCE.md 9). It is set
// in PAVE's spelling, as the signing headers are.
const accessTokenHeader = "API-Access-Token"

// Sentinel errors for the documented refusals of Sessions.ResendSMS. The
// *ResendError that ResendSMS returns matches one of them with errors.Is.
var (
	// ErrResendFinalized: the session is past capture (QC_PASSED,
	// CONFIRM, COMPLETE or EXPIRED) and can no longer be resent.
	ErrResendFinalized = errors.New("pave: session is finalized and cannot be resent")
	// ErrResendTooOld: the session is older than 7 days.
	ErrResendTooOld = errors.New("pave: session is too old to be resent")
	// ErrResendAlreadySent: the one resend a session allows was used.
	ErrResendAlreadySent = errors.New("pave: SMS has already been resent")
)

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
}

// ResendError is the error of a resend PAVE refused for a documented
// reason. Reason is ErrResendFinalized, ErrResendTooOld or
// ErrResendAlreadySent, and errors.Is(err, Reason) is true. It wraps the
// *APIError (embedded here, and given by Unwrap), so errors.As(err,
// &apiErr) and the APIError sentinels still work.
type ResendError struct {
	*APIError
	// Reason is the sentinel that names the refusal.
	Reason error
	// SessionStatus is the v2 status PAVE reported (e.g. "QC_PASSED"),
	// when it did.
	SessionStatus SessionStatus
	// SessionAgeDays is the session's age PAVE reported, or 0.
	SessionAgeDays int
}

// Error returns the *APIError's one line.
func (e *ResendError) Error() string {
	if e.APIError == nil {
		if e.Reason != nil {
			return e.Reason.Error()
		}
		return "pave: resend refused"
	}
	return e.APIError.Error()
}

// Is reports whether target is the error's Reason. Other sentinels
// (ErrValidation, ...) are answered by the wrapped *APIError.
func (e *ResendError) Is(target error) bool {
	return e.Reason != nil && errors.Is(e.Reason, target)
}

// Unwrap returns the *APIError.
func (e *ResendError) Unwrap() error {
	if e.APIError == nil {
		return nil
	}
	return e.APIError
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
// ErrResendTooOld or ErrResendAlreadySent, and an unknown session as an
// *APIError matching ErrNotFound. A 200 whose status is "error" is treated
// like a refusal (an *APIError with StatusCode 200, or a *ResendError).
//
// A resend texts a customer, so it is retried only when PAVE provably did
// not process it (connection refused, 429): never twice otherwise. A 2xx
// with an empty body gives an empty *ResendResult; one with an unreadable
// body is a *RequestError matching ErrBadResponse, although PAVE has most
// likely sent the SMS: do not resend because of it.
func (s *SessionsService) ResendSMS(ctx context.Context, key string, req *ResendSMSRequest) (*ResendResult, error) {
	const op = "Sessions.ResendSMS"
	fe := fieldErrors{}
	if msg := validateSessionKey(key); msg != "" {
		fe.add("session_key", msg)
	}
	body := ResendSMSRequest{}
	if req != nil && req.Phone != "" {
		body.Phone = strings.TrimSpace(req.Phone)
		if _, ok := PhoneDigits(body.Phone); !ok {
			fe.add("phone", "phone number must have 7 to 15 digits")
		}
	}
	if err := fe.err(op); err != nil {
		return nil, err
	}
	path := "/v2/capture/sessions/" + url.PathEscape(key) + "/resend"
	cl := call{
		method: http.MethodPost,
		path:   path,
		body:   body,
		header: http.Header{accessTokenHeader: s.c.accessToken()},
	}
	res, err := s.c.exchange(ctx, cl, nil)
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			if rerr := classifyResendError(apiErr); rerr != nil {
				return nil, rerr
			}
		}
		return nil, err
	}
	raw := res.Body
	var out ResendResult
	if isNull(raw) {
		// A 2xx means PAVE processed the resend, even without a body.
		return &out, nil
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		// Still a 2xx: the SMS was most likely sent, so do not resend
		// because of this error.
		return nil, res.badResponse(cl, fmt.Errorf("decoding response: %w", err))
	}
	if strings.EqualFold(out.Status, "error") {
		apiErr := s.c.successFalseError(cl, res, out.Message)
		if rerr := classifyResendError(apiErr); rerr != nil {
			return nil, rerr
		}
		return nil, apiErr
	}
	return &out, nil
}

// classifyResendError recognises the documented refusals by their message
// (the status alone, 400, does not tell them apart) and returns nil for any
// other error. The wording of the too-old and already-resent messages is
// undocumented; the fake server's is matched, and loosely.
func classifyResendError(e *APIError) *ResendError {
	if e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500 {
		return nil
	}
	m := strings.ToLower(e.Message)
	var reason error
	switch {
	case strings.Contains(m, "finalized") || strings.Contains(m, "finalised"):
		reason = ErrResendFinalized
	case strings.Contains(m, "older than") || strings.Contains(m, "too old"):
		reason = ErrResendTooOld
	case strings.Contains(m, "already been resent") || strings.Contains(m, "already resent"):
		reason = ErrResendAlreadySent
	default:
		return nil
	}
	re := &ResendError{APIError: e, Reason: reason}
	var extra struct {
		SessionStatus  looseStr        `json:"session_status"`
		SessionAgeDays json.RawMessage `json:"session_age_days"`
	}
	if json.Unmarshal(e.Body, &extra) == nil {
		re.SessionStatus = SessionStatus(extra.SessionStatus)
		var n Int
		if n.UnmarshalJSON(extra.SessionAgeDays) == nil && n >= 0 && n <= 1<<31-1 {
			re.SessionAgeDays = int(n)
		}
	}
	return re
}
