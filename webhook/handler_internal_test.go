package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/wire"
	"github.com/pave-go/pave/pavetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests are internal (package pave) so that they can swap the
// constant-time comparison and inspect the duplicate-suppression memory.

const (
	rxSecret    = "rx-primary-secret-6Yq2LmW8pZ"
	rxSecretOld = "rx-previous-secret-Jk4Tn7Vb"
	rxSession   = "HBM-4R7T2KQ9XZ"
)

// rxFixture returns one of pavetest's embedded delivery fixtures.
func rxFixture(t testing.TB, name string) []byte {
	t.Helper()
	return pavetest.MustFixture(t, name)
}

// authHeaders are the headers pave.NewCallback registers for secret.
func authHeaders(secret string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + secret}
}

// rxCounter is a handler that records what it receives.
type rxCounter struct {
	mu     sync.Mutex
	events []*Event
	err    error
}

func (c *rxCounter) handle(_ context.Context, ev *Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, ev)
	return c.err
}

func (c *rxCounter) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

// rxPost builds a delivery as PAVE would send it with the headers
// registered by pave.NewCallback.
func rxPost(target string, body []byte, headers map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

func rxServe(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 20 {
		s, err := NewSecret()
		require.NoError(t, err)
		assert.Len(t, s, 43) // 32 bytes, base64url without padding
		assert.Regexp(t, `^[A-Za-z0-9_-]{43}$`, s)
		assert.False(t, seen[s], "secrets repeat")
		seen[s] = true
		assert.Equal(t, map[string]string{"Authorization": "Bearer " + s}, authHeaders(s))
		// A fresh secret is accepted by the handler.
		_, err = NewHandler(Config{Secrets: []string{s}, Handler: (&rxCounter{}).handle})
		require.NoError(t, err)
	}
}

func TestNewHandlerConfig(t *testing.T) {
	t.Parallel()
	h := (&rxCounter{}).handle
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"no secret", Config{Handler: h}, "no secret"},
		{"empty secret list", Config{Secrets: []string{}, Handler: h}, "no secret"},
		{"opt-out", Config{InsecureSkipVerify: true, Handler: h}, ""},
		{"opt-out with secrets", Config{InsecureSkipVerify: true, Secrets: []string{rxSecret}, Handler: h}, "InsecureSkipVerify together with Secrets"},
		{"one secret", Config{Secrets: []string{rxSecret}, Handler: h}, ""},
		{"two secrets", Config{Secrets: []string{rxSecret, rxSecretOld}, Handler: h}, ""},
		{"no handler", Config{Secrets: []string{rxSecret}}, "Handler is required"},
		{"short secret", Config{Secrets: []string{"abc123"}, Handler: h}, "shorter than 16"},
		{"empty secret", Config{Secrets: []string{rxSecret, ""}, Handler: h}, "Secrets[1]"},
		{"secret with spaces", Config{Secrets: []string{" " + rxSecret}, Handler: h}, "spaces"},
		{"secret with newline", Config{Secrets: []string{rxSecret + "\nX"}, Handler: h}, "control"},
		{"bad header", Config{Secrets: []string{rxSecret}, Header: "X Token", Handler: h}, "header name"},
		{"custom header", Config{Secrets: []string{rxSecret}, Header: "x-pave-token", Handler: h}, ""},
		{"negative body limit", Config{Secrets: []string{rxSecret}, MaxBodyBytes: -1, Handler: h}, "MaxBodyBytes"},
		{"bad method", Config{Secrets: []string{rxSecret}, Method: "PO ST", Handler: h}, "Method"},
		{"negative window", Config{Secrets: []string{rxSecret}, DedupWindow: -time.Second, Handler: h}, "negative"},
		{"negative entries", Config{Secrets: []string{rxSecret}, DedupMaxEntries: -1, Handler: h}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewHandler(tt.cfg)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NotNil(t, got)
				return
			}
			require.Error(t, err)
			assert.Nil(t, got)
			assert.Contains(t, err.Error(), tt.wantErr)
			for _, s := range tt.cfg.Secrets {
				if s != "" {
					assert.NotContains(t, err.Error(), s, "a configuration error must not print a secret")
				}
			}
		})
	}
}

// rxCase is one request against a handler built from cfg.
type rxCase struct {
	name       string
	cfg        Config // Handler is filled in
	method     string
	target     string
	headers    map[string]string
	body       []byte
	handlerErr error
	wantStatus int
	wantCalls  int
	wantEvent  pave.EventName
}

