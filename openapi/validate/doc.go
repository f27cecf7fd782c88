// Package validate holds the checks of openapi/pave.yaml that need a
// third-party OpenAPI validator, in a module of its own so that the SDK's
// module does not require one: the document against the OpenAPI 3.1
// schema, its schemas against JSON Schema 2020-12, and every example (the
// fixtures the SDK's fake answers with) against its operation's schema.
// It has tests only; run them with go test ./openapi/validate from the
// repository root.
package validate
