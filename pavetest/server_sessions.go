package pavetest

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pave-go/pave"
)

// Messages of the sessions endpoints (PAVE's documented wording).
const (
	msgValidation   = "Required fields are missing or invalid."
	msgNotCompleted = "Session is not yet completed."
)

// sessionBody is the body of POST and PUT /v1/sessions.
type sessionBody struct {
	Session *pave.SessionSettings `json:"session"`
	Vehicle *pave.Vehicle         `json:"vehicle"`
	SMS     *pave.SMS             `json:"sms"`
	Options *pave.SessionOptions  `json:"options"`
}

// validPhone: 7 to 15 digits after removing spaces, dashes, dots,
// parentheses and one leading +.
func validPhone(p string) bool {
	p = strings.TrimPrefix(strings.TrimSpace(p), "+")
	n := 0
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			n++
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return false
		}
	}
	return n >= 7 && n <= 15
}

// validAbsoluteURL: an absolute URL; http(s) needs a host, an app scheme
// (myapp://done) is accepted for deep links.
func validAbsoluteURL(raw string) bool {
	if raw != strings.TrimSpace(raw) || strings.ContainsAny(raw, " \t\r\n") {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return false
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		return u.Host != ""
	}
	return u.Host != "" || u.Opaque != "" || u.Path != ""
}

func validLanguage(l string) bool {
	letter := func(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
	return len(l) == 2 && letter(l[0]) && letter(l[1])
}

func validateContact(fe fieldErrs, prefix string, c *pave.Contact) {
	if c != nil {
		fe.addIf(strings.TrimSpace(c.FirstName) == "", prefix+".first_name", "The first name field is required.")
		fe.addIf(strings.TrimSpace(c.LastName) == "", prefix+".last_name", "The last name field is required.")
	}
}

func normalTheme(t pave.Theme) pave.Theme { return pave.Theme(strings.ToUpper(string(t))) }

// check applies the fake server's field rules (see docs/pave-api.md).
func (b *sessionBody) check() *requestError {
	fe := fieldErrs{}
	st, sm := cmp.Or(b.Session, &pave.SessionSettings{}), cmp.Or(b.SMS, &pave.SMS{})
	fe.addIf(st.Theme != "" && !normalTheme(st.Theme).Known(), "session.theme", "The selected theme is invalid.")
	fe.addIf(st.RedirectURL != "" && !validAbsoluteURL(st.RedirectURL), "session.redirect_url", "Invalid redirect url")
	fe.addIf(st.Language != "" && !validLanguage(string(st.Language)), "session.language", "Invalid language code")
	validateContact(fe, "session.contact", st.Contact)
	validateContact(fe, "options.contact", cmp.Or(b.Options, &pave.SessionOptions{}).Contact)
	switch vin := cmp.Or(b.Vehicle, &pave.Vehicle{}).VIN; {
	case vin == "":
	case len(vin) < 17:
		fe.add("vehicle.vin", "VIN is too short, it must be 17 characters")
	case len(vin) > 17:
		fe.add("vehicle.vin", "VIN is too long, it must be 17 characters")
	case strings.ContainsFunc(vin, func(r rune) bool {
		return (r < '0' || r > '9') && (r < 'A' || r > 'Z') && (r < 'a' || r > 'z')
	}):
		fe.add("vehicle.vin", "VIN contains invalid characters")
	}
	fe.addIf(sm.To != "" && !validPhone(sm.To), "sms.to", "Invalid phone number")
	fe.addIf(sm.From != "" && !validPhone(sm.From), "sms.from", "Invalid phone number")
	return invalidFields(fe)
}

// stamp is the server clock truncated to whole seconds, as PAVE stores it.
func (s *Server) stampLocked() time.Time { return s.now().UTC().Truncate(time.Second) }

func (s *Server) handleCreateSession(w http.ResponseWriter, q *apiRequest) {
	b := readJSON[sessionBody](w, q.body)
	if b == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := newSessionKey(s.keyRand)
	for s.sessions[key] != nil {
		key = newSessionKey(s.keyRand)
	}
	now := s.stampLocked()
	sess := &session{key: key, acct: q.acct, theme: string(q.acct.DefaultTheme), status: pave.StatusIdle,
		language: "EN", createdAt: now, updatedAt: now}
	s.sessions[key] = sess
	sess.apply(b)
	writeView(w, http.StatusCreated, sess, &s.opts)
}

// own returns the request's session, or answers the documented 404 (for a
// session of another API key too: it is never leaked). Call with s.mu held
// (the handlers given it by locked are).
func (s *Server) own(w http.ResponseWriter, q *apiRequest) *session {
	sess := s.sessions[q.key()]
	if sess == nil || sess.acct != q.acct {
		writeJSON(w, http.StatusNotFound, msg(notFoundMessage(q.key())))
		return nil
	}
	return sess
}

func (s *Server) handleGetSession(w http.ResponseWriter, q *apiRequest) {
	s.mu.Lock()
	sess := s.own(w, q)
	var b []byte
	var n string
	var err error
	if sess != nil {
		b, n, err = sess.viewJSON(&s.opts)
	}
	s.mu.Unlock()
	if sess != nil {
		writeViewBytes(w, http.StatusOK, b, n, err)
	}
}

// writeView answers the session's view. Call with s.mu held.
func writeView(w http.ResponseWriter, status int, sess *session, o *Options) {
	b, n, err := sess.viewJSON(o)
	writeViewBytes(w, status, b, n, err)
}

// writeViewBytes answers a session's encoded view (from viewJSON), or the
// error answer writeJSON gives a value it cannot encode.
func writeViewBytes(w http.ResponseWriter, status int, b []byte, length string, err error) {
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, []byte(`{"message":"Server Error"}`))
		return
	}
	writeJSONBytes(w, status, b, length)
}

