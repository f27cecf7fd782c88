package paveotel_test

// The cost of the instrumentation on a Get over loopback, measured as the
// root module's benchmarks are (see BENCHMARKS.md):
//
//	go test -c -o /tmp/otel.test ./otel
//	go run ./internal/benchratio -bin /tmp/otel.test -rounds 20 \
//	    -pair 'Get/Noop=Get/Plain' -pair 'Get/SDK=Get/Plain'

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/pave-go/pave"
	paveotel "github.com/pave-go/pave/otel"
)

var benchCreds = pave.Credentials{Username: "benchmotors", APIKey: "0b7d2c6e-3f41-4a8e-9c15-6d2e8f0a1b3c",
	APISecret: "bench-secret-not-real"}

// benchSession is a session as PAVE answers GET /v1/sessions/{key}.
var benchSession = []byte(`{"session_key":"BEN-7Q2M9XK4TB","theme":"LITE","active":true,"status":"IDLE",` +
	`"redirect_url":"https://dealer.example.com/done","inspect_started_at":null,"inspect_ended_at":null,` +
	`"created_at":"2024-03-15T09:30:01.000000Z","updated_at":"2024-03-15T09:30:01.000000Z","language":"EN",` +
	`"capture_url":"https://benchmotors.vehiclecapture.com/BEN-7Q2M9XK4TB",` +
	`"options":{"client_id":"LEAD-1"},"vehicle":{"vin":"1HGCV1F39LA012345"}}`)

// discard is a span exporter that drops what it is given.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkGet is Sessions.Get without instrumentation (Plain), with it
// over no-op providers (Noop), and over the SDK's providers (SDK: a batch
// span processor into a discarding exporter, a manual metric reader).
func BenchmarkGet(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(benchSession)
	}))
	b.Cleanup(srv.Close)
	run := func(b *testing.B, opts ...paveotel.Option) {
		clientOpts := []pave.Option{pave.WithBaseURL(srv.URL)}
		if opts != nil {
			inst, err := paveotel.New(append(opts, paveotel.WithBaseURL(srv.URL))...)
			if err != nil {
				b.Fatal(err)
			}
			clientOpts = append(clientOpts, inst.ClientOption())
		}
		client, err := pave.NewClient(benchCreds, clientOpts...)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(client.CloseIdleConnections)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := client.Sessions.Get(ctx, "BEN-7Q2M9XK4TB"); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("Plain", func(b *testing.B) { run(b) })
	b.Run("Noop", func(b *testing.B) { run(b, noopProviders...) })
	b.Run("SDK", func(b *testing.B) { run(b, sdkProviders(b)...) })
}

// noopProviders are the options of an Instrumentation over no-op providers.
var noopProviders = []paveotel.Option{paveotel.WithTracerProvider(tracenoop.NewTracerProvider()),
	paveotel.WithMeterProvider(metricnoop.NewMeterProvider())}

// sdkProviders are the options of an Instrumentation over the SDK's
// providers: a batch span processor into a discarding exporter, and a
// manual metric reader.
func sdkProviders(tb testing.TB) []paveotel.Option {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tb.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return []paveotel.Option{paveotel.WithTracerProvider(tp), paveotel.WithMeterProvider(mp)}
}

// observeCall is what the client does for a call answered at once.
func observeCall(o pave.Observer) {
	ctx := o.CallStart(context.Background(), getRoute)
	o.Attempt(ctx, pave.AttemptInfo{N: 1, Status: http.StatusOK, Duration: time.Millisecond})
	o.CallEnd(ctx, http.StatusOK, 1, nil)
}

// BenchmarkObserver is the instrumentation's own work for one call, without
// the call.
func BenchmarkObserver(b *testing.B) {
	for _, p := range []struct {
		name string
		opts []paveotel.Option
	}{{"Noop", noopProviders}, {"SDK", sdkProviders(b)}} {
		b.Run(p.name, func(b *testing.B) {
			inst, err := paveotel.New(p.opts...)
			if err != nil {
				b.Fatal(err)
			}
			o := paveotel.Observer(inst)
			b.ReportAllocs()
			for b.Loop() {
				observeCall(o)
			}
		})
	}
}

// Over no-op providers a successful call costs its span's context and the
// call's state: two allocations.
func TestNoopAllocations(t *testing.T) {
	inst, err := paveotel.New(noopProviders...)
	require.NoError(t, err)
	o := paveotel.Observer(inst)
	observeCall(o) // builds the route
	assert.LessOrEqual(t, testing.AllocsPerRun(100, func() { observeCall(o) }), 2.0)
}
