package pave

import (
	"bytes"
	"container/list"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"
)

// PAVE does not sign webhook deliveries: it sends back, with every delivery,
// the static headers registered with the callback setting. The receiver
// below therefore authenticates a delivery by a secret in one of those
// headers, compared in constant time, and fails closed.

// HeaderWebhookEvent is the request header the receiver reads the event name
// from when the body has no "event" field. NewCallback registers it.
const HeaderWebhookEvent = "X-Pave-Event"

// Defaults of WebhookConfig.
const (
	// DefaultWebhookMaxBodyBytes bounds a delivery body (1 MiB).
	DefaultWebhookMaxBodyBytes = 1 << 20
	// DefaultWebhookDedupEntries bounds the duplicate-suppression memory.
	DefaultWebhookDedupEntries = 10000
	// MinWebhookSecretLen is the shortest secret NewWebhookHandler accepts.
	MinWebhookSecretLen = 16
)

// Errors of the webhook receiver, for errors.Is.
var (
	// ErrWebhookUnauthorized: the delivery lacks the secret header or
	// carries a wrong secret.
	ErrWebhookUnauthorized = errors.New("pave: webhook secret missing or wrong")
	// ErrWebhookMalformed: the delivery body is not a JSON object.
	ErrWebhookMalformed = errors.New("pave: malformed webhook body")
)

// NewWebhookSecret returns a new random secret for a callback's
// Authorization header: 32 bytes from crypto/rand, base64url-encoded without
// padding (43 characters, safe in a header and a URL).
func NewWebhookSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("pave: NewWebhookSecret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// WebhookAuthHeaders returns the headers to register with a callback setting
// so that a handler from NewWebhookHandler with the same secret (and the
// default header) accepts the deliveries: {"Authorization": "Bearer <secret>"}.
func WebhookAuthHeaders(secret string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + secret}
}

// WebhookConfig configures NewWebhookHandler and VerifyWebhookSecret.
type WebhookConfig struct {
	// Secrets are the accepted secrets; give two while rotating (register
	// the new one with PAVE, then drop the old one). Each must be at least
	// MinWebhookSecretLen bytes without spaces or control characters at
	// either end. At least one is required unless InsecureSkipVerify is set.
	Secrets []string

	// Header is the request header carrying the secret. The default,
	// "Authorization", expects "Bearer <secret>" (scheme in any case); any
	// other header must carry the secret as its whole value.
	Header string

	// InsecureSkipVerify accepts deliveries without checking any secret.
	// Anyone who can reach the URL can then inject events: use it only
	// behind another authenticating layer, or in tests.
	InsecureSkipVerify bool

	// Handler is called once per accepted delivery. Returning nil answers
	// 204; an error answers 500 (without the error text) so PAVE may
	// deliver again. Act idempotently, and prefer fetching the session
	// from the API before acting on a notification. Required.
	Handler func(ctx context.Context, ev *WebhookEvent) error

	// MaxBodyBytes bounds the body (default 1 MiB); a larger one is
	// answered 413.
	MaxBodyBytes int64

	// Method is the accepted HTTP method (default POST; use the callback
	// setting's method). Others are answered 405 with an Allow header.
	Method string

	// DedupWindow, when positive, acknowledges (204) without calling
	// Handler a delivery whose event and body equal one handled
	// successfully within the window. A duplicate arriving while the first
	// is being handled waits for its outcome (and is answered 503 if its
	// own request ends first); if the first fails, the duplicate is handled.
	// Zero disables it. Ten minutes is a reasonable window.
	DedupWindow time.Duration

	// DedupMaxEntries bounds the deliveries remembered for DedupWindow
	// (default 10000); the oldest handled ones are forgotten first. A
	// delivery still being handled is never forgotten: when every entry is
	// one, a new delivery is answered 503 with Retry-After.
	DedupMaxEntries int

	// Logger, when set, receives one record per delivery: the outcome,
	// status, event name and session key. Bodies, header values, secrets,
	// phone numbers and names are never logged; an error returned by
	// Handler is logged, so keep personal data out of its text.
	Logger *slog.Logger

	// Clock returns the current time for DedupWindow (default time.Now).
	Clock func() time.Time
}

