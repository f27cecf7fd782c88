package pavetest

// logRing keeps the newest max entries of a log in a ring, so recording one
// more entry is O(1) however long the log; the server's mutex guards it.
type logRing[T any] struct {
	items []T
	head  int // index of the oldest entry once the ring is full
}

// add appends v, overwriting the oldest entry when max entries are held.
func (r *logRing[T]) add(v T, max int) {
	if len(r.items) < max {
		r.items = append(r.items, v)
		return
	}
	r.items[r.head] = v
	r.head = (r.head + 1) % len(r.items)
}

// snapshot returns the entries, oldest first, each passed through clone
// so callers cannot reach the log's own headers and bodies.
func snapshot[T, V any](r *logRing[T], clone func(T) V) []V {
	out := make([]V, 0, len(r.items))
	for _, v := range r.items[r.head:] {
		out = append(out, clone(v))
	}
	for _, v := range r.items[:r.head] {
		out = append(out, clone(v))
	}
	return out
}

// reset forgets every entry.
func (r *logRing[T]) reset() { *r = logRing[T]{} }
