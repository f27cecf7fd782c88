package track

import (
	"time"

	"github.com/pave-go/pave"
)

// Phase is where a record stands in the ledger's own lifecycle (PAVE's
// lifecycle is Record.Status).
type Phase string

// The phases. A record moves down this list, never back up, except that an
// operator's Retry moves a done or failed record back to PhaseHandling.
const (
	// PhaseCreating: the intent is recorded and its POST is in flight.
	PhaseCreating Phase = "creating"
	// PhaseAmbiguous: the POST ended without a clear answer, so the
	// session may exist. It is never POSTed again by itself: a delivery
	// for a session carrying the reference resolves it, or an operator
	// does (Resolve, Abandon).
	PhaseAmbiguous Phase = "ambiguous"
	// PhaseTracking: the session exists and is not final; deliveries and
	// polls move its status forward.
	PhaseTracking Phase = "tracking"
	// PhaseResults: the session is COMPLETE and its results are being
	// fetched (PAVE may queue them for up to a day).
	PhaseResults Phase = "awaiting_results"
	// PhaseHandling: the results are stored; OnComplete has not yet
	// returned nil for them.
	PhaseHandling Phase = "handling"
	// PhaseDone: OnComplete returned nil.
	PhaseDone Phase = "done"
	// PhaseFailed: OnComplete failed Config.MaxHandlerAttempts times in a
	// row; it waits for an operator's Retry.
	PhaseFailed Phase = "failed"
	// PhaseEnded: the session ended EXPIRED or INVALID, or PAVE no longer
	// knows it.
	PhaseEnded Phase = "ended"
)

// Finished reports whether nothing more happens to the record by itself.
func (p Phase) Finished() bool { return p == PhaseDone || p == PhaseEnded || p == PhaseFailed }

// Record is what the ledger knows of one inspection: an intent to create a
// session (Ref), the session (SessionKey), or both. Sessions started
// outside the API (the dashboard, a shareable link, a widget) have no Ref.
// It holds no phone number nor name; the results PAVE sent are kept apart
// (Completion.Results). It marshals to JSON for operators' tools.
type Record struct {
	Account    string             `json:"account"`
	Ref        string             `json:"ref,omitempty"`
	SessionKey string             `json:"session_key,omitempty"`
	Phase      Phase              `json:"phase"`
	Status     pave.SessionStatus `json:"status,omitempty"`
	// Source is how the session was launched, once known (api for those
	// Create made).
	Source pave.SourceType `json:"source,omitempty"`
	// CaptureURL is the link to send the customer, for sessions Create made.
	CaptureURL string `json:"capture_url,omitempty"`
	// LearnedBy says how the ledger learned of the completion: "webhook"
	// or "poll".
	LearnedBy string `json:"learned_by,omitempty"`
	// HasResults reports whether the results are stored.
	HasResults bool `json:"has_results"`
	// Calls counts the API requests made to track the session (polls,
	// results, adoption), the create's POST excluded.
	Calls int `json:"calls"`
	// Attempts counts the failures of the current phase's work in a row
	// (OnComplete's, in PhaseHandling and PhaseFailed).
	Attempts int `json:"attempts"`
	// LastError is the last failure's text.
	LastError string `json:"last_error,omitempty"`
	// NextAt is when work on the record is next due, by the ledger's clock.
	NextAt    time.Time `json:"next_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	DoneAt    time.Time `json:"done_at,omitzero"`

	id      int64
	rank    int
	version int64
	token   string        // the lease a claim holds
	res     *pave.Results // fetched under the claim
}

// ID is the record's stable completion id, "ACCOUNT/SESSION_KEY", given to
// OnComplete: use it as a unique key. It is "" before the session is known.
func (r *Record) ID() string {
	if r.SessionKey == "" {
		return ""
	}
	return completionID(r.Account, r.SessionKey)
}

func completionID(account, key string) string { return account + "/" + key }

// Key names one record for the operator methods: by the caller's reference
// or, for sessions started elsewhere, by session key. Account may be left
// empty when one account alone has the reference or session.
type Key struct {
	Account    string `json:"account,omitempty"`
	Ref        string `json:"ref,omitempty"`
	SessionKey string `json:"session_key,omitempty"`
}

// String is "ACCOUNT/REF", or "ACCOUNT/@SESSION_KEY"; without an account,
// "REF" or "@SESSION_KEY".
func (k Key) String() string {
	s := k.Ref
	if s == "" {
		s = "@" + k.SessionKey
	}
	if k.Account == "" {
		return s
	}
	return k.Account + "/" + s
}

// zeroTime is "never" for NextAt and DoneAt.
var zeroTime time.Time
