package pavetest

import (
	"bytes"
	"encoding/json"
	"errors"
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

// decodeJSON decodes an optional JSON object body into v. An empty body
// or null leaves v untouched. It returns "" or a message safe to return to
// the client (no values from the body).
func decodeJSON(body []byte, v any) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return ""
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return ""
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return "Invalid request body: field " + te.Field + " has the wrong type."
		}
		return "Invalid request body: expected a JSON object."
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "Malformed JSON in request body."
	}
	return "Invalid request body."
}

// fieldErrs collects validation messages by dotted field path.
type fieldErrs map[string][]string

func (f fieldErrs) add(field, text string) { f[field] = append(f[field], text) }

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
	if len(l) != 2 {
		return false
	}
	for i := 0; i < 2; i++ {
		c := l[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func validateContact(fe fieldErrs, prefix string, c *pave.Contact) {
	if c == nil {
		return
	}
	if strings.TrimSpace(c.FirstName) == "" {
		fe.add(prefix+".first_name", "The first name field is required.")
	}
	if strings.TrimSpace(c.LastName) == "" {
		fe.add(prefix+".last_name", "The last name field is required.")
	}
}

func normalTheme(t pave.Theme) pave.Theme { return pave.Theme(strings.ToUpper(string(t))) }

// validate applies the fake server's field rules (see docs/pave-api.md).
func (b *sessionBody) validate() fieldErrs {
	fe := fieldErrs{}
	if s := b.Session; s != nil {
		if s.Theme != "" && !normalTheme(s.Theme).Known() {
			fe.add("session.theme", "The selected theme is invalid.")
		}
		if s.RedirectURL != "" && !validAbsoluteURL(s.RedirectURL) {
			fe.add("session.redirect_url", "Invalid redirect url")
		}
		if s.Language != "" && !validLanguage(string(s.Language)) {
			fe.add("session.language", "Invalid language code")
		}
		validateContact(fe, "session.contact", s.Contact)
	}
	if o := b.Options; o != nil {
		validateContact(fe, "options.contact", o.Contact)
	}
	if v := b.Vehicle; v != nil {
		switch {
		case v.VIN == "":
		case len(v.VIN) < 17:
			fe.add("vehicle.vin", "VIN is too short, it must be 17 characters")
		case len(v.VIN) > 17:
			fe.add("vehicle.vin", "VIN is too long, it must be 17 characters")
		case strings.ContainsFunc(v.VIN, func(r rune) bool {
			return (r < '0' || r > '9') && (r < 'A' || r > 'Z') && (r < 'a' || r > 'z')
		}):
			fe.add("vehicle.vin", "VIN contains invalid characters")
		}
	}
	if s := b.SMS; s != nil {
		if s.To != "" && !validPhone(s.To) {
			fe.add("sms.to", "Invalid phone number")
		}
		if s.From != "" && !validPhone(s.From) {
			fe.add("sms.from", "Invalid phone number")
		}
	}
	return fe
}

type validationBody struct {
	Message string    `json:"message"`
	Errors  fieldErrs `json:"errors"`
}

// readSessionBody decodes and validates; on failure it has answered.
func readSessionBody(w http.ResponseWriter, body []byte) (*sessionBody, bool) {
	var b sessionBody
	if problem := decodeJSON(body, &b); problem != "" {
		writeJSON(w, http.StatusBadRequest, msg(problem))
		return nil, false
	}
	if fe := b.validate(); len(fe) > 0 {
		writeJSON(w, http.StatusBadRequest, validationBody{Message: msgValidation, Errors: fe})
		return nil, false
	}
	return &b, true
}

func copySMS(in *pave.SMS) *pave.SMS {
	if in == nil {
		return nil
	}
	c := *in
	return &c
}

func copyContact(in *pave.Contact) *pave.Contact {
	if in == nil {
		return nil
	}
	c := *in
	return &c
}

// stamp is the server clock truncated to whole seconds, as PAVE stores it.
func (s *Server) stampLocked() time.Time { return s.now().UTC().Truncate(time.Second) }

func (s *Server) handleCreateSession(w http.ResponseWriter, body []byte, acct *account) {
	b, ok := readSessionBody(w, body)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := newSessionKey(s.keyRand)
	for s.sessions[key] != nil {
		key = newSessionKey(s.keyRand)
	}
	now := s.stampLocked()
	sess := &session{
		key: key, acct: acct, theme: string(acct.DefaultTheme), status: pave.StatusIdle,
		language: "EN", createdAt: now, updatedAt: now,
	}
	if st := b.Session; st != nil {
		if st.Theme != "" {
			sess.theme = string(normalTheme(st.Theme))
		}
		if st.Language != "" {
			sess.language = string(st.Language)
		}
		sess.redirectURL = st.RedirectURL
	}
	sess.passThrough(b)
	sess.sms = copySMS(b.SMS)
	if sess.sms != nil && sess.sms.To != "" {
		sess.smsStatus = smsPending
	}
	sess.vehicle.mergeFrom(b.Vehicle)
	s.sessions[key] = sess
	b2, n, err := sess.viewJSON(s.opts.CaptureHost)
	writeView(w, http.StatusCreated, b2, n, err)
}

// ownSession returns acct's session key, or nil (another key's session is
// reported as missing, never leaked). Call with s.mu held.
func (s *Server) ownSession(acct *account, key string) *session {
	sess := s.sessions[key]
	if sess == nil || sess.acct != acct {
		return nil
	}
	return sess
}

func (s *Server) handleGetSession(w http.ResponseWriter, acct *account, key string) {
	s.mu.Lock()
	sess := s.ownSession(acct, key)
	var b []byte
	var n string
	var err error
	if sess != nil {
		b, n, err = sess.viewJSON(s.opts.CaptureHost)
	}
	s.mu.Unlock()
	if sess == nil {
		writeJSON(w, http.StatusNotFound, msg(notFoundMessage(key)))
		return
	}
	writeView(w, http.StatusOK, b, n, err)
}

// writeView answers a session's encoded view (from viewJSON), or the
// error answer writeJSON gives a value it cannot encode.
func writeView(w http.ResponseWriter, status int, b []byte, length string, err error) {
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, []byte(`{"message":"Server Error"}`))
		return
	}
	writeJSONBytes(w, status, b, length)
}

