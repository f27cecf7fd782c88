package paveotel_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/pave-go/pave"
	paveotel "github.com/pave-go/pave/otel"
	"github.com/pave-go/pave/pavetest"
)

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  paveotel.Option
		want string
	}{
		{"nil tracer provider", paveotel.WithTracerProvider(nil), "paveotel: WithTracerProvider: nil TracerProvider"},
		{"nil meter provider", paveotel.WithMeterProvider(nil), "paveotel: WithMeterProvider: nil MeterProvider"},
		{"empty base URL", paveotel.WithBaseURL(""), "paveotel: WithBaseURL: want an http or https URL with a host"},
		{"no scheme", paveotel.WithBaseURL("openapi.paveapi.com"), "want an http or https URL with a host"},
		{"another scheme", paveotel.WithBaseURL("ftp://openapi.paveapi.com"), "want an http or https URL with a host"},
		{"no host", paveotel.WithBaseURL("https:///v1"), "want an http or https URL with a host"},
		{"unparsable, with a password", paveotel.WithBaseURL("https://user:hunter2@host:port"),
			"want an http or https URL with a host"},
		{"port out of range, with a password", paveotel.WithBaseURL("https://user:hunter2@host:65536"),
			"paveotel: WithBaseURL: the port is not a number from 0 to 65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inst, err := paveotel.New(tt.opt)
			require.Error(t, err)
			assert.Nil(t, inst)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

// server.address and server.port come from WithBaseURL, by default from
// pave.DefaultBaseURL; a nil option is skipped.
func TestServerAttributes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []paveotel.Option
		host string
		port int64
	}{
		{"default", nil, "openapi.paveapi.com", 443},
		{"nil option", []paveotel.Option{nil}, "openapi.paveapi.com", 443},
		{"https with a port and a prefix", []paveotel.Option{paveotel.WithBaseURL("https://gw.example.com:8443/pave")},
			"gw.example.com", 8443},
		{"http", []paveotel.Option{paveotel.WithBaseURL("http://localhost")}, "localhost", 80},
		{"IPv6", []paveotel.Option{paveotel.WithBaseURL("http://[::1]:8080")}, "::1", 8080},
		{"the last wins", []paveotel.Option{paveotel.WithBaseURL("http://a.example"),
			paveotel.WithBaseURL("https://b.example")}, "b.example", 443},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tm := newTelemetry(t, tt.opts...)
			ctx := paveotel.Observer(tm.inst).CallStart(context.Background(), getRoute)
			paveotel.Observer(tm.inst).CallEnd(ctx, 200, 1, nil)
			require.Len(t, tm.ended(), 1)
			got := attrs(tm.ended()[0].Attributes())
			assert.Equal(t, tt.host, got["server.address"])
			assert.Equal(t, tt.port, got["server.port"])
		})
	}
}

// failingMeter refuses to create counters.
type failingMeter struct{ noop.Meter }

func (failingMeter) Int64Counter(name string, _ ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	return noop.Int64Counter{}, errors.New("refused " + name)
}

type failingMeterProvider struct{ noop.MeterProvider }

func (failingMeterProvider) Meter(string, ...metric.MeterOption) metric.Meter { return failingMeter{} }

func TestNewFailsWhenAnInstrumentIsRefused(t *testing.T) {
	t.Parallel()
	inst, err := paveotel.New(paveotel.WithMeterProvider(failingMeterProvider{}))
	require.Error(t, err)
	assert.Nil(t, inst)
	assert.Contains(t, err.Error(), "paveotel: creating instruments: refused pave.client.requests")
	assert.Contains(t, err.Error(), "refused pave.webhook.deliveries")
}

// Without options New uses the global providers. Not parallel: it sets
// the global tracer provider.
func TestGlobalProviders(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	inst, err := paveotel.New()
	require.NoError(t, err)
	srv := pavetest.NewServer(t)
	_, err = srv.Client(inst.ClientOption()).Sessions.Get(context.Background(), "NOP-0000000000")
	require.ErrorIs(t, err, pave.ErrNotFound)
	require.Len(t, sr.Ended(), 1)
	assert.Equal(t, getRoute, sr.Ended()[0].Name())
}

// An observer called with a context its CallStart did not return (an
// observer of the user's wrapping it, say) records nothing and does not
// panic.
func TestObserverWithoutItsContext(t *testing.T) {
	t.Parallel()
	tm := newTelemetry(t)
	o := paveotel.Observer(tm.inst)
	ctx := context.Background()
	o.Attempt(ctx, pave.AttemptInfo{N: 1, Status: 503, Retry: true, SkewFixed: true})
	o.CallEnd(ctx, 503, 1, errors.New("HTTP 503"))
	assert.Empty(t, tm.ended())
	for _, name := range []string{"pave.client.requests", "pave.client.retries", "pave.client.clock_skew_corrections"} {
		assert.Nil(t, counts(t, tm.metrics(t), name), name)
	}
}
