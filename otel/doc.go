// Package paveotel instruments the PAVE SDK with OpenTelemetry: a span and
// metrics for every call a pave.Client makes, and a counter of the
// deliveries a webhook handler receives. Its import path is
// github.com/pave-go/pave/otel; its name is paveotel, so that it does not
// shadow go.opentelemetry.io/otel.
//
//	inst, err := paveotel.New() // the global providers, or WithTracerProvider, WithMeterProvider
//	client, err := pave.NewClient(creds, inst.ClientOption())
//	handler, err := webhook.NewHandler(webhook.Config{..., Observe: inst.ObserveDelivery})
//
// # Traces
//
// Each call is one span of kind client, named by its route template
// ("GET /v1/sessions/{session_key}"), a child of the span in the call's
// context. Its attributes follow OpenTelemetry's HTTP conventions where
// they apply: http.request.method, url.template, server.address and
// server.port (of the base URL given with WithBaseURL), and once the call
// ends http.response.status_code (the last answer's, when there was one)
// and, when it failed, error.type. PAVE's own are pave.attempts (requests
// sent), pave.retries (of them, retries), pave.clock_skew_corrected (true
// when the client resent a request with its clock corrected) and
// pave.rate_limited (true when PAVE answered 429). A failed call's span has
// status Error with error.type as description.
//
// Every attempt is a "pave.attempt" event (pave.attempt: its number;
// pave.attempt.duration in seconds; http.response.status_code; error.type
// when it failed), and every attempt sent again a "pave.retry" event
// (pave.attempt, pave.retry.wait and pave.retry.retry_after in seconds,
// pave.retry.reason: the attempt's error.type, or clock_skew).
//
// error.type is the status code of an HTTP answer ("404"), else the kind of
// failure: timeout, canceled, connection_refused, connection_reset (also a
// connection closed before the answer was read), dns, tls, bad_response
// (an answer that could not be used), or _OTHER.
//
// # Metrics
//
//   - pave.client.requests ({request}): calls, by http.request.method,
//     url.template, pave.status_class ("1xx" ... "5xx", absent without an
//     answer) and error.type (on failure);
//   - pave.client.request.duration (s): a histogram of calls' durations,
//     retries and their waits included, with the same attributes;
//   - pave.client.retries ({retry}): retries, by http.request.method,
//     url.template and error.type (why the attempt was retried);
//   - pave.client.clock_skew_corrections ({correction}): requests resent
//     with the clock corrected, by http.request.method and url.template;
//   - pave.webhook.deliveries ({delivery}): requests a webhook handler
//     answered, by pave.webhook.result (delivered, duplicate, refused,
//     failed, unavailable), pave.webhook.reason (why one was refused or
//     failed) and pave.webhook.event (a documented event name, _OTHER for
//     another). Each is also a "pave.webhook.delivery" event, with
//     http.response.status_code, on the request's span if it has one.
//
// # Never recorded
//
// No session key, phone number, person's name, credential, token or
// webhook secret reaches a span, an event or a metric: routes name their
// path parameters, errors are recorded by kind and never by their text
// (which may name a request's path), webhook secrets' names are not
// recorded, and no request or answer body is read.
package paveotel
