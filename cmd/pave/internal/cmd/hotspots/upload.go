package hotspots

import (
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/report"
)

func newCmdUpload(f *cmdutil.Factory) *cobra.Command {
	var photos []string
	var list []pave.HotspotPhoto
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
	}
	cmd.Flags().StringArrayVar(&photos, "photo", nil,
		"a photo as LABEL=URL, e.g. front_left=https://cdn.example/fl.jpg (repeatable)")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if len(photos) == 0 {
			return cmdutil.Usagef("--photo: give at least one LABEL=URL")
		}
		for _, p := range photos {
			hp, err := parsePhoto(p)
			if err != nil {
				return err
			}
			list = append(list, hp)
		}
		return nil
	}
	return f.API(cmd, map[string]string{"session_key": "KEY", "photos": "--photo"}, func(c *pave.Client,
		args []string) error {
		ups, err := c.Hotspots.UploadPhotos(f.Ctx, args[0], list)
		if err != nil {
			return err
		}
		err = f.IO.Result(nil, ups, func() {
			t := f.IO.Table("LABEL", "VERDICT")
			for _, u := range ups {
				verdict := "accepted"
				if !u.Success {
					verdict = "refused: " + report.Dash(u.Message)
				}
				t.Row(report.Dash(string(u.PhotoLabel)), verdict)
			}
			t.Print()
		})
		if failed := pave.FailedUploads(ups); err == nil && len(failed) > 0 {
			return cmdutil.Exitf(cmdutil.ExitError, "PAVE refused %d of %d photos", len(failed), len(ups))
		}
		return err
	}, "KEY")
}

// parsePhoto reads one --photo LABEL=URL.
func parsePhoto(arg string) (pave.HotspotPhoto, error) {
	l, raw, err := cmdutil.SplitKeyValue("--photo", arg, "LABEL=URL")
	if err != nil {
		return pave.HotspotPhoto{}, err
	}
	label := pave.PhotoLabel(l)
	if !label.Known() {
		var labels []string
		for code := pave.PhotoCode(1); code <= 13; code++ {
			labels = append(labels, string(code.Label()))
		}
		return pave.HotspotPhoto{}, cmdutil.Usagef("--photo %q: unknown label %q (one of %s, in any case)", arg, l,
			strings.Join(labels, ", "))
	}
	raw = strings.TrimSpace(raw)
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return pave.HotspotPhoto{}, cmdutil.Usagef("--photo %q: URL must be an absolute http or https URL", arg)
	}
	return pave.HotspotPhoto{PhotoLabel: label.Code().Label(), URL: raw}, nil
}
