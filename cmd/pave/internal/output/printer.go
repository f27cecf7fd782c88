// Package output is the one way the pave command writes to its streams:
// text and tables for people, with every string that comes from elsewhere
// made inert by Sanitize, and --json exact (the API's own JSON, escaped).
package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
)

// Printer writes a command's output to its standard output and error.
// Its methods are safe for concurrent use.
type Printer struct {
	// JSON is --json: the command prints JSON instead of text.
	JSON bool

	out, err io.Writer
	tty      bool
	mu       sync.Mutex
}

// New returns a Printer writing to out and err; out is a terminal when it
// is a character device.
func New(out, err io.Writer) *Printer {
	p := &Printer{out: out, err: err}
	if f, ok := out.(*os.File); ok {
		st, err := f.Stat()
		p.tty = err == nil && st.Mode()&os.ModeCharDevice != 0
	}
	return p
}

// SetTerminal overrides whether standard output counts as a terminal
// (for tests).
func (p *Printer) SetTerminal(tty bool) { p.tty = tty }

// IsTerminal reports whether standard output is a terminal.
func (p *Printer) IsTerminal() bool { return p.tty }

// Printf writes to standard output; each argument that is text (a
// string, an error, a Stringer) is sanitized to one line first. The format
// is the program's own.
func (p *Printer) Printf(format string, a ...any) {
	p.write(p.out, fmt.Sprintf(format, inertArgs(a)...))
}

// Eprintf is Printf to standard error.
func (p *Printer) Eprintf(format string, a ...any) {
	p.write(p.err, fmt.Sprintf(format, inertArgs(a)...))
}

// Notef writes "pave: " and the message, sanitized, as one line to
// standard error.
func (p *Printer) Notef(format string, a ...any) {
	p.write(p.err, "pave: "+Sanitize(strings.TrimPrefix(fmt.Sprintf(format, a...), "pave: "))+"\n")
}

// Text writes a block of lines composed elsewhere (a report), sanitized
// with its newlines and tabs kept.
func (p *Printer) Text(s string) { p.write(p.out, s) }

// Writer is an io.Writer of standard output (standard error when stderr),
// sanitized as Text, for what cobra writes: help, versions, completions.
func (p *Printer) Writer(stderr bool) io.Writer {
	w := p.out
	if stderr {
		w = p.err
	}
	return writerFunc(func(b []byte) (int, error) {
		p.write(w, string(b))
		return len(b), nil
	})
}

type writerFunc func([]byte) (int, error)

// Write calls f.
func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// Status rewrites the one-line status shown on a terminal (nothing
// otherwise, or with --json); ClearStatus erases it.
func (p *Printer) Status(format string, a ...any) {
	if p.tty && !p.JSON {
		p.writeRaw(p.out, "\r\033[K"+Sanitize(fmt.Sprintf(format, a...)))
	}
}

// ClearStatus erases the status line.
func (p *Printer) ClearStatus() { p.Status("") }

// Result prints an API object: as PAVE returned it with --json (raw; v
// when there is no raw form), else with human.
func (p *Printer) Result(raw json.RawMessage, v any, human func()) error {
	if p.JSON {
		return p.Raw(raw, v)
	}
	human()
	return nil
}

// JSONValue writes v as indented JSON.
func (p *Printer) JSONValue(v any) error { return p.encode(v, "  ") }

// JSONLine writes v as JSON on one line (JSON Lines).
func (p *Printer) JSONLine(v any) error { return p.encode(v, "") }

// Raw writes an API object as PAVE returned it, indented, or v when raw is
// empty or not JSON.
func (p *Printer) Raw(raw json.RawMessage, v any) error {
	var buf bytes.Buffer
	if len(raw) == 0 || json.Indent(&buf, raw, "", "  ") != nil {
		return p.JSONValue(v)
	}
	buf.WriteByte('\n')
	p.writeRaw(p.out, string(escapeJSON(buf.Bytes())))
	return nil
}

// List prints a list: with --json each item as raw gives it (v as JSON
// when raw is nil or an item has no raw form), else none when the list is
// empty, else a table of header and a row of cells per item.
func List[T any](p *Printer, items []T, v any, raw func(T) json.RawMessage, none string, header []string,
	cells func(T) []any) error {
	if p.JSON {
		raws := make([][]byte, len(items))
		for i, it := range items {
			if raw == nil || len(raw(it)) == 0 {
				return p.JSONValue(v)
			}
			raws[i] = raw(it)
		}
		list := append([]byte{'['}, bytes.Join(raws, []byte{','})...)
		return p.Raw(append(list, ']'), v)
	}
	if len(items) == 0 {
		p.Printf("%s\n", none)
		return nil
	}
	t := p.Table(header...)
	for _, it := range items {
		t.Row(cells(it)...)
	}
	t.Print()
	return nil
}

func (p *Printer) encode(v any, indent string) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return err
	}
	p.writeRaw(p.out, string(escapeJSON(buf.Bytes())))
	return nil
}

// write writes s sanitized, lines kept.
func (p *Printer) write(w io.Writer, s string) { p.writeRaw(w, sanitize(s, true)) }

func (p *Printer) writeRaw(w io.Writer, s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = io.WriteString(w, s)
}

// inertArgs sanitizes the arguments that are text; numbers stay numbers
// for their verbs.
func inertArgs(a []any) []any {
	out := make([]any, len(a))
	for i, v := range a {
		out[i] = v
		switch t := v.(type) {
		case error:
			out[i] = Sanitize(t.Error())
		case fmt.Stringer:
			if k := reflect.ValueOf(v).Kind(); k < reflect.Int || k > reflect.Complex128 {
				out[i] = Sanitize(t.String())
			}
		default:
			if v != nil && reflect.ValueOf(v).Kind() == reflect.String {
				out[i] = Sanitize(reflect.ValueOf(v).String())
			}
		}
	}
	return out
}
