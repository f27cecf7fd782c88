package openapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/endpoint"
)

const root = "../.."

// TestCheckedInDocumentIsCurrent fails while openapi/pave.yaml or
// internal/endpoint/openapi.json differ from what the generator writes
// from today's table and types.
func TestCheckedInDocumentIsCurrent(t *testing.T) {
	t.Parallel()
	yaml, js, err := Generate(root)
	require.NoError(t, err)
	for _, c := range []struct {
		path string
		want []byte
	}{{YAMLPath, yaml}, {JSONPath, js}} {
		got, err := os.ReadFile(filepath.Join(root, c.path))
		require.NoError(t, err)
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s is not what the generator writes from the endpoint table and the SDK's types; "+
				"regenerate it with go generate ./internal/openapi (or go run ./internal/openapi/cmd/gen "+
				"from the module root) and commit the result", c.path)
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	y1, j1, err := Generate(root)
	require.NoError(t, err)
	y2, j2, err := Generate(root)
	require.NoError(t, err)
	assert.Equal(t, y1, y2)
	assert.Equal(t, j1, j2)
}

// TestDocument checks the document against the table and the SDK: every
// operation, webhook and documented status, and the readings PAVE leaves
// open.
func TestDocument(t *testing.T) {
	t.Parallel()
	_, js, err := Generate(root)
	require.NoError(t, err)
	var doc struct {
		OpenAPI    string `json:"openapi"`
		Info       struct{ Version string }
		Servers    []struct{ URL string }
		Paths      map[string]map[string]json.RawMessage
		Webhooks   map[string]map[string]struct{ OperationID string }
		Components struct{ Schemas map[string]json.RawMessage }
	}
	require.NoError(t, json.Unmarshal(js, &doc))
	assert.Equal(t, "3.1.0", doc.OpenAPI)
	assert.Equal(t, pave.Version, doc.Info.Version)
	require.Len(t, doc.Servers, 1)
	assert.Equal(t, pave.DefaultBaseURL, doc.Servers[0].URL)
	type operation struct {
		OperationID string `json:"operationId"`
		Security    []map[string][]string
		RequestBody *struct{ Required bool }
		Responses   map[string]json.RawMessage
	}
	operationOf := func(pattern, method string) operation {
		raw, ok := doc.Paths[pattern][method]
		require.True(t, ok, "no %s %s", method, pattern)
		var op operation
		require.NoError(t, json.Unmarshal(raw, &op))
		return op
	}
	for _, e := range endpoint.All() {
		op := operationOf(e.Pattern, strings.ToLower(e.Method))
		assert.Equal(t, e.Op, op.OperationID)
		assert.Equal(t, e.Request != "", op.RequestBody != nil, e.Op)
		assert.Contains(t, op.Responses, "default", e.Op)
		for _, a := range append([]endpoint.Answer{{Status: e.Status}}, e.Errors...) {
			assert.Contains(t, string(op.Responses[strconv.Itoa(a.Status)]), strings.TrimSuffix(a.Fixture, ".json"), e.Op)
		}
		require.Len(t, op.Security, 1, e.Op)
		assert.Contains(t, op.Security[0], map[endpoint.Auth]string{
			endpoint.Signed: "ApiToken", endpoint.KeyOnly: "ApiKey", endpoint.AccessToken: "ApiAccessToken"}[e.Auth])
	}
	for _, ev := range pave.Events() {
		assert.Contains(t, doc.Webhooks, string(ev))
	}
	assert.Equal(t, "Event.Complete", doc.Webhooks["SESSION:COMPLETE"]["post"].OperationID)

	schema := func(name string) string { return string(doc.Components.Schemas[name]) }
	assert.Contains(t, schema("Results"), `"anyOf"`, "where the vehicle sits")
	assert.Contains(t, schema("NoteList"), `"oneOf"`, "notes bare or wrapped")
	assert.Contains(t, schema("CallbackAnswer"), `"oneOf"`, "a setting under data or flat")
	assert.Contains(t, schema("Theme"), "default theme")
	assert.Contains(t, schema("Vehicle"), "LenientInteger", "answers read numbers leniently")
	assert.NotContains(t, schema("VehicleRequest"), "LenientInteger", "requests send numbers")
	assert.Contains(t, schema("StatusChange"), "does not document", "an undocumented delivery says so")
	create := operationOf("/v1/sessions", "post").Responses
	assert.Contains(t, create, "200", "create's 201 or 200")
	assert.Contains(t, create, "201")
	results := string(operationOf("/v1/sessions/{session_key}/results", "get").Responses["200"])
	assert.Contains(t, results, "error_not_ready", "results before COMPLETE under 200")
}