func rxCases(t *testing.T) []rxCase {
	stage := rxFixture(t, "delivery_stage_change.json")
	auth := authHeaders(rxSecret)
	both := Config{Secrets: []string{rxSecretOld, rxSecret}}
	one := Config{Secrets: []string{rxSecret}}
	return []rxCase{
		{name: "valid secret", cfg: one, headers: auth, body: stage, wantStatus: 204, wantCalls: 1, wantEvent: pave.EventStageChange},
		{name: "rotated: new secret second of two", cfg: both, headers: auth, body: stage, wantStatus: 204, wantCalls: 1, wantEvent: pave.EventStageChange},
		{name: "rotated: old secret first of two", cfg: both, headers: authHeaders(rxSecretOld), body: stage, wantStatus: 204, wantCalls: 1, wantEvent: pave.EventStageChange},
		{name: "bearer scheme in lower case", cfg: one, headers: map[string]string{"Authorization": "bearer " + rxSecret}, body: stage, wantStatus: 204, wantCalls: 1, wantEvent: pave.EventStageChange},
		{name: "no secret header", cfg: one, body: stage, wantStatus: 401},
		{name: "wrong secret", cfg: one, headers: authHeaders("rx-wrong-secret-00000000"), body: stage, wantStatus: 401},
		{name: "secret prefix", cfg: one, headers: authHeaders(rxSecret[:20]), body: stage, wantStatus: 401},
		{name: "secret plus suffix", cfg: one, headers: authHeaders(rxSecret + "x"), body: stage, wantStatus: 401},
		{name: "secret without Bearer", cfg: one, headers: map[string]string{"Authorization": rxSecret}, body: stage, wantStatus: 401},
		{name: "Basic scheme", cfg: one, headers: map[string]string{"Authorization": "Basic " + rxSecret}, body: stage, wantStatus: 401},
		{name: "Bearer without token", cfg: one, headers: map[string]string{"Authorization": "Bearer "}, body: stage, wantStatus: 401},
		{name: "secret in the wrong header", cfg: one, headers: map[string]string{"X-Pave-Token": rxSecret}, body: stage, wantStatus: 401},
		{name: "custom header with raw value", cfg: Config{Secrets: []string{rxSecret}, Header: "X-Pave-Token"},
			headers: map[string]string{"X-Pave-Token": rxSecret}, body: stage, wantStatus: 204, wantCalls: 1, wantEvent: pave.EventStageChange},
		{name: "custom header does not take Bearer", cfg: Config{Secrets: []string{rxSecret}, Header: "X-Pave-Token"},
			headers: map[string]string{"X-Pave-Token": "Bearer " + rxSecret}, body: stage, wantStatus: 401},
		{name: "opt-out accepts anything", cfg: Config{InsecureSkipVerify: true}, body: stage, wantStatus: 204, wantCalls: 1, wantEvent: pave.EventStageChange},
		{name: "wrong method", cfg: one, method: http.MethodGet, headers: auth, wantStatus: 405},
		{name: "PUT when configured", cfg: Config{Secrets: []string{rxSecret}, Method: "put"}, method: http.MethodPut, headers: auth, body: stage, wantStatus: 204, wantCalls: 1, wantEvent: pave.EventStageChange},
		{name: "oversize body", cfg: Config{Secrets: []string{rxSecret}, MaxBodyBytes: 64}, headers: auth, body: stage, wantStatus: 413},
		{name: "body at the limit", cfg: Config{Secrets: []string{rxSecret}, MaxBodyBytes: int64(len(stage))}, headers: auth, body: stage, wantStatus: 204, wantCalls: 1, wantEvent: pave.EventStageChange},
		{name: "default limit is 1 MiB", cfg: one, headers: auth,
			body: []byte(`{"event": "SESSION:STAGE_CHANGE", "pad": "` + strings.Repeat("x", 1<<20) + `"}`), wantStatus: 413},
		{name: "malformed JSON", cfg: one, headers: auth, body: []byte(`{"event": "SESSION:COMPLETE", `), wantStatus: 400},
		{name: "JSON list", cfg: one, headers: auth, body: []byte(`[{"event": "SESSION:COMPLETE"}]`), wantStatus: 400},
		{name: "empty body", cfg: one, headers: auth, body: nil, wantStatus: 400},
		{name: "unknown event delivered", cfg: one, headers: auth, body: rxFixture(t, "delivery_unknown_event.json"), wantStatus: 204, wantCalls: 1, wantEvent: "SESSION:ARCHIVED"},
		{name: "event nowhere delivered", cfg: one, headers: auth, body: []byte(`{"hello": "world"}`), wantStatus: 204, wantCalls: 1, wantEvent: ""},
		{name: "event from query", cfg: one, target: "/pave?event=SESSION:STATUS_CHANGE", headers: auth, body: []byte(`{"session_key": "HBM-4R7T2KQ9XZ", "status": "STARTED"}`), wantStatus: 204, wantCalls: 1, wantEvent: pave.EventStatusChange},
		{name: "event from header", cfg: one, headers: map[string]string{"Authorization": "Bearer " + rxSecret, "X-Pave-Event": "SESSION:NOTE_INSERT"}, body: []byte(`{"session_key": "HBM-4R7T2KQ9XZ"}`), wantStatus: 204, wantCalls: 1, wantEvent: pave.EventNoteInsert},
		{name: "handler error", cfg: one, headers: auth, body: stage, handlerErr: errors.New("database down for HBM-4R7T2KQ9XZ"), wantStatus: 500, wantCalls: 1, wantEvent: pave.EventStageChange},
	}
}

func TestHandlerRules(t *testing.T) {
	t.Parallel()
	for _, tt := range rxCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			counter := &rxCounter{err: tt.handlerErr}
			var logs bytes.Buffer
			cfg := tt.cfg
			cfg.Handler = counter.handle
			cfg.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			var outcomes []Outcome
			cfg.Observe = func(_ context.Context, o Outcome) { outcomes = append(outcomes, o) }
			h, err := NewHandler(cfg)
			require.NoError(t, err)

			method, target := tt.method, tt.target
			if method == "" {
				method = http.MethodPost
			}
			if target == "" {
				target = "/pave/webhooks"
			}
			r := rxPost(target, tt.body, tt.headers)
			r.Method = method
			w := rxServe(h, r)

			assert.Equal(t, tt.wantStatus, w.Code)
			assert.Equal(t, tt.wantCalls, counter.calls())
			if tt.wantCalls > 0 {
				assert.Equal(t, tt.wantEvent, counter.events[0].Name)
				assert.Equal(t, string(tt.body), string(counter.events[0].Body))
				require.NotNil(t, counter.events[0].Request, "the handler reaches the request")
				assert.Equal(t, r.URL.String(), counter.events[0].Request.URL.String())
			}
			// One outcome per request, as answered.
			require.Len(t, outcomes, 1)
			o := outcomes[0]
			assert.Equal(t, tt.wantStatus, o.Status)
			switch {
			case tt.wantStatus == 204:
				assert.Equal(t, Outcome{Result: "delivered", Status: 204, Event: tt.wantEvent}, o)
			case tt.wantStatus == 500:
				assert.Equal(t, "failed", o.Result)
				assert.Equal(t, "handler_error", o.Reason)
			default:
				assert.Equal(t, "refused", o.Result)
				assert.Contains(t, []string{"method", "unauthorized", "too_large", "malformed"}, o.Reason)
			}
			body := w.Body.String()
			if tt.wantStatus == 204 {
				assert.Empty(t, body)
			} else {
				// No detail: the status text only.
				assert.Equal(t, http.StatusText(tt.wantStatus)+"\n", body)
			}
			if tt.wantStatus == 405 {
				assert.Equal(t, "POST", w.Header().Get("Allow"))
			}
			// Nothing a sender sent or a user configured leaks.
			out := body + logs.String()
			for _, s := range []string{rxSecret, rxSecretOld, "rx-wrong-secret", "images-cdn", "Wrong View", "database down"} {
				assert.NotContains(t, body, s)
				if s != "database down" {
					assert.NotContains(t, out, s)
				}
			}
			assert.NotEmpty(t, logs.String(), "every outcome is logged")
		})
	}
}

// TestWebhookHandlerOverHTTP runs the handler behind a real server: chunked
// bodies without Content-Length are bounded too.
func TestHandlerOverHTTP(t *testing.T) {
	t.Parallel()
	counter := &rxCounter{}
	h, err := NewHandler(Config{Secrets: []string{rxSecret}, MaxBodyBytes: 1024, Handler: counter.handle})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	send := func(body io.Reader, headers map[string]string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/pave", body)
		require.NoError(t, err)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp
	}
	auth := authHeaders(rxSecret)
	// io.MultiReader hides the length, so the body is sent chunked.
	big := io.MultiReader(strings.NewReader(`{"pad": "`), strings.NewReader(strings.Repeat("y", 4096)), strings.NewReader(`"}`))
	assert.Equal(t, 413, send(big, auth).StatusCode)
	small := io.MultiReader(bytes.NewReader(rxFixture(t, "delivery_sms_process.json")))
	assert.Equal(t, 204, send(small, auth).StatusCode)
	assert.Equal(t, 401, send(strings.NewReader(`{}`), nil).StatusCode)
	require.Equal(t, 1, counter.calls())
	assert.Equal(t, pave.EventSMSProcess, counter.events[0].Name)
}

