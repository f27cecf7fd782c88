// Package link hands package webhook what package pave keeps unexported,
// so that neither package's exported API carries a name only the other
// needs.
package link

// DecodeResults decodes a results document keeping data itself as its raw
// form, without a copy; package pave sets it. It returns a *pave.Results.
var DecodeResults func(data []byte) (any, error)
