// Package doctor is pave doctor: why does a PAVE call fail? Each check
// says what it found and how to fix a failure.
package doctor

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

// Statuses of a check. The text output prints them as ok, FAIL, warn and
// skip; --json as written here.
const (
	OK   = "ok"
	Fail = "fail"
	Warn = "warn"
	Skip = "skip"
)

// Check is one line of pave doctor.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`

	auth bool // a failure that makes PAVE answer 401 (or leaves nothing to sign with)
}

// New returns pave doctor.
func New(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check credentials, base URL, reachability, clock and a signed call",
		Long: `doctor checks, in order, what makes a PAVE call fail, and says how to fix
each failure: the config file (readable by you alone); where the username,
API key and API secret come from, and their form (no surrounding
whitespace, newline or control character; a key like a UUID; a username
that is no email); the base URL; a timed TCP (and TLS) connection; one
signed read-only call (GET /v1/callbacks) without clock-skew correction, a
401 explained; and this machine's clock as that call shows it (PAVE refuses
a token five minutes off; the SDK names a skew of more than four).

Exit status: 0 when no check failed (warnings allowed); 5 when every failed
check concerns the credentials or the clock; 1 otherwise. --json prints the
checks as a JSON list of {name, status, detail, fix}, status one of ok,
fail, warn, skip.`,
		Example: `  pave doctor
  pave doctor --profile dealer-b
  pave doctor --json | jq '.[] | select(.status != "ok")'`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			checks := run(f)
			err := f.IO.Result(nil, checks, func() {
				for _, c := range checks {
					f.IO.Printf("%-5s %s: %s\n", strings.Replace(c.Status, Fail, "FAIL", 1), c.Name, c.Detail)
					if c.Fix != "" && c.Status != OK {
						f.IO.Printf("      fix: %s\n", c.Fix)
					}
				}
			})
			if err != nil {
				return err
			}
			return exit(checks)
		},
	}
}

