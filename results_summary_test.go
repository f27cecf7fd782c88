package pave_test

// These tests also cover pave.DecodeResults, the copy-free decoder the request
// pipeline uses.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
)

// decodeBoth decodes doc with json.Unmarshal and with pave.DecodeResults
// and checks that they agree.
func decodeBoth(t *testing.T, doc []byte) *pave.Results {
	t.Helper()
	var viaJSON pave.Results
	require.NoError(t, json.Unmarshal(doc, &viaJSON))
	owned, err := pave.DecodeResults(append([]byte(nil), doc...))
	require.NoError(t, err)
	assert.Equal(t, viaJSON, *owned, "json.Unmarshal and pave.DecodeResults agree")
	assert.Equal(t, string(bytes.TrimSpace(doc)), string(viaJSON.Raw()))
	return &viaJSON
}

func summaryKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func namesOf(list []pave.Damage) []string {
	var out []string
	for _, d := range list {
		name := d.DamageName
		if name == "" {
			name = d.Label
		}
		out = append(out, name)
	}
	return out
}

func TestResultsSummaryFakeServerShape(t *testing.T) {
	t.Parallel()
	r := decodeBoth(t, fixture(t, "results/fake_server.json"))

	g, ok := r.Grade()
	assert.True(t, ok)
	assert.Equal(t, 4, g)
	assert.Equal(t, 5, r.DamageCount())
	damages := r.Damages()
	require.Len(t, damages, 5)
	assert.Equal(t, pave.Damage{
		DamageGroup: "BODY", Component: "DOOR_REAR_LEFT", DamageName: "SCRAPED_MEDIUM",
		Description: "Scraped", RepairMethod: "Refinish", GradeScore: 1, PhotoCode: pave.PhotoLeft,
	}, damages[0])
	damages[0].Component = "changed"
	assert.Equal(t, "DOOR_REAR_LEFT", r.Damages()[0].Component, "Damages returns a copy")

	byComp := r.DamagesByComponent()
	assert.Equal(t, []string{"BUMPER_REAR_UNIQUE", "DOOR_REAR_LEFT", "WHEEL_REAR_LEFT"}, summaryKeys(byComp))
	assert.Equal(t, []string{"SCRAPED_MEDIUM", "DENTED_MEDIUM_THROUGH_PAINT"}, namesOf(byComp["DOOR_REAR_LEFT"]))
	assert.Equal(t, []string{"SCRATCHED_MINOR", "CRACKED_MAJOR"}, namesOf(byComp["BUMPER_REAR_UNIQUE"]))

	byGroup := r.DamagesByGroup()
	assert.Len(t, byGroup, 2)
	assert.Len(t, byGroup["BODY"], 4)
	assert.Equal(t, []string{"CURB_RASH_MINOR"}, namesOf(byGroup["WHEEL"]))

	worst := r.WorstDamagePerComponent()
	assert.Equal(t, []string{"BUMPER_REAR_UNIQUE", "DOOR_REAR_LEFT", "WHEEL_REAR_LEFT"}, summaryKeys(worst))
	assert.Equal(t, "DENTED_MEDIUM_THROUGH_PAINT", worst["DOOR_REAR_LEFT"].DamageName, "higher grade_score")
	assert.Equal(t, "CRACKED_MAJOR", worst["BUMPER_REAR_UNIQUE"].DamageName, "same score: Replace beats Refinish")
	assert.Equal(t, "CURB_RASH_MINOR", worst["WHEEL_REAR_LEFT"].DamageName)

	p, ok := r.PhotoFor(damages[3])
	require.True(t, ok)
	assert.Equal(t, pave.PhotoRear, p.PhotoCode)
	assert.Equal(t, "https://images-cdn.paveapi.com/nga/MRV-4K8W2PZQ7D/MRV-4K8W2PZQ7D_08_REA.jpg", p.URL)
	_, ok = r.PhotoFor(pave.Damage{PhotoCode: pave.PhotoRearLeft})
	assert.False(t, ok, "no such photo in the document")
	_, ok = r.PhotoFor(pave.Damage{})
	assert.False(t, ok)

	s := r.Summary()
	assert.Equal(t, 4, s.Grade)
	assert.Equal(t, "Very good condition", s.GradeLabel)
	assert.Equal(t, 5, s.DamageCount)
	assert.Equal(t, worst, s.WorstByComponent)

	// The documented parts decode as usual.
	assert.Equal(t, "MRV-4K8W2PZQ7D", r.Session.SessionKey)
	assert.EqualValues(t, 58210, r.Vehicle.OdomReading)
	require.NotNil(t, r.Location)
	assert.Equal(t, "Vancouver, BC", r.Location.Address)
}

