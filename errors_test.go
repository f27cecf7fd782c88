package pave_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// getError makes one GET (no retries) answered with status and body, and
// returns the *APIError.
func getError(t *testing.T, resp *http.Response) *pave.APIError {
	t.Helper()
	c, mt := pavetest.NewMockClient(t, pave.WithMaxRetries(0))
	mt.RegisterNoResponder(httpmock.ResponderFromResponse(resp))
	_, err := c.Sessions.Get(context.Background(), sessionKey)
	var apiErr *pave.APIError
	require.ErrorAs(t, err, &apiErr)
	return apiErr
}

func TestAPIErrorShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		body        string
		contentType string
		wantMessage string
		wantErrors  map[string][]string
	}{
		{
			name:        "message and map of lists",
			status:      400,
			body:        string(fixture(t, "error_validation.json")),
			wantMessage: "Required fields are missing or invalid.",
			wantErrors: map[string][]string{
				"vehicle.vin":          {"VIN is too short, it must be 17 characters"},
				"sms.to":               {"Invalid phone number"},
				"session.redirect_url": {"Invalid redirect url"},
			},
		},
		{
			name:        "map of strings",
			status:      422,
			body:        `{"message":"Invalid.","errors":{"vehicle.odom_unit":"Unknown unit","sms.from":["Too short","Not a number"]}}`,
			wantMessage: "Invalid.",
			wantErrors:  map[string][]string{"vehicle.odom_unit": {"Unknown unit"}, "sms.from": {"Too short", "Not a number"}},
		},
		{
			name:        "list",
			status:      400,
			body:        `{"message":"Missing required fields.","errors":["url is required","event is required"]}`,
			wantMessage: "Missing required fields.",
			wantErrors:  map[string][]string{"": {"url is required", "event is required"}},
		},
		{
			name:        "string",
			status:      400,
			body:        `{"message":"Bad request.","errors":"theme is invalid"}`,
			wantMessage: "Bad request.",
			wantErrors:  map[string][]string{"": {"theme is invalid"}},
		},
		{
			name:       "missing message",
			status:     400,
			body:       `{"errors":{"vehicle.vin":["VIN must be 17 characters"]}}`,
			wantErrors: map[string][]string{"vehicle.vin": {"VIN must be 17 characters"}},
		},
		{
			name:        "error instead of message",
			status:      401,
			body:        `{"error":"Invalid API-Token."}`,
			wantMessage: "Invalid API-Token.",
		},
		{
			name:        "non-string message and nested field errors",
			status:      400,
			body:        `{"message":{"code":7},"errors":{"vehicle":{"vin":"bad"},"sms.to":null,"sms.by":[],"session.theme":[1,null,"x"]}}`,
			wantMessage: `{"code":7}`,
			wantErrors:  map[string][]string{"vehicle": {`{"vin":"bad"}`}, "session.theme": {"1", "x"}},
		},
		{
			name:        "callback error with api_key",
			status:      404,
			body:        `{"api_key":"` + testCreds.APIKey + `","message":"Your API Key does not have callback setting for the event SESSION:COMPLETE."}`,
			wantMessage: "Your API Key does not have callback setting for the event SESSION:COMPLETE.",
		},
		{name: "errors null", status: 400, body: `{"message":"Nope.","errors":null}`, wantMessage: "Nope."},
		{name: "errors empty object", status: 400, body: `{"message":"Nope.","errors":{}}`, wantMessage: "Nope."},
		{name: "errors malformed", status: 400, body: `{"message":"Nope.","errors":[1,}`},
		{name: "html 502", status: 502, body: string(fixture(t, "error_502.html")), contentType: "text/html"},
		{name: "empty body", status: 500, body: ""},
		{name: "json array", status: 500, body: `["oops"]`},
		{name: "truncated json", status: 503, body: `{"message":"Serv`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := httpmock.NewStringResponse(tt.status, tt.body)
			resp.Header.Set("Content-Type", tt.contentType)
			apiErr := getError(t, resp)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, tt.wantMessage, apiErr.Message)
			assert.Equal(t, tt.wantErrors, apiErr.Errors)
			assert.Equal(t, tt.body, string(apiErr.Body))
			assert.False(t, apiErr.Truncated)
			assert.Equal(t, 1, apiErr.Attempts)
			msg := apiErr.Error()
			assert.NotContains(t, msg, "\n")
			assert.Contains(t, msg, fmt.Sprintf("%d %s", tt.status, http.StatusText(tt.status)))
			if tt.wantMessage != "" && !strings.EqualFold(strings.TrimSuffix(tt.wantMessage, "."), http.StatusText(tt.status)) {
				assert.Contains(t, msg, tt.wantMessage)
			}
			assert.Equal(t, tt.wantErrors, pave.FieldErrors(fmt.Errorf("wrapped: %w", apiErr)))
		})
	}
}

