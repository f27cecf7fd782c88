package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/report"
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
	report.Write(s.w, res) // the layout the pave command prints too
}
