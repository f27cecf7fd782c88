package pave

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Theme is the capture experience of a session (REFERENCE.md 10.1). Unknown
// values decode and pass through unchanged.
type Theme string

// Documented themes.
const (
	ThemeLite Theme = "LITE"
	ThemePro  Theme = "PRO"
	ThemeCapt Theme = "CAPT"
)

// Known reports whether t is one of the documented themes.
func (t Theme) Known() bool { return t == ThemeLite || t == ThemePro || t == ThemeCapt }

// SessionStatus is a session's lifecycle status (REFERENCE.md 10.2). Unknown
// values (e.g. the misspelt "PROCESSING" or v2 statuses) pass through.
type SessionStatus string

// Documented v1 session statuses.
const (
	StatusIdle     SessionStatus = "IDLE"
	StatusStarted  SessionStatus = "STARTED"
	StatusProcess  SessionStatus = "PROCESS"
	StatusQCPassed SessionStatus = "QC_PASSED"
	StatusConfirm  SessionStatus = "CONFIRM"
	StatusComplete SessionStatus = "COMPLETE"
	StatusExpired  SessionStatus = "EXPIRED"
	StatusInvalid  SessionStatus = "INVALID"
)

// Final reports whether no further status change is expected
// (COMPLETE, EXPIRED or INVALID).
func (s SessionStatus) Final() bool {
	return s == StatusComplete || s == StatusExpired || s == StatusInvalid
}

// OdometerUnit is the unit of an odometer reading. Unknown values pass through.
type OdometerUnit string

// Odometer units. Only KILOMETRES is documented; MILES is inferred.
const (
	Kilometres OdometerUnit = "KILOMETRES"
	Miles      OdometerUnit = "MILES"
)

// Known reports whether u is KILOMETRES or MILES.
func (u OdometerUnit) Known() bool { return u == Kilometres || u == Miles }

// Language is a capture UI language code. Only EN is documented; PAVE
// answers with "EN" or "en", so compare with strings.EqualFold.
type Language string

// LanguageEN is English, the default.
const LanguageEN Language = "EN"

// PhotoCode is a standard view code 1-13 (REFERENCE.md 10.3).
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

// PhotoCodes lists the 13 standard views in code order.
func PhotoCodes() []PhotoCode {
	out := make([]PhotoCode, 0, 13)
	for c := PhotoVIN; c <= PhotoRearLeft; c++ {
		out = append(out, c)
	}
	return out
}

// CaptureOrder lists the 13 standard views in the order the capture app
// asks for them (REFERENCE.md 10.3): VIN, interior and cluster, the eight
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

// Known reports whether l is one of the 13 standard labels (exact case).
func (l PhotoLabel) Known() bool {
	c := l.Code()
	return c != 0 && photoLabels[c] == l
}

// Time is a timestamp decoded leniently: RFC 3339 with or without fractional
// seconds, with Z or a numeric offset, a few space-separated variants, or
// null (the zero Time). It encodes as RFC 3339 (null when zero).
type Time struct {
	time.Time
}

var timeLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02",
}

// ParseTime parses s with the same leniency as Time's JSON decoding.
// Timestamps without a zone are taken as UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("pave: unrecognised timestamp %q", s)
}

// UnmarshalJSON accepts a timestamp string, an empty string or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	if b[0] != '"' {
		// Unix seconds as a number.
		if secs, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			t.Time = time.Unix(secs, 0).UTC()
			return nil
		}
		return fmt.Errorf("pave: timestamp must be a string, got %s", describeJSON(b))
	}
	s, err := jsonString(b)
	if err != nil {
		return fmt.Errorf("pave: timestamp: %w", err)
	}
	if strings.TrimSpace(s) == "" {
		t.Time = time.Time{}
		return nil
	}
	parsed, err := ParseTime(s)
	if err != nil {
		// The value is not quoted: response data may hold personal data.
		return fmt.Errorf("pave: unrecognised timestamp (%d bytes)", len(s))
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
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*n = 0
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		var err error
		if s, err = jsonString(b); err != nil {
			return fmt.Errorf("pave: integer: %w", err)
		}
	}
	v, err := ParseInt(s)
	if err != nil {
		return fmt.Errorf("pave: not an integer (%s of %d bytes)", describeJSON(b), len(s))
	}
	*n = Int(v)
	return nil
}

