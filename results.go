package pave

import (
	"encoding/json"
	"errors"

	"github.com/pave-go/pave/internal/link"
	"github.com/pave-go/pave/internal/wire"
)

// Results is the inspection results document returned by
// GET /v1/sessions/{key}/results and posted with the SESSION:COMPLETE webhook.
//
// Only event, session and vehicle are documented, and PAVE's sample leaves
// open where the vehicle, user_account and source sit: inside session (the
// sample read literally) or the vehicle at the top level. Both are read:
// Vehicle and Session.Vehicle, UserAccount and Source are filled from
// whichever place carries them. Photos, Location and Inspection follow the
// shapes the fake server uses (see docs/pave-api.md) and may be empty
// against the real API; the whole document is always kept and available
// from Raw, so undocumented sections stay reachable.
//
// Decoding is strict for the documented parts and tolerant for the
// undocumented ones: a photos, location or inspection section of an
// unexpected shape (a code sent as "04", a fractional grade) is decoded as
// far as possible or left empty, never failing the whole document.
//
// The helpers (Grade, Damages, Summary, ...) read both the fake server's
// names and the retired API's names, so they work whichever the real API
// turns out to use.
type Results struct {
	Event      string      `json:"event,omitempty" wire:"strict"`
	Session    Session     `json:"session" wire:"strict"`
	Vehicle    Vehicle     `json:"vehicle"`
	Photos     []Photo     `json:"photos,omitempty"`
	Location   *Location   `json:"location,omitempty"`
	Inspection *Inspection `json:"inspection,omitempty"`

	raw json.RawMessage
	// altGrade is the first valid vehicle grade found at a key outside
	// the typed fields (inspection.condition_grade, top-level grade, ...),
	// when hasAltGrade. Decoding fills both, so helpers never re-parse raw.
	altGrade    int
	hasAltGrade bool
	// zeroGrade: inspection.grade was present and 0 (GradeVeryPoor),
	// which Inspection.Grade alone cannot tell from absent.
	zeroGrade bool
}

// Raw returns a copy of the results document as received (without
// surrounding white space), sections this SDK does not know included.
func (r *Results) Raw() json.RawMessage { return wire.Clone(r.raw) }

// UnmarshalJSON decodes the typed parts and keeps a copy of the raw document.
func (r *Results) UnmarshalJSON(b []byte) error {
	return r.decode(b, true)
}

// decodeResults decodes a results document (the body of GET results or of
// a SESSION:COMPLETE delivery) and keeps data itself as Raw, without a
// copy: the document is parsed once, where json.Unmarshal into a Results
// must also validate and copy it. data must not be modified afterwards.
// Package webhook reaches it through internal/link.
func decodeResults(data []byte) (*Results, error) {
	var r Results
	if err := r.decode(data, false); err != nil {
		return nil, err
	}
	return &r, nil
}

func init() {
	link.DecodeResults = func(data []byte) (any, error) { return decodeResults(data) }
}

// resultsPlain is Results without its methods, so decoding into it does not
// recurse into UnmarshalJSON.
type resultsPlain Results

// resultsWire reads Results and, in the same pass, the alternative places a
// vehicle grade may be found.
type resultsWire struct {
	resultsPlain
	// Vehicle, UserAccount and Source may sit at the top level or inside
	// session (see Results): read here, they fill whichever is missing.
	// UserAccount and Source are kept raw: a callback's payload merged into
	// a COMPLETE delivery may put anything there (PAVE's own example payload
	// is {"source": "PAVE"}).
	Vehicle        *Vehicle        `json:"vehicle" wire:"strict"`
	UserAccount    json.RawMessage `json:"user_account"`
	Source         json.RawMessage `json:"source"`
	Inspection     *inspectionWire `json:"inspection"`
	Grade          json.RawMessage `json:"grade"`
	ConditionGrade json.RawMessage `json:"condition_grade"`
	VehicleGrade   json.RawMessage `json:"vehicle_grade"`
}

// inspectionWire is Inspection plus alternative grade keys. RawGrade
// shadows Inspection.Grade, so a grade present as 0 is told from an absent
// one; settle copies it into Inspection.Grade.
type inspectionWire struct {
	Inspection
	ConditionGrade json.RawMessage `json:"condition_grade"`
	VehicleGrade   json.RawMessage `json:"vehicle_grade"`
	OverallGrade   json.RawMessage `json:"overall_grade"`
	RawGrade       json.RawMessage `json:"grade"`
}

