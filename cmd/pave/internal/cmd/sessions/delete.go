package sessions

import (
	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

func newCmdDelete(f *cmdutil.Factory) *cobra.Command {
	return newKeyCmd(&keyOptions{Factory: f}, &cobra.Command{
		Use:   "delete KEY",
		Short: "Delete a session that has not started",
		Long: `Delete a session whose capture has not started (DELETE
/v1/sessions/{key}). A started session cannot be deleted.`,
		Example: `  pave sessions delete NSA-7K2D5MZ8WP`,
	}, runDelete)
}

func runDelete(opts *keyOptions) error {
	return opts.WithClient(func(c *pave.Client) error {
		if err := c.Sessions.Delete(opts.Ctx, opts.Key); err != nil {
			return hint(opts.cmd, err)
		}
		if opts.IO.JSON {
			return opts.IO.JSONValue(map[string]any{"session_key": opts.Key, "deleted": true})
		}
		opts.IO.Printf("Deleted session %s.\n", opts.Key)
		return nil
	})
}