func TestResultsSummaryLegacyShape(t *testing.T) {
	t.Parallel()
	r := decodeBoth(t, fixture(t, "results/legacy.json"))

	g, ok := r.Grade()
	assert.True(t, ok)
	assert.Equal(t, 3, g, `inspection.grading {"overall": "3"}`)
	assert.Empty(t, r.Inspection.Damages)
	require.Len(t, r.Inspection.DetectedDamages, 4)
	assert.Equal(t, 4, r.DamageCount())

	damages := r.Damages()
	require.Len(t, damages, 4)
	assert.Equal(t, pave.Damage{
		DamageGroup: "BODY", Component: "FENDER_REAR_LEFT", Label: "DENTED_MINOR", Description: "Dented",
		Tolerance: "1 to 2 inches", RepairMethod: "Specialist Repair", RepairType: "SMART Repair",
		UnitMeasure: "Per Component", GradeScore: 1, PhotoCode: pave.PhotoLeft,
		Photo: &pave.DamagePhoto{Code: pave.PhotoLeft, URL: "https://images.legacy.example/OLD-9T3B6NWQ2K/04.jpg"},
	}, damages[0], `photo_code filled from photo.code "04"`)
	assert.EqualValues(t, 1, damages[1].GradeScore, `grade_score "1"`)

	worst := r.WorstDamagePerComponent()
	assert.Equal(t, []string{"FENDER_REAR_LEFT", "TIRE_FRONT_RIGHT", "WINDOW_REAR_UNIQUE"}, summaryKeys(worst))
	assert.Equal(t, "SCRATCHED_MEDIUM", worst["FENDER_REAR_LEFT"].Label, "same score: Refinish beats Specialist Repair")
	assert.Equal(t, "FOGGY_MAJOR", worst["WINDOW_REAR_UNIQUE"].Label)

	// No photos list: the damage's own photo URL is used.
	p, ok := r.PhotoFor(damages[0])
	require.True(t, ok)
	assert.Equal(t, pave.Photo{PhotoCode: pave.PhotoLeft, PhotoLabel: pave.LabelLeft, URL: "https://images.legacy.example/OLD-9T3B6NWQ2K/04.jpg"}, p)
	_, ok = r.PhotoFor(damages[3])
	assert.False(t, ok, "photo with a code but no URL, and no photos list")

	s := r.Summary()
	assert.Equal(t, pave.ResultsSummary{Grade: 3, Graded: true, GradeLabel: "Good condition", DamageCount: 4, WorstByComponent: worst}, s)

	// Undocumented sections stay reachable through Raw.
	var extra struct {
		Images struct {
			PhotoCodes []string `json:"photo_codes"`
		} `json:"images"`
	}
	require.NoError(t, json.Unmarshal(r.Raw(), &extra))
	assert.Equal(t, []string{"01", "04", "06", "08"}, extra.Images.PhotoCodes)
}

func TestResultsSummaryUnknownShape(t *testing.T) {
	t.Parallel()
	for _, doc := range [][]byte{
		fixture(t, "results/unknown.json"),
		[]byte(`{}`),
		[]byte(`{"inspection": null}`),
		[]byte(`{"inspection": {}}`),
		[]byte(`{"inspection": "pending"}`),
		[]byte(`{"inspection": {"damages": "none", "grade": "A"}}`),
		[]byte(`{"inspection": {"damages": [], "detected_damages": []}}`),
	} {
		t.Run(string(doc[:min(len(doc), 40)]), func(t *testing.T) {
			t.Parallel()
			r := decodeBoth(t, doc)
			g, ok := r.Grade()
			assert.False(t, ok)
			assert.Zero(t, g)
			assert.Zero(t, r.DamageCount())
			assert.Empty(t, r.Damages())
			assert.NotNil(t, r.DamagesByComponent())
			assert.Empty(t, r.DamagesByComponent())
			assert.NotNil(t, r.DamagesByGroup())
			assert.NotNil(t, r.WorstDamagePerComponent())
			s := r.Summary()
			assert.Equal(t, pave.ResultsSummary{WorstByComponent: map[string]pave.Damage{}}, s)
		})
	}
}

