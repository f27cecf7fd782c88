package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/report"
	"github.com/pave-go/pave/webhook"
)

// listenPath is the path the listener receives deliveries on.
const listenPath = "/pave"

func init() {
	commands = append(commands, newListenCommand)
}

// listenFlags are the flags of pave listen.
type listenFlags struct {
	addr, forwardTo, events, secret, secretEnv, publicURL string
	register, showBody                                    bool
}

func newListenCommand(a *app) *cobra.Command {
	var lf listenFlags
	cmd := &cobra.Command{
		Use:   "listen",
		Short: "Receive PAVE webhooks locally: print each delivery, verify its secret, forward it",
		Long: `listen serves a webhook receiver (package webhook's handler) at
http://<addr>/pave until SIGINT or SIGTERM, and prints its URL at start.

Deliveries must carry "Authorization: Bearer <secret>" (what
pave.NewCallback registers): the secret of --secret or of the variable
--secret-env names, else one generated for this run and printed at start
(register it with the callback settings, or use --register). Others are
answered 401 and reported on stderr.

Each delivery is printed on one line: time, event, session key and what
matters for the event (STAGE_CHANGE: photo code, label and verdict;
SMS_PROCESS: status and message; STATUS_CHANGE: status; COMPLETE: grade and
number of damages; NOTE_INSERT: the note's title). Names and phone numbers
are never printed. With --json each delivery is one JSON line: {"time",
"event", "session_key", "secret_ok", "answered", the same fields...}; the
body itself, which carries customer data (names, phone numbers, VIN,
location), is added as "body" only with --show-body.

--events limits the events printed and forwarded (others are acknowledged
with 204 and dropped). --forward-to sends each delivery on unchanged (method,
body, headers including the secret, query) to your app, prints the app's
status, and answers PAVE with the app's status and body, so that PAVE
delivers again when your app failed; when the app cannot be reached, it
answers 502.

--register points the account's callback settings for the chosen events
(default all five) at the listener with the secret (Webhooks.Ensure, the
account from the usual credentials; against a fake server, its default
account). Give --public-url to register a tunnel's URL instead of the local
one. The settings stay registered after the listener stops.`,
		Example: `  pave listen
  pave listen --forward-to http://localhost:3000/pave --secret-env PAVE_WEBHOOK_SECRET
  PAVE_BASE_URL=http://127.0.0.1:8080 pave listen --register --events COMPLETE,STATUS_CHANGE
  pave listen --addr 127.0.0.1:9000 --register --public-url https://abc123.tunnel.example/pave
  pave listen --json --show-body > deliveries.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runListen(a, cmd, lf) },
	}
	fl := cmd.Flags()
	fl.StringVar(&lf.addr, "addr", "127.0.0.1:0", "listen address host:port (port 0: a free one)")
	fl.StringVar(&lf.forwardTo, "forward-to", "", "forward each delivery to this http(s) URL, answering PAVE with its status")
	fl.StringVar(&lf.events, "events", "", "comma-separated events to print and forward, e.g. COMPLETE,STAGE_CHANGE (default all; SESSION: may be left out)")
	fl.StringVar(&lf.secret, "secret", "", "the deliveries' secret (default: generated and printed; a flag is visible to other users of the machine)")
	fl.StringVar(&lf.secretEnv, "secret-env", "", "name of an environment variable holding the deliveries' secret")
	fl.BoolVar(&lf.register, "register", false, "register the listener's URL for the events with the account's callback settings")
	fl.StringVar(&lf.publicURL, "public-url", "", "with --register: the URL to register (a tunnel to this listener) instead of the local one")
	fl.BoolVar(&lf.showBody, "show-body", false, "also print each delivery's body (customer data: names, phone numbers)")
	return cmd
}

// parseListenEvents reads --events.
func parseListenEvents(s string) ([]pave.EventName, error) {
	var out []pave.EventName
	seen := map[pave.EventName]bool{}
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		ev, err := parseEvent(part)
		if err != nil {
			return nil, usagef("--events: %v", err)
		}
		if !seen[ev] {
			seen[ev] = true
			out = append(out, ev)
		}
	}
	if len(out) == 0 {
		return nil, usagef("--events: no event given (leave the flag out for all five)")
	}
	return out, nil
}

// parseListenURL checks a URL flag.
func parseListenURL(flag, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return nil, usagef("%s %q: want an absolute http:// or https:// URL", flag, raw)
	}
	return u, nil
}

// listenSecret resolves the deliveries' secret; generated reports one made
// for this run.
func listenSecret(a *app, lf listenFlags, cmd *cobra.Command) (secret string, generated bool, err error) {
	fromFlag, fromEnv := cmd.Flags().Changed("secret"), cmd.Flags().Changed("secret-env")
	what := "--secret"
	switch {
	case fromFlag && fromEnv:
		return "", false, usagef("pave listen: --secret and --secret-env exclude each other")
	case fromEnv:
		name := strings.TrimSpace(lf.secretEnv)
		if name == "" {
			return "", false, usagef("--secret-env: give the name of an environment variable")
		}
		secret = strings.TrimSpace(a.getenv(name))
		if secret == "" {
			return "", false, usagef("--secret-env %s: the variable is not set or empty", name)
		}
		what = "--secret-env " + name
	case fromFlag:
		secret = strings.TrimSpace(lf.secret)
	default:
		s, err := webhook.NewSecret()
		return s, true, err
	}
	if len(secret) < webhook.MinSecretLen || strings.ContainsFunc(secret, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", false, usagef("%s: the secret must be at least %d characters without spaces or control characters (make one with pave listen, which prints a generated one)",
			what, webhook.MinSecretLen)
	}
	return secret, false, nil
}

func runListen(a *app, cmd *cobra.Command, lf listenFlags) error {
	events := pave.Events()
	filter := false
	if cmd.Flags().Changed("events") {
		var err error
		if events, err = parseListenEvents(lf.events); err != nil {
			return err
		}
		filter = true
	}
	if _, err := checkListenAddr("--addr", lf.addr); err != nil {
		return err
	}
	var err error
	var forward, public *url.URL
	if cmd.Flags().Changed("forward-to") {
		if forward, err = parseListenURL("--forward-to", lf.forwardTo); err != nil {
			return err
		}
	}
	if cmd.Flags().Changed("public-url") {
		if !lf.register {
			return usagef("--public-url: only used with --register (it is the URL registered with PAVE)")
		}
		if public, err = parseListenURL("--public-url", lf.publicURL); err != nil {
			return err
		}
	}
	secret, generated, err := listenSecret(a, lf, cmd)
	if err != nil {
		return err
	}

	l := &webhookListener{a: a, forward: forward, showBody: lf.showBody,
		fwd: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if filter {
		l.only = map[pave.EventName]bool{}
		for _, e := range events {
			l.only[e] = true
		}
	}
	h, err := webhook.NewHandler(webhook.Config{Secrets: []string{secret}, Handler: l.handle})
	if err != nil {
		return err
	}
	l.inner = h

	ctx, stop := a.context()
	defer stop()
	ln, err := net.Listen("tcp", lf.addr)
	if err != nil {
		return listenAddrError("--addr", lf.addr, err)
	}
	localHost := ln.Addr().String()
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		localHost = net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	}
	localURL := "http://" + localHost + listenPath
	mux := http.NewServeMux()
	mux.Handle(listenPath, l)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	shutdown := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-served
	}

	var registered []listenRegistration
	if lf.register {
		regURL := localURL
		if public != nil {
			regURL = public.String()
		}
		if registered, err = listenRegisterCallbacks(ctx, a, events, regURL, secret); err != nil {
			shutdown()
			return err
		}
	}
	if err := l.printStart(localURL, secret, generated, events, filter, registered); err != nil {
		shutdown()
		return err
	}
	<-ctx.Done()
	shutdown()
	fmt.Fprintln(a.stderr, "pave: listener stopped")
	return nil
}

// listenRegistration is one callback setting --register ensured.
type listenRegistration struct {
	Event pave.EventName `json:"event"`
	URL   string         `json:"url"`
}

// listenRegisterCallbacks points the account's callback settings for events at
// url with secret.
func listenRegisterCallbacks(ctx context.Context, a *app, events []pave.EventName, url, secret string) ([]listenRegistration, error) {
	client, err := a.client()
	if err != nil {
		return nil, err
	}
	if u, perr := parseListenURL("", url); perr == nil && fakeLoopbackHost(u.Hostname()) {
		base, berr := a.resolvedBaseURL()
		if berr != nil {
			base = pave.DefaultBaseURL
		}
		if bu, berr := parseListenURL("", base); berr == nil && !fakeLoopbackHost(bu.Hostname()) {
			fmt.Fprintf(a.stderr, "pave: warning: registering %s with %s, which cannot reach this machine's loopback address; use --public-url with a tunnel\n", url, bu.Host)
		}
	}
	var out []listenRegistration
	for _, ev := range events {
		cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		_, _, err := client.Webhooks.Ensure(cctx, pave.NewCallback(ev, url, secret))
		cancel()
		if err != nil {
			return nil, fmt.Errorf("--register %s: %w", ev, err)
		}
		out = append(out, listenRegistration{Event: ev, URL: url})
	}
	return out, nil
}

// webhookListener prints, filters and forwards deliveries.
type webhookListener struct {
	a        *app
	inner    http.Handler // webhook.NewHandler's
	only     map[pave.EventName]bool
	forward  *url.URL
	fwd      *http.Client
	showBody bool

	mu sync.Mutex // serialises output
}

func (l *webhookListener) printStart(localURL, secret string, generated bool, events []pave.EventName, filter bool, reg []listenRegistration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.a.jsonOut {
		start := struct {
			URL        string               `json:"url"`
			Secret     string               `json:"secret,omitempty"`
			Events     []pave.EventName     `json:"events"`
			ForwardTo  string               `json:"forward_to,omitempty"`
			Registered []listenRegistration `json:"registered,omitempty"`
		}{URL: localURL, Events: events, Registered: reg}
		if generated {
			start.Secret = secret
		}
		if l.forward != nil {
			start.ForwardTo = l.forward.String()
		}
		return l.writeJSONLine(start)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "listening for PAVE webhooks on %s\n", localURL)
	if generated {
		fmt.Fprintf(&b, "  secret %s (generated for this run: deliveries must carry \"Authorization: Bearer <secret>\")\n", secret)
	} else {
		fmt.Fprintf(&b, "  secret: the one given (deliveries must carry \"Authorization: Bearer <secret>\")\n")
	}
	if filter {
		names := make([]string, len(events))
		for i, e := range events {
			names[i] = string(e)
		}
		fmt.Fprintf(&b, "  events %s (others are acknowledged and dropped)\n", strings.Join(names, ", "))
	}
	if l.forward != nil {
		fmt.Fprintf(&b, "  forwarding to %s (PAVE gets your app's answer)\n", l.forward)
	}
	for _, r := range reg {
		fmt.Fprintf(&b, "  registered %s -> %s\n", r.Event, r.URL)
	}
	fmt.Fprintf(&b, "Ctrl-C stops it\n")
	_, err := io.WriteString(l.a.stdout, b.String())
	return err
}

func (l *webhookListener) writeJSONLine(v any) error {
	enc := json.NewEncoder(l.a.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// listenExchange carries one request through webhook's handler to l.handle and
// back: the forwarded answer replaces the handler's 204.
type listenExchange struct {
	req     *http.Request
	handled bool
	status  int // the answer to PAVE when forwarded; 0 otherwise
	ctype   string
	body    []byte
}

type listenExchangeKey struct{}

// listenAnswerWriter writes the forwarded answer in place of the handler's.
type listenAnswerWriter struct {
	http.ResponseWriter
	x      *listenExchange
	status int
	drop   bool
}

func (w *listenAnswerWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	if w.x.status != 0 {
		if w.x.ctype != "" {
			w.Header().Set("Content-Type", w.x.ctype)
		} else {
			w.Header().Del("Content-Type")
		}
		w.Header().Del("X-Content-Type-Options")
		w.ResponseWriter.WriteHeader(w.x.status)
		_, _ = w.ResponseWriter.Write(w.x.body)
		w.drop = true
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *listenAnswerWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.drop {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP runs webhook's handler, which verifies and parses, then calls
// l.handle.
func (l *webhookListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &listenExchange{req: r}
	aw := &listenAnswerWriter{ResponseWriter: w, x: x}
	l.inner.ServeHTTP(aw, r.WithContext(context.WithValue(r.Context(), listenExchangeKey{}, x)))
	if x.handled || aw.status < 400 {
		return
	}
	why := http.StatusText(aw.status)
	switch aw.status {
	case http.StatusUnauthorized:
		why = "secret missing or wrong"
	case http.StatusBadRequest:
		why = "body is not a JSON object"
	case http.StatusMethodNotAllowed:
		why = r.Method + " instead of POST"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.a.jsonOut {
		_ = l.writeJSONLine(map[string]any{"time": time.Now().UTC().Format(time.RFC3339), "event": "", "session_key": "",
			"secret_ok": aw.status != http.StatusUnauthorized, "answered": aw.status, "refused": why})
		return
	}
	fmt.Fprintf(l.a.stderr, "pave: %s refused a delivery: %s (answered %d)\n", time.Now().Format("15:04:05"), why, aw.status)
}

// listenDelivery is what is printed of one delivery: never names nor phones.
type listenDelivery struct {
	Time           string          `json:"time"`
	Event          pave.EventName  `json:"event"`
	SessionKey     string          `json:"session_key"`
	SecretOK       bool            `json:"secret_ok"`
	Answered       int             `json:"answered"`
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

// handle is webhook's Handler: one verified delivery.
func (l *webhookListener) handle(ctx context.Context, ev *webhook.Event) error {
	x, _ := ctx.Value(listenExchangeKey{}).(*listenExchange)
	if x != nil {
		x.handled = true
	}
	if l.only != nil && !l.only[ev.Name.Canonical()] {
		return nil // acknowledged (204), neither printed nor forwarded
	}
	d := describeDelivery(ev)
	d.Time = time.Now().UTC().Format(time.RFC3339)
	d.SecretOK = true
	d.Answered = http.StatusNoContent
	if l.showBody {
		d.Body = ev.Body
	}
	if l.forward != nil && x != nil {
		l.forwardDelivery(ctx, x, ev, &d)
		d.Answered = x.status
	}
	l.print(&d)
	return nil
}

// describeDelivery reads the fields that matter for the event.
func describeDelivery(ev *webhook.Event) listenDelivery {
	d := listenDelivery{Event: ev.Name, SessionKey: ev.SessionKey, BodyBytes: len(ev.Body)}
	problem := func(error) { d.Problem = "body not readable as " + string(ev.Name) }
	switch ev.Name.Canonical() {
	case pave.EventStageChange:
		sc, err := ev.StageChange()
		if err != nil {
			problem(err)
			break
		}
		d.PhotoCode, d.PhotoLabel, d.PhotoStatus, d.Message = int(sc.PhotoCode), string(sc.PhotoLabel), string(sc.PhotoStatus), sc.Message
		if d.SessionKey == "" {
			d.SessionKey = sc.SessionKey
		}
		d.summary = fmt.Sprintf("photo %02d %s %s", d.PhotoCode, report.Dash(d.PhotoLabel), report.Dash(d.PhotoStatus))
		if d.Message != "" {
			d.summary += " (" + d.Message + ")"
		}
	case pave.EventSMSProcess:
		sp, err := ev.SMSProcess()
		if err != nil {
			problem(err)
			break
		}
		d.Status, d.Message = string(sp.Status), sp.Message // never sp.Phone
		if d.SessionKey == "" {
			d.SessionKey = sp.SessionKey
		}
		d.summary = "sms " + report.Dash(d.Status)
		if d.Message != "" {
			d.summary += " (" + d.Message + ")"
		}
	case pave.EventStatusChange:
		sc, err := ev.StatusChange()
		if err != nil {
			problem(err)
			break
		}
		d.Status, d.PreviousStatus = string(sc.Status), string(sc.PreviousStatus)
		if d.SessionKey == "" {
			d.SessionKey = sc.SessionKey
		}
		d.summary = "status " + report.Dash(d.Status)
		if d.PreviousStatus != "" {
			d.summary = "status " + d.PreviousStatus + " -> " + report.Dash(d.Status)
		}
	case pave.EventComplete:
		res, err := ev.Complete()
		if err != nil {
			problem(err)
			break
		}
		if d.SessionKey == "" {
			d.SessionKey = res.Session.SessionKey
		}
		n := res.DamageCount()
		d.Damages = &n
		if g, ok := res.Grade(); ok {
			d.Grade = &g
			d.summary = fmt.Sprintf("grade %d, %d damages", g, n)
		} else {
			d.summary = fmt.Sprintf("no grade, %d damages", n)
		}
	case pave.EventNoteInsert:
		ni, err := ev.NoteInsert()
		if err != nil {
			problem(err)
			break
		}
		d.NoteTitle = ni.Note.Title
		if d.SessionKey == "" {
			d.SessionKey = ni.SessionKey
		}
		d.summary = fmt.Sprintf("note %q", d.NoteTitle)
	default:
		d.summary = fmt.Sprintf("(%d bytes)", len(ev.Body))
	}
	if d.Problem != "" {
		d.summary = d.Problem
	}
	return d
}

// listenHopHeaders are not forwarded (connection-level, or recomputed).
var listenHopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Authorization": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Content-Length": true, "Accept-Encoding": true, "Host": true}

// forwardDelivery sends the delivery on to --forward-to and records the
// app's answer (or 502) as the answer to PAVE.
func (l *webhookListener) forwardDelivery(ctx context.Context, x *listenExchange, ev *webhook.Event, d *listenDelivery) {
	u := *l.forward
	if q := x.req.URL.RawQuery; q != "" {
		if u.RawQuery == "" {
			u.RawQuery = q
		} else {
			u.RawQuery += "&" + q
		}
	}
	req, err := http.NewRequestWithContext(ctx, x.req.Method, u.String(), bytes.NewReader(ev.Body))
	if err == nil {
		for k, vs := range x.req.Header {
			if !listenHopHeaders[http.CanonicalHeaderKey(k)] {
				req.Header[k] = append([]string(nil), vs...)
			}
		}
		var resp *http.Response
		if resp, err = l.fwd.Do(req); err == nil {
			defer resp.Body.Close()
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if rerr == nil {
				x.status, x.ctype, x.body = resp.StatusCode, resp.Header.Get("Content-Type"), body
				d.ForwardStatus = resp.StatusCode
				return
			}
			err = rerr
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	x.status, x.ctype, x.body = http.StatusBadGateway, "text/plain; charset=utf-8", []byte("Bad Gateway\n")
	d.ForwardError = err.Error()
}

func (l *webhookListener) print(d *listenDelivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.a.jsonOut {
		_ = l.writeJSONLine(d)
		return
	}
	line := fmt.Sprintf("%s  %-21s  %-14s  %s", time.Now().Format("15:04:05"), report.Dash(string(d.Event)), report.Dash(d.SessionKey), d.summary)
	switch {
	case d.ForwardStatus != 0:
		line += fmt.Sprintf("  -> app %d", d.ForwardStatus)
	case d.ForwardError != "":
		line += "  -> app unreachable"
	}
	fmt.Fprintln(l.a.stdout, line)
	if d.ForwardError != "" {
		fmt.Fprintf(l.a.stdout, "  forwarding to %s failed: %s (answered PAVE 502, so it delivers again)\n", l.forward, d.ForwardError)
	}
	if len(d.Body) > 0 {
		var buf bytes.Buffer
		if json.Compact(&buf, d.Body) == nil {
			fmt.Fprintf(l.a.stdout, "  body %s\n", buf.String())
		}
	}
}
