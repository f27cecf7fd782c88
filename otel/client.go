package paveotel

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/pave-go/pave"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// PAVE's attribute keys (see the package documentation).
const (
	attemptsKey      = attribute.Key("pave.attempts")
	retriesKey       = attribute.Key("pave.retries")
	skewCorrectedKey = attribute.Key("pave.clock_skew_corrected")
	rateLimitedKey   = attribute.Key("pave.rate_limited")
	statusClassKey   = attribute.Key("pave.status_class")
	attemptKey       = attribute.Key("pave.attempt")
	attemptDurKey    = attribute.Key("pave.attempt.duration")
	retryWaitKey     = attribute.Key("pave.retry.wait")
	retryAfterKey    = attribute.Key("pave.retry.retry_after")
	retryReasonKey   = attribute.Key("pave.retry.reason")
)

// ClientOption returns the option that makes a pave.Client report its
// calls to i:
//
//	client, err := pave.NewClient(creds, inst.ClientOption())
//
// It is pave.WithObserver with i's observer, which ClientOption keeps out
// of Instrumentation's own methods.
func (i *Instrumentation) ClientOption() pave.Option { return pave.WithObserver((*observer)(i)) }

// observer is an Instrumentation seen as a pave.Observer.
type observer Instrumentation

// route is what a call's route gives every span and measurement, built
// once per route.
type route struct {
	name      string
	start     []trace.SpanStartOption
	operation []attribute.KeyValue // http.request.method and url.template
	skewOpt   []metric.AddOption
	// A success's options (operation, status class 2xx), as slices
	// passed whole: a variadic argument built per call would escape.
	okAdd    []metric.AddOption
	okRecord []metric.RecordOption
}

// call is one call's state, and the context CallStart returns (one
// allocation rather than a context.WithValue and a state). The pipeline
// calls Attempt and CallEnd one after the other, never at once.
type call struct {
	context.Context
	span      trace.Span
	route     *route
	start     time.Time
	attempts  int // Attempt calls: none when the context ended before the first
	retries   int
	skewFixed bool
	limited   bool
}

type callKey struct{}

// Value returns c for callKey, else its parent's value.
func (c *call) Value(key any) any {
	if key == (callKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// route returns the route named name, building it the first time. Names
// come from the SDK's table of operations, so there are few.
func (o *observer) route(name string) *route {
	if r, ok := o.routes.Load(name); ok {
		return r.(*route)
	}
	method, template, _ := strings.Cut(name, " ")
	op := []attribute.KeyValue{semconv.HTTPRequestMethodKey.String(method), semconv.URLTemplate(template)}
	ok := metric.WithAttributes(append(op[:len(op):len(op)], statusClassKey.String("2xx"))...)
	r := &route{name: name, operation: op, skewOpt: []metric.AddOption{metric.WithAttributes(op...)},
		okAdd: []metric.AddOption{ok}, okRecord: []metric.RecordOption{ok},
		start: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(append(op[:len(op):len(op)], o.server...)...)}}
	actual, _ := o.routes.LoadOrStore(name, r)
	return actual.(*route)
}

// CallStart starts the call's span.
func (o *observer) CallStart(ctx context.Context, name string) context.Context {
	r := o.route(name)
	ctx, span := o.tracer.Start(ctx, r.name, r.start...)
	return &call{Context: ctx, span: span, route: r, start: time.Now()}
}

// Attempt counts retries and clock corrections and records the attempt
// as span events.
func (o *observer) Attempt(ctx context.Context, a pave.AttemptInfo) {
	c, _ := ctx.Value(callKey{}).(*call)
	if c == nil {
		return
	}
	c.attempts++
	c.limited = c.limited || a.Status == http.StatusTooManyRequests
	errType := errorType(a.Status, a.Err)
	if a.SkewFixed {
		c.skewFixed = true
		o.skewFixes.Add(ctx, 1, c.route.skewOpt...)
	}
	if a.Retry {
		c.retries++
		o.retries.Add(ctx, 1, metric.WithAttributes(append(c.route.operation, semconv.ErrorTypeKey.String(errType))...))
	}
	if !c.span.IsRecording() {
		return
	}
	attrs := []attribute.KeyValue{attemptKey.Int(a.N), attemptDurKey.Float64(a.Duration.Seconds())}
	if a.Status != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(a.Status))
	}
	if errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
	}
	c.span.AddEvent("pave.attempt", trace.WithAttributes(attrs...))
	if !a.Retry && !a.SkewFixed {
		return
	}
	reason := errType
	if a.SkewFixed {
		reason = "clock_skew"
	}
	// A new slice: a tracer may keep the one its event was given.
	attrs = []attribute.KeyValue{attemptKey.Int(a.N), retryReasonKey.String(reason),
		retryWaitKey.Float64(a.Wait.Seconds())}
	if a.RetryAfter > 0 {
		attrs = append(attrs, retryAfterKey.Float64(a.RetryAfter.Seconds()))
	}
	c.span.AddEvent("pave.retry", trace.WithAttributes(attrs...))
}

// CallEnd records the call's measurements and ends its span.
func (o *observer) CallEnd(ctx context.Context, status, _ int, err error) {
	c, _ := ctx.Value(callKey{}).(*call)
	if c == nil {
		return
	}
	errType := ""
	if err != nil {
		errType = errorType(status, err)
	}
	d := time.Since(c.start).Seconds()
	if class := statusClass(status); class == "2xx" && errType == "" {
		o.requests.Add(ctx, 1, c.route.okAdd...)
		o.duration.Record(ctx, d, c.route.okRecord...)
	} else {
		attrs := append(make([]attribute.KeyValue, 0, 4), c.route.operation...)
		if class != "" {
			attrs = append(attrs, statusClassKey.String(class))
		}
		if errType != "" {
			attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
		}
		opt := metric.WithAttributes(attrs...)
		o.requests.Add(ctx, 1, opt)
		o.duration.Record(ctx, d, opt)
	}
	if c.span.IsRecording() {
		attrs := make([]attribute.KeyValue, 0, 6)
		attrs = append(attrs, attemptsKey.Int(c.attempts), retriesKey.Int(c.retries))
		if status != 0 {
			attrs = append(attrs, semconv.HTTPResponseStatusCode(status))
		}
		if c.skewFixed {
			attrs = append(attrs, skewCorrectedKey.Bool(true))
		}
		if c.limited {
			attrs = append(attrs, rateLimitedKey.Bool(true))
		}
		if errType != "" {
			attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
			c.span.SetStatus(codes.Error, errType)
		}
		c.span.SetAttributes(attrs...)
	}
	c.span.End()
}

// statusClass is "2xx" for a 2xx status and so on; "" for no status.
func statusClass(status int) string {
	switch {
	case status == 0:
		return ""
	case status >= 100 && status <= 599:
		return [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}[status/100-1]
	}
	return "_OTHER"
}