func TestResultsLenientDecoding(t *testing.T) {
	t.Parallel()
	r := decodeBoth(t, fixture(t, "results/lenient.json"))

	assert.Equal(t, "LNT-5D8F1QJZ3W", r.Session.SessionKey)
	require.Len(t, r.Photos, 2, "the non-object photo is left out")
	assert.Equal(t, pave.Photo{PhotoCode: pave.PhotoLeft, PhotoLabel: pave.LabelLeft, URL: "https://images-cdn.paveapi.com/lnt/04.jpg", Approved: true}, pave.WithoutRaw(r.Photos[0]))
	assert.Equal(t, pave.PhotoRear, r.Photos[1].PhotoCode, "code filled from the label")
	assert.Nil(t, r.Location, "a location that is not an object is left out")

	g, ok := r.Grade()
	assert.True(t, ok)
	assert.Equal(t, 2, g, "inspection.grade 4.5 is not a grade; the top-level condition_grade is")
	assert.Equal(t, 3, r.DamageCount(), `damage_count "3"`)
	damages := r.Damages()
	require.Len(t, damages, 2, "the non-object damage is left out")
	assert.Equal(t, pave.PhotoRear, damages[0].PhotoCode, `photo_code "08"`)
	assert.EqualValues(t, 4, damages[0].GradeScore)
	assert.EqualValues(t, 0, damages[1].GradeScore, "grade_score 1.5 is unreadable")
	p, ok := r.PhotoFor(damages[0])
	require.True(t, ok)
	assert.Equal(t, "https://images-cdn.paveapi.com/lnt/08.jpg", p.URL)
}

func TestResultsStrictDocumentedParts(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`[]`, `"x"`, `{"session": []}`, `{"vehicle": {"year": "nineteen"}}`, `{"event": 5}`, `{"session": {"created_at": "yesterday"}}`,
	} {
		var r pave.Results
		assert.Error(t, json.Unmarshal([]byte(doc), &r), doc)
		_, err := pave.DecodeResults([]byte(doc))
		assert.Error(t, err, doc)
	}
}

func TestResultsGrade(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc  string
		want int // -1: no grade
	}{
		{`{"inspection": {"grade": 5}}`, 5},
		{`{"inspection": {"grade": "1"}}`, 1},
		{`{"inspection": {"grade": 4.0}}`, 4},
		{`{"inspection": {"grade": 0}}`, 0}, // observed 0-5 scale
		{`{"inspection": {"grade": 6}}`, -1},
		{`{"inspection": {"grade": -3}}`, -1},
		{`{"inspection": {"grade": 99999999999999999999}}`, -1},
		{`{"inspection": {"grade": 4.5}}`, -1},
		{`{"inspection": {"grade": true}}`, -1},
		{`{"inspection": {"grading": 2}}`, 2},
		{`{"inspection": {"grading": "3"}}`, 3},
		{`{"inspection": {"grading": {"grade": 5, "overall": 1}}}`, 5},
		{`{"inspection": {"grading": {"overall_grade": "4"}}}`, 4},
		{`{"inspection": {"grading": {"exterior": 4}}}`, -1},
		{`{"inspection": {"grading": {"grade": {"grade": 4}}}}`, -1},
		{`{"inspection": {"grading": [4]}}`, -1},
		{`{"inspection": {"grade": 7, "grading": 3}}`, 3},
		{`{"inspection": {"vehicle_grade": 2}}`, 2},
		{`{"inspection": {"condition_grade": "5"}}`, 5},
		{`{"inspection": {"overall_grade": 1}}`, 1},
		{`{"grade": 4}`, 4},
		{`{"condition_grade": "3.0"}`, 3},
		{`{"vehicle_grade": 2}`, 2},
		{`{"grade": 10, "condition_grade": 2}`, 2},
		{`{"inspection": {"grade": 2}, "grade": 5}`, 2},
		{`{"inspection": {"condition_grade": 3}, "grade": 5}`, 3},
		{`{"grade": "excellent"}`, -1},
		{`{"inspection": {"grade": null}}`, -1},
		{`{"inspection": {"grade": "0"}}`, 0},
		{`{"inspection": {"grading": {"grade": 0}}}`, 0},
		{`{"condition_grade": 0}`, 0},
		{`{"inspection": {"grade": 0}, "grade": 4}`, 0},
		{`{"inspection": {}, "grade": 4}`, 4},
	}
	for _, tt := range tests {
		t.Run(tt.doc, func(t *testing.T) {
			t.Parallel()
			r := decodeBoth(t, []byte(tt.doc))
			g, ok := r.Grade()
			assert.Equal(t, max(tt.want, 0), g)
			assert.Equal(t, tt.want >= 0, ok)
			sum := r.Summary()
			assert.Equal(t, ok, sum.Graded)
			if ok {
				assert.Equal(t, pave.GradeLabel(g), sum.GradeLabel)
			} else {
				assert.Empty(t, sum.GradeLabel, "no grade, no label")
			}
		})
	}
}

func TestResultsDamageCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc  string
		want int
	}{
		{`{"inspection": {"damage_count": 27}}`, 27},
		{`{"inspection": {"damage_count": 1, "damages": [{}, {}]}}`, 2},
		{`{"inspection": {"damage_count": 3, "damages": [{}, {}]}}`, 3},
		{`{"inspection": {"damage_count": -4, "damages": [{}]}}`, 1},
		{`{"inspection": {"damage_count": 99999999999}}`, 0},
		{`{"inspection": {"detected_damages": [{}, {}, {}]}}`, 3},
		{`{"inspection": {"damages": [{}], "detected_damages": [{}, {}, {}]}}`, 1},
	}
	for _, tt := range tests {
		r := decodeBoth(t, []byte(tt.doc))
		assert.Equal(t, tt.want, r.DamageCount(), tt.doc)
	}
}

func TestDamageMoreSevere(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b pave.Damage
		want bool
	}{
		{pave.Damage{GradeScore: 3}, pave.Damage{GradeScore: 1, RepairMethod: "Replace"}, true},
		{pave.Damage{GradeScore: 1}, pave.Damage{GradeScore: 3}, false},
		{pave.Damage{RepairMethod: "Replace"}, pave.Damage{RepairMethod: "Repair & Refinish"}, true},
		{pave.Damage{RepairMethod: "repair and  refinish"}, pave.Damage{RepairMethod: "Refinish"}, true},
		{pave.Damage{RepairMethod: "Refinish"}, pave.Damage{RepairMethod: "Specialist Repair"}, true},
		{pave.Damage{RepairMethod: "Specialist Repair"}, pave.Damage{RepairMethod: "Glass Repair"}, true},
		{pave.Damage{RepairMethod: "Glass Repair"}, pave.Damage{RepairMethod: "Polish"}, true},
		{pave.Damage{RepairMethod: "Polish"}, pave.Damage{RepairMethod: "Report only"}, true},
		{pave.Damage{RepairMethod: "Report"}, pave.Damage{}, false},
		{pave.Damage{RepairMethod: "REPLACE"}, pave.Damage{RepairMethod: "replace"}, false},
		{pave.Damage{RepairType: "Major Body Shop Repair"}, pave.Damage{RepairType: "Minor Body Shop Repair"}, true},
		{pave.Damage{RepairType: "Minor Body Shop Repair"}, pave.Damage{RepairType: "SMART Repair"}, true},
		{pave.Damage{RepairType: "SMART Repair"}, pave.Damage{RepairType: "INFO"}, true},
		{pave.Damage{RepairMethod: "Refinish", RepairType: "INFO"}, pave.Damage{RepairMethod: "Glass Repair", RepairType: "Major Body Shop Repair"}, true},
		{pave.Damage{}, pave.Damage{}, false},
	}
	for i, tt := range tests {
		assert.Equal(t, tt.want, tt.a.MoreSevere(tt.b), "case %d: %+v vs %+v", i, tt.a, tt.b)
		if tt.want {
			assert.False(t, tt.b.MoreSevere(tt.a), "case %d reversed", i)
		}
	}
}

