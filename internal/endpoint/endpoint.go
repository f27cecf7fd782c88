// Package endpoint is the one description of PAVE's API: every operation,
// once, with its method, path pattern, authentication, request and answer
// types, documented status and fixtures. Everything else reads it: package
// pave builds its paths and retry rules from it, pavetest's fake routes
// and mock responders are registered from it, the pave command lists the
// fake's operations from it, and openapi/pave.yaml is generated from it
// and the SDK's types.
//
// Adding an endpoint is an entry in table.go, the service method in
// package pave, the fake's behaviour in pavetest and a fixture in
// fixtures/; TestEveryEndpointIsServed (in pavetest) and the generator's
// check fail until all four exist. The path string is written here only.
package endpoint

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
)

// Auth is how PAVE's documentation authenticates an operation.
type Auth string

// The authentication schemes PAVE documents.
const (
	// Signed: API-Key, API-Timestamp and API-Token (an HMAC-SHA256
	// signature), the scheme of every v1 page.
	Signed Auth = "signed"
	// KeyOnly: the Hotspots upload and results pages list API-Key alone.
	// The SDK signs these requests anyway (extra headers are harmless);
	// the fake checks a signature when one is sent.
	KeyOnly Auth = "api_key"
	// AccessToken: the v2 resend page lists API-Access-Token, described
	// only as "your API key". The SDK sends the v1 signature as well.
	AccessToken Auth = "access_token"
)

// Answer is one documented (or, where PAVE leaves it open, chosen)
// answer of an operation: its status and the fixture holding its body.
type Answer struct {
	Status  int
	Fixture string // name in fixtures/, with .json
	// When says when the answer comes, for documentation.
	When string
}

// Endpoint is one PAVE operation.
type Endpoint struct {
	// Op names the SDK method that calls it, "Service.Method" (e.g.
	// "Sessions.Create"); it is also the OpenAPI operationId.
	Op string
	// Method and Pattern are the HTTP method and the path, with
	// parameters in braces ({session_key}, {event}) as Go 1.22's
	// ServeMux patterns write them.
	Method  string
	Pattern string
	// Summary is one line of what it does; Notes what PAVE leaves open.
	Summary string
	Notes   string
	// Auth is the scheme PAVE's page for it documents.
	Auth Auth
	// Request is the Go type of the body in package pave ("" for none);
	// Response the type of a successful answer's body, "[]T" for a list.
	Request  string
	Response string
	// Body is the schema of a successful answer's body in the OpenAPI
	// document when it is not Response itself: an envelope around it, or
	// the readings PAVE leaves open (a type of internal/openapi's shapes).
	Body string
	// Status is the documented success status; OtherStatuses are statuses
	// other pages of PAVE's documentation show for the same answer.
	Status        int
	OtherStatuses []int
	// Fixture is the success answer in fixtures/.
	Fixture string
	// Errors are the error answers PAVE documents (or the fake chooses
	// where PAVE is silent), each with its fixture.
	Errors []Answer
	// Acts marks an operation a repeat would repeat (create a session or
	// setting, text a customer): the SDK sends it at most once unless PAVE
	// provably did not act on it. A PUT that changes an SMS acts too; the
	// SDK decides that per request.
	Acts bool
	// GoneIsDone marks a DELETE: a retry that finds nothing (404) after an
	// attempt whose outcome is unknown means the earlier attempt removed
	// it.
	GoneIsDone bool

	params []string // the names of the pattern's parameters, in order
	chunks []string // the literal text around them: len(params)+1 chunks
}

// Params returns the names of the path parameters, in order.
func (e *Endpoint) Params() []string { return append([]string(nil), e.params...) }

// Route returns the ServeMux pattern of the operation, "METHOD /path".
func (e *Endpoint) Route() string { return e.Method + " " + e.Pattern }

// Path returns the path for the given parameter values, each escaped as
// one path segment (url.PathEscape: a colon is left as it is, so
// SESSION:COMPLETE is sent as written). It panics when the count differs
// from the pattern's, a programming error.
func (e *Endpoint) Path(args ...string) string {
	if len(args) != len(e.params) {
		panic(fmt.Sprintf("endpoint %s: %d path parameters given, %d needed", e.Op, len(args), len(e.params)))
	}
	if len(args) == 0 {
		return e.chunks[0]
	}
	var b strings.Builder
	n := 0
	for i, a := range args {
		n += len(e.chunks[i]) + len(a) + 8
	}
	b.Grow(n + len(e.chunks[len(args)]))
	for i, a := range args {
		b.WriteString(e.chunks[i])
		b.WriteString(url.PathEscape(a))
	}
	b.WriteString(e.chunks[len(args)])
	return b.String()
}

// Idempotent reports whether a repeat of the operation changes nothing
// more than the first request did: GET, PUT and DELETE.
func (e *Endpoint) Idempotent() bool {
	switch e.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// All returns every operation, in the order of PAVE's documentation.
func All() []*Endpoint { return append([]*Endpoint(nil), table...) }

// ByOp returns the operation named op ("Sessions.Get"), or nil.
func ByOp(op string) *Endpoint {
	for _, e := range table {
		if e.Op == op {
			return e
		}
	}
	return nil
}

// compile splits the pattern into its literal chunks and parameters.
func (e *Endpoint) compile() {
	rest := e.Pattern
	e.chunks, e.params = nil, nil
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			e.chunks = append(e.chunks, rest)
			return
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			panic("endpoint " + e.Op + ": unclosed { in " + e.Pattern)
		}
		e.chunks = append(e.chunks, rest[:i])
		e.params = append(e.params, rest[i+1:i+j])
		rest = rest[i+j+1:]
	}
}

func init() {
	for _, e := range table {
		e.compile()
	}
}

//go:embed fixtures/*.json
var fixtureFS embed.FS

// Fixture returns the embedded fixture name ("session.json"), or nil. The
// fixtures are shaped like PAVE's documented examples, with invented
// values; the caller owns the returned slice.
func Fixture(name string) []byte {
	b, err := fixtureFS.ReadFile(path.Join("fixtures", name))
	if err != nil {
		return nil
	}
	return b
}

// FixtureNames returns the names of the embedded fixtures, sorted.
func FixtureNames() []string {
	entries, _ := fs.ReadDir(fixtureFS, "fixtures")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}
