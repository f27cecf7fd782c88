package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/pave-go/pave"
)

// writeConditionReport prints a short condition report: the vehicle, its
// grade and the worst damage of each damaged component, as aligned
// columns (the layout of examples/quickstart).
func writeConditionReport(out io.Writer, res *pave.Results) {
	sum := res.Summary() // grade, its label, damage count, worst damage per component
	v := res.Vehicle

	fmt.Fprintf(out, "Condition report for session %s\n", res.Session.SessionKey)
	tw := tabOut(out)
	fmt.Fprintf(tw, "  Vehicle:\t%s\n", reportVehicleName(v))
	fmt.Fprintf(tw, "  VIN:\t%s\n", dashIfEmpty(v.VIN))
	if sum.Graded {
		fmt.Fprintf(tw, "  Grade:\t%d/5, %s\n", sum.Grade, sum.GradeLabel)
	} else {
		fmt.Fprintf(tw, "  Grade:\tnot reported\n")
	}
	fmt.Fprintf(tw, "  Damages:\t%d\n", sum.DamageCount)
	_ = tw.Flush()
	if len(sum.WorstByComponent) == 0 {
		return
	}

	byComponent := res.DamagesByComponent()
	components := make([]string, 0, len(sum.WorstByComponent))
	for c := range sum.WorstByComponent {
		components = append(components, c)
	}
	slices.Sort(components)

	fmt.Fprintln(out)
	tw = tabOut(out)
	fmt.Fprintln(tw, "  COMPONENT\tDAMAGES\tWORST DAMAGE\tREPAIR")
	for _, c := range components {
		worst := sum.WorstByComponent[c]
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", dashIfEmpty(c), len(byComponent[c]), reportDamageName(worst.Description, worst.DamageName), dashIfEmpty(worst.RepairMethod))
	}
	_ = tw.Flush()
}

// tabOut returns the aligned-columns writer every table uses.
func tabOut(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// reportVehicleName is "2020 Honda Accord Sport", leaving out what PAVE
// did not decode.
func reportVehicleName(v pave.Vehicle) string {
	var parts []string
	if v.Year > 0 {
		parts = append(parts, fmt.Sprint(int64(v.Year)))
	}
	for _, p := range []string{v.Make, v.Model, v.Trim} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return dashIfEmpty(strings.Join(parts, " "))
}

// reportDamageName is a damage's human description with its code, e.g.
// "Scraped (SCRAPED_MEDIUM)".
func reportDamageName(description, code string) string {
	switch {
	case description != "" && code != "":
		return description + " (" + code + ")"
	case description != "":
		return description
	}
	return dashIfEmpty(code)
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
