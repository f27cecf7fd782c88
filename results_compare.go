package pave

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Comparison is what changed between two inspections of one vehicle (see
// CompareResults). It encodes with snake_case JSON names, for a CRM that
// stores it as is; its damage lists encode as [] when empty, never null.
type Comparison struct {
	// VIN is the vehicle's VIN, in upper case, as both documents show it:
	// a character masked on either side reads X.
	VIN string `json:"vin"`
	// BeforeSessionKey and AfterSessionKey name the two inspections.
	BeforeSessionKey string `json:"before_session_key"`
	AfterSessionKey  string `json:"after_session_key"`
	// New damages are found after only, Repaired damages before only.
	New      []Damage `json:"new"`
	Repaired []Damage `json:"repaired"`
	// Worsened, Improved and Unchanged are the damages found in both, by
	// their severity after against before.
	Worsened  []DamageChange `json:"worsened"`
	Improved  []DamageChange `json:"improved"`
	Unchanged []DamageChange `json:"unchanged"`
	// GradeBefore and GradeAfter are the vehicle grades (Results.Grade),
	// nil where a document has none.
	GradeBefore *int `json:"grade_before"`
	GradeAfter  *int `json:"grade_after"`
	// OdometerBefore and OdometerAfter are vehicle.odom_reading, in the
	// units OdometerUnitBefore and OdometerUnitAfter (as sent); nil where
	// a document has none (a reading of 0 or less counts as none).
	OdometerBefore     *int64       `json:"odometer_before"`
	OdometerAfter      *int64       `json:"odometer_after"`
	OdometerUnitBefore OdometerUnit `json:"odometer_unit_before,omitempty"`
	OdometerUnitAfter  OdometerUnit `json:"odometer_unit_after,omitempty"`
	// OdometerChange is OdometerAfter minus OdometerBefore, negative when
	// the reading went down; nil unless both readings are there, in one
	// unit (compared case-insensitively).
	OdometerChange *int64 `json:"odometer_change"`
	// Notes say, one sentence each, what the fields above leave for the
	// reader to notice: a missing grade or reading, an odometer that went
	// down or changed unit, sessions whose order could not be checked.
	Notes []string `json:"notes,omitempty"`
}

// DamageChange is one damage found in both inspections: the same
// component and damage type (see CompareResults).
type DamageChange struct {
	Before Damage `json:"before"`
	After  Damage `json:"after"`
}

// CompareResults compares two inspections of one vehicle, as PAVE's
// condition report does on its New Damage and Repaired Damage pages: a
// lease return against the delivery, a check-in against the check-out.
//
// Damages (Results.Damages) are matched by component and damage type. The
// type is the kind of a damage name <KIND>_<SEVERITY>[_QUALIFIER] (from
// damage_name, else label; case-insensitively, with words separated by
// _, - or spaces, as in "Scratched - Minor"), so SCRATCHED_MINOR and
// SCRATCHED_MAJOR on one component are one scratch that got worse; a name
// without MINOR, MEDIUM or MAJOR after its first word is a type of its
// own. Severity is ordered by the name's MINOR < MEDIUM < MAJOR (a name
// without one ranks below MINOR), then as Damage.MoreSevere orders it
// (grade_score, repair method, repair type). When a component has several
// damages of a type, each side is ordered most severe first, then by
// photo code, then as listed. In that order, after damages are paired with
// before damages of equal severity and photo code, then of equal severity
// (these are Unchanged), then the ones left with each other (Worsened or
// Improved); what is still left is New (after) or Repaired (before). Every
// list is ordered by component, type and that order.
//
// The documents must be of one vehicle: their VINs must have the same
// length and agree on every character both show. X, * and any character
// other than a letter or digit count as masked, as PAVE's PII mask shows
// JN1CV6AR9BMXXXXXX, so a real X is not compared; at least one character
// must be shown on both sides. after must not be dated before before: the
// first of inspect_started_at, inspect_ended_at and created_at that both
// sessions carry is compared (a note says so when none is), because a
// comparison run backwards calls repaired damages new. A nil document, a
// missing or different VIN, or the wrong order gives a *ValidationError
// (errors.Is(err, ErrValidation)) naming the fields, e.g. "vehicle.vin" or
// "after.session.created_at". A missing grade or odometer reading, an
// odometer unit change and a reading that went down are not errors: the
// Comparison shows them and says so in Notes.
func CompareResults(before, after *Results) (*Comparison, error) {
	errs := map[string][]string{}
	add := func(field, msg string) { errs[field] = append(errs[field], msg) }
	invalid := func() (*Comparison, error) { return nil, &ValidationError{Op: "CompareResults", Errors: errs} }
	if before == nil {
		add("before", "is nil")
	}
	if after == nil {
		add("after", "is nil")
	}
	if len(errs) > 0 {
		return invalid()
	}
	c := &Comparison{
		VIN:              commonVIN(before.Vehicle.VIN, after.Vehicle.VIN, add),
		BeforeSessionKey: before.Session.SessionKey,
		AfterSessionKey:  after.Session.SessionKey,
		New:              []Damage{},
		Repaired:         []Damage{},
		Worsened:         []DamageChange{},
		Improved:         []DamageChange{},
		Unchanged:        []DamageChange{},
	}
	c.checkOrder(&before.Session, &after.Session, add)
	if len(errs) > 0 {
		return invalid()
	}
	c.GradeBefore = c.grade(before, "before")
	c.GradeAfter = c.grade(after, "after")
	c.compareOdometers(&before.Vehicle, &after.Vehicle)
	c.compareDamages(before.damageList(), after.damageList())
	return c, nil
}

// String sums c up in one line, e.g. "2 new, 1 repaired, 1 worse,
// 0 better, 3 unchanged; grade 4 -> 3; odometer +1200 KILOMETRES".
func (c *Comparison) String() string {
	if c == nil {
		return "<nil>"
	}
	s := fmt.Sprintf("%d new, %d repaired, %d worse, %d better, %d unchanged; grade %s -> %s; odometer ",
		len(c.New), len(c.Repaired), len(c.Worsened), len(c.Improved), len(c.Unchanged),
		orNone(c.GradeBefore), orNone(c.GradeAfter))
	if c.OdometerChange != nil {
		return s + strings.TrimSpace(fmt.Sprintf("%+d %s", *c.OdometerChange, c.OdometerUnitAfter))
	}
	return s + odometerText(c.OdometerBefore, c.OdometerUnitBefore) + " -> " +
		odometerText(c.OdometerAfter, c.OdometerUnitAfter)
}

func orNone[T int | int64](p *T) string {
	if p == nil {
		return "none"
	}
	return strconv.FormatInt(int64(*p), 10)
}

func odometerText(p *int64, unit OdometerUnit) string {
	if p == nil || unit == "" {
		return orNone(p)
	}
	return orNone(p) + " " + string(unit)
}

func (c *Comparison) note(format string, args ...any) {
	c.Notes = append(c.Notes, fmt.Sprintf(format, args...))
}

// vinMasked reports whether r hides a character of a VIN: PAVE's PII mask
// writes X; *, # and the like are read as masks too.
func vinMasked(r rune) bool {
	return r == 'X' || !('0' <= r && r <= '9' || 'A' <= r && r <= 'Z')
}

// commonVIN returns the VIN as both b and a show it (see CompareResults),
// or "" after reporting what is wrong through add.
func commonVIN(b, a string, add func(field, msg string)) string {
	bv := []rune(strings.ToUpper(strings.TrimSpace(b)))
	av := []rune(strings.ToUpper(strings.TrimSpace(a)))
	if len(bv) == 0 || len(av) == 0 {
		const missing = "missing: the document carries no VIN to check it is the same vehicle"
		if len(bv) == 0 {
			add("before.vehicle.vin", missing)
		}
		if len(av) == 0 {
			add("after.vehicle.vin", missing)
		}
		return ""
	}
	differ := func(format string, args ...any) string {
		add("vehicle.vin", fmt.Sprintf("before %q and after %q ", clip(b), clip(a))+fmt.Sprintf(format, args...))
		return ""
	}
	if len(bv) != len(av) {
		return differ("differ in length (%d and %d characters): not one vehicle", len(bv), len(av))
	}
	shown := 0
	for i := range bv {
		switch {
		case vinMasked(bv[i]) || vinMasked(av[i]):
			bv[i] = 'X'
		case bv[i] != av[i]:
			return differ("differ at character %d: not one vehicle", i+1)
		default:
			shown++
		}
	}
	if shown == 0 {
		return differ("show no character in common: cannot tell one vehicle")
	}
	return string(bv)
}

// clip shortens a VIN for an error message: a server may send anything.
func clip(s string) string {
	if r := []rune(s); len(r) > 24 {
		return string(r[:24]) + "..."
	}
	return s
}

// sessionDates are the dates checkOrder compares, in order of preference.
var sessionDates = [...]struct {
	field string
	of    func(*Session) time.Time
}{
	{"inspect_started_at", func(s *Session) time.Time { return s.InspectStartedAt.Time }},
	{"inspect_ended_at", func(s *Session) time.Time { return s.InspectEndedAt.Time }},
	{"created_at", func(s *Session) time.Time { return s.CreatedAt.Time }},
}

// checkOrder refuses an after session dated before the before session, by
// the first date both carry, and notes when they carry none.
func (c *Comparison) checkOrder(b, a *Session, add func(field, msg string)) {
	for _, d := range sessionDates {
		bt, at := d.of(b), d.of(a)
		if bt.IsZero() || at.IsZero() {
			continue
		}
		if at.Before(bt) {
			add("after.session."+d.field, fmt.Sprintf(
				"%s is before the before session's %s: pass the earlier inspection first",
				at.Format(time.RFC3339), bt.Format(time.RFC3339)))
		}
		return
	}
	c.note("the sessions carry no date in common (inspect_started_at, inspect_ended_at, created_at): " +
		"their order was not checked")
}

func (c *Comparison) grade(r *Results, side string) *int {
	g, ok := r.Grade()
	if !ok {
		c.note("%s has no grade", side)
		return nil
	}
	return &g
}

func (c *Comparison) compareOdometers(b, a *Vehicle) {
	c.OdometerUnitBefore, c.OdometerUnitAfter = b.OdomUnit, a.OdomUnit
	for _, s := range []struct {
		side string
		n    Int
		dst  **int64
	}{{"before", b.OdomReading, &c.OdometerBefore}, {"after", a.OdomReading, &c.OdometerAfter}} {
		if s.n <= 0 {
			c.note("%s has no odometer reading", s.side)
			continue
		}
		n := int64(s.n)
		*s.dst = &n
	}
	switch {
	case c.OdometerBefore == nil || c.OdometerAfter == nil:
	case !strings.EqualFold(string(b.OdomUnit), string(a.OdomUnit)):
		c.note("the odometer unit changed from %s to %s: the readings are not compared",
			cmp.Or(string(b.OdomUnit), "none"), cmp.Or(string(a.OdomUnit), "none"))
	default:
		d := *c.OdometerAfter - *c.OdometerBefore // both positive: no overflow
		c.OdometerChange = &d
		if d < 0 {
			c.note("the odometer went down by %d, from %s to %s", -d,
				odometerText(c.OdometerBefore, b.OdomUnit), odometerText(c.OdometerAfter, a.OdomUnit))
		}
	}
}

// typedDamage is a damage of a document with its type, its severity and
// its position in the document.
type typedDamage struct {
	*Damage
	kind string
	// severity is the name's (1 MINOR, 2 MEDIUM, 3 MAJOR, 0 none), then
	// the order of Damage.MoreSevere: grade_score, repair method rank,
	// repair type rank. Computed once, it keeps sorting cheap.
	severity [4]int64
	index    int
}

var severityWords = map[string]int64{"MINOR": 1, "MEDIUM": 2, "MAJOR": 3}

func typeOf(d *Damage, index int) typedDamage {
	name := d.DamageName
	if strings.TrimSpace(name) == "" {
		name = d.Label
	}
	words := strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool {
		return r == '_' || r == '-' || unicode.IsSpace(r)
	})
	t := typedDamage{Damage: d, kind: strings.Join(words, "_"), index: index}
	s := d.severity()
	copy(t.severity[1:], s[:])
	for i, w := range words {
		if s, ok := severityWords[w]; ok && i > 0 {
			t.kind, t.severity[0] = strings.Join(words[:i], "_"), s
			break
		}
	}
	return t
}

