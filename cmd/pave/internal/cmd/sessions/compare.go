package sessions

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/report"
)

// compareOptions are the options of pave sessions compare.
type compareOptions struct {
	*cmdutil.Factory
	Before, After string
	All           bool
}

func newCmdCompare(f *cmdutil.Factory) *cobra.Command {
	opts := &compareOptions{Factory: f}
	c := &cobra.Command{
		Use:   "compare BEFORE AFTER",
		Short: "Compare two inspections of one vehicle: new, repaired, worse and better damages",
		Long: `Compare the results of two COMPLETE sessions of one vehicle (a delivery and
its lease return, say): the damages that are new, repaired, worse or better,
by component and damage type, and the grade and odometer change. The sessions
must show the same VIN, and AFTER must not be older than BEFORE. --all lists
the unchanged damages too; --json prints the comparison.`,
		Example: "  pave sessions compare NSA-7K2D5MZ8WP NSA-4RX2C8QW1M\n  pave sessions compare NSA-7K2D5MZ8WP NSA-4RX2C8QW1M --json",
		Args:    cmdutil.ArgsNamed("BEFORE", "AFTER"),
	}
	c.Flags().BoolVar(&opts.All, "all", false, "list the unchanged damages too")
	opts.AddTimeoutFlag(c)
	c.RunE = func(_ *cobra.Command, args []string) error {
		opts.Before, opts.After = args[0], args[1]
		return opts.WithClient(func(cl *pave.Client) error { return hint(c, runCompare(opts, cl)) })
	}
	return c
}

func runCompare(opts *compareOptions, c *pave.Client) error {
	before, err := c.Sessions.Results(opts.Ctx, opts.Before)
	if err != nil {
		return err
	}
	after, err := c.Sessions.Results(opts.Ctx, opts.After)
	if err != nil {
		return err
	}
	cmp, err := pave.CompareResults(before, after)
	if err != nil {
		return err
	}
	if opts.IO.JSON {
		return opts.IO.JSONValue(cmp)
	}
	side := func(name string, r *pave.Results, grade *int, odo *int64, unit pave.OdometerUnit) {
		when := "-"
		if t := r.Session.InspectStartedAt; !t.IsZero() {
			when = t.UTC().Format("2006-01-02 15:04 UTC")
		}
		g, o := "grade -", "-"
		if grade != nil {
			g = fmt.Sprintf("grade %d", *grade)
		}
		if odo != nil {
			o = fmt.Sprintf("%d %s", *odo, unit)
		}
		opts.IO.Printf("%-8s %-16s %-21s %-8s %s\n", name, r.Session.SessionKey, when, g, o)
	}
	opts.IO.Printf("%-8s %s\n", "Vehicle", report.Dash(cmp.VIN))
	side("Before", before, cmp.GradeBefore, cmp.OdometerBefore, cmp.OdometerUnitBefore)
	side("After", after, cmp.GradeAfter, cmp.OdometerAfter, cmp.OdometerUnitAfter)
	opts.IO.Printf("\n")
	t := opts.IO.Table("CHANGE", "COMPONENT", "DAMAGE").Fit(80, 2)
	rows := func(change string, list []pave.Damage) {
		for _, d := range list {
			t.Row(change, report.Dash(d.Component), report.Dash(damageName(d)))
		}
	}
	rows("new", cmp.New)
	rows("repaired", cmp.Repaired)
	for _, ch := range cmp.Worsened {
		t.Row("worse", report.Dash(ch.After.Component), damageName(ch.Before)+" -> "+damageName(ch.After))
	}
	for _, ch := range cmp.Improved {
		t.Row("better", report.Dash(ch.After.Component), damageName(ch.Before)+" -> "+damageName(ch.After))
	}
	if opts.All {
		for _, ch := range cmp.Unchanged {
			t.Row("same", report.Dash(ch.After.Component), damageName(ch.After))
		}
	}
	t.Print()
	opts.IO.Printf("\n%s\n", strings.ReplaceAll(cmp.String(), "; ", "\n"))
	for _, n := range cmp.Notes {
		opts.IO.Printf("note: %s\n", n)
	}
	return nil
}

// damageName is a damage's name as the results print it.
func damageName(d pave.Damage) string {
	if d.DamageName != "" {
		return d.DamageName
	}
	return report.Dash(d.Label)
}
