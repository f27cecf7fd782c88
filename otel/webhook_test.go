package paveotel_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/webhook"
)

// A webhook handler fed by the fake server's deliveries and by requests
// of the test's own: each answer is counted and is an event on the
// request's span.
func TestWebhookDeliveries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := pavetest.NewServer(t, pavetest.WithWebhookRetries(-1, 0))
	tm := newTelemetry(t)
	secret, err := webhook.NewSecret()
	require.NoError(t, err)
	const dealer = "north-motors"
	var fail atomic.Bool
	handler, err := webhook.NewHandler(webhook.Config{
		NamedSecrets: map[string][]string{dealer: {secret}},
		DedupWindow:  10 * time.Minute,
		Observe:      tm.inst.ObserveDelivery,
		Handler: func(_ context.Context, ev *webhook.Event) error {
			if fail.Load() {
				return errors.New("CRM down for " + ev.SessionKey)
			}
			return nil
		},
	})
	require.NoError(t, err)
	// A server span per request, as an HTTP server instrumentation makes.
	tracer := tm.tp.Tracer("test")
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := tracer.Start(r.Context(), r.Method+" /hooks", trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		handler.ServeHTTP(w, r.WithContext(ctx))
	}))
	t.Cleanup(hooks.Close)

	client := srv.Client()
	_, err = client.Webhooks.Create(ctx, pave.NewCallback(pave.EventComplete, hooks.URL+"/hooks", secret))
	require.NoError(t, err)
	var keys []string
	complete := func(t *testing.T) int {
		sess, err := client.Sessions.Create(ctx, testSession)
		require.NoError(t, err)
		keys = append(keys, sess.SessionKey)
		srv.ResetDeliveries()
		require.NoError(t, srv.Complete(sess.SessionKey))
		d := srv.Deliveries()
		require.Equal(t, 1, len(d), "one delivery, not retried")
		return d[0].StatusCode
	}
	send := func(t *testing.T, method, auth, body string) int {
		req, err := http.NewRequest(method, hooks.URL+"/hooks", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := hooks.Client().Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		require.NoError(t, resp.Body.Close())
		return resp.StatusCode
	}
	steps := []struct {
		name   string
		do     func(t *testing.T) int
		status int
		attrs  map[string]any // the event's, but the status code
	}{{
		name:   "delivered",
		do:     complete,
		status: http.StatusNoContent,
		attrs:  map[string]any{"pave.webhook.result": "delivered", "pave.webhook.event": "SESSION:COMPLETE"},
	}, {
		name: "the same delivery again",
		do: func(t *testing.T) int {
			d := srv.Deliveries()[0]
			return send(t, d.Method, d.Header.Get("Authorization"), string(d.Body))
		},
		status: http.StatusNoContent,
		attrs:  map[string]any{"pave.webhook.result": "duplicate", "pave.webhook.event": "SESSION:COMPLETE"},
	}, {
		name: "the handler fails",
		do: func(t *testing.T) int {
			fail.Store(true)
			defer fail.Store(false)
			return complete(t)
		},
		status: http.StatusInternalServerError,
		attrs: map[string]any{"pave.webhook.result": "failed", "pave.webhook.reason": "handler_error",
			"pave.webhook.event": "SESSION:COMPLETE"},
	}, {
		name:   "a wrong secret",
		do:     func(t *testing.T) int { return send(t, http.MethodPost, "Bearer not-the-secret", `{"event":"x"}`) },
		status: http.StatusUnauthorized,
		attrs:  map[string]any{"pave.webhook.result": "refused", "pave.webhook.reason": "unauthorized"},
	}, {
		name:   "another method",
		do:     func(t *testing.T) int { return send(t, http.MethodGet, "Bearer "+secret, "") },
		status: http.StatusMethodNotAllowed,
		attrs:  map[string]any{"pave.webhook.result": "refused", "pave.webhook.reason": "method"},
	}, {
		name:   "not JSON",
		do:     func(t *testing.T) int { return send(t, http.MethodPost, "Bearer "+secret, "not json") },
		status: http.StatusBadRequest,
		attrs:  map[string]any{"pave.webhook.result": "refused", "pave.webhook.reason": "malformed"},
	}, {
		name: "an event PAVE does not document",
		do: func(t *testing.T) int {
			return send(t, http.MethodPost, "Bearer "+secret, `{"event":"SESSION:MADE_UP","session_key":"ABC-1"}`)
		},
		status: http.StatusNoContent,
		attrs:  map[string]any{"pave.webhook.result": "delivered", "pave.webhook.event": "_OTHER"},
	}}
	for _, step := range steps {
		require.Equal(t, step.status, step.do(t), step.name)
		spans := tm.ended()
		require.NotEmpty(t, spans)
		span := spans[len(spans)-1]
		require.Equal(t, trace.SpanKindServer, span.SpanKind(), step.name)
		want := map[string]any{"http.response.status_code": int64(step.status)}
		for k, v := range step.attrs {
			want[k] = v
		}
		assert.Equal(t, []map[string]any{want}, events(span, "pave.webhook.delivery"), step.name)
	}

	refused := func(reason string) string {
		return metricKey("pave.webhook.result=refused", "pave.webhook.reason="+reason)
	}
	completeEv := "pave.webhook.event=SESSION:COMPLETE"
	assert.Equal(t, map[string]int64{
		metricKey(completeEv, "pave.webhook.result=delivered"):                                   1,
		metricKey(completeEv, "pave.webhook.result=duplicate"):                                   1,
		metricKey(completeEv, "pave.webhook.result=failed", "pave.webhook.reason=handler_error"): 1,
		refused("unauthorized"): 1,
		refused("method"):       1,
		refused("malformed"):    1,
		metricKey("pave.webhook.event=_OTHER", "pave.webhook.result=delivered"): 1,
	}, counts(t, tm.metrics(t), "pave.webhook.deliveries"))
	require.Len(t, keys, 2)
	assertNothingSecret(t, tm, secret, dealer, keys[0], keys[1], "ABC-1", "MADE_UP", "CRM down",
		testPhone, testName, testVIN)
}

// A request without a span (no HTTP server instrumentation) is counted.
func TestWebhookWithoutSpan(t *testing.T) {
	t.Parallel()
	tm := newTelemetry(t)
	tm.inst.ObserveDelivery(context.Background(), webhook.Outcome{Result: "unavailable", Status: 503,
		Event: "session:complete"})
	assert.Empty(t, tm.ended())
	want := metricKey("pave.webhook.event=SESSION:COMPLETE", "pave.webhook.result=unavailable")
	assert.Equal(t, map[string]int64{want: 1}, counts(t, tm.metrics(t), "pave.webhook.deliveries"))
}
