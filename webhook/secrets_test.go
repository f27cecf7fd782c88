package webhook_test

import (
	"bytes"
	"context"
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
				Secrets:     []string{secret, "whsec-previous-0123456789"},
				Header:      header,
				Logger:      logs.logger(),
				DedupWindow: time.Minute,
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
	}
	err := webhook.Verify(http.Header{"Authorization": {"Bearer " + secret + "x"}}, secret)
	require.ErrorIs(t, err, webhook.ErrUnauthorized)
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", err, err, err), secret)
}
