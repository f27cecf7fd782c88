package webhook

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unicode"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/redact"
	"github.com/pave-go/pave/internal/wire"
)

// DefaultMaxBodyBytes bounds a delivery body (1 MiB) when no other bound
// is given.
const DefaultMaxBodyBytes = 1 << 20

// ErrMalformed is returned (wrapped) when a delivery body is not a JSON
// object.
var ErrMalformed = errors.New("webhook: malformed body")

// NameSource says where an Event's name was found.
type NameSource string

// Where Parse may find the event name, in the order it looks.
const (
	// NameFromBody: the body's "event" field (documented for COMPLETE,
	// and merged into every delivery by pave.NewCallback's payload).
	NameFromBody NameSource = "body"
	// NameFromQuery: the "event" query parameter of the registered URL
	// (e.g. https://example.com/pave?event=SESSION:COMPLETE).
	NameFromQuery NameSource = "query"
	// NameFromHeader: the wire.EventHeader header (X-Pave-Event).
	NameFromHeader NameSource = "header"
	// NameFromShape: guessed from the body's fields.
	NameFromShape NameSource = "shape"
	// NameUnknown: no name found; Event.Name is empty.
	NameUnknown NameSource = ""
)

// Event is one delivery from PAVE. Name may be any string, including one
// this SDK does not know, or "" when it could not be determined: such
// events are delivered, never dropped. The typed views (Complete,
// StageChange, SMSProcess, StatusChange, NoteInsert) decode Body on demand;
// Decode reads it into a type of your own.
//
// An Event prints and logs without its body, which holds customer data.
type Event struct {
	// Name is the event name, e.g. pave.EventComplete.
	Name pave.EventName
	// NameFrom says where Name was found.
	NameFrom NameSource
	// SessionKey is the session the event is about, when the body names
	// one (SMS_PROCESS deliveries, as documented, do not).
	SessionKey string
	// Body is the JSON body as received, including any attributes merged
	// in from the callback setting's payload. Parse does not copy it.
	Body json.RawMessage
	// Secret is the name of the secret the delivery carried (see
	// Config.NamedSecrets and Config.SecretLookup), or "" when it was
	// checked against an unnamed secret or not at all.
	Secret string
	// Request is the delivery's HTTP request when a Handler made the
	// Event (nil from Parse), for checks of your own on its method, URL
	// or headers (a dealer id in the path against Secret, say). Its body
	// is already read: it is Body.
	Request *http.Request

	decoded *decodedResults // shared by copies; set by parse
}

// decodedResults holds what Complete decoded, so the document is decoded
// once whoever asks.
type decodedResults struct {
	once    sync.Once
	results *pave.Results
	err     error
}

// String returns the event name, session key and body size.
func (e Event) String() string {
	name := string(e.Name)
	if name == "" {
		name = "(unknown event)"
	}
	return fmt.Sprintf("%s %s (%d bytes)", name, e.SessionKey, len(e.Body))
}

// Format makes every fmt verb print String, never the body.
func (e Event) Format(f fmt.State, verb rune) { redact.Print(f, verb, e.String()) }

// LogValue implements slog.LogValuer without the body; it includes the
// secret's name (Secret), when it has one.
func (e Event) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("event", string(e.Name)),
		slog.String("event_from", string(e.NameFrom)),
		slog.String("session_key", e.SessionKey),
		slog.Int("bytes", len(e.Body)),
	}
	if e.Secret != "" {
		attrs = append(attrs, slog.String("secret_name", e.Secret))
	}
	return slog.GroupValue(attrs...)
}

// Decode unmarshals the body into v.
func (e *Event) Decode(v any) error { return json.Unmarshal(e.Body, v) }

// envelope is what Parse reads of a body: the name, the session key and
// the presence of the fields that tell the events apart. skimEnvelope fills
// it in one pass over the body, without reflection; json.Unmarshal into it
// defines what it holds, and decides the bodies the skim leaves aside.
type envelope struct {
	Event          nameField        `json:"event"`
	SessionKey     wire.LooseString `json:"session_key"`
	Session        keyedObject      `json:"session"`
	Vehicle        keyedObject      `json:"vehicle"`
	PhotoURL       present          `json:"photo_url"`
	Phone          present          `json:"phone"`
	Status         present          `json:"status"`
	PreviousStatus present          `json:"previous_status"`
	Note           present          `json:"note"`
}

// nameField keeps a string value only.
type nameField string

func (n *nameField) UnmarshalJSON(b []byte) error {
	if s, err := wire.Quoted(b); err == nil {
		*n = nameField(s)
	}
	return nil
}

// present records that a field is there and not null.
type present bool

func (p *present) UnmarshalJSON(b []byte) error {
	*p = present(!wire.IsNull(b))
	return nil
}

// keyedObject records that a field holds an object, its session_key, and
// whether it holds a vehicle object (a results document may nest the
// vehicle inside its session).
type keyedObject struct {
	object     bool
	key        string
	hasVehicle bool
}

