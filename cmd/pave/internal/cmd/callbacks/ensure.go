package callbacks

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

// ensureFields points a setting's field errors at the flag or argument
// that sets the field; the Authorization header is --secret-env's.
var ensureFields = map[string]string{"event": "EVENT", "url": "URL", "method": "--method", "headers": "--header",
	"headers.authorization": "--secret-env"}

// ensureFlags are the flags of pave callbacks ensure.
type ensureFlags struct {
	headers           []string
	secretEnv, method string
}

func newCmdEnsure(f *cmdutil.Factory) *cobra.Command {
	var ev pave.EventName
	var fl ensureFlags
	var cb *pave.Callback
	cmd := &cobra.Command{
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
	cmd.Flags().StringArrayVar(&fl.headers, "header", nil, "extra header PAVE sends, as NAME=VALUE (repeatable)")
	cmd.Flags().StringVar(&fl.secretEnv, "secret-env", "",
		"environment variable holding the webhook secret (sent as Authorization: Bearer)")
	cmd.Flags().StringVar(&fl.method, "method", "",
		"HTTP method PAVE calls URL with: GET, POST (the default), PUT, PATCH or DELETE")
	_ = cmd.RegisterFlagCompletionFunc("method", cmdutil.Complete("GET", "POST", "PUT", "PATCH", "DELETE"))
	eventArg(cmd, &ev, func(args []string) (err error) {
		if cb, err = fl.setting(f, cmd, ev, strings.TrimSpace(args[1])); err == nil {
			err = cmdutil.FlagHint(cmd, cb.Validate(), ensureFields)
		}
		return err
	})
	return f.API(cmd, ensureFields, func(c *pave.Client, _ []string) error {
		after, did, err := c.Webhooks.Ensure(f.Ctx, cb)
		if err != nil {
			return err
		}
		return f.IO.Result(nil, map[string]any{"outcome": did, "callback": redacted(*after)}, func() {
			say := map[pave.EnsureOutcome]string{
				pave.EnsureCreated: "Created the %s setting.\n",
				pave.EnsureUpdated: "Updated the %s setting.\n",
			}[did]
			if say == "" {
				say = "The %s setting already matched; nothing written.\n"
			}
			f.IO.Printf(say, ev)
			printCallback(f, after)
		})
	}, "EVENT", "URL")
}

// setting builds the setting of ev and url the flags ask for.
func (fl *ensureFlags) setting(f *cmdutil.Factory, cmd *cobra.Command, ev pave.EventName, url string) (*pave.Callback,
	error) {
	cb := &pave.Callback{Event: ev, URL: url}
	withSecret := cmd.Flags().Changed("secret-env")
	if withSecret {
		name := strings.TrimSpace(fl.secretEnv)
		if name == "" {
			return nil, cmdutil.Usagef("--secret-env: name an environment variable holding the webhook secret")
		}
		secret := strings.TrimSpace(f.Getenv(name))
		if secret == "" {
			return nil, cmdutil.Usagef("--secret-env %s: the variable is not set or empty", name)
		}
		cb = pave.NewCallback(ev, url, secret)
	}
	for _, h := range fl.headers {
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
	if cmd.Flags().Changed("method") {
		if cb.Method = strings.ToUpper(strings.TrimSpace(fl.method)); cb.Method == "" {
			return nil, cmdutil.Usagef("--method: must not be empty")
		}
	}
	return cb, nil
}
