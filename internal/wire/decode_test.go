package wire

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type dInner struct {
	N int    `json:"n"`
	S string `json:"s"`
}

type dOuter struct {
	Key     string            `json:"key" wire:"strict"`
	Count   int               `json:"count"`
	Ratio   float64           `json:"ratio"`
	OK      bool              `json:"ok"`
	Name    string            `json:"name"`
	Inner   dInner            `json:"inner"`
	Ptr     *dInner           `json:"ptr"`
	List    []dInner          `json:"list"`
	Headers map[string]string `json:"headers"`
	Payload map[string]any    `json:"payload"`
	Coords  *dInner           `json:"coodrs" alt:"position,coords"`
	Skip    string            `json:"-"`
}

func TestDecodeCoercesWhatCanBeRead(t *testing.T) {
	t.Parallel()
	var d dOuter
	require.NoError(t, Decode([]byte(`{"key": "K", "count": "1,024", "ratio": "18.5%", "ok": "yes", "name": 42,
		"inner": "{\"n\": \"7\", \"s\": true}", "ptr": {"n": 3}, "list": [{"n": "1"}, 5, null, {"n": 0}, {"n": "x"}],
		"headers": "{\"Authorization\": \"Bearer t\", \"X-N\": 3, \"X-Null\": null}", "payload": {"a": [1]},
		"position": {"n": 9}, "Skip": "never"}`), &d))
	assert.Equal(t, dOuter{Key: "K", Count: 1024, Ratio: 18.5, OK: true, Name: "42", Inner: dInner{N: 7, S: "true"},
		Ptr: &dInner{N: 3}, List: []dInner{{N: 1}, {}, {}},
		Headers: map[string]string{"Authorization": "Bearer t", "X-N": "3"}, Payload: map[string]any{"a": []any{1.0}},
		Coords: &dInner{N: 9}}, d)
}

func TestDecodeFastPathAndErrors(t *testing.T) {
	t.Parallel()
	var d dInner
	require.NoError(t, Decode([]byte(`{"N": 5, "s": "x"}`), &d), "keys in any case, as encoding/json")
	assert.Equal(t, dInner{N: 5, S: "x"}, d)
	require.Error(t, Decode([]byte(`{"n": 5,`), &d), "not JSON: an error")
	var o dOuter
	require.Error(t, Decode([]byte(`{"key": {"not": "a string"}}`), &o), "a strict field decides")
	require.Error(t, Decode([]byte(`{"key": 1,`), &o), "not JSON, with alternatives")
	require.NoError(t, Decode([]byte(`{"key": "k", "coodrs": null, "coords": {"n": 2}}`), &o))
	assert.Equal(t, &dInner{N: 2}, o.Coords, "null falls back to the next name")
	require.NoError(t, Decode([]byte(`{"key": "k", "count": "many"}`), &o))
	assert.Equal(t, dOuter{Key: "k"}, o, "the lenient pass starts afresh")
}

func TestFloatBoolUnwrap(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]float64{`18.2`: 18.2, `"71.05"`: 71.05, `" 5 % "`: 5, `-1e2`: -100} {
		f, ok := Float([]byte(in))
		assert.True(t, ok, in)
		assert.Equal(t, want, f, in)
	}
	for _, in := range []string{`null`, `"NaN"`, `"x"`, `[]`, `"1e999"`} {
		_, ok := Float([]byte(in))
		assert.False(t, ok, in)
	}
	for in, want := range map[string]bool{`true`: true, `"1"`: true, `"Yes"`: true, `0`: false, `""`: false, `null`: false} {
		b, ok := Bool([]byte(in))
		assert.True(t, ok, in)
		assert.Equal(t, want, b, in)
	}
	_, ok := Bool([]byte(`"maybe"`))
	assert.False(t, ok)
	assert.JSONEq(t, `[1]`, string(Unwrap([]byte(`{"data": [1], "notes": [2]}`), "data", "notes")))
	assert.JSONEq(t, `[2]`, string(Unwrap([]byte(`{"data": null, "notes": [2]}`), "data", "notes")))
	assert.JSONEq(t, `{"x": 1}`, string(Unwrap([]byte(` {"x": 1} `), "data")))
	assert.JSONEq(t, `[3]`, string(Unwrap([]byte(`[3]`), "data")))
	assert.Equal(t, json.RawMessage(`{"a":1}`), Keep([]byte(" \n{\"a\":1}\t")))
}
