package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSanitize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"COMPLETE", "COMPLETE"},
		{"Kühlergrill 🚗", "Kühlergrill 🚗"},
		{"\x1b]52;c;cHduZWQ=\x07", "^[]52;c;cHduZWQ=^G"},
		{"\x1b[2J", "^[[2J"},
		{"\u009b2J", "^[2J"},
		{"\u009d0;title\u009c", "^]0;title^\\"},
		{"a\rb\x7f", "a^Mb^?"},
		{"\x00\x1f", "^@^_"},
		{"two\nlines\tand\va tab", "two lines and a tab"},
		{"evil\u202egnp.exe", "evil<U+202E>gnp.exe"},
		{"\u2066x\u2069\u200f", "<U+2066>x<U+2069><U+200F>"},
		{"bad \xff\x9b byte", "bad \ufffd\ufffd byte"},
		{"", ""},
	} {
		assert.Equal(t, tc.want, Sanitize(tc.in), "%q", tc.in)
	}
	assert.Equal(t, "keep\nlines\tand ^[", sanitize("keep\nlines\tand \x1b", true))
}

func TestEscapeJSON(t *testing.T) {
	t.Parallel()
	in := []byte("{\"s\": \"a\u009bb\u202ec\x7f\"}")
	out := escapeJSON(in)
	assert.Equal(t, `{"s": "a\u009bb\u202ec\u007f"}`, string(out))
	var a, b map[string]string
	require.NoError(t, json.Unmarshal(in, &a))
	require.NoError(t, json.Unmarshal(out, &b))
	assert.Equal(t, a, b, "the value is kept")
	plain := []byte(`{"s": "ok"}`)
	assert.Equal(t, plain, escapeJSON(plain))
}

type stringer string

func (s stringer) String() string { return string(s) }

type code int

func (c code) String() string { return "code" }

func TestPrinter(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	p := New(&out, &errOut)
	assert.False(t, p.IsTerminal())
	p.Printf("%s %v %s %02d %q\n", "a\x1bb", errors.New("e\x07"), stringer("s\u009b"), code(7), "q\nq")
	assert.Equal(t, "a^[b e^G s^[ 07 \"q q\"\n", out.String())
	p.Notef("pave: cannot reach %s", "h\x1b")
	assert.Equal(t, "pave: cannot reach h^[\n", errOut.String())
	out.Reset()
	p.Text("report\n\x1b[2Jline\n")
	assert.Equal(t, "report\n^[[2Jline\n", out.String())
	out.Reset()
	p.Status("hidden")
	p.ClearStatus()
	assert.Empty(t, out.String(), "no status line off a terminal")

	out.Reset()
	require.NoError(t, p.Raw(json.RawMessage(`{"b":1,"a":"x\u001b\u009b"}`), nil))
	assert.Equal(t, "{\n  \"b\": 1,\n  \"a\": \"x\\u001b\\u009b\"\n}\n", out.String(), "raw JSON keeps its order")
	out.Reset()
	require.NoError(t, p.Raw(nil, map[string]string{"u": "https://x/?a=1&b=2"}))
	assert.Equal(t, "{\n  \"u\": \"https://x/?a=1&b=2\"\n}\n", out.String())
	out.Reset()
	p.JSON = true
	self := func(r json.RawMessage) json.RawMessage { return r }
	require.NoError(t, List(p, []json.RawMessage{[]byte(`{"a":1}`), []byte(`{"a":2}`)}, nil, self, "", nil, nil))
	assert.JSONEq(t, `[{"a":1},{"a":2}]`, out.String())
	out.Reset()
	require.NoError(t, List(p, []json.RawMessage{[]byte(`{"a":1}`), nil}, []int{1, 2}, self, "", nil, nil))
	assert.Equal(t, "[\n  1,\n  2\n]\n", out.String(), "a list with an object without raw form")
	p.JSON = false
	out.Reset()
	require.NoError(t, p.JSONLine(map[string]string{"e": "\u009b"}))
	assert.Equal(t, "{\"e\":\"\\u009b\"}\n", out.String())

	out.Reset()
	called := false
	p.JSON = true
	require.NoError(t, p.Result([]byte(`{"a":1}`), nil, func() { called = true }))
	assert.False(t, called)
	assert.Equal(t, "{\n  \"a\": 1\n}\n", out.String())
}

func TestTable(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := New(&out, &out)
	tb := p.Table("LABEL", "DAMAGE")
	tb.Row("Front", "Scratch\x1b[2J")
	tb.Row("Rear_Left", 3)
	tb.Print()
	assert.Equal(t, "LABEL      DAMAGE\nFront      Scratch^[[2J\nRear_Left  3\n", out.String())

	out.Reset()
	tb = p.Table("A", "B", "C").Fit(20)
	tb.Row("short", strings.Repeat("x", 30), "end")
	tb.Print()
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		assert.LessOrEqual(t, len([]rune(l)), 20, "%q", l)
	}
	assert.Contains(t, out.String(), "x…")
	assert.Contains(t, out.String(), "end")
}

func TestList(t *testing.T) {
	t.Parallel()
	type item struct{ Raw, Name string }
	raw := func(it item) json.RawMessage { return json.RawMessage(it.Raw) }
	cells := func(it item) []any { return []any{it.Name} }
	for _, tc := range []struct {
		name  string
		json  bool
		items []item
		raw   func(item) json.RawMessage
		want  string
	}{
		{"table", false, []item{{`{}`, "a\x1b"}, {`{}`, "b"}}, raw, "NAME\na^[\nb\n"},
		{"none", false, nil, raw, "nothing\n"},
		{"raw JSON", true, []item{{`{"n":1}`, "a"}}, raw, "[\n  {\n    \"n\": 1\n  }\n]\n"},
		{"no raw form", true, []item{{``, "a"}}, raw, "[\n  \"v\"\n]\n"},
		{"no raw function", true, []item{{`{"n":1}`, "a"}}, nil, "[\n  \"v\"\n]\n"},
		{"empty JSON", true, nil, raw, "[]\n"},
	} {
		var out bytes.Buffer
		p := New(&out, &out)
		p.JSON = tc.json
		require.NoError(t, List(p, tc.items, []string{"v"}, tc.raw, "nothing", []string{"NAME"}, cells), tc.name)
		assert.Equal(t, tc.want, out.String(), tc.name)
	}
}