// String describes the configuration without its secrets: how many there
// are, the header, and the settings.
func (c WebhookConfig) String() string {
	return fmt.Sprintf("pave.WebhookConfig{Secrets: %d %s, Header: %q, InsecureSkipVerify: %t, Handler: %t, MaxBodyBytes: %d, Method: %q, DedupWindow: %s, DedupMaxEntries: %d}",
		len(c.Secrets), redactedMark, c.Header, c.InsecureSkipVerify, c.Handler != nil, c.MaxBodyBytes, c.Method, c.DedupWindow, c.DedupMaxEntries)
}

// Format prints String for every verb, so no verb reaches the secrets.
func (c WebhookConfig) Format(f fmt.State, verb rune) { printRedacted(f, verb, c.String()) }

// LogValue implements slog.LogValuer without the secrets.
func (c WebhookConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("secrets", len(c.Secrets)), slog.String("header", c.Header),
		slog.Bool("insecure_skip_verify", c.InsecureSkipVerify), slog.Duration("dedup_window", c.DedupWindow))
}

// MarshalJSON encodes the configuration as LogValue shows it, without the
// secrets.
func (c WebhookConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"secrets": len(c.Secrets), "header": c.Header,
		"insecure_skip_verify": c.InsecureSkipVerify, "dedup_window": c.DedupWindow.String()})
}

// constantTimeEqual compares two equal-length digests without data-dependent
// timing. It is a variable so a test can prove it is what verification uses.
var constantTimeEqual = subtle.ConstantTimeCompare

// secretVerifier holds the SHA-256 digests of the accepted header values.
// Comparing digests hides the secrets' lengths as well as their contents.
type secretVerifier struct {
	header  string // canonical header name
	bearer  bool   // value is "Bearer <secret>"
	digests [][sha256.Size]byte
	skip    bool
}

func newSecretVerifier(cfg *WebhookConfig) (*secretVerifier, error) {
	v := &secretVerifier{header: "Authorization", skip: cfg.InsecureSkipVerify}
	if h := strings.TrimSpace(cfg.Header); h != "" {
		if !validHeaderName(h) {
			return nil, fmt.Errorf("pave: webhook config: Header %q is not a valid header name", h)
		}
		v.header = http.CanonicalHeaderKey(h)
	}
	v.bearer = v.header == "Authorization"
	if cfg.InsecureSkipVerify && len(cfg.Secrets) > 0 {
		return nil, errors.New("pave: webhook config: InsecureSkipVerify together with Secrets: " +
			"the secrets would not be checked; set one or the other")
	}
	if len(cfg.Secrets) == 0 && !cfg.InsecureSkipVerify {
		return nil, errors.New("pave: webhook config: no secret: set Secrets (see NewWebhookSecret), " +
			"or InsecureSkipVerify to accept unauthenticated deliveries")
	}
	for i, s := range cfg.Secrets {
		switch {
		case len(s) < MinWebhookSecretLen:
			return nil, fmt.Errorf("pave: webhook config: Secrets[%d] is shorter than %d bytes", i, MinWebhookSecretLen)
		case strings.TrimSpace(s) != s:
			return nil, fmt.Errorf("pave: webhook config: Secrets[%d] has leading or trailing spaces", i)
		case !validHeaderValue(s):
			return nil, fmt.Errorf("pave: webhook config: Secrets[%d] has control characters", i)
		}
		v.digests = append(v.digests, sha256.Sum256([]byte(s)))
	}
	return v, nil
}

