package pave

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pave-go/pave/internal/wire"
)

// Theme is the capture experience of a session (see docs/pave-api.md). Unknown
// values decode and pass through unchanged.
type Theme string

// Documented themes.
const (
	ThemeLite Theme = "LITE"
	ThemePro  Theme = "PRO"
	ThemeCapt Theme = "CAPT"
)

// Known reports whether t is one of the documented themes, in any case
// ("lite" is sent as LITE).
func (t Theme) Known() bool { return t.canonical() != "" }

// canonical returns the documented spelling of t, or "".
func (t Theme) canonical() Theme {
	for _, k := range [...]Theme{ThemeLite, ThemePro, ThemeCapt} {
		if strings.EqualFold(string(t), string(k)) {
			return k
		}
	}
	return ""
}

// SessionStatus is a session's lifecycle status (see docs/pave-api.md). Unknown
// values (e.g. the misspelt "PROCESSING" or v2 statuses) pass through.
type SessionStatus string

// Session statuses. The v1 statuses are those of the session API; the v2
// ones appear on the resend-SMS page, which uses its own vocabulary
// (QC_PASSED, CONFIRM, COMPLETE and EXPIRED are shared), including the
// spelling "PEDING" printed there.
const (
	StatusIdle     SessionStatus = "IDLE"
	StatusStarted  SessionStatus = "STARTED"
	StatusProcess  SessionStatus = "PROCESS"
	StatusQCPassed SessionStatus = "QC_PASSED"
	StatusConfirm  SessionStatus = "CONFIRM"
	StatusComplete SessionStatus = "COMPLETE"
	StatusExpired  SessionStatus = "EXPIRED"
	StatusInvalid  SessionStatus = "INVALID"

	StatusPending    SessionStatus = "PENDING"
	StatusPeding     SessionStatus = "PEDING" // as printed on PAVE's resend page
	StatusInProgress SessionStatus = "IN_PROGRESS"
	StatusSubmitted  SessionStatus = "SUBMITTED"
)

// Final reports whether no further status change is expected
// (COMPLETE, EXPIRED or INVALID, in any case).
func (s SessionStatus) Final() bool {
	return strings.EqualFold(string(s), string(StatusComplete)) ||
		strings.EqualFold(string(s), string(StatusExpired)) ||
		strings.EqualFold(string(s), string(StatusInvalid))
}

// OdometerUnit is the unit of an odometer reading. PAVE gives KILOMETRES
// and MILES as examples ("such as"), so other units are sent as given and
// decode unchanged.
type OdometerUnit string

// The documented odometer units.
const (
	Kilometres OdometerUnit = "KILOMETRES"
	Miles      OdometerUnit = "MILES"
)

// Known reports whether u is KILOMETRES or MILES, in any case ("miles" is
// sent as MILES).
func (u OdometerUnit) Known() bool { return u.canonical() != "" }

// canonical returns the documented spelling of u, or "".
func (u OdometerUnit) canonical() OdometerUnit {
	switch {
	case strings.EqualFold(string(u), string(Kilometres)):
		return Kilometres
	case strings.EqualFold(string(u), string(Miles)):
		return Miles
	}
	return ""
}

// SourceType is how a session was created: its source.type.
type SourceType string

// The documented source types.
const (
	SourceAPI            SourceType = "api"             // POST /v1/sessions
	SourceDashboard      SourceType = "dashboard"       // sent by a dashboard user
	SourceShareableLink  SourceType = "shareable_link"  // a shareable link (Settings, Widgets)
	SourceEmbeddedWidget SourceType = "embedded_widget" // a widget embedded in a web page
)

// Language is a capture UI language code. Only EN is documented; PAVE
// answers with "EN" or "en", so compare with strings.EqualFold.
type Language string

// LanguageEN is English, the default.
const LanguageEN Language = "EN"

// PhotoCode is a standard view code 1-13, as PAVE's photo URLs carry it (_04_).
type PhotoCode int

// The 13 standard views.
const (
	PhotoVIN        PhotoCode = 1
	PhotoInterior   PhotoCode = 2
	PhotoCluster    PhotoCode = 3
	PhotoLeft       PhotoCode = 4
	PhotoFront      PhotoCode = 5
	PhotoTires      PhotoCode = 6
	PhotoRight      PhotoCode = 7
	PhotoRear       PhotoCode = 8
	PhotoWindshield PhotoCode = 9
	PhotoFrontLeft  PhotoCode = 10
	PhotoFrontRight PhotoCode = 11
	PhotoRearRight  PhotoCode = 12
	PhotoRearLeft   PhotoCode = 13
)

