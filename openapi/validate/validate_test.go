package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// The published document and its JSON twin, relative to this module.
const (
	yamlPath = "../pave.yaml"
	jsonPath = "../../internal/endpoint/openapi.json"
)

// TestDocumentIsValidOpenAPI31 validates openapi/pave.yaml against the
// OpenAPI 3.1 schema (the 2022-10-07 schema libopenapi embeds).
func TestDocumentIsValidOpenAPI31(t *testing.T) {
	t.Parallel()
	doc := parse(t, readFile(t, yamlPath))
	assert.Equal(t, "3.1.0", doc.GetSpecInfo().Version)
	v, errs := validator.NewValidator(doc)
	require.Empty(t, errs)
	ok, verrs := v.ValidateDocument()
	assert.True(t, ok, "%v", verrs)
}

// TestYAMLAndJSONAreOneDocument reads the YAML with a YAML library and
// compares it with the JSON twin: the generator's own emitter wrote both.
func TestYAMLAndJSONAreOneDocument(t *testing.T) {
	t.Parallel()
	var fromYAML, fromJSON any
	require.NoError(t, yaml.Unmarshal(readFile(t, yamlPath), &fromYAML))
	require.NoError(t, json.Unmarshal(readFile(t, jsonPath), &fromJSON))
	b, err := json.Marshal(fromYAML) // numbers and maps as JSON has them
	require.NoError(t, err)
	var roundTripped any
	require.NoError(t, json.Unmarshal(b, &roundTripped))
	assert.Equal(t, fromJSON, roundTripped)
}

// TestSchemasAreValidJSONSchema compiles every component schema as JSON
// Schema 2020-12, which checks it against the meta-schema.
func TestSchemasAreValidJSONSchema(t *testing.T) {
	t.Parallel()
	c := compiler(t)
	schemas := tree(t)["components"].(map[string]any)["schemas"].(map[string]any)
	require.NotEmpty(t, schemas)
	for _, name := range sortedKeys(schemas) {
		_, err := c.Compile("pave.json#/components/schemas/" + name)
		assert.NoError(t, err, name)
	}
}

// TestEveryResponseExampleIsValid sends each operation's examples (the
// fixtures the fake and the mock kit answer with) through the validator as
// an HTTP response to a request for that operation.
func TestEveryResponseExampleIsValid(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	n := 0
	for _, op := range operations(t) {
		for _, status := range sortedKeys(op.responses) {
			for name, body := range examples(t, op.responses[status]) {
				code, err := strconv.Atoi(status)
				require.NoError(t, err, "%s: only documented statuses have examples", op.id)
				ok, errs := v.ValidateHttpResponse(op.request(t, nil), response(code, body))
				assert.True(t, ok, "%s %s example %s: %s", op.id, status, name, describe(errs))
				n++
			}
		}
	}
	assert.Greater(t, n, 20, "examples checked")
}

// TestEveryRequestExampleIsValid validates the request samples.
func TestEveryRequestExampleIsValid(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	n := 0
	for _, op := range operations(t) {
		for name, body := range examples(t, op.requestBody) {
			ok, errs := v.ValidateHttpRequest(op.request(t, body))
			assert.True(t, ok, "%s request example %s: %s", op.id, name, describe(errs))
			n++
		}
	}
	assert.GreaterOrEqual(t, n, 6, "request examples checked")
}

// TestEveryWebhookExampleIsValid validates each delivery fixture against
// its event's body schema.
func TestEveryWebhookExampleIsValid(t *testing.T) {
	t.Parallel()
	c := compiler(t)
	hooks := tree(t)["webhooks"].(map[string]any)
	require.Len(t, hooks, 5)
	n := 0
	for _, event := range sortedKeys(hooks) {
		post := hooks[event].(map[string]any)["post"].(map[string]any)
		body := post["requestBody"].(map[string]any)
		s, err := c.Compile("pave.json#" + pointer("webhooks", event, "post", "requestBody", "content",
			"application/json", "schema"))
		require.NoError(t, err, event)
		for name, ex := range examples(t, body) {
			assert.NoError(t, s.Validate(decode(t, ex)), "%s example %s", event, name)
			n++
		}
	}
	assert.GreaterOrEqual(t, n, 7)
}

