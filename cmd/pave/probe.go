package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
)

func init() {
	commands = append(commands, newProbeCommand)
}

// probeRow is one request of the probe and what came back, without a
// single value of the response: its status, its "message" text and the
// sorted keys of each object in it.
type probeRow struct {
	Step    string `json:"step"`
	What    string `json:"what"`
	Request string `json:"request"`
	// TimestampForm is the layout of the API-Timestamp sent (signing rows).
	TimestampForm string `json:"timestamp_form,omitempty"`
	Status        int    `json:"status"`
	Proto         string `json:"proto,omitempty"`
	Accepted      bool   `json:"accepted"`
	Message       string `json:"message,omitempty"`
	// Body says what the body was: "json", "empty", or "not JSON (...)".
	Body string `json:"body,omitempty"`
	// Shape maps each object's path ($, $.options, $.data[]) to its keys.
	Shape map[string][]string `json:"shape,omitempty"`
	Error string              `json:"error,omitempty"`
}

// probeReport is the whole report.
type probeReport struct {
	Tool     string     `json:"tool"`
	Version  string     `json:"version"`
	BaseURL  string     `json:"base_url"`
	Time     string     `json:"time"`
	Redacted []string   `json:"redacted"`
	Rows     []probeRow `json:"rows"`
	Accepted []string   `json:"accepted_signing"`
	Refused  []string   `json:"refused_signing"`
}

// What the report leaves out.
var probeRedactions = []string{
	"the API secret (never sent, never printed)",
	"every API-Token value",
	"the API key",
	"the username",
	"session keys (shown as {key})",
	"every response value: only status, message text and key names are kept",
}

// signVariant is one way of signing GET /v1/callbacks.
type signVariant struct {
	step, what, form string
	ts               func(now time.Time) string
	upperHex         bool
	lowerHeaders     bool
}

// canonicalStep is the variant the SDK sends; the session steps run only
// when PAVE accepts it.
const canonicalStep = "sign.canonical"

var signVariants = []signVariant{
	{step: canonicalStep, what: "canonical timestamp, as the SDK sends it", form: pave.TimestampLayout,
		ts: func(t time.Time) string { return t.UTC().Format(pave.TimestampLayout) }},
	{step: "sign.offset", what: "+00:00 instead of Z", form: tsLayoutOffset,
		ts: func(t time.Time) string { return t.UTC().Format(tsLayoutOffset) }},
	{step: "sign.millis", what: "milliseconds (JavaScript toJSON())", form: tsLayoutMillis,
		ts: func(t time.Time) string { return t.UTC().Format(tsLayoutMillis) }},
	{step: "sign.python", what: "microseconds and +00:00 (Python isoformat())", form: "2006-01-02T15:04:05.000000+00:00",
		ts: func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000+00:00") }},
	{step: "sign.unix", what: "Unix seconds (Hotspots samples)", form: "unix seconds",
		ts: func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }},
	{step: "sign.rfc1123", what: "RFC 1123 (client code seen in the wild)", form: http.TimeFormat,
		ts: func(t time.Time) string { return t.UTC().Format(http.TimeFormat) }},
	{step: "sign.upper-hex", what: "canonical timestamp, token in upper-case hex", form: pave.TimestampLayout, upperHex: true,
		ts: func(t time.Time) string { return t.UTC().Format(pave.TimestampLayout) }},
	{step: "sign.lower-headers", what: "canonical, header names in lower case (api-key...; HTTP/2 always sends them so)", form: pave.TimestampLayout, lowerHeaders: true,
		ts: func(t time.Time) string { return t.UTC().Format(pave.TimestampLayout) }},
	{step: "sign.age-4m30s", what: "canonical timestamp 4m30s in the past", form: pave.TimestampLayout,
		ts: func(t time.Time) string { return t.Add(-270 * time.Second).UTC().Format(pave.TimestampLayout) }},
	{step: "sign.age-5m30s", what: "canonical timestamp 5m30s in the past", form: pave.TimestampLayout,
		ts: func(t time.Time) string { return t.Add(-330 * time.Second).UTC().Format(pave.TimestampLayout) }},
}