// endlessBody serves n bytes without holding them in memory.
type endlessBody struct {
	n      int64
	closed bool
}

func (b *endlessBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(int64(len(p)), b.n)], xs)
	b.n -= int64(k)
	return k, nil
}

func (b *endlessBody) Close() error { b.closed = true; return nil }

var xs = []byte(strings.Repeat("x", 64<<10))

func TestHugeErrorBodyIsTruncated(t *testing.T) {
	t.Parallel()
	for _, withLength := range []bool{false, true} {
		t.Run(fmt.Sprintf("content-length %v", withLength), func(t *testing.T) {
			t.Parallel()
			const size = 10 << 20
			body := &endlessBody{n: size}
			resp := &http.Response{StatusCode: 500, Header: http.Header{}, Body: body, ContentLength: -1}
			if withLength {
				resp.ContentLength = size
			}
			apiErr := getError(t, resp)
			assert.Len(t, apiErr.Body, (1 << 20))
			assert.True(t, apiErr.Truncated)
			assert.Equal(t, strings.Repeat("x", 16), string(apiErr.Body[:16]))
			assert.True(t, body.closed)
			assert.ErrorIs(t, apiErr, pave.ErrServer)
		})
	}
	t.Run("exactly the limit", func(t *testing.T) {
		t.Parallel()
		apiErr := getError(t, &http.Response{StatusCode: 500, Header: http.Header{}, Body: &endlessBody{n: (1 << 20)}})
		assert.Len(t, apiErr.Body, (1 << 20))
		assert.False(t, apiErr.Truncated)
	})
}

func TestAPIErrorMessageIsOneSortedLine(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterNoResponder(jsonResponder(400, `{
		"message": "Required fields are missing\nor invalid.",
		"errors": {
			"vehicle.vin": ["VIN is too short", "VIN has an invalid character"],
			"sms.to": "Invalid phone number",
			"session.redirect_url": ["Invalid\r\nredirect url"],
			"x\ny": ["odd key"]
		}
	}`))
	_, err := c.Sessions.Create(context.Background(), nil)
	require.Error(t, err)
	assert.Equal(t, "pave: POST /v1/sessions: 400 Bad Request: Required fields are missing or invalid."+
		" [session.redirect_url: Invalid  redirect url; sms.to: Invalid phone number;"+
		" vehicle.vin: VIN is too short, VIN has an invalid character; x y: odd key]", err.Error())
}

// TestErrorTextHasNoTerminalControls: C0 and C1 controls (ESC, BEL, the
// one-byte CSI U+009B and OSC U+009D) from a server's message, field
// errors or a redirect's Location never reach Error(), where a terminal
// or a log viewer would act on them.
func TestErrorTextHasNoTerminalControls(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterNoResponder(jsonResponder(400, `{"message": "bad\u001b]52;c;aGk=\u0007 \u009b2J \u009d0;title\u009c",
		"errors": {"a\u009bb": ["x\u0085y\u007f"]}}`))
	_, err := c.Sessions.Create(context.Background(), nil)
	require.Error(t, err)
	for _, r := range err.Error() {
		assert.False(t, unicode.IsControl(r), "control %U in %q", r, err.Error())
	}
	assert.Contains(t, err.Error(), "bad ]52;c;aGk=")
}

