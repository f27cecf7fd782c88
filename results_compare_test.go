package pave_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// cmpDoc is a hand-written results document in the fake server's shape (or,
// with legacy, the retired API's damage list). An empty field is left out;
// grade and odom are raw JSON.
type cmpDoc struct {
	key, vin, started, created string
	grade, odom, unit          string
	damages                    []string // raw JSON objects
	legacy                     bool
}

func (d cmpDoc) results(t testing.TB) *pave.Results {
	t.Helper()
	session := map[string]any{"session_key": d.key}
	vehicle := map[string]any{}
	inspection := map[string]any{}
	for m, kv := range map[*map[string]any][][2]string{
		&session: {{"inspect_started_at", d.started}, {"created_at", d.created}},
		&vehicle: {{"vin", d.vin}, {"odom_unit", d.unit}},
	} {
		for _, p := range kv {
			if p[1] != "" {
				(*m)[p[0]] = p[1]
			}
		}
	}
	if d.odom != "" {
		vehicle["odom_reading"] = json.RawMessage(d.odom)
	}
	if d.grade != "" {
		inspection["grade"] = json.RawMessage(d.grade)
	}
	list := json.RawMessage("[" + strings.Join(d.damages, ",") + "]")
	if d.legacy {
		inspection["detected_damages"] = list
	} else {
		inspection["damages"] = list
	}
	doc, err := json.Marshal(map[string]any{"session": session, "vehicle": vehicle, "inspection": inspection})
	require.NoError(t, err)
	var r pave.Results
	require.NoError(t, json.Unmarshal(doc, &r))
	return &r
}

// cmpDamage is a damage of the fake server's shape.
func cmpDamage(component, name string, photo int) string {
	return fmt.Sprintf(`{"component":%q,"damage_name":%q,"photo_code":%d}`, component, name, photo)
}

// cmpBase and cmpNext are two inspections of one vehicle, a day apart.
var (
	cmpBase = cmpDoc{key: "LKH-7Q2M9XK4TB", vin: "1HGCV1F39LA012345", started: "2024-03-15T10:02:11+00:00",
		grade: "4", odom: "41250", unit: "KILOMETRES"}
	cmpNext = cmpDoc{key: "LKH-9R4N2WJ6TC", vin: "1HGCV1F39LA012345", started: "2024-03-16T09:00:00+00:00",
		grade: "3", odom: "42450", unit: "KILOMETRES"}
)

func cmpDamageText(d pave.Damage) string {
	name := d.DamageName
	if name == "" {
		name = d.Label
	}
	return fmt.Sprintf("%s %s@%d", d.Component, name, d.PhotoCode)
}

func cmpDamageTexts(list []pave.Damage) []string { return cmpTexts(list, cmpDamageText) }

// cmpTexts describes each damage of list, nil when it is empty.
func cmpTexts(list []pave.Damage, text func(pave.Damage) string) []string {
	var out []string
	for _, d := range list {
		out = append(out, text(d))
	}
	return out
}

func cmpChangeTexts(list []pave.DamageChange) []string {
	var out []string
	for _, c := range list {
		out = append(out, cmpDamageText(c.Before)+" -> "+cmpDamageText(c.After))
	}
	return out
}

