package sessions

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/report"
)

func newCmdResults(f *cmdutil.Factory) *cobra.Command {
	return newKeyCmd(&keyOptions{Factory: f}, &cobra.Command{
		Use:   "results KEY",
		Short: "Print the condition report of a completed session",
		Long: `Print the condition report of a COMPLETE session (GET
/v1/sessions/{key}/results): the vehicle, its grade, and the worst damage of
each damaged component. --json prints the whole results document as PAVE
returned it. A session that is not complete yet exits with status 6; see
"pave sessions wait".`,
		Example: `  pave sessions results NSA-7K2D5MZ8WP
  pave sessions results NSA-7K2D5MZ8WP --json > results.json`,
	}, runResults)
}

func runResults(opts *keyOptions) error {
	return opts.WithClient(func(c *pave.Client) error {
		res, err := c.Sessions.Results(opts.Ctx, opts.Key)
		if err != nil {
			return hint(opts.cmd, err)
		}
		return printResults(opts.Factory, res)
	})
}

// printResults prints a results document: the report, or the document.
func printResults(f *cmdutil.Factory, res *pave.Results) error {
	return f.IO.Result(res.Raw(), res, func() {
		var b strings.Builder
		report.Write(&b, res)
		f.IO.Text(b.String())
	})
}
