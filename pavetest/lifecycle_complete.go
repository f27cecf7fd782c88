package pavetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pave-go/pave"
)

// Complete runs the rest of the lifecycle, IDLE -> STARTED -> PROCESS ->
// QC_PASSED -> CONFIRM -> COMPLETE, capturing every missing or rejected
// view as accepted, generating the results document and firing
// SESSION:STATUS_CHANGE for each step, SESSION:STAGE_CHANGE for each photo
// and SESSION:COMPLETE with the results.
//
// With a results delay (Options.ResultsDelay, Chaos.ResultsDelayFraction)
// the session stops at CONFIRM, and the server completes it, firing the
// rest, once its clock has passed the end of the capture plus the delay
// (it looks at every request and every clock advance).
func (s *Server) Complete(key string) error { return s.CompleteRepeat(key, Repeat{}) }

// Repeat makes Complete a repeat inspection: the vehicle of an earlier
// COMPLETE session inspected again, its damages carried over but for those
// repaired, plus new ones, so a comparison of two results can be tested.
type Repeat struct {
	// Previous is the key of the earlier session ("" for a first
	// inspection).
	Previous string `json:"previous_session_key" required:"true" doc:"The earlier COMPLETE session of the vehicle."`
	// NewDamages are found this time.
	NewDamages []RepeatDamage `json:"new_damages,omitempty" doc:"Damages found this time."`
	// Repaired lists the components whose earlier damages are gone.
	Repaired []string `json:"repaired_components,omitempty" doc:"Components whose earlier damages were repaired."`
}

// RepeatDamage is a damage by component and damage name, from PAVE's
// vocabulary (DOOR_FRONT_LEFT, SCRATCHED_MINOR, ...).
type RepeatDamage struct {
	Component  string `json:"component" required:"true" doc:"e.g. DOOR_FRONT_LEFT"`
	DamageName string `json:"damage_name" required:"true" doc:"e.g. SCRATCHED_MINOR"`
}

// CompleteRepeat completes a session (see Complete) as repeat inspection r
// of an earlier session's vehicle: same VIN and vehicle, the earlier
// damages without those on r.Repaired components, plus r.NewDamages.
func (s *Server) CompleteRepeat(key string, r Repeat) error {
	return s.control(key, func(sess *session) ([]pendingDelivery, error) {
		if sess.status.Final() || !sess.due.IsZero() {
			return nil, transitionError(sess, "complete")
		}
		if r.Previous != "" {
			if err := s.repeatLocked(sess, r); err != nil {
				return nil, err
			}
		}
		batch := s.confirmLocked(sess)
		if d := s.resultsDelay(sess.key); d > 0 {
			sess.due = sess.endedAt.Add(d)
			s.scheduleLocked()
			return batch, nil // completeDue finishes it
		}
		return append(batch, s.finishLocked(sess)...), nil
	})
}

// confirmLocked runs the lifecycle up to CONFIRM and dates the end of
// the capture.
func (s *Server) confirmLocked(sess *session) []pendingDelivery {
	var batch []pendingDelivery
	if sess.status == pave.StatusIdle {
		batch = s.startLocked(sess)
	}
	if sess.status == pave.StatusStarted || sess.status == pave.StatusProcess {
		for _, code := range captureOrder {
			if p := sess.photo(code); p == nil || !p.Approved {
				b, _ := s.captureLocked(sess, code, true) // a known code in a status that allows it
				batch = append(batch, b...)
			}
		}
	}
	if sess.status == pave.StatusProcess {
		batch = append(batch, s.setStatusLocked(sess, pave.StatusQCPassed)...)
	}
	if sess.status == pave.StatusQCPassed {
		batch = append(batch, s.setStatusLocked(sess, pave.StatusConfirm)...)
	}
	// The capture took 3 to 5 minutes, or longer as the clock says.
	capture := time.Duration(180+newRand(s.opts.Seed, sess.key, "capture").IntN(120)) * time.Second
	if sess.endedAt = sess.startedAt.Add(capture); sess.endedAt.Before(s.stampLocked()) {
		sess.endedAt = s.stampLocked()
	}
	return batch
}

