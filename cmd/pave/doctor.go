package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
)

func init() {
	commands = append(commands, newDoctorCommand)
}

// Statuses of a doctor check. The text output prints them as ok, FAIL,
// warn and skip; --json as written here.
const (
	checkOK   = "ok"
	checkFail = "fail"
	checkWarn = "warn"
	checkSkip = "skip"
)

// Clock-skew thresholds: PAVE refuses a token more than five minutes old.
const (
	skewWarn = time.Minute
	skewFail = 4 * time.Minute
)

// doctorCheck is one line of `pave doctor`.
type doctorCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`

	auth bool // a failure that makes PAVE answer 401 (or leaves nothing to sign with)
}

func newDoctorCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check credentials, base URL, reachability, clock and a signed call",
		Long: `doctor checks, in order, what makes a PAVE call fail, and says how to fix
each failure:

  config        the config file, when there is one, is readable by you alone
  credentials   username, API key and API secret are set, and where from
                (flag, environment, profile, or a pave fake server's account)
  format        none of them has surrounding whitespace or a newline (pave
                trims them, other clients sign with them as they are); the
                API key looks like a UUID; the username is not an email
  base URL      https, or http to a loopback host
  reachable     a TCP (and TLS) connection to the host, timed
  clock         this machine's clock against the server's Date header: a
                token lives five minutes (warn beyond 1 minute, fail beyond 4)
  signed call   GET /v1/callbacks (read-only), signed, without clock-skew
                correction so a skew shows as itself; a 401 is explained

Exit status: 0 when no check failed (warnings allowed); 5 when every
failed check concerns the credentials or the clock (missing, surrounded by
whitespace, a clock more than 4 minutes off, a 401); 1 when any other check
failed (config file, base URL, reachability, another answer). --json prints the checks as a JSON list of
{name, status, detail, fix}, status one of ok, fail, warn, skip.`,
		Example: `  pave doctor
  pave doctor --profile dealer-b
  pave doctor --json | jq '.[] | select(.status != "ok")'`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ctx, cancel := a.context()
			defer cancel()
			checks := a.doctor(ctx)
			if a.jsonOut {
				if err := a.printJSON(checks); err != nil {
					return err
				}
			} else {
				printChecks(a, checks)
			}
			return doctorExit(checks)
		},
	}
}

// printChecks writes one line per check, and the fix under a failure or
// a warning.
func printChecks(a *app, checks []doctorCheck) {
	for _, c := range checks {
		label := c.Status
		if label == checkFail {
			label = "FAIL"
		}
		fmt.Fprintf(a.stdout, "%-5s %s: %s\n", label, c.Name, c.Detail)
		if c.Fix != "" && c.Status != checkOK {
			fmt.Fprintf(a.stdout, "      fix: %s\n", c.Fix)
		}
	}
}

// doctorExit is the documented exit status of a list of checks.
func doctorExit(checks []doctorCheck) error {
	failed, auth := 0, true
	for _, c := range checks {
		if c.Status == checkFail {
			failed++
			auth = auth && c.auth
		}
	}
	switch {
	case failed == 0:
		return nil
	case auth:
		return exitCodeError{code: exitUnauthorized, msg: doctorPlural(failed, "check") + " failed"}
	}
	return exitCodeError{code: exitError, msg: doctorPlural(failed, "check") + " failed"}
}

func doctorPlural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// credField is one credential as each source has it, unprocessed.
type credField struct {
	what, flag, env, key string // "API secret", "--api-secret", PAVE_API_SECRET, "api_secret"
	flagV, envV, profV   string
}

// source returns where the value in use comes from ("" for none) and its
// raw form there.
func (f credField) source(profName, path string) (where, raw string) {
	switch {
	case strings.TrimSpace(f.flagV) != "":
		return f.flag, f.flagV
	case strings.TrimSpace(f.envV) != "":
		return f.env, f.envV
	case strings.TrimSpace(f.profV) != "":
		return fmt.Sprintf("%q of profile %s in %s", f.key, profName, path), f.profV
	}
	return "", ""
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// doctor runs the checks.
func (a *app) doctor(ctx context.Context) []doctorCheck {
	var checks []doctorCheck
	add := func(c doctorCheck) { checks = append(checks, c) }

	// The config file.
	path, _ := a.configPathFor()
	prof, profName, found, perr := a.loadProfile()
	switch {
	case perr != nil:
		add(doctorCheck{Name: "config", Status: checkFail, Detail: oneLine(perr.Error()),
			Fix: configFix(perr, path)})
	case found:
		add(doctorCheck{Name: "config", Status: checkOK, Detail: fmt.Sprintf("profile %s of %s, readable by you alone", profName, path)})
	case doctorFileExists(path):
		add(doctorCheck{Name: "config", Status: checkOK, Detail: fmt.Sprintf("no profile %s in %s (optional)", profName, path)})
	default:
		add(doctorCheck{Name: "config", Status: checkOK, Detail: fmt.Sprintf("no config file at %s (optional)", path)})
	}

	// The credentials and where they come from.
	fields := []credField{
		{what: "username", flag: "--username", env: pave.EnvUsername, key: "username", flagV: a.username, envV: a.getenv(pave.EnvUsername), profV: prof.Username},
		{what: "API key", flag: "--api-key", env: pave.EnvAPIKey, key: "api_key", flagV: a.apiKey, envV: a.getenv(pave.EnvAPIKey), profV: prof.APIKey},
		{what: "API secret", flag: "--api-secret", env: pave.EnvAPISecret, key: "api_secret", flagV: a.apiSecret, envV: a.getenv(pave.EnvAPISecret), profV: prof.APISecret},
	}
	var creds pave.Credentials
	var base string
	var cerr error
	if perr == nil {
		creds, base, cerr = a.credentials()
	} else {
		cerr = perr
		base = strings.TrimSpace(a.baseURL)
		if base == "" {
			base = strings.TrimSpace(a.getenv("PAVE_BASE_URL"))
		}
		if base == "" {
			base = pave.DefaultBaseURL
		}
	}
	haveCreds := cerr == nil
	switch {
	case perr != nil:
		add(doctorCheck{Name: "credentials", Status: checkSkip, Detail: "not read: the config file was refused"})
	case cerr != nil:
		add(doctorCheck{Name: "credentials", Status: checkFail, auth: true, Detail: oneLine(strings.TrimPrefix(cerr.Error(), "pave: ")),
			Fix: "set " + pave.EnvUsername + ", " + pave.EnvAPIKey + " and " + pave.EnvAPISecret + " (or the flags, or a config-file profile) to the values from Dashboard > Developer > API Keys"})
	default:
		var parts []string
		fromFake := true
		for _, f := range fields {
			if where, _ := f.source(profName, path); where != "" {
				parts = append(parts, f.what+" from "+where)
				fromFake = false
			}
		}
		detail := strings.Join(parts, ", ")
		if fromFake {
			detail = fmt.Sprintf("none set: the fake server's default account %s", creds.Username)
		}
		add(doctorCheck{Name: "credentials", Status: checkOK, Detail: detail})
	}

	// Their form.
	if haveCreds {
		var bad []string
		for _, f := range fields {
			where, raw := f.source(profName, path)
			if where == "" || raw == strings.TrimSpace(raw) {
				continue
			}
			bad = append(bad, where+" "+whitespaceWhat(raw))
		}
		if len(bad) > 0 {
			add(doctorCheck{Name: "format", Status: checkFail, auth: true,
				Detail: strings.Join(bad, "; "),
				Fix:    "set it again without the whitespace (pave and the Go SDK trim it, but curl, scripts and other SDKs sign with it as it is, which makes every token wrong)"})
		} else {
			add(doctorCheck{Name: "format", Status: checkOK, Detail: "no surrounding whitespace or newline in username, API key or API secret"})
		}
		if uuidRE.MatchString(creds.APIKey) {
			add(doctorCheck{Name: "API key", Status: checkOK, Detail: "looks like a UUID, as PAVE's keys do"})
		} else {
			add(doctorCheck{Name: "API key", Status: checkWarn, Detail: fmt.Sprintf("is not a UUID (%d characters)", len(creds.APIKey)),
				Fix: "PAVE's API keys are UUIDs: check you copied the key itself, not its name or its secret"})
		}
		if strings.Contains(creds.Username, "@") {
			add(doctorCheck{Name: "username", Status: checkWarn, Detail: "contains '@', like an email address",
				Fix: "sign with the primary account name PAVE gave you (for Enterprise accounts the enterprise name), not a dashboard login"})
		} else {
			add(doctorCheck{Name: "username", Status: checkOK, Detail: "not an email address"})
		}
	}

	// The base URL.
	u, uerr := url.Parse(base)
	if uerr == nil {
		uerr = checkBaseURL(base)
	}
	if uerr != nil {
		add(doctorCheck{Name: "base URL", Status: checkFail, Detail: fmt.Sprintf("%q: %s", base, oneLine(uerr.Error())),
			Fix: "set --base-url or PAVE_BASE_URL to " + pave.DefaultBaseURL + " (or http://127.0.0.1:PORT for a local fake)"})
		add(doctorCheck{Name: "reachable", Status: checkSkip, Detail: "no valid base URL"})
		add(doctorCheck{Name: "clock", Status: checkSkip, Detail: "no valid base URL"})
		add(doctorCheck{Name: "signed call", Status: checkSkip, Detail: "no valid base URL"})
		return checks
	}
	detail := base
	if base == pave.DefaultBaseURL {
		detail += " (PAVE's API host)"
	}
	add(doctorCheck{Name: "base URL", Status: checkOK, Detail: detail})

	// Reachability.
	reach := reachCheck(ctx, u)
	add(reach)
	if reach.Status == checkFail {
		add(doctorCheck{Name: "clock", Status: checkSkip, Detail: "host not reachable"})
		add(doctorCheck{Name: "signed call", Status: checkSkip, Detail: "host not reachable"})
		return checks
	}

	// The signed call, which also gives the server's Date.
	if !haveCreds {
		add(doctorCheck{Name: "clock", Status: checkSkip, Detail: "no credentials to make the call that reads the server's clock"})
		add(doctorCheck{Name: "signed call", Status: checkSkip, Detail: "no credentials"})
		return checks
	}
	rec := &dateRecorder{base: pave.NewTransport()}
	client, err := pave.NewClient(creds,
		pave.WithBaseURL(base),
		pave.WithUserAgent("pave-cli/"+pave.Version+" doctor"),
		pave.WithClockSkewCorrection(false),
		pave.WithMaxRetries(1),
		pave.WithTimeout(20*time.Second),
		pave.WithHTTPClient(&http.Client{Transport: rec}),
	)
	if err != nil {
		add(doctorCheck{Name: "signed call", Status: checkFail, Detail: oneLine(err.Error())})
		return checks
	}
	defer client.CloseIdleConnections()
	list, callErr := client.Webhooks.List(ctx)
	add(clockCheck(rec))
	add(signedCallCheck(list, callErr, rec))
	return checks
}

func doctorFileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// configFix is the fix of a refused config file.
func configFix(err error, path string) string {
	var ue usageError
	switch {
	case errors.As(err, &ue):
		return "name a profile the config file has (--profile, PAVE_PROFILE), or leave it unset"
	case strings.Contains(err.Error(), "readable by others"):
		return "run chmod 600 " + path + " (the file holds API secrets)"
	}
	return "fix or remove " + path
}

// whitespaceWhat says what surrounds a raw credential value, never the value.
func whitespaceWhat(raw string) string {
	var what []string
	if strings.TrimLeft(raw, " \t\r\n\v\f") != raw {
		what = append(what, "starts with whitespace")
	}
	trail := raw[len(strings.TrimRight(raw, " \t\r\n\v\f")):]
	switch {
	case strings.HasSuffix(trail, "\n") && strings.Contains(trail, "\r"):
		what = append(what, "ends with a CRLF newline")
	case strings.Contains(trail, "\n"):
		what = append(what, "ends with a newline")
	case trail != "":
		what = append(what, "ends with whitespace")
	}
	return strings.Join(what, " and ")
}

// reachCheck connects to the base URL's host (through the proxy the
// environment names, when it names one) and times the connection.
func reachCheck(ctx context.Context, u *url.URL) doctorCheck {
	host := u.Hostname()
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	target := net.JoinHostPort(host, port)
	via := ""
	if proxy, err := http.ProxyFromEnvironment(&http.Request{URL: u}); err == nil && proxy != nil {
		pp := proxy.Port()
		if pp == "" {
			pp = "80"
			if proxy.Scheme == "https" {
				pp = "443"
			}
		}
		target, via = net.JoinHostPort(proxy.Hostname(), pp), " (the proxy the environment names)"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", target)
	if err != nil {
		return doctorCheck{Name: "reachable", Status: checkFail, Detail: fmt.Sprintf("cannot connect to %s%s: %s", target, via, oneLine(err.Error())),
			Fix: "check the host and port of the base URL, the network, and any firewall or proxy (HTTPS_PROXY) in the way"}
	}
	defer conn.Close()
	tcp := time.Since(start)
	if u.Scheme != "https" || via != "" {
		return doctorCheck{Name: "reachable", Status: checkOK, Detail: fmt.Sprintf("TCP connection to %s%s in %s", target, via, doctorRound(tcp))}
	}
	tc := tls.Client(conn, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})
	if err := tc.HandshakeContext(ctx); err != nil {
		return doctorCheck{Name: "reachable", Status: checkFail, Detail: fmt.Sprintf("TLS handshake with %s failed: %s", target, oneLine(err.Error())),
			Fix: "something between you and the host intercepts TLS (a proxy or antivirus), or the system's CA certificates are out of date"}
	}
	return doctorCheck{Name: "reachable", Status: checkOK, Detail: fmt.Sprintf("TCP+TLS connection to %s in %s (TCP %s)", target, doctorRound(time.Since(start)), doctorRound(tcp))}
}

func doctorRound(d time.Duration) time.Duration {
	if d > 10*time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}

// dateRecorder is a transport that keeps the last response's status and
// Date header, with the local times the request was sent and answered.
type dateRecorder struct {
	base http.RoundTripper

	mu         sync.Mutex
	status     int
	date       string
	sent, recv time.Time
}

func (d *dateRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	sent := time.Now()
	resp, err := d.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	d.mu.Lock()
	d.status, d.date, d.sent, d.recv = resp.StatusCode, resp.Header.Get("Date"), sent, time.Now()
	d.mu.Unlock()
	return resp, nil
}

// skew is how far this machine's clock is ahead of the server's (negative:
// behind), from the last response; ok false without a readable Date.
func (d *dateRecorder) skew() (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.date == "" {
		return 0, false
	}
	t, err := http.ParseTime(d.date)
	if err != nil {
		return 0, false
	}
	// Date has whole seconds: the server's time was within the second
	// after it, and the answer left half-way through the round trip.
	mid := d.sent.Add(d.recv.Sub(d.sent) / 2)
	return mid.Sub(t.Add(500 * time.Millisecond)).Round(time.Second), true
}

// clockCheck compares the clocks.
func clockCheck(rec *dateRecorder) doctorCheck {
	skew, ok := rec.skew()
	if !ok {
		return doctorCheck{Name: "clock", Status: checkWarn, Detail: "the server sent no Date header, so the clock was not compared",
			Fix: "make sure this machine's clock is synchronised (NTP): PAVE refuses tokens more than five minutes off"}
	}
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	c := doctorCheck{Name: "clock", Status: checkOK, Detail: skewText(skew)}
	switch {
	case abs > skewFail:
		c.Status, c.auth = checkFail, true
	case abs > skewWarn:
		c.Status = checkWarn
	}
	if c.Status != checkOK {
		c.Fix = "synchronise this machine's clock (enable NTP, e.g. timedatectl set-ntp true, or the system's date and time settings): a token is valid for five minutes"
	}
	return c
}

// skewText says the skew the way the SDK's errors do.
func skewText(skew time.Duration) string {
	switch {
	case skew == 0:
		return "your clock agrees with PAVE's (within a second)"
	case skew > 0:
		return fmt.Sprintf("your clock is %s ahead of PAVE's", skew)
	}
	return fmt.Sprintf("your clock is %s behind PAVE's", -skew)
}

// signedCallCheck reports the outcome of GET /v1/callbacks.
func signedCallCheck(list []pave.Callback, err error, rec *dateRecorder) doctorCheck {
	c := doctorCheck{Name: "signed call"}
	if err == nil {
		c.Status = checkOK
		rec.mu.Lock()
		status := rec.status
		rec.mu.Unlock()
		c.Detail = fmt.Sprintf("GET /v1/callbacks answered %d: %s", status, doctorPlural(len(list), "callback setting"))
		return c
	}
	c.Status = checkFail
	var ae *pave.APIError
	if !errors.As(err, &ae) {
		c.Detail = "GET /v1/callbacks failed: " + oneLine(strings.TrimPrefix(err.Error(), "pave: "))
		c.Fix = "the host answered the connection but not the request: check the base URL points at the PAVE API and nothing in between (a proxy) drops requests"
		return c
	}
	msg := ae.Message
	if msg == "" {
		msg = http.StatusText(ae.StatusCode)
	}
	c.Detail = fmt.Sprintf("GET /v1/callbacks answered %d %q", ae.StatusCode, msg)
	lower := strings.ToLower(ae.Message)
	switch {
	case ae.StatusCode == http.StatusUnauthorized:
		c.auth = true
		skew := ae.ClockSkew.Round(time.Second)
		switch {
		case strings.Contains(lower, "expired"):
			c.Detail += ": the token was refused as expired"
			if skew != 0 {
				c.Detail += ", " + skewText(skew)
			}
			c.Fix = "synchronise this machine's clock (NTP); PAVE accepts a token for five minutes around its own time"
		case strings.Contains(lower, "token"):
			c.Detail += ": PAVE knows the API key but the token does not verify"
			c.Fix = "the API secret is not this key's, or the username is not the account name PAVE signs with (the primary account, not a dashboard login): copy both again from Dashboard > Developer > API Keys"
		case skew != 0:
			c.Detail += ": PAVE does not accept these credentials, and " + skewText(skew)
			c.Fix = "synchronise this machine's clock (NTP) first; if it still fails, check the API key exists and is not revoked, the secret is that key's and the username is the primary account name"
		default:
			c.Detail += ": PAVE does not accept these credentials"
			c.Fix = "check each: the API key exists and is not revoked (Dashboard > Developer > API Keys), the API secret is that key's, the username is the primary account name, and the clock is right"
		}
	case ae.StatusCode == http.StatusForbidden:
		c.Fix = "the key is known but may not use this endpoint: ask PAVE support to enable API access for it"
	case ae.StatusCode == http.StatusNotFound:
		c.Fix = "the base URL does not point at the PAVE API (a wrong host or path prefix): use " + pave.DefaultBaseURL
	case ae.StatusCode == http.StatusTooManyRequests:
		c.Status = checkWarn
		c.Fix = "PAVE is rate limiting this key: wait and try again"
	case ae.StatusCode >= 500:
		c.Fix = "PAVE (or something in front of it) has a problem: try again later"
	default:
		c.Fix = "an unexpected answer to a read-only call: run pave probe --yes and attach its report to an issue"
	}
	return c
}
