package paveotel

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"

	"github.com/pave-go/pave"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/pave-go/pave/otel"

// Instrumentation reports a pave.Client's calls and a webhook handler's
// deliveries to OpenTelemetry. Create one with New and share it: it is
// safe for concurrent use, by any number of clients and handlers.
type Instrumentation struct {
	tracer trace.Tracer
	server []attribute.KeyValue // server.address and server.port

	requests, retries, skewFixes, deliveries metric.Int64Counter
	duration                                 metric.Float64Histogram

	routes sync.Map // route string -> *route
}

type config struct {
	tp     trace.TracerProvider
	mp     metric.MeterProvider
	server []attribute.KeyValue
}

// Option configures an Instrumentation. Options validate their argument;
// New returns the first error.
type Option func(*config) error

// WithTracerProvider sets the provider of the tracer (default: the global
// one, otel.GetTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		if tp == nil {
			return errors.New("paveotel: WithTracerProvider: nil TracerProvider")
		}
		c.tp = tp
		return nil
	}
}

// WithMeterProvider sets the provider of the meter (default: the global
// one, otel.GetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) error {
		if mp == nil {
			return errors.New("paveotel: WithMeterProvider: nil MeterProvider")
		}
		c.mp = mp
		return nil
	}
}

// WithBaseURL gives the base URL the instrumented clients use, when they
// were given one with pave.WithBaseURL: its host and port become the
// spans' server.address and server.port (default: pave.DefaultBaseURL's).
func WithBaseURL(baseURL string) Option {
	return func(c *config) error {
		server, err := serverAttrs(baseURL)
		if err != nil {
			return fmt.Errorf("paveotel: WithBaseURL: %w", err)
		}
		c.server = server
		return nil
	}
}

// serverAttrs returns the server.address and server.port of baseURL.
func serverAttrs(baseURL string) ([]attribute.KeyValue, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		// Not the URL itself: a mistyped one may hold a credential.
		return nil, errors.New("want an http or https URL with a host")
	}
	port := 443
	if u.Scheme == "http" {
		port = 80
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port > 65535 {
			return nil, errors.New("the port is not a number from 0 to 65535")
		}
	}
	return []attribute.KeyValue{semconv.ServerAddress(u.Hostname()), semconv.ServerPort(port)}, nil
}

// durationBuckets are OpenTelemetry's recommended boundaries for HTTP
// request durations, and two more for calls that wait to retry.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60}

// New returns an Instrumentation. It fails on an invalid option, or when
// the meter provider refuses to create an instrument.
func New(opts ...Option) (*Instrumentation, error) {
	server, _ := serverAttrs(pave.DefaultBaseURL) // a constant: a test checks its attributes
	c := config{tp: otel.GetTracerProvider(), mp: otel.GetMeterProvider(), server: server}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&c); err != nil {
			return nil, err
		}
	}
	i := &Instrumentation{server: c.server, tracer: c.tp.Tracer(ScopeName,
		trace.WithInstrumentationVersion(pave.Version), trace.WithSchemaURL(semconv.SchemaURL))}
	var err error
	m := c.mp.Meter(ScopeName, metric.WithInstrumentationVersion(pave.Version), metric.WithSchemaURL(semconv.SchemaURL))
	counter := func(name, unit, desc string) metric.Int64Counter {
		ctr, e := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		err = errors.Join(err, e)
		return ctr
	}
	i.requests = counter("pave.client.requests", "{request}", "Calls to the PAVE API.")
	i.retries = counter("pave.client.retries", "{retry}", "Retries of calls to the PAVE API.")
	i.skewFixes = counter("pave.client.clock_skew_corrections", "{correction}",
		"Requests to the PAVE API resent with the clock corrected.")
	i.deliveries = counter("pave.webhook.deliveries", "{delivery}", "Requests a PAVE webhook handler answered.")
	var e error
	i.duration, e = m.Float64Histogram("pave.client.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of calls to the PAVE API, retries included."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	if err = errors.Join(err, e); err != nil {
		return nil, fmt.Errorf("paveotel: creating instruments: %w", err)
	}
	return i, nil
}
