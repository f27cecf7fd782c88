package pave

import (
	"reflect"
	"unsafe"
)

// WithoutRaw returns v with every kept raw object (see Raw) cleared, at
// any depth, so tests in package pave_test can compare decoded values with
// values built in code. It changes what v shares with its argument.
func WithoutRaw[T any](v T) T {
	clearRaw(reflect.ValueOf(&v).Elem())
	return v
}

func clearRaw(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			clearRaw(v.Elem())
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			clearRaw(v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Field(i)
			if !f.CanAddr() {
				continue
			}
			f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
			if v.Type().Field(i).Name == "raw" {
				f.SetZero()
				continue
			}
			clearRaw(f)
		}
	}
}

// DecodeResults is the copy-free decoder Sessions.Results and package
// webhook use, for the tests and benchmarks of package pave_test.
var DecodeResults = decodeResults

// GradeLabel is the wording of a grade, for the tests of the labels.
var GradeLabel = gradeLabel
