// Package probe is pave probe: ask the live API, with a TEST key, what
// its documentation leaves open, and print a report for an issue.
package probe

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/cmd/pave/internal/output"
	"github.com/pave-go/pave/internal/redact"
)

// Row is one request of the probe and what came back, without a single
// value of the response: its status, its "message" text and the sorted
// keys of each object in it.
type Row struct {
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

// Report is the whole report.
type Report struct {
	Tool     string   `json:"tool"`
	Version  string   `json:"version"`
	BaseURL  string   `json:"base_url"`
	Time     string   `json:"time"`
	Redacted []string `json:"redacted"`
	Rows     []Row    `json:"rows"`
	Accepted []string `json:"accepted_signing"`
	Refused  []string `json:"refused_signing"`
}

// What the report leaves out.
var redactions = []string{
	"the API secret (never sent, never printed)",
	"every API-Token value, in any encoding",
	"the API key",
	"the username",
	"session keys (shown as {key})",
	"every response value: only status, message text and key names are kept",
}

// variant is one way of signing GET /v1/callbacks: the API-Timestamp in
// form (a time layout, or unixSeconds), age in the past.
type variant struct {
	step, what, form       string
	age                    time.Duration
	upperHex, lowerHeaders bool
}

// unixSeconds is the form of a timestamp in Unix seconds.
const unixSeconds = "unix seconds"

// timestamp is the API-Timestamp v sends at now.
func (v variant) timestamp(now time.Time) string {
	if v.form == unixSeconds {
		return strconv.FormatInt(now.Unix(), 10)
	}
	return now.Add(-v.age).UTC().Format(v.form)
}

// Variants are the signing variants, in the order they are sent. The
// first is the one the SDK sends: the session steps run only when PAVE
// accepts it.
var Variants = []variant{
	{step: "sign.canonical", what: "canonical timestamp, as the SDK sends it", form: pave.TimestampLayout},
	{step: "sign.offset", what: "+00:00 instead of Z", form: "2006-01-02T15:04:05+00:00"},
	{step: "sign.millis", what: "milliseconds (JavaScript toJSON())", form: "2006-01-02T15:04:05.000Z"},
	{step: "sign.python", what: "microseconds and +00:00 (Python isoformat())", form: "2006-01-02T15:04:05.000000+00:00"},
	{step: "sign.unix", what: "Unix seconds (Hotspots samples)", form: unixSeconds},
	{step: "sign.rfc1123", what: "RFC 1123 (client code seen in the wild)", form: http.TimeFormat},
	{step: "sign.upper-hex", what: "canonical timestamp, token in upper-case hex", form: pave.TimestampLayout,
		upperHex: true},
	{step: "sign.lower-headers", what: "canonical, header names in lower case (api-key...; HTTP/2 always sends them so)",
		form: pave.TimestampLayout, lowerHeaders: true},
	{step: "sign.age-4m30s", what: "canonical timestamp 4m30s in the past", form: pave.TimestampLayout,
		age: 270 * time.Second},
	{step: "sign.age-5m30s", what: "canonical timestamp 5m30s in the past", form: pave.TimestampLayout,
		age: 330 * time.Second},
}

// New returns pave probe.
func New(f *cmdutil.Factory) *cobra.Command {
	var yes bool
	var out string
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Ask the live API (with a TEST key) what it accepts, and print a report for an issue",
		Long: `probe settles what PAVE's documentation leaves open (docs/pave-api.md,
section 5) with a short, safe sequence, and prints what PAVE answered, ready
to attach to an issue: GET /v1/callbacks signed in every timestamp form and
token spelling seen in the wild, then one session created without SMS, read,
read for results, deleted (also when a step failed) and read again. Use a
TEST API key: pave cannot tell a test key from a live one. It says what it
will send, and asks first (--yes does not; with no answer on standard input
it refuses to start).

Each row shows the request, the status, the "message" text and the keys of
each object answered, never a value; the API secret is never sent, and the
API key, the username, every token (in any encoding) and the session key are
redacted. Exit status: 0 when the sequence ran (refused variants are
findings); 5 when PAVE refused the canonical signature (run pave doctor); 1
when a session step failed or the session could not be deleted.`,
		Example: `  PAVE_API_KEY=<test key> pave probe
  pave probe --yes --out pave-probe.txt
  pave probe --yes --json --out pave-probe.json
  pave probe --base-url http://127.0.0.1:8080 --yes   # against pave fake serve`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(f, yes, out) },
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask before starting (for scripts)")
	cmd.Flags().StringVar(&out, "out", "", "write the report to this file instead of standard output")
	return cmd
}

func run(f *cmdutil.Factory, yes bool, out string) error {
	if out != "" {
		if st, err := os.Stat(out); err == nil && st.IsDir() {
			return cmdutil.Usagef("--out %s: is a directory", out)
		}
		if st, err := os.Stat(filepath.Dir(out)); err != nil || !st.IsDir() {
			return cmdutil.Usagef("--out %s: no directory %s", out, filepath.Dir(out))
		}
	}
	t, err := f.Target()
	if err != nil {
		return err
	}
	base := strings.TrimRight(t.BaseURL, "/")
	plan(f.IO, base, t.Creds)
	if !yes {
		if err := confirm(f); err != nil {
			return err
		}
	}
	p := newProber(t.Creds, base)
	rep, outcome := p.run(f.Ctx)
	if err := write(f, out, rep, p); err != nil {
		return err
	}
	return outcome
}

