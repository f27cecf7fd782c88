package pavetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
)

func TestGenerateResultsDeterministic(t *testing.T) {
	t.Parallel()
	a := GenerateResults(1, "LKH-7Q2M9XK4TB", GenerateOptions{})
	b := GenerateResults(1, "LKH-7Q2M9XK4TB", GenerateOptions{})
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, GenerateResults(2, "LKH-7Q2M9XK4TB", GenerateOptions{}))
	assert.NotEqual(t, a, GenerateResults(1, "LKH-7Q2M9XK4TC", GenerateOptions{}))
	assert.Equal(t, GenerateResults(3, "", GenerateOptions{}), GenerateResults(3, "", GenerateOptions{}))
}

func TestGenerateResultsShape(t *testing.T) {
	t.Parallel()
	created := time.Date(2024, 3, 15, 9, 30, 1, 0, time.UTC)
	doc := GenerateResults(9, "LKH-7Q2M9XK4TB", GenerateOptions{
		Damages: 200, Theme: pave.ThemeLite, Username: "LakesideHonda", APIName: "Website trade-in",
		RedirectURL: "https://dealer.example.com/done", ClientID: "LEAD-88127",
		Contact:   &pave.Contact{FirstName: "Maria", LastName: "Lopez"},
		Reference: map[string]any{"crm_lead": "Q-4471"},
		Vehicle:   &pave.Vehicle{Make: "Honda", Model: "Accord"},
		CreatedAt: created,
	})
	var m map[string]any
	require.NoError(t, json.Unmarshal(doc, &m))
	assert.Equal(t, "SESSION:COMPLETE", m["event"])
	for _, k := range []string{"session", "vehicle", "photos", "location", "inspection"} {
		assert.Contains(t, m, k)
	}
	sess := m["session"].(map[string]any)
	for _, k := range []string{"capture_duration", "inspect_duration", "options", "user_account", "source", "inspect_started_at"} {
		assert.Contains(t, sess, k)
	}
	assert.Equal(t, "2024-03-15T09:30:01+00:00", sess["created_at"])
	assert.Equal(t, map[string]any{"type": "api", "properties": map[string]any{"api_name": "Website trade-in"}}, sess["source"])
	user := sess["user_account"].(map[string]any)
	assert.Equal(t, "LakesideHonda", user["username"])
	assert.Regexp(t, `@lakesidehonda\.example\.com$`, user["email"])
	assert.Contains(t, user, "phone")
	veh := m["vehicle"].(map[string]any)
	for _, k := range []string{"id", "session_key", "vin", "vrm", "year", "make", "model", "body_type", "trim", "transmission", "drivetrain", "odom_reading", "odom_unit"} {
		assert.Contains(t, veh, k)
	}
	assert.Nil(t, veh["vrm"])
	assert.Equal(t, "Honda", veh["make"])
	assert.Equal(t, "Accord", veh["model"])

	var res pave.Results
	require.NoError(t, json.Unmarshal(doc, &res))
	assert.Equal(t, pave.ThemeLite, res.Session.Theme)
	assert.Equal(t, "LEAD-88127", res.Session.ClientID)
	assert.Equal(t, "Maria", res.Session.Contact.FirstName)
	assert.True(t, validVINCheckDigit(res.Vehicle.VIN), res.Vehicle.VIN)
	require.Len(t, res.Photos, 13)
	for i, p := range res.Photos {
		assert.Equal(t, pave.PhotoCode(i+1), p.PhotoCode)
		assert.Equal(t, p.PhotoCode.Label(), p.PhotoLabel)
		assert.Regexp(t, `^https://images-cdn\.paveapi\.com/LKH/LKH-7Q2M9XK4TB/LKH-7Q2M9XK4TB_\d\d_[A-Z0-9]{3}\.jpg$`, p.URL)
		assert.True(t, p.Approved)
	}
	require.NotNil(t, res.Location)
	assert.NotEmpty(t, res.Location.Address)
	require.NotNil(t, res.Inspection)
	require.Len(t, res.Inspection.Damages, 200)
	assert.EqualValues(t, 200, res.Inspection.DamageCount)
	assert.EqualValues(t, 1, res.Inspection.Grade, "200 damages grade as poor")
	groups := map[string]bool{"BODY": true, "PART": true, "WHEEL": true, "GLASS": true, "TIRE": true}
	for _, d := range res.Inspection.Damages {
		assert.True(t, groups[d.DamageGroup], d.DamageGroup)
		assert.NotEmpty(t, d.Component)
		assert.NotEmpty(t, d.DamageName)
		assert.NotEmpty(t, d.RepairMethod)
		assert.Contains(t, []pave.Int{0, 1, 3, 4}, d.GradeScore)
		assert.NotEmpty(t, d.PhotoCode.Label())
	}

	none := GenerateResults(9, "LKH-7Q2M9XK4TB", GenerateOptions{Damages: -1})
	require.NoError(t, json.Unmarshal(none, &res))
	assert.Empty(t, res.Inspection.Damages)
	assert.EqualValues(t, 5, res.Inspection.Grade)
}

func TestVINCheckDigit(t *testing.T) {
	t.Parallel()
	// A widely published valid VIN.
	assert.True(t, validVINCheckDigit("1HGCM82633A004352"))
	assert.False(t, validVINCheckDigit("1HGCM82643A004352"))
	assert.False(t, validVINCheckDigit("1HGCM82633A00435"))
	assert.False(t, validVINCheckDigit("1HGCM8263OA004352"))
	for seed := range int64(200) {
		v := generateVehicle(newRand(seed, "vin"), "")
		assert.True(t, validVINCheckDigit(v.VIN), v.VIN)
		ok, reason := pave.ValidateVIN(v.VIN)
		assert.True(t, ok, reason)
		assert.GreaterOrEqual(t, v.Year, int64(2012))
	}
}

// A VIN the integrator sent decides the make and year, as a real decode.
func TestGenerateVehicleAgreesWithKnownVIN(t *testing.T) {
	t.Parallel()
	for seed := range int64(50) {
		v := generateVehicle(newRand(seed, "vin"), "1HGCV1F39LA012345")
		assert.Equal(t, "Honda", v.Make)
		assert.Equal(t, pave.Int(2020), v.Year)
		w := generateVehicle(newRand(seed, "vin"), "WBA8E9G51GNT12345")
		assert.Equal(t, "BMW", w.Make)
		assert.Equal(t, pave.Int(2016), w.Year)
	}
	// An unknown manufacturer code keeps a random catalogue entry.
	v := generateVehicle(newRand(1, "vin"), "ZZZ8E9G51GNT12345")
	assert.NotEmpty(t, v.Make)
}

func BenchmarkGenerateResults(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = GenerateResults(1, "LKH-7Q2M9XK4TB", GenerateOptions{Damages: 200})
	}
}

// validVINCheckDigit reports whether vin is 17 VIN characters with a
// correct check digit.
func validVINCheckDigit(vin string) bool {
	if len(vin) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		if !strings.ContainsRune(vinAlphabet, rune(vin[i])) {
			return false
		}
	}
	return vin[8] == vinCheckDigit(vin)
}