// compareSeverity orders a and b by severity: a total order, so sorting
// is deterministic.
func compareSeverity(a, b *typedDamage) int { return slices.Compare(a.severity[:], b.severity[:]) }

func (c *Comparison) compareDamages(before, after []Damage) {
	type key struct{ component, kind string }
	groups := map[key]*[2][]typedDamage{}
	for side, list := range [2][]Damage{before, after} {
		for i := range list {
			t := typeOf(&list[i], i)
			k := key{strings.ToUpper(strings.TrimSpace(t.Component)), t.kind}
			if groups[k] == nil {
				groups[k] = new([2][]typedDamage)
			}
			groups[k][side] = append(groups[k][side], t)
		}
	}
	keys := slices.SortedFunc(maps.Keys(groups), func(x, y key) int {
		return cmp.Or(strings.Compare(x.component, y.component), strings.Compare(x.kind, y.kind))
	})
	for _, k := range keys {
		c.matchGroup(groups[k][0], groups[k][1])
	}
}

// matchGroup pairs the damages of one component and type (see
// CompareResults), in linear time once sorted.
func (c *Comparison) matchGroup(before, after []typedDamage) {
	bySeverity := func(x, y *typedDamage) int { return compareSeverity(y, x) } // most severe first
	byPhoto := func(x, y *typedDamage) int {
		return cmp.Or(bySeverity(x, y), cmp.Compare(x.PhotoCode, y.PhotoCode))
	}
	sortFunc := func(x, y typedDamage) int { return cmp.Or(byPhoto(&x, &y), cmp.Compare(x.index, y.index)) }
	slices.SortFunc(before, sortFunc)
	slices.SortFunc(after, sortFunc)
	pair := make([]int, len(after)) // index in before + 1; 0: unpaired
	used := make([]bool, len(before))
	// Both sides are sorted by byPhoto, so for each pass a merge of the
	// unpaired damages finds the pairs that order says are equal.
	anyTwo := func(_, _ *typedDamage) int { return 0 }
	for _, order := range []func(x, y *typedDamage) int{byPhoto, bySeverity, anyTwo} {
		for i, j := 0, 0; i < len(after) && j < len(before); {
			switch {
			case pair[i] != 0:
				i++
			case used[j]:
				j++
			default:
				switch s := order(&after[i], &before[j]); {
				case s < 0:
					i++
				case s > 0:
					j++
				default:
					pair[i], used[j] = j+1, true
				}
			}
		}
	}
	for i, p := range pair {
		if p == 0 {
			c.New = append(c.New, *after[i].Damage)
			continue
		}
		ch := DamageChange{Before: *before[p-1].Damage, After: *after[i].Damage}
		switch compareSeverity(&after[i], &before[p-1]) {
		case 1:
			c.Worsened = append(c.Worsened, ch)
		case -1:
			c.Improved = append(c.Improved, ch)
		default:
			c.Unchanged = append(c.Unchanged, ch)
		}
	}
	for j, u := range used {
		if !u {
			c.Repaired = append(c.Repaired, *before[j].Damage)
		}
	}
}