func TestCompareResultsDamages(t *testing.T) {
	t.Parallel()
	const door, fender = "DOOR_REAR_LEFT", "FENDER_REAR_LEFT"
	tests := []struct {
		name                     string
		before, after            []string
		legacyBefore             bool
		fresh, repaired          []string
		worse, better, unchanged []string
	}{
		{name: "none"},
		{
			name:      "unchanged",
			before:    []string{cmpDamage(door, "SCRAPED_MEDIUM", 4)},
			after:     []string{cmpDamage(door, "SCRAPED_MEDIUM", 4)},
			unchanged: []string{"DOOR_REAR_LEFT SCRAPED_MEDIUM@4 -> DOOR_REAR_LEFT SCRAPED_MEDIUM@4"},
		},
		{
			name: "new, listed by component",
			after: []string{
				cmpDamage("WINDSHIELD_FRONT_UNIQUE", "CHIPPED_MINOR", 9), cmpDamage(door, "DENTED_MINOR", 4)},
			fresh: []string{"DOOR_REAR_LEFT DENTED_MINOR@4", "WINDSHIELD_FRONT_UNIQUE CHIPPED_MINOR@9"},
		},
		{
			name:     "repaired",
			before:   []string{cmpDamage(door, "DENTED_MINOR", 4), cmpDamage(fender, "SCRATCHED_MINOR", 5)},
			after:    []string{cmpDamage(fender, "SCRATCHED_MINOR", 5)},
			repaired: []string{"DOOR_REAR_LEFT DENTED_MINOR@4"},
			unchanged: []string{
				"FENDER_REAR_LEFT SCRATCHED_MINOR@5 -> FENDER_REAR_LEFT SCRATCHED_MINOR@5"},
		},
		{
			name:   "worsened by the name's severity",
			before: []string{cmpDamage(door, "SCRATCHED_MINOR", 4)},
			after:  []string{cmpDamage(door, "SCRATCHED_MAJOR", 4)},
			worse:  []string{"DOOR_REAR_LEFT SCRATCHED_MINOR@4 -> DOOR_REAR_LEFT SCRATCHED_MAJOR@4"},
		},
		{
			name:   "improved, the qualifier gone",
			before: []string{cmpDamage(door, "DENTED_MEDIUM_THROUGH_PAINT", 4)},
			after:  []string{cmpDamage(door, "DENTED_MINOR", 4)},
			better: []string{"DOOR_REAR_LEFT DENTED_MEDIUM_THROUGH_PAINT@4 -> DOOR_REAR_LEFT DENTED_MINOR@4"},
		},
		{
			name:   "worsened by grade_score when the names tie",
			before: []string{`{"component":"DOOR_REAR_LEFT","damage_name":"SCRATCHED_MINOR","grade_score":1}`},
			after:  []string{`{"component":"DOOR_REAR_LEFT","damage_name":"SCRATCHED_MINOR","grade_score":3}`},
			worse:  []string{"DOOR_REAR_LEFT SCRATCHED_MINOR@0 -> DOOR_REAR_LEFT SCRATCHED_MINOR@0"},
		},
		{
			name: "improved by repair method when names and scores tie",
			before: []string{`{"component":"DOOR_REAR_LEFT","damage_name":"SCRATCHED_MINOR","grade_score":1,` +
				`"repair_method":"Replace"}`},
			after: []string{`{"component":"DOOR_REAR_LEFT","damage_name":"SCRATCHED_MINOR","grade_score":1,` +
				`"repair_method":"Refinish"}`},
			better: []string{"DOOR_REAR_LEFT SCRATCHED_MINOR@0 -> DOOR_REAR_LEFT SCRATCHED_MINOR@0"},
		},
		{
			name:     "another type on one component is not a change",
			before:   []string{cmpDamage(door, "SCRATCHED_MINOR", 4)},
			after:    []string{cmpDamage(door, "DENTED_MINOR", 4)},
			fresh:    []string{"DOOR_REAR_LEFT DENTED_MINOR@4"},
			repaired: []string{"DOOR_REAR_LEFT SCRATCHED_MINOR@4"},
		},
		{
			name:     "one type on another component is not a change",
			before:   []string{cmpDamage(door, "SCRATCHED_MINOR", 4)},
			after:    []string{cmpDamage(fender, "SCRATCHED_MINOR", 4)},
			fresh:    []string{"FENDER_REAR_LEFT SCRATCHED_MINOR@4"},
			repaired: []string{"DOOR_REAR_LEFT SCRATCHED_MINOR@4"},
		},
		{
			name:   "duplicates: equal severities pair first, then the rest by severity and photo code",
			before: []string{cmpDamage(door, "SCRATCHED_MINOR", 5), cmpDamage(door, "SCRATCHED_MINOR", 4)},
			after:  []string{cmpDamage(door, "SCRATCHED_MINOR", 4), cmpDamage(door, "SCRATCHED_MAJOR", 4)},
			worse:  []string{"DOOR_REAR_LEFT SCRATCHED_MINOR@5 -> DOOR_REAR_LEFT SCRATCHED_MAJOR@4"},
			unchanged: []string{
				"DOOR_REAR_LEFT SCRATCHED_MINOR@4 -> DOOR_REAR_LEFT SCRATCHED_MINOR@4"},
		},
		{
			name:      "duplicates: a new heavier damage beside an old one",
			before:    []string{cmpDamage(door, "DENTED_MINOR", 4)},
			after:     []string{cmpDamage(door, "DENTED_MAJOR", 4), cmpDamage(door, "DENTED_MINOR", 4)},
			fresh:     []string{"DOOR_REAR_LEFT DENTED_MAJOR@4"},
			unchanged: []string{"DOOR_REAR_LEFT DENTED_MINOR@4 -> DOOR_REAR_LEFT DENTED_MINOR@4"},
		},
		{
			name:   "duplicates: one of two the same, one repaired, paired by photo code",
			before: []string{cmpDamage(door, "CURB_RASH_MINOR", 7), cmpDamage(door, "CURB_RASH_MINOR", 4)},
			after:  []string{cmpDamage(door, "CURB_RASH_MINOR", 7)},
			unchanged: []string{
				"DOOR_REAR_LEFT CURB_RASH_MINOR@7 -> DOOR_REAR_LEFT CURB_RASH_MINOR@7"},
			repaired: []string{"DOOR_REAR_LEFT CURB_RASH_MINOR@4"},
		},
		{
			name:   "duplicates: equal severity across photos before a severity change",
			before: []string{cmpDamage(door, "DENTED_MINOR", 4), cmpDamage(door, "DENTED_MAJOR", 5)},
			after:  []string{cmpDamage(door, "DENTED_MINOR", 5), cmpDamage(door, "DENTED_MINOR", 6)},
			unchanged: []string{
				"DOOR_REAR_LEFT DENTED_MINOR@4 -> DOOR_REAR_LEFT DENTED_MINOR@5"},
			better: []string{"DOOR_REAR_LEFT DENTED_MAJOR@5 -> DOOR_REAR_LEFT DENTED_MINOR@6"},
		},
		{
			name: "duplicates: two worse, one better, by severity order",
			before: []string{
				cmpDamage(door, "DENTED_MINOR", 4), cmpDamage(door, "DENTED_MAJOR", 4),
				cmpDamage(door, "DENTED_MINOR", 5)},
			after: []string{
				cmpDamage(door, "DENTED_MEDIUM", 4), cmpDamage(door, "DENTED_MEDIUM", 5),
				cmpDamage(door, "DENTED_MEDIUM", 6)},
			worse: []string{
				"DOOR_REAR_LEFT DENTED_MINOR@4 -> DOOR_REAR_LEFT DENTED_MEDIUM@5",
				"DOOR_REAR_LEFT DENTED_MINOR@5 -> DOOR_REAR_LEFT DENTED_MEDIUM@6"},
			better: []string{"DOOR_REAR_LEFT DENTED_MAJOR@4 -> DOOR_REAR_LEFT DENTED_MEDIUM@4"},
		},
		{
			name:   "a name without a severity ranks below MINOR",
			before: []string{cmpDamage("LIGHT_TAIL_LEFT", "FOGGY", 8)},
			after:  []string{cmpDamage("LIGHT_TAIL_LEFT", "FOGGY_MINOR", 8)},
			worse:  []string{"LIGHT_TAIL_LEFT FOGGY@8 -> LIGHT_TAIL_LEFT FOGGY_MINOR@8"},
		},
		{
			name:     "a leading severity word is part of the type",
			before:   []string{`{"component":"HOOD_FRONT_UNIQUE","label":"Minor Scratch"}`},
			after:    []string{`{"component":"HOOD_FRONT_UNIQUE","label":"Minor Dent"}`},
			fresh:    []string{"HOOD_FRONT_UNIQUE Minor Dent@0"},
			repaired: []string{"HOOD_FRONT_UNIQUE Minor Scratch@0"},
		},
		{
			name: "the retired API's labels and photo objects, case-insensitively",
			before: []string{
				`{"component":"door_rear_left","label":"Scratched - Minor","photo":{"code":"04"}}`,
				`{"component":"WHEEL_REAR_LEFT","label":"curb_rash_major","photo":{"code":"07"}}`},
			legacyBefore: true,
			after: []string{
				cmpDamage(door, "SCRATCHED_MEDIUM", 4), cmpDamage("WHEEL_REAR_LEFT", "CURB_RASH_MAJOR", 7)},
			worse:     []string{"door_rear_left Scratched - Minor@4 -> DOOR_REAR_LEFT SCRATCHED_MEDIUM@4"},
			unchanged: []string{"WHEEL_REAR_LEFT curb_rash_major@7 -> WHEEL_REAR_LEFT CURB_RASH_MAJOR@7"},
		},
		{
			name:      "damages without a component or a name are matched among themselves",
			before:    []string{`{"grade_score":1}`, `{"component":"HOOD_FRONT_UNIQUE"}`},
			after:     []string{`{"grade_score":1}`},
			unchanged: []string{" @0 ->  @0"},
			repaired:  []string{"HOOD_FRONT_UNIQUE @0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, a := cmpBase, cmpNext
			b.damages, b.legacy, a.damages = tt.before, tt.legacyBefore, tt.after
			c, err := pave.CompareResults(b.results(t), a.results(t))
			require.NoError(t, err)
			assert.Equal(t, tt.fresh, cmpDamageTexts(c.New), "new")
			assert.Equal(t, tt.repaired, cmpDamageTexts(c.Repaired), "repaired")
			assert.Equal(t, tt.worse, cmpChangeTexts(c.Worsened), "worsened")
			assert.Equal(t, tt.better, cmpChangeTexts(c.Improved), "improved")
			assert.Equal(t, tt.unchanged, cmpChangeTexts(c.Unchanged), "unchanged")

			// The documents' order of damages does not change the answer.
			b.damages, a.damages = slices.Clone(tt.before), slices.Clone(tt.after)
			slices.Reverse(b.damages)
			slices.Reverse(a.damages)
			again, err := pave.CompareResults(b.results(t), a.results(t))
			require.NoError(t, err)
			assert.Equal(t, c, again, "the same comparison whatever the documents' order")
		})
	}
}

