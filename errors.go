package pave

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pave-go/pave/internal/redact"
	"github.com/pave-go/pave/internal/transport"
	"github.com/pave-go/pave/internal/wire"
)

// Sentinel errors for errors.Is. An error of this package matches the
// sentinels that describe it; several may match at once (a 503 is
// ErrServer, a refused resend both its reason and the *APIError's).
var (
	// ErrNotFound: HTTP 404 (unknown session, or one owned by another API
	// key; unknown callback setting).
	ErrNotFound = errors.New("pave: not found")
	// ErrUnauthorized: HTTP 401 or 403 (bad credentials, bad token, stale
	// timestamp: check the machine's clock).
	ErrUnauthorized = errors.New("pave: unauthorized")
	// ErrValidation: a request rejected for its content, either by the
	// client before sending (*ValidationError) or by PAVE (400 with field
	// errors or saying required fields are missing, or 422); also the
	// documents CompareResults refuses (another vehicle, a missing VIN).
	ErrValidation = errors.New("pave: validation failed")
	// ErrNotReady: results were requested for a session that is not yet
	// COMPLETE ("Session is not yet completed."), or Hotspots results
	// before the photos were analysed.
	ErrNotReady = errors.New("pave: session is not yet completed")
	// ErrRateLimited: HTTP 429.
	ErrRateLimited = errors.New("pave: rate limited")
	// ErrServer: HTTP 5xx.
	ErrServer = errors.New("pave: server error")
	// ErrBadResponse is matched by a *RequestError whose 2xx response
	// could not be used: undecodable, empty where a value was due, or an
	// unexpected 1xx.
	ErrBadResponse = transport.ErrBadResponse
	// ErrForeignHost is returned (wrapped) by SigningTransport when asked
	// to sign a request for a host other than the configured base URL,
	// for example after a redirect. Credentials are never sent to another
	// host.
	ErrForeignHost = errors.New("pave: refusing to sign a request for a host other than the configured base URL")
	// ErrSessionEnded is matched by the *SessionEndedError WaitForResults
	// returns when the session reached EXPIRED or INVALID and will never
	// complete.
	ErrSessionEnded = errors.New("pave: session ended without completing")
	// ErrResendFinalized: the session is past capture (QC_PASSED,
	// CONFIRM, COMPLETE or EXPIRED) and can no longer be resent.
	ErrResendFinalized = errors.New("pave: session is finalized and cannot be resent")
	// ErrResendTooOld: the session is older than 7 days.
	ErrResendTooOld = errors.New("pave: session is too old to be resent")
	// ErrResendAlreadySent: the one resend a session allows was used.
	ErrResendAlreadySent = errors.New("pave: SMS has already been resent")
	// ErrResendNoPhone: the session has no phone number to text and the
	// request gave none (pass ResendSMSRequest.Phone).
	ErrResendNoPhone = errors.New("pave: no phone number to resend the SMS to")
	// ErrConflict: the thing already exists: a callback setting created
	// for an event that has one (PAVE answers 400 "... already exists.";
	// a 409 matches too). Webhooks.Ensure updates instead.
	ErrConflict = errors.New("pave: already exists")
	// ErrSessionStarted: a session that has started cannot be deleted
	// (400 "Session ... has been started and cannot be deleted.").
	ErrSessionStarted = errors.New("pave: session has started")
	// ErrInvalidOption is matched by the error of an Option or CallOption
	// given an unusable value.
	ErrInvalidOption = errors.New("pave: invalid option")
	// ErrInvalidCredentials is matched by the error of Credentials.Validate,
	// NewClient and CredentialsFromEnv for a field that is missing, blank
	// or unusable.
	ErrInvalidCredentials = errors.New("pave: invalid credentials")
)

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
	// Body is the raw response body, at most 1 MiB.
	Body []byte
	// Truncated reports that the body was longer than the 1 MiB kept in
	// Body.
	Truncated bool
	// Location is where a 3xx answer pointed. The SDK follows redirects
	// only for GET (and to the same host); any other request gets the
	// redirect back as this error, never re-sent.
	Location string
	// ClockSkew is how far this machine's clock was ahead of PAVE's
	// (negative: behind), read from the Date header of a 401 that shows
	// a skew the SDK did not correct (see WithClockSkewCorrection); 0
	// otherwise.
	ClockSkew time.Duration
}

