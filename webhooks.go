package pave

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/pave-go/pave/internal/endpoint"
	"github.com/pave-go/pave/internal/redact"
	"github.com/pave-go/pave/internal/transport"
	"github.com/pave-go/pave/internal/wire"
)

// WebhooksService manages callback settings (/v1/callbacks). Get it from
// Client.Webhooks.
//
// A callback setting tells PAVE where to send one event type for the calling
// API key; the event name identifies the setting, so a key has at most one
// setting per event. To receive the deliveries, see package webhook.
type WebhooksService struct {
	c *Client
}

// String describes the service by its client, without any credential.
func (s *WebhooksService) String() string { return "pave.WebhooksService{" + s.c.describe() + "}" }

// Format prints String for every verb.
func (s *WebhooksService) Format(f fmt.State, verb rune) { redact.Print(f, verb, s.String()) }

// EventName is a webhook event name such as "SESSION:COMPLETE"
// Unknown names pass through unchanged.
type EventName string

// The documented webhook events.
const (
	// EventSMSProcess fires when the delivery state of a PAVE-sent SMS
	// changes (see SMSProcess).
	EventSMSProcess EventName = "SESSION:SMS_PROCESS"
	// EventStageChange fires as the user captures each photo (see
	// StageChange).
	EventStageChange EventName = "SESSION:STAGE_CHANGE"
	// EventStatusChange fires when a session's status changes (see
	// StatusChange).
	EventStatusChange EventName = "SESSION:STATUS_CHANGE"
	// EventComplete fires when a session completes; its body is the
	// results document (see Results).
	EventComplete EventName = "SESSION:COMPLETE"
	// EventNoteInsert fires when a note is added to a session (see
	// NoteInsert).
	EventNoteInsert EventName = "SESSION:NOTE_INSERT"
)

var knownEvents = [...]EventName{EventSMSProcess, EventStageChange, EventStatusChange, EventComplete, EventNoteInsert}

// Events lists the five documented webhook events.
func Events() []EventName { return slices.Clone(knownEvents[:]) }

// Known reports whether e is one of the documented events (exact case).
func (e EventName) Known() bool { return slices.Contains(knownEvents[:], e) }

// Canonical returns e trimmed, and a documented event in any letter case
// as its constant ("session:complete" is EventComplete). Other names pass
// through trimmed.
func (e EventName) Canonical() EventName {
	s := strings.TrimSpace(string(e))
	for _, k := range knownEvents {
		if strings.EqualFold(s, string(k)) {
			return k
		}
	}
	return EventName(s)
}

// maxEventNameLen bounds an event name; the documented ones are about 20
// bytes.
const maxEventNameLen = 128

// validateEventName checks an event name that will be used as a path
// segment; it returns "" when the name is acceptable.
func validateEventName(e EventName) string {
	s := string(e)
	switch {
	case strings.TrimSpace(s) == "":
		return "event is required"
	case strings.TrimSpace(s) != s:
		return "event must not have leading or trailing spaces"
	case s == "." || s == "..":
		// Escaping leaves dots alone, and a server would resolve
		// /v1/callbacks/.. to /v1.
		return "event must not be \".\" or \"..\""
	case strings.Contains(s, "/"):
		return "event must not contain '/'"
	case strings.ContainsFunc(s, unicode.IsControl):
		return "event must not contain control characters"
	case len(s) > maxEventNameLen:
		return fmt.Sprintf("event is longer than %d bytes", maxEventNameLen)
	}
	return ""
}