// PhotoLabel is a standard view label such as "VIN" or "Front_Left".
type PhotoLabel string

// The 13 standard view labels.
const (
	LabelVIN        PhotoLabel = "VIN"
	LabelInterior   PhotoLabel = "Interior"
	LabelCluster    PhotoLabel = "Cluster"
	LabelLeft       PhotoLabel = "Left"
	LabelFront      PhotoLabel = "Front"
	LabelTires      PhotoLabel = "Tires"
	LabelRight      PhotoLabel = "Right"
	LabelRear       PhotoLabel = "Rear"
	LabelWindshield PhotoLabel = "Windshield"
	LabelFrontLeft  PhotoLabel = "Front_Left"
	LabelFrontRight PhotoLabel = "Front_Right"
	LabelRearRight  PhotoLabel = "Rear_Right"
	LabelRearLeft   PhotoLabel = "Rear_Left"
)

var photoLabels = [...]PhotoLabel{
	"", LabelVIN, LabelInterior, LabelCluster, LabelLeft, LabelFront, LabelTires, LabelRight,
	LabelRear, LabelWindshield, LabelFrontLeft, LabelFrontRight, LabelRearRight, LabelRearLeft,
}

// CaptureOrder lists the 13 standard views in the order the capture app
// asks for them: VIN, interior and cluster, the eight
// exterior angles walking around the vehicle, windshield, tires.
func CaptureOrder() []PhotoCode {
	return []PhotoCode{PhotoVIN, PhotoInterior, PhotoCluster, PhotoLeft, PhotoFrontLeft, PhotoFront,
		PhotoFrontRight, PhotoRight, PhotoRearRight, PhotoRear, PhotoRearLeft, PhotoWindshield, PhotoTires}
}

// Label returns the view label of a code, or "" for an unknown code.
func (c PhotoCode) Label() PhotoLabel {
	if c < 1 || int(c) >= len(photoLabels) {
		return ""
	}
	return photoLabels[c]
}

// Code returns the view code of a label (case-insensitive), or 0 if unknown.
func (l PhotoLabel) Code() PhotoCode {
	for i := 1; i < len(photoLabels); i++ {
		if strings.EqualFold(string(photoLabels[i]), string(l)) {
			return PhotoCode(i)
		}
	}
	return 0
}

// Known reports whether l is one of the 13 standard labels, in any case,
// as Code reads it ("front_left" is sent as Front_Left).
func (l PhotoLabel) Known() bool { return l.Code() != 0 }

// Time is a timestamp decoded leniently: RFC 3339 with or without fractional
// seconds, with Z or a numeric offset, a few space-separated variants, or
// null (the zero Time). It encodes as RFC 3339 (null when zero).
type Time struct {
	time.Time
}

// UnmarshalJSON accepts a timestamp string, an empty string or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = wire.Trim(b)
	if wire.IsNull(b) {
		t.Time = time.Time{}
		return nil
	}
	if b[0] != '"' {
		// Unix seconds as a number.
		if secs, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			t.Time = time.Unix(secs, 0).UTC()
			return nil
		}
		return fmt.Errorf("pave: timestamp must be a string, got %s", wire.Describe(b))
	}
	s, err := wire.Quoted(b)
	if err != nil {
		return fmt.Errorf("pave: timestamp: %w", err)
	}
	if strings.TrimSpace(s) == "" {
		t.Time = time.Time{}
		return nil
	}
	parsed, err := wire.ParseTime(s)
	if err != nil {
		// The value is not quoted: response data may hold personal data.
		return fmt.Errorf("pave: %w", err)
	}
	t.Time = parsed
	return nil
}

// MarshalJSON encodes RFC 3339 with fractional seconds when present, or null.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.Format(time.RFC3339Nano) + `"`), nil
}

// Int is an integer decoded leniently: a JSON number, a numeric string, a
// string with thousands separators ("100,945"), or null/"" (0). It encodes as
// a JSON number. Used for year, odom_reading and durations.
type Int int64

