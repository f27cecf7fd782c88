package pave

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/pave-go/pave/internal/endpoint"
	"github.com/pave-go/pave/internal/redact"
)

// EnsureOutcome says what Webhooks.Ensure did.
type EnsureOutcome string

// The outcomes of Webhooks.Ensure.
const (
	// EnsureUnchanged: PAVE already held the setting; nothing was written.
	EnsureUnchanged EnsureOutcome = "unchanged"
	// EnsureCreated: the event had no setting; Ensure created it.
	EnsureCreated EnsureOutcome = "created"
	// EnsureUpdated: the event had another setting; Ensure replaced it.
	EnsureUpdated EnsureOutcome = "updated"
)

// Ensure makes PAVE's setting for cb.Event equal to cb, whatever existed
// before, and returns the setting as PAVE holds it and what it did. It is
// meant to run at every start-up, from every replica: a setting that
// already matches is only read, never written.
//
// cb is validated first (see Callback.Validate): a *ValidationError is
// returned without any network call. Then, in requests:
//
//   - the setting exists and matches cb: 1 (GET), EnsureUnchanged;
//   - it exists and differs: 2 (GET, PUT), EnsureUpdated;
//   - there is none (ErrNotFound): 2 (GET, POST), EnsureCreated;
//   - the POST answers ErrConflict (another replica created the setting
//     between the GET and the POST): 3 (GET, POST, GET), EnsureUnchanged,
//     when that setting matches, 4 (GET, POST, GET, PUT), EnsureUpdated,
//     when it differs.
//
// A POST or PUT answer that does not echo the setting costs one more GET.
// Ensure succeeds only when it has seen PAVE hold a setting equal to cb:
// an answer holding another event's setting, a write whose answer (or the
// GET after it) shows a different setting, is an error matching
// ErrBadResponse that says what PAVE kept (never a header value).
//
// A setting matches cb when it has the same URL; the same method, ""
// meaning POST, in any letter case; the same headers, names compared in
// any letter case and values exactly; and every key of cb.Payload with an
// equal JSON value. Other keys in PAVE's payload are a difference, except
// the documented body fields of the event, which PAVE's own list sample
// shows echoed there: phone, status and message for SESSION:SMS_PROCESS;
// session_key, photo_url, photo_status and message for
// SESSION:STAGE_CHANGE. An update sends cb whole (an empty header or
// payload map for a nil one, POST for no method), so nothing of the old
// setting stays.
//
// The secrets of cb, and those of the setting PAVE held (the old secret
// stays valid during a rotation), are scrubbed from every error.
//
// The create is a POST, which the client retries only when the request
// was surely not processed (a 429, a refused connection); Ensure never
// repeats it. When it fails without a clear answer (a timeout, a 5xx) the
// error is returned and the setting may or may not exist: calling Ensure
// again is safe, since it starts with a GET.
func (s *WebhooksService) Ensure(ctx context.Context, cb *Callback, opts ...CallOption) (*Callback, EnsureOutcome, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, "", err
	}
	if err := cb.validate("Webhooks.Ensure"); err != nil {
		return nil, "", err
	}
	want := ensureBody(cb)
	secrets := want.secrets()
	cur, err := s.get(ctx, want.Event, secrets)
	if errors.Is(err, ErrNotFound) {
		var created *Callback
		created, err = s.create(ctx, want, secrets)
		if err == nil {
			return s.checkHeld(want, created, EnsureCreated)
		}
		if !errors.Is(err, ErrConflict) {
			return nil, "", err
		}
		// Created by someone else in between: compare with theirs.
		cur, err = s.get(ctx, want.Event, secrets)
	}
	if err != nil {
		return nil, "", err
	}
	if callbackMatches(want, cur) {
		return cur, EnsureUnchanged, nil
	}
	updated, err := s.update(ctx, want.Event, want, append(secrets, cur.secrets()...))
	if err != nil {
		return nil, "", err
	}
	return s.checkHeld(want, updated, EnsureUpdated)
}

