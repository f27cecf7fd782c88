package sessions

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/report"
)

func newCmdCompare(f *cmdutil.Factory) *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:   "compare BEFORE AFTER",
		Short: "Compare two inspections of one vehicle: new, repaired, worse and better damages",
		Long: `Compare the results of two COMPLETE sessions of one vehicle (a delivery and
its lease return, say): the damages that are new, repaired, worse or better,
by component and damage type, and the grade and odometer change. The sessions
must show the same VIN, and AFTER must not be older than BEFORE. --all lists
the unchanged damages too; --json prints the comparison.`,
		Example: `  pave sessions compare NSA-7K2D5MZ8WP NSA-4RX2C8QW1M
  pave sessions compare NSA-7K2D5MZ8WP NSA-4RX2C8QW1M --json`,
	}
	c.Flags().BoolVar(&all, "all", false, "list the unchanged damages too")
	return f.API(c, fieldFlags, func(cl *pave.Client, args []string) error {
		return runCompare(f, cl, args[0], args[1], all)
	}, "BEFORE", "AFTER")
}

func runCompare(f *cmdutil.Factory, c *pave.Client, beforeKey, afterKey string, all bool) error {
	before, err := c.Sessions.Results(f.Ctx, beforeKey)
	if err != nil {
		return err
	}
	after, err := c.Sessions.Results(f.Ctx, afterKey)
	if err != nil {
		return err
	}
	cmp, err := pave.CompareResults(before, after)
	if err != nil {
		return err
	}
	if f.IO.JSON {
		return f.IO.JSONValue(cmp)
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
		f.IO.Printf("%-8s %-16s %-21s %-8s %s\n", name, r.Session.SessionKey, when, g, o)
	}
	f.IO.Printf("%-8s %s\n", "Vehicle", report.Dash(cmp.VIN))
	side("Before", before, cmp.GradeBefore, cmp.OdometerBefore, cmp.OdometerUnitBefore)
	side("After", after, cmp.GradeAfter, cmp.OdometerAfter, cmp.OdometerUnitAfter)
	f.IO.Printf("\n")
	name := func(d pave.Damage) string { return report.DamageName(d.DamageName, d.Label) }
	t := f.IO.Table("CHANGE", "COMPONENT", "DAMAGE").Fit(80, 2)
	for _, d := range cmp.New {
		t.Row("new", report.Dash(d.Component), name(d))
	}
	for _, d := range cmp.Repaired {
		t.Row("repaired", report.Dash(d.Component), name(d))
	}
	for _, ch := range cmp.Worsened {
		t.Row("worse", report.Dash(ch.After.Component), name(ch.Before)+" -> "+name(ch.After))
	}
	for _, ch := range cmp.Improved {
		t.Row("better", report.Dash(ch.After.Component), name(ch.Before)+" -> "+name(ch.After))
	}
	for _, ch := range cmp.Unchanged {
		if all {
			t.Row("same", report.Dash(ch.After.Component), name(ch.After))
		}
	}
	t.Print()
	f.IO.Printf("\n%s\n", strings.ReplaceAll(cmp.String(), "; ", "\n"))
	for _, n := range cmp.Notes {
		f.IO.Printf("note: %s\n", n)
	}
	return nil
}
