package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave/webhook"
)

// secLogs receives the output of a JSON and a text handler, both at debug
// level.
type secLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *secLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *secLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *secLogs) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	return slog.New(multiHandler{slog.NewJSONHandler(l, opts), slog.NewTextHandler(l, opts)})
}

// multiHandler sends every record to each handler.
type multiHandler []slog.Handler

func (m multiHandler) Enabled(ctx context.Context, l slog.Level) bool { return m[0].Enabled(ctx, l) }
func (m multiHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range m {
		_ = h.Handle(ctx, r.Clone())
	}
	return nil
}
func (m multiHandler) WithAttrs(a []slog.Attr) slog.Handler {
	out := make(multiHandler, len(m))
	for i, h := range m {
		out[i] = h.WithAttrs(a)
	}
	return out
}
func (m multiHandler) WithGroup(g string) slog.Handler {
	out := make(multiHandler, len(m))
	for i, h := range m {
		out[i] = h.WithGroup(g)
	}
	return out
}

func TestSecretNeverLeaks(t *testing.T) {
	t.Parallel()
	const secret = "whsec-Zm9vYmFyYmF6cXV4LXNlY3JldA"
	// Dealer 17's secrets, one endpoint with the unnamed ones.
	const named, namedOld = "whsec-named-ZGVhbGVyLTE3LXNlY3JldA", "whsec-named-old-bm9wZW5vcGVub3Bl"
	presented := []map[string]string{
		{},
		{"Authorization": ""},
		{"Authorization": "Bearer"},
		{"Authorization": "Bearer wrong-secret-0123456789abc"},
		{"Authorization": "Bearer " + secret[:len(secret)-1]},
		{"Authorization": "Bearer " + secret + "x"},
		{"Authorization": "Bearer x" + secret},
		{"Authorization": "Basic " + secret},
		{"Authorization": secret},
		{"Authorization": "Bearer " + strings.ToUpper(secret)},
		{"X-Pave-Secret": secret},
		{"Authorization": "Bearer " + secret, "X-Unused": secret}, // accepted, then the handler fails
		{"Authorization": "Bearer " + secret},                     // accepted
		{"Authorization": "Bearer " + named[:len(named)-1]},
		{"Authorization": "Bearer " + strings.ToLower(named)},
		{"Authorization": "Basic " + named},
		{"X-Pave-Secret": namedOld},
		{"Authorization": "Bearer " + namedOld}, // accepted for dealer-17
		{"Authorization": "Bearer " + named},    // accepted for dealer-17
	}
	bodies := []string{
		`{"event": "SESSION:STATUS_CHANGE", "session_key": "LMS-4R8T2W6Y9P", "status": "STARTED"}`,
		`not json`,
		`{"event": "SESSION:NOTE_INSERT", "session_key": "LMS-4R8T2W6Y9P", "note": {"title": "` + secret + `"}}`,
	}
	for _, header := range []string{"", "X-Pave-Secret"} {
		t.Run("header="+header, func(t *testing.T) {
			t.Parallel()
			logs := &secLogs{}
			calls := 0
			h, err := webhook.NewHandler(webhook.Config{
				Secrets:      []string{secret, "whsec-previous-0123456789"},
				NamedSecrets: map[string][]string{"dealer-17": {named, namedOld}, "dealer-18": {"whsec-dealer-18-0123456789"}},
				Header:       header,
				Logger:       logs.logger(),
				DedupWindow:  time.Minute,
				Handler: func(_ context.Context, ev *webhook.Event) error {
					calls++
					if calls%2 == 0 {
						return errors.New("crm unavailable")
					}
					return nil
				},
			})
			require.NoError(t, err)
			for _, hdrs := range presented {
				for _, body := range bodies {
					for _, method := range []string{http.MethodPost, http.MethodGet} {
						r := httptest.NewRequest(method, "/pave/hooks?token="+secret, strings.NewReader(body))
						r.Header.Set("Content-Type", "application/json")
						for k, v := range hdrs {
							r.Header.Set(k, v)
						}
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, r)
						var resp bytes.Buffer
						_ = rec.Result().Header.Write(&resp)
						resp.Write(rec.Body.Bytes())
						assert.NotContains(t, resp.String(), secret, "response %d to %v leaks the secret", rec.Code, hdrs)
					}
				}
			}
			out := logs.String()
			require.Contains(t, out, "unauthorized", "wrong secrets were logged")
			assert.NotContains(t, out, secret, "the logs leak the webhook secret")
			assert.NotContains(t, out, "whsec-previous-0123456789", "the logs leak the previous secret")
			assert.NotContains(t, out, secret[:len(secret)-1], "the logs leak a near-miss of the secret")
			for _, s := range []string{named, namedOld, named[:len(named)-1], "whsec-dealer-18-0123456789"} {
				assert.NotContains(t, out, s, "the logs leak a named secret")
			}
			assert.Contains(t, out, "dealer-17", "the name of the matched secret is logged")
		})
	}

	// Configuration errors name the problem, not the secret.
	for _, bad := range []string{" " + secret, secret + "\n", secret[:10], "whsec\x00" + secret} {
		_, err := webhook.NewHandler(webhook.Config{Secrets: []string{bad}, Handler: func(context.Context, *webhook.Event) error { return nil }})
		require.Error(t, err)
		assert.NotContains(t, err.Error(), strings.TrimSpace(bad)[:10], "config error %q leaks the secret", err)
		err = webhook.Verify(http.Header{"Authorization": {"Bearer " + secret}}, bad)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), strings.TrimSpace(bad)[:10])
		_, err = webhook.NewHandler(webhook.Config{NamedSecrets: map[string][]string{"dealer-17": {named, bad}},
			Handler: func(context.Context, *webhook.Event) error { return nil }})
		require.ErrorContains(t, err, `NamedSecrets["dealer-17"][1]`)
		assert.NotContains(t, err.Error(), strings.TrimSpace(bad)[:10], "config error %q leaks the secret", err)
		assert.NotContains(t, err.Error(), named)
		_, err = webhook.VerifyNamed(http.Header{"Authorization": {"Bearer " + secret}}, map[string][]string{"dealer-17": {bad}})
		require.Error(t, err)
		assert.NotContains(t, err.Error(), strings.TrimSpace(bad)[:10])
	}
	// A secret under two names is refused by naming both places only.
	_, err := webhook.VerifyNamed(http.Header{}, map[string][]string{"dealer-17": {named}, "dealer-18": {namedOld, named}})
	require.ErrorContains(t, err, `NamedSecrets["dealer-18"][1] is the same secret as NamedSecrets["dealer-17"][0]`)
	assert.NotContains(t, err.Error(), named)
	assert.NotContains(t, err.Error(), namedOld)
	err = webhook.Verify(http.Header{"Authorization": {"Bearer " + secret + "x"}}, secret)
	require.ErrorIs(t, err, webhook.ErrUnauthorized)
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", err, err, err), secret)
	name, err := webhook.VerifyNamed(http.Header{"Authorization": {"Bearer " + named + "x"}}, map[string][]string{"dealer-17": {named}})
	require.ErrorIs(t, err, webhook.ErrUnauthorized)
	assert.Empty(t, name)
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", err, err, err), named)
}

