package listen

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/report"
	"github.com/pave-go/pave/webhook"
)

// listener verifies, prints, filters and forwards deliveries.
type listener struct {
	opts    *options
	secret  string
	events  []pave.EventName
	only    bool // --events: only those
	forward *url.URL
	fwd     *http.Client
}

func newListener(opts *options) (*listener, error) {
	l := &listener{opts: opts, events: pave.Events(), fwd: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	var err error
	if opts.cmd.Flags().Changed("events") {
		if l.events, err = parseEvents(opts.Events); err != nil {
			return nil, err
		}
		l.only = true
	}
	if opts.cmd.Flags().Changed("forward-to") {
		l.forward, err = parseURL("--forward-to", opts.ForwardTo)
	}
	return l, err
}

// Delivery is what is printed of one delivery: never names nor phones.
type Delivery struct {
	Time           string          `json:"time"`
	Event          pave.EventName  `json:"event"`
	SessionKey     string          `json:"session_key"`
	SecretOK       bool            `json:"secret_ok"`
	Answered       int             `json:"answered"`
	Refused        string          `json:"refused,omitempty"`
	PhotoCode      int             `json:"photo_code,omitempty"`
	PhotoLabel     string          `json:"photo_label,omitempty"`
	PhotoStatus    string          `json:"photo_status,omitempty"`
	Status         string          `json:"status,omitempty"`
	PreviousStatus string          `json:"previous_status,omitempty"`
	Message        string          `json:"message,omitempty"`
	Grade          *int            `json:"grade,omitempty"`
	Damages        *int            `json:"damages,omitempty"`
	NoteTitle      string          `json:"note_title,omitempty"`
	Problem        string          `json:"problem,omitempty"`
	ForwardStatus  int             `json:"forward_status,omitempty"`
	ForwardError   string          `json:"forward_error,omitempty"`
	BodyBytes      int             `json:"body_bytes"`
	Body           json.RawMessage `json:"body,omitempty"`

	summary string
}

// ServeHTTP checks the secret and the body with package webhook, then
// prints, forwards and answers.
func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := Delivery{Time: time.Now().UTC().Format(time.RFC3339), Answered: http.StatusNoContent}
	var ev *webhook.Event
	err := webhook.Verify(r.Header, l.secret)
	d.SecretOK = err == nil
	switch {
	case r.Method != http.MethodPost:
		d.Answered, d.Refused = http.StatusMethodNotAllowed, r.Method+" instead of POST"
	case err != nil:
		d.Answered, d.Refused = http.StatusUnauthorized, "secret missing or wrong"
	default:
		if ev, err = webhook.ParseRequest(r, 0); err != nil {
			d.Answered, d.Refused = http.StatusBadRequest, "body is not a JSON object"
			if !errors.Is(err, webhook.ErrMalformed) {
				d.Answered, d.Refused = http.StatusRequestEntityTooLarge, "body too large"
			}
		}
	}
	if d.Refused != "" {
		http.Error(w, http.StatusText(d.Answered), d.Answered)
		l.refused(&d)
		return
	}
	if l.only && !slices.Contains(l.events, ev.Name.Canonical()) {
		w.WriteHeader(http.StatusNoContent) // acknowledged, neither printed nor forwarded
		return
	}
	describe(ev, &d)
	if l.opts.ShowBody {
		d.Body = ev.Body
	}
	if l.forward == nil {
		w.WriteHeader(http.StatusNoContent)
	} else {
		l.forwardTo(w, r, ev, &d)
	}
	l.print(&d)
}

// hopHeaders are not forwarded (connection-level, or recomputed).
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer",
	"Transfer-Encoding", "Upgrade", "Content-Length", "Accept-Encoding", "Host"}

// forwardTo sends the delivery on to --forward-to and answers PAVE with
// the app's answer, or 502.
func (l *listener) forwardTo(w http.ResponseWriter, r *http.Request, ev *webhook.Event, d *Delivery) {
	u := *l.forward
	if q := r.URL.RawQuery; q != "" {
		u.RawQuery = strings.TrimPrefix(u.RawQuery+"&"+q, "&")
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(ev.Body))
	if err == nil {
		req.Header = r.Header.Clone()
		for _, h := range hopHeaders {
			req.Header.Del(h)
		}
		var resp *http.Response
		if resp, err = l.fwd.Do(req); err == nil {
			defer resp.Body.Close()
			var body []byte
			if body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20)); err == nil {
				if ct := resp.Header.Get("Content-Type"); ct != "" {
					w.Header().Set("Content-Type", ct)
				}
				w.WriteHeader(resp.StatusCode)
				_, _ = w.Write(body)
				d.ForwardStatus, d.Answered = resp.StatusCode, resp.StatusCode
				return
			}
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	http.Error(w, "Bad Gateway", http.StatusBadGateway)
	d.Answered, d.ForwardError = http.StatusBadGateway, err.Error()
}