// Damages alike in severity and photo are paired as listed.
func TestCompareResultsTiesAsListed(t *testing.T) {
	t.Parallel()
	b, a := cmpBase, cmpNext
	b.damages = []string{`{"component":"HOOD_FRONT_UNIQUE","damage_name":"SCRATCHED_MINOR","description":"first"}`,
		`{"component":"HOOD_FRONT_UNIQUE","damage_name":"SCRATCHED_MINOR","description":"second"}`}
	a.damages = []string{`{"component":"HOOD_FRONT_UNIQUE","damage_name":"SCRATCHED_MINOR","description":"again"}`}
	c, err := pave.CompareResults(b.results(t), a.results(t))
	require.NoError(t, err)
	require.Len(t, c.Unchanged, 1)
	assert.Equal(t, "first", c.Unchanged[0].Before.Description)
	assert.Equal(t, "again", c.Unchanged[0].After.Description)
	require.Len(t, c.Repaired, 1)
	assert.Equal(t, "second", c.Repaired[0].Description)
}

// When the names tie, a change's direction is Damage.MoreSevere's.
func TestCompareResultsSeverityFollowsMoreSevere(t *testing.T) {
	t.Parallel()
	var all []pave.Damage
	for _, score := range []pave.Int{0, 1, 3} {
		for _, method := range []string{
			"", "Report only", "Glass Repair", "PDR REPAIR", "Refinish", "repair and refinish", "Replace"} {
			for _, typ := range []string{"", "INFO", "SMART Repair", "Major Body Shop Repair"} {
				all = append(all, pave.Damage{Component: "DOOR_REAR_LEFT", DamageName: "SCRATCHED_MINOR",
					GradeScore: score, RepairMethod: method, RepairType: typ})
			}
		}
	}
	doc := func(key string, d pave.Damage) *pave.Results {
		return &pave.Results{Session: pave.Session{SessionKey: key}, Vehicle: pave.Vehicle{VIN: "1HGCV1F39LA012345"},
			Inspection: &pave.Inspection{Damages: []pave.Damage{d}}}
	}
	for _, b := range all {
		for _, a := range all {
			c, err := pave.CompareResults(doc("B", b), doc("A", a))
			require.NoError(t, err)
			want := [3]int{0, 0, 1} // worse, better, unchanged
			if a.MoreSevere(b) {
				want = [3]int{1, 0, 0}
			} else if b.MoreSevere(a) {
				want = [3]int{0, 1, 0}
			}
			require.Equal(t, want, [3]int{len(c.Worsened), len(c.Improved), len(c.Unchanged)}, "%+v -> %+v", b, a)
		}
	}
}

