package pavetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/redact"
)

// maxControlAnswer bounds what the ControlClient reads of one answer.
const maxControlAnswer = 64 << 20

// ControlClient drives a fake server running in another process (pave
// fake serve, a container) through its control API, as tools in other
// languages do over HTTP. Every method takes a context first: its deadline
// bounds the call. A ControlClient is safe for concurrent use.
type ControlClient struct {
	base   string // scheme://host[:port], no trailing slash
	token  string
	hc     *http.Client
	redact redact.Redactor
}

// ControlError is a control request the fake refused, or an answer that is
// not what the control API answers. Its text never holds the control token,
// whatever the server echoed.
type ControlError struct {
	// StatusCode is the HTTP status (0 when the answer could not be read).
	StatusCode int
	// Message is the fake's message.
	Message string
	// Errors are the messages by JSON field of the request, when a field
	// was at fault.
	Errors map[string][]string
}

func (e *ControlError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pavetest: control request failed: %d %s", e.StatusCode, e.Message)
	for _, k := range slices.Sorted(maps.Keys(e.Errors)) {
		fmt.Fprintf(&b, "; %s: %s", k, strings.Join(e.Errors[k], ", "))
	}
	return b.String()
}

// Is makes a 404 match ErrSessionNotFound and a 409 ErrInvalidTransition,
// as the Server's own methods return them.
func (e *ControlError) Is(target error) bool {
	return target == ErrSessionNotFound && e.StatusCode == http.StatusNotFound ||
		target == ErrInvalidTransition && e.StatusCode == http.StatusConflict
}

// NewControlClient returns a client of the fake at baseURL (its srv.URL,
// e.g. http://127.0.0.1:8080). token is the fake's control token, "" when
// it has none; hc sends the requests (nil: a client of its own; redirects
// are never followed, so the token goes nowhere else).
func NewControlClient(baseURL, token string, hc *http.Client) (*ControlClient, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
		return nil, fmt.Errorf("pavetest: control base URL %q is not an http(s) URL of a host without a path",
			redact.New(token).Text(baseURL))
	}
	if strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, errors.New("pavetest: the control token holds a space or a control character")
	}
	c := http.Client{}
	if hc != nil {
		c = *hc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &ControlClient{base: u.String(), token: token, hc: &c, redact: redact.New(token)}, nil
}

