package webhook

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/redact"
	"github.com/pave-go/pave/internal/wire"
)

// DefaultDedupEntries bounds the in-memory duplicate suppression.
const DefaultDedupEntries = 10000

// Config configures NewHandler.
type Config struct {
	// Secrets are the accepted secrets; give two while rotating (register
	// the new one with PAVE, then drop the old one). Each must be at least
	// MinSecretLen bytes without spaces or control characters. At least
	// one (here or in NamedSecrets) is required unless InsecureSkipVerify
	// is set.
	Secrets []string

	// NamedSecrets are accepted secrets under names of your own, such as
	// the dealer whose callback settings carry them, so that one endpoint
	// holding every dealer's secrets can tell the deliveries apart: the
	// handler sets Event.Secret to the name whose secret a delivery
	// carried (it is "" for a secret in Secrets). Give a name several
	// secrets while rotating it. Each secret follows the rules of Secrets;
	// a name must not be empty nor without secrets, and a secret may be
	// configured under one name only, not under another nor in Secrets.
	// NewHandler reads the map once: for names that change while the
	// handler runs, use SecretLookup.
	NamedSecrets map[string][]string

	// SecretLookup, instead of Secrets and NamedSecrets, is consulted for
	// every delivery, so secrets can be added and removed at run time (a
	// dealer onboarded without a restart): a *SecretMap, or a lookup of
	// your own over your database. Event.Secret is the name it returns.
	SecretLookup SecretLookup

	// Header is the request header carrying the secret. The default,
	// "Authorization", expects "Bearer <secret>" (scheme in any case); any
	// other header must carry the secret as its whole value.
	Header string

	// InsecureSkipVerify accepts deliveries without checking any secret.
	// Anyone who can reach the URL can then inject events: use it only
	// behind another authenticating layer, or in tests. Setting it
	// together with secrets is an error.
	InsecureSkipVerify bool

	// Handler is called once per accepted delivery, with Event.Secret and
	// Event.Request set.
	// Returning nil answers 204; an error answers 500 (without the error
	// text) so PAVE may deliver again. Act idempotently, and prefer
	// fetching the session from the API before acting on a notification.
	// Required.
	Handler func(ctx context.Context, ev *Event) error

	// MaxBodyBytes bounds the body (default DefaultMaxBodyBytes); a larger
	// one is answered 413.
	MaxBodyBytes int64

	// Method is the accepted HTTP method (default POST; use the callback
	// setting's method). Others are answered 405 with an Allow header.
	Method string

	// DedupWindow, when positive, acknowledges (204) without calling
	// Handler a delivery whose event, body and secret name (Event.Secret)
	// equal one handled successfully within the window: the same body for
	// two names is two deliveries. A duplicate arriving while the first is
	// being handled waits for its outcome (and is answered 503 with
	// Retry-After if its own request ends first); if the first fails, the
	// duplicate is handled. Zero disables it. Ten minutes is a reasonable
	// window. A delivery being handled holds its claim for at most two
	// minutes (so a replica that dies mid-delivery does not block its
	// duplicates for the whole window): a Handler that runs longer may see
	// PAVE's repeat handled alongside it, so keep handlers short (queue
	// slow work) and idempotent.
	DedupWindow time.Duration

	// DedupStore remembers the deliveries for DedupWindow. The default
	// keeps them in this process's memory, bounded by DedupMaxEntries
	// (NewMemoryStore: pass one you keep to a rebuilt handler to keep its
	// memory); give a shared store (package webhook/redisdedup) when
	// several replicas receive deliveries.
	DedupStore Store

	// DedupMaxEntries bounds the default in-memory store (default
	// DefaultDedupEntries); the oldest handled deliveries are forgotten
	// first. A delivery still being handled is never forgotten: when every
	// entry is one, a new delivery is answered 503 with Retry-After.
	DedupMaxEntries int

	// Logger, when set, receives one record per delivery: the outcome,
	// status, event name, session key and, once verified, the secret's
	// name (secret_name, from NamedSecrets). Bodies, header values,
	// secrets, phone numbers and people's names are never logged; an error
	// returned by Handler is logged, so keep personal data out of its text.
	Logger *slog.Logger

	// Clock returns the current time for the in-memory store (default
	// time.Now).
	Clock func() time.Time

	// Observe, when set, is called once per request with its outcome, for
	// metrics (package github.com/pave-go/pave/otel counts them). It runs
	// on the request path: keep it fast.
	Observe func(ctx context.Context, o Outcome)
}

