package wire

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
)

// PAVE "will frequently add functionality and new objects" (its API
// strategy page), so every decoded response type of package pave keeps the
// object it was decoded from (Keep): its Raw returns a copy (Clone), and a
// field the SDK does not know yet stays reachable without a release.
//
// The rule for encoding such a value is "as received, plus your edits":
// MarshalJSON writes the object exactly as PAVE sent it, except where a
// typed field now differs from what decoding produced; there the typed
// value is written (a cleared field is removed). An unedited value
// therefore round-trips byte for byte (compacted), undocumented fields and
// sections included, and an edit is never lost.

// Clone returns a copy of raw, or nil.
func Clone(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	return bytes.Clone(raw)
}

// MarshalKept encodes v, decoded from raw, by the rule above. plain converts
// a T to its method-less twin P, so encoding does not recurse; raw is
// decoded afresh into a T, so the comparison is between what the SDK made of
// raw and what v holds now.
func MarshalKept[T, P any](raw json.RawMessage, v T, plain func(T) P) ([]byte, error) {
	current, err := json.Marshal(plain(v))
	if err != nil || len(raw) == 0 {
		return current, err
	}
	var was T
	if json.Unmarshal(raw, &was) != nil {
		return current, nil // raw does not decode: the typed value is all there is
	}
	before, err := json.Marshal(plain(was))
	if err != nil {
		return current, nil
	}
	if bytes.Equal(before, current) {
		return raw, nil
	}
	return mergeEdits(raw, before, current), nil
}

// mergeEdits returns raw with the differences from before to after applied:
// objects key by key, arrays element by element when no length changed,
// anything else replaced whole.
func mergeEdits(raw, before, after json.RawMessage) json.RawMessage {
	if bytes.Equal(before, after) {
		return raw
	}
	if r, b, a, ok := objects(raw, before, after); ok {
		for _, k := range slices.Sorted(maps.Keys(b)) {
			if _, kept := a[k]; !kept {
				delete(r, k) // cleared
			}
		}
		for k, av := range a {
			bv, had := b[k]
			rv, inRaw := r[k]
			switch {
			case had && bytes.Equal(bv, av):
				// unchanged: raw's value (or its absence) stands
			case had && inRaw:
				r[k] = mergeEdits(rv, bv, av)
			default:
				r[k] = av
			}
		}
		out, err := json.Marshal(r)
		if err != nil {
			return after
		}
		return out
	}
	if r, b, a, ok := arrays(raw, before, after); ok {
		for i := range a {
			r[i] = mergeEdits(r[i], b[i], a[i])
		}
		out, err := json.Marshal(r)
		if err != nil {
			return after
		}
		return out
	}
	return after
}

// objects decodes all three as JSON objects.
func objects(raw, before, after json.RawMessage) (r, b, a map[string]json.RawMessage, ok bool) {
	if json.Unmarshal(raw, &r) != nil || json.Unmarshal(before, &b) != nil || json.Unmarshal(after, &a) != nil {
		return nil, nil, nil, false
	}
	return r, b, a, r != nil && b != nil && a != nil
}

// arrays decodes all three as JSON arrays of one length.
func arrays(raw, before, after json.RawMessage) (r, b, a []json.RawMessage, ok bool) {
	if json.Unmarshal(raw, &r) != nil || json.Unmarshal(before, &b) != nil || json.Unmarshal(after, &a) != nil {
		return nil, nil, nil, false
	}
	return r, b, a, r != nil && len(r) == len(b) && len(b) == len(a)
}