// UnmarshalJSON implements the lenient decoding described on Int.
func (n *Int) UnmarshalJSON(b []byte) error {
	v, err := wire.Int(b)
	if err != nil {
		return fmt.Errorf("pave: %w", err)
	}
	*n = Int(v)
	return nil
}

// StringBool is a Go bool that PAVE's samples send as the string "true" or
// "false". It encodes as that string and decodes from a JSON boolean, the
// strings "true"/"false"/"1"/"0"/"yes"/"no", a number, or null (false).
type StringBool bool

// Bool returns a pointer to b, for the optional flags such as
// SMS.SendResultsToPhototaker: nil means "not set" (PAVE's default
// applies), Bool(false) sends "false".
func Bool(b bool) *StringBool { v := StringBool(b); return &v }

// MarshalJSON encodes "true" or "false" as a JSON string, as the docs do.
func (b StringBool) MarshalJSON() ([]byte, error) {
	if b {
		return []byte(`"true"`), nil
	}
	return []byte(`"false"`), nil
}

// UnmarshalJSON implements the lenient decoding described on StringBool.
func (b *StringBool) UnmarshalJSON(data []byte) error {
	v, ok := wire.Bool(data)
	if !ok {
		return fmt.Errorf("pave: not a boolean (%s of %d bytes)", wire.Describe(data), len(wire.String(data)))
	}
	*b = StringBool(v)
	return nil
}

// Contact is the end user's name. When sent, both names are required.
type Contact struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// SMS asks PAVE to text the capture link (to To) and/or the results (to
// From). Every field is optional: without To, no capture link is texted and
// From receives the results once the session completes.
type SMS struct {
	To     string `json:"to,omitempty"`
	ToName string `json:"to_name,omitempty"`
	From   string `json:"from,omitempty"`
	By     string `json:"by,omitempty"`
	// SendResultsToPhototaker also texts the results link to the person who
	// took the photos: nil leaves the API key's default, pave.Bool(true) or
	// pave.Bool(false) overrides it. Sent as the string "true" or "false",
	// as PAVE's sample does.
	SendResultsToPhototaker *StringBool `json:"send_results_to_phototaker,omitempty"`
}

// SessionSettings is the "session" object of a create or update request.
// ClientID, Contact and Reference may be given here or in SessionOptions:
// both placements are documented.
type SessionSettings struct {
	Theme       Theme    `json:"theme,omitempty"`
	RedirectURL string   `json:"redirect_url,omitempty"`
	Language    Language `json:"language,omitempty"`
	ClientID    string   `json:"client_id,omitempty"`
	Contact     *Contact `json:"contact,omitempty"`
	// Reference is pass-through data echoed in results and deleted by PAVE
	// a few hours after completion. Never put sensitive data here.
	Reference map[string]any `json:"reference,omitempty"`
}

// SessionOptions is the "options" object: per-user customisation on
// requests, and the echo of client_id, sms, contact and reference on
// responses.
type SessionOptions struct {
	ClientID  string         `json:"client_id,omitempty"`
	Contact   *Contact       `json:"contact,omitempty"`
	Reference map[string]any `json:"reference,omitempty"`
	// SMS appears on responses (the echo of the request's sms object).
	SMS *SMS `json:"sms,omitempty"`
}

// Vehicle is a vehicle as sent on requests and as returned in sessions and
// results. Every field is optional; Year, OdomReading and the IDs decode
// leniently (numbers or strings such as "100,945").
type Vehicle struct {
	// VehicleID is PAVE's vehicle ID in session responses; results use ID.
	VehicleID    Int          `json:"vehicle_id,omitempty"`
	ID           Int          `json:"id,omitempty"`
	SessionKey   string       `json:"session_key,omitempty"`
	VIN          string       `json:"vin,omitempty"`
	VRM          string       `json:"vrm,omitempty"`
	Year         Int          `json:"year,omitempty"`
	Make         string       `json:"make,omitempty"`
	Model        string       `json:"model,omitempty"`
	BodyType     string       `json:"body_type,omitempty"`
	Trim         string       `json:"trim,omitempty"`
	Transmission string       `json:"transmission,omitempty"`
	Drivetrain   string       `json:"drivetrain,omitempty"`
	EngineType   string       `json:"engine_type,omitempty"`
	FuelType     string       `json:"fuel_type,omitempty"`
	ExtCol       string       `json:"ext_col,omitempty"`
	IntCol       string       `json:"int_col,omitempty"`
	OdomReading  Int          `json:"odom_reading,omitempty"`
	OdomUnit     OdometerUnit `json:"odom_unit,omitempty"`
}