// presented extracts the secret from the request headers.
func (v *secretVerifier) presented(h http.Header) (string, bool) {
	val := strings.TrimSpace(h.Get(v.header))
	if val == "" {
		return "", false
	}
	if !v.bearer {
		return val, true
	}
	scheme, token, ok := strings.Cut(val, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// verify reports whether h carries one of the secrets. Every configured
// secret is compared, whatever the outcome of the others.
func (v *secretVerifier) verify(h http.Header) bool {
	if v.skip {
		return true
	}
	got, ok := v.presented(h)
	// Hash even when nothing was presented, so both paths cost the same.
	sum := sha256.Sum256([]byte(got))
	match := 0
	for i := range v.digests {
		match |= constantTimeEqual(sum[:], v.digests[i][:])
	}
	return ok && match == 1
}

// VerifyWebhookSecret checks a delivery's headers against cfg's secrets and
// header (see WebhookConfig), for frameworks other than net/http. It returns
// nil when the delivery is authentic (or cfg.InsecureSkipVerify is set), an
// error matching ErrWebhookUnauthorized when it is not, and a configuration
// error when cfg has no usable secret.
func VerifyWebhookSecret(header http.Header, cfg WebhookConfig) error {
	v, err := newSecretVerifier(&cfg)
	if err != nil {
		return err
	}
	if !v.verify(header) {
		return ErrWebhookUnauthorized
	}
	return nil
}

// EventNameSource says where a WebhookEvent's name was found.
type EventNameSource string

// Where ParseWebhook may find the event name, in the order it looks.
const (
	// NameFromBody: the body's "event" field.
	NameFromBody EventNameSource = "body"
	// NameFromQuery: the "event" query parameter of the registered URL
	// (e.g. https://example.com/pave?event=SESSION:COMPLETE).
	NameFromQuery EventNameSource = "query"
	// NameFromHeader: the X-Pave-Event header.
	NameFromHeader EventNameSource = "header"
	// NameFromShape: guessed from the body's fields.
	NameFromShape EventNameSource = "shape"
	// NameUnknown: no name found; WebhookEvent.Name is empty.
	NameUnknown EventNameSource = ""
)

// WebhookEvent is one delivery from PAVE. Name may be any string,
// including one this SDK does not know or "" when it could not be
// determined: such events are delivered, never dropped. The typed views
// (Complete, StageChange, SMSProcess, StatusChange, NoteInsert) decode Body
// on demand; Decode reads it into a type of your own.
//
// A WebhookEvent prints and logs without its body, which holds customer data.
type WebhookEvent struct {
	// Name is the event name, e.g. EventComplete.
	Name EventName
	// NameFrom says where Name was found.
	NameFrom EventNameSource
	// SessionKey is the session the event is about, when the body names one.
	SessionKey string
	// Body is the JSON body exactly as received, including any attributes
	// merged in from the callback's payload.
	Body json.RawMessage

	fields map[string]json.RawMessage
}

// String returns the event name, session key and body size.
func (e WebhookEvent) String() string {
	name := string(e.Name)
	if name == "" {
		name = "(unknown event)"
	}
	return fmt.Sprintf("%s %s (%d bytes)", name, e.SessionKey, len(e.Body))
}

// GoString makes %#v print the summary too.
func (e WebhookEvent) GoString() string { return e.String() }

// Format makes every fmt verb print the summary, never the body.
func (e WebhookEvent) Format(f fmt.State, verb rune) { printRedacted(f, verb, e.String()) }

// LogValue implements slog.LogValuer without the body.
func (e WebhookEvent) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("event", string(e.Name)),
		slog.String("event_from", string(e.NameFrom)),
		slog.String("session_key", e.SessionKey),
		slog.Int("bytes", len(e.Body)),
	)
}

// Decode unmarshals the body into v.
func (e *WebhookEvent) Decode(v any) error { return json.Unmarshal(e.Body, v) }

// ParseOption adds context to ParseWebhook.
type ParseOption func(*parseConfig)

type parseConfig struct {
	query url.Values
}

// WebhookQuery gives ParseWebhook the query parameters of the request, from
// which it reads "event" when the body has none.
func WebhookQuery(q url.Values) ParseOption {
	return func(c *parseConfig) { c.query = q }
}