// Outcome is what a Handler did with one request (see Config.Observe).
type Outcome struct {
	// Result is "delivered" (the handler returned nil), "duplicate"
	// (acknowledged without calling it), "refused" (see Reason), "failed"
	// (the handler returned an error or panicked) or "unavailable" (the
	// duplicate store failed, or a duplicate in progress outlived the
	// request).
	Result string
	// Reason says why a request was refused or failed: "method",
	// "unauthorized", "too_large", "unreadable", "malformed",
	// "handler_error", "handler_panic"; "" otherwise.
	Reason string
	// Status is the HTTP status answered.
	Status int
	// Event is the delivery's event name, when it was read ("" before).
	Event pave.EventName
	// Secret is the name of the secret the delivery carried.
	Secret string
}

// String describes the configuration without its secrets: how many there
// are (and under how many names), the header, and the settings.
func (c Config) String() string {
	return fmt.Sprintf("webhook.Config{Secrets: %d %s, NamedSecrets: %d %s under %d names, Header: %q, InsecureSkipVerify: %t, Handler: %t, MaxBodyBytes: %d, Method: %q, DedupWindow: %s, DedupMaxEntries: %d}",
		len(c.Secrets), redact.Marker, c.namedCount(), redact.Marker, len(c.NamedSecrets), c.Header, c.InsecureSkipVerify,
		c.Handler != nil, c.MaxBodyBytes, c.Method, c.DedupWindow, c.DedupMaxEntries)
}

// namedCount is the number of secrets in NamedSecrets.
func (c Config) namedCount() int {
	n := 0
	for _, list := range c.NamedSecrets {
		n += len(list)
	}
	return n
}

// Format prints String for every verb, so no verb reaches the secrets.
func (c Config) Format(f fmt.State, verb rune) { redact.Print(f, verb, c.String()) }

// LogValue implements slog.LogValuer without the secrets.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("secrets", len(c.Secrets)),
		slog.Int("named_secrets", c.namedCount()), slog.Int("secret_names", len(c.NamedSecrets)), slog.String("header", c.Header),
		slog.Bool("insecure_skip_verify", c.InsecureSkipVerify), slog.String("dedup_window", c.DedupWindow.String()))
}

