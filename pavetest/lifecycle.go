package pavetest

import (
	"encoding/json"
	"fmt"

	"github.com/pave-go/pave"
)

// captureOrder is the order in which the capture app asks for the views
// (the order PAVE's capture app asks for them).
var captureOrder = []pave.PhotoCode{
	pave.PhotoVIN, pave.PhotoInterior, pave.PhotoCluster, pave.PhotoLeft, pave.PhotoFrontLeft,
	pave.PhotoFront, pave.PhotoFrontRight, pave.PhotoRight, pave.PhotoRearRight, pave.PhotoRear,
	pave.PhotoRearLeft, pave.PhotoWindshield, pave.PhotoTires,
}

// rejectionMessage is the QA verdict of a rejected photo (the only
// documented reason).
const rejectionMessage = "REJECTED: Wrong View"

// findLocked returns the session with key, whatever its account.
func (s *Server) findLocked(key string) (*session, error) {
	sess := s.sessions[key]
	if sess == nil {
		return nil, fmt.Errorf("%w: %q", ErrSessionNotFound, key)
	}
	return sess, nil
}

func transitionError(sess *session, op string) error {
	return fmt.Errorf("%w: cannot %s session %s in status %s", ErrInvalidTransition, op, sess.key, sess.status)
}

// control runs fn under the lock and then delivers the webhooks it queued.
// fn may change anything in the session: its cached view is dropped.
func (s *Server) control(key string, fn func(sess *session) ([]pendingDelivery, error)) error {
	s.mu.Lock()
	sess, err := s.findLocked(key)
	var batch []pendingDelivery
	if err == nil {
		batch, err = fn(sess)
		sess.invalidate()
	}
	s.mu.Unlock()
	s.dispatch(batch)
	return err
}

// The delivery bodies. PAVE documents SMS_PROCESS as {phone, status,
// message} and STAGE_CHANGE as {session_key, photo_url, photo_status,
// message}, the message optional; STATUS_CHANGE and NOTE_INSERT are not
// documented, so the fake sends the least it can: the session key and the
// status, or the note. The omitempty fields are Options.RichWebhooks'.

type statusChangeJSON struct {
	Event          string `json:"event,omitempty"`
	SessionKey     string `json:"session_key"`
	Status         string `json:"status"`
	PreviousStatus string `json:"previous_status,omitempty"`
	UpdatedAt      string `json:"updated_at,omitempty"`
}

// richEvent is the event name for a delivery body: only with RichWebhooks
// (PAVE shows it in the COMPLETE body alone).
func (s *Server) richEvent(name string) string {
	if s.opts.RichWebhooks {
		return name
	}
	return ""
}

// setStatusLocked changes the status and queues SESSION:STATUS_CHANGE.
func (s *Server) setStatusLocked(sess *session, to pave.SessionStatus) []pendingDelivery {
	from := sess.status
	sess.status = to
	sess.updatedAt = s.stampLocked()
	ev := statusChangeJSON{Event: s.richEvent(eventStatusChange), SessionKey: sess.key, Status: string(to)}
	if s.opts.RichWebhooks {
		ev.PreviousStatus, ev.UpdatedAt = string(from), fmtMicro(sess.updatedAt)
	}
	return s.eventLocked(sess, eventStatusChange, ev)
}

func (s *Server) startLocked(sess *session) []pendingDelivery {
	sess.startedAt = s.stampLocked()
	return s.setStatusLocked(sess, pave.StatusStarted)
}

// StartCapture moves an IDLE session to STARTED, as when the user opens
// the link and presses GET STARTED, firing SESSION:STATUS_CHANGE.
func (s *Server) StartCapture(key string) error {
	return s.control(key, func(sess *session) ([]pendingDelivery, error) {
		if sess.status != pave.StatusIdle {
			return nil, transitionError(sess, "start")
		}
		return s.startLocked(sess), nil
	})
}

type stageChangeJSON struct {
	Event       string  `json:"event,omitempty"`
	SessionKey  string  `json:"session_key"`
	PhotoCode   int     `json:"photo_code,omitempty"`
	PhotoLabel  string  `json:"photo_label,omitempty"`
	PhotoURL    string  `json:"photo_url"`
	PhotoStatus string  `json:"photo_status"`
	Message     *string `json:"message,omitempty"`
}

// captureLocked records one photo and queues its webhooks: STATUS_CHANGE
// to STARTED (from IDLE) and to PROCESS (first photo), STAGE_CHANGE, and
// STATUS_CHANGE to QC_PASSED once all 13 views are accepted.
func (s *Server) captureLocked(sess *session, code pave.PhotoCode, accepted bool) ([]pendingDelivery, error) {
	if code.Label() == "" {
		return nil, fmt.Errorf("pavetest: photo code %d is not between 1 and 13", code)
	}
	var batch []pendingDelivery
	switch sess.status {
	case pave.StatusIdle:
		batch = append(batch, s.startLocked(sess)...)
	case pave.StatusStarted, pave.StatusProcess:
	default:
		return nil, transitionError(sess, "capture a photo for")
	}
	now := s.stampLocked()
	sess.shots++
	p := sess.photo(code)
	if p == nil {
		p = &photoState{Code: code, CreatedAt: now}
		sess.photos = append(sess.photos, p)
	}
	p.URL = photoURL(newRand(s.opts.Seed, sess.key, "photo", fmt.Sprint(sess.shots)), sess.key, code)
	p.Approved = accepted
	p.UpdatedAt = now
	stage := stageChangeJSON{Event: s.richEvent(eventStageChange), SessionKey: sess.key, PhotoURL: p.URL, PhotoStatus: "ACCEPTED"}
	if s.opts.RichWebhooks {
		stage.PhotoCode, stage.PhotoLabel = int(code), string(code.Label())
	}
	if accepted {
		p.Message = "ACCEPTED"
	} else {
		p.Message = rejectionMessage
		stage.PhotoStatus = "REJECTED"
		reason := "Wrong View"
		stage.Message = &reason
	}
	if code == pave.PhotoVIN && accepted {
		s.decodeVehicleLocked(sess)
	}
	sess.updatedAt = now
	batch = append(batch, s.eventLocked(sess, eventStageChange, stage)...)
	if sess.status == pave.StatusStarted {
		batch = append(batch, s.setStatusLocked(sess, pave.StatusProcess)...)
	}
	if sess.allAccepted() {
		batch = append(batch, s.setStatusLocked(sess, pave.StatusQCPassed)...)
	}
	return batch, nil
}