// Error returns one line: method, path, status, message, sorted field
// errors, for a 401 the likely causes, and the attempt count.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("pave: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	e.writeDetail(&b)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// writeDetail writes what the answer said, without the request or the
// attempt count (a *RequestError quoting it has its own).
func (e *APIError) writeDetail(b *strings.Builder) {
	text := http.StatusText(e.StatusCode)
	msg := oneLine(e.Message)
	switch {
	case e.StatusCode >= 200 && e.StatusCode <= 299 && msg != "":
		// A refusal PAVE sent with a 2xx: "200 OK" would contradict it.
		b.WriteString(msg)
	default:
		b.WriteString(strconv.Itoa(e.StatusCode))
		if text != "" {
			b.WriteByte(' ')
			b.WriteString(text)
		}
		// "429 Too Many Requests: Too Many Requests." says it twice.
		if msg != "" && !strings.EqualFold(strings.TrimSuffix(msg, "."), text) {
			b.WriteString(": ")
			b.WriteString(msg)
		}
	}
	writeFieldErrors(b, e.Errors)
	if e.Location != "" {
		b.WriteString(" (redirect to ")
		b.WriteString(oneLine(e.Location))
		b.WriteString(" not followed)")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(b, " (retry after %s)", e.RetryAfter)
	}
	if e.StatusCode == http.StatusUnauthorized {
		b.WriteString(" (likely causes: ")
		if e.ClockSkew != 0 {
			b.WriteString(transport.DescribeSkew(e.ClockSkew))
			b.WriteString("; ")
		}
		b.WriteString("a wrong API secret, or one with a trailing newline or space; a username " +
			"that is not the account name PAVE gave; an API key of another account")
		if e.ClockSkew == 0 {
			b.WriteString("; this machine's clock more than 5 minutes off")
		}
		b.WriteByte(')')
	}
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
			(e.StatusCode == http.StatusBadRequest && (len(e.Errors) > 0 || messageHas(e.Message, "required field")))
	case ErrConflict:
		return e.StatusCode == http.StatusConflict ||
			(e.StatusCode == http.StatusBadRequest && messageHas(e.Message, "already exists"))
	case ErrSessionStarted:
		return e.StatusCode == http.StatusBadRequest && messageHas(e.Message, "has been started")
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

// messageHas reports whether m holds part, ignoring letter case: PAVE's
// refusals share statuses (400) and differ in their documented wording.
func messageHas(m, part string) bool {
	return strings.Contains(strings.ToLower(m), part)
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
	if e.Op == "CompareResults" {
		b.WriteString("documents not comparable")
	} else {
		b.WriteString("invalid request")
	}
	writeFieldErrors(&b, e.Errors)
	return b.String()
}

// Is makes errors.Is(err, ErrValidation) true.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

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

// isControl reports a C0 or C1 control character or DEL, which a terminal
// or log viewer may act on (ESC, BEL, the one-byte CSI U+009B...).
func isControl(r rune) bool { return unicode.IsControl(r) }

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
	trimmed := wire.Trim(body)
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &env) != nil {
		return e
	}
	e.Message = wire.String(env.Message)
	if e.Message == "" {
		e.Message = wire.String(env.Error)
	}
	e.Errors = decodeFieldErrors(env.Errors)
	return e
}