func TestCompareResultsVINs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, before, after string
		want                string // the comparison's VIN; "" for an error
		field, msg          string // the error's field and a part of its message
	}{
		{name: "equal", before: "1HGCV1F39LA012345", after: "1HGCV1F39LA012345", want: "1HGCV1F39LA012345"},
		{name: "case and spaces", before: " 1hgcv1f39la012345", after: "1HGCV1F39LA012345 ",
			want: "1HGCV1F39LA012345"},
		{name: "one masked", before: "JN1CV6AR9BMXXXXXX", after: "JN1CV6AR9BM123456", want: "JN1CV6AR9BMXXXXXX"},
		{name: "masked differently", before: "JN1CV6AR9BM12XXXX", after: "JN1CV6AR9BMXX3456",
			want: "JN1CV6AR9BMXXXXXX"},
		{name: "masked with stars and dots", before: "JN1CV6AR9BM******", after: "JN1CV6AR9BM12••••",
			want: "JN1CV6AR9BMXXXXXX"},
		{name: "different", before: "1HGCV1F39LA012345", after: "1HGCV1F39LA012346",
			field: "vehicle.vin", msg: "differ at character 17"},
		{name: "different where both show", before: "JN1CV6AR9BMXXXXXX", after: "JN2CV6AR9BM123456",
			field: "vehicle.vin", msg: "differ at character 3"},
		{name: "different lengths", before: "1HGCV1F39LA012345", after: "1HGCV1F39LA",
			field: "vehicle.vin", msg: "differ in length (17 and 11 characters)"},
		{name: "nothing shown on both sides", before: "XXXXXXXXXXX123456", after: "JN1CV6AR9BMXXXXXX",
			field: "vehicle.vin", msg: "no character in common"},
		{name: "long", before: "1HGCV1F39LA012345", after: strings.Repeat("1HGCV1F39LA012345", 1000),
			field: "vehicle.vin",
			msg:   `after "1HGCV1F39LA0123451HGCV1F..." differ in length (17 and 17000 characters)`},
		{name: "missing before", before: "", after: "1HGCV1F39LA012345", field: "before.vehicle.vin", msg: "missing"},
		{name: "missing after", before: "1HGCV1F39LA012345", after: "  ", field: "after.vehicle.vin", msg: "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, a := cmpBase, cmpNext
			b.vin, a.vin = tt.before, tt.after
			b.damages = []string{cmpDamage("DOOR_REAR_LEFT", "DENTED_MINOR", 4)}
			c, err := pave.CompareResults(b.results(t), a.results(t))
			if tt.want != "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, c.VIN)
				assert.Len(t, c.Repaired, 1)
				return
			}
			require.Error(t, err)
			assert.Nil(t, c)
			assert.ErrorIs(t, err, pave.ErrValidation)
			var ve *pave.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "CompareResults", ve.Op)
			require.Contains(t, ve.Errors, tt.field, err.Error())
			assert.Contains(t, strings.Join(ve.Errors[tt.field], "; "), tt.msg)
			assert.Len(t, ve.Errors, 1, err.Error())
		})
	}

	// Both missing: both named.
	b, a := cmpBase, cmpNext
	b.vin, a.vin = "", ""
	_, err := pave.CompareResults(b.results(t), a.results(t))
	fields := slices.Sorted(maps.Keys(pave.FieldErrors(err)))
	assert.Equal(t, []string{"after.vehicle.vin", "before.vehicle.vin"}, fields)
}

