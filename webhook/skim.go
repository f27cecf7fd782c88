package webhook

import (
	"encoding/binary"
	"math/bits"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/wire"
)

// skimEnvelope reads the envelope of body (a JSON object, white space
// trimmed) in one pass that also checks the whole body is valid JSON, without
// reflection and without copying anything but the strings kept. It fills env
// exactly as json.Unmarshal into an envelope would, and reports false when
// it cannot be sure to: when the body is not valid JSON, and on what real
// deliveries do not carry (a key of interest written with escapes or
// non-ASCII letters, nesting deeper than skimMaxDepth). The caller then
// decodes with encoding/json, which decides.
//
// It must never accept what encoding/json rejects: strings are checked for
// control characters and escapes, numbers against the JSON grammar, and
// nothing but white space may follow the object.
func skimEnvelope(body []byte, env *envelope) bool {
	s := skimmer{b: body}
	var sk topSpans
	if !s.topObject(&sk, env) {
		return false
	}
	s.ws()
	if s.i != len(s.b) {
		return false
	}
	if sk.event.set {
		raw := sk.event.of(body)
		if name, ok := documentedEvent(raw); ok {
			env.Event = nameField(name)
		} else if name, err := wire.Quoted(raw); err == nil {
			env.Event = nameField(name)
		}
	}
	if sk.sessionKey.set {
		env.SessionKey = wire.LooseString(wire.String(sk.sessionKey.of(body)))
	}
	// The nested keys are read only when parse falls back on them.
	if env.SessionKey == "" {
		env.Session.key = sk.session.key(body)
		if env.Session.key == "" {
			env.Vehicle.key = sk.vehicle.key(body)
		}
	}
	return true
}

// documentedEvents are the names documentedEvent recognises.
var documentedEvents = pave.Events()

// documentedEvent returns the documented event a JSON string literal
// names in ASCII letters of any case, without white space or escapes,
// without allocating: the name parse would make of it. Any other literal
// is left to wire.Quoted.
func documentedEvent(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	in := raw[1 : len(raw)-1]
	for _, k := range documentedEvents {
		if len(in) == len(k) && asciiFoldEq(in, string(k)) {
			return string(k), true
		}
	}
	return "", false
}

// asciiFoldEq compares b and s, ignoring the case of ASCII letters only.
func asciiFoldEq(b []byte, s string) bool {
	for i := range len(s) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// skimMaxDepth bounds the nesting skimEnvelope follows; encoding/json
// decides about deeper documents (it allows 10000 levels).
const skimMaxDepth = 512

// span is a value's bytes in the body, when set.
type span struct {
	start, end int
	set        bool
}

func (p span) of(b []byte) []byte { return b[p.start:p.end] }

// keyedSpans is what the last object seen under "session" or "vehicle"
// holds: its session_key, and whether it holds a vehicle object.
type keyedSpans struct {
	sessionKey span
}

func (k keyedSpans) key(b []byte) string {
	if !k.sessionKey.set {
		return ""
	}
	return wire.String(k.sessionKey.of(b))
}

// topSpans are the values of the top-level keys read after the pass, so
// that a key given twice costs nothing until its last value is known.
type topSpans struct {
	event, sessionKey span
	session, vehicle  keyedSpans
}

type skimmer struct {
	b []byte
	i int
}

// ws skips JSON white space.
func (s *skimmer) ws() {
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c > ' ':
			return
		case c == ' ', c == '\t', c == '\n', c == '\r':
			s.i++
		default:
			return
		}
	}
}

// envelope keys, told apart by foldKey.
const (
	keyOther = iota
	keyEvent
	keySessionKey
	keySession
	keyVehicle
	keyPhotoURL
	keyPhone
	keyStatus
	keyPreviousStatus
	keyNote
)

// foldKey names the envelope field a key matches as encoding/json matches
// it (ASCII letters in any case; the key has neither escapes nor non-ASCII
// bytes).
func foldKey(k []byte) int {
	switch len(k) {
	case 4:
		if foldEq(k, "note") {
			return keyNote
		}
	case 5:
		if foldEq(k, "event") {
			return keyEvent
		}
		if foldEq(k, "phone") {
			return keyPhone
		}
	case 6:
		if foldEq(k, "status") {
			return keyStatus
		}
	case 7:
		if foldEq(k, "session") {
			return keySession
		}
		if foldEq(k, "vehicle") {
			return keyVehicle
		}
	case 9:
		if foldEq(k, "photo_url") {
			return keyPhotoURL
		}
	case 11:
		if foldEq(k, "session_key") {
			return keySessionKey
		}
	case 15:
		if foldEq(k, "previous_status") {
			return keyPreviousStatus
		}
	}
	return keyOther
}