func TestHandlerPanicIs500(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h, err := NewHandler(Config{
		Secrets: []string{rxSecret},
		Handler: func(context.Context, *Event) error { panic("customer Priya Natarajan +19025550147") },
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
	})
	require.NoError(t, err)
	w := rxServe(h, rxPost("/", rxFixture(t, "delivery_sms_process.json"), authHeaders(rxSecret)))
	assert.Equal(t, 500, w.Code)
	assert.Equal(t, "Internal Server Error\n", w.Body.String())
	assert.Contains(t, logs.String(), "panicked")
	assert.NotContains(t, logs.String(), "Priya")
	assert.NotContains(t, logs.String(), "19025550147")
}

func TestHandlerNeverLogsPersonalData(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	counter := &rxCounter{}
	h, err := NewHandler(Config{
		Secrets: []string{rxSecret}, Handler: counter.handle, DedupWindow: time.Minute,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	for _, f := range []string{"delivery_complete.json", "delivery_sms_process.json", "delivery_note_insert.json", "delivery_stage_change.json"} {
		for range 2 { // the second is a duplicate
			w := rxServe(h, rxPost("/", rxFixture(t, f), authHeaders(rxSecret)))
			assert.Equal(t, 204, w.Code, f)
		}
	}
	assert.Equal(t, 4, counter.calls())
	out := logs.String()
	assert.Contains(t, out, rxSession)
	assert.Contains(t, out, "duplicate")
	for _, pii := range []string{"19025550147", "Priya", "Natarajan", "Dana", "Kowalski", "harbourmotors.example",
		"Windshield chip", "2T1BURHE5KC123456", "Halifax", rxSecret, "Bearer"} {
		assert.NotContains(t, out, pii)
	}
}

// recordingLookup records the digests a Handler looks up.
type recordingLookup struct {
	*SecretMap
	mu      sync.Mutex
	digests [][sha256.Size]byte
}

func (r *recordingLookup) LookupSecret(d [sha256.Size]byte) (string, bool) {
	r.mu.Lock()
	r.digests = append(r.digests, d)
	r.mu.Unlock()
	return r.SecretMap.LookupSecret(d)
}

// TestSecretLookedUpByDigest proves that verification hands the lookup
// the SHA-256 digest of what was presented, never the secret, exactly once
// per request whether or not a secret was presented (both paths cost the
// same), and that a name added or removed at run time takes effect at once.
func TestSecretLookedUpByDigest(t *testing.T) {
	t.Parallel()
	m, err := NewSecretMap(rxDealers())
	require.NoError(t, err)
	look := &recordingLookup{SecretMap: m}
	counter := &rxCounter{}
	h, err := NewHandler(Config{SecretLookup: look, Handler: counter.handle})
	require.NoError(t, err)
	body := rxFixture(t, "delivery_stage_change.json")
	for _, tc := range []struct {
		name    string
		headers map[string]string
		status  int
		secret  string
	}{
		{"first name", authHeaders(rxDealerA), 204, "dealer-a"},
		{"rotated name, old secret", authHeaders(rxDealerBOld), 204, "dealer-b"},
		{"rotated name, new secret", authHeaders(rxDealerBNew), 204, "dealer-b"},
		{"none matches", authHeaders(rxNobody), 401, ""},
		{"nothing presented", nil, 401, ""},
	} {
		look.digests = nil
		before := counter.calls()
		w := rxServe(h, rxPost("/", body, tc.headers))
		assert.Equal(t, tc.status, w.Code, tc.name)
		require.Len(t, look.digests, 1, tc.name)
		if tc.headers != nil {
			presented := strings.TrimPrefix(tc.headers["Authorization"], "Bearer ")
			assert.Equal(t, sha256.Sum256([]byte(presented)), look.digests[0], "%s: the digest, not the secret", tc.name)
		}
		if tc.status == 204 {
			require.Equal(t, before+1, counter.calls(), tc.name)
			assert.Equal(t, tc.secret, counter.events[before].Secret, tc.name)
		}
	}

	// A dealer onboarded and another removed while the handler runs.
	const newDealer = "rx-dealer-new-0123456789"
	assert.Equal(t, 401, rxServe(h, rxPost("/", body, authHeaders(newDealer))).Code)
	require.NoError(t, m.Set("dealer-new", newDealer))
	assert.Equal(t, 204, rxServe(h, rxPost("/", body, authHeaders(newDealer))).Code)
	m.Remove("dealer-a")
	assert.Equal(t, 401, rxServe(h, rxPost("/", body, authHeaders(rxDealerA))).Code)
	require.Error(t, m.Set("dealer-c", rxDealerBNew), "a secret under two names is refused")
	require.Error(t, m.Set("", newDealer))
	require.Error(t, m.Set("x"))
	require.Error(t, m.Set("x", "short"))
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secrets := []string{rxSecretOld, rxSecret}
	assert.NoError(t, Verify(http.Header{"Authorization": {"Bearer " + rxSecret}}, secrets...))
	assert.NoError(t, Verify(http.Header{"Authorization": {"bearer " + rxSecretOld}}, secrets...))
	assert.ErrorIs(t, Verify(http.Header{"Authorization": {"Bearer nope-nope-nope-nope"}}, secrets...), ErrUnauthorized)
	assert.ErrorIs(t, Verify(http.Header{"Authorization": {rxSecret}}, secrets...), ErrUnauthorized, "the Bearer scheme is required")
	assert.ErrorIs(t, Verify(nil, secrets...), ErrUnauthorized)

	err := Verify(http.Header{})
	require.Error(t, err, "no secret is a configuration error")
	assert.NotErrorIs(t, err, ErrUnauthorized)
	err = Verify(http.Header{"Authorization": {"Bearer short"}}, "short")
	require.ErrorContains(t, err, "shorter than 16")
	assert.NotContains(t, err.Error(), "short\"")
}

// A custom header carries the secret as its whole value.
func TestHandlerCustomHeader(t *testing.T) {
	t.Parallel()
	counter := &rxCounter{}
	h, err := NewHandler(Config{Secrets: []string{rxSecret}, Header: "X-Hook-Secret", Handler: counter.handle})
	require.NoError(t, err)
	body := rxFixture(t, "delivery_stage_change.json")
	assert.Equal(t, 204, rxServe(h, rxPost("/", body, map[string]string{"X-Hook-Secret": rxSecret})).Code)
	assert.Equal(t, 401, rxServe(h, rxPost("/", body, authHeaders(rxSecret))).Code)
}

// rxClock is a settable clock for the dedup window.
type rxClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *rxClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *rxClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestDedup(t *testing.T) {
	t.Parallel()
	clock := &rxClock{now: time.Date(2024, 6, 3, 14, 0, 0, 0, time.UTC)}
	counter := &rxCounter{}
	h, err := NewHandler(Config{
		Secrets: []string{rxSecret}, Handler: counter.handle,
		DedupWindow: 10 * time.Minute, Clock: clock.Now,
	})
	require.NoError(t, err)
	stage := rxFixture(t, "delivery_stage_change.json")
	send := func(body []byte, headers map[string]string) int {
		all := authHeaders(rxSecret)
		for k, v := range headers {
			all[k] = v
		}
		return rxServe(h, rxPost("/", body, all)).Code
	}

	assert.Equal(t, 204, send(stage, nil))
	assert.Equal(t, 204, send(stage, nil), "duplicate acknowledged")
	assert.Equal(t, 1, counter.calls(), "but not dispatched")

	clock.Advance(9 * time.Minute)
	assert.Equal(t, 204, send(stage, nil))
	assert.Equal(t, 1, counter.calls(), "still within the window")

	other := bytes.Replace(stage, []byte(`_08_REA`), []byte(`_07_RGT`), 1)
	assert.Equal(t, 204, send(other, nil))
	assert.Equal(t, 2, counter.calls(), "a different body is a different delivery")

	noEvent := []byte(`{"session_key": "HBM-4R7T2KQ9XZ", "status": "STARTED"}`)
	assert.Equal(t, 204, send(noEvent, map[string]string{"X-Pave-Event": "SESSION:STATUS_CHANGE"}))
	assert.Equal(t, 204, send(noEvent, map[string]string{"X-Pave-Event": "SESSION:CUSTOM"}))
	assert.Equal(t, 4, counter.calls(), "the same body for another event is another delivery")

	clock.Advance(2 * time.Minute)
	assert.Equal(t, 204, send(stage, nil))
	assert.Equal(t, 5, counter.calls(), "after the window it is handled again")
}

func TestDedupRetriesFailedDelivery(t *testing.T) {
	t.Parallel()
	counter := &rxCounter{err: errors.New("temporary")}
	h, err := NewHandler(Config{Secrets: []string{rxSecret}, Handler: counter.handle, DedupWindow: time.Hour})
	require.NoError(t, err)
	body := rxFixture(t, "delivery_status_change.json")
	assert.Equal(t, 500, rxServe(h, rxPost("/", body, authHeaders(rxSecret))).Code)
	counter.mu.Lock()
	counter.err = nil
	counter.mu.Unlock()
	assert.Equal(t, 204, rxServe(h, rxPost("/", body, authHeaders(rxSecret))).Code)
	assert.Equal(t, 204, rxServe(h, rxPost("/", body, authHeaders(rxSecret))).Code)
	assert.Equal(t, 2, counter.calls(), "a failed delivery is not remembered; a handled one is")
}

func TestDedupConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var calls atomic.Int64
	h, err := NewHandler(Config{
		Secrets: []string{rxSecret}, DedupWindow: time.Hour,
		Handler: func(ctx context.Context, ev *Event) error {
			calls.Add(1)
			<-release
			return nil
		},
	})
	require.NoError(t, err)
	body := rxFixture(t, "delivery_complete.json")
	const n = 8
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			codes <- rxServe(h, rxPost("/", body, authHeaders(rxSecret))).Code
		})
	}
	close(release)
	wg.Wait()
	close(codes)
	for c := range codes {
		assert.Equal(t, 204, c)
	}
	assert.Equal(t, int64(1), calls.Load())
}

