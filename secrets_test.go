package pave_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// Secrets never leak: whatever a failing or hostile server answers, the API
// secret, the v2 access token and every API-Token the client sent stay out
// of error text (Error and every fmt verb) and out of debug logs.

const (
	secAPISecret   = "sk-SECRET-9f86d081884c7d659a2f"
	secAccessToken = "at-ACCESS-6b86b273ff34fce19d6b"
	secSessionKey  = "LMS-4R8T2W6Y9P"
)

var secCreds = pave.Credentials{
	Username:  "lakesidemotors",
	APIKey:    "lk-0c1f-4a2e-key",
	APISecret: secAPISecret,
}

// secOps runs every public operation of the client.
var secOps = []struct {
	name string
	run  func(ctx context.Context, c *pave.Client) error
}{
	{"Sessions.Create", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Sessions.Create(ctx, &pave.CreateSessionRequest{
			Session: &pave.SessionSettings{RedirectURL: "https://dealer.example/done"},
		})
		return err
	}},
	{"Sessions.Get", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Sessions.Get(ctx, secSessionKey)
		return err
	}},
	{"Sessions.Photos", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Sessions.Photos(ctx, secSessionKey)
		return err
	}},
	{"Sessions.Notes", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Sessions.Notes(ctx, secSessionKey)
		return err
	}},
	{"Sessions.Results", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Sessions.Results(ctx, secSessionKey)
		return err
	}},
	{"Sessions.Update", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Sessions.Update(ctx, secSessionKey, &pave.UpdateSessionRequest{
			Session: &pave.SessionSettings{RedirectURL: "https://dealer.example/again"},
		})
		return err
	}},
	{"Sessions.Delete", func(ctx context.Context, c *pave.Client) error {
		return c.Sessions.Delete(ctx, secSessionKey)
	}},
	{"Sessions.WaitForResults", func(ctx context.Context, c *pave.Client) error {
		// Transient failures keep it polling: bound it.
		ctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
		defer cancel()
		_, err := c.Sessions.WaitForResults(ctx, secSessionKey,
			pave.PollFirstAfter(0), pave.PollInterval(10*time.Millisecond, 20*time.Millisecond))
		return err
	}},
	{"Sessions.ResendSMS", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Sessions.ResendSMS(ctx, secSessionKey, &pave.ResendSMSRequest{Phone: "+14165550199"})
		return err
	}},
	{"Webhooks.List", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Webhooks.List(ctx)
		return err
	}},
	{"Webhooks.Get", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Webhooks.Get(ctx, pave.EventComplete)
		return err
	}},
	{"Webhooks.Create", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Webhooks.Create(ctx, pave.NewCallback(pave.EventComplete, "https://crm.example.com/hooks", "whsec-0123456789abcdef"))
		return err
	}},
	{"Webhooks.Update", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Webhooks.Update(ctx, pave.EventComplete, pave.NewCallback(pave.EventComplete, "https://crm.example.com/hooks", "whsec-0123456789abcdef"))
		return err
	}},
	{"Webhooks.Delete", func(ctx context.Context, c *pave.Client) error {
		return c.Webhooks.Delete(ctx, pave.EventComplete)
	}},
	{"Hotspots.CreateSession", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Hotspots.CreateSession(ctx, nil)
		return err
	}},
	{"Hotspots.UploadPhotos", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Hotspots.UploadPhotos(ctx, secSessionKey, []pave.HotspotPhoto{
			{PhotoLabel: pave.LabelFrontLeft, URL: "https://images.example.com/fl.jpg"},
			{PhotoLabel: pave.LabelRear, URL: "https://images.example.com/rear.jpg"},
		})
		return err
	}},
	{"Hotspots.Results", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Hotspots.Results(ctx, secSessionKey)
		return err
	}},
}

// secCredentialHeaders are the request headers that carry a credential.
var secCredentialHeaders = []string{pave.HeaderAPIToken, "API-Access-Token"}

// secEcho describes the request as a hostile echo would: every header (the
// API-Token included) and, for good measure, the API secret.
func secEcho(r *http.Request) (text string, headers map[string]string) {
	headers = map[string]string{}
	var parts []string
	for k, v := range r.Header {
		headers[k] = strings.Join(v, ",")
		parts = append(parts, k+": "+strings.Join(v, ","))
	}
	sort.Strings(parts)
	return "request " + r.Method + " " + r.URL.Path + " with " + strings.Join(parts, "; ") +
		" signed with " + secAPISecret, headers
}

func secWriteJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func secStatic(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if strings.HasPrefix(body, "<") {
			w.Header().Set("Content-Type", "text/html")
		} else {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// secEchoError answers status with the echo in the message, the field
// errors (keys and values) and extra fields of the body.
func secEchoError(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		text, headers := secEcho(r)
		token := r.Header.Get(pave.HeaderAPIToken)
		secWriteJSON(w, status, map[string]any{
			"message": "Invalid API-Token " + token + ": " + text,
			"error":   "API-Access-Token " + r.Header.Get("API-Access-Token"),
			"errors": map[string]any{
				token:          []string{secAPISecret, "API-Token: " + token},
				"headers":      text,
				secAPISecret:   token,
				"api_token":    map[string]string{"value": token},
				"session_key":  []any{token, 42, nil},
				"access_token": r.Header.Get("API-Access-Token"),
			},
			"headers": headers,
		})
	}
}

// secEchoRefusal200 answers 200 with a refusal ("success": false for
// Hotspots, "status": "error" for the v2 resend) whose message echoes the
// request, API-Token included.
func secEchoRefusal200(w http.ResponseWriter, r *http.Request) {
	text, _ := secEcho(r)
	secWriteJSON(w, http.StatusOK, map[string]any{
		"success": false,
		"status":  "error",
		"message": "Invalid API-Token " + r.Header.Get(pave.HeaderAPIToken) + " (" + text + ")",
	})
}

// secEchoTyped200 answers 200 with the credentials where the SDK expects
// typed values (a timestamp, a number), in a session, in a results
// document and in the items of a list.
func secEchoTyped200(w http.ResponseWriter, r *http.Request) {
	token := r.Header.Get(pave.HeaderAPIToken)
	secWriteJSON(w, http.StatusOK, map[string]any{
		"session_key": "LMS-4R8T2W6Y9P",
		"created_at":  token,
		"updated_at":  secAPISecret,
		"vehicle":     map[string]any{"year": token, "odom_reading": secAPISecret},
		"data":        []any{map[string]any{"photo_code": 1, "id": secAPISecret, "created_at": token}},
	})
}

// secEchoHeaders200 answers 200 with the request headers as a JSON object,
// as a debugging proxy might.
func secEchoHeaders200(w http.ResponseWriter, r *http.Request) {
	_, headers := secEcho(r)
	secWriteJSON(w, http.StatusOK, map[string]any{"headers": headers, "secret": secAPISecret})
}

func secDrop(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// secFailureModes are the failing servers.
var secFailureModes = []struct {
	name    string
	handler http.HandlerFunc
}{
	{"400 field errors", secStatic(http.StatusBadRequest, `{"message": "The given data was invalid.", "errors": {"vehicle.vin": ["The vin must be 17 characters."]}}`)},
	{"401", secStatic(http.StatusUnauthorized, `{"message": "Invalid API-Token."}`)},
	{"404", secStatic(http.StatusNotFound, `{"message": "Session not found."}`)},
	{"429", secStatic(http.StatusTooManyRequests, `{"message": "Too Many Attempts."}`)},
	{"500", secStatic(http.StatusInternalServerError, `{"message": "Server Error"}`)},
	{"502 HTML", secStatic(http.StatusBadGateway, relHTML502)},
	{"echo 400", secEchoError(http.StatusBadRequest)},
	{"echo 401", secEchoError(http.StatusUnauthorized)},
	{"echo 500", secEchoError(http.StatusInternalServerError)},
	{"echo 200 refusal (success false / status error)", secEchoRefusal200},
	{"echo 200 into typed fields", secEchoTyped200},
	{"echo 200 headers object", secEchoHeaders200},
	{"dropped connection", secDrop},
	{"invalid JSON 200", secStatic(http.StatusOK, `{"session_key": "LMS-4R8T2W6Y9P", "status": `)},
	{"HTML 200", secStatic(http.StatusOK, relHTML502)},
}

func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	for _, mode := range secFailureModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			// A real server: the failure modes include a hijacked, dropped
			// connection.
			var mu sync.Mutex
			var saw []pavetest.Request
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				saw = append(saw, serverSaw(r))
				mu.Unlock()
				mode.handler(w, r)
			}))
			t.Cleanup(srv.Close)
			// sent returns the credentials the server saw, and extra.
			sent := func(extra ...string) []string {
				mu.Lock()
				defer mu.Unlock()
				return append(secValues(saw, secCredentialHeaders...), extra...)
			}

			logs := &secLogs{}
			logger := logs.logger()
			client, err := pave.NewClient(secCreds,
				pave.WithBaseURL(srv.URL),
				pave.WithAccessToken(secAccessToken),
				pave.WithLogger(logger),
				pave.WithMaxRetries(1),
				pave.WithRetryBackoff(time.Millisecond, 2*time.Millisecond),
				pave.WithMaxRetryAfter(2*time.Millisecond),
				pave.WithTimeout(5*time.Second),
			)
			require.NoError(t, err)
			// A client printed or logged shows no credential either.
			logger.Info("client ready", "client", client)
			logs.add(fmt.Sprintf("%v %+v %#v %s", client, client, client, client))

			for _, op := range secOps {
				err := op.run(context.Background(), client)
				if err == nil {
					continue // an echo may happen to decode: nothing to leak
				}
				var ve *pave.ValidationError
				require.False(t, errors.As(err, &ve), "%s: the request itself is valid: %v", op.name, err)
				texts := map[string]string{
					"Error()": err.Error(),
					"%v":      fmt.Sprintf("%v", err),
					"%+v":     fmt.Sprintf("%+v", err),
					"%#v":     fmt.Sprintf("%#v", err),
					"%s":      fmt.Sprintf("%s", err),
					"%q":      fmt.Sprintf("%q", err),
				}
				var apiErr *pave.APIError
				if errors.As(err, &apiErr) {
					texts["APIError.Message"] = apiErr.Message
					texts["APIError.Errors"] = fmt.Sprint(apiErr.Errors)
					texts["APIError.Body"] = string(apiErr.Body)
				}
				// What a user's own logging of the error prints.
				logger.Error("operation failed", "op", op.name, "err", err)
				logger.Error("operation failed", "op", op.name, slog.Any("err", err), slog.String("detail", fmt.Sprintf("%+v", err)))

				for _, secret := range sent(secAPISecret, secAccessToken) {
					for where, text := range texts {
						secAssertAbsent(t, text, secret, "%s: %s of %T", op.name, where, err)
					}
				}
			}

			tokens := sent()
			require.NotEmpty(t, tokens, "the server saw the credentials it must not echo back")
			out := logs.String()
			require.Contains(t, out, `"msg":"pave request"`, "the JSON handler logged at debug level")
			require.Contains(t, out, `msg="pave request"`, "the text handler logged at debug level")
			for _, secret := range sent(secAPISecret, secAccessToken) {
				secAssertAbsent(t, out, secret, "the debug logs")
			}
		})
	}
}

