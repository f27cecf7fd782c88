package openapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestYAMLScalars pins how each kind of string is written: plain only when
// YAML cannot read it as anything else. (openapi/validate reads the whole
// document back with a YAML library and compares it with the JSON.)
func TestYAMLScalars(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   any
		want string
	}{
		{"Session", "v: Session\n"},
		{"Sedan 4 Dr.", "v: Sedan 4 Dr.\n"},
		{"/v1/sessions", "v: /v1/sessions\n"},
		{"$ref", "v: $ref\n"},
		{"true", "v: \"true\"\n"},
		{"No", "v: \"No\"\n"},
		{"null", "v: \"null\"\n"},
		{"2018", "v: \"2018\"\n"},
		{"0.1.0-dev", "v: \"0.1.0-dev\"\n"},
		{"SESSION:COMPLETE", "v: \"SESSION:COMPLETE\"\n"},
		{"a: b", "v: \"a: b\"\n"},
		{"#/components/schemas/X", "v: \"#/components/schemas/X\"\n"},
		{"-1", "v: \"-1\"\n"},
		{"trailing ", "v: \"trailing \"\n"},
		{"", "v: \"\"\n"},
		{"tab\there", "v: \"tab\\there\"\n"},
		{"line\u2028sep", "v: \"line\\u2028sep\"\n"},
		{"two\nlines", "v: |-\n  two\n  lines\n"},
		{"para\n\nnext", "v: |-\n  para\n\n  next\n"},
		{" indented\nsecond", "v: \" indented\\nsecond\"\n"},
		{"ends\n", "v: \"ends\\n\"\n"},
		{json.Number("41250"), "v: 41250\n"},
		{json.Number("640.5"), "v: 640.5\n"},
		{nil, "v: null\n"},
		{true, "v: true\n"},
		{object(), "v: {}\n"},
		{[]any{}, "v: []\n"},
		{[]any{"a", "b,c", "SESSION:X"}, "v: [a, \"b,c\", \"SESSION:X\"]\n"},
		{[]any{object("k", "v")}, "v:\n  - k: v\n"},
		{object("a", object("b", []any{1, 2})), "v:\n  a:\n    b: [1, 2]\n"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		writeYAML(&b, &obj{keys: []string{"v"}, vals: map[string]any{"v": c.in}}) // set would skip ""
		assert.Equal(t, c.want, b.String(), "%#v", c.in)
	}
}

func TestJSONKeepsOrderAndText(t *testing.T) {
	t.Parallel()
	in := `{"z": 1, "a": [true, null, 2.50, "x\"y\\u0001\u2028"], "m": {}}`
	v, err := decodeOrdered([]byte(in))
	require.NoError(t, err)
	var b bytes.Buffer
	writeJSON(&b, v)
	assert.Equal(t, `{"z":1,"a":[true,null,2.50,"x\"y\\u0001\u2028"],"m":{}}`, b.String())
	assert.True(t, json.Valid(b.Bytes()))
}

func TestDecodeOrderedRejectsBadJSON(t *testing.T) {
	t.Parallel()
	for _, in := range []string{``, `{`, `{"a": 1} {}`, `{"a": }`, `[1,]`} {
		_, err := decodeOrdered([]byte(in))
		assert.Error(t, err, in)
	}
}

func TestObjSetSkipsEmptyParts(t *testing.T) {
	t.Parallel()
	var none *obj
	var nilList []any
	o := object("a", "", "b", none, "c", nilList, "d", []any{}, "e", "x")
	assert.Equal(t, []string{"d", "e"}, o.keys)
	o.set("d", "y").del("nope")
	o.del("e")
	assert.Equal(t, []string{"d"}, o.keys)
	assert.Equal(t, "y", o.get("d"))
}