// TestTableNamesOnlyKnownTypes fails when an entry names a type, an error
// fixture or a scheme the generator cannot find, and says which.
func TestTableNamesOnlyKnownTypes(t *testing.T) {
	t.Parallel()
	src, err := load(root)
	require.NoError(t, err)
	_, err = build(src, endpoint.All())
	require.NoError(t, err, "the table as it is")

	valid := func() endpoint.Endpoint {
		return endpoint.Endpoint{Op: "Sessions.Nope", Method: http.MethodGet, Pattern: "/v1/nope",
			Summary: "s", Auth: endpoint.Signed, Response: "Session", Status: http.StatusOK, Fixture: "session.json"}
	}
	cases := []struct {
		name, want string
		edit       func(e *endpoint.Endpoint)
	}{
		{"response", "NoSuchType", func(e *endpoint.Endpoint) { e.Response = "NoSuchType" }},
		{"list response", "Nope", func(e *endpoint.Endpoint) { e.Response = "[]Nope" }},
		{"body", "NoSuchShape", func(e *endpoint.Endpoint) { e.Body = "NoSuchShape" }},
		{"request", "NoSuchRequest", func(e *endpoint.Endpoint) { e.Method, e.Request = http.MethodPost, "NoSuchRequest" }},
		{"error fixture", "error_nope.json", func(e *endpoint.Endpoint) {
			e.Errors = []endpoint.Answer{{Status: http.StatusNotFound, Fixture: "error_nope.json"}}
		}},
		{"success fixture", "nope.json", func(e *endpoint.Endpoint) { e.Fixture = "nope.json" }},
		{"auth", "oauth", func(e *endpoint.Endpoint) { e.Auth = "oauth" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := valid()
			_, err := build(src, []*endpoint.Endpoint{&e})
			require.NoError(t, err, "the valid entry")
			c.edit(&e)
			_, err = build(src, []*endpoint.Endpoint{&e})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), "Sessions.Nope")
		})
	}
}

// TestTypeNamesAreUnambiguous: a name the table uses may not be declared
// both in package pave and among the shapes.
func TestTypeNamesAreUnambiguous(t *testing.T) {
	t.Parallel()
	src, err := load(root)
	require.NoError(t, err)
	src.types["openapi.Session"] = src.types["pave.Session"]
	_, err = build(src, []*endpoint.Endpoint{endpoint.GetSession})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Session is declared both in package pave and in the shapes")
}

// TestEveryErrorFixtureHasASchema keeps errorBodies to the fixtures the
// table names.
func TestEveryErrorFixtureHasASchema(t *testing.T) {
	t.Parallel()
	named := map[string]bool{}
	for _, e := range endpoint.All() {
		for _, a := range e.Errors {
			named[a.Fixture] = true
			assert.Contains(t, errorBodies, a.Fixture, e.Op)
		}
	}
	for f := range errorBodies {
		assert.True(t, named[f], "errorBodies names %s, which no table entry does", f)
	}
}

// TestSamplesNameOperations holds samples/ to operations with a request
// body, each sample JSON.
func TestSamplesNameOperations(t *testing.T) {
	t.Parallel()
	entries, err := samples.ReadDir("samples")
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	for _, f := range entries {
		op := strings.TrimSuffix(f.Name(), ".json")
		e := endpoint.ByOp(op)
		require.NotNil(t, e, "sample %s names no operation", f.Name())
		assert.NotEmpty(t, e.Request, "sample %s: %s sends no body", f.Name(), op)
		assert.True(t, json.Valid(sample(op)), f.Name())
	}
	assert.Nil(t, sample("Sessions.Nope"))
}

func TestGenerateFailsOnAMissingModule(t *testing.T) {
	t.Parallel()
	_, _, err := Generate(filepath.Join(t.TempDir(), "nowhere"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nowhere")
}
