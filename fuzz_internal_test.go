package pave

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/pave-go/pave/internal/redact"
)

// FuzzAPIError decodes arbitrary error bodies as the request pipeline does
// (newAPIError has no exported entry point, hence this internal test):
// decoding never panics, Error() stays one line, Is agrees with the status
// and the message, and redaction removes a secret from everything Error()
// and the fields show.
func FuzzAPIError(f *testing.F) {
	seeds := []struct {
		status int
		body   string
		secret string
	}{
		{400, `{"message": "The given data was invalid.", "errors": {"vehicle.vin": ["The vin must be 17 characters."]}}`, "sk-live-0123456789"},
		{401, `{"message": "Invalid API-Token."}`, "sk-live-0123456789"},
		{401, `{"message": "API-Token has expired."}`, "0123456789abcdef"},
		{404, `{"message": "Session NSA-7K2D5MZ8WP not found."}`, "abcdefgh"},
		{404, `{"message": "Session is not yet completed."}`, "abcdefgh"},
		{400, `{"message": "Session is not yet completed."}`, "abcdefgh"},
		{422, `{"errors": ["first", "second"]}`, "secret-secret"},
		{429, `{"message": "Too Many Attempts."}`, ""},
		{500, `{"error": "Server Error"}`, ""},
		{502, "<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>", ""},
		{503, ``, ""},
		{400, `{"message": "bad token sk-live-0123456789", "errors": {"sk-live-0123456789": "sk-live-0123456789"}}`, "sk-live-0123456789"},
		{400, `{"message": {"nested": ["x", 1, null]}, "errors": {"a": [{"b": 1}], "": "general", "c": null}}`, "nested"},
		{400, `{"message": "line one\nline two\r\n\ttab\u0000nul\u007f", "errors": {"field\nname": ["msg\nwith newline"]}}`, "linetwo"},
		{400, `{"errors": "just a string"}`, ""},
		{400, `{"errors": 42}`, ""},
		{400, `{"errors": {"a": []}}`, ""},
		{400, `{"message": null, "error": null, "errors": null}`, ""},
		{400, `{"message": "s\u0065cret-value"}`, "secret-value"},
		{400, `{"message": "x", "message": "duplicate"}`, ""},
		{400, `   {"message": "leading space"}   `, ""},
		{400, `{"message": "truncated`, ""},
		{400, `[{"message": "a list"}]`, ""},
		{0, `{}`, ""},
		{-1, `{}`, ""},
		{999, `{"message": "odd status"}`, ""},
		{200, `{"success": false, "message": "Session is not yet completed."}`, ""},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body), s.secret)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, secret string) {
		orig := append([]byte(nil), body...)
		e := newAPIError(status, body, false)
		if e.StatusCode != status || !reflect.DeepEqual(e.Body, body) || e.Truncated {
			t.Fatalf("status %d/%d or body not kept", e.StatusCode, status)
		}
		if string(body) != string(orig) {
			t.Fatal("the body was modified")
		}
		e.Method, e.Path, e.Attempts = http.MethodGet, "/v1/sessions/NSA-7K2D5MZ8WP", 2
		fzCheckOneLine(t, e.Error())

		// Is agrees with the status (and, for ErrNotReady, the message).
		want := map[error]bool{
			ErrNotFound:     status == http.StatusNotFound,
			ErrUnauthorized: status == http.StatusUnauthorized || status == http.StatusForbidden,
			ErrValidation:   status == http.StatusUnprocessableEntity || (status == http.StatusBadRequest && len(e.Errors) > 0),
			ErrNotReady:     status != http.StatusNotFound && strings.Contains(strings.ToLower(e.Message), "not yet completed"),
			ErrRateLimited:  status == http.StatusTooManyRequests,
			ErrServer:       status >= 500 && status <= 599,
		}
		for sentinel, ok := range want {
			if e.Is(sentinel) != ok || errors.Is(e, sentinel) != ok {
				t.Fatalf("Is(%v) = %v, want %v (status %d, message %q)", sentinel, e.Is(sentinel), ok, status, e.Message)
			}
		}
		if e.Is(ErrNotFound) && e.Is(ErrNotReady) {
			t.Fatal("both not found and not ready")
		}
		if e.Is(errors.New("other")) || e.Is(nil) {
			t.Fatal("Is matches a foreign error")
		}
		var target *APIError
		if !errors.As(error(e), &target) || target != e {
			t.Fatal("errors.As does not find the *APIError")
		}
		if !reflect.DeepEqual(FieldErrors(e), e.Errors) {
			t.Fatal("FieldErrors differs from Errors")
		}
		for k, msgs := range e.Errors {
			if len(msgs) == 0 {
				t.Fatalf("field %q has an empty message list", k)
			}
		}

		// Redaction: a secret shaped like a real one (API secret, hex
		// token) disappears from the message, the field errors, the
		// body and Error().
		if !fzSecretLike(secret) {
			return
		}
		e.scrub(redact.New(secret), nil)
		hide := func(s string) string { return strings.ReplaceAll(s, "[REDACTED]", "\x00") }
		if strings.Contains(hide(e.Message), secret) {
			t.Fatalf("message %q keeps the secret %q", e.Message, secret)
		}
		for k, msgs := range e.Errors {
			if strings.Contains(hide(k), secret) {
				t.Fatalf("field %q keeps the secret %q", k, secret)
			}
			for _, m := range msgs {
				if strings.Contains(hide(m), secret) {
					t.Fatalf("field message %q keeps the secret %q", m, secret)
				}
			}
		}
		if strings.Contains(hide(string(e.Body)), secret) {
			t.Fatalf("body keeps the secret %q", secret)
		}
		msg := e.Error()
		fzCheckOneLine(t, msg)
		// The fixed parts of Error() (prefix, path, status text) may
		// spell any word; look only at what came from the body.
		if i := strings.Index(msg, http.StatusText(status)); i >= 0 && status != 0 && http.StatusText(status) != "" {
			msg = msg[i+len(http.StatusText(status)):]
		} else {
			msg = strings.TrimPrefix(msg, "pave: GET /v1/sessions/NSA-7K2D5MZ8WP: ")
		}
		msg = strings.TrimSuffix(msg, " (after 2 attempts)")
		if strings.Contains(hide(msg), secret) {
			t.Fatalf("Error() %q keeps the secret %q", e.Error(), secret)
		}
	})
}

// fzCheckOneLine fails unless s is a single line without control
// characters.
func fzCheckOneLine(t *testing.T, s string) {
	t.Helper()
	if !strings.HasPrefix(s, "pave: ") {
		t.Fatalf("Error() %q lacks the pave: prefix", s)
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
		t.Fatalf("Error() %q has a control character at %d", s, i)
	}
}

// fzSecretLike reports whether s looks like a credential: at least 8
// letters, digits, '-' or '_' (the API secret and the hex API-Token are).
func fzSecretLike(s string) bool {
	if len(s) < 8 || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
