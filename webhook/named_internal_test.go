package webhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One secret per dealer; dealer-b is rotating from its old secret to its
// new one.
const (
	rxDealerA    = "rx-dealer-a-secret-3Hq8Wm2Lp"
	rxDealerBOld = "rx-dealer-b-old-secret-7Tz4"
	rxDealerBNew = "rx-dealer-b-new-secret-Qe9R"
	rxDealerC    = "rx-dealer-c-secret-5Ns1Kd6Vx"
	rxNobody     = "rx-nobody-knows-secret-0000"
)

// rxDealers is one endpoint's secrets for three dealers.
func rxDealers() map[string][]string {
	return map[string][]string{
		"dealer-a": {rxDealerA},
		"dealer-b": {rxDealerBOld, rxDealerBNew},
		"dealer-c": {rxDealerC},
	}
}

// rxAllSecrets lists every secret these tests configure, to check that
// none is printed.
var rxAllSecrets = []string{rxSecret, rxSecretOld, rxDealerA, rxDealerBOld, rxDealerBNew, rxDealerC, rxNobody}

func TestNamedSecretsRouteDeliveries(t *testing.T) {
	t.Parallel()
	body := rxFixture(t, "delivery_stage_change.json")
	named := Config{NamedSecrets: rxDealers()}
	mixed := Config{Secrets: []string{rxSecret}, NamedSecrets: rxDealers()}
	custom := Config{NamedSecrets: rxDealers(), Header: "X-Pave-Token"}
	tests := []struct {
		name       string
		cfg        Config
		headers    map[string]string
		wantStatus int
		wantSecret string // with wantStatus 204
	}{
		{"dealer a", named, authHeaders(rxDealerA), 204, "dealer-a"},
		{"dealer b, old secret", named, authHeaders(rxDealerBOld), 204, "dealer-b"},
		{"dealer b, new secret", named, authHeaders(rxDealerBNew), 204, "dealer-b"},
		{"dealer c", named, authHeaders(rxDealerC), 204, "dealer-c"},
		{"bearer in lower case", named, map[string]string{"Authorization": "bearer " + rxDealerC}, 204, "dealer-c"},
		{"unknown secret", named, authHeaders(rxNobody), 401, ""},
		{"no secret", named, nil, 401, ""},
		{"a dealer's secret plus a suffix", named, authHeaders(rxDealerA + "x"), 401, ""},
		{"unnamed secret not configured", named, authHeaders(rxSecret), 401, ""},
		{"mixed: unnamed secret", mixed, authHeaders(rxSecret), 204, ""},
		{"mixed: dealer b", mixed, authHeaders(rxDealerBNew), 204, "dealer-b"},
		{"mixed: unknown secret", mixed, authHeaders(rxSecretOld), 401, ""},
		{"custom header: dealer a", custom, map[string]string{"X-Pave-Token": rxDealerA}, 204, "dealer-a"},
		{"custom header: Bearer refused", custom, map[string]string{"X-Pave-Token": "Bearer " + rxDealerA}, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			counter := &rxCounter{}
			var logs bytes.Buffer
			cfg := tt.cfg
			cfg.Handler = counter.handle
			cfg.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			h, err := NewHandler(cfg)
			require.NoError(t, err)

			w := rxServe(h, rxPost("/pave", body, tt.headers))
			assert.Equal(t, tt.wantStatus, w.Code)
			if tt.wantStatus != 204 {
				assert.Zero(t, counter.calls(), "the handler is not called")
				assert.Equal(t, http.StatusText(tt.wantStatus)+"\n", w.Body.String())
			} else {
				require.Equal(t, 1, counter.calls())
				assert.Equal(t, tt.wantSecret, counter.events[0].Secret)
				if tt.wantSecret != "" {
					assert.Contains(t, logs.String(), `"secret_name":"`+tt.wantSecret+`"`, "the name is logged")
				} else {
					assert.NotContains(t, logs.String(), "secret_name")
				}
			}
			for _, s := range rxAllSecrets {
				assert.NotContains(t, logs.String()+w.Body.String(), s, "a secret leaks")
			}
		})
	}
}

// One handler for every dealer: each delivery reaches the handler with
// its own dealer's name, whatever the order.
func TestNamedSecretsOneEndpoint(t *testing.T) {
	t.Parallel()
	counter := &rxCounter{}
	h, err := NewHandler(Config{NamedSecrets: rxDealers(), Handler: counter.handle})
	require.NoError(t, err)
	body := rxFixture(t, "delivery_status_change.json")
	sent := []struct{ secret, dealer string }{
		{rxDealerC, "dealer-c"}, {rxDealerA, "dealer-a"}, {rxDealerBOld, "dealer-b"},
		{rxDealerBNew, "dealer-b"}, {rxDealerA, "dealer-a"},
	}
	for _, s := range sent {
		require.Equal(t, 204, rxServe(h, rxPost("/pave", body, authHeaders(s.secret))).Code)
	}
	require.Equal(t, 401, rxServe(h, rxPost("/pave", body, authHeaders(rxNobody))).Code)
	require.Equal(t, len(sent), counter.calls())
	for i, s := range sent {
		assert.Equal(t, s.dealer, counter.events[i].Secret, "delivery %d", i)
	}
}

