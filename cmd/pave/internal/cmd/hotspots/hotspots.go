// Package hotspots is pave hotspots: analyse photos you already have
// (create, upload in upload.go, results).
package hotspots

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/report"
)

// New returns pave hotspots.
func New(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.Group(&cobra.Command{
		Use:   "hotspots",
		Short: "Analyse photos you already have (Hotspots)",
		Long: `Hotspots analyses photos you already have: create a session, submit one
photo URL per standard view, then fetch the damages found on each photo with
their position in the image.

Labels: VIN, Interior, Cluster, Left, Front, Tires, Right, Rear,
Windshield, Front_Left, Front_Right, Rear_Right, Rear_Left (any case).`,
		Example: `  pave hotspots create --vin 1HGCV1F39LA012345
  pave hotspots upload NSA-7K2D5MZ8WP --photo front_left=https://cdn.example/fl.jpg \
      --photo rear=https://cdn.example/r.jpg
  pave hotspots results NSA-7K2D5MZ8WP --wait --timeout 10m`,
	}, newCmdCreate(f), newCmdUpload(f), newCmdResults(f))
}

// createOptions are the options of pave hotspots create.
type createOptions struct {
	*cmdutil.Factory
	VIN, ClientID string
	References    []string
}

func newCmdCreate(f *cmdutil.Factory) *cobra.Command {
	opts := &createOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a session to submit photos to (POST /v1/sessions) and print its key",
		Example: `  pave hotspots create
  pave hotspots create --vin 1HGCV1F39LA012345 --client-id STOCK-4411 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCreate(cmd, opts) },
	}
	cmd.Flags().StringVar(&opts.VIN, "vin", "", "vehicle VIN (optional)")
	cmd.Flags().StringVar(&opts.ClientID, "client-id", "", "your own ID for the session")
	cmd.Flags().StringArrayVar(&opts.References, "reference", nil, "pass-through data as KEY=VALUE (repeatable)")
	f.AddTimeoutFlag(cmd)
	return cmd
}

func runCreate(cmd *cobra.Command, opts *createOptions) error {
	var req pave.CreateSessionRequest
	if v := strings.TrimSpace(opts.VIN); v != "" {
		req.Vehicle = &pave.Vehicle{VIN: v}
	} else if cmd.Flags().Changed("vin") {
		return cmdutil.Usagef("--vin: must not be empty")
	}
	refs, err := cmdutil.References(opts.References)
	if err != nil {
		return err
	}
	s := pave.SessionSettings{ClientID: strings.TrimSpace(opts.ClientID), Reference: refs}
	if s.ClientID != "" || refs != nil {
		req.Session = &s
	}
	return opts.WithClient(func(c *pave.Client) error {
		sess, err := c.Hotspots.CreateSession(opts.Ctx, &req)
		if err != nil {
			return cmdutil.FlagHint(cmd, err, map[string]string{"vehicle.vin": "--vin", "session.client_id": "--client-id"})
		}
		return opts.IO.Result(sess.Raw(), sess, func() { opts.IO.Printf("Session key: %s\n", sess.SessionKey) })
	})
}

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
and top edges), in 80 columns; --json prints the document as PAVE returned it.

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
	cmdutil.DurationVar(fl, &opts.Interval, "interval", 5*time.Second, 10*time.Millisecond,
		"with --wait: time between polls")
	cmdutil.DurationVar(fl, &opts.Timeout, "timeout", 10*time.Minute, 1,
		"with --wait: give up after this long (exit status 6)")
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
		get := func() (*pave.HotspotResults, error) { return c.Hotspots.Results(opts.Ctx, opts.Key) }
		if opts.Wait {
			get = func() (*pave.HotspotResults, error) {
				every := pave.PollInterval(opts.Interval, opts.Interval)
				return c.Hotspots.WaitForResults(ctx, opts.Key, pave.PollFirstAfter(0), every)
			}
		}
		res, err := get()
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
	f.IO.Printf("Hotspots results for session %s: %s\n", key, cmp.Or(res.Message, fmt.Sprintf("%d damages found.",
		res.DamageCount())))
	if len(res.Photos) == 0 {
		return
	}
	f.IO.Printf("\n")
	t := f.IO.Table("  LABEL", "COMPONENT", "DAMAGE", "POSITION", "REPAIR").Fit(80, 2, 4)
	for _, p := range res.Photos {
		label := "  " + report.Dash(string(cmp.Or(p.PhotoLabel, p.PhotoCode.Label())))
		if len(p.Damages) == 0 {
			t.Row(label, "-", "no damage", "-", "-")
		}
		for _, d := range p.Damages {
			pos := "-"
			if d.Coords != nil {
				pos = d.Coords.String()
			}
			t.Row(label, report.Dash(d.Component), report.DamageName(d.Description, d.DamageName), pos,
				report.Dash(d.RepairMethod))
		}
	}
	t.Print()
}
