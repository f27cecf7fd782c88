package hotspots

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/report"
)

// resultsOptions are the options of pave hotspots results.
type resultsOptions struct {
	*cmdutil.Factory
	cmd               *cobra.Command
	Key               string
	Wait              bool
	Interval, Timeout time.Duration
}

func newCmdResults(f *cmdutil.Factory) *cobra.Command {
	opts := &resultsOptions{Factory: f}
	opts.cmd = &cobra.Command{
		Use:   "results KEY",
		Short: "Print the damages found on each photo",
		Long: `Print the damages Hotspots found on each photo (GET /v1/hotspots/{key}):
label, component, damage and position on the image (percent from the left
and top edges), in 80 columns. --json prints the document as PAVE returned it.

While PAVE is still analysing the photos this exits with status 6; --wait
polls until the analysis is done (or --timeout passes: status 6).`,
		Example: `  pave hotspots results NSA-7K2D5MZ8WP
  pave hotspots results NSA-7K2D5MZ8WP --wait --timeout 10m --json`,
		Args: cmdutil.ArgsNamed("KEY"),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Key = args[0]
			return runResults(opts)
		},
	}
	fl := opts.cmd.Flags()
	fl.BoolVar(&opts.Wait, "wait", false, "poll until PAVE has analysed the photos")
	cmdutil.DurationVar(fl, &opts.Interval, "interval", 5*time.Second, 10*time.Millisecond, "with --wait: time between polls")
	cmdutil.DurationVar(fl, &opts.Timeout, "timeout", 10*time.Minute, 1, "with --wait: give up after this long (exit status 6)")
	return opts.cmd
}

func runResults(opts *resultsOptions) error {
	for _, name := range []string{"timeout", "interval"} {
		if !opts.Wait && opts.cmd.Flags().Changed(name) {
			return cmdutil.Usagef("--%s: needs --wait", name)
		}
	}
	return opts.WithClient(func(c *pave.Client) error {
		ctx, cancel := context.WithTimeout(opts.Ctx, opts.Timeout)
		defer cancel()
		var res *pave.HotspotResults
		var err error
		if opts.Wait {
			res, err = c.Hotspots.WaitForResults(ctx, opts.Key, pave.PollFirstAfter(0), pave.PollInterval(opts.Interval, opts.Interval))
		} else {
			res, err = c.Hotspots.Results(opts.Ctx, opts.Key)
		}
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded) && opts.Ctx.Err() == nil:
			return &cmdutil.StatusError{Code: cmdutil.ExitNotReady, Msg: err.Error()} // gave up at --timeout
		case err != nil:
			return cmdutil.FlagHint(opts.cmd, err, map[string]string{"session_key": "KEY"})
		}
		return opts.IO.Result(res.Raw(), res, func() { printResults(opts.Factory, opts.Key, res) })
	})
}

// printResults prints one row per damage, and a row for each photo
// without any, in 80 columns.
func printResults(f *cmdutil.Factory, key string, res *pave.HotspotResults) {
	msg := res.Message
	if msg == "" {
		msg = fmt.Sprintf("%d damages found.", res.DamageCount())
	}
	f.IO.Printf("Hotspots results for session %s: %s\n", key, msg)
	if len(res.Photos) == 0 {
		return
	}
	f.IO.Printf("\n")
	t := f.IO.Table("  LABEL", "COMPONENT", "DAMAGE", "POSITION", "REPAIR").Fit(80, 2, 4)
	for _, p := range res.Photos {
		label := p.PhotoLabel
		if label == "" {
			label = p.PhotoCode.Label()
		}
		if len(p.Damages) == 0 {
			t.Row("  "+report.Dash(string(label)), "-", "no damage", "-", "-")
		}
		for _, d := range p.Damages {
			pos := "-"
			if d.Coords != nil {
				pos = d.Coords.String()
			}
			t.Row("  "+report.Dash(string(label)), report.Dash(d.Component), report.DamageName(d.Description, d.DamageName),
				pos, report.Dash(d.RepairMethod))
		}
	}
	t.Print()
}