// ParseInt parses s as Int does: digits with optional sign, thousands
// separators (",", "_", spaces) and a zero fraction ("41250.0").
func ParseInt(s string) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if strings.ContainsAny(s, ", _") {
		s = strings.NewReplacer(",", "", "_", "", " ", "").Replace(s)
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) && f < 1<<62 && f > -(1<<62) {
		return int64(f), nil
	}
	return 0, fmt.Errorf("pave: not an integer: %q", truncateForError([]byte(orig)))
}

// StringBool is a Go bool that PAVE's samples send as the string "true" or
// "false". It encodes as that string and decodes from a JSON boolean, the
// strings "true"/"false"/"1"/"0"/"yes"/"no", a number, or null (false).
type StringBool bool

// MarshalJSON encodes "true" or "false" as a JSON string, as the docs do.
func (b StringBool) MarshalJSON() ([]byte, error) {
	if b {
		return []byte(`"true"`), nil
	}
	return []byte(`"false"`), nil
}

// UnmarshalJSON implements the lenient decoding described on StringBool.
func (b *StringBool) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	s := string(data)
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("pave: boolean: %w", err)
		}
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y", "on":
		*b = true
	case "false", "0", "no", "n", "off", "", "null":
		*b = false
	default:
		return fmt.Errorf("pave: not a boolean (%s of %d bytes)", describeJSON(data), len(s))
	}
	return nil
}

// jsonString decodes a JSON string literal. Timestamps and numbers in
// strings almost never hold escapes, so those skip encoding/json.
func jsonString(b []byte) (string, error) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 && bytes.IndexByte(b[1:len(b)-1], '"') < 0 {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// describeJSON names the kind of a JSON value without quoting it: decode
// errors end up in logs, and a response value may be personal data or an
// echoed credential.
func describeJSON(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func truncateForError(b []byte) string {
	const max = 64
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
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
	// took the photos. Sent as the string "true" when set, as in the docs.
	SendResultsToPhototaker StringBool `json:"send_results_to_phototaker,omitempty"`
}

// SessionSettings is the "session" object of a create or update request.
// ClientID, Contact and Reference may be given here or in Options: both
// placements are documented.
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

// Options is the "options" object: per-user customisation on requests, and
// the echo of client_id, sms, contact and reference on responses.
type Options struct {
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
	Options *Options         `json:"options,omitempty"`
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

// Source says how a session was launched: Type is "api", "dashboard",
// "shareable_link" or "embedded_widget".
type Source struct {
	Type       string           `json:"type,omitempty"`
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
	// CaptureURL is the link to send the end user. When a response lacks
	// it, the SDK fills in https://{username}.vehiclecapture.com/{key}.
	CaptureURL string `json:"capture_url,omitempty"`
	// Options echoes client_id, sms, contact and reference.
	Options *Options `json:"options,omitempty"`
	// ClientID, Contact and Reference are filled when a response carries
	// them at the session's top level; PAVE usually echoes them in Options.
	// Use the methods of the same meaning to read either placement.
	ClientID    string         `json:"client_id,omitempty"`
	Contact     *Contact       `json:"contact,omitempty"`
	Reference   map[string]any `json:"reference,omitempty"`
	UserAccount *UserAccount   `json:"user_account,omitempty"`
	Source      *Source        `json:"source,omitempty"`
	Vehicle     *Vehicle       `json:"vehicle,omitempty"`
}

// ClientIDValue returns the client_id from Options or, failing that, from
// the session's top level.
func (s *Session) ClientIDValue() string {
	if s.Options != nil && s.Options.ClientID != "" {
		return s.Options.ClientID
	}
	return s.ClientID
}

// ContactValue returns the contact from Options or the top level, or nil.
func (s *Session) ContactValue() *Contact {
	if s.Options != nil && s.Options.Contact != nil {
		return s.Options.Contact
	}
	return s.Contact
}

// ReferenceValue returns the pass-through reference data from Options or the
// top level, or nil.
func (s *Session) ReferenceValue() map[string]any {
	if s.Options != nil && s.Options.Reference != nil {
		return s.Options.Reference
	}
	return s.Reference
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
// shape, and Raw keeps the note's whole JSON object.
type Note struct {
	ID          Int    `json:"id,omitempty"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	CreatedAt   Time   `json:"created_at,omitzero"`
	// Raw is the note exactly as received.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the known fields and keeps the raw JSON. A note
// that is a bare string becomes the Description.
func (n *Note) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = Note{Description: s, Raw: append(json.RawMessage(nil), b...)}
		return nil
	}
	type plain Note
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*n = Note(p)
	n.Raw = append(json.RawMessage(nil), b...)
	return nil
}
