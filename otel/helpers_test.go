package paveotel_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	paveotel "github.com/pave-go/pave/otel"
)

// telemetry is an Instrumentation over the SDK's in-memory span recorder
// and a manual metric reader.
type telemetry struct {
	inst   *paveotel.Instrumentation
	tp     *sdktrace.TracerProvider
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
}

func newTelemetry(t *testing.T, opts ...paveotel.Option) *telemetry {
	t.Helper()
	tm := &telemetry{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tm.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tm.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(tm.reader))
	t.Cleanup(func() {
		_ = tm.tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	inst, err := paveotel.New(append([]paveotel.Option{paveotel.WithTracerProvider(tm.tp),
		paveotel.WithMeterProvider(mp)}, opts...)...)
	require.NoError(t, err)
	tm.inst = inst
	return tm
}

// ended returns the spans ended so far.
func (tm *telemetry) ended() []sdktrace.ReadOnlySpan { return tm.spans.Ended() }

// metrics collects the metrics recorded so far.
func (tm *telemetry) metrics(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, tm.reader.Collect(context.Background(), &rm))
	return rm
}

// find returns the metric named name, failing the test if there is none.
func find(t *testing.T, rm metricdata.ResourceMetrics, name string) metricdata.Metrics {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m
			}
		}
	}
	require.Failf(t, "no metric", "%s was not recorded", name)
	return metricdata.Metrics{}
}

// counts returns a counter's values, or a histogram's counts, by their
// attributes written as "k=v,k=v" (keys sorted); nil for a metric never
// recorded.
func counts(t *testing.T, rm metricdata.ResourceMetrics, name string) map[string]int64 {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			out := map[string]int64{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				require.True(t, d.IsMonotonic, name)
				for _, dp := range d.DataPoints {
					out[dp.Attributes.Encoded(attribute.DefaultEncoder())] += dp.Value
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					out[dp.Attributes.Encoded(attribute.DefaultEncoder())] += int64(dp.Count)
				}
			default:
				require.Failf(t, "unexpected data", "%s: %T", name, m.Data)
			}
			return out
		}
	}
	return nil
}

// attrs returns a span's or event's attributes as a map.
func attrs(kvs []attribute.KeyValue) map[string]any {
	out := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		out[string(kv.Key)] = kv.Value.AsInterface()
	}
	return out
}

// events returns the attributes of span's events named name, in order.
func events(span sdktrace.ReadOnlySpan, name string) []map[string]any {
	var out []map[string]any
	for _, ev := range span.Events() {
		if ev.Name == name {
			out = append(out, attrs(ev.Attributes))
		}
	}
	return out
}

// assertNothingSecret checks that none of the values appears anywhere in
// what tm recorded: span names, attributes, events, statuses, links, and
// metrics with their attributes. It checks that something was recorded,
// so it cannot pass on an empty record.
func assertNothingSecret(t *testing.T, tm *telemetry, values ...string) {
	t.Helper()
	spans, err := json.Marshal(tracetest.SpanStubsFromReadOnlySpans(tm.ended()))
	require.NoError(t, err)
	metrics, err := json.Marshal(tm.metrics(t))
	require.NoError(t, err)
	record := string(spans) + string(metrics)
	require.Contains(t, record, "pave.")
	for _, v := range values {
		require.NotEmpty(t, v)
		assert.False(t, strings.Contains(record, v), "%q was recorded", v)
	}
}