func (w *inspectionWire) altGrade() (int, bool) {
	if w == nil {
		return 0, false
	}
	return firstGrade(w.VehicleGrade, w.ConditionGrade, w.OverallGrade)
}

// zeroGrade reports a grade present as 0.
func (w *inspectionWire) zeroGrade() bool {
	g, ok := parseGrade(w.RawGrade)
	return ok && g == 0
}

// settle fills Inspection.Grade from RawGrade: a whole number as it is
// (the typed field keeps what PAVE sent), else a grade parseGrade reads.
func (w *inspectionWire) settle() {
	var n Int
	if n.UnmarshalJSON(w.RawGrade) == nil {
		w.Grade = n
	} else if g, ok := parseGrade(w.RawGrade); ok {
		w.Grade = Int(g)
	}
}

func (r *Results) decode(b []byte, copyRaw bool) error {
	// The documented parts (event, session, vehicle: strict) decide; the
	// undocumented ones are decoded as far as they go.
	var w resultsWire
	if err := wire.Decode(b, &w); err != nil {
		return err
	}
	*r = Results(w.resultsPlain)
	r.placeSessionParts(&w)
	if w.Inspection != nil {
		w.Inspection.settle()
		r.Inspection = &w.Inspection.Inspection
	}
	r.altGrade, r.hasAltGrade = w.Inspection.altGrade()
	r.zeroGrade = w.Inspection != nil && w.Inspection.zeroGrade()
	if !r.hasAltGrade {
		r.altGrade, r.hasAltGrade = firstGrade(w.Grade, w.ConditionGrade, w.VehicleGrade)
	}
	// json.Unmarshal hands UnmarshalJSON the value without surrounding
	// white space; trim here too, so both paths keep the same bytes.
	b = wire.Trim(b)
	if copyRaw {
		r.raw = append(json.RawMessage(nil), b...)
	} else {
		r.raw = b
	}
	r.normalize()
	return nil
}

// placeSessionParts accepts both readings of where PAVE's results sample
// puts the vehicle, user_account and source: at the top level, or inside
// session (as the sample reads when its braces are counted as printed).
// Results.Vehicle and Session.Vehicle, UserAccount and Source are each
// filled from whichever place has them.
func (r *Results) placeSessionParts(w *resultsWire) {
	switch {
	case w.Vehicle != nil:
		r.Vehicle = *w.Vehicle
		if r.Session.Vehicle == nil {
			v := *w.Vehicle
			r.Session.Vehicle = &v
		}
	case r.Session.Vehicle != nil:
		r.Vehicle = *r.Session.Vehicle
	}
	if r.Session.UserAccount == nil && wire.IsObject(w.UserAccount) {
		var ua UserAccount
		if json.Unmarshal(w.UserAccount, &ua) == nil {
			r.Session.UserAccount = &ua
		}
	}
	if r.Session.Source == nil && wire.IsObject(w.Source) {
		var src Source
		if json.Unmarshal(w.Source, &src) == nil {
			r.Session.Source = &src
		}
	}
}

// normalize fills what one naming scheme leaves out and another carries: a
// photo's code from its label (and back), a legacy damage's photo_code from
// its photo object.
func (r *Results) normalize() {
	for i := range r.Photos {
		p := &r.Photos[i]
		if p.PhotoCode == 0 {
			p.PhotoCode = p.PhotoLabel.Code()
		} else if p.PhotoLabel == "" {
			p.PhotoLabel = p.PhotoCode.Label()
		}
	}
	if r.Inspection == nil {
		return
	}
	for _, list := range [][]Damage{r.Inspection.Damages, r.Inspection.DetectedDamages} {
		for i := range list {
			d := &list[i]
			if d.PhotoCode == 0 && d.Photo != nil {
				d.PhotoCode = d.Photo.Code
			}
		}
	}
}

// MarshalJSON writes the document as received plus any edit to its typed
// parts (see Raw): an edit to Session or Inspection is kept, and so are the
// sections this SDK does not know.
func (r Results) MarshalJSON() ([]byte, error) {
	return wire.MarshalKept(r.raw, r, func(v Results) resultsPlain { return resultsPlain(v) })
}