func TestDedupWaiterGivesUpWithContext(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	release := make(chan struct{})
	h, err := NewHandler(Config{
		Secrets: []string{rxSecret}, DedupWindow: time.Hour,
		Handler: func(ctx context.Context, ev *Event) error {
			close(started)
			<-release
			return nil
		},
	})
	require.NoError(t, err)
	body := rxFixture(t, "delivery_complete.json")
	first := make(chan int, 1)
	go func() { first <- rxServe(h, rxPost("/", body, authHeaders(rxSecret))).Code }()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := rxPost("/", body, authHeaders(rxSecret)).WithContext(ctx)
	assert.Equal(t, 503, rxServe(h, r).Code)
	close(release)
	assert.Equal(t, 204, <-first)
}

func TestMemoryStoreIsBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &rxClock{now: time.Unix(1_700_000_000, 0)}
	m := newMemoryStore(3, clock.Now)
	id := func(i int) string { return fmt.Sprint("delivery-", i) }
	claim := func(m *memoryStore, i int) (string, bool) {
		t.Helper()
		tok, done, err := m.Claim(ctx, id(i), time.Minute)
		require.NoError(t, err)
		return tok, done
	}
	for i := range 10 {
		tok, _ := claim(m, i)
		require.NotEmpty(t, tok)
		require.NoError(t, m.Settle(ctx, id(i), tok, true, time.Minute))
		assert.LessOrEqual(t, len(m.entries), 3)
		assert.Equal(t, len(m.entries), m.handled.Len())
	}
	// The newest are remembered, the oldest forgotten.
	tok, done := claim(m, 9)
	assert.Empty(t, tok)
	assert.True(t, done)
	tok, _ = claim(m, 0)
	require.NotEmpty(t, tok)
	require.NoError(t, m.Settle(ctx, id(0), tok, false, time.Minute))
	tok, _ = claim(m, 0)
	assert.NotEmpty(t, tok, "a failed delivery is released: the next attempt is handled")
	require.NoError(t, m.Settle(ctx, id(0), tok, false, time.Minute))

	// Expired entries are dropped.
	clock.Advance(2 * time.Minute)
	tok, _ = claim(m, 20)
	require.NotEmpty(t, tok)
	require.NoError(t, m.Settle(ctx, id(20), tok, true, time.Minute))
	assert.Equal(t, 1, len(m.entries))
	assert.Equal(t, 1, m.handled.Len())

	// A claim in progress is never evicted for room: the memory is full.
	m2 := newMemoryStore(1, clock.Now)
	first, _ := claim(m2, 1)
	require.NotEmpty(t, first)
	_, _, err := m2.Claim(ctx, id(2), time.Minute)
	assert.ErrorIs(t, err, ErrStoreFull, "no room beside a claim in progress")
	tok, done = claim(m2, 1)
	assert.Empty(t, tok, "the claim in progress is still there")
	assert.False(t, done)
	clock.Advance(time.Hour)
	tok, _ = claim(m2, 1)
	assert.Empty(t, tok, "a claim in progress in this process never expires")
	// Settling someone else's claim changes nothing.
	require.NoError(t, m2.Settle(ctx, id(1), "not-the-token", false, time.Minute))
	tok, _ = claim(m2, 1)
	assert.Empty(t, tok)
	require.NoError(t, m2.Settle(ctx, id(1), first, true, time.Minute))
	second, _ := claim(m2, 2) // now the handled delivery makes room
	require.NotEmpty(t, second)
	require.NoError(t, m2.Settle(ctx, id(2), second, true, time.Minute))
	assert.Equal(t, 1, len(m2.entries))
	tok, done = claim(m2, 2)
	assert.Empty(t, tok)
	assert.True(t, done)
}