// callbackMethods are the methods PAVE may be asked to call a URL with.
var callbackMethods = [...]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// Callback is a callback setting: PAVE calls URL with Method (POST when
// empty) for every Event, adding Headers to the request and merging
// Payload's attributes into the top level of the JSON body.
//
// Headers usually carry a secret (see NewCallback).
// A Callback therefore prints and logs with header values, payload values
// (except "event") and URL query values (except "event") redacted; the
// fields themselves hold the real values.
//
// Decoding is lenient: headers and payload may arrive as objects or as JSON
// text in a string, and header values that are not strings become their
// JSON text. A nil Headers or Payload is left out of requests, an empty
// non-nil one is sent as {}.
type Callback struct {
	Event   EventName         `json:"event"`
	URL     string            `json:"url"`
	Method  string            `json:"method,omitempty"`
	Headers map[string]string `json:"headers,omitzero"`
	Payload map[string]any    `json:"payload,omitzero"`
	// APIKey is the API key PAVE answered the setting for (its "api_key",
	// beside the setting or around it); never sent.
	APIKey string `json:"api_key,omitempty"`

	raw json.RawMessage
}

// callbackPlain is Callback without its methods.
type callbackPlain Callback

// Raw returns a copy of the setting's object as received (nil for a
// Callback built in code).
func (cb Callback) Raw() json.RawMessage { return wire.Clone(cb.raw) }

// MarshalJSON writes the object as received plus any edit to its fields
// (see Raw).
func (cb Callback) MarshalJSON() ([]byte, error) {
	return wire.MarshalKept(cb.raw, cb, func(v Callback) callbackPlain { return callbackPlain(v) })
}

// NewCallback returns a ready-to-register setting for event: PAVE will POST
// to url with the header "Authorization: Bearer <secret>" (what package
// webhook checks) and the header X-Pave-Event and payload {"event": event},
// so the receiver knows the event even for event types whose body does not
// name it. Create the secret with webhook.NewSecret.
//
// The secret is checked by Validate, which Create, Update and Ensure call
// before any request: one that webhook.NewHandler would refuse (empty, as
// from an unset environment variable, shorter than 16 bytes, or with
// spaces or control characters) fails there with a *ValidationError, so it
// is never registered with PAVE.
func NewCallback(event EventName, url, secret string) *Callback {
	return &Callback{
		Event:   event,
		URL:     url,
		Method:  http.MethodPost,
		Headers: map[string]string{"Authorization": "Bearer " + secret, wire.EventHeader: string(event)},
		Payload: map[string]any{"event": string(event)},
	}
}

// UnmarshalJSON decodes a setting leniently (see Callback). Unknown fields
// are kept in Raw.
func (cb *Callback) UnmarshalJSON(b []byte) error {
	*cb = Callback{}
	if wire.IsNull(b) {
		return nil
	}
	if err := wire.Decode(b, (*callbackPlain)(cb)); err != nil {
		return fmt.Errorf("pave: callback setting: %w", err)
	}
	cb.raw = wire.Keep(b)
	return nil
}

// String prints the setting with secrets redacted (see Callback).
func (cb Callback) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pave.Callback{Event: %q, URL: %q, Method: %q", cb.Event, redact.URL(cb.URL), cb.Method)
	if cb.Headers != nil {
		fmt.Fprintf(&b, ", Headers: %s", sortedMap(redact.Headers(cb.Headers)))
	}
	if cb.Payload != nil {
		fmt.Fprintf(&b, ", Payload: %s", sortedMap(redact.Payload(cb.Payload)))
	}
	b.WriteByte('}')
	return b.String()
}

// GoString makes %#v print the redacted form too.
func (cb Callback) GoString() string { return cb.String() }

// Format makes every fmt verb print the redacted form.
func (cb Callback) Format(f fmt.State, verb rune) { redact.Print(f, verb, cb.String()) }

// LogValue implements slog.LogValuer: event, redacted URL, method, and the
// header and payload names only.
func (cb Callback) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("event", string(cb.Event)),
		slog.String("url", redact.URL(cb.URL)),
		slog.String("method", cb.Method),
		slog.Any("headers", sortedKeys(cb.Headers)),
		slog.Any("payload", sortedKeys(cb.Payload)),
	)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// sortedMap prints a map's keys and values in key order.
