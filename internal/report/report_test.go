package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	var res pave.Results
	require.NoError(t, json.Unmarshal([]byte(`{"session": {"session_key": "RPT-1"},
		"vehicle": {"vin": "1HGCV1F39LA012345", "year": 2020, "make": "Honda", "model": "Accord"},
		"inspection": {"grade": 4, "damages": [
			{"component": "DOOR_REAR_LEFT", "damage_name": "SCRAPED_MINOR", "description": "Scraped", "repair_method": "Refinish", "grade_score": 1},
			{"component": "DOOR_REAR_LEFT", "damage_name": "DENTED_MAJOR", "repair_method": "Replace", "grade_score": 4},
			{"component": "BUMPER_FRONT_UNIQUE", "grade_score": 1}]}}`), &res))
	var buf bytes.Buffer
	Write(&buf, &res)
	assert.Equal(t, `Condition report for session RPT-1
  Vehicle:  2020 Honda Accord
  VIN:      1HGCV1F39LA012345
  Grade:    4/5, Very good condition
  Damages:  3

  COMPONENT            N  REPAIR   WORST DAMAGE
  BUMPER_FRONT_UNIQUE  1  -        -
  DOOR_REAR_LEFT       2  Replace  DENTED_MAJOR
`, buf.String())

	buf.Reset()
	Write(&buf, &pave.Results{})
	assert.Equal(t, "Condition report for session \n  Vehicle:  -\n  VIN:      -\n  Grade:    not reported\n  Damages:  0\n", buf.String())
}

func TestNames(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "Scraped", DamageName("Scraped", "SCRAPED_MINOR"))
	assert.Equal(t, "SCRAPED_MINOR", DamageName("", "SCRAPED_MINOR"))
	assert.Equal(t, "Has Medium Dent - T...", cut("Has Medium Dent - Through Paint", 22))
	assert.Equal(t, "short", cut("short", 22))
	assert.Equal(t, "Scraped", DamageName("Scraped", ""))
	assert.Equal(t, "-", DamageName("", ""))
	assert.Equal(t, "2019 Tesla Model 3 LR", VehicleName(pave.Vehicle{Year: 2019, Make: "Tesla", Model: "Model 3", Trim: "LR"}))
	assert.Equal(t, "x", Dash("x"))
}

// TestWriteFitsATerminal: whatever the damages, no line passes Width.
func TestWriteFitsATerminal(t *testing.T) {
	t.Parallel()
	var res pave.Results
	require.NoError(t, json.Unmarshal([]byte(`{"session": {"session_key": "RPT-2"}, "inspection": {"damages": [
		{"component": "TRIM_REAR_WINDOW_BOTTOM_RIGHT", "description": "Has Medium Dent - Through Paint, with a long tail",
		 "repair_method": "Repair & Refinish", "grade_score": 3}]}}`), &res))
	var buf bytes.Buffer
	Write(&buf, &res)
	for _, line := range strings.Split(buf.String(), "\n") {
		assert.LessOrEqual(t, len([]rune(line)), Width, line)
	}
	assert.Contains(t, buf.String(), "Has Medium Dent")
}