func TestCompareResultsNil(t *testing.T) {
	t.Parallel()
	r := cmpBase.results(t)
	for _, tt := range []struct {
		name          string
		before, after *pave.Results
		fields        []string
	}{
		{"before", nil, r, []string{"before"}},
		{"after", r, nil, []string{"after"}},
		{"both", nil, nil, []string{"after", "before"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := pave.CompareResults(tt.before, tt.after)
			assert.Nil(t, c)
			require.ErrorIs(t, err, pave.ErrValidation)
			assert.Equal(t, tt.fields, slices.Sorted(maps.Keys(pave.FieldErrors(err))))
			assert.Contains(t, err.Error(), "is nil")
		})
	}
	var c *pave.Comparison
	assert.Equal(t, "<nil>", c.String())

	// Documents without an inspection section compare as without damages.
	bare := &pave.Results{Vehicle: pave.Vehicle{VIN: "1HGCV1F39LA012345"}}
	c, err := pave.CompareResults(bare, bare)
	require.NoError(t, err)
	assert.Equal(t, "0 new, 0 repaired, 0 worse, 0 better, 0 unchanged; grade none -> none; odometer none -> none",
		c.String())
	assert.Len(t, c.Notes, 5, "no grades, no readings, no dates: %q", c.Notes)
}

func TestCompareResultsOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		bStart, bCreated string
		aStart, aCreated string
		field            string // the error's field; "" for none
		note             bool   // the order was not checked
	}{
		{name: "in order", bStart: "2024-03-15T10:00:00Z", aStart: "2024-03-16T10:00:00Z"},
		{name: "at the same time", bStart: "2024-03-15T10:00:00Z", aStart: "2024-03-15T10:00:00+00:00"},
		{name: "backwards", bStart: "2024-03-16T10:00:00Z", aStart: "2024-03-15T10:00:00Z",
			field: "after.session.inspect_started_at"},
		{name: "inspection dates win over creation", bStart: "2024-03-15T10:00:00Z", bCreated: "2024-03-20T00:00:00Z",
			aStart: "2024-03-16T10:00:00Z", aCreated: "2024-03-01T00:00:00Z"},
		{name: "backwards by creation when one inspection date is missing", bStart: "2024-03-15T10:00:00Z",
			bCreated: "2024-03-20T00:00:00Z", aCreated: "2024-03-01T00:00:00Z", field: "after.session.created_at"},
		{name: "no common date", bStart: "2024-03-15T10:00:00Z", aCreated: "2024-03-01T00:00:00Z", note: true},
		{name: "no dates", note: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, a := cmpBase, cmpNext
			b.started, b.created, a.started, a.created = tt.bStart, tt.bCreated, tt.aStart, tt.aCreated
			c, err := pave.CompareResults(b.results(t), a.results(t))
			if tt.field != "" {
				assert.Nil(t, c)
				require.ErrorIs(t, err, pave.ErrValidation)
				fe := pave.FieldErrors(err)
				require.Len(t, fe, 1, err.Error())
				require.Contains(t, fe, tt.field, err.Error())
				assert.Contains(t, fe[tt.field][0], "pass the earlier inspection first")
				return
			}
			require.NoError(t, err)
			notes := strings.Join(c.Notes, "\n")
			if tt.note {
				assert.Contains(t, notes, "order was not checked")
			} else {
				assert.NotContains(t, notes, "order")
			}
		})
	}
}

