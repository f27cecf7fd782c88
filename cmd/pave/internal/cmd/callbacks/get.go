package callbacks

import (
	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

func newCmdGet(f *cmdutil.Factory) *cobra.Command {
	opts := &eventOptions{Factory: f}
	return newEventCmd(opts, &cobra.Command{
		Use:   "get EVENT",
		Short: "Show the callback setting of one event",
		Long: `Show the callback setting of one event (GET /v1/callbacks/{event}),
with header names only; --json prints it as PAVE returned it, values
redacted. An event without a setting exits with status 4.`,
		Example: `  pave callbacks get complete
  pave callbacks get SESSION:STAGE_CHANGE --json`,
	}, func([]string) error { return runGet(opts) }, "EVENT")
}

func runGet(opts *eventOptions) error {
	return opts.WithClient(func(c *pave.Client) error {
		cb, err := c.Webhooks.Get(opts.Ctx, opts.Event)
		switch {
		case err != nil:
			return err
		case opts.IO.JSON:
			return opts.IO.Raw(redacted(*cb), nil)
		}
		printCallback(opts.Factory, cb)
		return nil
	})
}