// finishLocked completes a CONFIRM session: the inspection took 7 to 12
// minutes after the capture (or until the results were due).
func (s *Server) finishLocked(sess *session) []pendingDelivery {
	inspect := time.Duration(400+newRand(s.opts.Seed, sess.key, "inspect").IntN(300)) * time.Second
	s.decodeVehicleLocked(sess)
	batch := s.setStatusLocked(sess, pave.StatusComplete)
	sess.updatedAt = sess.endedAt.Add(inspect)
	if sess.due.After(sess.updatedAt) {
		sess.updatedAt = sess.due
	}
	sess.due = time.Time{}
	r := newRand(s.opts.Seed, sess.key, "results")
	sess.results = sess.resultsDocument(r, &s.opts, r.IntN(11))
	return append(batch, s.eventLocked(sess, eventComplete, sess.results)...)
}

// resultsDelay is how long after the capture the session's results wait:
// Options.ResultsDelay, plus up to Chaos.ResultsDelayMax for the fraction
// Chaos.ResultsDelayFraction of sessions (drawn from the seed and key).
func (s *Server) resultsDelay(key string) time.Duration {
	r := newRand(s.opts.Seed, key, "results-delay")
	d := s.opts.ResultsDelay
	if r.Float64() < s.chaos.ResultsDelayFraction {
		d += time.Duration(r.Float64() * float64(s.chaos.ResultsDelayMax))
	}
	return d
}

// scheduleLocked notes the earliest due time of a session's results.
func (s *Server) scheduleLocked() {
	var next int64
	for _, sess := range s.sessions {
		if due := sess.due.UnixNano(); !sess.due.IsZero() && (next == 0 || due < next) {
			next = due
		}
	}
	s.nextDue.Store(next)
}

// completeDue completes the sessions whose results are due by the clock.
func (s *Server) completeDue() {
	if next := s.nextDue.Load(); next == 0 || s.now().UnixNano() < next {
		return
	}
	s.mu.Lock()
	var batch []pendingDelivery
	keys := make([]string, 0, len(s.sessions))
	for k, sess := range s.sessions {
		if !sess.due.IsZero() && !sess.due.After(s.now()) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys) // a deterministic order
	for _, k := range keys {
		batch = append(batch, s.finishLocked(s.sessions[k])...)
		s.sessions[k].invalidate()
	}
	s.scheduleLocked()
	s.mu.Unlock()
	s.dispatch(batch)
}

// repeatLocked makes sess a repeat inspection of r.Previous's vehicle.
func (s *Server) repeatLocked(sess *session, r Repeat) error {
	prev, err := s.findLocked(r.Previous)
	if err != nil || prev.status != pave.StatusComplete || prev.results == nil {
		return &requestError{Message: msgValidation, Errors: fieldErrs{"previous_session_key": {
			fmt.Sprintf("session %q is not a COMPLETE session", r.Previous)}}}
	}
	if sess.vehicle.VIN != "" && !strings.EqualFold(sess.vehicle.VIN, prev.vehicle.VIN) {
		return &requestError{Message: msgValidation, Errors: fieldErrs{"previous_session_key": {
			fmt.Sprintf("session %s has VIN %s, session %s VIN %s", sess.key, sess.vehicle.VIN, prev.key, prev.vehicle.VIN)}}}
	}
	var doc struct {
		Inspection struct {
			Damages []damageJSON `json:"damages"`
		} `json:"inspection"`
	}
	_ = json.Unmarshal(prev.results, &doc) // the fake's own document
	fe := fieldErrs{}
	damages := doc.Inspection.Damages
	for i, c := range r.Repaired {
		n := len(damages)
		if damages = slices.DeleteFunc(damages, func(d damageJSON) bool { return d.Component == c }); len(damages) == n {
			fe.add(fmt.Sprintf("repaired_components.%d", i), fmt.Sprintf("session %s has no damage on %s", prev.key, c))
		}
	}
	for i, nd := range r.NewDamages {
		d, ok := knownDamage(nd.Component, nd.DamageName)
		if !ok {
			fe.add(fmt.Sprintf("new_damages.%d", i), fmt.Sprintf("%s %s is not in the fake's damage vocabulary",
				nd.Component, nd.DamageName))
		}
		damages = append(damages, d)
	}
	if re := invalidFields(fe); re != nil {
		return re
	}
	sess.vehicle, sess.damages = prev.vehicle, append([]damageJSON{}, damages...)
	return nil
}

// knownDamage builds a damage of the vocabulary from its component and
// damage name.
func knownDamage(component, name string) (damageJSON, bool) {
	for _, c := range components {
		for _, k := range damageKinds[c.group] {
			if c.code == component && k.name == name {
				return damageOf(c, k), true
			}
		}
	}
	return damageJSON{}, false
}