func decodeFieldErrors(raw json.RawMessage) map[string][]string {
	if wire.IsNull(raw) {
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
	raw = wire.Trim(raw)
	if wire.IsNull(raw) {
		return nil
	}
	if raw[0] == '[' {
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		var msgs []string
		for _, it := range items {
			if s := wire.String(it); s != "" {
				msgs = append(msgs, s)
			}
		}
		return msgs
	}
	if s := wire.String(raw); s != "" {
		return []string{s}
	}
	return nil
}

// scrub removes every form of the redactor's credentials and of extra
// ones from the error's decoded message, field errors and raw body.
func (e *APIError) scrub(r redact.Redactor, extra []string) {
	e.Message = r.Text(e.Message, extra...)
	e.Location = r.Text(e.Location, extra...)
	for k, msgs := range e.Errors {
		for i, m := range msgs {
			msgs[i] = r.Text(m, extra...)
		}
		if rk := r.Text(k, extra...); rk != k {
			delete(e.Errors, k)
			e.Errors[rk] = msgs
		}
	}
	e.Body = r.Body(e.Body, extra...)
}

// RequestError is returned when a request could not be completed: a network
// failure, a timeout, a cancelled context, or a response that could not be
// read or decoded. Unwrap gives the cause (errors.Is(err,
// context.DeadlineExceeded) works) and, after a wait was cancelled, the
// previous attempt's error too.
type RequestError struct {
	Method   string
	Path     string
	Attempts int
	// Err is the cause.
	Err error
	// Last is the previous attempt's error when the context ended during
	// a retry wait, else nil.
	Last error
}

// Error returns one line naming the request, the cause and the attempts.
func (e *RequestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pave: %s %s: ", e.Method, e.Path)
	e.writeDetail(&b)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return oneLine(b.String())
}

// writeDetail writes the cause and the answer that led to the last retry,
// each once: no second "pave: ", method or attempt count.
func (e *RequestError) writeDetail(b *strings.Builder) {
	b.WriteString(strings.TrimPrefix(fmt.Sprint(e.Err), "pave: "))
	if e.Last == nil {
		return
	}
	b.WriteString(" (while waiting to retry after ")
	var api *APIError
	var req *RequestError
	switch {
	case errors.As(e.Last, &api):
		api.writeDetail(b)
	case errors.As(e.Last, &req):
		req.writeDetail(b)
	default:
		b.WriteString(strings.TrimPrefix(e.Last.Error(), "pave: "))
	}
	b.WriteByte(')')
}

// Unwrap returns the cause and, if any, the previous attempt's error.
func (e *RequestError) Unwrap() []error {
	if e.Last != nil {
		return []error{e.Err, e.Last}
	}
	return []error{e.Err}
}

// SessionEndedError reports a session that ended in EXPIRED or INVALID.
type SessionEndedError struct {
	SessionKey string
	Status     SessionStatus
}

// Error says which session ended and how.
func (e *SessionEndedError) Error() string {
	return fmt.Sprintf("pave: session %s ended with status %s and will not complete", e.SessionKey, e.Status)
}

// Is makes errors.Is(err, ErrSessionEnded) true.
func (e *SessionEndedError) Is(target error) bool { return target == ErrSessionEnded }

// ResendError is the error of a resend PAVE refused for a documented
// reason. Reason is ErrResendFinalized, ErrResendTooOld,
// ErrResendAlreadySent or ErrResendNoPhone, and errors.Is(err, Reason) is
// true. It wraps the
// *APIError (embedded here, and given by Unwrap), so errors.As(err,
// &apiErr) and the APIError sentinels still work.
type ResendError struct {
	*APIError
	// Reason is the sentinel that names the refusal.
	Reason error
	// SessionStatus is the v2 status PAVE reported (e.g. "QC_PASSED"),
	// when it did.
	SessionStatus SessionStatus
	// SessionAgeDays is the session's age PAVE reported, or 0.
	SessionAgeDays int
}

// Error returns the *APIError's one line.
func (e *ResendError) Error() string {
	if e.APIError == nil {
		if e.Reason != nil {
			return e.Reason.Error()
		}
		return "pave: resend refused"
	}
	return e.APIError.Error()
}

// Is reports whether target is the error's Reason. Other sentinels
// (ErrValidation, ...) are answered by the wrapped *APIError.
func (e *ResendError) Is(target error) bool {
	return e.Reason != nil && errors.Is(e.Reason, target)
}

// Unwrap returns the *APIError.
func (e *ResendError) Unwrap() error {
	if e.APIError == nil {
		return nil
	}
	return e.APIError
}