func TestGradeLabel(t *testing.T) {
	t.Parallel()
	want := map[int]string{
		-1: "", 0: "Very poor condition", 1: "Poor condition", 2: "Fair condition", 3: "Good condition",
		4: "Very good condition", 5: "Excellent condition", 6: "",
	}
	for g, label := range want {
		assert.Equal(t, label, pave.GradeLabel(g), "grade %d", g)
	}
}

func TestResultsHelpersOnNilAndHandBuilt(t *testing.T) {
	t.Parallel()
	var nilRes *pave.Results
	g, ok := nilRes.Grade()
	assert.False(t, ok)
	assert.Zero(t, g)
	assert.Zero(t, nilRes.DamageCount())
	assert.Nil(t, nilRes.Damages())
	assert.Empty(t, nilRes.DamagesByComponent())
	assert.Empty(t, nilRes.DamagesByGroup())
	assert.Empty(t, nilRes.WorstDamagePerComponent())
	_, ok = nilRes.PhotoFor(pave.Damage{PhotoCode: 4})
	assert.False(t, ok)
	assert.Equal(t, pave.ResultsSummary{WorstByComponent: map[string]pave.Damage{}}, nilRes.Summary())

	// Built in code (e.g. by a test double), without a raw document.
	r := &pave.Results{
		Photos: []pave.Photo{{PhotoCode: pave.PhotoFront, URL: "https://x.example/5.jpg"}},
		Inspection: &pave.Inspection{Grade: 5, Damages: []pave.Damage{
			{Component: "BUMPER_FRONT_UNIQUE", GradeScore: 1, PhotoCode: pave.PhotoFront},
		}},
	}
	s := r.Summary()
	assert.Equal(t, 5, s.Grade)
	assert.Equal(t, "Excellent condition", s.GradeLabel)
	assert.Equal(t, 1, s.DamageCount)
	p, ok := r.PhotoFor(r.Inspection.Damages[0])
	require.True(t, ok)
	assert.Equal(t, "https://x.example/5.jpg", p.URL)
	out, err := json.Marshal(r)
	require.NoError(t, err)
	assert.JSONEq(t, `{"session": {"session_key": "", "active": false}, "vehicle": {},
		"photos": [{"photo_code": 5, "url": "https://x.example/5.jpg", "approved": false}],
		"inspection": {"grade": 5, "damages": [{"component": "BUMPER_FRONT_UNIQUE", "grade_score": 1, "photo_code": 5}]}}`, string(out))
}

func TestDamagePhotoUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want *pave.DamagePhoto
	}{
		{`{"code": "04", "url": "https://x.example/4.jpg"}`, &pave.DamagePhoto{Code: 4, URL: "https://x.example/4.jpg"}},
		{`{"code": 13}`, &pave.DamagePhoto{Code: 13}},
		{`{"code": "front"}`, &pave.DamagePhoto{}},
		{`"https://x.example/4.jpg"`, &pave.DamagePhoto{URL: "https://x.example/4.jpg"}},
		{`7`, &pave.DamagePhoto{Code: 7}},
		{`[1]`, &pave.DamagePhoto{}},
		{`true`, &pave.DamagePhoto{}},
		{`null`, nil},
	}
	for _, tt := range tests {
		var d struct {
			Photo *pave.DamagePhoto `json:"photo"`
		}
		require.NoError(t, json.Unmarshal([]byte(`{"photo": `+tt.in+`}`), &d), tt.in)
		assert.Equal(t, tt.want, d.Photo, tt.in)
	}
	p := pave.DamagePhoto{Code: 3}
	require.NoError(t, p.UnmarshalJSON([]byte("null")))
	assert.Equal(t, pave.DamagePhoto{Code: 3}, p, "null leaves the value alone")
	assert.Error(t, p.UnmarshalJSON(nil))
}

