package output

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Table is rows of cells printed as aligned columns, two spaces apart.
type Table struct {
	p     *Printer
	rows  [][]string
	width int
	first []int
}

// Table starts a table; header, when given, is its first row.
func (p *Printer) Table(header ...string) *Table {
	t := &Table{p: p}
	if len(header) > 0 {
		t.rows = append(t.rows, header)
	}
	return t
}

// Fit makes Print cut the widest cells (ending them with …) until each
// line fits width columns: those of the columns first, down to 8
// characters, before any other.
func (t *Table) Fit(width int, first ...int) *Table {
	t.width, t.first = width, first
	return t
}

// Row adds a row; each cell is printed with %v and sanitized to one line.
func (t *Table) Row(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = Sanitize(fmt.Sprint(c))
	}
	t.rows = append(t.rows, row)
}

// Print writes the table.
func (t *Table) Print() {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	t.fit(widths)
	var b strings.Builder
	for _, r := range t.rows {
		line := ""
		for i, c := range r {
			c = cut(c, widths[i])
			line += c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2)
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	t.p.writeRaw(t.p.out, b.String())
}

// fit narrows the widest column, one character at a time, to t.width:
// first among t.first down to 8, then among all down to 4.
func (t *Table) fit(widths []int) {
	total := 2 * (len(widths) - 1)
	for _, w := range widths {
		total += w
	}
	all := make([]int, len(widths))
	for i := range all {
		all[i] = i
	}
	for _, pass := range []struct {
		cols []int
		min  int
	}{{t.first, 8}, {all, 4}} {
		for t.width > 0 && total > t.width {
			widest := -1
			for _, i := range pass.cols {
				if widths[i] > pass.min && (widest < 0 || widths[i] > widths[widest]) {
					widest = i
				}
			}
			if widest < 0 {
				break
			}
			widths[widest]--
			total--
		}
	}
}

// cut shortens s to n columns, ending it with … when it was longer.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