// ParseWebhook decodes a delivery body, for code that does not use
// NewWebhookHandler (check the secret first with VerifyWebhookSecret, and
// bound the body's size). The body must be a JSON object; anything else
// returns an error matching ErrWebhookMalformed. header may be nil.
//
// The event name is taken from, in order: the body's "event" field; the
// "event" query parameter (with WebhookQuery); the X-Pave-Event header; and
// finally the body's shape: "session" and "vehicle" objects mean
// SESSION:COMPLETE, "photo_url" SESSION:STAGE_CHANGE, "phone" with "status"
// SESSION:SMS_PROCESS, "previous_status" SESSION:STATUS_CHANGE and "note"
// SESSION:NOTE_INSERT. Documented names are matched in any letter case.
// To make detection certain, register callbacks with NewCallback, whose
// payload puts the event in every body.
func ParseWebhook(body []byte, header http.Header, opts ...ParseOption) (*WebhookEvent, error) {
	var pc parseConfig
	for _, o := range opts {
		if o != nil {
			o(&pc)
		}
	}
	// Trim JSON whitespace only: bytes.TrimSpace would also accept \v or
	// U+0085, which encoding/json rejects.
	trimmed := bytes.Trim(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: expected a JSON object", ErrWebhookMalformed)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWebhookMalformed, err)
	}
	ev := &WebhookEvent{Body: append(json.RawMessage(nil), body...), fields: fields}
	ev.Name, ev.NameFrom = detectEvent(fields, pc.query, header)
	ev.SessionKey = sessionKeyOf(fields)
	return ev, nil
}

// ParseWebhookRequest reads (at most maxBytes, or 1 MiB when maxBytes <= 0)
// and parses a delivery, taking the event name from the body, the query
// and the headers as ParseWebhook does. A larger body returns an
// *http.MaxBytesError. It does not check the secret: use
// VerifyWebhookSecret, or NewWebhookHandler which does both.
func ParseWebhookRequest(r *http.Request, maxBytes int64) (*WebhookEvent, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultWebhookMaxBodyBytes
	}
	if r == nil || r.Body == nil {
		return nil, fmt.Errorf("%w: no body", ErrWebhookMalformed)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("pave: reading webhook body: %w", err)
	}
	if int64(len(body)) > maxBytes {
		return nil, &http.MaxBytesError{Limit: maxBytes}
	}
	var q url.Values
	if r.URL != nil {
		q = r.URL.Query()
	}
	return ParseWebhook(body, r.Header, WebhookQuery(q))
}

// eventNameOK accepts a candidate name from any source.
func eventNameOK(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && len(s) <= maxEventNameLen && !strings.ContainsFunc(s, unicode.IsControl)
}

func detectEvent(fields map[string]json.RawMessage, q url.Values, h http.Header) (EventName, EventNameSource) {
	if raw, ok := fields["event"]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil && eventNameOK(s) {
			return normalizeEventName(s), NameFromBody
		}
	}
	if s := q.Get("event"); eventNameOK(s) {
		return normalizeEventName(s), NameFromQuery
	}
	if s := h.Get(HeaderWebhookEvent); eventNameOK(s) {
		return normalizeEventName(s), NameFromHeader
	}
	has := func(k string) bool {
		raw, ok := fields[k]
		return ok && string(bytes.TrimSpace(raw)) != "null"
	}
	isObject := func(k string) bool {
		raw := bytes.TrimSpace(fields[k])
		return len(raw) > 0 && raw[0] == '{'
	}
	switch {
	case isObject("session") && isObject("vehicle"):
		return EventComplete, NameFromShape
	case has("photo_url"):
		return EventStageChange, NameFromShape
	case has("phone") && has("status"):
		return EventSMSProcess, NameFromShape
	case has("previous_status"):
		return EventStatusChange, NameFromShape
	case has("note"):
		return EventNoteInsert, NameFromShape
	}
	return "", NameUnknown
}

// sessionKeyOf finds the session key at the top level or in the session or
// vehicle object of a results document.
func sessionKeyOf(fields map[string]json.RawMessage) string {
	if k := looseString(fields["session_key"]); k != "" {
		return k
	}
	for _, obj := range [...]string{"session", "vehicle"} {
		raw := bytes.TrimSpace(fields[obj])
		if len(raw) == 0 || raw[0] != '{' {
			continue
		}
		var inner struct {
			SessionKey json.RawMessage `json:"session_key"`
		}
		if json.Unmarshal(raw, &inner) == nil {
			if k := looseString(inner.SessionKey); k != "" {
				return k
			}
		}
	}
	return ""
}

// fieldsOf returns the decoded top-level fields, decoding Body if the event
// was built by hand.
func (e *WebhookEvent) fieldsOf() (map[string]json.RawMessage, error) {
	if e.fields != nil {
		return e.fields, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(e.Body, &m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWebhookMalformed, err)
	}
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	return m, nil
}

