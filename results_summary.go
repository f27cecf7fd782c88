package pave

import (
	"slices"
	"strings"
)

var gradeLabels = [...]string{
	GradeVeryPoor:  "Very poor condition",
	GradePoor:      "Poor condition",
	GradeFair:      "Fair condition",
	GradeGood:      "Good condition",
	GradeVeryGood:  "Very good condition",
	GradeExcellent: "Excellent condition",
}

// gradeLabel returns the wording of a vehicle grade, e.g. "Very good
// condition" for 4, or "" for a value that is not a grade. Grades 1 to 5
// have PAVE's documented wording; 0 (GradeVeryPoor), which PAVE's
// condition reports show as VERY POOR but its grading page does not list,
// reads "Very poor condition" in the same style.
func gradeLabel(grade int) string {
	if grade < GradeVeryPoor || grade > GradeExcellent {
		return ""
	}
	return gradeLabels[grade]
}

// Grade returns the vehicle grade and whether one was found. PAVE
// documents whole numbers from 1 (poor) to 5 (excellent); 0 (GradeVeryPoor)
// is observed in reports and accepted too. The field's name in the current
// API is undocumented, so Grade takes the first whole number from 0 to 5
// found at, in order: inspection.grade (the fake server's choice);
// inspection.grading (the retired API's, a number or an object with
// "grade", "overall", "overall_grade", "vehicle_grade", "condition_grade"
// or "value"); inspection.vehicle_grade, condition_grade or overall_grade;
// and the document's top-level grade, condition_grade or vehicle_grade.
// Values outside 0-5 or with a fraction are skipped, so an unknown scale
// reports (0, false) rather than a wrong grade.
func (r *Results) Grade() (int, bool) {
	if r == nil {
		return 0, false
	}
	if in := r.Inspection; in != nil {
		switch {
		case in.Grade > 0 && validGrade(int64(in.Grade)):
			return int(in.Grade), true
		case in.Grade == 0 && r.zeroGrade:
			return 0, true
		}
		if g, ok := parseGrade(in.Grading); ok {
			return g, true
		}
	}
	if r.hasAltGrade {
		return r.altGrade, true
	}
	return 0, false
}

// damageList returns the damages without copying: inspection.damages (the
// fake server's name) or, when empty, inspection.detected_damages (the
// retired API's).
func (r *Results) damageList() []Damage {
	if r == nil || r.Inspection == nil {
		return nil
	}
	if len(r.Inspection.Damages) > 0 {
		return r.Inspection.Damages
	}
	return r.Inspection.DetectedDamages
}

// Damages returns a copy of the detected damages: inspection.damages (the
// fake server's name) or, when that is empty, inspection.detected_damages
// (the retired API's). A legacy damage's PhotoCode is filled from its photo
// object. It is nil when the document has no damage list.
func (r *Results) Damages() []Damage {
	return slices.Clone(r.damageList())
}

// DamageCount returns the number of damages: inspection.damage_count when
// the document has it, but never fewer than the damages listed (see
// Damages). It is 0 when the document carries neither.
func (r *Results) DamageCount() int {
	n := len(r.damageList())
	if r != nil && r.Inspection != nil {
		if c := r.Inspection.DamageCount; c > Int(n) && c <= 1<<31-1 {
			n = int(c)
		}
	}
	return n
}

// DamagesByComponent groups Damages by component code (e.g.
// "DOOR_REAR_LEFT"); damages without a component are under "". The map is
// never nil; each list keeps the document's order.
func (r *Results) DamagesByComponent() map[string][]Damage {
	return groupDamages(r.damageList(), func(d *Damage) string { return d.Component })
}

// DamagesByGroup groups Damages by damage group (e.g. "BODY", "WHEEL",
// "GLASS"); damages without a group are under "". The map is never nil;
// each list keeps the document's order.
func (r *Results) DamagesByGroup() map[string][]Damage {
	return groupDamages(r.damageList(), func(d *Damage) string { return d.DamageGroup })
}

func groupDamages(list []Damage, key func(*Damage) string) map[string][]Damage {
	out := make(map[string][]Damage)
	for i := range list {
		k := key(&list[i])
		out[k] = append(out[k], list[i])
	}
	return out
}

