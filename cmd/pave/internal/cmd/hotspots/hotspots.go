// Package hotspots is pave hotspots: analyse photos you already have
// (create, upload in upload.go, results).
package hotspots

import (
	"cmp"
	"context"
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

func newCmdCreate(f *cmdutil.Factory) *cobra.Command {
	var vin, clientID string
	var refs []string
	var req pave.CreateSessionRequest
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a session to submit photos to (POST /v1/sessions) and print its key",
		Example: `  pave hotspots create
  pave hotspots create --vin 1HGCV1F39LA012345 --client-id STOCK-4411 --json`,
	}
	cmd.Flags().StringVar(&vin, "vin", "", "vehicle VIN (optional)")
	cmd.Flags().StringVar(&clientID, "client-id", "", "your own ID for the session")
	cmd.Flags().StringArrayVar(&refs, "reference", nil, "pass-through data as KEY=VALUE (repeatable)")
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if v := strings.TrimSpace(vin); v != "" {
			req.Vehicle = &pave.Vehicle{VIN: v}
		} else if cmd.Flags().Changed("vin") {
			return cmdutil.Usagef("--vin: must not be empty")
		}
		references, err := cmdutil.References(refs)
		if err != nil {
			return err
		}
		s := pave.SessionSettings{ClientID: strings.TrimSpace(clientID), Reference: references}
		if s.ClientID != "" || references != nil {
			req.Session = &s
		}
		return nil
	}
	fields := map[string]string{"vehicle.vin": "--vin", "session.client_id": "--client-id"}
	return f.API(cmd, fields, func(c *pave.Client, _ []string) error {
		sess, err := c.Hotspots.CreateSession(f.Ctx, &req)
		if err != nil {
			return err
		}
		return f.IO.Result(sess.Raw(), sess, func() { f.IO.Printf("Session key: %s\n", sess.SessionKey) })
	})
}

func newCmdResults(f *cmdutil.Factory) *cobra.Command {
	var wait bool
	var poll cmdutil.Poll
	cmd := &cobra.Command{
		Use:   "results KEY",
		Short: "Print the damages found on each photo",
		Long: `Print the damages Hotspots found on each photo (GET /v1/hotspots/{key}):
label, component, damage and position on the image (percent from the left
and top edges), in 80 columns; --json prints the document as PAVE returned it.
While PAVE is still analysing the photos this exits with status 6; --wait
polls until the analysis is done (or --timeout passes: status 6).`,
		Example: `  pave hotspots results NSA-7K2D5MZ8WP
  pave hotspots results NSA-7K2D5MZ8WP --wait --timeout 10m --json`,
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "poll until PAVE has analysed the photos")
	poll.AddFlags(cmd.Flags(), 10*time.Minute, "with --wait: ")
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		for _, name := range []string{"timeout", "interval"} {
			if !wait && cmd.Flags().Changed(name) {
				return cmdutil.Usagef("--%s: needs --wait", name)
			}
		}
		return nil
	}
	return f.API(cmd, map[string]string{"session_key": "KEY"}, func(c *pave.Client, args []string) error {
		key := args[0]
		var res *pave.HotspotResults
		var err error
		if wait {
			err = poll.Wait(f.Ctx, func(ctx context.Context, opts ...pave.CallOption) (err error) {
				res, err = c.Hotspots.WaitForResults(ctx, key, opts...)
				return err
			})
		} else {
			res, err = c.Hotspots.Results(f.Ctx, key)
		}
		if err != nil {
			return err
		}
		return f.IO.Result(res.Raw(), res, func() { printResults(f, key, res) })
	}, "KEY")
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
