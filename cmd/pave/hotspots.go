package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/report"
)

func init() {
	commands = append(commands, hotspotsCommand)
}

func hotspotsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hotspots",
		Short: "Analyse photos you already have (Hotspots)",
		Long: `Hotspots analyses photos you already have: create a session, submit one
photo URL per standard view, then fetch the damages found on each photo with
their position in the image.

Labels: VIN, Interior, Cluster, Left, Front, Tires, Right, Rear,
Windshield, Front_Left, Front_Right, Rear_Right, Rear_Left (any case).`,
		Example: `  pave hotspots create --vin 1HGCV1F39LA012345
  pave hotspots upload NSA-7K2D5MZ8WP --photo front_left=https://cdn.example/fl.jpg --photo rear=https://cdn.example/r.jpg
  pave hotspots results NSA-7K2D5MZ8WP --wait --timeout 10m`,
		Args: cobra.NoArgs, // an unknown subcommand is a usage error
		RunE: groupHelp,
	}
	cmd.AddCommand(hotspotsCreateCommand(a), hotspotsUploadCommand(a), hotspotsResultsCommand(a))
	return cmd
}

func hotspotsCreateCommand(a *app) *cobra.Command {
	var vin, clientID string
	var references []string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a session to submit photos to",
		Long: `Create the session Hotspots photos are submitted to (POST /v1/sessions)
and print its key. --json prints the session as PAVE returned it.`,
		Example: `  pave hotspots create
  pave hotspots create --vin 1HGCV1F39LA012345 --client-id STOCK-4411 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var req pave.CreateSessionRequest
			if v := strings.TrimSpace(vin); v != "" {
				req.Vehicle = &pave.Vehicle{VIN: v}
			} else if cmd.Flags().Changed("vin") {
				return usagef("--vin: must not be empty")
			}
			var s pave.SessionSettings
			s.ClientID = strings.TrimSpace(clientID)
			for _, kv := range references {
				k, v, err := splitKeyValue("--reference", kv, "KEY=VALUE")
				if err != nil {
					return err
				}
				if s.Reference == nil {
					s.Reference = map[string]any{}
				}
				s.Reference[k] = v
			}
			if s.ClientID != "" || s.Reference != nil {
				req.Session = &s
			}
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				sess, err := c.Hotspots.CreateSession(ctx, &req)
				if err != nil {
					return withFlagHint(err, sessionFieldFlags)
				}
				if a.jsonOut {
					return a.printRaw(sess.Raw(), sess)
				}
				_, err = fmt.Fprintf(a.stdout, "Session key: %s\n", sess.SessionKey)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&vin, "vin", "", "vehicle VIN (optional)")
	cmd.Flags().StringVar(&clientID, "client-id", "", "your own ID for the session")
	cmd.Flags().StringArrayVar(&references, "reference", nil, "pass-through data as KEY=VALUE (repeatable)")
	return cmd
}

// parsePhotoFlag reads one --photo LABEL=URL.
func parsePhotoFlag(arg string) (pave.HotspotPhoto, error) {
	l, raw, err := splitKeyValue("--photo", arg, "LABEL=URL")
	if err != nil {
		return pave.HotspotPhoto{}, err
	}
	label := pave.PhotoLabel(l)
	if !label.Known() {
		return pave.HotspotPhoto{}, usagef("--photo %q: unknown label %q (one of %s, in any case)", arg, l, photoLabelList())
	}
	raw = strings.TrimSpace(raw)
	u, perr := url.Parse(raw)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return pave.HotspotPhoto{}, usagef("--photo %q: URL must be an absolute http or https URL", arg)
	}
	return pave.HotspotPhoto{PhotoLabel: label.Code().Label(), URL: raw}, nil
}

func photoLabelList() string {
	labels := make([]string, 0, 13)
	for code := pave.PhotoCode(1); code <= 13; code++ {
		labels = append(labels, string(code.Label()))
	}
	return strings.Join(labels, ", ")
}

func hotspotsUploadCommand(a *app) *cobra.Command {
	var photos []string
	cmd := &cobra.Command{
		Use:   "upload KEY --photo LABEL=URL...",
		Short: "Submit photo URLs to a Hotspots session",
		Long: `Submit photos by URL to a Hotspots session (POST
/v1/hotspots/{key}/photos-url), one --photo LABEL=URL per standard view,
and print PAVE's verdict on each. The URLs must be publicly fetchable.
Exit status 1 when PAVE refused any photo (the others were accepted).`,
		Example: `  pave hotspots upload NSA-7K2D5MZ8WP \
      --photo front_left=https://cdn.example/fl.jpg \
      --photo Rear=https://cdn.example/r.jpg`,
		Args: argsNamed("KEY"),
		RunE: func(_ *cobra.Command, args []string) error {
			if len(photos) == 0 {
				return usagef("--photo: give at least one LABEL=URL")
			}
			list := make([]pave.HotspotPhoto, 0, len(photos))
			for _, p := range photos {
				hp, err := parsePhotoFlag(p)
				if err != nil {
					return err
				}
				list = append(list, hp)
			}
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				ups, err := c.Hotspots.UploadPhotos(ctx, args[0], list)
				if err != nil {
					return withFlagHint(err, photoFieldFlags(len(list)))
				}
				if a.jsonOut {
					if err := a.printJSON(ups); err != nil {
						return err
					}
				} else {
					tw := report.Table(a.stdout)
					fmt.Fprintln(tw, "LABEL\tVERDICT")
					for _, u := range ups {
						verdict := "accepted"
						if !u.Success {
							verdict = "refused: " + report.Dash(u.Message)
						}
						fmt.Fprintf(tw, "%s\t%s\n", report.Dash(string(u.PhotoLabel)), verdict)
					}
					if err := tw.Flush(); err != nil {
						return err
					}
				}
				if failed := pave.FailedUploads(ups); len(failed) > 0 {
					return exitCodeError{code: exitError, msg: fmt.Sprintf("PAVE refused %d of %d photos", len(failed), len(ups))}
				}
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVar(&photos, "photo", nil, "a photo as LABEL=URL, e.g. front_left=https://cdn.example/fl.jpg (repeatable)")
	return cmd
}

// photoFieldFlags points the field errors of n photos at --photo.
func photoFieldFlags(n int) map[string]string {
	m := map[string]string{"session_key": "KEY", "photos": "--photo"}
	for i := range n {
		m[fmt.Sprintf("photos[%d].photo_label", i)] = "--photo"
		m[fmt.Sprintf("photos[%d].url", i)] = "--photo"
		m[fmt.Sprintf("photos[%d]", i)] = "--photo"
	}
	return m
}

func hotspotsResultsCommand(a *app) *cobra.Command {
	var wait bool
	var interval, timeout time.Duration
	cmd := &cobra.Command{
		Use:   "results KEY",
		Short: "Print the damages found on each photo",
		Long: `Print the damages Hotspots found on each photo (GET /v1/hotspots/{key}):
label, component, damage and position on the image (percent from the left
and top edges). --json prints the document as PAVE returned it.

While PAVE is still analysing the photos this exits with status 6; --wait
polls until the analysis is done (or --timeout passes: status 6).`,
		Example: `  pave hotspots results NSA-7K2D5MZ8WP
  pave hotspots results NSA-7K2D5MZ8WP --wait --timeout 10m --json`,
		Args: argsNamed("KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !wait {
				for _, f := range []string{"timeout", "interval"} {
					if cmd.Flags().Changed(f) {
						return usagef("--%s: needs --wait", f)
					}
				}
			}
			if interval < 10*time.Millisecond {
				return usagef("--interval %s: must be at least 10ms", interval)
			}
			if timeout <= 0 {
				return usagef("--timeout %s: must be more than 0", timeout)
			}
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				var res *pave.HotspotResults
				var err error
				if wait {
					ctx, cancel := context.WithTimeout(ctx, timeout)
					defer cancel()
					res, err = c.Hotspots.WaitForResults(ctx, args[0], pave.PollFirstAfter(0), pave.PollInterval(interval, interval))
				} else {
					res, err = c.Hotspots.Results(ctx, args[0])
				}
				if err != nil {
					return withFlagHint(err, sessionFieldFlags)
				}
				if a.jsonOut {
					return a.printRaw(res.Raw(), res)
				}
				writeHotspotResults(a, args[0], res)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "poll until PAVE has analysed the photos")
	cmd.Flags().DurationVar(&interval, "interval", 5*time.Second, "with --wait: time between polls (at least 10ms)")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "with --wait: give up after this long (exit status 6)")
	return cmd
}