// checkHeld returns got and outcome when got, the setting PAVE answered a
// write with, is want; otherwise an error saying what PAVE kept.
func (s *WebhooksService) checkHeld(want, got *Callback, outcome EnsureOutcome) (*Callback, EnsureOutcome, error) {
	if callbackMatches(want, got) {
		return got, outcome, nil
	}
	cl := newCall(endpoint.UpdateCallback, nil, string(want.Event))
	if outcome == EnsureCreated {
		cl = newCall(endpoint.CreateCallback, nil)
	}
	return nil, "", &RequestError{Method: cl.Method, Path: cl.Path, Attempts: 1,
		Err: fmt.Errorf("%w: PAVE answered the %s but holds a different setting for %s: %s",
			ErrBadResponse, cl.Method, want.Event, describeMismatch(want, got))}
}

// ensureBody returns a copy of cb's own fields with every field of a PUT
// body set: PAVE keeps the old value of a field an update leaves out.
func ensureBody(cb *Callback) *Callback {
	out := &Callback{Event: cb.Event, URL: cb.URL, Method: cb.Method, Headers: cb.Headers, Payload: cb.Payload}
	if out.Method == "" {
		out.Method = http.MethodPost
	}
	if out.Headers == nil {
		out.Headers = map[string]string{}
	}
	if out.Payload == nil {
		out.Payload = map[string]any{}
	}
	return out
}

// echoedPayloadKeys are the documented body fields that PAVE's "view all
// callbacks" sample shows inside the payload of a setting for the event.
var echoedPayloadKeys = map[EventName][]string{
	EventSMSProcess:  {"phone", "status", "message"},
	EventStageChange: {"session_key", "photo_url", "photo_status", "message"},
}

// callbackMatches reports whether got, the setting PAVE holds, already is
// want (see Ensure for the rule).
func callbackMatches(want, got *Callback) bool { return describeMismatch(want, got) == "" }

// describeMismatch names what of got differs from want ("" when nothing
// does), showing URLs redacted and header and payload names, never values.
func describeMismatch(want, got *Callback) string {
	var diffs []string
	if want.Event.Canonical() != got.Event.Canonical() {
		diffs = append(diffs, "event "+string(got.Event))
	}
	if want.URL != got.URL {
		diffs = append(diffs, "url "+redact.URL(got.URL)+" (want "+redact.URL(want.URL)+")")
	}
	if m, w := cmp.Or(got.Method, http.MethodPost), cmp.Or(want.Method, http.MethodPost); !strings.EqualFold(m, w) {
		diffs = append(diffs, "method "+m+" (want "+w+")")
	}
	if !sameHeaders(want.Headers, got.Headers) {
		diffs = append(diffs, "headers "+strings.Join(sortedKeys(got.Headers), ", ")+" (values not shown)")
	}
	var payload []string
	for _, k := range sortedKeys(want.Payload) {
		if g, ok := got.Payload[k]; !ok || !sameJSON(want.Payload[k], g) {
			payload = append(payload, k)
		}
	}
	echoed := echoedPayloadKeys[want.Event.Canonical()]
	for _, k := range sortedKeys(got.Payload) {
		if _, ok := want.Payload[k]; !ok && !slices.Contains(echoed, k) {
			payload = append(payload, k)
		}
	}
	if len(payload) > 0 {
		diffs = append(diffs, "payload keys "+strings.Join(payload, ", "))
	}
	return oneLine(strings.Join(diffs, "; "))
}

// sameHeaders compares header sets, names in any letter case. When names
// differing only in case make the folding ambiguous, only identical sets
// match.
func sameHeaders(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	fa, fb := foldHeaderNames(a), foldHeaderNames(b)
	if len(fa) != len(a) || len(fb) != len(b) {
		return maps.Equal(a, b)
	}
	return maps.Equal(fa, fb)
}

func foldHeaderNames(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = v
	}
	return out
}

// sameJSON compares two payload values as JSON: a Go int and the float64
// decoded from PAVE's answer are equal. A value that cannot be encoded
// equals nothing.
func sameJSON(a, b any) bool {
	ja, err := json.Marshal(a)
	if err != nil {
		return false
	}
	jb, err := json.Marshal(b)
	return err == nil && bytes.Equal(ja, jb)
}
