package callbacks

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/redact"
	"github.com/pave-go/pave/internal/report"
)

func newCmdList(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the callback settings of the API key",
		Long: `List the callback settings of the API key (GET /v1/callbacks), with
header names only. --json prints the settings as PAVE returned them, values
redacted.`,
		Example: `  pave callbacks list
  pave callbacks list --json | jq -r '.[].event'`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runList(f) },
	}
	f.AddTimeoutFlag(cmd)
	return cmd
}

func runList(f *cmdutil.Factory) error {
	return f.WithClient(func(c *pave.Client) error {
		cbs, err := c.Webhooks.List(f.Ctx)
		switch {
		case err != nil:
			return err
		case f.IO.JSON:
			raws := make([]json.RawMessage, len(cbs))
			for i, cb := range cbs {
				raws[i] = redacted(cb)
			}
			return f.IO.RawList(raws, []any{})
		case len(cbs) == 0:
			f.IO.Printf("No callback settings.\n")
			return nil
		}
		t := f.IO.Table("EVENT", "METHOD", "URL", "HEADERS")
		for _, cb := range cbs {
			t.Row(cb.Event, method(cb.Method), report.Dash(redact.URL(cb.URL)),
				report.Dash(strings.Join(slices.Sorted(maps.Keys(cb.Headers)), ", ")))
		}
		t.Print()
		return nil
	})
}