func (s *Server) handleGetPhotos(w http.ResponseWriter, _ *apiRequest, sess *session) {
	writeJSON(w, http.StatusOK, viewsOf(sess.photos, (*photoState).view))
}

func (s *Server) handleGetNotes(w http.ResponseWriter, _ *apiRequest, sess *session) {
	writeJSON(w, http.StatusOK, viewsOf(sess.notes, noteState.view))
}

func (s *Server) handleGetResults(w http.ResponseWriter, _ *apiRequest, sess *session) {
	if sess.status != pave.StatusComplete || sess.results == nil {
		writeJSON(w, s.opts.NotReadyStatus, msg(msgNotCompleted))
		return
	}
	writeJSON(w, http.StatusOK, sess.results)
}

func (s *Server) handleDeleteSession(w http.ResponseWriter, _ *apiRequest, sess *session) {
	if sess.status != pave.StatusIdle {
		writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf("Session %s has been started and cannot be deleted.", sess.key)))
		return
	}
	delete(s.sessions, sess.key)
	writeJSON(w, http.StatusOK, msg(fmt.Sprintf("Session %s has been successfully removed.", sess.key)))
}

// updateRule reports the first field of b that the session's status does
// not allow changing (PAVE's update rules), as a message.
func updateRule(sess *session, b *sessionBody) string {
	closed := sess.status == pave.StatusComplete || sess.status == pave.StatusExpired || sess.status == pave.StatusInvalid
	idle := sess.status == pave.StatusIdle
	st, o := cmp.Or(b.Session, &pave.SessionSettings{}), cmp.Or(b.Options, &pave.SessionOptions{})
	sm := cmp.Or(b.SMS, &pave.SMS{})
	notStarted := func(field string) string {
		return field + " can only be changed before the session has started."
	}
	const smsTo = "sms.to can only be changed before the session has started and after the previous SMS delivery failed."
	switch {
	case st.Theme != "" && !idle:
		return "session.theme can only be changed while the session is IDLE."
	case st.RedirectURL != "" && closed:
		return "session.redirect_url can only be changed before the session is COMPLETE."
	case st.Language != "" && closed:
		return "session.language can only be changed before the session is COMPLETE."
	case idle && sm.To != "" && sess.smsStatus != smsFailed:
		return smsTo
	case idle: // everything below may change before the session has started
		return ""
	case st.ClientID != "":
		return notStarted("session.client_id")
	case st.Contact != nil:
		return notStarted("session.contact")
	case st.Reference != nil:
		return notStarted("session.reference")
	case o.ClientID != "" || o.Contact != nil || o.Reference != nil:
		return notStarted("options")
	case b.Vehicle != nil:
		return notStarted("vehicle")
	case sm.To != "":
		return smsTo
	case sm.ToName != "" || sm.From != "" || sm.By != "" || sm.SendResultsToPhototaker != nil:
		return notStarted("sms")
	}
	return ""
}

func (s *Server) handleUpdateSession(w http.ResponseWriter, q *apiRequest, sess *session) {
	b := readJSON[sessionBody](w, q.body)
	if b == nil {
		return
	}
	if text := updateRule(sess, b); text != "" {
		writeJSON(w, http.StatusBadRequest, msg(text))
		return
	}
	sess.apply(b)
	sess.updatedAt = s.stampLocked()
	sess.invalidate()
	writeView(w, http.StatusOK, sess, &s.opts)
}

// apply takes what a create or update body sets: the session settings,
// then client_id, contact and reference from the session object and the
// options (PAVE documents both places), the vehicle and the SMS (a new
// recipient makes the SMS pending again).
func (sess *session) apply(b *sessionBody) {
	if st := b.Session; st != nil {
		if st.Theme != "" {
			sess.theme = string(normalTheme(st.Theme))
		}
		if st.RedirectURL != "" {
			sess.redirectURL = st.RedirectURL
		}
		if st.Language != "" {
			sess.language = string(st.Language)
		}
	}
	mergeFields(&sess.options, sessionAsOptions(b.Session), true)
	mergeFields(&sess.options, b.Options, true)
	if v := b.Vehicle; v != nil { // the IDs are PAVE's to give
		v.VehicleID, v.ID, v.SessionKey = 0, 0, ""
	}
	mergeFields(&sess.vehicle, b.Vehicle, true)
	if sm := b.SMS; sm != nil {
		if sess.sms == nil {
			sess.sms = &pave.SMS{}
		}
		mergeFields(sess.sms, sm, true)
		if sm.To != "" {
			sess.smsStatus = smsPending
		}
	}
}

func sessionAsOptions(st *pave.SessionSettings) *pave.SessionOptions {
	if st == nil {
		return nil
	}
	return &pave.SessionOptions{ClientID: st.ClientID, Contact: st.Contact, Reference: st.Reference}
}

// viewsOf maps stored items to their JSON views (never nil: an empty list
// is answered as []).
func viewsOf[T, V any](items []T, view func(T) V) []V {
	out := make([]V, 0, len(items))
	for _, it := range items {
		out = append(out, view(it))
	}
	return out
}
