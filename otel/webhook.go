package paveotel

import (
	"context"

	"github.com/pave-go/pave/webhook"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// The webhook attribute keys.
const (
	resultKey = attribute.Key("pave.webhook.result")
	reasonKey = attribute.Key("pave.webhook.reason")
	eventKey  = attribute.Key("pave.webhook.event")
)

// ObserveDelivery counts a webhook handler's answer to one request in
// pave.webhook.deliveries, and adds it as an event to the request's span
// if it has one (from an HTTP server instrumentation, say). It is meant
// for webhook.Config.Observe:
//
//	handler, err := webhook.NewHandler(webhook.Config{..., Observe: inst.ObserveDelivery})
//
// The name of the secret a delivery carried is not recorded, nor anything
// from the delivery but its event name, and that only when it is one of
// PAVE's documented events ("_OTHER" otherwise).
func (i *Instrumentation) ObserveDelivery(ctx context.Context, o webhook.Outcome) {
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs, resultKey.String(o.Result))
	if o.Reason != "" {
		attrs = append(attrs, reasonKey.String(o.Reason))
	}
	if o.Event != "" {
		event := "_OTHER"
		if e := o.Event.Canonical(); e.Known() {
			event = string(e)
		}
		attrs = append(attrs, eventKey.String(event))
	}
	i.deliveries.Add(ctx, 1, metric.WithAttributes(attrs...))
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(o.Status))
		span.AddEvent("pave.webhook.delivery", trace.WithAttributes(attrs...))
	}
}