// exit is the documented exit status of a list of checks.
func exit(checks []Check) error {
	failed, auth := 0, true
	for _, c := range checks {
		if c.Status == Fail {
			failed++
			auth = auth && c.auth
		}
	}
	code := cmdutil.ExitError
	switch {
	case failed == 0:
		return nil
	case auth:
		code = cmdutil.ExitUnauthorized
	}
	return cmdutil.Exitf(code, "%s failed", plural(failed, "check"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// run runs the checks.
func run(f *cmdutil.Factory) []Check {
	var checks []Check
	add := func(c ...Check) { checks = append(checks, c...) }
	skipRest := func(why string, names ...string) []Check {
		for _, n := range names {
			add(Check{Name: n, Status: Skip, Detail: why})
		}
		return checks
	}

	path := f.ConfigPath()
	profile, _ := f.ProfileName()
	prof, found, perr := f.LoadProfile()
	_, statErr := os.Stat(path)
	switch {
	case perr != nil:
		fix := "fix or remove " + path
		if strings.Contains(perr.Error(), "readable by others") {
			fix = "run chmod 600 " + path + " (the file holds API secrets)"
		} else if strings.HasPrefix(perr.Error(), "--profile") {
			fix = "name a profile the config file has (--profile, PAVE_PROFILE), or leave it unset"
		}
		add(Check{Name: "config", Status: Fail, Detail: perr.Error(), Fix: fix},
			Check{Name: "credentials", Status: Skip, Detail: "not read: the config file was refused"})
	case found:
		add(Check{Name: "config", Status: OK, Detail: fmt.Sprintf("profile %s of %s, readable by you alone", profile, path)})
	case statErr == nil:
		add(Check{Name: "config", Status: OK, Detail: fmt.Sprintf("no profile %s in %s (optional)", profile, path)})
	default:
		add(Check{Name: "config", Status: OK, Detail: fmt.Sprintf("no config file at %s (optional)", path)})
	}

	t, cerr := f.Credentials()
	if perr == nil {
		add(credentialChecks(f, prof, t, cerr)...)
	}

	if err := cmdutil.CheckBase(t.BaseURL, t.BaseFrom); err != nil {
		add(Check{Name: "base URL", Status: Fail, Detail: err.Error(),
			Fix: "set --base-url or PAVE_BASE_URL to " + pave.DefaultBaseURL + " (or http://127.0.0.1:PORT for a local fake)"})
		return skipRest("no valid base URL", "reachable", "signed call", "clock")
	}
	detail := t.BaseURL
	if t.BaseFrom == "" {
		detail += " (PAVE's API host)"
	}
	add(Check{Name: "base URL", Status: OK, Detail: detail})

	u, _ := url.Parse(t.BaseURL)
	reach := reachCheck(f, u)
	add(reach)
	if reach.Status == Fail {
		return skipRest("host not reachable", "signed call", "clock")
	}
	if cerr != nil || perr != nil {
		return skipRest("no credentials", "signed call", "clock")
	}
	client, err := pave.NewClient(t.Creds, pave.WithBaseURL(t.BaseURL),
		pave.WithUserAgent("pave-cli/"+pave.Version+" doctor"),
		pave.WithClockSkewCorrection(false), pave.WithMaxRetries(1), pave.WithTimeout(20*time.Second))
	if err != nil {
		add(Check{Name: "signed call", Status: Fail, Detail: err.Error(), auth: errors.Is(err, pave.ErrInvalidCredentials),
			Fix: "set the credentials again as Dashboard > Developer > API Keys shows them"})
		return skipRest("no call made", "clock")
	}
	defer client.CloseIdleConnections()
	list, callErr := client.Webhooks.List(f.Ctx)
	add(signedCallCheck(list, callErr), clockCheck(callErr))
	return checks
}

// credentialChecks says where the credentials come from and checks their
// form, never quoting a value.
func credentialChecks(f *cmdutil.Factory, p cmdutil.Profile, t cmdutil.Target, err error) []Check {
	if err != nil {
		return []Check{{Name: "credentials", Status: Fail, auth: true, Detail: strings.TrimPrefix(err.Error(), "pave: "),
			Fix: "set " + pave.EnvUsername + ", " + pave.EnvAPIKey + " and " + pave.EnvAPISecret +
				" (or the flags, or a config-file profile) to the values from Dashboard > Developer > API Keys"}}
	}
	var from, bad []string
	where, raw := f.Sources(p)
	for i, what := range []string{"username", "API key", "API secret"} {
		if where[i] == "" {
			continue
		}
		from = append(from, what+" from "+where[i])
		if problem := formProblem(raw[i]); problem != "" {
			bad = append(bad, where[i]+" "+problem)
		}
	}
	c := []Check{{Name: "credentials", Status: OK, Detail: strings.Join(from, ", ")}}
	if t.Fake {
		c[0].Detail = "none set: the fake server's default account " + t.Creds.Username
	}
	if len(bad) > 0 {
		c = append(c, Check{Name: "format", Status: Fail, auth: true, Detail: strings.Join(bad, "; "),
			Fix: "set it again without them (pave and the Go SDK trim whitespace, but curl, scripts and other SDKs " +
				"sign with the value as it is, which makes every token wrong)"})
	} else {
		c = append(c, Check{Name: "format", Status: OK,
			Detail: "no surrounding whitespace, newline or control character in username, API key or API secret"})
	}
	if uuidRE.MatchString(t.Creds.APIKey) {
		c = append(c, Check{Name: "API key", Status: OK, Detail: "looks like a UUID, as PAVE's keys do"})
	} else {
		detail := fmt.Sprintf("is not a UUID (%d characters)", len(t.Creds.APIKey))
		c = append(c, Check{Name: "API key", Status: Warn, Detail: detail,
			Fix: "PAVE's API keys are UUIDs: check you copied the key itself, not its name or its secret"})
	}
	if strings.Contains(t.Creds.Username, "@") {
		return append(c, Check{Name: "username", Status: Warn, Detail: "contains '@', like an email address",
			Fix: "sign with the primary account name PAVE gave you (for Enterprise accounts the enterprise name), " +
				"not a dashboard login"})
	}
	return append(c, Check{Name: "username", Status: OK, Detail: "not an email address"})
}

// formProblem says what is wrong with a raw credential's form, never the
// value: surrounding whitespace, a newline, a control character inside.
func formProblem(raw string) string {
	var what []string
	if strings.TrimLeft(raw, " \t\r\n\v\f") != raw {
		what = append(what, "starts with whitespace")
	}
	trimmed := strings.TrimSpace(raw)
	trail := raw[len(strings.TrimRight(raw, " \t\r\n\v\f")):]
	switch {
	case strings.HasSuffix(trail, "\n") && strings.Contains(trail, "\r"):
		what = append(what, "ends with a CRLF newline")
	case strings.Contains(trail, "\n"):
		what = append(what, "ends with a newline")
	case trail != "":
		what = append(what, "ends with whitespace")
	}
	if strings.ContainsFunc(trimmed, func(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f }) {
		what = append(what, "holds a control character")
	}
	return strings.Join(what, " and ")
}