func (k *keyedObject) UnmarshalJSON(b []byte) error {
	if !wire.IsObject(b) {
		return nil
	}
	k.object = true
	var inner struct {
		SessionKey wire.LooseString `json:"session_key"`
		Vehicle    keyedObject      `json:"vehicle"`
	}
	if json.Unmarshal(b, &inner) == nil {
		k.key = string(inner.SessionKey)
		k.hasVehicle = inner.Vehicle.object
	}
	return nil
}

// Parse decodes a delivery body, for code that does not use NewHandler
// (check the secret first with Verify, and bound the body's size). The
// body must be a JSON object; anything else returns an error matching
// ErrMalformed. header may be nil. The Event keeps body as its Body,
// without a copy: do not modify body afterwards.
//
// The event name is taken from, in order: the body's "event" field; the
// wire.EventHeader header; and finally the body's shape: "session" and
// "vehicle" objects mean SESSION:COMPLETE, "photo_url" SESSION:STAGE_CHANGE,
// "phone" with "status" SESSION:SMS_PROCESS, "status" with "session_key" (or
// "previous_status") SESSION:STATUS_CHANGE and "note" SESSION:NOTE_INSERT. Documented names
// are matched in any letter case. ParseRequest also reads the URL's
// "event" query parameter. To make detection certain, register callbacks
// with pave.NewCallback, whose payload puts the event in every body.
func Parse(body []byte, header http.Header) (*Event, error) {
	return parse(body, header, nil)
}

func parse(body []byte, header http.Header, query url.Values) (*Event, error) {
	return parseInto(new(delivery), body, header, query)
}

// delivery is what the handler allocates for a request, in one piece: the
// Event, its decoded-results cache and the digest of the secret presented.
type delivery struct {
	ev     Event
	cache  decodedResults
	digest [sha256.Size]byte
}

// parseInto parses body into d.ev.
func parseInto(d *delivery, body []byte, header http.Header, query url.Values) (*Event, error) {
	trimmed := wire.Trim(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: expected a JSON object", ErrMalformed)
	}
	var env envelope
	if !skimEnvelope(trimmed, &env) {
		// Invalid, or unusual enough for encoding/json to decide.
		slow := new(envelope)
		if err := json.Unmarshal(trimmed, slow); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		env = *slow
	}
	ev := &d.ev
	ev.Body, ev.decoded = body, &d.cache
	ev.Name, ev.NameFrom = env.name(query, header)
	ev.SessionKey = string(env.SessionKey)
	if ev.SessionKey == "" {
		ev.SessionKey = env.Session.key
	}
	if ev.SessionKey == "" {
		ev.SessionKey = env.Vehicle.key
	}
	return ev, nil
}

// ParseRequest reads (at most maxBytes, or DefaultMaxBodyBytes when
// maxBytes <= 0) and parses a delivery, taking the event name from the
// body, the URL's "event" query parameter and the headers, in that order.
// A larger body returns an *http.MaxBytesError. It does not check the
// secret: use Verify, or NewHandler, which does both.
func ParseRequest(r *http.Request, maxBytes int64) (*Event, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBodyBytes
	}
	if r == nil || r.Body == nil {
		return nil, fmt.Errorf("%w: no body", ErrMalformed)
	}
	body, err := readBody(r.Body, r.ContentLength, maxBytes)
	if err != nil {
		return nil, err
	}
	var q url.Values
	if r.URL != nil {
		q = r.URL.Query()
	}
	return parse(body, r.Header, q)
}

// readBody reads at most limit bytes into a buffer sized from
// Content-Length when it is known and within the limit.
func readBody(r io.Reader, contentLength, limit int64) ([]byte, error) {
	if contentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	if contentLength > 0 {
		buf := make([]byte, contentLength)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("webhook: reading body: %w", err)
		}
		return buf, nil
	}
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("webhook: reading body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	return body, nil
}

// maxEventNameLen bounds an event name; the documented ones are about 20
// bytes.
const maxEventNameLen = 128

// nameOK accepts a candidate name from any source.
func nameOK(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && len(s) <= maxEventNameLen && !strings.ContainsFunc(s, unicode.IsControl)
}

func (env *envelope) name(q url.Values, h http.Header) (pave.EventName, NameSource) {
	if s := string(env.Event); nameOK(s) {
		return pave.EventName(s).Canonical(), NameFromBody
	}
	if s := q.Get("event"); nameOK(s) {
		return pave.EventName(s).Canonical(), NameFromQuery
	}
	if s := h.Get(wire.EventHeader); nameOK(s) {
		return pave.EventName(s).Canonical(), NameFromHeader
	}
	switch {
	case env.Session.object && (env.Vehicle.object || env.Session.hasVehicle):
		return pave.EventComplete, NameFromShape
	case bool(env.PhotoURL):
		return pave.EventStageChange, NameFromShape
	case bool(env.Phone && env.Status):
		return pave.EventSMSProcess, NameFromShape
	case bool(env.PreviousStatus), bool(env.Status) && env.SessionKey != "":
		return pave.EventStatusChange, NameFromShape
	case bool(env.Note):
		return pave.EventNoteInsert, NameFromShape
	}
	return "", NameUnknown
}