func TestCompareResultsGradeAndOdometer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                 string
		bGrade, aGrade       string
		bOdom, aOdom         string
		bUnit, aUnit         string
		gradeBefore, gradeAt *int
		odomBefore, odomAt   *int64
		change               *int64
		notes                []string
		summary              string
	}{
		{
			name: "both graded, odometer up", bGrade: "4", aGrade: "3", bOdom: "41250", aOdom: `"42,450"`,
			bUnit: "KILOMETRES", aUnit: "kilometres",
			gradeBefore: cmpPtr(4), gradeAt: cmpPtr(3), odomBefore: cmpPtr[int64](41250), odomAt: cmpPtr[int64](42450),
			change:  cmpPtr[int64](1200),
			summary: "0 new, 0 repaired, 0 worse, 0 better, 0 unchanged; grade 4 -> 3; odometer +1200 kilometres",
		},
		{
			name: "grade 0 is a grade, odometer down", bGrade: "0", aGrade: "5", bOdom: "41250", aOdom: "40000",
			bUnit: "MILES", aUnit: "MILES",
			gradeBefore: cmpPtr(0), gradeAt: cmpPtr(5), odomBefore: cmpPtr[int64](41250), odomAt: cmpPtr[int64](40000),
			change:  cmpPtr[int64](-1250),
			notes:   []string{"the odometer went down by 1250, from 41250 MILES to 40000 MILES"},
			summary: "0 new, 0 repaired, 0 worse, 0 better, 0 unchanged; grade 0 -> 5; odometer -1250 MILES",
		},
		{
			name: "grades missing, unit changed", bGrade: "", aGrade: `"4.5"`, bOdom: "41250", aOdom: "26000",
			bUnit: "KILOMETRES", aUnit: "MILES",
			odomBefore: cmpPtr[int64](41250), odomAt: cmpPtr[int64](26000),
			notes: []string{"before has no grade", "after has no grade",
				"the odometer unit changed from KILOMETRES to MILES: the readings are not compared"},
			summary: "0 new, 0 repaired, 0 worse, 0 better, 0 unchanged; grade none -> none; " +
				"odometer 41250 KILOMETRES -> 26000 MILES",
		},
		{
			name: "a unit on one side only", bGrade: "4", aGrade: "4", bOdom: "41250", aOdom: "41300", aUnit: "MILES",
			gradeBefore: cmpPtr(4), gradeAt: cmpPtr(4), odomBefore: cmpPtr[int64](41250), odomAt: cmpPtr[int64](41300),
			notes:   []string{"the odometer unit changed from none to MILES: the readings are not compared"},
			summary: "0 new, 0 repaired, 0 worse, 0 better, 0 unchanged; grade 4 -> 4; odometer 41250 -> 41300 MILES",
		},
		{
			name: "readings missing or not readings", bGrade: "4", aGrade: "4", bOdom: "", aOdom: "-5",
			gradeBefore: cmpPtr(4), gradeAt: cmpPtr(4),
			notes:   []string{"before has no odometer reading", "after has no odometer reading"},
			summary: "0 new, 0 repaired, 0 worse, 0 better, 0 unchanged; grade 4 -> 4; odometer none -> none",
		},
		{
			name: "no units, same readings", bGrade: "4", aGrade: "4", bOdom: "41250", aOdom: "41250",
			gradeBefore: cmpPtr(4), gradeAt: cmpPtr(4), odomBefore: cmpPtr[int64](41250), odomAt: cmpPtr[int64](41250),
			change:  cmpPtr[int64](0),
			summary: "0 new, 0 repaired, 0 worse, 0 better, 0 unchanged; grade 4 -> 4; odometer +0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, a := cmpBase, cmpNext
			b.grade, b.odom, b.unit = tt.bGrade, tt.bOdom, tt.bUnit
			a.grade, a.odom, a.unit = tt.aGrade, tt.aOdom, tt.aUnit
			c, err := pave.CompareResults(b.results(t), a.results(t))
			require.NoError(t, err)
			assert.Equal(t, tt.gradeBefore, c.GradeBefore, "grade before")
			assert.Equal(t, tt.gradeAt, c.GradeAfter, "grade after")
			assert.Equal(t, tt.odomBefore, c.OdometerBefore, "odometer before")
			assert.Equal(t, tt.odomAt, c.OdometerAfter, "odometer after")
			assert.Equal(t, tt.change, c.OdometerChange, "odometer change")
			assert.Equal(t, pave.OdometerUnit(tt.bUnit), c.OdometerUnitBefore)
			assert.Equal(t, pave.OdometerUnit(tt.aUnit), c.OdometerUnitAfter)
			assert.Equal(t, tt.notes, c.Notes)
			assert.Equal(t, tt.summary, c.String())
		})
	}
}

