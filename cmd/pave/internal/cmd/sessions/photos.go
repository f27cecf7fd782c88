package sessions

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/report"
)

func newCmdPhotos(f *cmdutil.Factory) *cobra.Command {
	return newKeyCmd(&keyOptions{Factory: f}, &cobra.Command{
		Use:   "photos KEY",
		Short: "List a session's photos with their quality-check verdicts",
		Long: `List the photos captured so far (GET /v1/sessions/{key}/photos), in
capture order, with the quality-check verdict of each. --json prints the
photos as PAVE returned them.`,
		Example: `  pave sessions photos NSA-7K2D5MZ8WP
  pave sessions photos NSA-7K2D5MZ8WP --json`,
	}, runPhotos)
}

func runPhotos(opts *keyOptions) error {
	return opts.WithClient(func(c *pave.Client) error {
		photos, err := c.Sessions.Photos(opts.Ctx, opts.Key)
		if err != nil {
			return hint(opts.cmd, err)
		}
		if opts.IO.JSON {
			raws := make([]json.RawMessage, len(photos))
			for i, p := range photos {
				raws[i] = p.Raw()
			}
			return opts.IO.RawList(raws, photos)
		}
		if len(photos) == 0 {
			opts.IO.Printf("No photos yet.\n")
			return nil
		}
		t := opts.IO.Table("CODE", "LABEL", "VERDICT")
		for _, p := range photos {
			label := p.PhotoLabel
			if label == "" {
				label = p.PhotoCode.Label()
			}
			verdict := "accepted"
			switch {
			case p.Rejected():
				verdict = "rejected: " + report.Dash(p.RejectionReason())
			case !p.Approved && p.ApprovedMessage != "":
				verdict = "pending: " + p.ApprovedMessage
			case !p.Approved:
				verdict = "pending"
			}
			t.Row(fmt.Sprintf("%02d", int(p.PhotoCode)), report.Dash(string(label)), verdict)
		}
		t.Print()
		return nil
	})
}
