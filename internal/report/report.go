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

	// The worst damage comes last and is cut to keep every line within
	// Width columns.
	rows := [][3]string{{"COMPONENT", "N", "REPAIR"}}
	last := []string{"WORST DAMAGE"}
	for _, c := range components {
		worst := sum.WorstByComponent[c]
		rows = append(rows, [3]string{Dash(c), fmt.Sprint(len(byComponent[c])), Dash(worst.RepairMethod)})
		last = append(last, DamageName(worst.Description, worst.DamageName))
	}
	var widths [3]int
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], len(cell))
		}
	}
	room := Width - (2 + widths[0] + 2 + widths[1] + 2 + widths[2] + 2)
	fmt.Fprintln(out)
	for i, r := range rows {
		fmt.Fprintf(out, "  %-*s  %-*s  %-*s  %s\n", widths[0], r[0], widths[1], r[1], widths[2], r[2], cut(last[i], room))
	}
}

// Width is the widest line Write prints: a terminal's 80 columns.
const Width = 80

// cut shortens s to n runes, ending with "..." when it cut.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 4 {
		return s
	}
	return string(r[:n-3]) + "..."
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

// DamageName is a damage's human description, e.g. "Scraped", or its code
// when it has none.
func DamageName(description, code string) string {
	if description != "" {
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
