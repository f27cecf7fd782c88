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
		if len(sess.photos) == len(photoCodes) {
			return "SUBMITTED"
		}
		return "IN_PROGRESS"
	}
	return string(sess.status)
}

func (s *Server) handleResend(w http.ResponseWriter, q *apiRequest) {
	out := resendJSON{Status: "error", SessionKey: q.key()}
	var b resendBody
	if re := decodeBody(q.body, &b, false); re != nil {
		out.Message = re.Error()
		writeJSON(w, http.StatusBadRequest, out)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[out.SessionKey]
	if sess == nil || sess.acct != q.acct {
		out.Message = "Session not found"
		writeJSON(w, http.StatusNotFound, out)
		return
	}
	age := max(0, int(s.now().Sub(sess.createdAt)/(24*time.Hour)))
	phone := strings.TrimSpace(b.Phone)
	if phone == "" && sess.sms != nil {
		phone = sess.sms.To
	}
	switch st := v2Status(sess); {
	case st != "PENDING" && st != "IN_PROGRESS" && st != "SUBMITTED":
		out.Message, out.SessionStatus = "Session is already finalized and cannot be resent", st
	case age > resendMaxAgeDays:
		out.Message, out.SessionAgeDays = "Session is older than 7 days and cannot be resent", &age
	case sess.resent:
		out.Message = "SMS has already been resent for this session"
	case sess.smsStatus == smsPending || sess.smsStatus == smsFailed: // an original SMS, not reported delivered
		out.Message = "The original SMS has not been reported delivered, so it cannot be resent"
	case phone == "":
		out.Message = "No phone number to send the SMS to"
	case !validPhone(phone):
		out.Message = "Invalid phone number"
	default:
		sess.resent = true
		remaining := resendMaxAgeDays - age
		writeJSON(w, http.StatusOK, resendJSON{Status: "success", Message: "SMS resend has been processed",
			SessionKey: out.SessionKey, Phone: phone, SessionAgeDays: &age, DaysRemaining: &remaining})
		return
	}
	writeJSON(w, http.StatusBadRequest, out)
}