// MarshalJSON encodes the configuration as LogValue shows it, without the
// secrets.
func (c Config) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"secrets":%d,"named_secrets":%d,"secret_names":%d,"header":%q,"insecure_skip_verify":%t,"dedup_window":%q}`,
		len(c.Secrets), c.namedCount(), len(c.NamedSecrets), c.Header, c.InsecureSkipVerify, c.DedupWindow.String()), nil
}

// handler is the http.Handler built by NewHandler.
type handler struct {
	verifier *verifier // nil with InsecureSkipVerify
	handle   func(context.Context, *Event) error
	maxBytes int64
	method   string
	dedup    *deduper // nil without DedupWindow
	logger   *slog.Logger
	observe  func(context.Context, Outcome)
}

// NewHandler returns an http.Handler that receives PAVE's webhook
// deliveries. For each request it:
//
//   - answers 405 (with Allow) to a method other than cfg.Method;
//   - answers 401, without detail, unless the secret header matches one of
//     the secrets (each compared, in constant time), and sets Event.Secret
//     to the name of the one it matches (see Config.NamedSecrets);
//   - answers 413 to a body larger than cfg.MaxBodyBytes;
//   - answers 400 to a body that is not a JSON object;
//   - with cfg.DedupWindow, answers 204 to a repeat of a delivery already
//     handled, without calling cfg.Handler;
//   - calls cfg.Handler and answers 204 when it returns nil, or 500 when it
//     returns an error or panics, so PAVE may deliver again.
//
// Error responses never echo the reason, the handler's error or any input.
// Construction fails without a secret unless cfg.InsecureSkipVerify is set,
// with both, without a Handler, on a secret configured under two names, and
// on an invalid setting.
func NewHandler(cfg Config) (http.Handler, error) {
	h := &handler{handle: cfg.Handler, maxBytes: cfg.MaxBodyBytes,
		method: strings.ToUpper(strings.TrimSpace(cfg.Method)), logger: cfg.Logger, observe: cfg.Observe}
	switch {
	case cfg.InsecureSkipVerify && (len(cfg.Secrets) > 0 || len(cfg.NamedSecrets) > 0 || cfg.SecretLookup != nil):
		field := "Secrets"
		if cfg.SecretLookup != nil {
			field = "SecretLookup"
		} else if len(cfg.Secrets) == 0 {
			field = "NamedSecrets"
		}
		return nil, fmt.Errorf("webhook: config: InsecureSkipVerify together with %s: "+
			"the secrets would not be checked; set one or the other", field)
	case !cfg.InsecureSkipVerify:
		v, err := newVerifier(cfg.Header, cfg.Secrets, cfg.NamedSecrets, cfg.SecretLookup)
		if err != nil {
			return nil, err
		}
		h.verifier = v
	}
	if cfg.Handler == nil {
		return nil, errors.New("webhook: config: Handler is required")
	}
	if h.maxBytes < 0 {
		return nil, fmt.Errorf("webhook: config: MaxBodyBytes %d is negative", cfg.MaxBodyBytes)
	}
	if h.maxBytes == 0 {
		h.maxBytes = DefaultMaxBodyBytes
	}
	if h.method == "" {
		h.method = http.MethodPost
	} else if !wire.ValidHeaderName(h.method) {
		return nil, fmt.Errorf("webhook: config: Method %q is not an HTTP method", cfg.Method)
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DedupWindow < 0 || cfg.DedupMaxEntries < 0 {
		return nil, errors.New("webhook: config: DedupWindow and DedupMaxEntries must not be negative")
	}
	if cfg.DedupWindow > 0 {
		store := cfg.DedupStore
		if store == nil {
			maxEntries := cfg.DedupMaxEntries
			if maxEntries == 0 {
				maxEntries = DefaultDedupEntries
			}
			now := cfg.Clock
			if now == nil {
				now = time.Now
			}
			store = NewMemoryStore(maxEntries, now)
		}
		h.dedup = &deduper{store: store, window: cfg.DedupWindow}
	}
	return h, nil
}

// reply writes a response without substance: the status text only.
func reply(w http.ResponseWriter, status int) {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	http.Error(w, http.StatusText(status), status)
}

// outcomes are the results of a request: its Outcome, log level and line.
var outcomes = map[string]struct {
	result string
	level  slog.Level
	msg    string
}{
	"method":          {"refused", slog.LevelWarn, "pave webhook: method not allowed"},
	"unauthorized":    {"refused", slog.LevelWarn, "pave webhook: unauthorized"},
	"too_large":       {"refused", slog.LevelWarn, "pave webhook: body too large"},
	"unreadable":      {"refused", slog.LevelWarn, "pave webhook: reading body failed"},
	"malformed":       {"refused", slog.LevelWarn, "pave webhook: malformed body"},
	"handler_error":   {"failed", slog.LevelError, "pave webhook: handler failed"},
	"handler_panic":   {"failed", slog.LevelError, "pave webhook: handler panicked"},
	"delivered":       {"delivered", slog.LevelDebug, "pave webhook: delivered"},
	"duplicate":       {"duplicate", slog.LevelInfo, "pave webhook: duplicate acknowledged"},
	"store_failed":    {"unavailable", slog.LevelWarn, "pave webhook: duplicate store unavailable"},
	"duplicate_hangs": {"unavailable", slog.LevelWarn, "pave webhook: gave up waiting for a concurrent duplicate"},
}

// report logs a request's outcome (see outcomes) and hands it to Observe.
func (h *handler) report(ctx context.Context, what string, status int, ev *Event, extra ...slog.Attr) {
	o := outcomes[what]
	if h.observe != nil {
		out := Outcome{Result: o.result, Status: status}
		if o.result == "refused" || o.result == "failed" {
			out.Reason = what
		}
		if ev != nil {
			out.Event, out.Secret = ev.Name, ev.Secret
		}
		h.observe(ctx, out)
	}
	h.log(ctx, o.level, o.msg, status, ev, extra...)
}

func (h *handler) log(ctx context.Context, level slog.Level, msg string, status int, ev *Event, extra ...slog.Attr) {
	if !h.logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{slog.Int("status", status)}
	if ev != nil {
		attrs = append(attrs, slog.String("event", string(ev.Name)), slog.String("event_from", string(ev.NameFrom)),
			slog.String("session_key", ev.SessionKey))
		attrs = append(attrs, secretNameAttr(ev.Secret)...)
	}
	h.logger.LogAttrs(ctx, level, msg, append(attrs, extra...)...)
}

// secretNameAttr is the log attribute naming the matched secret, if it has
// a name. The name is configuration, not a credential.
func secretNameAttr(name string) []slog.Attr {
	if name == "" {
		return nil
	}
	return []slog.Attr{slog.String("secret_name", name)}
}

// ServeHTTP implements the rules documented on NewHandler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != h.method {
		w.Header().Set("Allow", h.method)
		reply(w, http.StatusMethodNotAllowed)
		h.report(ctx, "method", http.StatusMethodNotAllowed, nil)
		return
	}
	d := new(delivery)
	var secretName string
	if h.verifier != nil {
		name, ok := h.verifier.verifyInto(r.Header, &d.digest)
		d.digest = [sha256.Size]byte{}
		if !ok {
			reply(w, http.StatusUnauthorized)
			h.report(ctx, "unauthorized", http.StatusUnauthorized, nil)
			return
		}
		secretName = name
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, h.maxBytes), r.ContentLength, h.maxBytes)
	if err != nil {
		status, what := http.StatusBadRequest, "unreadable"
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			status, what = http.StatusRequestEntityTooLarge, "too_large"
		}
		reply(w, status)
		h.report(ctx, what, status, &Event{Secret: secretName})
		return
	}
	var query url.Values
	if r.URL != nil && r.URL.RawQuery != "" {
		query = r.URL.Query()
	}
	ev, err := parseInto(d, body, r.Header, query)
	if err != nil {
		reply(w, http.StatusBadRequest)
		h.report(ctx, "malformed", http.StatusBadRequest, &Event{Secret: secretName})
		return
	}
	ev.Secret, ev.Request = secretName, r
	if h.dedup == nil {
		h.dispatch(w, r, ev)
		return
	}
	h.dedup.serve(w, r, ev, h)
}

// dispatch calls the user's handler and answers; it reports success.
func (h *handler) dispatch(w http.ResponseWriter, r *http.Request, ev *Event) (ok bool) {
	ctx := r.Context()
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			ok = false
			reply(w, http.StatusInternalServerError)
			// The panic value may hold customer data: log its type only.
			h.report(ctx, "handler_panic", http.StatusInternalServerError, ev, slog.String("panic_type", fmt.Sprintf("%T", p)))
		}
	}()
	if err := h.handle(ctx, ev); err != nil {
		reply(w, http.StatusInternalServerError)
		h.report(ctx, "handler_error", http.StatusInternalServerError, ev, slog.String("error", err.Error()))
		return false
	}
	reply(w, http.StatusNoContent)
	h.report(ctx, "delivered", http.StatusNoContent, ev)
	return true
}