// Location is where the inspection took place (undocumented shape).
type Location struct {
	Latitude  float64 `json:"latitude,omitempty"`
	Longitude float64 `json:"longitude,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// Inspection holds the detected damages and the grade (undocumented shape;
// see Results). Grade, DamageCount and Damages are the fake server's names
// (see docs/pave-api.md); DetectedDamages and Grading are the retired API's
// results document, decoded in the same pass so that either shape
// is read without parsing the document twice. Prefer the Results helpers
// (Grade, DamageCount, Damages), which consult both.
type Inspection struct {
	Grade       Int      `json:"grade,omitempty"`
	DamageCount Int      `json:"damage_count,omitempty"`
	Damages     []Damage `json:"damages,omitempty"`
	// DetectedDamages is the retired API's damage list
	// (inspection.detected_damages), whose damages name their photo in a
	// photo object ({"code": "04", "url": ...}).
	DetectedDamages []Damage `json:"detected_damages,omitempty"`
	// Grading is the retired API's inspection.grading, kept as sent: a
	// number, or an object whose shape is unknown. Results.Grade reads a
	// grade from it.
	Grading json.RawMessage `json:"grading,omitempty"`
}

// Damage is one detected damage. Field names follow the Hotspots damage
// object and the legacy results; all are open vocabularies.
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
	// Photo is the retired API's reference to the photo showing the
	// damage. When a decoded damage has no photo_code, PhotoCode is filled
	// from Photo.Code.
	Photo *DamagePhoto `json:"photo,omitempty"`
}

// DamagePhoto is the photo a legacy-shaped damage refers to: {"code": "04",
// "url": "https://..."}. Code decodes from a number or a string such as
// "04"; a bare string is taken as the URL and a bare number as the code.
type DamagePhoto struct {
	Code PhotoCode `json:"code,omitempty"`
	URL  string    `json:"url,omitempty"`
}

// UnmarshalJSON implements the lenient decoding described on DamagePhoto.
// null leaves p unchanged; values of any other shape decode to the zero
// DamagePhoto.
func (p *DamagePhoto) UnmarshalJSON(b []byte) error {
	b = wire.Trim(b)
	if string(b) == "null" {
		return nil // as encoding/json does for null
	}
	*p = DamagePhoto{}
	switch {
	case len(b) == 0:
		return errors.New("pave: photo: empty value")
	case b[0] == '"':
		p.URL = wire.String(b)
	case b[0] == '{':
		type plain DamagePhoto
		return wire.Decode(b, (*plain)(p))
	default:
		if n, err := wire.Int(b); err == nil && n > 0 && n <= 1<<20 {
			p.Code = PhotoCode(n)
		}
	}
	return nil
}

// Vehicle grades. PAVE's grading page documents whole numbers from
// GradePoor (1) to GradeExcellent (5). Its condition reports use a 0 to 5
// scale (0 labelled VERY POOR), so GradeVeryPoor (0) is accepted too:
// observed, not documented; ResultsSummary.GradeLabel words it "Very poor
// condition".
const (
	GradeVeryPoor  = 0
	GradePoor      = 1
	GradeFair      = 2
	GradeGood      = 3
	GradeVeryGood  = 4
	GradeExcellent = 5
)

func validGrade(g int64) bool { return g >= GradeVeryPoor && g <= GradeExcellent }

// gradeObjectKeys are the keys read, in order, when a grade arrives as an
// object (the retired API's inspection.grading has an unknown shape).
var gradeObjectKeys = [...]string{"grade", "overall", "overall_grade", "vehicle_grade", "condition_grade", "value"}

// parseGrade reads a vehicle grade from a number, a numeric string ("4",
// "4.0") or an object holding one under a key of gradeObjectKeys. Grades
// that are not whole numbers from 0 to 5 are not grades.
func parseGrade(raw json.RawMessage) (int, bool) {
	return parseGradeDepth(raw, 0)
}

func parseGradeDepth(raw json.RawMessage, depth int) (int, bool) {
	raw = wire.Trim(raw)
	if wire.IsNull(raw) {
		return 0, false
	}
	if raw[0] == '{' {
		if depth > 0 {
			return 0, false
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return 0, false
		}
		for _, k := range gradeObjectKeys {
			if g, ok := parseGradeDepth(m[k], depth+1); ok {
				return g, true
			}
		}
		return 0, false
	}
	var n Int
	if n.UnmarshalJSON(raw) != nil || !validGrade(int64(n)) {
		return 0, false
	}
	return int(n), true
}

// firstGrade returns the first valid grade among raws.
func firstGrade(raws ...json.RawMessage) (int, bool) {
	for _, raw := range raws {
		if g, ok := parseGrade(raw); ok {
			return g, true
		}
	}
	return 0, false
}