func (s *Server) handleGetPhotos(w http.ResponseWriter, acct *account, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.ownSessionOr404(w, acct, key)
	if sess == nil {
		return
	}
	writeJSON(w, http.StatusOK, viewsOf(sess.photos, (*photoState).view))
}

func (s *Server) handleGetNotes(w http.ResponseWriter, acct *account, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.ownSessionOr404(w, acct, key)
	if sess == nil {
		return
	}
	writeJSON(w, http.StatusOK, viewsOf(sess.notes, noteState.view))
}

func (s *Server) handleGetResults(w http.ResponseWriter, acct *account, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.ownSession(acct, key)
	switch {
	case sess == nil:
		writeJSON(w, http.StatusNotFound, msg(notFoundMessage(key)))
	case sess.status != pave.StatusComplete || sess.results == nil:
		writeJSON(w, s.opts.NotReadyStatus, msg(msgNotCompleted))
	default:
		writeJSON(w, http.StatusOK, sess.results)
	}
}

func (s *Server) handleDeleteSession(w http.ResponseWriter, acct *account, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.ownSession(acct, key)
	switch {
	case sess == nil:
		writeJSON(w, http.StatusNotFound, msg(notFoundMessage(key)))
	case sess.status != pave.StatusIdle:
		writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf("Session %s has been started and cannot be deleted.", key)))
	default:
		delete(s.sessions, key)
		writeJSON(w, http.StatusOK, msg(fmt.Sprintf("Session %s has been successfully removed.", key)))
	}
}