func newProbeCommand(a *app) *cobra.Command {
	var yes bool
	var out string
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Ask the live API (with a TEST key) what it accepts, and print a report for an issue",
		Long: `probe settles what PAVE's documentation leaves open (docs/pave-api.md,
section 5) with a short, safe sequence of requests, and prints what PAVE
answered, ready to attach to an issue. Use a TEST API key: pave cannot tell
a test key from a live one, and a live key's session counts toward usage.

It sends, after asking (--yes skips the question):

  GET    /v1/callbacks            read-only, once per signing variant: the
                                  canonical timestamp, +00:00, milliseconds,
                                  Python's isoformat, Unix seconds, RFC 1123,
                                  an upper-case hex token, lower-case header
                                  names, and timestamps 4m30s and 5m30s old
  POST   /v1/sessions             one session, without SMS (nobody is texted)
  GET    /v1/sessions/{key}       reads it
  GET    /v1/sessions/{key}/results   before completion
  DELETE /v1/sessions/{key}       deletes it, also when a step before failed
  GET    /v1/sessions/{key}       reads it after the delete

The session steps run only when the canonical signature is accepted.
Nothing else is changed.

Each row shows the request, the status code, the "message" text and the
response's shape as sorted key lists, never a value. The API secret is never
sent; the API key, the username, every token and the session key are
redacted from the report.

Without --yes the question is read from standard input; with nothing to read
there (a script, no terminal) probe refuses to start. Exit status: 0 when the
sequence ran (refused variants are findings, not failures); 5 when PAVE
refused the canonical signature (run pave doctor); 1 when a session step
failed or the session could not be deleted (its key is printed).`,
		Example: `  PAVE_API_KEY=<test key> pave probe
  pave probe --yes --out pave-probe.txt
  pave probe --yes --json --out pave-probe.json
  pave probe --base-url http://127.0.0.1:8080 --yes   # against pave fake serve`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := checkOutPath(out); err != nil {
				return err
			}
			creds, base, err := a.credentials()
			if err != nil {
				return err
			}
			if err := checkBaseURL(base); err != nil {
				return usagef("%s %q: %v", a.baseURLSource(), base, err)
			}
			base = strings.TrimRight(base, "/")
			a.probePlan(base, creds)
			if !yes {
				ok, err := a.probeConfirm("Proceed? [y/N] ")
				if err != nil {
					return err
				}
				if !ok {
					return exitCodeError{code: exitError, msg: "probe: not confirmed; nothing was sent"}
				}
			}
			ctx, cancel := a.context()
			defer cancel()
			p := newProber(creds, base)
			rep, outcome := p.run(ctx)
			if err := a.writeProbeReport(rep, p, out); err != nil {
				return err
			}
			return outcome
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&yes, "yes", "y", false, "do not ask before starting (for scripts)")
	f.StringVar(&out, "out", "", "write the report to this file instead of standard output")
	return cmd
}

// checkOutPath refuses an --out that cannot be written, before anything is
// sent.
func checkOutPath(out string) error {
	if out == "" {
		return nil
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return usagef("--out %s: is a directory", out)
	}
	dir := filepath.Dir(out)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usagef("--out %s: no directory %s", out, dir)
	}
	return nil
}

// probePlan tells, on stderr, where the probe goes and what it will send.
func (a *app) probePlan(base string, creds pave.Credentials) {
	w := a.stderr
	if base == pave.DefaultBaseURL {
		fmt.Fprintf(w, "pave: WARNING: %s is PAVE's production API. Use a TEST API key: pave cannot tell a test key from a live one, and a session made with a live key counts toward your usage.\n", base)
	} else {
		fmt.Fprintf(w, "pave: probing %s. Against PAVE itself, use a TEST API key only.\n", base)
	}
	fmt.Fprintf(w, "pave: signed with API key %s. The probe will send:\n", probeMaskKey(creds.APIKey))
	fmt.Fprintf(w, "  GET    /v1/callbacks                %d times, read-only, each signed another way\n", len(signVariants))
	fmt.Fprintln(w, "  POST   /v1/sessions                 one session, without SMS (nobody is texted)")
	fmt.Fprintln(w, "  GET    /v1/sessions/{key}           reads it")
	fmt.Fprintln(w, "  GET    /v1/sessions/{key}/results   before completion")
	fmt.Fprintln(w, "  DELETE /v1/sessions/{key}           deletes it, even if a step fails")
	fmt.Fprintln(w, "  GET    /v1/sessions/{key}           reads it after the delete")
	fmt.Fprintln(w, "Nothing else is changed.")
}