func TestNamedSecretsConfig(t *testing.T) {
	t.Parallel()
	h := (&rxCounter{}).handle
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string // each in the error; none: no error
	}{
		{"named only", Config{NamedSecrets: rxDealers(), Handler: h}, nil},
		{"named and unnamed", Config{Secrets: []string{rxSecret, rxSecretOld}, NamedSecrets: rxDealers(), Handler: h}, nil},
		{"one secret twice under one name", Config{NamedSecrets: map[string][]string{"dealer-a": {rxDealerA, rxDealerA}}, Handler: h}, nil},
		{"empty map and no Secrets", Config{NamedSecrets: map[string][]string{}, Handler: h}, []string{"no secret", "NamedSecrets"}},
		{"empty map with Secrets", Config{Secrets: []string{rxSecret}, NamedSecrets: map[string][]string{}, Handler: h}, nil},
		{"empty name", Config{NamedSecrets: map[string][]string{"": {rxDealerA}, "dealer-c": {rxDealerC}}, Handler: h},
			[]string{"NamedSecrets has an empty name"}},
		{"name without secrets", Config{NamedSecrets: map[string][]string{"dealer-a": {rxDealerA}, "dealer-z": nil}, Handler: h},
			[]string{`NamedSecrets["dealer-z"] has no secret`}},
		{"name with an empty list", Config{NamedSecrets: map[string][]string{"dealer-z": {}}, Handler: h},
			[]string{`NamedSecrets["dealer-z"] has no secret`}},
		{"short secret under a name", Config{NamedSecrets: map[string][]string{"dealer-a": {rxDealerA, "abc123"}}, Handler: h},
			[]string{`NamedSecrets["dealer-a"][1]`, "shorter than 16"}},
		{"empty secret under a name", Config{NamedSecrets: map[string][]string{"dealer-a": {""}}, Handler: h},
			[]string{`NamedSecrets["dealer-a"][0]`, "empty"}},
		{"secret with spaces under a name", Config{NamedSecrets: map[string][]string{"dealer-a": {" " + rxDealerA}}, Handler: h},
			[]string{`NamedSecrets["dealer-a"][0]`, "spaces"}},
		{"secret with a newline under a name", Config{NamedSecrets: map[string][]string{"dealer-a": {rxDealerA + "\nX"}}, Handler: h},
			[]string{"control"}},
		{"one secret under two names", Config{NamedSecrets: map[string][]string{
			"dealer-a": {rxDealerA}, "dealer-b": {rxDealerBOld, rxDealerA}}, Handler: h},
			[]string{`NamedSecrets["dealer-b"][1] is the same secret as NamedSecrets["dealer-a"][0]`}},
		{"one secret named and unnamed", Config{Secrets: []string{rxSecret, rxDealerC}, NamedSecrets: rxDealers(), Handler: h},
			[]string{`NamedSecrets["dealer-c"][0] is the same secret as Secrets[1]`}},
		{"opt-out with named secrets", Config{InsecureSkipVerify: true, NamedSecrets: rxDealers(), Handler: h},
			[]string{"InsecureSkipVerify together with NamedSecrets"}},
		{"opt-out with both", Config{InsecureSkipVerify: true, Secrets: []string{rxSecret}, NamedSecrets: rxDealers(), Handler: h},
			[]string{"InsecureSkipVerify together with Secrets"}},
		{"opt-out with an empty map", Config{InsecureSkipVerify: true, NamedSecrets: map[string][]string{}, Handler: h}, nil},
		{"bad header with named secrets", Config{NamedSecrets: rxDealers(), Header: "X Token", Handler: h}, []string{"header name"}},
		{"no handler", Config{NamedSecrets: rxDealers()}, []string{"Handler is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewHandler(tt.cfg)
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				require.NotNil(t, got)
				return
			}
			require.Error(t, err)
			assert.Nil(t, got)
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
			for _, s := range rxAllSecrets {
				assert.NotContains(t, err.Error(), s, "a configuration error must not print a secret")
			}
			assert.NotContains(t, err.Error(), "abc123")
		})
	}
}