// expect fails when the event is known to be another one; an event without
// a name may be decoded as any.
func (e *WebhookEvent) expect(want EventName) error {
	if e.Name != "" && e.Name != want {
		return fmt.Errorf("pave: webhook event is %q, not %s", string(e.Name), want)
	}
	return nil
}

func (e *WebhookEvent) view(want EventName) (map[string]json.RawMessage, error) {
	if err := e.expect(want); err != nil {
		return nil, err
	}
	return e.fieldsOf()
}

// Complete decodes a SESSION:COMPLETE body: the results document, whose Raw
// keeps the whole body (including payload attributes).
func (e *WebhookEvent) Complete() (*Results, error) {
	if err := e.expect(EventComplete); err != nil {
		return nil, err
	}
	r, err := DecodeResults(e.Body)
	if err != nil {
		return nil, fmt.Errorf("pave: decoding %s webhook: %w", EventComplete, err)
	}
	return r, nil
}

// PhotoStatus is a photo's quality-check verdict in a STAGE_CHANGE
// delivery. Unknown values pass through.
type PhotoStatus string

// Photo verdicts.
const (
	PhotoAccepted PhotoStatus = "ACCEPTED"
	PhotoRejected PhotoStatus = "REJECTED"
)

// Accepted reports whether the status starts with ACCEPTED (any case).
func (s PhotoStatus) Accepted() bool { return hasPrefixFold(string(s), string(PhotoAccepted)) }

// Rejected reports whether the status starts with REJECTED (any case).
func (s PhotoStatus) Rejected() bool { return hasPrefixFold(string(s), string(PhotoRejected)) }

