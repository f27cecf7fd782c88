package pavetest

import (
	"net/http"
	"strings"
	"time"

	"github.com/pave-go/pave"
)

// Maximum session age for a resend (PAVE's v2 resend rules).
const resendMaxAgeDays = 7

type resendBody struct {
	Phone string `json:"phone"`
}

// resendJSON covers the v2 success and error bodies; zero-valued optional
// fields are omitted.
type resendJSON struct {
	Status         string `json:"status"`
	Message        string `json:"message"`
	SessionKey     string `json:"session_key"`
	Phone          string `json:"phone,omitempty"`
	SessionStatus  string `json:"session_status,omitempty"`
	SessionAgeDays *int   `json:"session_age_days,omitempty"`
	DaysRemaining  *int   `json:"days_remaining,omitempty"`
}

// v2Status maps a v1 status to the v2 vocabulary (inferred
// mapping): IDLE is PENDING, STARTED and PROCESS are IN_PROGRESS, and a
// PROCESS session with every view captured (some rejected) is SUBMITTED.
func v2Status(sess *session) string {
	switch sess.status {
	case pave.StatusIdle:
		return "PENDING"
	case pave.StatusStarted:
		return "IN_PROGRESS"
	case pave.StatusProcess:
		if len(sess.photos) == len(photoCodes()) {
			return "SUBMITTED"
		}
		return "IN_PROGRESS"
	}
	return string(sess.status)
}

func (s *Server) handleResend(w http.ResponseWriter, q *apiRequest) {
	key := q.key()
	fail := func(status int, text string, extra func(*resendJSON)) {
		out := resendJSON{Status: "error", Message: text, SessionKey: key}
		if extra != nil {
			extra(&out)
		}
		writeJSON(w, status, out)
	}
	var b resendBody
	if re := decodeBody(q.body, &b, false); re != nil {
		fail(http.StatusBadRequest, re.Error(), nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[key]
	if sess == nil || sess.acct != q.acct {
		fail(http.StatusNotFound, "Session not found", nil)
		return
	}
	switch st := v2Status(sess); st {
	case "PENDING", "IN_PROGRESS", "SUBMITTED":
	default:
		fail(http.StatusBadRequest, "Session is already finalized and cannot be resent",
			func(o *resendJSON) { o.SessionStatus = st })
		return
	}
	age := int(s.now().Sub(sess.createdAt) / (24 * time.Hour))
	if age < 0 {
		age = 0
	}
	if age > resendMaxAgeDays {
		fail(http.StatusBadRequest, "Session is older than 7 days and cannot be resent",
			func(o *resendJSON) { o.SessionAgeDays = &age })
		return
	}
	if sess.resent {
		fail(http.StatusBadRequest, "SMS has already been resent for this session", nil)
		return
	}
	if sess.smsStatus == smsPending || sess.smsStatus == smsFailed { // an original SMS, not reported delivered
		fail(http.StatusBadRequest, "The original SMS has not been reported delivered, so it cannot be resent", nil)
		return
	}
	phone := strings.TrimSpace(b.Phone)
	if phone == "" && sess.sms != nil {
		phone = sess.sms.To
	}
	switch {
	case phone == "":
		fail(http.StatusBadRequest, "No phone number to send the SMS to", nil)
		return
	case !validPhone(phone):
		fail(http.StatusBadRequest, "Invalid phone number", nil)
		return
	}
	sess.resent = true
	remaining := resendMaxAgeDays - age
	writeJSON(w, http.StatusOK, resendJSON{
		Status: "success", Message: "SMS resend has been processed", SessionKey: key, Phone: phone,
		SessionAgeDays: &age, DaysRemaining: &remaining,
	})
}
