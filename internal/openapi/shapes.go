package openapi

import "github.com/pave-go/pave"

// The types below are not used by code: they are the bodies PAVE sends
// that the SDK has no type for (error bodies, the envelopes around a type
// it returns, answers PAVE leaves open), written as Go so that the
// compiler checks the SDK types they name and the generator reads them as
// it reads the SDK's. A struct whose first field is "_ oneOf" or "_ anyOf"
// is a union: each other field is one reading.

type (
	oneOf struct{}
	anyOf struct{}
)

// Message is the answer of a delete: what PAVE did, in a sentence.
type Message struct {
	// APIKey is the API key the answer is for, on the callbacks pages.
	APIKey  string `json:"api_key,omitempty"`
	Message string `json:"message"`
}

// Error is the body of PAVE's v1 refusals: a sentence such as "Session
// NSA-7K2D5MZ8WP cannot be found.".
type Error struct {
	Message string `json:"message"`
}

// ValidationFailure is the 400 of a create or update whose fields are
// missing or invalid: a message and, for each dotted field path, what is
// wrong with it.
type ValidationFailure struct {
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors"`
}

// CallbackError is the refusal of a callbacks page: the message beside the
// API key it concerns.
type CallbackError struct {
	APIKey  string `json:"api_key"`
	Message string `json:"message"`
}

// V2Error is the refusal of a v2 page: status "error", the message and the
// session it concerns, with the session's v2 status or age when that is
// the reason.
type V2Error struct {
	Status         string             `json:"status"`
	Message        string             `json:"message"`
	SessionKey     string             `json:"session_key,omitempty"`
	SessionStatus  pave.SessionStatus `json:"session_status,omitempty"`
	SessionAgeDays pave.Int           `json:"session_age_days,omitempty"`
}

// NoteList is the answer of GET notes. PAVE lists the page but not its
// answer: a list of notes, or an object holding the list under data or
// notes, are all read.
type NoteList struct {
	_ oneOf
	// The list itself, as the fake answers.
	List []pave.Note
	// The list under data.
	Data struct {
		Data []pave.Note `json:"data"`
	}
	// The list under notes.
	Notes struct {
		Notes []pave.Note `json:"notes"`
	}
}

// CallbackList is the answer of GET /v1/callbacks: the settings of the API
// key under data.
type CallbackList struct {
	APIKey string          `json:"api_key,omitempty"`
	Data   []pave.Callback `json:"data"`
}

// CallbackAnswer is the answer carrying one callback setting. PAVE's GET
// page wraps the setting under data; its POST and PUT pages show it flat,
// beside api_key. Whether each page keeps to its form is not documented:
// both are read on all three.
type CallbackAnswer struct {
	_ oneOf
	// The setting under data (GET).
	Wrapped struct {
		APIKey string        `json:"api_key,omitempty"`
		Data   pave.Callback `json:"data"`
	}
	// The setting flat, beside api_key (POST and PUT).
	Flat pave.Callback
}

// HotspotUploads is the answer of the Hotspots upload: one result per
// submitted photo, under data.
type HotspotUploads struct {
	Data []pave.HotspotUpload `json:"data"`
}

// SessionUpdated is the answer of PUT /v1/sessions/{session_key}, which
// PAVE documents only as "updated successfully".
type SessionUpdated struct {
	_ anyOf
	// The updated session, as the fake answers.
	Session pave.Session
	// Any other object, such as a message.
	Other map[string]any
}
