package pavetest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// logRing keeps the newest max entries of a log in a ring, so recording one
// more entry is O(1) however long the log; the server's mutex guards it.
type logRing[T any] struct {
	items []T
	head  int // index of the oldest entry once the ring is full
}

// add appends v, overwriting the oldest entry when max entries are held,
// and returns its index.
func (r *logRing[T]) add(v T, max int) int {
	if len(r.items) < max {
		r.items = append(r.items, v)
		return len(r.items) - 1
	}
	i := r.head
	r.items[i] = v
	r.head = (r.head + 1) % len(r.items)
	return i
}

// snapshot returns the entries, oldest first, each passed through clone
// so callers cannot reach the log's own headers and bodies.
func snapshot[T, V any](r *logRing[T], clone func(T) V) []V {
	return viewsOf(slices.Concat(r.items[r.head:], r.items[:r.head]), clone)
}

// reset forgets every entry.
func (r *logRing[T]) reset() { *r = logRing[T]{} }

// logLine writes one line of key, value pairs to Options.Log: JSON with
// LogJSON, else key=value text. Callers pass no secret, phone, name, token
// or body.
func (s *Server) logLine(kv ...any) {
	var b []byte
	for i := 0; i+1 < len(kv); i += 2 {
		k, v := kv[i].(string), kv[i+1]
		if s.opts.LogJSON {
			kb, _ := marshal(k)
			vb, _ := marshal(v)
			b = append(append(append(append(b, ","[:min(len(b), 1)]...), kb...), ':'), vb...)
			continue
		}
		text := fmt.Sprint(v)
		if strings.ContainsAny(text, " \t\"=") || text == "" {
			text = strconv.Quote(text)
		}
		b = append(append(append(b, " "[:min(len(b), 1)]...), k+"="...), text...)
	}
	if s.opts.LogJSON {
		b = append(append([]byte{'{'}, b...), '}')
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	_, _ = s.opts.Log.Write(append(b, '\n'))
}