// describe reads the fields that matter for the event.
func describe(ev *webhook.Event, d *Delivery) {
	d.Event, d.SessionKey, d.BodyBytes = ev.Name, ev.SessionKey, len(ev.Body)
	var key string // the session key inside the body
	var err error
	switch ev.Name.Canonical() {
	case pave.EventStageChange:
		var sc *webhook.StageChange
		if sc, err = ev.StageChange(); err == nil {
			d.PhotoCode, d.PhotoLabel, d.PhotoStatus = int(sc.PhotoCode), string(sc.PhotoLabel), string(sc.PhotoStatus)
			d.Message, key = sc.Message, sc.SessionKey
			d.summary = fmt.Sprintf("photo %02d %s %s", d.PhotoCode, report.Dash(d.PhotoLabel), report.Dash(d.PhotoStatus))
		}
	case pave.EventSMSProcess:
		var sp *webhook.SMSProcess
		if sp, err = ev.SMSProcess(); err == nil {
			d.Status, d.Message, key = string(sp.Status), sp.Message, sp.SessionKey // never sp.Phone
			d.summary = "sms " + report.Dash(d.Status)
		}
	case pave.EventStatusChange:
		var sc *webhook.StatusChange
		if sc, err = ev.StatusChange(); err == nil {
			d.Status, d.PreviousStatus, key = string(sc.Status), string(sc.PreviousStatus), sc.SessionKey
			d.summary = "status " + report.Dash(d.Status)
			if d.PreviousStatus != "" {
				d.summary = "status " + d.PreviousStatus + " -> " + report.Dash(d.Status)
			}
		}
	case pave.EventComplete:
		var res *pave.Results
		if res, err = ev.Complete(); err == nil {
			n := res.DamageCount()
			d.Damages, d.summary, key = &n, fmt.Sprintf("no grade, %d damages", n), res.Session.SessionKey
			if g, ok := res.Grade(); ok {
				d.Grade, d.summary = &g, fmt.Sprintf("grade %d, %d damages", g, n)
			}
		}
	case pave.EventNoteInsert:
		var ni *webhook.NoteInsert
		if ni, err = ev.NoteInsert(); err == nil {
			d.NoteTitle, key = ni.Note.Title, ni.SessionKey
			d.summary = fmt.Sprintf("note %q", d.NoteTitle)
		}
	default:
		d.summary = fmt.Sprintf("(%d bytes)", len(ev.Body))
	}
	d.SessionKey = cmp.Or(d.SessionKey, key)
	if d.Message != "" {
		d.summary += " (" + d.Message + ")"
	}
	if err != nil {
		d.Problem = "body not readable as " + string(ev.Name)
		d.summary = d.Problem
	}
}

func (l *listener) print(d *Delivery) {
	io := l.opts.IO
	if io.JSON {
		_ = io.JSONLine(d)
		return
	}
	line := fmt.Sprintf("%s  %-21s  %-14s  %s", time.Now().Format("15:04:05"), report.Dash(string(d.Event)),
		report.Dash(d.SessionKey), d.summary)
	switch {
	case d.ForwardStatus != 0:
		line += fmt.Sprintf("  -> app %d", d.ForwardStatus)
	case d.ForwardError != "":
		line += "  -> app unreachable"
	}
	io.Printf("%s\n", line)
	if d.ForwardError != "" {
		io.Printf("  forwarding to %s failed: %s (answered PAVE 502, so it delivers again)\n", l.forward, d.ForwardError)
	}
	var buf bytes.Buffer
	if len(d.Body) > 0 && json.Compact(&buf, d.Body) == nil {
		io.Printf("  body %s\n", buf.String())
	}
}

// refused reports a delivery refused before it was read.
func (l *listener) refused(d *Delivery) {
	if l.opts.IO.JSON {
		_ = l.opts.IO.JSONLine(d)
		return
	}
	l.opts.IO.Notef("%s refused a delivery: %s (answered %d)", time.Now().Format("15:04:05"), d.Refused, d.Answered)
}

func (l *listener) printStart(s Start) {
	io := l.opts.IO
	if io.JSON {
		_ = io.JSONLine(s)
		return
	}
	io.Printf("listening for PAVE webhooks on %s\n", s.URL)
	secret := ": the one given"
	if s.Secret != "" {
		secret = " " + s.Secret + " (kept for the next runs)"
	}
	io.Printf("  secret%s: deliveries must carry \"Authorization: Bearer <secret>\"\n", secret)
	if l.only {
		io.Printf("  events %s (others are acknowledged and dropped)\n",
			strings.ReplaceAll(strings.Trim(fmt.Sprint(s.Events), "[]"), " ", ", "))
	}
	if s.ForwardTo != "" {
		io.Printf("  forwarding to %s (PAVE gets your app's answer)\n", s.ForwardTo)
	}
	for _, r := range s.Registered {
		io.Printf("  registered %s -> %s (removed on exit)\n", r.Event, r.URL)
	}
	io.Printf("Ctrl-C stops it\n")
}