func hasPrefixFold(s, prefix string) bool {
	s = strings.TrimSpace(s)
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// StageChange is the SESSION:STAGE_CHANGE body: one photo was captured and
// checked. PhotoCode and PhotoLabel fill each other in when one is missing.
type StageChange struct {
	SessionKey  string
	PhotoCode   PhotoCode
	PhotoLabel  PhotoLabel
	PhotoURL    string
	PhotoStatus PhotoStatus
	// Message is the rejection reason, if any.
	Message string
}

// StageChange decodes a SESSION:STAGE_CHANGE body. Fields of the wrong
// type are left empty rather than failing.
func (e *WebhookEvent) StageChange() (*StageChange, error) {
	m, err := e.view(EventStageChange)
	if err != nil {
		return nil, err
	}
	sc := &StageChange{
		SessionKey:  looseString(m["session_key"]),
		PhotoCode:   PhotoCode(looseInt(m["photo_code"])),
		PhotoLabel:  PhotoLabel(looseString(m["photo_label"])),
		PhotoURL:    looseString(m["photo_url"]),
		PhotoStatus: PhotoStatus(looseString(m["photo_status"])),
		Message:     looseString(m["message"]),
	}
	if sc.PhotoCode == 0 {
		sc.PhotoCode = sc.PhotoLabel.Code()
	}
	if sc.PhotoLabel == "" {
		sc.PhotoLabel = sc.PhotoCode.Label()
	}
	return sc, nil
}

// SMSStatus is the SMS provider's verdict: "success" or "error". Unknown
// values pass through.
type SMSStatus string

// SMS delivery statuses.
const (
	SMSSuccess SMSStatus = "success"
	SMSError   SMSStatus = "error"
)

// OK reports whether the status is "success" (any case).
func (s SMSStatus) OK() bool {
	return strings.EqualFold(strings.TrimSpace(string(s)), string(SMSSuccess))
}

// SMSProcess is the SESSION:SMS_PROCESS body: the delivery state of a text
// PAVE sent. Phone is personal data: do not log it.
type SMSProcess struct {
	SessionKey string
	Phone      string
	Status     SMSStatus
	// Message is the provider's error text, if any.
	Message string
}

// SMSProcess decodes a SESSION:SMS_PROCESS body. Fields of the wrong type
// are left empty rather than failing.
func (e *WebhookEvent) SMSProcess() (*SMSProcess, error) {
	m, err := e.view(EventSMSProcess)
	if err != nil {
		return nil, err
	}
	return &SMSProcess{
		SessionKey: looseString(m["session_key"]),
		Phone:      looseString(m["phone"]),
		Status:     SMSStatus(looseString(m["status"])),
		Message:    looseString(m["message"]),
	}, nil
}

// StatusChange is the SESSION:STATUS_CHANGE body. PAVE does not document
// it; the fields follow the most likely shape (REFERENCE.md 7.7), and Body
// holds the rest.
type StatusChange struct {
	SessionKey     string
	Status         SessionStatus
	PreviousStatus SessionStatus
	UpdatedAt      Time
}

// StatusChange decodes a SESSION:STATUS_CHANGE body. Fields of the wrong
// type are left empty rather than failing.
func (e *WebhookEvent) StatusChange() (*StatusChange, error) {
	m, err := e.view(EventStatusChange)
	if err != nil {
		return nil, err
	}
	sc := &StatusChange{
		SessionKey:     looseString(m["session_key"]),
		Status:         SessionStatus(looseString(m["status"])),
		PreviousStatus: SessionStatus(looseString(m["previous_status"])),
	}
	var t Time
	if raw, ok := m["updated_at"]; ok && t.UnmarshalJSON(raw) == nil {
		sc.UpdatedAt = t
	}
	return sc, nil
}

// NoteInsert is the SESSION:NOTE_INSERT body. PAVE does not document it;
// the fields follow the most likely shape (REFERENCE.md 7.7). Note.Raw
// keeps the note as received.
type NoteInsert struct {
	SessionKey string
	Note       Note
}

// NoteInsert decodes a SESSION:NOTE_INSERT body. A note that does not fit
// the Note type is kept in Note.Raw only.
func (e *WebhookEvent) NoteInsert() (*NoteInsert, error) {
	m, err := e.view(EventNoteInsert)
	if err != nil {
		return nil, err
	}
	ni := &NoteInsert{SessionKey: looseString(m["session_key"])}
	if raw := bytes.TrimSpace(m["note"]); len(raw) > 0 && string(raw) != "null" {
		if json.Unmarshal(raw, &ni.Note) != nil {
			ni.Note = Note{Raw: append(json.RawMessage(nil), raw...)}
		}
	}
	return ni, nil
}

// looseInt reads an integer leniently (see Int), or 0.
func looseInt(raw json.RawMessage) int64 {
	var n Int
	if len(raw) == 0 || n.UnmarshalJSON(raw) != nil {
		return 0
	}
	return int64(n)
}

// webhookHandler is the http.Handler built by NewWebhookHandler.
type webhookHandler struct {
	verifier *secretVerifier
	handle   func(context.Context, *WebhookEvent) error
	maxBytes int64
	method   string
	dedup    *dedup
	logger   *slog.Logger
}

// NewWebhookHandler returns an http.Handler that receives PAVE's webhook
// deliveries. For each request it:
//
//   - answers 405 (with Allow) to a method other than cfg.Method;
//   - answers 401, without detail, unless the secret header matches one of
//     cfg.Secrets (compared in constant time);
//   - answers 413 to a body larger than cfg.MaxBodyBytes;
//   - answers 400 to a body that is not a JSON object;
//   - with cfg.DedupWindow, answers 204 to a repeat of a delivery already
//     handled, without calling cfg.Handler;
//   - calls cfg.Handler and answers 204 when it returns nil, or 500 when it
//     returns an error or panics, so PAVE may deliver again.
//
// Error responses never echo the reason, the handler's error or any input.
// Construction fails without a secret unless cfg.InsecureSkipVerify is set,
// without a Handler, and on an invalid setting.
func NewWebhookHandler(cfg WebhookConfig) (http.Handler, error) {
	v, err := newSecretVerifier(&cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Handler == nil {
		return nil, errors.New("pave: webhook config: Handler is required")
	}
	h := &webhookHandler{
		verifier: v,
		handle:   cfg.Handler,
		maxBytes: cfg.MaxBodyBytes,
		method:   strings.ToUpper(strings.TrimSpace(cfg.Method)),
		logger:   cfg.Logger,
	}
	if h.maxBytes < 0 {
		return nil, fmt.Errorf("pave: webhook config: MaxBodyBytes %d is negative", cfg.MaxBodyBytes)
	}
	if h.maxBytes == 0 {
		h.maxBytes = DefaultWebhookMaxBodyBytes
	}
	if h.method == "" {
		h.method = http.MethodPost
	} else if !validHeaderName(h.method) {
		return nil, fmt.Errorf("pave: webhook config: Method %q is not an HTTP method", cfg.Method)
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DedupWindow < 0 || cfg.DedupMaxEntries < 0 {
		return nil, errors.New("pave: webhook config: DedupWindow and DedupMaxEntries must not be negative")
	}
	if cfg.DedupWindow > 0 {
		maxEntries := cfg.DedupMaxEntries
		if maxEntries == 0 {
			maxEntries = DefaultWebhookDedupEntries
		}
		now := cfg.Clock
		if now == nil {
			now = time.Now
		}
		h.dedup = newDedup(cfg.DedupWindow, maxEntries, now)
	}
	return h, nil
}

// reply writes a bodyless-in-substance response: the status text only.
func reply(w http.ResponseWriter, status int) {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	http.Error(w, http.StatusText(status), status)
}

func (h *webhookHandler) log(ctx context.Context, level slog.Level, msg string, status int, ev *WebhookEvent, extra ...slog.Attr) {
	if !h.logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{slog.Int("status", status)}
	if ev != nil {
		attrs = append(attrs, slog.String("event", string(ev.Name)), slog.String("event_from", string(ev.NameFrom)),
			slog.String("session_key", ev.SessionKey))
	}
	h.logger.LogAttrs(ctx, level, msg, append(attrs, extra...)...)
}

// ServeHTTP implements the rules documented on NewWebhookHandler.
func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != h.method {
		w.Header().Set("Allow", h.method)
		reply(w, http.StatusMethodNotAllowed)
		h.log(ctx, slog.LevelWarn, "pave webhook: method not allowed", http.StatusMethodNotAllowed, nil)
		return
	}
	if !h.verifier.verify(r.Header) {
		reply(w, http.StatusUnauthorized)
		h.log(ctx, slog.LevelWarn, "pave webhook: unauthorized", http.StatusUnauthorized, nil)
		return
	}
	if r.ContentLength > h.maxBytes {
		reply(w, http.StatusRequestEntityTooLarge)
		h.log(ctx, slog.LevelWarn, "pave webhook: body too large", http.StatusRequestEntityTooLarge, nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBytes))
	if err != nil {
		status := http.StatusBadRequest
		msg := "pave webhook: reading body failed"
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			status, msg = http.StatusRequestEntityTooLarge, "pave webhook: body too large"
		}
		reply(w, status)
		h.log(ctx, slog.LevelWarn, msg, status, nil)
		return
	}
	var query url.Values
	if r.URL != nil {
		query = r.URL.Query()
	}
	ev, err := ParseWebhook(body, r.Header, WebhookQuery(query))
	if err != nil {
		reply(w, http.StatusBadRequest)
		h.log(ctx, slog.LevelWarn, "pave webhook: malformed body", http.StatusBadRequest, nil)
		return
	}
	if h.dedup == nil {
		h.dispatch(w, r, ev)
		return
	}
	key := dedupKey(ev)
	for {
		entry, owner := h.dedup.begin(key)
		if entry == nil {
			// Every remembered delivery is still being handled: answering
			// 204 could drop this one, dispatching it could run a
			// duplicate beside its first copy. Ask PAVE to come back.
			w.Header().Set("Retry-After", "1")
			reply(w, http.StatusServiceUnavailable)
			h.log(ctx, slog.LevelWarn, "pave webhook: duplicate memory full of deliveries in progress", http.StatusServiceUnavailable, ev)
			return
		}
		if owner {
			ok := false
			// Deferred so that even an aborting handler settles the entry.
			defer func() { h.dedup.finish(entry, ok) }()
			ok = h.dispatch(w, r, ev)
			return
		}
		select {
		case <-entry.done:
		case <-ctx.Done():
			reply(w, http.StatusServiceUnavailable)
			h.log(ctx, slog.LevelWarn, "pave webhook: gave up waiting for a concurrent duplicate", http.StatusServiceUnavailable, ev)
			return
		}
		if entry.ok {
			reply(w, http.StatusNoContent)
			h.log(ctx, slog.LevelInfo, "pave webhook: duplicate acknowledged", http.StatusNoContent, ev)
			return
		}
		// The first attempt failed: try to handle this one.
	}
}

// dispatch calls the user's handler and answers; it reports success.
func (h *webhookHandler) dispatch(w http.ResponseWriter, r *http.Request, ev *WebhookEvent) (ok bool) {
	ctx := r.Context()
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			ok = false
			reply(w, http.StatusInternalServerError)
			// The panic value may hold customer data: log its type only.
			h.log(ctx, slog.LevelError, "pave webhook: handler panicked", http.StatusInternalServerError, ev,
				slog.String("panic_type", fmt.Sprintf("%T", p)))
		}
	}()
	if err := h.handle(ctx, ev); err != nil {
		reply(w, http.StatusInternalServerError)
		h.log(ctx, slog.LevelError, "pave webhook: handler failed", http.StatusInternalServerError, ev,
			slog.String("error", err.Error()))
		return false
	}
	reply(w, http.StatusNoContent)
	h.log(ctx, slog.LevelDebug, "pave webhook: delivered", http.StatusNoContent, ev)
	return true
}