// updateRule reports the first field of b that the session's status does
// not allow changing (PAVE's update rules), as a message.
func updateRule(sess *session, b *sessionBody) string {
	closed := sess.status == pave.StatusComplete || sess.status == pave.StatusExpired || sess.status == pave.StatusInvalid
	idle := sess.status == pave.StatusIdle
	notStarted := func(field string) string {
		return field + " can only be changed before the session has started."
	}
	if st := b.Session; st != nil {
		if st.Theme != "" && !idle {
			return "session.theme can only be changed while the session is IDLE."
		}
		if st.RedirectURL != "" && closed {
			return "session.redirect_url can only be changed before the session is COMPLETE."
		}
		if st.Language != "" && closed {
			return "session.language can only be changed before the session is COMPLETE."
		}
		switch {
		case st.ClientID != "" && !idle:
			return notStarted("session.client_id")
		case st.Contact != nil && !idle:
			return notStarted("session.contact")
		case st.Reference != nil && !idle:
			return notStarted("session.reference")
		}
	}
	if o := b.Options; o != nil && (o.ClientID != "" || o.Contact != nil || o.Reference != nil) && !idle {
		return notStarted("options")
	}
	if b.Vehicle != nil && !idle {
		return notStarted("vehicle")
	}
	if sm := b.SMS; sm != nil {
		if sm.To != "" && (!idle || sess.smsStatus != smsFailed) {
			return "sms.to can only be changed before the session has started and after the previous SMS delivery failed."
		}
		if (sm.ToName != "" || sm.From != "" || sm.By != "" || sm.SendResultsToPhototaker != nil) && !idle {
			return notStarted("sms")
		}
	}
	return ""
}

// knownSession reports whether acct owns the session key, answering the
// documented 404 when it does not.
func (s *Server) knownSession(w http.ResponseWriter, acct *account, key string) bool {
	s.mu.Lock()
	exists := s.ownSession(acct, key) != nil
	s.mu.Unlock()
	if !exists {
		writeJSON(w, http.StatusNotFound, msg(notFoundMessage(key)))
	}
	return exists
}

// passThrough takes client_id, contact and reference from the body's
// session object, then from its options (PAVE documents both places),
// keeping what the body leaves out.
func (sess *session) passThrough(b *sessionBody) {
	set := func(clientID string, contact *pave.Contact, ref map[string]any) {
		if clientID != "" {
			sess.clientID = clientID
		}
		if contact != nil {
			sess.contact = copyContact(contact)
		}
		if ref != nil {
			sess.reference = ref
		}
	}
	if st := b.Session; st != nil {
		set(st.ClientID, st.Contact, st.Reference)
	}
	if o := b.Options; o != nil {
		set(o.ClientID, o.Contact, o.Reference)
	}
}

func (s *Server) handleUpdateSession(w http.ResponseWriter, body []byte, acct *account, key string) {
	if !s.knownSession(w, acct, key) {
		return
	}
	b, ok := readSessionBody(w, body)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.ownSessionOr404(w, acct, key)
	if sess == nil { // deleted meanwhile
		return
	}
	if text := updateRule(sess, b); text != "" {
		writeJSON(w, http.StatusBadRequest, msg(text))
		return
	}
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
	sess.passThrough(b)
	sess.vehicle.mergeFrom(b.Vehicle)
	if sm := b.SMS; sm != nil {
		if sess.sms == nil {
			sess.sms = &pave.SMS{}
		}
		if sm.To != "" {
			sess.sms.To = sm.To
			sess.smsStatus = smsPending
		}
		if sm.ToName != "" {
			sess.sms.ToName = sm.ToName
		}
		if sm.From != "" {
			sess.sms.From = sm.From
		}
		if sm.By != "" {
			sess.sms.By = sm.By
		}
		if sm.SendResultsToPhototaker != nil {
			v := *sm.SendResultsToPhototaker
			sess.sms.SendResultsToPhototaker = &v
		}
	}
	sess.updatedAt = s.stampLocked()
	sess.invalidate()
	out, n, err := sess.viewJSON(s.opts.CaptureHost)
	writeView(w, http.StatusOK, out, n, err)
}

// ownSessionOr404 returns the account's session, or answers the documented
// 404 and returns nil. s.mu must be held.
func (s *Server) ownSessionOr404(w http.ResponseWriter, acct *account, key string) *session {
	sess := s.ownSession(acct, key)
	if sess == nil {
		writeJSON(w, http.StatusNotFound, msg(notFoundMessage(key)))
	}
	return sess
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