// A delivery still being handled is never forgotten, however many others
// arrive: its duplicate is never dispatched beside it. When the memory is
// full of deliveries in progress, a new one gets 503 with Retry-After.
func TestDedupNeverDispatchesADuplicateInFlight(t *testing.T) {
	t.Parallel()
	for _, maxEntries := range []int{2, 100, 0} {
		t.Run(fmt.Sprint(maxEntries), func(t *testing.T) {
			t.Parallel()
			limit := maxEntries
			if limit == 0 {
				limit = DefaultDedupEntries
			}
			release := make(chan struct{})
			var mu sync.Mutex
			calls := map[string]int{}
			started := make(chan struct{}, limit+8)
			h, err := NewHandler(Config{
				Secrets: []string{rxSecret}, DedupWindow: time.Hour, DedupMaxEntries: maxEntries,
				Handler: func(ctx context.Context, ev *Event) error {
					mu.Lock()
					calls[string(ev.Body)]++
					n := len(calls)
					mu.Unlock()
					if n > limit {
						return nil // dispatched beyond the memory: do not block
					}
					started <- struct{}{}
					<-release
					return nil
				},
			})
			require.NoError(t, err)
			delivery := func(i int) []byte {
				return fmt.Appendf(nil, `{"event": "SESSION:STAGE_CHANGE", "session_key": "%s", "photo_url": "https://x/%d"}`, rxSession, i)
			}
			var wg sync.WaitGroup
			codes := make(chan int, limit+8)
			send := func(i int) {
				wg.Go(func() { codes <- rxServe(h, rxPost("/", delivery(i), authHeaders(rxSecret))).Code })
			}
			// Fill the memory with deliveries in progress: the first, then
			// limit-1 others.
			send(0)
			<-started
			for i := 1; i < limit; i++ {
				send(i)
				<-started
			}
			// More arrive: no room for them, and the first's duplicate
			// must wait for its outcome.
			for i := limit; i < limit+3; i++ {
				w := rxServe(h, rxPost("/", delivery(i), authHeaders(rxSecret)))
				assert.Equal(t, http.StatusServiceUnavailable, w.Code)
				assert.Equal(t, "1", w.Header().Get("Retry-After"))
			}
			send(0)
			close(release)
			wg.Wait()
			close(codes)
			for c := range codes {
				assert.Equal(t, http.StatusNoContent, c)
			}
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, 1, calls[string(delivery(0))], "the first delivery was dispatched twice")
			assert.Len(t, calls, limit, "deliveries beyond the memory were dispatched")
		})
	}
}

func TestParseEventDetection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		query    url.Values
		header   http.Header
		want     pave.EventName
		wantFrom NameSource
		wantKey  string
	}{
		{"body", `{"event": "SESSION:SMS_PROCESS", "session_key": "K-1", "phone": "1"}`, nil, nil, pave.EventSMSProcess, NameFromBody, "K-1"},
		{"body in lower case", `{"event": "session:complete", "session": {"session_key": "K-2"}}`, nil, nil, pave.EventComplete, NameFromBody, "K-2"},
		{"body wins over query and header", `{"event": "SESSION:NOTE_INSERT"}`, url.Values{"event": {"SESSION:COMPLETE"}},
			http.Header{"X-Pave-Event": {"SESSION:SMS_PROCESS"}}, pave.EventNoteInsert, NameFromBody, ""},
		{"unknown body event kept", `{"event": " SESSION:FUTURE "}`, nil, nil, "SESSION:FUTURE", NameFromBody, ""},
		{"non-string body event ignored", `{"event": 42, "photo_url": "https://x"}`, nil, nil, pave.EventStageChange, NameFromShape, ""},
		{"empty body event ignored", `{"event": "", "photo_url": "https://x"}`, nil, nil, pave.EventStageChange, NameFromShape, ""},
		{"query", `{"session_key": "K-3"}`, url.Values{"event": {"SESSION:STATUS_CHANGE"}}, nil, pave.EventStatusChange, NameFromQuery, "K-3"},
		{"query wins over header", `{}`, url.Values{"event": {"SESSION:STATUS_CHANGE"}}, http.Header{"X-Pave-Event": {"SESSION:SMS_PROCESS"}}, pave.EventStatusChange, NameFromQuery, ""},
		{"header", `{}`, nil, http.Header{"X-Pave-Event": {"session:note_insert"}}, pave.EventNoteInsert, NameFromHeader, ""},
		{"header with control char ignored", `{}`, nil, http.Header{"X-Pave-Event": {"SESSION:\x01"}}, "", NameUnknown, ""},
		{"shape: complete", `{"session": {"session_key": "K-4"}, "vehicle": {"vin": "X"}}`, nil, nil, pave.EventComplete, NameFromShape, "K-4"},
		{"shape: complete key from vehicle", `{"session": {}, "vehicle": {"session_key": "K-5"}}`, nil, nil, pave.EventComplete, NameFromShape, "K-5"},
		{"shape: stage change", `{"session_key": "K-6", "photo_url": "https://x", "photo_status": "ACCEPTED"}`, nil, nil, pave.EventStageChange, NameFromShape, "K-6"},
		{"shape: sms", `{"phone": "+19025550147", "status": "success"}`, nil, nil, pave.EventSMSProcess, NameFromShape, ""},
		{"shape: status change", `{"session_key": "K-7", "status": "CONFIRM", "previous_status": "QC_PASSED"}`, nil, nil, pave.EventStatusChange, NameFromShape, "K-7"},
		{"shape: note", `{"session_key": "K-8", "note": {"id": 1}}`, nil, nil, pave.EventNoteInsert, NameFromShape, "K-8"},
		{"shape: null photo_url is not a stage change", `{"photo_url": null}`, nil, nil, "", NameUnknown, ""},
		{"shape: session string is not complete", `{"session": "K", "vehicle": {}}`, nil, nil, "", NameUnknown, ""},
		{"nothing", `{"foo": "bar"}`, nil, nil, "", NameUnknown, ""},
		{"numeric session key", `{"session_key": 12345}`, nil, nil, "", NameUnknown, "12345"},
		{"too long name ignored", `{"event": "` + strings.Repeat("E", 200) + `"}`, nil, nil, "", NameUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := parse([]byte(tt.body), tt.header, tt.query)
			require.NoError(t, err)
			assert.Equal(t, tt.want, ev.Name)
			assert.Equal(t, tt.wantFrom, ev.NameFrom)
			assert.Equal(t, tt.wantKey, ev.SessionKey)
			assert.Equal(t, tt.body, string(ev.Body))
		})
	}
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"", "   ", "null", "[]", `"SESSION:COMPLETE"`, "42", "{", `{"a": 1} trailing`, `{"a": }`, "\xff\xfe", "\v{}", "\u0085{}"} {
		ev, err := Parse([]byte(body), nil)
		assert.Nil(t, ev, "%q", body)
		assert.ErrorIs(t, err, ErrMalformed, "%q", body)
	}
}