func sortedMap[V any](m map[string]V) string {
	var b strings.Builder
	b.WriteString("{")
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q: %q", k, fmt.Sprint(m[k]))
	}
	b.WriteString("}")
	return b.String()
}

// secrets returns what an error quoting the setting must never show (see
// package internal/redact for the rule).
func (cb *Callback) secrets() []string {
	return redact.CallbackSecrets(string(cb.Event), cb.Headers, cb.Payload, cb.URL)
}

// Validate checks the setting as Create, Update and Ensure do before
// sending it: an event usable as a path segment, an absolute http(s) URL, a
// known HTTP method (or none), and header names and values that can be
// sent. An Authorization header of the form "Bearer <token>" (the scheme in
// any letter case) must carry a token that package webhook accepts as a
// secret: not empty, at least 16 bytes, no spaces or control characters
// (see NewCallback). It returns a *ValidationError listing every problem,
// or nil; no message quotes a header value.
func (cb *Callback) Validate() error { return cb.validate("Webhooks.Create") }

// validate is Validate for the operation op.
func (cb *Callback) validate(op string) error {
	fe := fieldErrors{}
	if cb == nil {
		fe.add("", "callback setting is nil")
		return fe.err(op)
	}
	if msg := validateEventName(cb.Event); msg != "" {
		fe.add("event", msg)
	}
	validateCallbackBody(fe, cb)
	return fe.err(op)
}