// WorstDamagePerComponent returns, for each component, its most severe
// damage as ordered by Damage.MoreSevere (the first listed wins a tie).
// Damages without a component are under "". The map is never nil.
func (r *Results) WorstDamagePerComponent() map[string]Damage {
	list := r.damageList()
	out := make(map[string]Damage)
	for i := range list {
		d := &list[i]
		if cur, ok := out[d.Component]; !ok || d.MoreSevere(cur) {
			out[d.Component] = *d
		}
	}
	return out
}

// MoreSevere reports whether d is strictly more severe than o: a higher
// grade_score first; on a tie, the heavier repair method (Replace > Repair &
// Refinish > Refinish > Specialist Repair or Repair > Glass Repair > any
// other method > Report, Report only or none, compared case-insensitively);
// then the heavier legacy repair type (Major Body Shop Repair > Minor Body
// Shop Repair > SMART Repair and unknown types > INFO or none).
func (d Damage) MoreSevere(o Damage) bool {
	a, b := d.severity(), o.severity()
	return slices.Compare(a[:], b[:]) > 0
}

// severity is the order MoreSevere compares: grade_score, the repair
// method's rank, the repair type's rank.
func (d *Damage) severity() [3]int64 {
	return [3]int64{int64(d.GradeScore), int64(repairMethodRank(d.RepairMethod)), int64(repairTypeRank(d.RepairType))}
}

// normalizeVocab lower-cases s, folds runs of spaces and spells "and" as "&".
func normalizeVocab(s string) string {
	s = strings.Join(strings.Fields(strings.ToLower(s)), " ")
	return strings.ReplaceAll(s, " and ", " & ")
}

func repairMethodRank(m string) int {
	switch normalizeVocab(m) {
	case "replace":
		return 6
	case "repair & refinish", "repair/refinish", "repair & paint":
		return 5
	case "refinish":
		return 4
	case "specialist repair", "repair":
		return 3
	case "glass repair":
		return 2
	case "", "report", "report only", "none", "info", "n/a":
		return 0
	}
	return 1
}

func repairTypeRank(t string) int {
	switch normalizeVocab(t) {
	case "major body shop repair":
		return 3
	case "minor body shop repair":
		return 2
	case "", "info", "none":
		return 0
	}
	return 1
}

// PhotoFor returns the photo showing a damage: the document's photo with
// the damage's photo code (photo_code, or the legacy photo.code) or, when
// the document lists no such photo but the damage carries the legacy
// photo.url, a Photo built from that URL and code. ok is false when
// neither is available.
func (r *Results) PhotoFor(d Damage) (p Photo, ok bool) {
	code := d.PhotoCode
	if code == 0 && d.Photo != nil {
		code = d.Photo.Code
	}
	if r != nil && code != 0 {
		for i := range r.Photos {
			if r.Photos[i].PhotoCode == code {
				return r.Photos[i], true
			}
		}
	}
	if d.Photo != nil && d.Photo.URL != "" {
		return Photo{PhotoCode: code, PhotoLabel: code.Label(), URL: d.Photo.URL}, true
	}
	return Photo{}, false
}

// ResultsSummary is what a CRM usually stores about an inspection. It
// encodes with snake_case JSON names, for a CRM that stores it as is.
type ResultsSummary struct {
	// Grade is the vehicle grade (see Results.Grade); meaningful only
	// when Graded, since 0 is a grade too.
	Grade int `json:"grade"`
	// Graded reports whether a grade was found.
	Graded bool `json:"graded"`
	// GradeLabel is PAVE's wording of Grade, e.g. "Very good condition",
	// or "" when unknown.
	GradeLabel string `json:"grade_label,omitempty"`
	// DamageCount is Results.DamageCount.
	DamageCount int `json:"damage_count"`
	// WorstByComponent is Results.WorstDamagePerComponent: each damaged
	// component's most severe damage. Never nil.
	WorstByComponent map[string]Damage `json:"worst_by_component"`
}

// Summary returns the grade, its label, the damage count and the worst
// damage per component, with the same assumptions as the helpers it uses.
func (r *Results) Summary() ResultsSummary {
	g, ok := r.Grade()
	label := ""
	if ok {
		label = gradeLabel(g)
	}
	return ResultsSummary{
		Grade:            g,
		Graded:           ok,
		GradeLabel:       label,
		DamageCount:      r.DamageCount(),
		WorstByComponent: r.WorstDamagePerComponent(),
	}
}
