package webhook

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/link"
	"github.com/pave-go/pave/internal/wire"
)

// expect fails when the event is known to be another one; an event without
// a name may be decoded as any.
func (e *Event) expect(want pave.EventName) error {
	if e.Name != "" && e.Name != want {
		return fmt.Errorf("webhook: event is %q, not %s", string(e.Name), want)
	}
	return nil
}

// view decodes the body into v after checking the event name, leniently
// (fields of the wrong type are left empty rather than failing).
func (e *Event) view(want pave.EventName, v any) error {
	if err := e.expect(want); err != nil {
		return err
	}
	if err := wire.Decode(e.Body, v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

// Complete decodes a SESSION:COMPLETE body: the results document, whose Raw
// keeps the whole body (including payload attributes). The document is
// decoded once; later calls return the same *pave.Results.
func (e *Event) Complete() (*pave.Results, error) {
	if err := e.expect(pave.EventComplete); err != nil {
		return nil, err
	}
	d := e.decoded
	if d == nil { // an Event built by hand
		d = &decodedResults{}
		e.decoded = d
	}
	d.once.Do(func() {
		var r any
		r, d.err = link.DecodeResults(e.Body)
		d.results, _ = r.(*pave.Results)
		if d.err != nil {
			d.err = fmt.Errorf("webhook: decoding %s: %w", pave.EventComplete, d.err)
		}
	})
	return d.results, d.err
}

// PhotoStatus is a photo's quality-check verdict in a STAGE_CHANGE
// delivery. Unknown values pass through.
type PhotoStatus string

// Photo verdicts.
const (
	PhotoAccepted PhotoStatus = "ACCEPTED"
	PhotoRejected PhotoStatus = "REJECTED"
)

// Accepted reports whether the status starts with ACCEPTED (any case).
func (s PhotoStatus) Accepted() bool { return hasPrefixFold(string(s), string(PhotoAccepted)) }

// Rejected reports whether the status starts with REJECTED (any case).
func (s PhotoStatus) Rejected() bool { return hasPrefixFold(string(s), string(PhotoRejected)) }

func hasPrefixFold(s, prefix string) bool {
	s = strings.TrimSpace(s)
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// StageChange is the SESSION:STAGE_CHANGE body: one photo was captured and
// checked. PAVE documents session_key, photo_url, photo_status and
// message; PhotoCode is taken from photo_code when a body carries one, else
// from the _NN_ PAVE's photo URLs carry ({key}_{NN}_{XXX}.jpg), and
// PhotoCode and PhotoLabel fill each other in.
type StageChange struct {
	SessionKey  string          `json:"session_key,omitempty"`
	PhotoCode   pave.PhotoCode  `json:"photo_code,omitempty"`
	PhotoLabel  pave.PhotoLabel `json:"photo_label,omitempty"`
	PhotoURL    string          `json:"photo_url,omitempty"`
	PhotoStatus PhotoStatus     `json:"photo_status,omitempty"`
	// Message is the rejection reason, if any.
	Message string `json:"message,omitempty"`
}

// StageChange decodes a SESSION:STAGE_CHANGE body. Fields of the wrong
// type are left empty rather than failing.
func (e *Event) StageChange() (*StageChange, error) {
	sc := &StageChange{}
	if err := e.view(pave.EventStageChange, sc); err != nil {
		return nil, err
	}
	if sc.PhotoCode == 0 {
		sc.PhotoCode = sc.PhotoLabel.Code()
	}
	if sc.PhotoCode == 0 {
		sc.PhotoCode = photoCodeInURL(sc.PhotoURL)
	}
	if sc.PhotoLabel == "" {
		sc.PhotoLabel = sc.PhotoCode.Label()
	}
	return sc, nil
}

// photoURLCode is the _NN_ of a PAVE photo URL's file name.
var photoURLCode = regexp.MustCompile(`_([0-9]{2})_[^/_]*$`)

// photoCodeInURL reads the view code from a photo URL such as
// https://images-cdn.paveapi.com/LKH/LKH-7Q2M9XK4TB/LKH-7Q2M9XK4TB_04_TVL.jpg,
// or 0.
func photoCodeInURL(u string) pave.PhotoCode {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	m := photoURLCode.FindStringSubmatch(u)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	if pave.PhotoCode(n).Label() == "" {
		return 0
	}
	return pave.PhotoCode(n)
}

// SMSStatus is the SMS provider's verdict: "success" or "error". Unknown
// values pass through.
type SMSStatus string

// SMS delivery statuses.
const (
	SMSSuccess SMSStatus = "success"
	SMSError   SMSStatus = "error"
)

// OK reports whether the status is "success" (any case).
func (s SMSStatus) OK() bool {
	return strings.EqualFold(strings.TrimSpace(string(s)), string(SMSSuccess))
}

// SMSProcess is the SESSION:SMS_PROCESS body: the delivery state of a text
// PAVE sent. PAVE documents phone, status and message only, so SessionKey
// is empty unless your callback's payload or URL carries your own id (see
// the package documentation). Phone is personal data: do not log it.
type SMSProcess struct {
	SessionKey string    `json:"session_key,omitempty"`
	Phone      string    `json:"phone,omitempty"`
	Status     SMSStatus `json:"status,omitempty"`
	// Message is the provider's error text, if any.
	Message string `json:"message,omitempty"`
}

// SMSProcess decodes a SESSION:SMS_PROCESS body. Fields of the wrong type
// are left empty rather than failing.
func (e *Event) SMSProcess() (*SMSProcess, error) {
	sp := &SMSProcess{}
	if err := e.view(pave.EventSMSProcess, sp); err != nil {
		return nil, err
	}
	return sp, nil
}

// StatusChange is the SESSION:STATUS_CHANGE body. PAVE does not document
// it; the fields are the most likely ones, each empty when absent, and
// Body holds whatever else it carries.
type StatusChange struct {
	SessionKey     string             `json:"session_key,omitempty"`
	Status         pave.SessionStatus `json:"status,omitempty"`
	PreviousStatus pave.SessionStatus `json:"previous_status,omitempty"`
	UpdatedAt      pave.Time          `json:"updated_at,omitzero"`
}

// StatusChange decodes a SESSION:STATUS_CHANGE body. Fields of the wrong
// type are left empty rather than failing.
func (e *Event) StatusChange() (*StatusChange, error) {
	sc := &StatusChange{}
	if err := e.view(pave.EventStatusChange, sc); err != nil {
		return nil, err
	}
	return sc, nil
}

// NoteInsert is the SESSION:NOTE_INSERT body. PAVE does not document it;
// Note follows the most likely shape and keeps the note as received (see
// pave.Note.Raw).
type NoteInsert struct {
	SessionKey string    `json:"session_key,omitempty"`
	Note       pave.Note `json:"note,omitzero"`
}

// NoteInsert decodes a SESSION:NOTE_INSERT body. A note that does not fit
// pave.Note's fields is kept in its raw form only.
func (e *Event) NoteInsert() (*NoteInsert, error) {
	ni := &NoteInsert{}
	if err := e.view(pave.EventNoteInsert, ni); err != nil {
		return nil, err
	}
	return ni, nil
}
