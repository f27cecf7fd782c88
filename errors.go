package pave

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors for errors.Is. An *APIError or *ValidationError matches the
// sentinels that describe it; several may match at once (a 429 is both
// ErrRateLimited and retryable, a 503 is ErrServer).
var (
	// ErrNotFound: HTTP 404 (unknown session, or one owned by another API key;
	// unknown callback setting).
	ErrNotFound = errors.New("pave: not found")
	// ErrUnauthorized: HTTP 401 or 403 (bad credentials, bad token, stale
	// timestamp: check the machine's clock).
	ErrUnauthorized = errors.New("pave: unauthorized")
	// ErrValidation: a request rejected for its content, either by the
	// client before sending (*ValidationError) or by PAVE (400 with field
	// errors, or 422).
	ErrValidation = errors.New("pave: validation failed")
	// ErrNotReady: results were requested for a session that is not yet
	// COMPLETE ("Session is not yet completed.").
	ErrNotReady = errors.New("pave: session is not yet completed")
	// ErrRateLimited: HTTP 429.
	ErrRateLimited = errors.New("pave: rate limited")
	// ErrServer: HTTP 5xx.
	ErrServer = errors.New("pave: server error")
)

// MaxErrorBodySize bounds how much of an error response body is read and kept
// in APIError.Body.
const MaxErrorBodySize = 1 << 20

// APIError is returned for every non-2xx response from PAVE, and for the
// few documented refusals PAVE sends with a 200 (a Hotspots or v2 resend
// body saying "success": false or "status": "error"), which carry
// StatusCode 200.
type APIError struct {
	// StatusCode is the HTTP status of the (last) response.
	StatusCode int
	// Message is the API's "message" field, empty if the body had none.
	Message string
	// Errors maps dotted field paths (e.g. "vehicle.vin") to messages. It
	// is nil when the response carried no field errors. Messages that are
	// not tied to a field are stored under the empty key "".
	Errors map[string][]string
	// RetryAfter is the wait the server asked for in Retry-After, or 0.
	RetryAfter time.Duration
	// Attempts is how many times the request was sent.
	Attempts int
	// Method and Path identify the request (path without host or query).
	Method string
	Path   string
	// Body is the raw response body, at most MaxErrorBodySize bytes.
	Body []byte
	// Truncated reports that the body was longer than MaxErrorBodySize.
	Truncated bool
	// Location is where a 3xx answer pointed. The SDK follows redirects
	// only for GET (and to the same host); any other request gets the
	// redirect back as this error, never re-sent.
	Location string
}

// Error returns one line: method, path, status, message, sorted field
// errors and the attempt count.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("pave: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(oneLine(e.Message))
	}
	writeFieldErrors(&b, e.Errors)
	if e.Location != "" {
		b.WriteString(" (redirect to ")
		b.WriteString(oneLine(e.Location))
		b.WriteString(" not followed)")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Is reports whether the error matches one of the package's sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrValidation:
		return e.StatusCode == http.StatusUnprocessableEntity ||
			(e.StatusCode == http.StatusBadRequest && len(e.Errors) > 0)
	case ErrNotReady:
		return e.isNotReady()
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	}
	return false
}

// isNotReady: PAVE does not document the status of "Session is not yet
// completed.", so the message decides (any status but 404).
func (e *APIError) isNotReady() bool {
	return e.StatusCode != http.StatusNotFound && isNotReadyMessage(e.Message)
}

func isNotReadyMessage(m string) bool {
	return strings.Contains(strings.ToLower(m), "not yet completed")
}

// FieldErrors returns the field error map of err if it is (or wraps) an
// *APIError or *ValidationError, and nil otherwise.
func FieldErrors(err error) map[string][]string {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Errors
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Errors
	}
	return nil
}

// ValidationError is returned before any network call when a request fails
// the SDK's own checks. Errors uses the API's dotted field paths, like the
// 400 PAVE returns, and errors.Is(err, ErrValidation) is true.
type ValidationError struct {
	// Op names the operation, e.g. "Sessions.Create".
	Op string
	// Errors maps dotted field paths to messages.
	Errors map[string][]string
}

// Error returns one line with the operation and the sorted field errors.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("pave: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString("invalid request")
	writeFieldErrors(&b, e.Errors)
	return b.String()
}

// Is makes errors.Is(err, ErrValidation) true.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// fieldErrors accumulates validation messages.
type fieldErrors map[string][]string

func (f fieldErrors) add(field, msg string) { f[field] = append(f[field], msg) }

func (f fieldErrors) err(op string) error {
	if len(f) == 0 {
		return nil
	}
	return &ValidationError{Op: op, Errors: f}
}

func writeFieldErrors(b *strings.Builder, m map[string][]string) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b.WriteString(" [")
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		if k != "" {
			b.WriteString(oneLine(k))
			b.WriteString(": ")
		}
		for j, msg := range m[k] {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(oneLine(msg))
		}
	}
	b.WriteByte(']')
}

// oneLine folds control characters so Error() stays a single line.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// newAPIError decodes an error body tolerantly: a JSON object with an optional
// "message" and "errors" (map of lists, map of strings, list or string), or
// anything else (an HTML page from a proxy), which keeps only the raw body.
func newAPIError(status int, body []byte, truncated bool) *APIError {
	e := &APIError{StatusCode: status, Body: body, Truncated: truncated}
	var env struct {
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
		Errors  json.RawMessage `json:"errors"`
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &env) != nil {
		return e
	}
	e.Message = looseString(env.Message)
	if e.Message == "" {
		e.Message = looseString(env.Error)
	}
	e.Errors = decodeFieldErrors(env.Errors)
	return e
}

// looseString returns a JSON string's value, or the compact JSON text of any
// other non-null value.
func looseString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return ""
}

func decodeFieldErrors(raw json.RawMessage) map[string][]string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	out := map[string][]string{}
	switch raw[0] {
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return nil
		}
		for k, v := range m {
			if msgs := messagesOf(v); len(msgs) > 0 {
				out[k] = msgs
			}
		}
	default:
		if msgs := messagesOf(raw); len(msgs) > 0 {
			out[""] = msgs
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// messagesOf reads a string, a list of strings (or other values), or any other
// value as its JSON text.
func messagesOf(raw json.RawMessage) []string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '[' {
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		var msgs []string
		for _, it := range items {
			if s := looseString(it); s != "" {
				msgs = append(msgs, s)
			}
		}
		return msgs
	}
	if s := looseString(raw); s != "" {
		return []string{s}
	}
	return nil
}

// scrub removes every form of the redactor's credentials and of extra
// ones from the error's decoded message, field errors and raw body.
func (e *APIError) scrub(r redactor, extra []string) {
	e.Message = r.text(e.Message, extra...)
	e.Location = r.text(e.Location, extra...)
	for k, msgs := range e.Errors {
		for i, m := range msgs {
			msgs[i] = r.text(m, extra...)
		}
		if rk := r.text(k, extra...); rk != k {
			delete(e.Errors, k)
			e.Errors[rk] = msgs
		}
	}
	e.Body = r.body(e.Body, extra...)
}

// parseRetryAfter reads Retry-After as delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 || secs != secs {
			return 0
		}
		if secs > 24*3600 {
			secs = 24 * 3600
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
