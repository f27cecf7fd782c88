// Package cmdutil holds what the commands of pave share: the streams and
// environment of one run, the global flags, credentials, clients, exit
// statuses and argument checks.
package cmdutil

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/output"
	"github.com/pave-go/pave/pavetest"
)

// EnvBaseURL names the API host's environment variable.
const EnvBaseURL = "PAVE_BASE_URL"

// Factory is one run of the command: its streams, environment, context
// and global flags.
type Factory struct {
	IO     *output.Printer
	In     io.Reader
	Getenv func(string) string
	// Ctx is cancelled by SIGINT or SIGTERM, with a Signal as its cause.
	Ctx context.Context

	// The global flags.
	BaseURL, Profile, Config, Username, APIKey, APISecret string
	// ControlTokenFlag is the fake commands' --control-token.
	ControlTokenFlag string
	// Timeout bounds each attempt of a request to PAVE (--timeout; 0 is
	// the SDK's default).
	Timeout time.Duration
}

// New returns the Factory of a run.
func New(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *Factory {
	return &Factory{IO: output.New(stdout, stderr), In: stdin, Getenv: getenv, Ctx: ctx}
}

// AddGlobalFlags registers the global flags on the root command.
func (f *Factory) AddGlobalFlags(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.BoolVar(&f.IO.JSON, "json", false, "print JSON (the API's own for API objects) instead of text")
	pf.StringVar(&f.BaseURL, "base-url", "",
		"API base URL (default $"+EnvBaseURL+", the profile's, or "+pave.DefaultBaseURL+")")
	pf.StringVar(&f.Profile, "profile", "", `config-file profile (default $PAVE_PROFILE, else "default")`)
	pf.StringVar(&f.Config, "config", "",
		"config file (default $PAVE_CONFIG, else pave/config.json in the user config directory)")
	pf.StringVar(&f.Username, "username", "", "account username (default $"+pave.EnvUsername+")")
	pf.StringVar(&f.APIKey, "api-key", "", "API key (default $"+pave.EnvAPIKey+")")
	pf.StringVar(&f.APISecret, "api-secret", "",
		"API secret (default $"+pave.EnvAPISecret+"; a flag is visible to other users of the machine)")
	_ = root.RegisterFlagCompletionFunc("profile", func(*cobra.Command, []string, string) ([]string,
		cobra.ShellCompDirective) {
		return f.ProfileNames(), cobra.ShellCompDirectiveNoFileComp
	})
}

// AddTimeoutFlag gives cmd --timeout, the bound of each attempt.
func (f *Factory) AddTimeoutFlag(cmd *cobra.Command) {
	DurationVar(cmd.Flags(), &f.Timeout, "timeout", 0, 1, "bound each attempt of a request (default 30s); exit status 1")
}

// Target is where requests go, and as whom.
type Target struct {
	Creds   pave.Credentials
	BaseURL string
	// BaseFrom names where BaseURL came from (a flag, a variable, a
	// profile's field), "" for PAVE's own host.
	BaseFrom string
	// Fake reports that the credentials are a pave fake server's account.
	Fake bool
}

// rawBase is the base URL (not checked) and where it came from.
func (f *Factory) rawBase(p Profile) (base, from string) {
	for _, c := range []struct{ v, from string }{{f.BaseURL, "--base-url"}, {f.Getenv(EnvBaseURL), EnvBaseURL},
		{p.BaseURL, "the profile's base_url"}} {
		if v := strings.TrimSpace(c.v); v != "" {
			return v, c.from
		}
	}
	return pave.DefaultBaseURL, ""
}

// CheckBase applies the SDK's rules to a base URL, naming where it came from.
func CheckBase(base, from string) error {
	if _, err := pave.NewClient(pave.Credentials{Username: "u", APIKey: "k", APISecret: "s"},
		pave.WithBaseURL(base)); err != nil {
		_, why, _ := strings.Cut(err.Error(), "WithBaseURL: ")
		if i := strings.LastIndex(why, `": `); i >= 0 { // the SDK quotes the URL too
			why = why[i+3:]
		}
		return Usagef("%s %q: %s", cmp.Or(from, "base URL"), base, why)
	}
	return nil
}

// Target resolves the base URL, checked by the SDK's rules (https, or
// http to a loopback host), and the credentials.
func (f *Factory) Target() (Target, error) {
	p, _, err := f.LoadProfile()
	if err != nil {
		return Target{}, err
	}
	if err := CheckBase(f.rawBase(p)); err != nil {
		return Target{}, err
	}
	return f.Credentials()
}

// credentials names the flag, variable and config-file field of the
// username, API key and API secret, in that order.
var credentials = [3]struct{ flag, env, key string }{{"--username", pave.EnvUsername, "username"},
	{"--api-key", pave.EnvAPIKey, "api_key"}, {"--api-secret", pave.EnvAPISecret, "api_secret"}}

// Sources says where the username, API key and API secret come from: for
// each, the first of its flag, variable and profile field p that is not
// blank, as raw as given there, and its name ("" for none).
func (f *Factory) Sources(p Profile) (where, raw [3]string) {
	profile, _ := f.ProfileName()
	values := [3][3]string{{f.Username, f.Getenv(pave.EnvUsername), p.Username},
		{f.APIKey, f.Getenv(pave.EnvAPIKey), p.APIKey}, {f.APISecret, f.Getenv(pave.EnvAPISecret), p.APISecret}}
	for i, c := range credentials {
		names := [3]string{c.flag, c.env, fmt.Sprintf("%q of profile %s in %s", c.key, profile, f.ConfigPath())}
		for j, v := range values[i] {
			if strings.TrimSpace(v) != "" {
				where[i], raw[i] = names[j], v
				break
			}
		}
	}
	return where, raw
}

// Credentials resolves the credentials (see Sources; each trimmed: a
// secret pasted with its newline would make every token wrong) and the
// base URL, not checked. With none set and a base URL other than PAVE's,
// a pave fake server there lends its default account.
func (f *Factory) Credentials() (Target, error) {
	p, _, err := f.LoadProfile()
	base, from := f.rawBase(p)
	if err != nil {
		return Target{BaseURL: base, BaseFrom: from}, err
	}
	where, raw := f.Sources(p)
	t := Target{BaseURL: base, BaseFrom: from, Creds: pave.Credentials{Username: strings.TrimSpace(raw[0]),
		APIKey: strings.TrimSpace(raw[1]), APISecret: strings.TrimSpace(raw[2])}}
	var missing []string
	for i, w := range where {
		if w == "" {
			missing = append(missing, credentials[i].flag+" or "+credentials[i].env)
		}
	}
	if len(missing) == 3 && from != "" {
		accts, err := askFake(f, base, (*pavetest.ControlClient).Accounts)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return t, Exitf(ExitError,
				"cannot connect to %s (from %s): nothing listens there; start a fake with pave fake serve",
				base, from)
		}
		for _, a := range accts {
			if c := a.Credentials(); c.Validate() == nil {
				f.IO.Notef("signing as the fake server's account %s", c.Username)
				t.Creds, t.Fake = c, true
				return t, nil
			}
		}
	}
	if len(missing) > 0 {
		return t, fmt.Errorf("%w: set %s (or a config-file profile)", pave.ErrInvalidCredentials, strings.Join(missing, ", "))
	}
	return t, nil
}

