package sessions

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

// updateOptions are the options of pave sessions update.
type updateOptions struct {
	keyOptions
	settings settingsFlags
}

func newCmdUpdate(f *cmdutil.Factory) *cobra.Command {
	opts := &updateOptions{keyOptions: keyOptions{Factory: f}}
	cmd := &cobra.Command{
		Use:   "update KEY",
		Short: "Change a session's settings",
		Long: `Change a session's settings (PUT /v1/sessions/{key}); only the flags
given are sent. PAVE allows a theme change only while the session is IDLE,
redirect URL and language before COMPLETE, and --sms-to only before start
after a failed SMS. Prints the session as it now is.`,
		Example: `  pave sessions update NSA-7K2D5MZ8WP --redirect-url https://crm.example/done
  pave sessions update NSA-7K2D5MZ8WP --theme PRO --language EN --json`,
	}
	opts.settings.register(cmd)
	return newKeyCmd(&opts.keyOptions, cmd, func(*keyOptions) error { return runUpdate(opts) })
}

func runUpdate(opts *updateOptions) error {
	if !anyChanged(opts.cmd) {
		return cmdutil.Usagef("%s: nothing to change: give at least one of --%s", cmdutil.Path(opts.cmd),
			strings.Join(settingsFlagNames, ", --"))
	}
	s, v, sms, err := opts.settings.build(opts.cmd)
	if err != nil {
		return err
	}
	return opts.WithClient(func(c *pave.Client) error {
		sess, err := c.Sessions.Update(opts.Ctx, opts.Key, &pave.UpdateSessionRequest{Session: s, Vehicle: v, SMS: sms})
		if err != nil {
			return hint(opts.cmd, err)
		}
		return printSession(opts.Factory, sess)
	})
}