// maskKey shows the first and last four characters of an API key.
func probeMaskKey(k string) string {
	if len(k) <= 12 {
		return strings.Repeat("*", len(k))
	}
	return k[:4] + "..." + k[len(k)-4:]
}

// confirm asks on stderr and reads one line of stdin. Nothing to read (no
// terminal, stdin closed or empty) is a usage error pointing at --yes.
func (a *app) probeConfirm(prompt string) (bool, error) {
	fmt.Fprint(a.stderr, prompt)
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if f, ok := a.stdin.(*os.File); !ok || !isTerminal(f) {
		fmt.Fprintln(a.stderr) // no echo of the answer's newline
	}
	if strings.TrimSpace(line) == "" && err != nil {
		return false, usagef("--yes: no answer on standard input (not a terminal?): pass --yes to run without asking")
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// prober sends the probe's requests.
type prober struct {
	creds  pave.Credentials
	base   string
	plain  *http.Client // unsigned: the signing variants set their own headers
	signed *http.Client // through the SDK's SigningTransport
	tokens []string     // every token sent, for the scrub
	key    string       // the session made, for the scrub
}

func newProber(creds pave.Credentials, base string) *prober {
	tr := pave.NewTransport()
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p := &prober{creds: creds, base: base,
		plain: &http.Client{Transport: tr, Timeout: 30 * time.Second, CheckRedirect: noRedirect}}
	st, err := pave.NewSigningTransport(creds, base, tr, nil)
	if err == nil {
		p.signed = &http.Client{Transport: st, Timeout: 30 * time.Second, CheckRedirect: noRedirect}
	}
	return p
}

// run sends the sequence and returns the report and the exit outcome.
func (p *prober) run(ctx context.Context) (rep probeReport, outcome error) {
	rep = probeReport{Tool: "pave probe", Version: pave.Version, BaseURL: p.base,
		Time: time.Now().UTC().Format(pave.TimestampLayout), Redacted: probeRedactions}
	canonical := probeRow{}
	for _, v := range signVariants {
		row := p.variant(ctx, v)
		rep.Rows = append(rep.Rows, row)
		if v.step == canonicalStep {
			canonical = row
		}
		if row.Accepted {
			rep.Accepted = append(rep.Accepted, v.step)
		} else {
			rep.Refused = append(rep.Refused, v.step)
		}
	}
	switch {
	case ctx.Err() != nil:
		return rep, exitCodeError{code: exitError, msg: "probe: interrupted; no session was created"}
	case canonical.Error != "":
		return rep, exitCodeError{code: exitError, msg: "probe: GET /v1/callbacks failed (" + canonical.Error + "); no session was created"}
	case canonical.Status == http.StatusUnauthorized:
		return rep, exitCodeError{code: exitUnauthorized, msg: "probe: PAVE refused the canonical signature (401); run pave doctor. No session was created"}
	case !canonical.Accepted:
		return rep, exitCodeError{code: exitError, msg: fmt.Sprintf("probe: GET /v1/callbacks answered %d; no session was created", canonical.Status)}
	}
	rows, outcome := p.sessionSteps(ctx)
	rep.Rows = append(rep.Rows, rows...)
	return rep, outcome
}

// variant sends GET /v1/callbacks signed as v says, with net/http alone.
func (p *prober) variant(ctx context.Context, v signVariant) probeRow {
	row := probeRow{Step: v.step, What: v.what, Request: "GET /v1/callbacks", TimestampForm: v.form}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/v1/callbacks", nil)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	ts := v.ts(time.Now())
	token := p.creds.Token(ts)
	if v.upperHex {
		token = strings.ToUpper(token)
	}
	p.tokens = append(p.tokens, token)
	names := [3]string{pave.HeaderAPIKey, pave.HeaderAPITimestamp, pave.HeaderAPIToken}
	if v.lowerHeaders {
		for i := range names {
			names[i] = strings.ToLower(names[i])
		}
	}
	// Direct map writes keep the names as given (Set would canonicalise).
	req.Header[names[0]] = []string{p.creds.APIKey}
	req.Header[names[1]] = []string{ts}
	req.Header[names[2]] = []string{token}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "pave-cli/"+pave.Version+" probe")
	p.send(p.plain, req, &row)
	return row
}

// sessionSteps creates a session without SMS, reads it and its results,
// and deletes it (deferred: whatever happens in between).
func (p *prober) sessionSteps(ctx context.Context) (rows []probeRow, outcome error) {
	if p.signed == nil {
		return nil, exitCodeError{code: exitError, msg: "probe: cannot sign for " + p.base}
	}
	body := `{"session":{"client_id":"pave-probe"}}`
	create := p.signedRow(ctx, "session.create", "create a session without SMS", http.MethodPost, "/v1/sessions", body)
	rows = append(rows, create.row)
	if !create.row.Accepted || create.key == "" {
		msg := "probe: creating a session failed (see the report); nothing to delete"
		if create.row.Accepted {
			msg = "probe: the create answer carried no session_key (see the report); nothing to delete"
		}
		return rows, exitCodeError{code: exitError, msg: msg}
	}
	key := create.key
	p.key = key
	keyPath := "/v1/sessions/" + url.PathEscape(key)
	defer func() {
		// A fresh context: the session is deleted even after Ctrl-C.
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		del := p.signedRow(dctx, "session.delete", "delete the session", http.MethodDelete, keyPath, "")
		rows = append(rows, del.row)
		if !del.row.Accepted {
			outcome = exitCodeError{code: exitError, msg: fmt.Sprintf("probe: could not delete session %s (see the report): delete it with pave sessions delete %s", key, key)}
			return
		}
		after := p.signedRow(dctx, "session.get-deleted", "read the session after the delete", http.MethodGet, keyPath, "")
		rows = append(rows, after.row)
	}()
	for _, s := range []struct{ step, what, path string }{
		{"session.get", "read the session", keyPath},
		{"session.results", "read its results before completion", keyPath + "/results"},
	} {
		r := p.signedRow(ctx, s.step, s.what, http.MethodGet, s.path, "")
		rows = append(rows, r.row)
		if r.row.Error != "" {
			return rows, exitCodeError{code: exitError, msg: "probe: " + s.step + " failed: " + r.row.Error}
		}
		if s.step == "session.get" && !r.row.Accepted {
			outcome = exitCodeError{code: exitError, msg: fmt.Sprintf("probe: reading the session answered %d (see the report)", r.row.Status)}
		}
	}
	return rows, outcome
}

type signedResult struct {
	row probeRow
	key string // session_key of the answer
}

// signedRow sends one request through the SDK's signing transport.
func (p *prober) signedRow(ctx context.Context, step, what, method, path, body string) signedResult {
	shown := strings.Replace(path, url.PathEscape(p.key), "{key}", 1)
	if p.key == "" {
		shown = path
	}
	res := signedResult{row: probeRow{Step: step, What: what, Request: method + " " + shown}}
	var rb io.Reader
	if body != "" {
		rb = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, rb)
	if err != nil {
		res.row.Error = err.Error()
		return res
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
		res.row.Request += " " + body
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "pave-cli/"+pave.Version+" probe")
	raw := p.send(p.signed, req, &res.row)
	var k struct {
		SessionKey string `json:"session_key"`
	}
	if json.Unmarshal(raw, &k) == nil {
		res.key = k.SessionKey
	}
	return res
}

// send does req and fills row from the answer; it returns the body.
func (p *prober) send(hc *http.Client, req *http.Request, row *probeRow) []byte {
	resp, err := hc.Do(req)
	if err != nil {
		row.Error = oneLine(err.Error())
		return nil
	}
	defer resp.Body.Close()
	row.Status, row.Proto = resp.StatusCode, resp.Proto
	row.Accepted = resp.StatusCode >= 200 && resp.StatusCode < 300
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		row.Error = "reading the body: " + oneLine(err.Error())
	}
	describeBody(raw, resp.Header.Get("Content-Type"), row)
	return raw
}