// call sends route with args in its path and in as its JSON body (nil:
// none), and decodes the answer into out (nil: read and dropped).
func (c *ControlClient) call(ctx context.Context, route *controlRoute, in, out any, args ...string) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("pavetest: encoding the control request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, route.Method, c.base+route.controlPath(args...), body)
	if err != nil {
		return c.scrub(err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.scrub(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxControlAnswer+1))
	switch {
	case err != nil:
		return c.scrub(err)
	case len(raw) > maxControlAnswer:
		return &ControlError{StatusCode: resp.StatusCode, Message: "answer larger than 64 MiB"}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		var e requestError
		if json.Unmarshal(raw, &e) != nil || e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
		return c.refusal(resp.StatusCode, e.Message, e.Errors)
	case out == nil:
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return c.refusal(resp.StatusCode, "the answer is not what "+route.Method+" "+route.Path+" answers", nil)
	}
	return nil
}

// refusal builds a ControlError with the token scrubbed from every text.
func (c *ControlClient) refusal(status int, message string, fields map[string][]string) *ControlError {
	e := &ControlError{StatusCode: status, Message: c.redact.Text(message)}
	for k, v := range fields {
		if e.Errors == nil {
			e.Errors = map[string][]string{}
		}
		for _, m := range v {
			e.Errors[c.redact.Text(k)] = append(e.Errors[c.redact.Text(k)], c.redact.Text(m))
		}
	}
	return e
}

// scrubbedError is a transport error with the token removed from its text.
type scrubbedError struct {
	text string
	err  error
}

func (e *scrubbedError) Error() string { return e.text }
func (e *scrubbedError) Unwrap() error { return e.err }

func (c *ControlClient) scrub(err error) error {
	return &scrubbedError{text: "pavetest: control request: " + c.redact.Text(err.Error()), err: err}
}

// get calls route and decodes its answer as a T.
func get[T any](ctx context.Context, c *ControlClient, route *controlRoute, in any, args ...string) (T, error) {
	var out T
	err := c.call(ctx, route, in, &out, args...)
	return out, err
}

// session calls a session route and decodes the session it answers.
func (c *ControlClient) session(ctx context.Context, route *controlRoute, key string, in any) (*pave.Session, error) {
	s, err := get[pave.Session](ctx, c, route, in, key)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// Health reports whether the fake answers (GET /_fake/health).
func (c *ControlClient) Health(ctx context.Context) error { return c.call(ctx, ctlHealth, nil, nil) }

// Accounts lists the fake's accounts, secrets included, the default first.
func (c *ControlClient) Accounts(ctx context.Context) ([]Account, error) {
	out, err := get[accountsJSON](ctx, c, ctlAccounts, nil)
	return out.Accounts, err
}

// Session returns a session of any account, as GET /v1/sessions/{key}
// shows it (Raw holds the fake's JSON).
func (c *ControlClient) Session(ctx context.Context, key string) (*pave.Session, error) {
	return c.session(ctx, ctlSession, key, nil)
}

// Start moves an IDLE session to STARTED (Server.StartCapture).
func (c *ControlClient) Start(ctx context.Context, key string) (*pave.Session, error) {
	return c.session(ctx, ctlStart, key, nil)
}

// Capture records a photo of view code, accepted or rejected
// (Server.CapturePhoto).
func (c *ControlClient) Capture(ctx context.Context, key string, code pave.PhotoCode, accepted bool) (*pave.Session, error) {
	return c.session(ctx, ctlCapture, key, captureBody{PhotoCode: int(code), Accepted: &accepted})
}

// Complete runs the rest of the lifecycle up to COMPLETE (Server.Complete).
func (c *ControlClient) Complete(ctx context.Context, key string) (*pave.Session, error) {
	return c.session(ctx, ctlComplete, key, nil)
}

// CompleteRepeat completes a session as a repeat inspection of an earlier
// session's vehicle (Server.CompleteRepeat).
func (c *ControlClient) CompleteRepeat(ctx context.Context, key string, r Repeat) (*pave.Session, error) {
	return c.session(ctx, ctlRepeat, key, r)
}

// Expire marks a session EXPIRED (Server.Expire).
func (c *ControlClient) Expire(ctx context.Context, key string) (*pave.Session, error) {
	return c.session(ctx, ctlExpire, key, nil)
}

// Invalidate marks a session INVALID (Server.Invalidate).
func (c *ControlClient) Invalidate(ctx context.Context, key string) (*pave.Session, error) {
	return c.session(ctx, ctlInvalidate, key, nil)
}

// AddNote attaches a note to a session (Server.AddNote).
func (c *ControlClient) AddNote(ctx context.Context, key, title, description string) (*pave.Session, error) {
	return c.session(ctx, ctlNote, key, noteBody{Title: title, Description: description})
}

// SetSMSResult reports the capture-link SMS delivered (ok) or failed
// (Server.SetSMSResult).
func (c *ControlClient) SetSMSResult(ctx context.Context, key string, ok bool, message string) (*pave.Session, error) {
	return c.session(ctx, ctlSMS, key, smsResultBody{Success: &ok, Message: message})
}

// ProcessHotspots finishes the Hotspots analysis of a session
// (Server.ProcessHotspots).
func (c *ControlClient) ProcessHotspots(ctx context.Context, key string) (*pave.Session, error) {
	return c.session(ctx, ctlHotspots, key, nil)
}

// Inject adds a fault (Server.Inject) and returns its id.
func (c *ControlClient) Inject(ctx context.Context, f Fault) (int, error) {
	out, err := get[injectedFaultJSON](ctx, c, ctlInject, faultBodyOf(f))
	return out.ID, err
}

// Faults lists the active faults (Server.Faults).
func (c *ControlClient) Faults(ctx context.Context) ([]InjectedFault, error) {
	out, err := get[[]injectedFaultJSON](ctx, c, ctlFaults, nil)
	if err != nil {
		return nil, err
	}
	faults := make([]InjectedFault, len(out))
	for i, f := range out {
		faults[i] = InjectedFault{ID: f.ID, Fault: f.fault(), Remaining: f.Remaining}
	}
	return faults, nil
}

// RemoveFault removes one fault (Server.RemoveFault); an unknown id is a
// 404 ControlError.
func (c *ControlClient) RemoveFault(ctx context.Context, id int) error {
	return c.call(ctx, ctlRemoveFault, nil, nil, strconv.Itoa(id))
}

// ResetFaults removes every fault.
func (c *ControlClient) ResetFaults(ctx context.Context) error {
	return c.call(ctx, ctlClearFaults, nil, nil)
}

// Reset returns the fake to its start state (Server.Reset).
func (c *ControlClient) Reset(ctx context.Context) error { return c.call(ctx, ctlReset, nil, nil) }

// Clock returns the fake's clock.
func (c *ControlClient) Clock(ctx context.Context) (time.Time, error) {
	return c.clock(ctx, ctlClock, nil)
}

// AdvanceClock moves the fake's clock by d and returns the new time.
func (c *ControlClient) AdvanceClock(ctx context.Context, d time.Duration) (time.Time, error) {
	return c.clock(ctx, ctlAdvance, clockBody{AdvanceSeconds: d.Seconds()})
}

func (c *ControlClient) clock(ctx context.Context, route *controlRoute, in any) (time.Time, error) {
	out, err := get[clockJSON](ctx, c, route, in)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, out.Now)
	if err != nil {
		return time.Time{}, c.refusal(http.StatusOK, "the clock's answer is not an RFC 3339 time", nil)
	}
	return t, nil
}

// Requests returns the API requests the fake received, oldest first.
func (c *ControlClient) Requests(ctx context.Context) ([]Request, error) {
	return get[[]Request](ctx, c, ctlRequests, nil)
}

// ResetRequests forgets the recorded requests.
func (c *ControlClient) ResetRequests(ctx context.Context) error {
	return c.call(ctx, ctlClearRequests, nil, nil)
}

// Deliveries returns the webhook delivery attempts, then those pending.
func (c *ControlClient) Deliveries(ctx context.Context) ([]Delivery, error) {
	return get[[]Delivery](ctx, c, ctlDeliveries, nil)
}

// ResetDeliveries forgets the recorded deliveries.
func (c *ControlClient) ResetDeliveries(ctx context.Context) error {
	return c.call(ctx, ctlClearDeliveries, nil, nil)
}

// FlushDeliveries waits until no delivery is pending, within ctx's
// deadline (a 504 ControlError when it passes first on the server).
func (c *ControlClient) FlushDeliveries(ctx context.Context) error {
	return c.call(ctx, ctlFlush, nil, nil)
}

// Chaos returns the chaos in force (Server.CurrentChaos).
func (c *ControlClient) Chaos(ctx context.Context) (Chaos, error) { return c.chaos(ctx, ctlChaos, nil) }

// SetChaos replaces the chaos (Server.SetChaos) and returns it.
func (c *ControlClient) SetChaos(ctx context.Context, ch Chaos) (Chaos, error) {
	return c.chaos(ctx, ctlSetChaos, ch.json())
}

func (c *ControlClient) chaos(ctx context.Context, route *controlRoute, in any) (Chaos, error) {
	out, err := get[chaosJSON](ctx, c, route, in)
	return out.chaos(), err
}

// OpenAPI returns the OpenAPI 3.1 document of PAVE's API and the control
// API, as JSON.
func (c *ControlClient) OpenAPI(ctx context.Context) ([]byte, error) {
	return get[json.RawMessage](ctx, c, ctlOpenAPI, nil)
}
