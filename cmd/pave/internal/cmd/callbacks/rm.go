package callbacks

import (
	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

func newCmdRm(f *cmdutil.Factory) *cobra.Command {
	opts := &eventOptions{Factory: f}
	return newEventCmd(opts, &cobra.Command{
		Use:     "rm EVENT",
		Aliases: []string{"delete"},
		Short:   "Delete the callback setting of an event",
		Long: `Delete the callback setting of an event (DELETE /v1/callbacks/{event}).
An event without a setting exits with status 4.`,
		Example: `  pave callbacks rm stage_change`,
	}, func([]string) error { return runRm(opts) }, "EVENT")
}

func runRm(opts *eventOptions) error {
	return opts.WithClient(func(c *pave.Client) error {
		if err := c.Webhooks.Delete(opts.Ctx, opts.Event); err != nil {
			return err
		}
		if opts.IO.JSON {
			return opts.IO.JSONValue(map[string]any{"event": opts.Event, "deleted": true})
		}
		opts.IO.Printf("Deleted the %s setting.\n", opts.Event)
		return nil
	})
}