// dedupKey identifies a delivery by its event name and body.
func dedupKey(ev *WebhookEvent) [sha256.Size]byte {
	hs := sha256.New()
	hs.Write([]byte(ev.Name))
	hs.Write([]byte{0})
	hs.Write(ev.Body)
	var k [sha256.Size]byte
	hs.Sum(k[:0])
	return k
}

// dedup remembers recently handled deliveries, bounded in number. An entry
// is pending while its first delivery is being handled; a successful one is
// kept for the window, a failed one is forgotten at once. Only successful
// entries are ever evicted for room: evicting a pending one would let its
// duplicate be dispatched while the first is still running.
type dedup struct {
	mu      sync.Mutex
	window  time.Duration
	max     int
	now     func() time.Time
	entries map[[sha256.Size]byte]*dedupEntry
	handled *list.List // of successful *dedupEntry, oldest success first
}

type dedupEntry struct {
	key  [sha256.Size]byte
	done chan struct{} // closed once the outcome is known
	ok   bool          // written before done is closed
	at   time.Time     // when it succeeded
	elem *list.Element // in handled, once successful
}

func newDedup(window time.Duration, max int, now func() time.Time) *dedup {
	return &dedup{window: window, max: max, now: now, entries: map[[sha256.Size]byte]*dedupEntry{}, handled: list.New()}
}

