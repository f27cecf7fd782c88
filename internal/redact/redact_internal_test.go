package redact

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

const secret = "sk/<SECRET>&9f86d081884c"

func TestTextRedactsEveryForm(t *testing.T) {
	t.Parallel()
	r := New(secret)
	b := []byte(secret)
	forms := []string{secret, strings.ToUpper(secret), strings.ToLower(secret), url.QueryEscape(secret),
		url.PathEscape(secret), base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b), hex.EncodeToString(b),
		strings.ToUpper(hex.EncodeToString(b))}
	for _, f := range forms {
		got := r.Text("before " + f + " after")
		assert.Equal(t, "before "+Marker+" after", got, "form %q", f)
	}
	assert.Equal(t, "a "+Marker+" b "+Marker, r.Text("a "+secret+" b "+secret), "every occurrence")
	assert.Equal(t, "x "+Marker, r.Text("x tok-123", "tok-123"), "extra secrets")
	assert.Equal(t, "nothing here", r.Text("nothing here"))
	assert.Equal(t, "", r.Text(""))
}

func TestShortSecretsAreRedactedFromDiagnosticsOnly(t *testing.T) {
	t.Parallel()
	r := New("k9Zq")
	assert.Equal(t, "code "+Marker, r.Text("code K9ZQ"), "every length, any case, in diagnostics")
	data := []byte(`{"v": "k9Zq"}`)
	assert.Equal(t, string(data), string(r.SuccessData(data, nil)), "short secrets are left in data")
}

func TestBodyRedactsEscapedJSON(t *testing.T) {
	t.Parallel()
	r := New(secret)
	escaped, _ := json.Marshal(map[string]string{"message": "bad " + secret})
	assert.Contains(t, string(escaped), `\u003c`, "Go escapes <>&: the raw bytes hide the secret")
	got := r.Body(escaped)
	assert.NotContains(t, string(got), "SECRET")
	assert.True(t, json.Valid(got))
	var m map[string]string
	assert.NoError(t, json.Unmarshal(got, &m))
	assert.Equal(t, "bad "+Marker, m["message"])

	var uni strings.Builder
	for _, c := range secret {
		fmt.Fprintf(&uni, `\u%04x`, c)
	}
	got = r.Body([]byte(`{"` + uni.String() + `": ["` + strings.ReplaceAll(secret, "/", `\/`) + `"]}`))
	assert.NotContains(t, string(got), "SECRET")
	assert.Contains(t, string(got), Marker)

	plain := []byte(`<html>` + secret + `</html>`)
	assert.Equal(t, "<html>"+Marker+"</html>", string(r.Body(plain)))
	clean := []byte(`{"message": "fine \n"}`)
	assert.Equal(t, string(clean), string(r.Body(clean)), "a body without a secret is kept as it is")
	assert.Nil(t, r.Body(nil))
}

func TestSuccessData(t *testing.T) {
	t.Parallel()
	r := New(secret, "short")
	token := strings.Repeat("ab", 32)
	body := []byte(`{"a": "` + secret + `", "b": "` + strings.ToUpper(token) + `", "c": "short"}`)
	got := string(r.SuccessData(body, []string{token}))
	assert.NotContains(t, got, "SECRET")
	assert.NotContains(t, got, strings.ToUpper(token))
	assert.Contains(t, got, `"short"`)
	genuine := []byte(`{"session_key": "NSA-7K2D5MZ8WP"}`)
	assert.Equal(t, &genuine[0], &r.SuccessData(genuine, []string{token})[0], "no copy without a match")
}

func TestZeroRedactor(t *testing.T) {
	t.Parallel()
	var r Redactor
	assert.Equal(t, "x", r.Text("x"))
	assert.Equal(t, "x "+Marker, r.Text("x y", "y"))
	assert.Equal(t, "b", string(r.Body([]byte("b"))))
	assert.Equal(t, "d", string(r.SuccessData([]byte("d"), nil)))
}