// foldEq compares k with the lower-case ASCII name, ignoring ASCII case.
func foldEq(k []byte, name string) bool {
	for i := range len(name) {
		c := k[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// plainKey reads an object key at s.i (after white space), the colon and
// the white space after it. It fails on a key with escapes or non-ASCII
// bytes, which the caller leaves to encoding/json.
func (s *skimmer) plainKey() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	for i := start; i < len(s.b); i++ {
		c := s.b[i]
		if c == '"' {
			s.i = i + 1
			if !s.colon() {
				return nil, false
			}
			return s.b[start:i], true
		}
		if c < 0x20 || c == '\\' || c >= 0x80 {
			return nil, false
		}
	}
	return nil, false
}

// colon reads the white space, the colon and the white space after a key.
func (s *skimmer) colon() bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != ':' {
		return false
	}
	s.i++
	s.ws()
	return true
}

// next reads what follows a member or element: a comma (true, more) or
// the closing byte (false, done); ok is false on anything else.
func (s *skimmer) next(closing byte) (more, ok bool) {
	s.ws()
	if s.i >= len(s.b) {
		return false, false
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		s.ws()
		return true, true
	case closing:
		s.i++
		return false, true
	}
	return false, false
}

// topObject reads the body's object, filling the presence flags of env
// and the spans of the values read afterwards.
func (s *skimmer) topObject(sk *topSpans, env *envelope) bool {
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return false
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		k, ok := s.plainKey()
		if !ok {
			return false
		}
		start := s.i
		switch key := foldKey(k); key {
		case keySession, keyVehicle:
			if s.i < len(s.b) && s.b[s.i] == '{' {
				var ks keyedSpans
				hasVehicle, ok := s.keyedObject(&ks)
				if !ok {
					return false
				}
				obj := &env.Session
				if key == keyVehicle {
					obj = &env.Vehicle
					sk.vehicle = ks
				} else {
					sk.session = ks
				}
				obj.object, obj.hasVehicle = true, hasVehicle
			} else if !s.value(1) {
				return false
			}
		default:
			if !s.value(1) {
				return false
			}
			v := span{start: start, end: s.i, set: true}
			switch key {
			case keyEvent:
				// A name is read from a string, and null clears it, as
				// wire.Quoted (nameField) reads them; other values are
				// ignored.
				if c := s.b[start]; c == '"' || c == 'n' {
					sk.event = v
				}
			case keySessionKey:
				sk.sessionKey = v
			case keyPhotoURL:
				env.PhotoURL = present(s.b[start] != 'n')
			case keyPhone:
				env.Phone = present(s.b[start] != 'n')
			case keyStatus:
				env.Status = present(s.b[start] != 'n')
			case keyPreviousStatus:
				env.PreviousStatus = present(s.b[start] != 'n')
			case keyNote:
				env.Note = present(s.b[start] != 'n')
			}
		}
		more, ok := s.next('}')
		if !ok {
			return false
		}
		if !more {
			return true
		}
	}
}

// keyedObject reads a "session" or "vehicle" object at depth 2: its last
// session_key and whether a "vehicle" key holds an object.
func (s *skimmer) keyedObject(ks *keyedSpans) (hasVehicle, ok bool) {
	s.i++ // '{'
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return false, true
	}
	for {
		k, ok := s.plainKey()
		if !ok {
			return false, false
		}
		start := s.i
		if !s.value(2) {
			return false, false
		}
		switch foldKey(k) {
		case keySessionKey:
			ks.sessionKey = span{start: start, end: s.i, set: true}
		case keyVehicle:
			if s.b[start] == '{' {
				hasVehicle = true
			}
		}
		more, ok := s.next('}')
		if !ok {
			return false, false
		}
		if !more {
			return hasVehicle, true
		}
	}
}

// value skips one JSON value at s.i (white space skipped) inside depth
// containers.
func (s *skimmer) value(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; c {
	case '"':
		return s.str()
	case '{':
		return s.object(depth + 1)
	case '[':
		return s.array(depth + 1)
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

func (s *skimmer) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// object skips an object at depth.
func (s *skimmer) object(depth int) bool {
	if depth > skimMaxDepth {
		return false
	}
	s.i++ // '{'
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		if s.i >= len(s.b) || s.b[s.i] != '"' || !s.str() || !s.colon() || !s.value(depth) {
			return false
		}
		more, ok := s.next('}')
		if !ok {
			return false
		}
		if !more {
			return true
		}
	}
}

// array skips an array at depth.
func (s *skimmer) array(depth int) bool {
	if depth > skimMaxDepth {
		return false
	}
	s.i++ // '['
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	for {
		if !s.value(depth) {
			return false
		}
		more, ok := s.next(']')
		if !ok {
			return false
		}
		if !more {
			return true
		}
	}
}

// Bytes of eight at a time, for finding a string's special bytes a word at
// a time.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special flags the bytes of the little-endian word x that end a string's
// plain run: the quote, the backslash and the control characters JSON
// forbids. The lowest flagged byte is exact (a borrow only carries upward),
// which is all str reads.
func special(x uint64) uint64 {
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	return ((q-ones)&^q | (bs-ones)&^bs | (x-ones*0x20)&^x) & highs
}

// str skips a string at s.i (its opening quote), checking its escapes; any
// other byte from 0x20 up is accepted, as encoding/json accepts it.
func (s *skimmer) str() bool {
	b := s.b
	i := s.i + 1
	for i < len(b) {
		if len(b)-i >= 8 {
			m := special(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) / 8
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return true
		case c == '\\':
			if i+1 >= len(b) {
				return false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return false
				}
				i += 6
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			i++
		}
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number skips a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *skimmer) number() bool {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return false
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return false
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return false
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	s.i = i
	return true
}
