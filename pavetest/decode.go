package pavetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// fieldErrs collects validation messages by dotted field path.
type fieldErrs map[string][]string

func (f fieldErrs) add(field, text string) { f[field] = append(f[field], text) }

// addIf adds text at field when bad.
func (f fieldErrs) addIf(bad bool, field, text string) {
	if bad {
		f.add(field, text)
	}
}

// requestError is a 400 answer in PAVE's validation shape: a message and,
// where fields are at fault, the messages by dotted field path.
type requestError struct {
	Message string    `json:"message"`
	Errors  fieldErrs `json:"errors,omitempty"`
}

func (e *requestError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for _, k := range slices.Sorted(maps.Keys(e.Errors)) {
		fmt.Fprintf(&b, " %s", strings.Join(e.Errors[k], "; "))
	}
	return b.String()
}

// invalidFields is the 400 answer for field errors, or nil when there are none.
func invalidFields(fe fieldErrs) *requestError {
	if len(fe) == 0 {
		return nil
	}
	return &requestError{Message: msgValidation, Errors: fe}
}

// decodeBody decodes a JSON body into v, a pointer to a struct, or says
// what is wrong by JSON field path. For API requests an empty body leaves v
// as it is and unknown fields are ignored, as PAVE ignores them. strict
// (control requests) reads an empty body as {} and also refuses unknown
// fields, required fields left out (tag `required:"true"`, and a blank
// string counts as left out) and numbers outside a tag `range:"min,max"`.
func decodeBody(body []byte, v any, strict bool) *requestError {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		if !strict {
			return nil
		}
		body = []byte("{}")
	}
	if !json.Valid(body) {
		return &requestError{Message: "Malformed JSON in request body."}
	}
	if !strict && json.Unmarshal(body, v) == nil {
		return nil // the usual case: one decode
	}
	fe := fieldErrs{}
	walkJSON(body, reflect.TypeOf(v).Elem(), "", strict, fe)
	if msgs, ok := fe[""]; ok {
		return &requestError{Message: "Invalid request body: " + strings.Join(msgs, "; ") + "."}
	}
	if len(fe) == 0 && json.Unmarshal(body, v) != nil {
		return &requestError{Message: "Invalid request body."}
	}
	return invalidFields(fe)
}

// checked is an API body with rules beyond its JSON shape.
type checked interface{ check() *requestError }

// readJSON decodes an API body into a new T (see decodeBody) and applies its
// check, or answers the 400 saying what is wrong and returns nil.
func readJSON[T any](w http.ResponseWriter, body []byte) *T {
	v := new(T)
	re := decodeBody(body, v, false)
	if c, ok := any(v).(checked); ok && re == nil {
		re = c.check()
	}
	if re != nil {
		writeJSON(w, http.StatusBadRequest, re)
		return nil
	}
	return v
}

// walkJSON records in fe what in raw does not fit type t at path.
func walkJSON(raw json.RawMessage, t reflect.Type, path string, strict bool, fe fieldErrs) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if string(raw) == "null" {
		return
	}
	name := path
	if name == "" {
		name = "the body"
	}
	_, custom := reflect.New(t).Interface().(json.Unmarshaler)
	switch {
	case t.Kind() == reflect.Struct && !custom:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			fe.add(path, name+" must be an object")
			return
		}
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			f := lookupField(fields, k)
			switch {
			case f == nil && strict:
				fe.add(joinPath(path, k), joinPath(path, k)+" is not a field of this request")
			case f != nil:
				walkJSON(obj[k], f.typ, joinPath(path, f.name), strict, fe)
				if strict {
					f.checkRange(obj[k], joinPath(path, f.name), fe)
				}
			}
		}
		for _, f := range fields {
			fe.addIf(strict && f.required && f.missing(obj), joinPath(path, f.name), joinPath(path, f.name)+" is required")
		}
	case (t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8 || t.Kind() == reflect.Map) && !custom:
		var items map[string]json.RawMessage
		if t.Kind() == reflect.Slice {
			var list []json.RawMessage
			if json.Unmarshal(raw, &list) != nil {
				fe.add(path, name+" must be an array")
				return
			}
			items = map[string]json.RawMessage{}
			for i, it := range list {
				items[strconv.Itoa(i)] = it
			}
		} else if json.Unmarshal(raw, &items) != nil {
			fe.add(path, name+" must be an object")
			return
		}
		for k, it := range items {
			walkJSON(it, t.Elem(), joinPath(path, k), strict, fe)
		}
	default:
		fe.addIf(json.Unmarshal(raw, reflect.New(t).Interface()) != nil, path, name+" must be "+kindName(t))
	}
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// kindName says what JSON a Go type reads.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// jsonField is a struct field as encoding/json names it, with the control
// tags the strict decoder and the OpenAPI document read.
type jsonField struct {
	name, doc string
	typ       reflect.Type
	required  bool
	min, max  float64
	ranged    bool
	omitempty bool
}

// jsonFields lists the JSON fields of struct type t, those of embedded
// structs included.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if tag == "-" || !sf.IsExported() && !sf.Anonymous {
			continue
		}
		if sf.Anonymous && tag == "" && sf.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(sf.Type)...)
			continue
		}
		f := jsonField{name: tag, doc: sf.Tag.Get("doc"), typ: sf.Type, required: sf.Tag.Get("required") == "true",
			omitempty: strings.Contains(opts, "omit")}
		if f.name == "" {
			f.name = sf.Name
		}
		if lo, hi, ok := strings.Cut(sf.Tag.Get("range"), ","); ok {
			f.min, _ = strconv.ParseFloat(lo, 64)
			f.max, _ = strconv.ParseFloat(hi, 64)
			f.ranged = true
		}
		out = append(out, f)
	}
	return out
}

// lookupField finds the field of key as encoding/json does: the exact name,
// else one equal under case folding.
func lookupField(fields []jsonField, key string) *jsonField {
	for i := range fields {
		if fields[i].name == key {
			return &fields[i]
		}
	}
	for i := range fields {
		if strings.EqualFold(fields[i].name, key) {
			return &fields[i]
		}
	}
	return nil
}

// missing reports a required field absent from obj, null, or a blank string.
func (f *jsonField) missing(obj map[string]json.RawMessage) bool {
	for k, v := range obj {
		if strings.EqualFold(k, f.name) {
			var s string
			return string(v) == "null" || json.Unmarshal(v, &s) == nil && strings.TrimSpace(s) == ""
		}
	}
	return true
}

// checkRange records a number outside the field's range.
func (f *jsonField) checkRange(raw json.RawMessage, path string, fe fieldErrs) {
	var n float64
	if f.ranged && json.Unmarshal(raw, &n) == nil && (n < f.min || n > f.max) {
		fe.add(path, fmt.Sprintf("%s must be between %g and %g", path, f.min, f.max))
	}
}

// errStatus is an error answered with its own status.
type errStatus struct {
	status int
	text   string
}

func (e *errStatus) Error() string { return e.text }

// statusOf picks the status and body of a failed operation: a
// requestError as it is, unknown sessions 404, a status that does not
// allow the operation 409, anything else 400.
func statusOf(err error, key string) (int, any) {
	var re *requestError
	var es *errStatus
	switch {
	case errors.As(err, &re):
		return http.StatusBadRequest, re
	case errors.As(err, &es):
		return es.status, msg(es.text)
	case errors.Is(err, ErrSessionNotFound):
		return http.StatusNotFound, msg(notFoundMessage(key))
	case errors.Is(err, ErrInvalidTransition):
		return http.StatusConflict, msg(err.Error())
	}
	return http.StatusBadRequest, msg(err.Error())
}