// bearerSecretProblem applies package webhook's rule for secrets to the
// token of an Authorization value "Bearer <token>" and says what is wrong
// with it, without quoting it; "" for a usable token or another scheme.
func bearerSecretProblem(value string) string {
	scheme, token, _ := strings.Cut(strings.TrimLeft(value, " \t"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	why := wire.CheckSecret(token)
	if why == "" {
		return ""
	}
	return "Bearer token " + why + " (webhook.NewHandler refuses such a secret; create one with webhook.NewSecret)"
}

// validateCallbackBody checks url, method and headers.
func validateCallbackBody(fe fieldErrors, cb *Callback) {
	if msg := validateCallbackURL(cb.URL); msg != "" {
		fe.add("url", msg)
	}
	if cb.Method != "" && !slices.Contains(callbackMethods[:], cb.Method) {
		fe.add("method", "method must be one of GET, POST, PUT, PATCH or DELETE (upper case), got "+quote(cb.Method))
	}
	for _, name := range sortedKeys(cb.Headers) {
		if !wire.ValidHeaderName(name) {
			fe.add("headers", "header name "+quote(name)+" is not a valid HTTP header name")
			continue
		}
		if !wire.ValidHeaderValue(cb.Headers[name]) {
			// Never echo the value: it is usually a secret.
			fe.add("headers."+name, "header value must not contain control characters or line breaks")
			continue
		}
		if strings.EqualFold(name, "Authorization") {
			if msg := bearerSecretProblem(cb.Headers[name]); msg != "" {
				fe.add("headers."+name, msg)
			}
		}
	}
}

func validateCallbackURL(raw string) string {
	if strings.TrimSpace(raw) == "" {
		return "url is required"
	}
	if strings.ContainsFunc(raw, unicode.IsSpace) || strings.ContainsFunc(raw, unicode.IsControl) {
		return "url must not contain spaces or control characters"
	}
	if len(raw) > 2048 {
		return "url is longer than 2048 bytes"
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return "url must be an absolute http:// or https:// URL"
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return "url must be an absolute http:// or https:// URL"
	}
	if u.Hostname() == "" {
		return "url must have a host"
	}
	return ""
}

func checkEventSegment(op string, event EventName) error {
	if msg := validateEventName(event); msg != "" {
		fe := fieldErrors{}
		fe.add("event", msg)
		return fe.err(op)
	}
	return nil
}

// List returns the callback settings of the API key (GET /v1/callbacks),
// an empty slice when there are none.
func (s *WebhooksService) List(ctx context.Context, opts ...CallOption) ([]Callback, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	cl := newCall(endpoint.ListCallbacks, nil)
	list := []Callback{}
	err = s.c.do(ctx, cl, func(res *transport.Result) error {
		got, _, err := decodeCallbacks(res.Body)
		if err != nil {
			return badResponse(cl, res, err)
		}
		list = append(list, got...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// Get returns the setting of one event (GET /v1/callbacks/{event}). An
// event without a setting yields an *APIError matching ErrNotFound; an
// answer holding only another event's setting is a *RequestError matching
// ErrBadResponse.
func (s *WebhooksService) Get(ctx context.Context, event EventName, opts ...CallOption) (*Callback, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := checkEventSegment("Webhooks.Get", event); err != nil {
		return nil, err
	}
	return s.get(ctx, event, nil)
}

// get reads the setting of event; secrets are scrubbed from its errors.
func (s *WebhooksService) get(ctx context.Context, event EventName, secrets []string) (*Callback, error) {
	cl := newCall(endpoint.GetCallback, nil, string(event))
	cl.Secrets = secrets
	cb, err := s.send(ctx, cl, event)
	if err == nil && cb == nil {
		return nil, &RequestError{Method: cl.Method, Path: cl.Path, Attempts: 1,
			Err: fmt.Errorf("%w: the answer holds no callback setting for %s", ErrBadResponse, event)}
	}
	return cb, err
}

// send runs cl and returns the setting for event its answer holds, nil
// when it holds none.
func (s *WebhooksService) send(ctx context.Context, cl *call, event EventName) (*Callback, error) {
	var cb *Callback
	err := s.c.do(ctx, cl, func(res *transport.Result) (err error) {
		if cb, err = pickCallback(res.Body, event); err != nil {
			return badResponse(cl, res, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cb, nil
}

// Create registers a setting (POST /v1/callbacks). The setting is validated
// first; a *ValidationError is returned without any network call. When the
// response does not echo the setting, it is fetched with Get.
//
// PAVE answers 400 for a missing field and, for an event that already has a
// setting, most likely 400 too: use Update to change an existing one, or
// Ensure to create or update as needed.
func (s *WebhooksService) Create(ctx context.Context, cb *Callback, opts ...CallOption) (*Callback, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := cb.Validate(); err != nil {
		return nil, err
	}
	return s.create(ctx, cb, cb.secrets())
}

func (s *WebhooksService) create(ctx context.Context, cb *Callback, secrets []string) (*Callback, error) {
	cl := newCall(endpoint.CreateCallback, callbackCreate{Event: cb.Event, callbackUpdate: callbackFields(cb)})
	cl.Secrets = secrets
	return s.sendOrGet(ctx, cl, cb.Event)
}

// sendOrGet runs cl and returns the setting its answer echoes, or reads it
// when the answer echoes none.
func (s *WebhooksService) sendOrGet(ctx context.Context, cl *call, event EventName) (*Callback, error) {
	out, err := s.send(ctx, cl, event)
	if err != nil || out != nil {
		return out, err
	}
	return s.get(ctx, event, cl.Secrets)
}

// callbackCreate is the POST body: the setting's own fields only, never
// what a decoded setting kept beside them.
type callbackCreate struct {
	Event EventName `json:"event"`
	callbackUpdate
}

// callbackUpdate is the PUT body: the event comes from the path.
type callbackUpdate struct {
	URL     string            `json:"url"`
	Method  string            `json:"method,omitempty"`
	Headers map[string]string `json:"headers,omitzero"`
	Payload map[string]any    `json:"payload,omitzero"`
}

// callbackFields returns cb's own fields as sent in a PUT body.
func callbackFields(cb *Callback) callbackUpdate {
	return callbackUpdate{URL: cb.URL, Method: cb.Method, Headers: cb.Headers, Payload: cb.Payload}
}

// Update replaces the setting of event (PUT /v1/callbacks/{event}). cb.URL
// is required; cb.Event may be empty or equal to event (a setting cannot be
// renamed: delete it and create another). Validation happens before any
// network call. An event without a setting yields an *APIError matching
// ErrNotFound. When the response does not echo the setting, it is fetched
// with Get.
func (s *WebhooksService) Update(ctx context.Context, event EventName, cb *Callback, opts ...CallOption) (*Callback, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	const op = "Webhooks.Update"
	fe := fieldErrors{}
	if msg := validateEventName(event); msg != "" {
		fe.add("event", msg)
	}
	if cb == nil {
		fe.add("", "callback setting is nil")
		return nil, fe.err(op)
	}
	if cb.Event != "" && cb.Event != event {
		fe.add("event", "callback event "+quote(string(cb.Event))+" does not match "+quote(string(event))+"; a setting cannot be renamed")
	}
	validateCallbackBody(fe, cb)
	if err := fe.err(op); err != nil {
		return nil, err
	}
	return s.update(ctx, event, cb, cb.secrets())
}

func (s *WebhooksService) update(ctx context.Context, event EventName, cb *Callback, secrets []string) (*Callback, error) {
	cl := newCall(endpoint.UpdateCallback, callbackFields(cb), string(event))
	cl.Secrets = secrets
	return s.sendOrGet(ctx, cl, event)
}

// Delete removes the setting of event (DELETE /v1/callbacks/{event}). An
// event without a setting yields an *APIError matching ErrNotFound.
func (s *WebhooksService) Delete(ctx context.Context, event EventName, opts ...CallOption) error {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return err
	}
	if err := checkEventSegment("Webhooks.Delete", event); err != nil {
		return err
	}
	return s.c.do(ctx, newCall(endpoint.DeleteCallback, nil, string(event)), nil)
}

// decodeCallbacks reads any of the shapes PAVE wraps settings in: a list
// under "data", one object under "data", a flat setting beside "api_key",
// or a bare list. found is false when the body holds no setting at all
// (e.g. only a message).
func decodeCallbacks(body []byte) (list []Callback, found bool, err error) {
	body = wire.Trim(body)
	if wire.IsNull(body) {
		return nil, false, nil
	}
	inner := wire.Unwrap(body, "data", "callbacks", "callback")
	wrapped := len(inner) != len(body)
	switch {
	case inner[0] == '[':
		err = json.Unmarshal(inner, &list)
	case inner[0] == '{':
		var cb Callback
		if err = json.Unmarshal(inner, &cb); err == nil && (wrapped || cb.Event != "" || cb.URL != "") {
			list = []Callback{cb}
		}
	default:
		err = errors.New("expected a JSON object or list")
	}
	if err != nil {
		return nil, false, fmt.Errorf("decoding callback settings: %w", err)
	}
	if wrapped {
		var env struct {
			APIKey string `json:"api_key"`
		}
		_ = wire.Decode(body, &env)
		for i := range list {
			list[i].APIKey = cmp.Or(list[i].APIKey, env.APIKey)
		}
	}
	return list, list != nil, nil
}

// pickCallback returns the setting for event from any response shape:
// the one naming event (in any letter case), else one that names no event,
// which it then names. It returns nil, nil when the body holds no setting,
// and an error when it holds only settings of other events, naming them.
func pickCallback(body []byte, event EventName) (*Callback, error) {
	list, _, err := decodeCallbacks(body)
	if err != nil {
		return nil, err
	}
	var unnamed *Callback
	var others []string
	for i := range list {
		switch e := list[i].Event; {
		case e.Canonical() == event.Canonical():
			return &list[i], nil
		case e == "" && unnamed == nil:
			unnamed = &list[i]
		case e != "":
			others = append(others, string(e))
		}
	}
	if unnamed != nil {
		unnamed.Event = event
		return unnamed, nil
	}
	if len(others) > 0 {
		return nil, fmt.Errorf("the answer holds no setting for %s, only for %s", event, oneLine(strings.Join(others, ", ")))
	}
	return nil, nil
}
