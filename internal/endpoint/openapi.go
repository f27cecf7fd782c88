package endpoint

import (
	"bytes"
	_ "embed" // the document
)

// openapi is the OpenAPI document generated from this table and the SDK's
// types (internal/openapi), compact JSON.
//
//go:embed openapi.json
var openapi []byte

// OpenAPI returns the OpenAPI 3.1 document of PAVE's API as compact JSON:
// the same document as openapi/pave.yaml. The caller owns the returned
// slice.
func OpenAPI() []byte { return bytes.Clone(openapi) }
