package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Decode decodes the JSON value b into *dst, a pointer to a struct, the way
// every PAVE answer is read. PAVE's docs and samples disagree on the types
// of many fields, so b is first decoded as encoding/json would; when that
// fails on a value of an unexpected type (never on text that is not JSON),
// the struct is decoded afresh field by field, coercing what can be read
// and leaving the rest empty:
//
//   - a string field takes any value, a non-string as its JSON text;
//   - an integer field a number or a numeric string ("100,945", "04");
//   - a float field a number or a numeric string ("18.2", "18.2%");
//   - a bool field true/false or "true", "1", "yes" and their opposites;
//   - a struct, pointer or map field an object, or the JSON text of one in
//     a string (fields PAVE labels "string" but shows as objects);
//   - a slice field the elements that can be read, skipping the others;
//   - a type with its own UnmarshalJSON is left empty when that fails.
//
// A field tagged `wire:"strict"` is not coerced: its error fails the whole
// value (the documented parts of a document, which decide whether it is
// one). A field tagged `alt:"a,b"` is also read from key a, then b, when its
// own key is absent or null (PAVE's names that vary: coodrs or position).
// Keys match as encoding/json matches them: exactly, else in any case.
func Decode(b []byte, dst any) error {
	v := reflect.ValueOf(dst).Elem()
	info := structInfo(v.Type())
	if !info.hasAlt {
		err := json.Unmarshal(b, dst)
		var syntax *json.SyntaxError
		if err == nil || errors.As(err, &syntax) || !IsObject(b) || !json.Valid(b) {
			return err // decoded; or not JSON, or not an object: no struct in it
		}
	} else if !IsObject(b) || !json.Valid(b) {
		return json.Unmarshal(b, dst) // its syntax or type error
	}
	v.SetZero()
	return decodeStruct(Object(b), v, info)
}

// field is what Decode knows of a struct field.
type field struct {
	index  []int
	name   string
	alts   []string
	strict bool
}

// fields of a struct type, computed once per type.
type fields struct {
	list   []field
	hasAlt bool
}

var fieldCache sync.Map // reflect.Type -> *fields

// structInfo lists the fields encoding/json would decode into, promoted
// ones included (the shallower wins a name).
func structInfo(t reflect.Type) *fields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*fields)
	}
	out := &fields{}
	depth := map[string]int{}
	for _, sf := range reflect.VisibleFields(t) {
		tag := sf.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || !sf.IsExported() || (sf.Anonymous && tag == "" && sf.Type.Kind() == reflect.Struct) {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if d, seen := depth[name]; seen && d <= len(sf.Index) {
			continue
		}
		depth[name] = len(sf.Index)
		f := field{index: sf.Index, name: name, strict: sf.Tag.Get("wire") == "strict"}
		if alt := sf.Tag.Get("alt"); alt != "" {
			f.alts, out.hasAlt = strings.Split(alt, ","), true
		}
		out.list = append(out.list, f)
	}
	fieldCache.Store(t, out)
	return out
}

// decodeStruct decodes the object raw into v field by field.
func decodeStruct(raw []byte, v reflect.Value, info *fields) error {
	var m map[string]json.RawMessage
	if raw == nil || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	for _, f := range info.list {
		val, ok := lookup(m, f.name)
		for _, alt := range f.alts {
			if ok && !IsNull(val) {
				break
			}
			val, ok = lookup(m, alt)
		}
		if !ok {
			continue
		}
		if err := set(val, v.FieldByIndex(f.index), f.strict); err != nil {
			return err
		}
	}
	return nil
}

