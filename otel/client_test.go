package paveotel_test

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/nettest"
	paveotel "github.com/pave-go/pave/otel"
	"github.com/pave-go/pave/pavetest"
)

// The customer data of the sessions the tests create, which must never be
// recorded.
const (
	testPhone = "416-555-0199"
	testName  = "Dana Testperson"
	testVIN   = "1HGCV1F39LA012345"
)

var testSession = &pave.CreateSessionRequest{
	Vehicle: &pave.Vehicle{VIN: testVIN},
	SMS:     &pave.SMS{To: testPhone, ToName: testName, From: "416-555-0100", By: "Test Motors"},
}

// metricKey writes attributes as counts writes them: "k=v" sorted, by commas.
func metricKey(kvs ...string) string {
	slices.Sort(kvs)
	return strings.Join(kvs, ",")
}

const (
	getRoute    = "GET /v1/sessions/{session_key}"
	getTemplate = "/v1/sessions/{session_key}"
)

var (
	getOp  = []string{"http.request.method=GET", "url.template=" + getTemplate}
	postOp = []string{"http.request.method=POST", "url.template=/v1/sessions"}
)

func withOp(op []string, kvs ...string) string { return metricKey(append(slices.Clone(op), kvs...)...) }

// attemptEvent is a "pave.attempt" event as the tests expect it, without
// its duration: status 0 and errType "" are absent.
func attemptEvent(n, status int64, errType string) map[string]any {
	ev := map[string]any{"pave.attempt": n}
	if status != 0 {
		ev["http.response.status_code"] = status
	}
	if errType != "" {
		ev["error.type"] = errType
	}
	return ev
}

// retryEvent is a "pave.retry" event without a wait (the tests' backoff
// is 0).
func retryEvent(n int64, reason string) map[string]any {
	return map[string]any{"pave.attempt": n, "pave.retry.reason": reason, "pave.retry.wait": 0.0}
}

func getSession(ctx context.Context, c *pave.Client, key string) error {
	_, err := c.Sessions.Get(ctx, key)
	return err
}

func createSession(ctx context.Context, c *pave.Client, _ string) error {
	_, err := c.Sessions.Create(ctx, testSession)
	return err
}

