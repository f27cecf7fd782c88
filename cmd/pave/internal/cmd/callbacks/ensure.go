package callbacks

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

// ensureOptions are the options of pave callbacks ensure.
type ensureOptions struct {
	eventOptions
	cmd               *cobra.Command
	URL               string
	Headers           []string
	SecretEnv, Method string
}

func newCmdEnsure(f *cmdutil.Factory) *cobra.Command {
	opts := &ensureOptions{eventOptions: eventOptions{Factory: f}}
	opts.cmd = &cobra.Command{
		Use:   "ensure EVENT URL",
		Short: "Make the callback setting of an event be exactly this one",
		Long: `Make PAVE's callback setting for EVENT send to URL with these headers,
creating or replacing it, and leave it alone when it already matches (safe
to run at every deployment). It prints whether the setting was created,
updated or already matched.

--secret-env names an environment variable holding the webhook secret
(at least 16 characters, e.g. openssl rand -hex 32): PAVE then sends
"Authorization: Bearer <secret>", which package webhook checks, plus
X-Pave-Event and {"event": EVENT} in the body. The secret is never printed.`,
		Example: `  export PAVE_WEBHOOK_SECRET=$(openssl rand -hex 32)
  pave callbacks ensure complete https://crm.example/pave --secret-env PAVE_WEBHOOK_SECRET
  pave callbacks ensure SESSION:STATUS_CHANGE https://crm.example/pave --header X-Tenant=north --method PUT`,
	}
	fl := opts.cmd.Flags()
	fl.StringArrayVar(&opts.Headers, "header", nil, "extra header PAVE sends, as NAME=VALUE (repeatable)")
	fl.StringVar(&opts.SecretEnv, "secret-env", "",
		"environment variable holding the webhook secret (sent as Authorization: Bearer)")
	fl.StringVar(&opts.Method, "method", "",
		"HTTP method PAVE calls URL with: GET, POST (the default), PUT, PATCH or DELETE")
	_ = opts.cmd.RegisterFlagCompletionFunc("method", cmdutil.Complete("GET", "POST", "PUT", "PATCH", "DELETE"))
	return newEventCmd(&opts.eventOptions, opts.cmd, func(args []string) error {
		opts.URL = strings.TrimSpace(args[1])
		return runEnsure(opts)
	}, "EVENT", "URL")
}

// fieldFlags points a setting's field errors at the flag or argument that
// sets the field; the Authorization header is --secret-env's.
func fieldFlags(err error) map[string]string {
	m := map[string]string{"event": "EVENT", "url": "URL", "method": "--method", "headers": "--header"}
	for path := range pave.FieldErrors(err) {
		if name, ok := strings.CutPrefix(path, "headers."); ok {
			m[path] = "--header"
			if strings.EqualFold(name, "Authorization") {
				m[path] = "--secret-env"
			}
		}
	}
	return m
}

func runEnsure(opts *ensureOptions) error {
	cb, err := opts.setting()
	if err != nil {
		return err
	}
	if err := cb.Validate(); err != nil {
		return cmdutil.FlagHint(opts.cmd, err, fieldFlags(err))
	}
	return opts.WithClient(func(c *pave.Client) error {
		after, did, err := c.Webhooks.Ensure(opts.Ctx, cb)
		if err != nil {
			return cmdutil.FlagHint(opts.cmd, err, fieldFlags(err))
		}
		if opts.IO.JSON {
			return opts.IO.JSONValue(map[string]any{"outcome": did, "callback": redacted(*after)})
		}
		say := map[pave.EnsureOutcome]string{
			pave.EnsureCreated: "Created the %s setting.\n",
			pave.EnsureUpdated: "Updated the %s setting.\n",
		}[did]
		if say == "" {
			say = "The %s setting already matched; nothing written.\n"
		}
		opts.IO.Printf(say, opts.Event)
		printCallback(opts.Factory, after)
		return nil
	})
}

// setting builds the setting the flags ask for.
func (opts *ensureOptions) setting() (*pave.Callback, error) {
	cb := &pave.Callback{Event: opts.Event, URL: opts.URL}
	withSecret := opts.cmd.Flags().Changed("secret-env")
	if withSecret {
		name := strings.TrimSpace(opts.SecretEnv)
		if name == "" {
			return nil, cmdutil.Usagef("--secret-env: name an environment variable holding the webhook secret")
		}
		secret := strings.TrimSpace(opts.Getenv(name))
		if secret == "" {
			return nil, cmdutil.Usagef("--secret-env %s: the variable is not set or empty", name)
		}
		cb = pave.NewCallback(opts.Event, opts.URL, secret)
	}
	for _, h := range opts.Headers {
		k, v, err := cmdutil.SplitKeyValue("--header", h, "NAME=VALUE")
		if err != nil {
			return nil, err
		}
		if withSecret && strings.EqualFold(k, "Authorization") {
			return nil, cmdutil.Usagef("--header %s: the secret from --secret-env is sent as Authorization already", k)
		}
		if cb.Headers == nil {
			cb.Headers = map[string]string{}
		}
		for old := range cb.Headers {
			if strings.EqualFold(old, k) {
				delete(cb.Headers, old)
			}
		}
		cb.Headers[k] = v
	}
	if opts.cmd.Flags().Changed("method") {
		if cb.Method = strings.ToUpper(strings.TrimSpace(opts.Method)); cb.Method == "" {
			return nil, cmdutil.Usagef("--method: must not be empty")
		}
	}
	return cb, nil
}
