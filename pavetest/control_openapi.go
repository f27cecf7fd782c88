package pavetest

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/endpoint"
)

// paveOpenAPI returns the OpenAPI document of PAVE's API as the SDK
// describes it (JSON), or nil while there is none to merge.
var paveOpenAPI = endpoint.OpenAPI

// controlTag is the tag of the control API's operations in the document.
const controlTag = "fake-control"

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// openAPIDocument returns PAVE's OpenAPI document with the control API
// added under /_fake (tag fake-control), generated from controlTable and
// the Go types of its bodies and answers.
func openAPIDocument() (map[string]any, error) {
	doc := map[string]any{}
	if b := paveOpenAPI(); len(b) > 0 {
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, &errStatus{http.StatusInternalServerError, "PAVE's OpenAPI document does not decode."}
		}
	}
	obj := func(m map[string]any, key string) map[string]any {
		v, ok := m[key].(map[string]any)
		if !ok {
			v = map[string]any{}
			m[key] = v
		}
		return v
	}
	if doc["openapi"] == nil {
		doc["openapi"] = "3.1.0"
		doc["info"] = map[string]any{"title": "PAVE API, as the pave-go fake serves it", "version": pave.Version}
	}
	tags, _ := doc["tags"].([]any)
	doc["tags"] = append(tags, map[string]any{"name": controlTag,
		"description": "The fake's own control API: drive sessions, inject faults, read what it recorded."})
	obj(obj(doc, "components"), "securitySchemes")["controlToken"] = map[string]any{"type": "http", "scheme": "bearer",
		"description": "Required when the fake was started with a control token."}
	paths := obj(doc, "paths")
	for _, c := range controlTable {
		op := map[string]any{"tags": []string{controlTag}, "summary": c.Summary,
			"operationId": "fake_" + strings.ToLower(c.Method) + strings.NewReplacer("/_fake", "", "/", "_", "{", "", "}", "",
				".", "_", "-", "_").Replace(c.Path),
			"responses": map[string]any{
				"200": map[string]any{"description": "OK", "content": jsonContent(schemaOf(c.response), nil)},
				"default": map[string]any{"description": "An error: {message, errors}",
					"content": jsonContent(schemaOf(reflect.TypeFor[requestError]()), nil)},
			}}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(c.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
				"schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if c.request != nil {
			op["requestBody"] = map[string]any{"content": jsonContent(schemaOf(c.request), c.example)}
		}
		if !c.open {
			op["security"] = []any{map[string]any{"controlToken": []string{}}}
		}
		obj(paths, c.Path)[strings.ToLower(c.Method)] = op
	}
	return doc, nil
}

func jsonContent(schema map[string]any, example any) map[string]any {
	media := map[string]any{"schema": schema}
	if example != nil {
		media["example"] = example
	}
	return map[string]any{"application/json": media}
}

// schemaOf describes the JSON encoding of t as a JSON Schema.
func schemaOf(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Struct:
		props, s := map[string]any{}, map[string]any{"type": "object"}
		var required []string
		for _, f := range jsonFields(t) {
			p := schemaOf(f.typ)
			if f.doc != "" {
				p["description"] = f.doc
			}
			if f.ranged {
				p["minimum"], p["maximum"] = f.min, f.max
			}
			if f.required {
				required = append(required, f.name)
			}
			props[f.name] = p
		}
		s["properties"] = props
		if required != nil {
			s["required"] = required
		}
		return s
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	}
	return map[string]any{"type": strings.Fields(kindName(t))[1]}
}