func TestClientSpansAndMetrics(t *testing.T) {
	t.Parallel()
	type event = map[string]any
	tests := []struct {
		name    string
		server  []pavetest.Option
		fault   *pavetest.Fault
		client  []pave.Option
		deadURL bool // send to a port nobody listens on
		call    func(ctx context.Context, c *pave.Client, key string) error
		route   string
		// The span: its last status (0: none), error.type ("": success),
		// attempts and retries, and its other attributes.
		status               int64
		errType              string
		attempts, retries    int64
		flags                map[string]any
		attemptEvs, retryEvs []event
		requests, retried    map[string]int64
		skewed               map[string]int64
	}{{
		name:       "success",
		call:       getSession,
		route:      getRoute,
		status:     200,
		attempts:   1,
		attemptEvs: []event{attemptEvent(1, 200, "")},
		requests:   map[string]int64{withOp(getOp, "pave.status_class=2xx"): 1},
	}, {
		name:       "create, with customer data in the request",
		call:       createSession,
		route:      "POST /v1/sessions",
		status:     201,
		attempts:   1,
		attemptEvs: []event{attemptEvent(1, 201, "")},
		requests:   map[string]int64{withOp(postOp, "pave.status_class=2xx"): 1},
	}, {
		name:       "two 503s, then an answer",
		fault:      &pavetest.Fault{Method: "GET", PathPrefix: "/v1/sessions/", Status: 503, Times: 2},
		call:       getSession,
		route:      getRoute,
		status:     200,
		attempts:   3,
		retries:    2,
		attemptEvs: []event{attemptEvent(1, 503, "503"), attemptEvent(2, 503, "503"), attemptEvent(3, 200, "")},
		retryEvs:   []event{retryEvent(1, "503"), retryEvent(2, "503")},
		requests:   map[string]int64{withOp(getOp, "pave.status_class=2xx"): 1},
		retried:    map[string]int64{withOp(getOp, "error.type=503"): 2},
	}, {
		name: "a 429 with Retry-After",
		fault: &pavetest.Fault{Method: "GET", PathPrefix: "/v1/sessions/", Status: 429,
			RetryAfter: 2 * time.Second, Times: 1},
		// Retry-After is honoured, capped at no wait.
		client:     []pave.Option{pave.WithMaxRetryAfter(0)},
		call:       getSession,
		route:      getRoute,
		status:     200,
		attempts:   2,
		retries:    1,
		flags:      map[string]any{"pave.rate_limited": true},
		attemptEvs: []event{attemptEvent(1, 429, "429"), attemptEvent(2, 200, "")},
		retryEvs: []event{{"pave.attempt": int64(1), "pave.retry.reason": "429", "pave.retry.wait": 0.0,
			"pave.retry.retry_after": 2.0}},
		requests: map[string]int64{withOp(getOp, "pave.status_class=2xx"): 1},
		retried:  map[string]int64{withOp(getOp, "error.type=429"): 1},
	}, {
		name:       "a server clock ten minutes ahead",
		server:     []pavetest.Option{pavetest.WithClock(func() time.Time { return time.Now().Add(10 * time.Minute) })},
		client:     []pave.Option{pave.WithClock(time.Now)},
		call:       getSession,
		route:      getRoute,
		status:     200,
		attempts:   2,
		flags:      map[string]any{"pave.clock_skew_corrected": true},
		attemptEvs: []event{attemptEvent(1, 401, "401"), attemptEvent(2, 200, "")},
		retryEvs:   []event{retryEvent(1, "clock_skew")},
		requests:   map[string]int64{withOp(getOp, "pave.status_class=2xx"): 1},
		skewed:     map[string]int64{withOp(getOp): 1},
	}, {
		name: "404",
		call: func(ctx context.Context, c *pave.Client, _ string) error {
			return getSession(ctx, c, "NOP-0000000000")
		},
		route:      getRoute,
		status:     404,
		errType:    "404",
		attempts:   1,
		attemptEvs: []event{attemptEvent(1, 404, "404")},
		requests:   map[string]int64{withOp(getOp, "pave.status_class=4xx", "error.type=404"): 1},
	}, {
		name:       "a POST answered 503 is not retried",
		fault:      &pavetest.Fault{Method: "POST", Status: 503, Times: 1},
		call:       createSession,
		route:      "POST /v1/sessions",
		status:     503,
		errType:    "503",
		attempts:   1,
		attemptEvs: []event{attemptEvent(1, 503, "503")},
		requests:   map[string]int64{withOp(postOp, "pave.status_class=5xx", "error.type=503"): 1},
	}, {
		name:     "connection refused, retried",
		deadURL:  true,
		call:     getSession,
		route:    getRoute,
		errType:  "connection_refused",
		attempts: 3,
		retries:  2,
		attemptEvs: []event{attemptEvent(1, 0, "connection_refused"), attemptEvent(2, 0, "connection_refused"),
			attemptEvent(3, 0, "connection_refused")},
		retryEvs: []event{retryEvent(1, "connection_refused"), retryEvent(2, "connection_refused")},
		requests: map[string]int64{withOp(getOp, "error.type=connection_refused"): 1},
		retried:  map[string]int64{withOp(getOp, "error.type=connection_refused"): 2},
	}, {
		name:       "timeout",
		fault:      &pavetest.Fault{Method: "GET", PathPrefix: "/v1/sessions/", Delay: time.Minute, Times: 1},
		client:     []pave.Option{pave.WithTimeout(20 * time.Millisecond), pave.WithMaxRetries(0)},
		call:       getSession,
		route:      getRoute,
		errType:    "timeout",
		attempts:   1,
		attemptEvs: []event{attemptEvent(1, 0, "timeout")},
		requests:   map[string]int64{withOp(getOp, "error.type=timeout"): 1},
	}, {
		name:       "connection reset mid-answer",
		fault:      &pavetest.Fault{Method: "GET", PathPrefix: "/v1/sessions/", ResetMidBody: true, Times: 1},
		client:     []pave.Option{pave.WithMaxRetries(0)},
		call:       getSession,
		route:      getRoute,
		errType:    "connection_reset",
		attempts:   1,
		attemptEvs: []event{attemptEvent(1, 0, "connection_reset")},
		requests:   map[string]int64{withOp(getOp, "error.type=connection_reset"): 1},
	}, {
		name:       "an answer that cannot be used",
		fault:      &pavetest.Fault{Method: "GET", PathPrefix: "/v1/sessions/", Status: 101, Times: 1},
		call:       getSession,
		route:      getRoute,
		errType:    "bad_response",
		attempts:   1,
		attemptEvs: []event{attemptEvent(1, 0, "bad_response")},
		requests:   map[string]int64{withOp(getOp, "error.type=bad_response"): 1},
	}, {
		name: "canceled before sending",
		call: func(ctx context.Context, c *pave.Client, key string) error {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			return getSession(ctx, c, key)
		},
		route:    getRoute,
		errType:  "canceled",
		requests: map[string]int64{withOp(getOp, "error.type=canceled"): 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := pavetest.NewServer(t, tt.server...)
			ctx := context.Background()
			sess, err := srv.Client().Sessions.Create(ctx, testSession) // not instrumented
			require.NoError(t, err)
			base := srv.URL
			if tt.deadURL {
				base = "http://" + nettest.RefusedAddr(t)
			}
			tm := newTelemetry(t, paveotel.WithBaseURL(base))
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			opts := append([]pave.Option{pave.WithBaseURL(base), pave.WithRetryBackoff(0, 0), tm.inst.ClientOption()},
				tt.client...)
			client := srv.Client(opts...)

			parentCtx, parent := tm.tp.Tracer("test").Start(ctx, "parent")
			callErr := tt.call(parentCtx, client, sess.SessionKey)
			parent.End()
			assert.Equal(t, tt.errType != "", callErr != nil, "the call's error: %v", callErr)

			ended := tm.ended()
			require.Len(t, ended, 2, "the call's span and the parent")
			span := ended[0]
			assert.Equal(t, tt.route, span.Name())
			assert.Equal(t, trace.SpanKindClient, span.SpanKind())
			assert.Equal(t, parent.SpanContext().SpanID(), span.Parent().SpanID(), "a child of the caller's span")
			assert.Equal(t, parent.SpanContext().TraceID(), span.SpanContext().TraceID())
			assert.Equal(t, paveotel.ScopeName, span.InstrumentationScope().Name)

			u, err := url.Parse(base)
			require.NoError(t, err)
			port, err := strconv.Atoi(u.Port())
			require.NoError(t, err)
			method, template, _ := strings.Cut(tt.route, " ")
			want := map[string]any{"http.request.method": method, "url.template": template,
				"server.address": u.Hostname(), "server.port": int64(port),
				"pave.attempts": tt.attempts, "pave.retries": tt.retries}
			if tt.status != 0 {
				want["http.response.status_code"] = tt.status
			}
			if tt.errType != "" {
				want["error.type"] = tt.errType
			}
			maps.Copy(want, tt.flags)
			assert.Equal(t, want, attrs(span.Attributes()))
			wantStatus := codes.Unset
			if tt.errType != "" {
				wantStatus = codes.Error
			}
			assert.Equal(t, wantStatus, span.Status().Code)
			assert.Equal(t, tt.errType, span.Status().Description)

			got := events(span, "pave.attempt")
			for _, ev := range got {
				d, ok := ev["pave.attempt.duration"].(float64)
				assert.True(t, ok && d >= 0, "pave.attempt.duration is a duration in seconds: %v", ev)
				delete(ev, "pave.attempt.duration")
			}
			assert.Equal(t, tt.attemptEvs, got, "attempt events")
			assert.Equal(t, tt.retryEvs, events(span, "pave.retry"), "retry events")

			rm := tm.metrics(t)
			assert.Equal(t, tt.requests, counts(t, rm, "pave.client.requests"))
			assert.Equal(t, tt.requests, counts(t, rm, "pave.client.request.duration"), "one duration per call")
			assert.Equal(t, "s", find(t, rm, "pave.client.request.duration").Unit)
			assert.Equal(t, tt.retried, counts(t, rm, "pave.client.retries"))
			assert.Equal(t, tt.skewed, counts(t, rm, "pave.client.clock_skew_corrections"))

			creds := srv.Credentials()
			assertNothingSecret(t, tm, sess.SessionKey, testPhone, testName, testVIN, creds.APISecret, creds.APIKey)
		})
	}
}

