package sessions

import (
	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

func newCmdGet(f *cmdutil.Factory) *cobra.Command {
	return newKeyCmd(&keyOptions{Factory: f}, &cobra.Command{
		Use:   "get KEY",
		Short: "Show a session: status, theme, capture link, vehicle",
		Long: `Show a session's current state (GET /v1/sessions/{key}). The output
includes the customer's name and phone number when the session has them.
--json prints the session as PAVE returned it.`,
		Example: `  pave sessions get NSA-7K2D5MZ8WP
  pave sessions get NSA-7K2D5MZ8WP --json | jq -r .status`,
	}, runGet)
}

func runGet(opts *keyOptions) error {
	return opts.WithClient(func(c *pave.Client) error {
		sess, err := c.Sessions.Get(opts.Ctx, opts.Key)
		if err != nil {
			return hint(opts.cmd, err)
		}
		return printSession(opts.Factory, sess)
	})
}