// plan tells, on stderr, where the probe goes and what it will send.
func plan(io *output.Printer, base string, creds pave.Credentials) {
	if base == pave.DefaultBaseURL {
		io.Notef("WARNING: %s is PAVE's production API. Use a TEST API key: pave cannot tell a test key from a live "+
			"one, and a session made with a live key counts toward your usage.", base)
	} else {
		io.Notef("probing %s. Against PAVE itself, use a TEST API key only.", base)
	}
	io.Notef("signed with API key %s. The probe will send:", maskKey(creds.APIKey))
	io.Eprintf("  GET    /v1/callbacks                %d times, read-only, each signed another way\n", len(Variants))
	io.Eprintf("%s", `  POST   /v1/sessions                 one session, without SMS (nobody is texted)
  GET    /v1/sessions/{key}           reads it
  GET    /v1/sessions/{key}/results   before completion
  DELETE /v1/sessions/{key}           deletes it, even if a step fails
  GET    /v1/sessions/{key}           reads it after the delete
Nothing else is changed.
`)
}

// maskKey shows the first and last four characters of an API key.
func maskKey(k string) string {
	if len(k) <= 12 {
		return strings.Repeat("*", len(k))
	}
	return k[:4] + "..." + k[len(k)-4:]
}

// confirm asks on stderr and reads one line of stdin. Nothing to read (no
// terminal, stdin closed or empty) is a usage error pointing at --yes.
func confirm(f *cmdutil.Factory) error {
	f.IO.Eprintf("Proceed? [y/N] ")
	var line string
	var err error
	if f.In != nil {
		line, err = bufio.NewReader(f.In).ReadString('\n')
	}
	f.IO.Eprintf("\n")
	switch {
	case strings.TrimSpace(line) == "" && (err != nil || f.In == nil):
		return cmdutil.Usagef("--yes: no answer on standard input (not a terminal?): pass --yes to run without asking")
	case !slices.Contains([]string{"y", "yes"}, strings.ToLower(strings.TrimSpace(line))):
		return cmdutil.Exitf(cmdutil.ExitError, "probe: not confirmed; nothing was sent")
	}
	return nil
}

// write renders the report (text, or JSON with --json), scrubs it and
// writes it to the file out ("": standard output).
func write(f *cmdutil.Factory, out string, rep Report, p *prober) error {
	for i := range rep.Rows {
		r := &rep.Rows[i]
		r.Message, r.Error, r.Request = p.scrubText(r.Message), p.scrubText(r.Error), p.scrubText(r.Request)
	}
	var buf bytes.Buffer
	if f.IO.JSON {
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		renderText(&buf, rep)
	}
	data := p.scrub(buf.String())
	switch {
	case out == "" && f.IO.JSON:
		return f.IO.Raw(json.RawMessage(data), rep)
	case out == "":
		f.IO.Text(data)
		return nil
	case !f.IO.JSON:
		data = output.SanitizeLines(data)
	}
	if err := os.WriteFile(out, []byte(data), 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	f.IO.Notef("wrote the probe report to %s", out)
	return nil
}

// renderText writes the report as text.
func renderText(w *bytes.Buffer, rep Report) {
	fmt.Fprintf(w, "PAVE probe report (%s %s)\n", rep.Tool, rep.Version)
	fmt.Fprintf(w, "base URL: %s\ntime:     %s\n", rep.BaseURL, rep.Time)
	fmt.Fprintf(w, "redacted: %s\n\n", strings.Join(rep.Redacted, "; "))
	for i, r := range rep.Rows {
		fmt.Fprintf(w, "%2d. %-20s %s\n", i+1, r.Step, r.What)
		fmt.Fprintf(w, "    request:  %s", r.Request)
		if r.TimestampForm != "" {
			fmt.Fprintf(w, "  (API-Timestamp form %s)", r.TimestampForm)
		}
		w.WriteByte('\n')
		if r.Error != "" {
			fmt.Fprintf(w, "    error:    %s\n", output.Sanitize(r.Error))
		}
		if r.Status != 0 {
			verdict := map[bool]string{true: "accepted", false: "refused"}[r.Accepted]
			fmt.Fprintf(w, "    status:   %d %s (%s, %s)\n", r.Status, http.StatusText(r.Status), verdict, r.Proto)
		}
		if r.Message != "" {
			fmt.Fprintf(w, "    message:  %q\n", r.Message)
		}
		if r.Body != "" && r.Body != "json" {
			fmt.Fprintf(w, "    body:     %s\n", r.Body)
		}
		for _, path := range slices.Sorted(maps.Keys(r.Shape)) {
			fmt.Fprintf(w, "    keys %s: %s\n", output.Sanitize(path), output.Sanitize(strings.Join(r.Shape[path], ", ")))
		}
	}
	fmt.Fprintf(w, "\nsigning accepted: %s\n", cmp.Or(strings.Join(rep.Accepted, ", "), "(none)"))
	fmt.Fprintf(w, "signing refused:  %s\n", cmp.Or(strings.Join(rep.Refused, ", "), "(none)"))
}

// scrub removes every credential, in any encoding, and the session key
// from s.
func (p *prober) scrub(s string) string {
	s = redact.New(append([]string{p.creds.APISecret, p.creds.APIKey}, p.tokens...)...).Text(s)
	if p.key != "" {
		s = strings.ReplaceAll(s, p.key, "{key}")
	}
	return s
}

// scrubText is scrub plus the username, for the free text of answers
// (messages, errors) only, so that a short username never mangles a key
// name of the report.
func (p *prober) scrubText(s string) string {
	s = p.scrub(s)
	if u := p.creds.Username; len(u) >= 3 {
		s = strings.ReplaceAll(s, u, "[username]")
	}
	return s
}