// begin returns the entry for key and whether the caller owns (must
// handle) the delivery. A non-owner waits for entry.done, then reads ok.
// A nil entry means the memory is full of deliveries still being handled:
// the caller must refuse the delivery (PAVE will send it again).
func (d *dedup) begin(key [sha256.Size]byte) (*dedupEntry, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expire(now)
	if e, ok := d.entries[key]; ok {
		if e.elem == nil || now.Sub(e.at) < d.window {
			return e, false // pending, or handled within the window
		}
		d.remove(e)
	}
	if len(d.entries) >= d.max {
		front := d.handled.Front()
		if front == nil {
			return nil, false
		}
		d.remove(front.Value.(*dedupEntry))
	}
	e := &dedupEntry{key: key, done: make(chan struct{})}
	d.entries[key] = e
	return e, true
}

// finish records the outcome of an owned delivery.
func (d *dedup) finish(e *dedupEntry, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e.ok = ok
	if ok {
		e.at = d.now()
		e.elem = d.handled.PushBack(e)
	} else {
		delete(d.entries, e.key)
	}
	close(e.done)
}

// expire drops the successful entries older than the window.
func (d *dedup) expire(now time.Time) {
	for el := d.handled.Front(); el != nil; el = d.handled.Front() {
		e := el.Value.(*dedupEntry)
		if now.Sub(e.at) < d.window {
			return
		}
		d.remove(e)
	}
}

// remove forgets a successful entry.
func (d *dedup) remove(e *dedupEntry) {
	d.handled.Remove(e.elem)
	delete(d.entries, e.key)
}