// Every API token the client sent stays out of the record, and so does
// the key of the session a failed call named in its error.
func TestClientRecordsNoTokenNorErrorText(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	tm := newTelemetry(t, paveotel.WithBaseURL(srv.URL))
	client := srv.Client(tm.inst.ClientOption(), pave.WithMaxRetries(0))
	const missing = "ZZZ-9876543210"
	_, err := client.Sessions.Get(context.Background(), missing)
	require.ErrorIs(t, err, pave.ErrNotFound)
	require.Contains(t, err.Error(), missing, "the error names the path: the test would see its text recorded")

	var tokens []string
	for _, r := range srv.Requests() {
		if tok := r.Header.Get("API-Token"); tok != "" {
			tokens = append(tokens, tok)
		}
	}
	require.NotEmpty(t, tokens)
	assertNothingSecret(t, tm, append(tokens, missing, err.Error())...)
}

// One instrumentation serves concurrent calls from several clients.
func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	tm := newTelemetry(t, paveotel.WithBaseURL(srv.URL))
	sess, err := srv.Client().Sessions.Create(context.Background(), testSession)
	require.NoError(t, err)
	const workers, calls = 4, 10
	var wg sync.WaitGroup
	for range workers {
		client := srv.Client(tm.inst.ClientOption())
		wg.Go(func() {
			for range calls {
				_, err := client.Sessions.Get(context.Background(), sess.SessionKey)
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	assert.Len(t, tm.ended(), workers*calls)
	assert.Equal(t, map[string]int64{withOp(getOp, "pave.status_class=2xx"): workers * calls},
		counts(t, tm.metrics(t), "pave.client.requests"))
}