func TestAPIErrorStringParts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *pave.APIError
		want string
	}{
		{"bare", &pave.APIError{StatusCode: 404}, "pave: 404 Not Found"},
		{"unknown status", &pave.APIError{StatusCode: 599, Message: "weird"}, "pave: 599: weird"},
		{"unlabelled field error", &pave.APIError{StatusCode: 400, Errors: map[string][]string{"": {"a", "b"}, "z": {"c"}}},
			"pave: 400 Bad Request [a, b; z: c]"},
		{"retry after and attempts", &pave.APIError{StatusCode: 429, Method: "GET", Path: "/v1/callbacks",
			RetryAfter: 2 * time.Second, Attempts: 3}, "pave: GET /v1/callbacks: 429 Too Many Requests (retry after 2s) (after 3 attempts)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
}

func TestSentinels(t *testing.T) {
	t.Parallel()
	all := []error{pave.ErrNotFound, pave.ErrUnauthorized, pave.ErrValidation, pave.ErrNotReady, pave.ErrRateLimited, pave.ErrServer}
	notReady := "Session is not yet completed."
	tests := []struct {
		name string
		err  *pave.APIError
		want []error
	}{
		{"404", &pave.APIError{StatusCode: 404, Message: "Session NSA-7K2D5MZ8WP cannot be found."}, []error{pave.ErrNotFound}},
		{"404 not yet completed is not found", &pave.APIError{StatusCode: 404, Message: notReady}, []error{pave.ErrNotFound}},
		{"401", &pave.APIError{StatusCode: 401}, []error{pave.ErrUnauthorized}},
		{"403", &pave.APIError{StatusCode: 403}, []error{pave.ErrUnauthorized}},
		{"400 with field errors", &pave.APIError{StatusCode: 400, Errors: map[string][]string{"sms.to": {"x"}}}, []error{pave.ErrValidation}},
		{"400 without field errors", &pave.APIError{StatusCode: 400, Message: "Session NSA-7K2D5MZ8WP has been started and cannot be deleted."}, nil},
		{"422", &pave.APIError{StatusCode: 422}, []error{pave.ErrValidation}},
		{"400 not ready", &pave.APIError{StatusCode: 400, Message: notReady}, []error{pave.ErrNotReady}},
		{"409 not ready", &pave.APIError{StatusCode: 409, Message: notReady}, []error{pave.ErrNotReady}},
		{"425 not ready, any case", &pave.APIError{StatusCode: 425, Message: "SESSION IS NOT YET COMPLETED"}, []error{pave.ErrNotReady}},
		{"500 not ready", &pave.APIError{StatusCode: 500, Message: notReady}, []error{pave.ErrNotReady, pave.ErrServer}},
		{"429", &pave.APIError{StatusCode: 429}, []error{pave.ErrRateLimited}},
		{"500", &pave.APIError{StatusCode: 500}, []error{pave.ErrServer}},
		{"503", &pave.APIError{StatusCode: 503}, []error{pave.ErrServer}},
		{"599", &pave.APIError{StatusCode: 599}, []error{pave.ErrServer}},
		{"418", &pave.APIError{StatusCode: 418}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wrapped := fmt.Errorf("dealer 12: %w", tt.err)
			for _, s := range all {
				want := false
				for _, w := range tt.want {
					want = want || w == s
				}
				assert.Equal(t, want, errors.Is(wrapped, s), "errors.Is(%v, %v)", tt.err.StatusCode, s)
			}
			assert.NotErrorIs(t, wrapped, pave.ErrSessionEnded)
			assert.NotErrorIs(t, wrapped, errors.New("pave: not found"))
		})
	}
}

func TestSentinelsThroughTheClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		body   string
		want   error
	}{
		{404, `{"message":"Session NSA-7K2D5MZ8WP cannot be found."}`, pave.ErrNotFound},
		{401, `{"message":"Invalid API-Token."}`, pave.ErrUnauthorized},
		{403, `{"message":"Forbidden."}`, pave.ErrUnauthorized},
		{400, `{"message":"Required fields are missing or invalid.","errors":{"vehicle.vin":["x"]}}`, pave.ErrValidation},
		{422, `{"message":"Unprocessable."}`, pave.ErrValidation},
		{400, `{"message":"Session is not yet completed."}`, pave.ErrNotReady},
		{429, `{"message":"Too Many Requests."}`, pave.ErrRateLimited},
		{502, `<html>Bad Gateway</html>`, pave.ErrServer},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status, " ", tt.want), func(t *testing.T) {
			t.Parallel()
			apiErr := getError(t, jsonResponse(tt.status, tt.body))
			assert.ErrorIs(t, apiErr, tt.want)
		})
	}
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 2, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 7 ", 7 * time.Second},
		{"1.5", 1500 * time.Millisecond},
		{"0", 0},
		{"-5", 0},
		{"NaN", 0},
		{"+Inf", 24 * time.Hour},
		{"999999999", 24 * time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{now.Add(time.Hour).Format(time.RFC850), time.Hour},
		{"soon", 0},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Parallel()
			c, mt := pavetest.NewMockClient(t, pave.WithMaxRetries(0), pave.WithClock(func() time.Time { return now }))
			resp := jsonResponse(429, `{}`)
			resp.Header.Set("Retry-After", tt.value)
			mt.RegisterNoResponder(httpmock.ResponderFromResponse(resp))
			_, err := c.Sessions.Get(context.Background(), sessionKey)
			var apiErr *pave.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.want, apiErr.RetryAfter)
		})
	}
}