// lookup finds key in m exactly, else in any letter case.
func lookup(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// set decodes raw into fv, as encoding/json would if it can, else by
// coercion; only a strict field reports an error.
func set(raw []byte, fv reflect.Value, strict bool) error {
	tmp := reflect.New(fv.Type())
	err := json.Unmarshal(raw, tmp.Interface())
	if err == nil || strict {
		if err == nil {
			fv.Set(tmp.Elem())
		}
		return err
	}
	if reflect.PointerTo(fv.Type()).Implements(unmarshaler) {
		// Its own decoding refused the value: a document type (one that
		// keeps its raw form, with Raw) is still read field by field,
		// without that raw form; anything else is left empty.
		if _, doc := fv.Interface().(interface{ Raw() json.RawMessage }); doc && fv.Kind() == reflect.Struct {
			_ = decodeStruct(Object(raw), fv, structInfo(fv.Type()))
		}
		return nil
	}
	coerce(raw, fv)
	return nil
}

// coerce sets fv from raw where a reading exists (see Decode).
func coerce(raw []byte, fv reflect.Value) {
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(String(raw))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n, err := Int(raw); err == nil && !fv.OverflowInt(n) {
			fv.SetInt(n)
		}
	case reflect.Float32, reflect.Float64:
		if f, ok := Float(raw); ok {
			fv.SetFloat(f)
		}
	case reflect.Bool:
		if b, ok := Bool(raw); ok {
			fv.SetBool(b)
		}
	case reflect.Struct:
		_ = decodeStruct(Object(raw), fv, structInfo(fv.Type()))
	case reflect.Pointer:
		n := reflect.New(fv.Type().Elem())
		_ = set(raw, n.Elem(), false)
		if !n.Elem().IsZero() {
			fv.Set(n)
		}
	case reflect.Slice:
		// An object is kept however little of it reads; another item only
		// when it reads as something (null, a 5 among damages: skipped).
		for _, item := range Elements(raw) {
			e := reflect.New(fv.Type().Elem()).Elem()
			if IsNull(item) || set(item, e, false) != nil {
				continue
			}
			if !e.IsZero() || isZeroJSON(item) || (IsObject(item) && structKind(e.Type())) {
				fv.Set(reflect.Append(fv, e))
			}
		}
	case reflect.Map:
		obj := Object(raw)
		var m map[string]json.RawMessage
		if fv.Type().Key().Kind() != reflect.String || json.Unmarshal(obj, &m) != nil || m == nil {
			return
		}
		out := reflect.MakeMapWithSize(fv.Type(), len(m))
		for k, val := range m {
			e := reflect.New(fv.Type().Elem()).Elem()
			if !IsNull(val) && set(val, e, false) == nil {
				out.SetMapIndex(reflect.ValueOf(k).Convert(fv.Type().Key()), e)
			}
		}
		fv.Set(out)
	}
}

// structKind reports a struct or a pointer to one.
func structKind(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}

// isZeroJSON reports a value that decodes to a zero Go value on purpose:
// 0, "", false, {} or [].
func isZeroJSON(raw []byte) bool {
	switch string(Trim(raw)) {
	case "0", `""`, "false", "[]":
		return true
	}
	return false
}

// Float reads a finite number sent as a JSON number or a string, with an
// optional trailing "%".
func Float(raw []byte) (float64, bool) {
	raw = Trim(raw)
	if IsNull(raw) {
		return 0, false
	}
	s := string(raw)
	if raw[0] == '"' {
		var err error
		if s, err = Quoted(raw); err != nil {
			return 0, false
		}
		s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// Bool reads a boolean sent as true/false, a string such as "true", "1",
// "yes", "on" (and their opposites, "" and "null" being false), or a
// number (0 false, 1 true).
func Bool(raw []byte) (bool, bool) {
	raw = Trim(raw)
	s := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var err error
		if s, err = Quoted(raw); err != nil {
			return false, false
		}
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y", "on":
		return true, true
	case "false", "0", "no", "n", "off", "", "null":
		return false, true
	}
	return false, false
}

// Unwrap returns the value an envelope holds: raw itself when it is not
// an object, else the value of the first of keys it has (absent keys and
// null skipped), else raw. PAVE sends lists bare or wrapped under "data"
// (or a name of their own), and one setting wrapped or flat.
func Unwrap(raw []byte, keys ...string) []byte {
	raw = Trim(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return raw
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	for _, k := range keys {
		if v, ok := m[k]; ok && !IsNull(v) {
			return Trim(v)
		}
	}
	return raw
}

// Keep returns the copy of a decoded object a type keeps as its raw form:
// without surrounding white space, as json.Unmarshal hands UnmarshalJSON
// its value.
func Keep(b []byte) json.RawMessage { return bytes.Clone(Trim(b)) }