// IsFake reports whether t's base URL is a pave fake server.
func (f *Factory) IsFake(t Target) bool {
	if t.Fake || t.BaseFrom == "" {
		return t.Fake
	}
	_, err := askFake(f, t.BaseURL, (*pavetest.ControlClient).Accounts)
	return err == nil
}

// askFake makes call to the fake server at base, if it is one, within 10
// seconds.
func askFake[T any](f *Factory, base string, call func(*pavetest.ControlClient, context.Context) (T, error)) (T,
	error) {
	c, err := f.Control(base)
	if err != nil {
		var zero T
		return zero, err
	}
	ctx, cancel := context.WithTimeout(f.Ctx, 10*time.Second)
	defer cancel()
	return call(c.ControlClient, ctx)
}

// Client returns a client of the resolved target, with --timeout.
func (f *Factory) Client(opts ...pave.Option) (*pave.Client, Target, error) {
	t, err := f.Target()
	if err != nil {
		return nil, t, err
	}
	all := []pave.Option{pave.WithBaseURL(t.BaseURL), pave.WithUserAgent("pave-cli/" + pave.Version)}
	if f.Timeout > 0 {
		all = append(all, pave.WithTimeout(f.Timeout))
	}
	if offset, ok := f.fakeClock(t); ok {
		// Sign on the fake's clock, which a test may have moved days
		// ahead (farther than the SDK corrects a skew).
		all = append(all, pave.WithClock(func() time.Time { return time.Now().Add(offset) }))
	}
	c, err := pave.NewClient(t.Creds, append(all, opts...)...)
	return c, t, err
}

// fakeClock returns how far a fake server's clock is ahead of this
// machine's, when the base URL is one (an http URL, which the SDK allows
// for loopback only, or the fake's own account).
func (f *Factory) fakeClock(t Target) (time.Duration, bool) {
	if !t.Fake && !strings.HasPrefix(t.BaseURL, "http://") {
		return 0, false
	}
	now, err := askFake(f, t.BaseURL, (*pavetest.ControlClient).Clock)
	return time.Until(now), err == nil
}

// API completes c, a command of the API: it takes the arguments names
// (none: no argument) and --timeout (unless it has its own), and runs run
// with a client of the target and the arguments, a validation error
// naming the flag or argument that sets the field (FlagHint with fields).
// A check of the flags belongs in c.PreRunE: it runs before credentials
// are looked up.
func (f *Factory) API(c *cobra.Command, fields map[string]string, run func(cl *pave.Client, args []string) error,
	names ...string) *cobra.Command {
	c.Args = cobra.NoArgs
	if len(names) > 0 {
		c.Args = ArgsNamed(names...)
	}
	if c.Flags().Lookup("timeout") == nil {
		f.AddTimeoutFlag(c)
	}
	c.RunE = func(_ *cobra.Command, args []string) error {
		cl, _, err := f.Client()
		if err != nil {
			return err
		}
		defer cl.CloseIdleConnections()
		return FlagHint(c, run(cl, args), fields)
	}
	return c
}
