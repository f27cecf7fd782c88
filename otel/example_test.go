package paveotel_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/pave-go/pave"
	paveotel "github.com/pave-go/pave/otel"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/webhook"
)

// A client whose calls are spans and metrics. In production, New() alone
// uses the providers your OpenTelemetry setup registered globally; here an
// in-memory exporter shows the span of a call for a session that does not
// exist, sent to the fake PAVE server.
func Example() {
	srv, err := pavetest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))

	inst, err := paveotel.New(paveotel.WithTracerProvider(tp), paveotel.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	client, err := pave.NewClient(srv.Credentials(), pave.WithBaseURL(srv.URL), inst.ClientOption())
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Sessions.Get(context.Background(), "NOP-0000000000")
	fmt.Println(errors.Is(err, pave.ErrNotFound))

	for _, span := range spans.GetSpans() {
		fmt.Println(span.Name, span.SpanKind, span.Status.Code)
		for _, kv := range span.Attributes {
			if !strings.HasPrefix(string(kv.Key), "server.") { // the fake's port changes
				fmt.Printf("  %s: %s\n", kv.Key, kv.Value.String())
			}
		}
	}
	// Output:
	// true
	// GET /v1/sessions/{session_key} client Error
	//   http.request.method: GET
	//   url.template: /v1/sessions/{session_key}
	//   pave.attempts: 1
	//   pave.retries: 0
	//   http.response.status_code: 404
	//   error.type: 404
}

// A webhook handler whose answers are counted: here a delivery with a
// wrong secret, refused.
func ExampleInstrumentation_ObserveDelivery() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	inst, err := paveotel.New(paveotel.WithMeterProvider(mp))
	if err != nil {
		log.Fatal(err)
	}
	handler, err := webhook.NewHandler(webhook.Config{
		Secrets: []string{"example-secret-Vd3kQ9sLr2Xw7ZpT"}, // from webhook.NewSecret
		Handler: func(context.Context, *webhook.Event) error { return nil },
		Observe: inst.ObserveDelivery,
	})
	if err != nil {
		log.Fatal(err)
	}

	req := httptest.NewRequest(http.MethodPost, "/pave/webhooks", strings.NewReader(`{"event":"SESSION:COMPLETE"}`))
	req.Header.Set("Authorization", "Bearer not-the-secret")
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, _ := m.Data.(metricdata.Sum[int64])
			for _, dp := range sum.DataPoints {
				fmt.Println(m.Name, dp.Attributes.Encoded(attribute.DefaultEncoder()), dp.Value)
			}
		}
	}
	// Output:
	// 401
	// pave.webhook.deliveries pave.webhook.reason=unauthorized,pave.webhook.result=refused 1
}
