package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/pave-go/pave"
)

// syncWriter lets the main flow and the webhook receiver print to the same
// writer without interleaving their lines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// Printf writes one formatted message.
func (s *syncWriter) Printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, format, args...)
}

// Report prints a short condition report: the vehicle, its grade and the
// worst damage of each damaged component, as aligned columns.
func (s *syncWriter) Report(res *pave.Results) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeReport(s.w, res)
}

func writeReport(out io.Writer, res *pave.Results) {
	sum := res.Summary() // grade, its label, damage count, worst damage per component
	v := res.Vehicle

	fmt.Fprintf(out, "Condition report for session %s\n", res.Session.SessionKey)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  Vehicle:\t%s\n", vehicleName(v))
	fmt.Fprintf(tw, "  VIN:\t%s\n", orDash(v.VIN))
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
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  COMPONENT\tDAMAGES\tWORST DAMAGE\tREPAIR")
	for _, c := range components {
		worst := sum.WorstByComponent[c]
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", orDash(c), len(byComponent[c]), damageName(worst), orDash(worst.RepairMethod))
	}
	_ = tw.Flush()
}

// vehicleName is "2020 Honda Accord Sport 1.5T", leaving out what PAVE did
// not decode.
func vehicleName(v pave.Vehicle) string {
	var parts []string
	if v.Year > 0 {
		parts = append(parts, fmt.Sprint(int64(v.Year)))
	}
	for _, p := range []string{v.Make, v.Model, v.Trim} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return orDash(strings.Join(parts, " "))
}

// damageName is the damage's human description with its code, e.g.
// "Scraped (SCRAPED_MEDIUM)".
func damageName(d pave.Damage) string {
	switch {
	case d.Description != "" && d.DamageName != "":
		return d.Description + " (" + d.DamageName + ")"
	case d.Description != "":
		return d.Description
	}
	return orDash(d.DamageName)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
