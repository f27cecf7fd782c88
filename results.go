package pave

import (
	"encoding/json"
)

// Results is the inspection results document returned by
// GET /v1/sessions/{key}/results and posted with the SESSION:COMPLETE webhook.
//
// Only event, session and vehicle are documented. Photos, Location and
// Inspection follow the shapes the fake server uses (REFERENCE.md 6.7) and may
// be empty against the real API; the whole document is always kept and
// available from Raw, so undocumented sections stay reachable.
type Results struct {
	Event      string      `json:"event,omitempty"`
	Session    Session     `json:"session"`
	Vehicle    Vehicle     `json:"vehicle"`
	Photos     []Photo     `json:"photos,omitempty"`
	Location   *Location   `json:"location,omitempty"`
	Inspection *Inspection `json:"inspection,omitempty"`

	raw json.RawMessage
}

// Raw returns the results document exactly as received.
func (r *Results) Raw() json.RawMessage { return r.raw }

// UnmarshalJSON decodes the typed parts and keeps a copy of the raw document.
func (r *Results) UnmarshalJSON(b []byte) error {
	type plain Results
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = Results(p)
	r.raw = append(json.RawMessage(nil), b...)
	return nil
}

// MarshalJSON returns the raw document when there is one, so a decoded
// Results round-trips byte for byte, undocumented sections included.
func (r Results) MarshalJSON() ([]byte, error) {
	if len(r.raw) > 0 {
		return r.raw, nil
	}
	type plain Results
	return json.Marshal(plain(r))
}

// Location is where the inspection took place (undocumented shape).
type Location struct {
	Latitude  float64 `json:"latitude,omitempty"`
	Longitude float64 `json:"longitude,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// Inspection holds the detected damages and the grade (undocumented shape;
// see Results).
type Inspection struct {
	Grade       Int      `json:"grade,omitempty"`
	DamageCount Int      `json:"damage_count,omitempty"`
	Damages     []Damage `json:"damages,omitempty"`
}

// Damage is one detected damage. Field names follow the Hotspots damage
// object and the legacy results (REFERENCE.md 10.7); all are open vocabularies.
type Damage struct {
	DamageGroup  string    `json:"damage_group,omitempty"`
	Component    string    `json:"component,omitempty"`
	DamageName   string    `json:"damage_name,omitempty"`
	Label        string    `json:"label,omitempty"`
	Description  string    `json:"description,omitempty"`
	Tolerance    string    `json:"tolerance,omitempty"`
	RepairMethod string    `json:"repair_method,omitempty"`
	RepairType   string    `json:"repair_type,omitempty"`
	UnitMeasure  string    `json:"unit_measure,omitempty"`
	GradeScore   Int       `json:"grade_score,omitempty"`
	PhotoCode    PhotoCode `json:"photo_code,omitempty"`
}