func FuzzResultsSummary(f *testing.F) {
	for _, name := range []string{"fake_server.json", "legacy.json", "unknown.json", "lenient.json"} {
		f.Add(fixture(f, "results/"+name))
	}
	for _, s := range []string{
		`{}`, `{"inspection": {"grading": {"grade": "5"}}}`, `{"grade": 3, "inspection": {"damages": [{"photo": "u"}]}}`,
		`{"photos": [{"photo_code": "x"}], "inspection": {"detected_damages": [{"photo": {"code": 1e99}}]}}`,
		`{"inspection": {"damage_count": "1,000", "damages": [1, {"grade_score": "2"}, null]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r pave.Results
		if err := json.Unmarshal(b, &r); err != nil {
			if _, err2 := pave.DecodeResults(append([]byte(nil), b...)); err2 == nil {
				t.Fatal("pave.DecodeResults accepts what json.Unmarshal refuses")
			}
			return
		}
		owned, err := pave.DecodeResults(append([]byte(nil), b...))
		if err != nil {
			t.Fatalf("pave.DecodeResults refuses what json.Unmarshal accepts: %v", err)
		}
		s := r.Summary()
		if !reflect.DeepEqual(s, owned.Summary()) {
			t.Fatal("summaries differ between the decoders")
		}
		g, ok := r.Grade()
		// Every grade from 0 to 5 is read and worded; no grade, no label.
		if (ok && (g < pave.GradeVeryPoor || g > pave.GradeExcellent)) || ok != (s.GradeLabel != "") || ok != s.Graded {
			t.Fatalf("grade %d ok=%v label %q", g, ok, s.GradeLabel)
		}
		damages := r.Damages()
		if s.DamageCount < len(damages) {
			t.Fatalf("DamageCount %d < %d damages", s.DamageCount, len(damages))
		}
		n := 0
		byComp := r.DamagesByComponent()
		for comp, list := range byComp {
			n += len(list)
			worst, ok := s.WorstByComponent[comp]
			if !ok {
				t.Fatalf("no worst damage for %q", comp)
			}
			for _, d := range list {
				if d.MoreSevere(worst) {
					t.Fatalf("%+v is worse than the worst %+v", d, worst)
				}
			}
		}
		if n != len(damages) || len(byComp) != len(s.WorstByComponent) {
			t.Fatal("grouping lost damages")
		}
		groups := 0
		for _, list := range r.DamagesByGroup() {
			groups += len(list)
		}
		if groups != len(damages) {
			t.Fatal("grouping by damage group lost damages")
		}
		for _, d := range damages {
			if p, ok := r.PhotoFor(d); ok && p.URL == "" && p.PhotoCode == 0 {
				t.Fatalf("empty photo found for %+v", d)
			}
		}
		if string(r.Raw()) != string(bytes.Trim(b, " \t\r\n")) {
			t.Fatal("raw document not kept")
		}
	})
}

// benchResultsDoc is a results document with 13 photos and 200 damages.
func benchResultsDoc() []byte {
	var b strings.Builder
	b.WriteString(`{"event":"SESSION:COMPLETE","session":{"session_key":"BEN-7Q2M9XK4TB","theme":"LITE","active":true,"status":"COMPLETE",` +
		`"created_at":"2024-03-15T09:30:01+00:00","updated_at":"2024-03-15T10:12:30+00:00","language":"EN"},` +
		`"vehicle":{"id":50211,"vin":"1HGCV1F39LA012345","year":2020,"make":"Honda","model":"Accord","odom_reading":41250,"odom_unit":"KILOMETRES"},"photos":[`)
	for i := 1; i <= 13; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"photo_code":%d,"photo_label":"%s","url":"https://images-cdn.paveapi.com/b/BEN-7Q2M9XK4TB/BEN-7Q2M9XK4TB_%02d.jpg",`+
			`"approved":true,"approved_message":"ACCEPTED","created_at":"2024-03-15T10:02:11+00:00"}`, i, pave.PhotoCode(i).Label(), i)
	}
	b.WriteString(`],"location":{"latitude":43.65,"longitude":-79.38,"address":"Toronto, ON"},"inspection":{"grade":4,"damage_count":200,"damages":[`)
	for i := range 200 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"damage_group":"BODY","component":"DOOR_REAR_LEFT","damage_name":"SCRAPED_MEDIUM","description":"Scraped",`+
			`"repair_method":"Refinish","grade_score":%d,"photo_code":%d}`, i%4, i%13+1)
	}
	b.WriteString(`]}}`)
	return []byte(b.String())
}

func BenchmarkResultsSummary(b *testing.B) {
	r, err := pave.DecodeResults(benchResultsDoc())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Summary()
	}
}