// TestValidationRejectsWrongBodies proves the checks above can fail: each
// body breaks one documented rule.
func TestValidationRejectsWrongBodies(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	byID := map[string]operation{}
	for _, op := range operations(t) {
		byID[op.id] = op
	}
	responses := []struct {
		op, body string
		status   int
	}{
		{"Sessions.Get", `{"session_key": 5, "active": true}`, 200},
		{"Sessions.Get", `{"session_key": "K", "active": true, "vehicle": {"year": "two thousand"}}`, 200},
		{"Sessions.Results", `{"event": "SESSION:COMPLETE", "session": {"session_key": "K", "active": true}}`, 200},
		{"Sessions.Photos", `{"photo_code": 1}`, 200},
		{"Sessions.ResendSMS", `{"message": "Session not found"}`, 404},
		{"Webhooks.Delete", `{"message": "Callback setting removed."}`, 404},
		{"Sessions.Create", `{"message": "Required fields are missing or invalid."}`, 400},
	}
	for _, c := range responses {
		ok, _ := v.ValidateHttpResponse(byID[c.op].request(t, nil), response(c.status, []byte(c.body)))
		assert.False(t, ok, "%s %d accepted %s", c.op, c.status, c.body)
	}
	requests := []struct{ op, body string }{
		{"Sessions.Create", `{"session": {"theme": "NEON"}}`},
		{"Sessions.Create", `{"sms": {"send_results_to_phototaker": true}}`},
		{"Webhooks.Create", `{"url": "https://example.com/hook"}`},
		{"Hotspots.UploadPhotos", `{"photos": [{"photo_label": "Roof", "url": "https://example.com/x.jpg"}]}`},
	}
	for _, c := range requests {
		ok, _ := v.ValidateHttpRequest(byID[c.op].request(t, []byte(c.body)))
		assert.False(t, ok, "%s accepted %s", c.op, c.body)
	}
	s, err := compiler(t).Compile("pave.json#/components/schemas/StageChange")
	require.NoError(t, err)
	assert.Error(t, s.Validate(decode(t, []byte(`{"photo_status": 5}`))))
}

// operation is one method of one path, read from the JSON twin.
type operation struct {
	id, method, path string
	params           map[string]string // example values of the path parameters
	requestBody      map[string]any
	responses        map[string]any
	server           string
}

// request returns a request for the operation, with body and every
// authentication header.
func (op operation) request(t *testing.T, body []byte) *http.Request {
	path := op.path
	for name, value := range op.params {
		path = strings.ReplaceAll(path, "{"+name+"}", value)
	}
	r, err := http.NewRequest(op.method, op.server+path, bytes.NewReader(body))
	require.NoError(t, err)
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for _, h := range []string{"API-Key", "API-Timestamp", "API-Token", "API-Access-Token"} {
		r.Header.Set(h, "x")
	}
	return r
}

func operations(t *testing.T) []operation {
	doc := tree(t)
	server := doc["servers"].([]any)[0].(map[string]any)["url"].(string)
	params := map[string]string{}
	for name, p := range doc["components"].(map[string]any)["parameters"].(map[string]any) {
		params[name] = p.(map[string]any)["example"].(string)
	}
	var out []operation
	paths := doc["paths"].(map[string]any)
	for _, path := range sortedKeys(paths) {
		item := paths[path].(map[string]any)
		for _, method := range sortedKeys(item) {
			if method == "parameters" {
				continue
			}
			op := item[method].(map[string]any)
			body, _ := op["requestBody"].(map[string]any)
			out = append(out, operation{id: op["operationId"].(string), method: strings.ToUpper(method), path: path,
				params: params, requestBody: body, responses: op["responses"].(map[string]any), server: server})
		}
	}
	require.Len(t, out, 15)
	return out
}

// examples returns the examples of a response or request body, their
// $refs resolved, as JSON.
func examples(t *testing.T, holder any) map[string][]byte {
	out := map[string][]byte{}
	h, _ := holder.(map[string]any)
	content, _ := h["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	named, _ := media["examples"].(map[string]any)
	components := tree(t)["components"].(map[string]any)["examples"].(map[string]any)
	for name, ex := range named {
		e := ex.(map[string]any)
		if ref, ok := e["$ref"].(string); ok {
			e = components[strings.TrimPrefix(ref, "#/components/examples/")].(map[string]any)
		}
		require.Contains(t, e, "value", name)
		b, err := json.Marshal(e["value"])
		require.NoError(t, err)
		out[name] = b
	}
	return out
}

func response(status int, body []byte) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
}

func newValidator(t *testing.T) validator.Validator {
	v, errs := validator.NewValidator(parse(t, readFile(t, yamlPath)))
	require.Empty(t, errs)
	return v
}

func parse(t *testing.T, b []byte) libopenapi.Document {
	doc, err := libopenapi.NewDocument(b)
	require.NoError(t, err)
	return doc
}

// compiler holds the JSON twin as resource pave.json, so schemas compile
// by JSON pointer with their $refs resolved inside the document.
func compiler(t *testing.T) *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(readFile(t, jsonPath)))
	require.NoError(t, err)
	require.NoError(t, c.AddResource("pave.json", doc))
	return c
}

func tree(t *testing.T) map[string]any {
	var doc map[string]any
	require.NoError(t, json.Unmarshal(readFile(t, jsonPath), &doc))
	return doc
}

func decode(t *testing.T, b []byte) any {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	return v
}

func readFile(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// pointer returns a JSON pointer to the path of keys.
func pointer(keys ...string) string {
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// describe lists what the validator found, with the schema's reasons.
func describe(errs []*liberrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  %s: %s", e.Message, e.Reason)
		for _, s := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n    %s: %s", s.FieldPath, s.Reason)
		}
	}
	return b.String()
}