// No printed form of a Config shows a secret, named or not: fmt (every
// verb, value and pointer), encoding/json, encoding/xml and slog (JSON
// and text). They show how many secrets there are, and under how many
// names.
func TestConfigPrintsWithoutSecrets(t *testing.T) {
	t.Parallel()
	secrets := []string{"whsec-printed-unnamed-0123456789", "whsec-printed-dealer-a-Zm9vYmFy",
		"whsec-printed-dealer-b-old-YmF6cXV4", "whsec-printed-dealer-b-new-cXV1eA"}
	cfg := webhook.Config{
		Secrets:      secrets[:1],
		NamedSecrets: map[string][]string{"dealer-a": {secrets[1]}, "dealer-b": {secrets[2], secrets[3]}},
		DedupWindow:  time.Minute,
		Handler:      func(context.Context, *webhook.Event) error { return nil },
	}
	var out bytes.Buffer
	for _, v := range []any{cfg, &cfg} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
		j, err := json.Marshal(v)
		require.NoError(t, err)
		out.Write(j)
		x, _ := xml.Marshal(v) // fails on the map and the func: nothing to print
		out.Write(x)
	}
	logs := &secLogs{}
	logs.logger().Info("config", "cfg", cfg, "ptr", &cfg)
	out.WriteString(logs.String())
	got := out.String()
	for _, s := range secrets {
		assert.NotContains(t, got, s)
		assert.NotContains(t, strings.ToLower(got), strings.ToLower(s))
	}

	assert.Equal(t, "webhook.Config{Secrets: 1 [REDACTED], NamedSecrets: 3 [REDACTED] under 2 names, "+
		`Header: "", InsecureSkipVerify: false, Handler: true, MaxBodyBytes: 0, Method: "", DedupWindow: 1m0s, DedupMaxEntries: 0}`, cfg.String())
	assert.Equal(t, cfg.String(), fmt.Sprintf("%#v", cfg))
	j, err := json.Marshal(cfg)
	require.NoError(t, err)
	assert.JSONEq(t, `{"secrets":1,"named_secrets":3,"secret_names":2,"header":"","insecure_skip_verify":false,"dedup_window":"1m0s"}`, string(j))
	assert.Contains(t, logs.String(), `"named_secrets":3`)
	assert.Contains(t, logs.String(), "cfg.secret_names=2")
}