// secAssertAbsent fails the test when text contains secret, quoting a
// little context rather than the whole (possibly megabyte) text.
func secAssertAbsent(t *testing.T, text, secret string, format string, args ...any) {
	t.Helper()
	i := strings.Index(text, secret)
	if i < 0 {
		return
	}
	from, to := max(0, i-60), min(len(text), i+len(secret)+20)
	t.Errorf("%s leaks credential %.12s...: ...%s...", fmt.Sprintf(format, args...), secret, text[from:to])
}

// secValues returns the distinct non-empty values of the headers names
// in reqs, sorted: the credentials a server saw.
func secValues(reqs []pavetest.Request, names ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range reqs {
		for _, name := range names {
			for _, v := range headerValues(r.Header, name) {
				if v != "" && !seen[v] {
					seen[v] = true
					out = append(out, v)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// secLogs receives the output of a JSON and a text handler, both at debug
// level.
type secLogs struct{ syncBuffer }

func (l *secLogs) add(s string) { _, _ = l.Write([]byte(s + "\n")) }

func (l *secLogs) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	return slog.New(secTee{slog.NewJSONHandler(l, opts), slog.NewTextHandler(l, opts)})
}

// secTee sends every record to all its handlers.
type secTee []slog.Handler

func (t secTee) Enabled(ctx context.Context, level slog.Level) bool {
	for _, h := range t {
		if h.Enabled(ctx, level) {
			return true
		}
	}
	return false
}

func (t secTee) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range t {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (t secTee) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(secTee, len(t))
	for i, h := range t {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (t secTee) WithGroup(name string) slog.Handler {
	out := make(secTee, len(t))
	for i, h := range t {
		out[i] = h.WithGroup(name)
	}
	return out
}