// decodeVehicleLocked fills the vehicle as a VIN decode would, keeping
// what the integrator sent.
func (s *Server) decodeVehicleLocked(sess *session) {
	if sess.vehicle.VehicleID != 0 {
		return
	}
	s.nextVehID++
	d := generateVehicle(newRand(s.opts.Seed, sess.key, "vehicle"), sess.vehicle.VIN)
	d.VehicleID = pave.Int(50000 + s.nextVehID)
	mergeFields(&sess.vehicle, &d, false)
}

// CapturePhoto records a photo of view code as the capture app would,
// accepted or rejected ("REJECTED: Wrong View"), firing
// SESSION:STAGE_CHANGE. An IDLE session is started first; the first photo
// moves it to PROCESS and the 13th accepted view to QC_PASSED, each firing
// SESSION:STATUS_CHANGE. A retake replaces the view's photo.
func (s *Server) CapturePhoto(key string, code pave.PhotoCode, accepted bool) error {
	return s.control(key, func(sess *session) ([]pendingDelivery, error) {
		return s.captureLocked(sess, code, accepted)
	})
}

// Expire marks an IDLE, STARTED or PROCESS session EXPIRED (the expiry
// window elapsed), firing SESSION:STATUS_CHANGE.
func (s *Server) Expire(key string) error {
	return s.control(key, func(sess *session) ([]pendingDelivery, error) {
		switch sess.status {
		case pave.StatusIdle, pave.StatusStarted, pave.StatusProcess:
			return s.setStatusLocked(sess, pave.StatusExpired), nil
		}
		return nil, transitionError(sess, "expire")
	})
}

// Invalidate marks a session that is not COMPLETE, EXPIRED or INVALID as
// INVALID (rejected during processing), firing SESSION:STATUS_CHANGE.
func (s *Server) Invalidate(key string) error {
	return s.control(key, func(sess *session) ([]pendingDelivery, error) {
		if sess.status.Final() {
			return nil, transitionError(sess, "invalidate")
		}
		return s.setStatusLocked(sess, pave.StatusInvalid), nil
	})
}

type noteInsertJSON struct {
	Event      string   `json:"event,omitempty"`
	SessionKey string   `json:"session_key"`
	Note       noteJSON `json:"note"`
}

// AddNote attaches a note to a session (in any status), firing
// SESSION:NOTE_INSERT.
func (s *Server) AddNote(key, title, description string) error {
	return s.control(key, func(sess *session) ([]pendingDelivery, error) {
		s.nextNoteID++
		n := noteState{ID: s.nextNoteID, Title: title, Description: description, CreatedAt: s.stampLocked()}
		sess.notes = append(sess.notes, n)
		ev := noteInsertJSON{Event: s.richEvent(eventNoteInsert), SessionKey: sess.key, Note: n.view()}
		return s.eventLocked(sess, eventNoteInsert, ev), nil
	})
}

type smsProcessJSON struct {
	Event      string  `json:"event,omitempty"`
	SessionKey string  `json:"session_key,omitempty"`
	Phone      string  `json:"phone"`
	Status     string  `json:"status"`
	Message    *string `json:"message,omitempty"`
}

// SetSMSResult records the outcome of the capture-link SMS reported by the
// SMS provider, firing SESSION:SMS_PROCESS with status "success" or
// "error" and message (left out when empty). A failed SMS allows changing
// sms.to while the session is IDLE; the v2 resend refuses after one.
func (s *Server) SetSMSResult(key string, success bool, message string) error {
	return s.control(key, func(sess *session) ([]pendingDelivery, error) {
		ev := smsProcessJSON{Event: s.richEvent(eventSMSProcess), Status: "success"}
		if s.opts.RichWebhooks {
			ev.SessionKey = sess.key
		}
		if _, sms := sess.shown(&s.opts); sms != nil {
			ev.Phone = sms.To
		}
		if success {
			sess.smsStatus = smsDelivered
		} else {
			sess.smsStatus = smsFailed
			ev.Status = "error"
		}
		if message != "" {
			ev.Message = &message
		}
		return s.eventLocked(sess, eventSMSProcess, ev), nil
	})
}

// Session returns a session as GET /v1/sessions/{key} shows it, whatever
// its account.
func (s *Server) Session(key string) (*pave.Session, error) {
	s.mu.Lock()
	sess, err := s.findLocked(key)
	var b []byte
	if err == nil {
		b, _, err = sess.viewJSON(&s.opts)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out pave.Session
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