// A misbehaving server (or proxy) echoing credentials back must not put
// them into error values, error strings or logs.
func TestEchoedSecretsAreRedacted(t *testing.T) {
	t.Parallel()
	const accessToken = "v2-access-token-5150"
	log, buf := debugLogger()
	c, mt := pavetest.NewMockClient(t, pave.WithLogger(log), pave.WithAccessToken(accessToken))
	secret := mockCreds.APISecret
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		tok := r.Header.Get(pave.HeaderAPIToken)
		body := fmt.Sprintf(`{"message":"bad signature %s for secret %s","errors":{"%s":["token %s","v2 %s"]},"debug":"%s"}`,
			tok, secret, secret, tok, accessToken, secret)
		return jsonResponse(503, body), nil
	})
	_, err := c.Sessions.Get(context.Background(), sessionKey)
	var apiErr *pave.APIError
	require.ErrorAs(t, err, &apiErr)
	reqs := pavetest.Sent(mt)
	require.Len(t, reqs, 3)
	var tokens []string
	for _, r := range reqs {
		tok := r.Header.Get(pave.HeaderAPIToken)
		require.Len(t, tok, 64)
		tokens = append(tokens, tok)
	}
	texts := map[string]string{
		"Error()": err.Error(),
		"Message": apiErr.Message,
		"Errors":  fmt.Sprint(apiErr.Errors),
		"Body":    string(apiErr.Body),
		"%+v":     fmt.Sprintf("%+v", err),
		"logs":    buf.String(),
	}
	for name, text := range texts {
		assert.NotContains(t, text, secret, name)
		assert.NotContains(t, text, accessToken, name)
		for _, tok := range tokens {
			assert.NotContains(t, text, tok, name)
		}
	}
	assert.Equal(t, "bad signature [REDACTED] for secret [REDACTED]", apiErr.Message)
	assert.Equal(t, map[string][]string{"[REDACTED]": {"token [REDACTED]", "v2 [REDACTED]"}}, apiErr.Errors)
	assert.Contains(t, string(apiErr.Body), `"debug":"[REDACTED]"`)
}

// The token is scrubbed even when it reaches the error through a real
// server (net/http's transport) rather than a mock.
func TestEchoedTokenIsRedactedOverHTTP(t *testing.T) {
	t.Parallel()
	c, _ := newServerClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprintf(w, `{"message":"Invalid API-Token %s."}`, r.Header.Get(pave.HeaderAPIToken))
	}))
	_, err := c.Sessions.Get(context.Background(), sessionKey)
	require.ErrorIs(t, err, pave.ErrUnauthorized)
	assert.Contains(t, err.Error(), "Invalid API-Token [REDACTED].")
}

func TestValidationErrorType(t *testing.T) {
	t.Parallel()
	ve := &pave.ValidationError{Op: "Sessions.Create", Errors: map[string][]string{
		"vehicle.vin": {"VIN must be 17 characters, got 3"},
		"sms.to":      {"phone number must have 7 to 15 digits"},
	}}
	assert.Equal(t, "pave: Sessions.Create: invalid request [sms.to: phone number must have 7 to 15 digits;"+
		" vehicle.vin: VIN must be 17 characters, got 3]", ve.Error())
	assert.ErrorIs(t, ve, pave.ErrValidation)
	assert.NotErrorIs(t, ve, pave.ErrNotFound)
	assert.Equal(t, ve.Errors, pave.FieldErrors(fmt.Errorf("x: %w", ve)))
	assert.Equal(t, "pave: invalid request", (&pave.ValidationError{}).Error())
	assert.Nil(t, pave.FieldErrors(errors.New("other")))
	assert.Nil(t, pave.FieldErrors(nil))
}

func TestRequestErrorType(t *testing.T) {
	t.Parallel()
	last := &pave.APIError{StatusCode: 503, Method: "GET", Path: "/v1/sessions/X"}
	e := &pave.RequestError{Method: "GET", Path: "/v1/sessions/X", Attempts: 2, Err: context.Canceled, Last: last}
	assert.Equal(t, "pave: GET /v1/sessions/X: context canceled"+
		" (while waiting to retry after 503 Service Unavailable) (after 2 attempts)", e.Error())
	assert.ErrorIs(t, e, context.Canceled)
	assert.ErrorIs(t, e, pave.ErrServer)
	single := &pave.RequestError{Method: "POST", Path: "/v1/sessions", Attempts: 1, Err: errors.New("dial\ntcp")}
	assert.Equal(t, "pave: POST /v1/sessions: dial tcp", single.Error())
	assert.Len(t, single.Unwrap(), 1)
}