// writeHotspotResults prints one row per damage, and a row for each photo
// without any.
func writeHotspotResults(a *app, key string, res *pave.HotspotResults) {
	msg := res.Message
	if msg == "" {
		msg = fmt.Sprintf("%d damages found.", res.DamageCount())
	}
	fmt.Fprintf(a.stdout, "Hotspots results for session %s: %s\n", key, msg)
	if len(res.Photos) == 0 {
		return
	}
	fmt.Fprintln(a.stdout)
	tw := report.Table(a.stdout)
	fmt.Fprintln(tw, "  LABEL\tCOMPONENT\tDAMAGE\tPOSITION\tREPAIR")
	for _, p := range res.Photos {
		label := p.PhotoLabel
		if label == "" {
			label = p.PhotoCode.Label()
		}
		if len(p.Damages) == 0 {
			fmt.Fprintf(tw, "  %s\t-\tno damage\t-\t-\n", report.Dash(string(label)))
		}
		for _, d := range p.Damages {
			pos := "-"
			if d.Coords != nil {
				pos = d.Coords.String()
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", report.Dash(string(label)), report.Dash(d.Component),
				report.DamageName(d.Description, d.DamageName), pos, report.Dash(d.RepairMethod))
		}
	}
	_ = tw.Flush()
}