// describeBody sets the row's message, body kind and shape.
func describeBody(raw []byte, contentType string, row *probeRow) {
	if len(bytes.TrimSpace(raw)) == 0 {
		row.Body = "empty"
		return
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		mt, _, _ := mime.ParseMediaType(contentType)
		if mt == "" {
			mt = "no Content-Type"
		}
		row.Body = fmt.Sprintf("not JSON (%s, %d bytes)", mt, len(raw))
		return
	}
	row.Body = "json"
	if m, ok := v.(map[string]any); ok {
		if s, ok := m["message"].(string); ok {
			row.Message = s
		}
	}
	row.Shape = map[string][]string{}
	probeShapeOf(v, "$", 0, row.Shape)
	if len(row.Shape) == 0 {
		row.Shape = nil
	}
}

// shapeOf records the sorted keys of every object in v, by path.
func probeShapeOf(v any, path string, depth int, out map[string][]string) {
	if depth > 6 {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		out[path] = probeMergeKeys(out[path], keys)
		for _, k := range keys {
			probeShapeOf(t[k], path+"."+k, depth+1, out)
		}
	case []any:
		for i, e := range t {
			if i >= 20 {
				break
			}
			probeShapeOf(e, path+"[]", depth+1, out)
		}
	}
}

func probeMergeKeys(have, more []string) []string {
	set := map[string]bool{}
	for _, k := range append(have, more...) {
		set[k] = true
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// scrub removes every credential and the session key from s.
func (p *prober) scrub(s string) string {
	pairs := []string{}
	add := func(v, with string) {
		if len(v) >= 3 {
			pairs = append(pairs, v, with)
		}
	}
	add(p.creds.APISecret, "[secret]")
	for _, t := range p.tokens {
		add(t, "[token]")
		add(strings.ToLower(t), "[token]")
	}
	add(p.creds.APIKey, "[api-key]")
	add(p.key, "{key}")
	if p.key != "" {
		add(url.PathEscape(p.key), "{key}")
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// scrubValue is scrub plus the username, for the free text of answers
// (messages, errors) only, so that a short username never mangles a key
// name of the report.
func (p *prober) scrubValue(s string) string {
	s = p.scrub(s)
	if u := p.creds.Username; len(u) >= 3 {
		s = strings.ReplaceAll(s, u, "[username]")
	}
	return s
}

// writeProbeReport renders the report (text, or JSON with --json), scrubs
// it and writes it to out or stdout.
func (a *app) writeProbeReport(rep probeReport, p *prober, out string) error {
	for i := range rep.Rows {
		rep.Rows[i].Message = p.scrubValue(rep.Rows[i].Message)
		rep.Rows[i].Error = p.scrubValue(rep.Rows[i].Error)
		rep.Rows[i].Request = p.scrubValue(rep.Rows[i].Request)
	}
	var buf bytes.Buffer
	if a.jsonOut {
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		renderProbeText(&buf, rep)
	}
	data := []byte(p.scrub(buf.String()))
	if out == "" {
		_, err := a.stdout.Write(data)
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(a.stderr, "pave: wrote the probe report to %s\n", out)
	return nil
}

// renderProbeText writes the report as text.
func renderProbeText(w io.Writer, rep probeReport) {
	fmt.Fprintf(w, "PAVE probe report (%s %s)\n", rep.Tool, rep.Version)
	fmt.Fprintf(w, "base URL: %s\ntime:     %s\n", rep.BaseURL, rep.Time)
	fmt.Fprintf(w, "redacted: %s\n\n", strings.Join(rep.Redacted, "; "))
	for i, r := range rep.Rows {
		fmt.Fprintf(w, "%2d. %-20s %s\n", i+1, r.Step, r.What)
		fmt.Fprintf(w, "    request:  %s", r.Request)
		if r.TimestampForm != "" {
			fmt.Fprintf(w, "  (API-Timestamp form %s)", r.TimestampForm)
		}
		fmt.Fprintln(w)
		if r.Error != "" {
			fmt.Fprintf(w, "    error:    %s\n", r.Error)
		}
		if r.Status != 0 {
			verdict := "refused"
			if r.Accepted {
				verdict = "accepted"
			}
			fmt.Fprintf(w, "    status:   %d %s (%s, %s)\n", r.Status, http.StatusText(r.Status), verdict, r.Proto)
		}
		if r.Message != "" {
			fmt.Fprintf(w, "    message:  %q\n", r.Message)
		}
		if r.Body != "" && r.Body != "json" {
			fmt.Fprintf(w, "    body:     %s\n", r.Body)
		}
		paths := make([]string, 0, len(r.Shape))
		for p := range r.Shape {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			fmt.Fprintf(w, "    keys %s: %s\n", p, strings.Join(r.Shape[p], ", "))
		}
	}
	fmt.Fprintf(w, "\nsigning accepted: %s\n", probeJoin(rep.Accepted))
	fmt.Fprintf(w, "signing refused:  %s\n", probeJoin(rep.Refused))
}

func probeJoin(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ", ")
}
