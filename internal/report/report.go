// Package report prints a PAVE condition report as aligned text: the one
// layout the quickstart and the pave command share.
package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/pave-go/pave"
)

// Write prints a short condition report: the vehicle, its grade and the
// worst damage of each damaged component, as aligned columns.
func Write(out io.Writer, res *pave.Results) {
	sum := res.Summary() // grade, its label, damage count, worst damage per component
	v := res.Vehicle

	fmt.Fprintf(out, "Condition report for session %s\n", res.Session.SessionKey)
	tw := Table(out)
	fmt.Fprintf(tw, "  Vehicle:\t%s\n", VehicleName(v))
	fmt.Fprintf(tw, "  VIN:\t%s\n", Dash(v.VIN))
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
	tw = Table(out)
	fmt.Fprintln(tw, "  COMPONENT\tDAMAGES\tWORST DAMAGE\tREPAIR")
	for _, c := range components {
		worst := sum.WorstByComponent[c]
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", Dash(c), len(byComponent[c]), DamageName(worst.Description, worst.DamageName), Dash(worst.RepairMethod))
	}
	_ = tw.Flush()
}

// Table returns the aligned-columns writer every table uses; call Flush.
func Table(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// VehicleName is "2020 Honda Accord Sport", leaving out what PAVE did not
// decode.
func VehicleName(v pave.Vehicle) string {
	var parts []string
	if v.Year > 0 {
		parts = append(parts, fmt.Sprint(int64(v.Year)))
	}
	for _, p := range []string{v.Make, v.Model, v.Trim} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return Dash(strings.Join(parts, " "))
}

// DamageName is a damage's human description with its code, e.g.
// "Scraped (SCRAPED_MEDIUM)".
func DamageName(description, code string) string {
	switch {
	case description != "" && code != "":
		return description + " (" + code + ")"
	case description != "":
		return description
	}
	return Dash(code)
}

// Dash is s, or "-" when s is empty.
func Dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
