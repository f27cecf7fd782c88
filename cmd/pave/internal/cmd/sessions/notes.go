package sessions

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/report"
)

func newCmdNotes(f *cmdutil.Factory) *cobra.Command {
	return newKeyCmd(&keyOptions{Factory: f}, &cobra.Command{
		Use:   "notes KEY",
		Short: "List the notes attached to a session",
		Long: `List the notes attached to a session (GET /v1/sessions/{key}/notes).
--json prints the notes as PAVE returned them.`,
		Example: `  pave sessions notes NSA-7K2D5MZ8WP
  pave sessions notes NSA-7K2D5MZ8WP --json`,
	}, runNotes)
}

func runNotes(opts *keyOptions) error {
	return opts.WithClient(func(c *pave.Client) error {
		notes, err := c.Sessions.Notes(opts.Ctx, opts.Key)
		if err != nil {
			return hint(opts.cmd, err)
		}
		if opts.IO.JSON {
			raws := make([]json.RawMessage, len(notes))
			for i, n := range notes {
				raws[i] = n.Raw()
			}
			return opts.IO.RawList(raws, notes)
		}
		if len(notes) == 0 {
			opts.IO.Printf("No notes.\n")
			return nil
		}
		t := opts.IO.Table("TITLE", "CREATED")
		for _, n := range notes {
			title := n.Title
			if title == "" {
				title = n.Description
			}
			t.Row(report.Dash(title), timeOrDash(n.CreatedAt))
		}
		t.Print()
		return nil
	})
}