func TestParseRequest(t *testing.T) {
	t.Parallel()
	r := rxPost("/pave?event=SESSION:STATUS_CHANGE", []byte(`{"session_key": "K-9", "status": "EXPIRED"}`), nil)
	ev, err := ParseRequest(r, 0)
	require.NoError(t, err)
	assert.Equal(t, pave.EventStatusChange, ev.Name)
	assert.Equal(t, NameFromQuery, ev.NameFrom)

	r = rxPost("/", []byte(`{"pad": "`+strings.Repeat("z", 100)+`"}`), nil)
	_, err = ParseRequest(r, 50)
	var mbe *http.MaxBytesError
	assert.ErrorAs(t, err, &mbe)

	_, err = ParseRequest(nil, 0)
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestEventViews(t *testing.T) {
	t.Parallel()
	parse := func(t *testing.T, name string) *Event {
		ev, err := Parse(rxFixture(t, name), nil)
		require.NoError(t, err)
		return ev
	}

	t.Run("complete", func(t *testing.T) {
		t.Parallel()
		ev := parse(t, "delivery_complete.json")
		assert.Equal(t, pave.EventComplete, ev.Name)
		assert.Equal(t, rxSession, ev.SessionKey)
		res, err := ev.Complete()
		require.NoError(t, err)
		assert.Equal(t, "SESSION:COMPLETE", res.Event)
		assert.Equal(t, rxSession, res.Session.SessionKey)
		assert.Equal(t, pave.StatusComplete, res.Session.Status)
		assert.Equal(t, pave.Int(612), res.Session.InspectDuration)
		assert.Equal(t, time.Date(2024, 6, 3, 14, 19, 40, 0, time.UTC), res.Session.InspectEndedAt.UTC())
		assert.Equal(t, pave.Int(2019), res.Vehicle.Year)
		assert.Equal(t, pave.Int(88412), res.Vehicle.OdomReading)
		assert.Equal(t, "2T1BURHE5KC123456", res.Vehicle.VIN)
		require.NotNil(t, res.Inspection)
		assert.Len(t, res.Inspection.Damages, 2)
		assert.JSONEq(t, string(ev.Body), string(res.Raw()), "Raw keeps the whole body, payload attributes included")
		assert.Contains(t, string(res.Raw()), "undocumented_section")

		_, err = ev.StageChange()
		assert.Error(t, err, "a COMPLETE is not a STAGE_CHANGE")
	})
	t.Run("complete without event", func(t *testing.T) {
		t.Parallel()
		ev := parse(t, "delivery_complete_no_event.json")
		assert.Equal(t, pave.EventComplete, ev.Name)
		assert.Equal(t, NameFromShape, ev.NameFrom)
		res, err := ev.Complete()
		require.NoError(t, err)
		assert.Equal(t, rxSession, res.Session.SessionKey)
	})
	t.Run("stage change", func(t *testing.T) {
		t.Parallel()
		sc, err := parse(t, "delivery_stage_change.json").StageChange()
		require.NoError(t, err)
		// PAVE documents no photo code: it comes from the _08_ of the URL.
		assert.Equal(t, &StageChange{
			SessionKey: rxSession, PhotoCode: pave.PhotoRear, PhotoLabel: pave.LabelRear,
			PhotoURL:    "https://images-cdn.paveapi.com/HBM/HBM-4R7T2KQ9XZ/HBM-4R7T2KQ9XZ_08_REA.jpg",
			PhotoStatus: PhotoAccepted,
		}, sc)
		assert.True(t, sc.PhotoStatus.Accepted())
		assert.False(t, sc.PhotoStatus.Rejected())
	})
	t.Run("stage change rejected", func(t *testing.T) {
		t.Parallel()
		ev := parse(t, "delivery_stage_change_rejected.json")
		assert.Equal(t, NameFromShape, ev.NameFrom)
		sc, err := ev.StageChange()
		require.NoError(t, err)
		assert.Equal(t, pave.PhotoVIN, sc.PhotoCode, "_01_ in the URL")
		assert.Equal(t, pave.LabelVIN, sc.PhotoLabel, "label derived from the code")
		assert.True(t, sc.PhotoStatus.Rejected())
		assert.Equal(t, "Wrong View", sc.Message)
	})
	t.Run("stage change lenient code", func(t *testing.T) {
		t.Parallel()
		for body, want := range map[string]pave.PhotoCode{
			`{"photo_code": "01", "photo_url": "https://x/K_04_A.jpg"}`:                                   pave.PhotoVIN, // a code wins over the URL
			`{"photo_url": "https://x/K-1/K-1_13_RL.jpg?sig=_02_"}`:                                       pave.PhotoRearLeft,
			`{"photo_url": "https://x/K-1/K-1_99_X.jpg"}`:                                                 0, // not a view
			`{"photo_url": "https://x/nocode.jpg"}`:                                                       0,
			`{"photo_url": "https://images-cdn.paveapi.com/LKH/LKH-7Q2M9XK4TB/LKH-7Q2M9XK4TB_10_FL.jpg"}`: pave.PhotoFrontLeft,
		} {
			ev, err := Parse([]byte(body), nil)
			require.NoError(t, err)
			sc, err := ev.StageChange()
			require.NoError(t, err)
			assert.Equal(t, want, sc.PhotoCode, body)
			assert.Equal(t, want.Label(), sc.PhotoLabel, body)
		}
	})
	t.Run("stage change code from label", func(t *testing.T) {
		t.Parallel()
		ev, err := Parse([]byte(`{"event": "SESSION:STAGE_CHANGE", "photo_label": "front_left", "photo_code": "n/a", "photo_status": "rejected: Wrong View"}`), nil)
		require.NoError(t, err)
		sc, err := ev.StageChange()
		require.NoError(t, err)
		assert.Equal(t, pave.PhotoFrontLeft, sc.PhotoCode)
		assert.True(t, sc.PhotoStatus.Rejected())
	})
	t.Run("sms process", func(t *testing.T) {
		t.Parallel()
		sp, err := parse(t, "delivery_sms_process.json").SMSProcess()
		require.NoError(t, err)
		// As documented: no session key.
		assert.Equal(t, &SMSProcess{Phone: "+19025550147", Status: SMSError, Message: "Unreachable destination handset"}, sp)
		assert.False(t, sp.Status.OK())
		assert.True(t, SMSStatus("SUCCESS").OK())
	})
	t.Run("status change", func(t *testing.T) {
		t.Parallel()
		ev := parse(t, "delivery_status_change.json")
		assert.Equal(t, pave.EventStatusChange, ev.Name, "a status with a session key")
		sc, err := ev.StatusChange()
		require.NoError(t, err)
		assert.Equal(t, rxSession, sc.SessionKey)
		assert.Equal(t, pave.StatusQCPassed, sc.Status)
		assert.Empty(t, sc.PreviousStatus)
		assert.True(t, sc.UpdatedAt.IsZero())
		// The richer body the fake sends with RichWebhooks.
		ev, err = Parse([]byte(`{"event": "SESSION:STATUS_CHANGE", "session_key": "HBM-4R7T2KQ9XZ", "status": "QC_PASSED",
			"previous_status": "PROCESS", "updated_at": "2024-06-03T14:12:44.000000Z"}`), nil)
		require.NoError(t, err)
		sc, err = ev.StatusChange()
		require.NoError(t, err)
		assert.Equal(t, pave.StatusProcess, sc.PreviousStatus)
		assert.Equal(t, time.Date(2024, 6, 3, 14, 12, 44, 0, time.UTC), sc.UpdatedAt.UTC())
	})
	t.Run("status change with a bad time", func(t *testing.T) {
		t.Parallel()
		ev, err := Parse([]byte(`{"event": "SESSION:STATUS_CHANGE", "status": 3, "updated_at": "yesterday"}`), nil)
		require.NoError(t, err)
		sc, err := ev.StatusChange()
		require.NoError(t, err)
		assert.Equal(t, pave.SessionStatus("3"), sc.Status)
		assert.True(t, sc.UpdatedAt.IsZero())
	})
	t.Run("note insert", func(t *testing.T) {
		t.Parallel()
		ni, err := parse(t, "delivery_note_insert.json").NoteInsert()
		require.NoError(t, err)
		assert.Equal(t, rxSession, ni.SessionKey)
		assert.Equal(t, pave.Int(4411), ni.Note.ID)
		assert.Equal(t, "Appraiser", ni.Note.Title)
		assert.Equal(t, "Windshield chip near driver side", ni.Note.Description)
		assert.False(t, ni.Note.CreatedAt.IsZero())
		assert.NotEmpty(t, ni.Note.Raw())
	})
	t.Run("note insert, odd note", func(t *testing.T) {
		t.Parallel()
		for body, want := range map[string]pave.Note{
			`{"event": "SESSION:NOTE_INSERT", "note": "plain text"}`: noteOf(t, `"plain text"`),
			`{"event": "SESSION:NOTE_INSERT", "note": [1, 2]}`:       noteOf(t, `[1, 2]`),
			`{"event": "SESSION:NOTE_INSERT", "note": null}`:         {},
		} {
			ev, err := Parse([]byte(body), nil)
			require.NoError(t, err)
			ni, err := ev.NoteInsert()
			require.NoError(t, err)
			assert.Equal(t, want, ni.Note, body)
		}
	})
	t.Run("unknown event", func(t *testing.T) {
		t.Parallel()
		ev := parse(t, "delivery_unknown_event.json")
		assert.Equal(t, pave.EventName("SESSION:ARCHIVED"), ev.Name)
		assert.False(t, ev.Name.Known())
		var custom struct {
			ArchivedBy string `json:"archived_by"`
		}
		require.NoError(t, ev.Decode(&custom))
		assert.Equal(t, "system", custom.ArchivedBy)
		for _, view := range []func() error{
			func() error { _, err := ev.Complete(); return err },
			func() error { _, err := ev.StageChange(); return err },
			func() error { _, err := ev.SMSProcess(); return err },
			func() error { _, err := ev.StatusChange(); return err },
			func() error { _, err := ev.NoteInsert(); return err },
		} {
			assert.Error(t, view())
		}
	})
	t.Run("nameless event decodes as any view", func(t *testing.T) {
		t.Parallel()
		ev, err := Parse([]byte(`{"session_key": "K", "phone": "5550147"}`), nil)
		require.NoError(t, err)
		assert.Equal(t, pave.EventName(""), ev.Name)
		sp, err := ev.SMSProcess()
		require.NoError(t, err)
		assert.Equal(t, "5550147", sp.Phone)
	})
	t.Run("hand-built event", func(t *testing.T) {
		t.Parallel()
		ev := &Event{Name: pave.EventStageChange, Body: rxFixture(t, "delivery_stage_change.json")}
		sc, err := ev.StageChange()
		require.NoError(t, err)
		assert.Equal(t, pave.PhotoRear, sc.PhotoCode)
		bad := &Event{Name: pave.EventSMSProcess, Body: json.RawMessage(`[`)}
		_, err = bad.SMSProcess()
		assert.ErrorIs(t, err, ErrMalformed)
		_, err = (&Event{Name: pave.EventComplete, Body: json.RawMessage(`{"session": "x"}`)}).Complete()
		assert.Error(t, err)
	})
}

func TestEventPrintsWithoutBody(t *testing.T) {
	t.Parallel()
	ev, err := Parse(rxFixture(t, "delivery_sms_process.json"), nil)
	require.NoError(t, err)
	ev.SessionKey = rxSession // as when the callback's payload carries one
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("got", "event", ev)
	outs := []string{ev.String(), fmt.Sprint(ev), fmt.Sprintf("%+v", *ev), fmt.Sprintf("%#v", ev), fmt.Sprintf("%q", ev), logs.String()}
	for _, out := range outs {
		assert.Contains(t, out, "SESSION:SMS_PROCESS")
		assert.Contains(t, out, rxSession)
		assert.NotContains(t, out, "19025550147")
		assert.NotContains(t, out, "Unreachable")
	}
	assert.Contains(t, (&Event{}).String(), "unknown event")
}

// TestNewCallbackRoundTrip wires both sides the documented way: the setting
// pave.NewCallback registers makes deliveries that the handler accepts and names.
func TestNewCallbackRoundTrip(t *testing.T) {
	t.Parallel()
	secret, err := NewSecret()
	require.NoError(t, err)
	cb := pave.NewCallback(pave.EventStatusChange, "https://hooks.example.com/pave", secret)
	counter := &rxCounter{}
	h, err := NewHandler(Config{Secrets: []string{secret}, Handler: counter.handle})
	require.NoError(t, err)

	// PAVE merges the payload into its default body and adds the headers.
	body := map[string]any{"session_key": rxSession, "status": "STARTED", "previous_status": "IDLE"}
	for k, v := range cb.Payload {
		body[k] = v
	}
	b, err := json.Marshal(body)
	require.NoError(t, err)
	w := rxServe(h, rxPost("/pave", b, cb.Headers))
	assert.Equal(t, 204, w.Code)
	require.Equal(t, 1, counter.calls())
	assert.Equal(t, pave.EventStatusChange, counter.events[0].Name)
	assert.Equal(t, NameFromBody, counter.events[0].NameFrom)

	// Without the payload, the header still names the event.
	w = rxServe(h, rxPost("/pave", []byte(`{"session_key": "K"}`), cb.Headers))
	assert.Equal(t, 204, w.Code)
	require.Equal(t, 2, counter.calls())
	assert.Equal(t, pave.EventStatusChange, counter.events[1].Name)
	assert.Equal(t, NameFromHeader, counter.events[1].NameFrom)
}

// FuzzParse checks that no body, header or query makes parsing, the
// typed views or the handler panic, and that what parses keeps its body.
func FuzzParse(f *testing.F) {
	for _, name := range []string{
		"delivery_complete.json", "delivery_complete_no_event.json", "delivery_stage_change.json",
		"delivery_stage_change_rejected.json", "delivery_sms_process.json", "delivery_status_change.json",
		"delivery_note_insert.json", "delivery_unknown_event.json",
	} {
		f.Add(rxFixture(f, name), "", "")
	}
	for _, seed := range []struct{ body, header, query string }{
		{`{"session_key": "HBM-4R7T2KQ9XZ", "status": "STARTED"}`, "SESSION:STATUS_CHANGE", ""},
		{`{"session_key": "HBM-4R7T2KQ9XZ"}`, "", "event=SESSION:NOTE_INSERT"},
		{`{}`, "", ""},
		{`{"event": null, "session": null, "vehicle": null, "note": null, "photo_url": null}`, "", ""},
		{`{"event": "SESSION:STAGE_CHANGE", "photo_code": 1e400, "session_key": 123456789012345678901234567890}`, "", ""},
		{`{"event": "SESSION:STATUS_CHANGE", "updated_at": 99999999999999999999, "status": {"a": 1}}`, "", ""},
		{`{"event": "SESSION:COMPLETE", "session": {"capture_duration": "1,2,3", "inspect_started_at": 1e300}, "vehicle": {"year": -1e308}}`, "", ""},
		{`{"event": "SESSION:NOTE_INSERT", "note": {"id": "x", "created_at": "tomorrow"}}`, "", ""},
		{`{"event": "SESSION:SMS_PROCESS", "phone": ["+1"], "status": true}`, "", ""},
		{`{"event": "\u0000\u202e", "session_key": "\ud800"}`, "\x00", "event=%00"},
		{`[1, 2, 3]`, "", ""},
		{`not json at all`, "", ""},
		{`{"a": ` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`, "", ""},
		{"", "", ""},
	} {
		f.Add([]byte(seed.body), seed.header, seed.query)
	}
	counter := &rxCounter{}
	h, err := NewHandler(Config{
		Secrets: []string{rxSecret}, Handler: counter.handle, DedupWindow: time.Minute, DedupMaxEntries: 64,
		Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(f, err)

	f.Fuzz(func(t *testing.T, body []byte, eventHeader, rawQuery string) {
		header := http.Header{}
		header.Set("X-Pave-Event", eventHeader)
		q, _ := url.ParseQuery(rawQuery)
		ev, err := parse(body, header, q)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			require.Nil(t, ev)
		} else {
			require.Equal(t, body, []byte(ev.Body))
			require.LessOrEqual(t, len(ev.Name), maxEventNameLen)
			_, _ = ev.Complete()
			_, _ = ev.StageChange()
			_, _ = ev.SMSProcess()
			_, _ = ev.StatusChange()
			_, _ = ev.NoteInsert()
			_ = ev.String()
			_ = ev.LogValue()
			// Every view decodes a nameless copy without failing on the
			// fields it reads leniently.
			anon := &Event{Body: ev.Body}
			_, err := anon.StageChange()
			require.NoError(t, err)
			_, err = anon.SMSProcess()
			require.NoError(t, err)
			_, err = anon.StatusChange()
			require.NoError(t, err)
			_, err = anon.NoteInsert()
			require.NoError(t, err)
		}

		r := httptest.NewRequest(http.MethodPost, "/pave", bytes.NewReader(body))
		r.URL.RawQuery = q.Encode()
		r.Header.Set("Authorization", "Bearer "+rxSecret)
		if wire.ValidHeaderValue(eventHeader) {
			r.Header.Set("X-Pave-Event", eventHeader)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case 204:
			require.NoError(t, err)
		case 400:
			require.Error(t, err)
		default:
			t.Fatalf("unexpected status %d", w.Code)
		}
		require.NotContains(t, w.Body.String(), rxSecret)

		// pave.Callback decoding never panics either.
		var cb pave.Callback
		_ = json.Unmarshal(body, &cb)
		_ = cb.String()
		_ = cb.Validate()
	})
}

// noteOf decodes a note as NoteInsert does.
func noteOf(t *testing.T, raw string) pave.Note {
	t.Helper()
	var n pave.Note
	require.NoError(t, json.Unmarshal([]byte(raw), &n))
	return n
}

// TestRebuiltHandlerKeepsItsMemory: a handler rebuilt over the memory
// store of the one it replaces (NewMemoryStore) still knows the deliveries
// that one handled, and says so to Observe.
func TestRebuiltHandlerKeepsItsMemory(t *testing.T) {
	t.Parallel()
	store := NewMemoryStore(0, nil)
	body := rxFixture(t, "delivery_stage_change.json")
	counter := &rxCounter{}
	var outcomes []Outcome
	build := func() http.Handler {
		h, err := NewHandler(Config{Secrets: []string{rxSecret}, Handler: counter.handle, DedupWindow: time.Minute,
			DedupStore: store, Observe: func(_ context.Context, o Outcome) { outcomes = append(outcomes, o) }})
		require.NoError(t, err)
		return h
	}
	assert.Equal(t, 204, rxServe(build(), rxPost("/", body, authHeaders(rxSecret))).Code)
	assert.Equal(t, 204, rxServe(build(), rxPost("/", body, authHeaders(rxSecret))).Code)
	assert.Equal(t, 1, counter.calls(), "the rebuilt handler acknowledges the repeat without dispatching it")
	require.Len(t, outcomes, 2)
	assert.Equal(t, "delivered", outcomes[0].Result)
	assert.Equal(t, "duplicate", outcomes[1].Result)
}