// CreateSessionRequest is the body of POST /v1/sessions. Its JSON field names
// are exactly the API's, so the documentation's sample request unmarshals
// into it. Every part is optional.
type CreateSessionRequest struct {
	Session *SessionSettings `json:"session,omitempty"`
	Vehicle *Vehicle         `json:"vehicle,omitempty"`
	SMS     *SMS             `json:"sms,omitempty"`
	Options *SessionOptions  `json:"options,omitempty"`
}

// UpdateSessionRequest is the body of PUT /v1/sessions/{key}. Send only what
// changes. PAVE allows a theme change only while IDLE, redirect_url and
// language before COMPLETE, and sms.to only before start after a failed SMS.
type UpdateSessionRequest struct {
	Session *SessionSettings `json:"session,omitempty"`
	Vehicle *Vehicle         `json:"vehicle,omitempty"`
	SMS     *SMS             `json:"sms,omitempty"`
}

// UserAccount is the dashboard account that owns or sent a session.
type UserAccount struct {
	Username  string `json:"username,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
}

// Source says how a session was launched: Type is one of the Source*
// constants (other values pass through).
type Source struct {
	Type       SourceType       `json:"type,omitempty"`
	Properties SourceProperties `json:"properties,omitzero"`
}

// SourceProperties describe the launcher named by Source.Type.
type SourceProperties struct {
	APIName           string `json:"api_name,omitempty"`
	DashboardUsername string `json:"dashboard_username,omitempty"`
	FormName          string `json:"form_name,omitempty"`
}

// Session is an inspection session as returned by create, get and update,
// and inside the results document.
type Session struct {
	SessionKey       string        `json:"session_key"`
	Theme            Theme         `json:"theme,omitempty"`
	Active           bool          `json:"active"`
	Status           SessionStatus `json:"status,omitempty"`
	RedirectURL      string        `json:"redirect_url,omitempty"`
	Language         Language      `json:"language,omitempty"`
	InspectStartedAt Time          `json:"inspect_started_at,omitzero"`
	InspectEndedAt   Time          `json:"inspect_ended_at,omitzero"`
	CaptureDuration  Int           `json:"capture_duration,omitempty"`
	InspectDuration  Int           `json:"inspect_duration,omitempty"`
	CreatedAt        Time          `json:"created_at,omitzero"`
	UpdatedAt        Time          `json:"updated_at,omitzero"`
	// CaptureURL is the link to send the end user. When an answer of the
	// client lacks it, the SDK fills in the documented form
	// https://{username}.vehiclecapture.com/{key}, which encoding the
	// session leaves out unless you change it.
	CaptureURL string `json:"capture_url,omitempty"`
	// Options echoes client_id, sms, contact and reference.
	Options *SessionOptions `json:"options,omitempty"`
	// ClientID, Contact and Reference are the session's, wherever the
	// response carries them: at the session's top level or, as PAVE
	// usually echoes them, in Options (filled in while decoding).
	ClientID    string         `json:"client_id,omitempty"`
	Contact     *Contact       `json:"contact,omitempty"`
	Reference   map[string]any `json:"reference,omitempty"`
	UserAccount *UserAccount   `json:"user_account,omitempty"`
	Source      *Source        `json:"source,omitempty"`
	Vehicle     *Vehicle       `json:"vehicle,omitempty"`

	raw json.RawMessage
	// derivedLink is the CaptureURL the client filled in, "" when PAVE
	// sent one or none was filled.
	derivedLink string
}

// sessionPlain is Session without its methods.
type sessionPlain Session

// Raw returns a copy of the session object as received (nil for a
// Session built in code), with any field PAVE added that this SDK does not
// know.
func (s Session) Raw() json.RawMessage { return wire.Clone(s.raw) }

// MarshalJSON writes the object as received plus any edit to its fields
// (see Raw). A capture link the client derived is not an edit.
func (s Session) MarshalJSON() ([]byte, error) {
	if s.derivedLink != "" && s.CaptureURL == s.derivedLink {
		s.CaptureURL = ""
	}
	return wire.MarshalKept(s.raw, s, func(v Session) sessionPlain { return sessionPlain(v) })
}

// UnmarshalJSON decodes a session, keeps the object (Raw) and fills ClientID, Contact and Reference from
// Options when the top level lacks them.
func (s *Session) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, (*sessionPlain)(s)); err != nil {
		return err
	}
	s.raw = wire.Keep(b)
	if o := s.Options; o != nil {
		if s.ClientID == "" {
			s.ClientID = o.ClientID
		}
		if s.Contact == nil {
			s.Contact = o.Contact
		}
		if s.Reference == nil {
			s.Reference = o.Reference
		}
	}
	return nil
}

// Photo is a captured photo with its quality-check verdict.
type Photo struct {
	PhotoCode       PhotoCode  `json:"photo_code"`
	PhotoLabel      PhotoLabel `json:"photo_label,omitempty"`
	URL             string     `json:"url,omitempty"`
	Approved        bool       `json:"approved"`
	ApprovedMessage string     `json:"approved_message,omitempty"`
	CreatedAt       Time       `json:"created_at,omitzero"`
	UpdatedAt       Time       `json:"updated_at,omitzero"`

	raw json.RawMessage
}

// photoPlain is Photo without its methods.
type photoPlain Photo

// UnmarshalJSON decodes a photo and keeps the object (Raw).
func (p *Photo) UnmarshalJSON(b []byte) error {
	err := json.Unmarshal(b, (*photoPlain)(p))
	p.raw = wire.Keep(b)
	return err
}

// Raw returns a copy of the photo object as received (nil for a Photo
// built in code).
func (p Photo) Raw() json.RawMessage { return wire.Clone(p.raw) }

// MarshalJSON writes the object as received plus any edit to its fields
// (see Raw).
func (p Photo) MarshalJSON() ([]byte, error) {
	return wire.MarshalKept(p.raw, p, func(v Photo) photoPlain { return photoPlain(v) })
}

// Rejected reports whether quality control rejected the photo.
func (p Photo) Rejected() bool {
	return !p.Approved || strings.HasPrefix(strings.ToUpper(p.ApprovedMessage), "REJECTED")
}

// RejectionReason returns the text after "REJECTED:" (e.g. "Wrong View"),
// or "" for an accepted photo.
func (p Photo) RejectionReason() string {
	m := p.ApprovedMessage
	if i := strings.IndexByte(m, ':'); i >= 0 && strings.EqualFold(strings.TrimSpace(m[:i]), "REJECTED") {
		return strings.TrimSpace(m[i+1:])
	}
	return ""
}

// Note is a text remark attached to a session. The notes endpoint's shape is
// undocumented: ID, Title, Description and CreatedAt follow the most likely
// shape, and Raw returns the note exactly as received.
type Note struct {
	ID          Int    `json:"id,omitempty"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	CreatedAt   Time   `json:"created_at,omitzero"`

	raw json.RawMessage
}

// notePlain is Note without its methods.
type notePlain Note

// Raw returns a copy of the note as received (nil for a Note built in
// code).
func (n Note) Raw() json.RawMessage { return wire.Clone(n.raw) }

// MarshalJSON writes the object as received plus any edit to its fields
// (see Raw).
func (n Note) MarshalJSON() ([]byte, error) {
	return wire.MarshalKept(n.raw, n, func(v Note) notePlain { return notePlain(v) })
}

// UnmarshalJSON decodes the known fields and keeps the raw JSON. It never
// fails on a well-formed JSON value, since the shape is undocumented: a
// note that is a bare string becomes the Description, fields of an
// unexpected type are left empty, and any other value is kept in Raw only.
func (n *Note) UnmarshalJSON(b []byte) error {
	if wire.IsNull(b) {
		return nil // as encoding/json does for null
	}
	if !json.Valid(b) {
		return errors.New("pave: note: invalid JSON")
	}
	*n = Note{}
	_ = wire.Decode(wire.Object(b), (*notePlain)(n)) // only an object fills it: its fields take any value
	if n.raw = wire.Keep(b); n.raw[0] == '"' {
		n.Description = wire.String(b)
	}
	return nil
}