func cmpPtr[T any](v T) *T { return &v }

func TestCompareResultsJSON(t *testing.T) {
	t.Parallel()
	b, a := cmpBase, cmpNext
	b.damages = []string{cmpDamage("DOOR_REAR_LEFT", "DENTED_MINOR", 4)}
	a.grade, a.odom = "", ""
	c, err := pave.CompareResults(b.results(t), a.results(t))
	require.NoError(t, err)
	out, err := json.Marshal(c)
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"vin": "1HGCV1F39LA012345",
		"before_session_key": "LKH-7Q2M9XK4TB", "after_session_key": "LKH-9R4N2WJ6TC",
		"new": [], "repaired": [{"component": "DOOR_REAR_LEFT", "damage_name": "DENTED_MINOR", "photo_code": 4}],
		"worsened": [], "improved": [], "unchanged": [],
		"grade_before": 4, "grade_after": null,
		"odometer_before": 41250, "odometer_after": null,
		"odometer_unit_before": "KILOMETRES", "odometer_unit_after": "KILOMETRES",
		"odometer_change": null,
		"notes": ["after has no grade", "after has no odometer reading"]
	}`, string(out))

	var back pave.Comparison
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, *c, back, "the comparison reads back as written")
}

// TestCompareResultsRepeatInspection compares two inspections the fake
// server ran over HTTP: the second a repeat of the first with chosen new
// and repaired damages.
func TestCompareResultsRepeatInspection(t *testing.T) {
	t.Parallel()
	for _, masked := range []bool{false, true} {
		t.Run(fmt.Sprintf("masked=%v", masked), func(t *testing.T) {
			t.Parallel()
			srv := pavetest.NewServer(t, func(o *pavetest.Options) { o.MaskPII = masked })
			client, ctx := srv.Client(), t.Context()
			const vin = "1HGCV1F39LA012345"
			first, err := client.Sessions.Create(ctx, &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{VIN: vin}})
			require.NoError(t, err)
			require.NoError(t, srv.Complete(first.SessionKey))
			before, err := client.Sessions.Results(ctx, first.SessionKey)
			require.NoError(t, err)
			old := before.Damages()
			require.GreaterOrEqual(t, len(old), 2, "the default seed gives the first inspection damages")

			// Repair every damage of one component; find a new one elsewhere,
			// and once more a damage the vehicle already has.
			repaired := old[0].Component
			again := slices.IndexFunc(old, func(d pave.Damage) bool { return d.Component != repaired })
			require.GreaterOrEqual(t, again, 0, "a damage on another component")
			chosen := []pavetest.RepeatDamage{{Component: old[again].Component, DamageName: old[again].DamageName}}
			for _, d := range []pavetest.RepeatDamage{
				{Component: "WINDSHIELD_FRONT_UNIQUE", DamageName: "CRACKED_MAJOR"},
				{Component: "DOOR_FRONT_LEFT", DamageName: "DENTED_MAJOR"},
				{Component: "TIRE_REAR_RIGHT", DamageName: "WORN_MAJOR"},
			} {
				if d.Component != repaired && len(chosen) < 3 {
					chosen = append(chosen, d)
				}
			}
			srv.AdvanceClock(24 * time.Hour)
			second, err := client.Sessions.Create(ctx, &pave.CreateSessionRequest{})
			require.NoError(t, err)
			require.NoError(t, srv.CompleteRepeat(second.SessionKey, pavetest.Repeat{
				Previous: first.SessionKey, NewDamages: chosen, Repaired: []string{repaired}}))
			after, err := client.Sessions.Results(ctx, second.SessionKey)
			require.NoError(t, err)

			c, err := pave.CompareResults(before, after)
			require.NoError(t, err)
			var wantNew, wantRepaired, wantUnchanged []string
			for _, d := range chosen {
				wantNew = append(wantNew, cmpName(pave.Damage{Component: d.Component, DamageName: d.DamageName}))
			}
			for _, d := range old {
				if d.Component == repaired {
					wantRepaired = append(wantRepaired, cmpName(d))
				} else {
					wantUnchanged = append(wantUnchanged, cmpName(d))
				}
			}
			assert.ElementsMatch(t, wantNew, cmpTexts(c.New, cmpName), "new: exactly the chosen damages")
			assert.ElementsMatch(t, wantRepaired, cmpTexts(c.Repaired, cmpName), "repaired: the repaired component's")
			var unchanged []pave.Damage
			for _, ch := range c.Unchanged {
				assert.Equal(t, ch.Before, ch.After, "a carried-over damage is the same damage")
				unchanged = append(unchanged, ch.After)
			}
			assert.ElementsMatch(t, wantUnchanged, cmpTexts(unchanged, cmpName))
			assert.Empty(t, c.Worsened)
			assert.Empty(t, c.Improved)

			wantVIN := vin
			if masked {
				wantVIN = "1HGCV1F39LAXXXXXX"
			}
			assert.Equal(t, wantVIN, c.VIN)
			assert.Equal(t, []string{wantVIN, wantVIN}, []string{before.Vehicle.VIN, after.Vehicle.VIN}, "as served")
			assert.Equal(t, first.SessionKey, c.BeforeSessionKey)
			assert.Equal(t, second.SessionKey, c.AfterSessionKey)
			for _, g := range []struct {
				r   *pave.Results
				got *int
			}{{before, c.GradeBefore}, {after, c.GradeAfter}} {
				want, ok := g.r.Grade()
				require.True(t, ok)
				require.NotNil(t, g.got)
				assert.Equal(t, want, *g.got)
			}
			require.NotNil(t, c.OdometerChange, "one vehicle, one unit: %v", c.Notes)
			assert.Zero(t, *c.OdometerChange, "the fake carries the vehicle over as it was")
			assert.Empty(t, c.Notes)

			// Backwards, the comparison is refused rather than calling the
			// repaired damages new.
			_, err = pave.CompareResults(after, before)
			require.ErrorIs(t, err, pave.ErrValidation)
			assert.Contains(t, pave.FieldErrors(err), "after.session.inspect_started_at", err.Error())
		})
	}
}

// cmpName describes a damage by component and name: the test chooses no
// photo code for new damages.
func cmpName(d pave.Damage) string { return d.Component + " " + d.DamageName }

// A VIN mismatch between two documents the fake served is refused with
// both documents' fields named.
func TestCompareResultsOtherVehicle(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	client, ctx := srv.Client(), t.Context()
	var docs []*pave.Results
	for _, vin := range []string{"1HGCV1F39LA012345", "2T1BURHE0JC043821"} {
		s, err := client.Sessions.Create(ctx, &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{VIN: vin}})
		require.NoError(t, err)
		require.NoError(t, srv.Complete(s.SessionKey))
		r, err := client.Sessions.Results(ctx, s.SessionKey)
		require.NoError(t, err)
		docs = append(docs, r)
	}
	c, err := pave.CompareResults(docs[0], docs[1])
	assert.Nil(t, c)
	require.ErrorIs(t, err, pave.ErrValidation)
	assert.True(t, errors.As(err, new(*pave.ValidationError)))
	assert.Contains(t, err.Error(), `vehicle.vin: before "1HGCV1F39LA012345" and after "2T1BURHE0JC043821" differ`)
}

// BenchmarkCompareResults compares two documents of n damages, all of one
// type on one component at worst: pairing stays n log n.
func BenchmarkCompareResults(b *testing.B) {
	for _, n := range []int{10, 10000} {
		for _, oneGroup := range []bool{false, true} {
			b.Run(fmt.Sprintf("damages=%d/one_group=%v", n, oneGroup), func(b *testing.B) {
				names := []string{"SCRATCHED_MINOR", "SCRATCHED_MEDIUM", "SCRATCHED_MAJOR"}
				docs := [2]cmpDoc{cmpBase, cmpNext}
				for side := range docs {
					docs[side].damages = nil
					for i := range n {
						component := fmt.Sprintf("PART_%d", i%50)
						if oneGroup {
							component = "DOOR_REAR_LEFT"
						}
						docs[side].damages = append(docs[side].damages,
							cmpDamage(component, names[(i+side)%3], 1+(i*7+side)%13))
					}
				}
				before, after := docs[0].results(b), docs[1].results(b)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := pave.CompareResults(before, after); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