type printed struct{}

func (printed) Format(f fmt.State, verb rune) { Print(f, verb, "safe form") }

func TestPrint(t *testing.T) {
	t.Parallel()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d"} {
		assert.Equal(t, "safe form", fmt.Sprintf(verb, printed{}), verb)
	}
	assert.Equal(t, `"safe form"`, fmt.Sprintf("%q", printed{}))
	assert.Equal(t, Marker, Mark("x"))
	assert.Equal(t, `""`, Mark(""))
}

func TestURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://openapi.paveapi.com/v1":          "https://openapi.paveapi.com/v1",
		"https://svc:pw@host/x":                   "https://" + Marker + "@host/x",
		"https://svc:pw@[::1":                     "https://" + Marker + "@[::1",
		"https://svc:p@w@host/%zz":                "https://" + Marker + "@host/%zz",
		"https://host/path@not-user-info?":        "https://host/path@not-user-info?",
		"svc:hunter2@openapi.paveapi.com":         "svc:" + Marker + "@openapi.paveapi.com",
		"https:svc:hunter2@openapi.paveapi.com/x": "https:" + Marker + "@openapi.paveapi.com/x",
		"hunter2@host":                            Marker + "@host",
		"https://h/p?token=abc&event=SESSION:COMPLETE&flag": "https://h/p?token=" + Marker +
			"&event=SESSION:COMPLETE&" + Marker,
		"https://h/p#frag": "https://h/p#" + Marker,
		"https://h/p#":     "https://h/p#",
		"":                 "",
		"\xff@h":           Marker + "@h",
	} {
		assert.Equal(t, want, URL(in), in)
	}
	assert.Equal(t, Marker, URL("https://h/\xff"), "invalid UTF-8 is hidden whole")
}

func TestCallbackRule(t *testing.T) {
	t.Parallel()
	h := map[string]string{"Authorization": "Bearer tok-0123456789abcdef", "x-pave-event": "SESSION:COMPLETE",
		"X-Other": "SESSION:COMPLETE"}
	p := map[string]any{"event": "SESSION:COMPLETE", "dealer": "d-17", "n": 3.0}
	assert.Equal(t, map[string]string{"Authorization": Marker, "x-pave-event": "SESSION:COMPLETE", "X-Other": Marker},
		Headers(h))
	assert.Equal(t, map[string]any{"event": "SESSION:COMPLETE", "dealer": Marker, "n": Marker}, Payload(p))
	assert.Nil(t, Headers(nil))
	assert.Nil(t, Payload(nil))

	got := CallbackSecrets("SESSION:COMPLETE", h, p, "https://u:pw@h/x?k=qv&event=SESSION:COMPLETE#fr")
	assert.ElementsMatch(t, []string{"Bearer tok-0123456789abcdef", "tok-0123456789abcdef", "d-17", "qv", "pw", "fr"}, got,
		"the event name is public wherever it appears")

	js := string(CallbackJSON([]byte(`{"event":"SESSION:COMPLETE","url":"https://h/x?k=v",` +
		`"headers":{"Authorization":"Bearer s","X-Pave-Event":"SESSION:COMPLETE"},"payload":"{\"event\":\"E\",\"a\":1}"}`)))
	assert.JSONEq(t, `{"event":"SESSION:COMPLETE","url":"https://h/x?k=`+Marker+`",`+
		`"headers":{"Authorization":"`+Marker+`","X-Pave-Event":"SESSION:COMPLETE"},`+
		`"payload":"{\"a\":\"`+Marker+`\",\"event\":\"E\"}"}`, js)
	assert.Equal(t, `"`+Marker+`"`, string(CallbackJSON([]byte(`[1]`))))
	assert.JSONEq(t, `{"headers":"`+Marker+`"}`, string(CallbackJSON([]byte(`{"headers":"not json"}`))))
}