func TestVerifyNamed(t *testing.T) {
	t.Parallel()
	bearer := func(s string) http.Header { return http.Header{"Authorization": {"Bearer " + s}} }
	tests := []struct {
		name     string
		header   http.Header
		named    map[string][]string
		want     string
		wantErr  string // a configuration error
		wantAuth bool   // ErrUnauthorized
	}{
		{name: "dealer a", header: bearer(rxDealerA), named: rxDealers(), want: "dealer-a"},
		{name: "rotated: old", header: bearer(rxDealerBOld), named: rxDealers(), want: "dealer-b"},
		{name: "rotated: new", header: bearer(rxDealerBNew), named: rxDealers(), want: "dealer-b"},
		{name: "dealer c, scheme in upper case", header: http.Header{"Authorization": {"BEARER " + rxDealerC}}, named: rxDealers(), want: "dealer-c"},
		{name: "unknown secret", header: bearer(rxNobody), named: rxDealers(), wantAuth: true},
		{name: "without Bearer", header: http.Header{"Authorization": {rxDealerA}}, named: rxDealers(), wantAuth: true},
		{name: "nil header", header: nil, named: rxDealers(), wantAuth: true},
		{name: "nil map", header: bearer(rxDealerA), named: nil, wantErr: "no secret"},
		{name: "empty map", header: bearer(rxDealerA), named: map[string][]string{}, wantErr: "no secret"},
		{name: "empty name", header: bearer(rxDealerA), named: map[string][]string{"": {rxDealerA}}, wantErr: "empty name"},
		{name: "short secret", header: bearer(rxDealerA), named: map[string][]string{"dealer-a": {"short"}}, wantErr: "shorter than 16"},
		{name: "one secret under two names", header: bearer(rxDealerA),
			named: map[string][]string{"dealer-a": {rxDealerA}, "dealer-c": {rxDealerA}}, wantErr: "same secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := VerifyNamed(tt.header, tt.named)
			switch {
			case tt.wantAuth:
				require.ErrorIs(t, err, ErrUnauthorized)
				assert.Empty(t, got)
			case tt.wantErr != "":
				require.ErrorContains(t, err, tt.wantErr)
				assert.NotErrorIs(t, err, ErrUnauthorized, "a configuration error is not a refused delivery")
				assert.Empty(t, got)
				for _, s := range rxAllSecrets {
					assert.NotContains(t, err.Error(), s)
				}
			default:
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

// Two dealers sending the same body are two deliveries; one dealer's
// repeat, under either of its secrets, is a duplicate.
func TestDedupPerSecretName(t *testing.T) {
	t.Parallel()
	counter := &rxCounter{}
	h, err := NewHandler(Config{
		Secrets: []string{rxSecret}, NamedSecrets: rxDealers(), Handler: counter.handle, DedupWindow: time.Hour,
	})
	require.NoError(t, err)
	body := rxFixture(t, "delivery_stage_change.json")
	send := func(secret string) int { return rxServe(h, rxPost("/pave", body, authHeaders(secret))).Code }

	steps := []struct {
		secret    string
		wantCalls int
		why       string
	}{
		{rxDealerA, 1, "first from dealer a"},
		{rxDealerC, 2, "the same body from dealer c is another delivery"},
		{rxDealerBOld, 3, "and from dealer b"},
		{rxSecret, 4, "and for the unnamed secret"},
		{rxDealerA, 4, "dealer a's repeat is a duplicate"},
		{rxDealerBNew, 4, "dealer b's repeat under its other secret is a duplicate"},
		{rxSecret, 4, "the unnamed repeat is a duplicate"},
		{rxDealerC, 4, "dealer c's repeat is a duplicate"},
	}
	for _, s := range steps {
		assert.Equal(t, 204, send(s.secret), s.why)
		assert.Equal(t, s.wantCalls, counter.calls(), s.why)
	}
	want := []string{"dealer-a", "dealer-c", "dealer-b", ""}
	for i, ev := range counter.events {
		assert.Equal(t, want[i], ev.Secret)
	}
}

// An unnamed delivery keeps the id it had before secrets had names (a
// shared store's entries survive an upgrade); the name changes it.
func TestDeliveryID(t *testing.T) {
	t.Parallel()
	body := []byte(`{"event": "SESSION:STATUS_CHANGE", "session_key": "HBM-4R7T2KQ9XZ"}`)
	old := sha256.Sum256(append([]byte("SESSION:STATUS_CHANGE\x00"), body...))
	ev := &Event{Name: "SESSION:STATUS_CHANGE", Body: body}
	assert.Equal(t, hex.EncodeToString(old[:]), deliveryID(ev))

	ids := map[string]string{}
	for _, name := range []string{"", "dealer-a", "dealer-b", "dealer-ab", "named", "\x00"} {
		named := *ev
		named.Secret = name
		id := deliveryID(&named)
		assert.NotContains(t, ids, id, "name %q has the id of %q", name, ids[id])
		ids[id] = name
	}
	// The name is delimited: moving bytes between it and the event name
	// makes another id.
	a := deliveryID(&Event{Secret: "dealer-a", Name: "SESSION:X", Body: body})
	b := deliveryID(&Event{Secret: "dealer-aSESSION:X", Name: "", Body: body})
	assert.NotEqual(t, a, b)
}

// The name of the matched secret is configuration, not a credential: an
// Event logs it, and prints as before.
func TestEventLogsSecretName(t *testing.T) {
	t.Parallel()
	ev, err := Parse(rxFixture(t, "delivery_status_change.json"), nil)
	require.NoError(t, err)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("unnamed", "ev", ev)
	assert.NotContains(t, logs.String(), "secret_name", "no name, no attribute")
	before := ev.String()
	ev.Secret = "dealer-b"
	logger.Info("named", "ev", ev)
	assert.Contains(t, logs.String(), `"secret_name":"dealer-b"`)
	assert.Equal(t, before, ev.String())
}
