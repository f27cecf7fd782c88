package pave

import (
	"encoding/json"
	"errors"

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
	Event      string      `json:"event,omitempty"`
	Session    Session     `json:"session"`
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
func (r *Results) Raw() json.RawMessage { return cloneRaw(r.raw) }

// UnmarshalJSON decodes the typed parts and keeps a copy of the raw document.
func (r *Results) UnmarshalJSON(b []byte) error {
	return r.decode(b, true)
}

// DecodeResults decodes a results document (the body of GET results or of a
// SESSION:COMPLETE delivery) and keeps data itself as Raw, without a copy:
// the document is parsed once, so it costs the same as json.Unmarshal into
// a plain struct, where json.Unmarshal into a Results must also copy and
// rescan it. data must not be modified afterwards.
func DecodeResults(data []byte) (*Results, error) {
	body := data
	var r Results
	if err := r.decode(body, false); err != nil {
		return nil, err
	}
	return &r, nil
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
	Vehicle        *Vehicle        `json:"vehicle"`
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
	var w resultsWire
	if err := json.Unmarshal(b, &w); err != nil {
		// The documented parts decide; the undocumented ones are
		// decoded as far as they go (see decodeResultsLenient).
		if lerr := decodeResultsLenient(b, &w); lerr != nil {
			return err
		}
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

// decodeResultsLenient is the slow path taken only when the one-pass decode
// failed: the documented parts are decoded strictly (their error fails the
// document), the undocumented ones section by section and element by
// element, leaving out what cannot be read.
func decodeResultsLenient(b []byte, w *resultsWire) error {
	var l struct {
		Event          string          `json:"event"`
		Session        Session         `json:"session"`
		VehicleRaw     json.RawMessage `json:"vehicle"`
		Vehicle        Vehicle         `json:"-"`
		UserAccount    json.RawMessage `json:"user_account"`
		Source         json.RawMessage `json:"source"`
		Photos         json.RawMessage `json:"photos"`
		Location       json.RawMessage `json:"location"`
		Inspection     json.RawMessage `json:"inspection"`
		Grade          json.RawMessage `json:"grade"`
		ConditionGrade json.RawMessage `json:"condition_grade"`
		VehicleGrade   json.RawMessage `json:"vehicle_grade"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	if !wire.IsNull(l.VehicleRaw) {
		if err := json.Unmarshal(l.VehicleRaw, &l.Vehicle); err != nil {
			return err
		}
	}
	*w = resultsWire{
		Grade:          l.Grade,
		ConditionGrade: l.ConditionGrade,
		VehicleGrade:   l.VehicleGrade,
	}
	w.Event, w.Session = l.Event, l.Session
	if !wire.IsNull(l.VehicleRaw) {
		w.Vehicle = &l.Vehicle
	}
	w.UserAccount, w.Source = l.UserAccount, l.Source
	w.Photos = decodePhotosLenient(l.Photos)
	if wire.IsObject(l.Location) {
		var loc Location
		if json.Unmarshal(l.Location, &loc) == nil {
			w.Location = &loc
		}
	}
	w.Inspection = decodeInspectionLenient(l.Inspection)
	return nil
}

func decodePhotosLenient(raw json.RawMessage) []Photo {
	return wire.List(raw, loosePhoto)
}

// loosePhoto reads a photo field by field, keeping what is readable.
func loosePhoto(item []byte) (Photo, bool) {
	var l struct {
		PhotoCode       json.RawMessage `json:"photo_code"`
		PhotoLabel      json.RawMessage `json:"photo_label"`
		URL             json.RawMessage `json:"url"`
		Approved        json.RawMessage `json:"approved"`
		ApprovedMessage json.RawMessage `json:"approved_message"`
		CreatedAt       json.RawMessage `json:"created_at"`
		UpdatedAt       json.RawMessage `json:"updated_at"`
	}
	if json.Unmarshal(item, &l) != nil {
		return Photo{}, false
	}
	var approved StringBool
	_ = approved.UnmarshalJSON(l.Approved)
	p := Photo{
		raw:             keepRaw(item),
		PhotoCode:       loosePhotoCode(l.PhotoCode),
		PhotoLabel:      PhotoLabel(wire.String(l.PhotoLabel)),
		URL:             wire.String(l.URL),
		Approved:        bool(approved),
		ApprovedMessage: wire.String(l.ApprovedMessage),
	}
	_ = p.CreatedAt.UnmarshalJSON(l.CreatedAt)
	_ = p.UpdatedAt.UnmarshalJSON(l.UpdatedAt)
	return p, true
}

func decodeInspectionLenient(raw json.RawMessage) *inspectionWire {
	if !wire.IsObject(raw) {
		return nil
	}
	var w inspectionWire
	if json.Unmarshal(raw, &w) == nil {
		return &w
	}
	var l struct {
		Grade           json.RawMessage `json:"grade"`
		DamageCount     json.RawMessage `json:"damage_count"`
		Damages         json.RawMessage `json:"damages"`
		DetectedDamages json.RawMessage `json:"detected_damages"`
		Grading         json.RawMessage `json:"grading"`
		ConditionGrade  json.RawMessage `json:"condition_grade"`
		VehicleGrade    json.RawMessage `json:"vehicle_grade"`
		OverallGrade    json.RawMessage `json:"overall_grade"`
	}
	if json.Unmarshal(raw, &l) != nil {
		return nil
	}
	w = inspectionWire{
		ConditionGrade: l.ConditionGrade,
		VehicleGrade:   l.VehicleGrade,
		OverallGrade:   l.OverallGrade,
		RawGrade:       l.Grade,
	}
	var n Int
	if n.UnmarshalJSON(l.DamageCount) == nil {
		w.DamageCount = n
	}
	w.Damages = decodeDamagesLenient(l.Damages)
	w.DetectedDamages = decodeDamagesLenient(l.DetectedDamages)
	if len(wire.Trim(l.Grading)) > 0 {
		w.Grading = l.Grading
	}
	return &w
}

func decodeDamagesLenient(raw json.RawMessage) []Damage {
	return wire.List(raw, looseDamage)
}

// looseDamage reads a damage field by field, keeping what is readable.
func looseDamage(item []byte) (Damage, bool) {
	var l struct {
		DamageGroup  json.RawMessage `json:"damage_group"`
		Component    json.RawMessage `json:"component"`
		DamageName   json.RawMessage `json:"damage_name"`
		Label        json.RawMessage `json:"label"`
		Description  json.RawMessage `json:"description"`
		Tolerance    json.RawMessage `json:"tolerance"`
		RepairMethod json.RawMessage `json:"repair_method"`
		RepairType   json.RawMessage `json:"repair_type"`
		UnitMeasure  json.RawMessage `json:"unit_measure"`
		GradeScore   json.RawMessage `json:"grade_score"`
		PhotoCode    json.RawMessage `json:"photo_code"`
		Photo        *DamagePhoto    `json:"photo"`
	}
	if json.Unmarshal(item, &l) != nil {
		return Damage{}, false
	}
	d := Damage{
		DamageGroup:  wire.String(l.DamageGroup),
		Component:    wire.String(l.Component),
		DamageName:   wire.String(l.DamageName),
		Label:        wire.String(l.Label),
		Description:  wire.String(l.Description),
		Tolerance:    wire.String(l.Tolerance),
		RepairMethod: wire.String(l.RepairMethod),
		RepairType:   wire.String(l.RepairType),
		UnitMeasure:  wire.String(l.UnitMeasure),
		PhotoCode:    loosePhotoCode(l.PhotoCode),
		Photo:        l.Photo,
	}
	var score Int
	if score.UnmarshalJSON(l.GradeScore) == nil {
		d.GradeScore = score
	}
	return d, true
}

// loosePhotoCode reads a photo code sent as 4, "4" or "04"; anything else
// (or a code outside int range) gives 0.
func loosePhotoCode(raw json.RawMessage) PhotoCode {
	var n Int
	if n.UnmarshalJSON(raw) != nil || n < 0 || n > 1<<20 {
		return 0
	}
	return PhotoCode(n)
}

// MarshalJSON writes the document as received plus any edit to its typed
// parts (see Raw): an edit to Session or Inspection is kept, and so are the
// sections this SDK does not know.
func (r Results) MarshalJSON() ([]byte, error) {
	return marshalKept(r.raw, r, func(v Results) resultsPlain { return resultsPlain(v) })
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
		var w struct {
			Code json.RawMessage `json:"code"`
			URL  json.RawMessage `json:"url"`
		}
		if err := json.Unmarshal(b, &w); err != nil {
			return err
		}
		p.Code = loosePhotoCode(w.Code)
		p.URL = wire.String(w.URL)
	default:
		p.Code = loosePhotoCode(b)
	}
	return nil
}

// Vehicle grades. PAVE's grading page documents whole numbers from
// GradePoor (1) to GradeExcellent (5). Its condition reports use a 0 to 5
// scale (0 labelled VERY POOR), so GradeVeryPoor (0) is accepted too:
// observed, not documented; GradeLabel words it "Very poor condition".
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
