package wire

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTrimNullObject(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"", " ", "null", " null\n", "\tnull"} {
		assert.True(t, IsNull([]byte(raw)), "%q", raw)
	}
	for _, raw := range []string{`""`, "0", "{}", "[]", "nul", "\vnull"} {
		assert.False(t, IsNull([]byte(raw)), "%q", raw)
	}
	assert.Equal(t, "\v{}", string(Trim([]byte(" \v{} \n"))), "\\v is not JSON white space")
	assert.True(t, IsObject([]byte(" {}")))
	assert.False(t, IsObject([]byte(`"{}"`)))
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`"plain"`:          "plain",
		`"with \"quote\""`: `with "quote"`,
		`"\u0041"`:         "A",
		`null`:             "",
		``:                 "",
		`42`:               "42",
		`true`:             "true",
		`{ "a" : [1, 2] }`: `{"a":[1,2]}`,
		`"broken`:          "",
	}
	for in, want := range tests {
		assert.Equal(t, want, String([]byte(in)), in)
	}
	var s struct {
		V LooseString `json:"v"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"v": {"x": 1}}`), &s))
	assert.Equal(t, LooseString(`{"x":1}`), s.V)
}

func TestQuoted(t *testing.T) {
	t.Parallel()
	s, err := Quoted([]byte(`"fast path"`))
	require.NoError(t, err)
	assert.Equal(t, "fast path", s)
	s, err = Quoted([]byte(`"esc\naped"`))
	require.NoError(t, err)
	assert.Equal(t, "esc\naped", s)
	_, err = Quoted([]byte(`42`))
	assert.Error(t, err)
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "nothing", `"s"`: "a string", "{}": "an object", "[]": "a list",
		"true": "a boolean", "null": "null", "4": "a number"} {
		assert.Equal(t, want, Describe([]byte(in)), in)
	}
}

func TestInt(t *testing.T) {
	t.Parallel()
	good := map[string]int64{`41250`: 41250, `"41250"`: 41250, `"100,945"`: 100945, `"1 000"`: 1000, `"1_000"`: 1000,
		`41250.0`: 41250, `-7`: -7, `null`: 0, `""`: 0, `" "`: 0}
	for in, want := range good {
		n, err := Int([]byte(in))
		require.NoError(t, err, in)
		assert.Equal(t, want, n, in)
	}
	for _, in := range []string{`4.5`, `"x"`, `true`, `[]`, `{}`, `"\q"`, `1e300`} {
		_, err := Int([]byte(in))
		require.Error(t, err, in)
		assert.NotContains(t, err.Error(), strings.Trim(in, `"`)+" ", "values are described, not quoted")
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"2025-06-02T15:11:20.123456Z", "2025-06-02T15:11:20+00:00", "2025-06-02T15:11:20",
		"2025-06-02 15:11:20", "2025-06-02 15:11:20+02:00", "2025-06-02T15:11:20+0200", "2025-06-02"} {
		tm, err := ParseTime(in)
		require.NoError(t, err, in)
		assert.Equal(t, 2025, tm.Year(), in)
	}
	tm, _ := ParseTime("2025-06-02T15:11:20.123456Z")
	assert.Equal(t, 123456000, tm.Nanosecond())
	_, err := ParseTime("02/06/2025 secret-looking")
	require.ErrorContains(t, err, "unrecognised timestamp")
	assert.NotContains(t, err.Error(), "secret")
}

func TestElements(t *testing.T) {
	t.Parallel()
	assert.Len(t, Elements([]byte(` [1, {}, "x"] `)), 3)
	assert.Nil(t, Elements([]byte(`[1,`)))
	assert.Nil(t, Elements([]byte(`{"n": 1}`)))
}

func TestObject(t *testing.T) {
	t.Parallel()
	assert.Equal(t, `{"a":1}`, string(Object([]byte(` {"a":1}`))))
	assert.Equal(t, `{"a": 1}`, string(Object([]byte(`"{\"a\": 1}"`))), "an object held in a string")
	assert.Nil(t, Object([]byte(`"[1]"`)))
	assert.Nil(t, Object([]byte(`[1]`)))
	assert.Nil(t, Object([]byte(`"\q"`)))
}

func TestHeaderSyntax(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"Authorization", "X-Pave-Event", "x_y.z~!#$%&'*+^`|"} {
		assert.True(t, ValidHeaderName(ok), ok)
	}
	for _, bad := range []string{"", "Bad Header", "X:Y", "é", "A\nB"} {
		assert.False(t, ValidHeaderName(bad), bad)
	}
	assert.True(t, ValidHeaderValue("Bearer x\ty"))
	assert.False(t, ValidHeaderValue("a\r\nX-Evil: 1"))
	assert.False(t, ValidHeaderValue("a\x7f"))
}

func TestCheckSecret(t *testing.T) {
	t.Parallel()
	assert.Empty(t, CheckSecret("0123456789abcdef"))
	for in, want := range map[string]string{
		"":                     "empty",
		"short":                "shorter than 16",
		" 0123456789abcdef":    "leading or trailing",
		"0123456789abcdef\n":   "leading or trailing",
		"0123456789 abcdef":    "spaces or control",
		"0123456789\x00abcdef": "spaces or control",
	} {
		assert.Contains(t, CheckSecret(in), want, "%q", in)
	}
}

func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"41250", "100,945", "1 000 000", "-7", "41250.0", "4.5", "1e19", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseInt(s)
		if exact, perr := strconv.ParseInt(strings.Trim(s, " \t\r\n"), 10, 64); perr == nil && (err != nil || v != exact) {
			t.Fatalf("ParseInt(%q) = %d, %v; want %d", s, v, err, exact)
		}
		// Int of the string as a JSON string agrees (the way PAVE would
		// send it: quoted by JSON's rules, not Go's).
		quoted, jerr := json.Marshal(s)
		if jerr != nil {
			t.Fatal(jerr)
		}
		q, qerr := Int(quoted)
		if (err == nil) != (qerr == nil) || (err == nil && q != v) {
			t.Fatalf("ParseInt(%q) = %d, %v but Int of it quoted = %d, %v", s, v, err, q, qerr)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2025-06-02T15:11:20.123456Z", "2021-05-27T07:36:16+00:00", "2025-06-02", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTime(s)
		if err != nil || tm.Year() < 0 || tm.Year() > 9999 {
			return
		}
		back, err := ParseTime(tm.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(tm) {
			t.Fatalf("ParseTime(%q) = %v; its RFC 3339 form gives %v, %v", s, tm, back, err)
		}
	})
}
