package openapi

import (
	"fmt"
	"go/ast"
	"go/types"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// mode says which side of the wire a schema describes.
type mode int

const (
	// answer: what PAVE sends. It accepts every documented reading: open
	// vocabularies, lenient numbers, null for an optional value.
	answer mode = iota
	// request: what the SDK sends, in the canonical form.
	request
	// delivery: a webhook body, an answer whose fields are all optional
	// (the receiver reads each one leniently).
	delivery
)

// gen builds components/schemas from Go types.
type gen struct {
	src      *source
	schemas  *obj
	examples *obj             // components/examples: the fixtures
	owner    map[string]owner // component name -> the type and mode it describes
}

// owner is what a component describes.
type owner struct {
	key      string // the qualified Go type
	m        mode
	suffixed bool // the name is the type's with "Request" added
}

// lenient are the SDK's types that read more than one JSON shape, with the
// form the SDK sends and the component describing what PAVE may send.
var lenient = map[string]struct {
	name            string
	request, answer func() *obj
}{
	"pave.Int": {"LenientInteger", func() *obj { return object("type", "integer") }, func() *obj {
		return object("description", "An integer PAVE sends as a JSON number or as a string of digits, "+
			"possibly with thousands separators (\"100,945\"); null means none.",
			"oneOf", []any{object("type", "integer"), object("type", "string", "pattern", "^-?[0-9][0-9,]*$"),
				object("type", "null")})
	}},
	"pave.Time": {"Timestamp", func() *obj { return object("type", "string", "format", "date-time") }, func() *obj {
		return object("description", "A time in one of the RFC 3339 forms PAVE's samples show "+
			"(2021-05-25T11:51:49.000000Z, 2021-05-27T07:36:16+00:00), or null while it is not set.",
			"oneOf", []any{object("type", "string", "format", "date-time"), object("type", "null")})
	}},
	"pave.StringBool": {"BooleanString", func() *obj { return object("type", "string", "enum", []any{"true", "false"}) },
		func() *obj {
			return object("description", "A flag PAVE's samples send as the string \"true\" or \"false\"; "+
				"a JSON boolean means the same, null means false.",
				"oneOf", []any{object("type", "string", "enum", []any{"true", "false"}), object("type", "boolean"),
					object("type", "null")})
		}},
}

// foreign are the types of other packages the SDK's types use.
var foreign = map[string]func() *obj{
	"json.RawMessage":  func() *obj { return object() },
	"wire.LooseString": func() *obj { return object("type", "string") },
	"time.Time":        func() *obj { return object("type", "string", "format", "date-time") },
}

// basic returns the schema of a predeclared type, or nil.
func basic(name string) *obj {
	switch {
	case name == "string":
		return object("type", "string")
	case name == "bool":
		return object("type", "boolean")
	case strings.HasPrefix(name, "int") || strings.HasPrefix(name, "uint"):
		return object("type", "integer")
	case strings.HasPrefix(name, "float"):
		return object("type", "number")
	case name == "any":
		return object()
	}
	return nil
}

// schema returns the schema of the type expression e, written in package
// pkg.
func (g *gen) schema(pkg string, e ast.Expr, m mode) (*obj, error) {
	switch t := e.(type) {
	case *ast.Ident:
		if s := basic(t.Name); s != nil {
			return s, nil
		}
		return g.named(pkg, t.Name, m)
	case *ast.SelectorExpr:
		if x, ok := t.X.(*ast.Ident); ok {
			return g.named(x.Name, t.Sel.Name, m)
		}
	case *ast.StarExpr:
		return g.schema(pkg, t.X, m)
	case *ast.ArrayType:
		items, err := g.schema(pkg, t.Elt, m)
		return object("type", "array", "items", items), err
	case *ast.MapType:
		v, err := g.schema(pkg, t.Value, m)
		if err != nil || len(v.keys) == 0 {
			return object("type", "object"), err
		}
		return object("type", "object", "additionalProperties", v), nil
	case *ast.StructType:
		return g.object(pkg, t, m, "")
	case *ast.InterfaceType:
		return object(), nil
	}
	return nil, fmt.Errorf("no schema for the Go type %s", types.ExprString(e))
}

// named returns the schema of a declared type: a $ref to its component
// for a struct or a type with constants, else its underlying type's.
func (g *gen) named(pkg, name string, m mode) (*obj, error) {
	key := pkg + "." + name
	if l, ok := lenient[key]; ok {
		if m == request {
			return l.request(), nil
		}
		return g.define(l.name, owner{key: key, m: m}, func() (*obj, error) { return l.answer(), nil })
	}
	if f, ok := foreign[key]; ok {
		return f(), nil
	}
	t := g.src.types[key]
	if t == nil {
		return nil, fmt.Errorf("type %s is not declared in packages pave, webhook or internal/openapi", key)
	}
	comp := exported(t.name)
	switch under := t.expr.(type) {
	case *ast.StructType:
		suffixed := m == request && !strings.HasSuffix(comp, "Request")
		if suffixed {
			comp += "Request"
		}
		return g.define(comp, owner{key, m, suffixed}, func() (*obj, error) {
			return g.object(t.pkg, under, m, typeDoc(t))
		})
	case *ast.Ident:
		values := g.src.consts[key]
		s := basic(under.Name)
		if len(values) == 0 || s == nil {
			break
		}
		ref, err := g.define(comp, owner{key: key}, func() (*obj, error) {
			return object("type", s.get("type"), "description", typeDoc(t), "enum", values), nil
		})
		if (m == request && !openInRequests[key]) || err != nil {
			return ref, err
		}
		// PAVE's vocabularies are open: an answer may carry a value
		// added after this document.
		return object("anyOf", []any{ref, s}), nil
	}
	return g.schema(t.pkg, t.expr, m)
}

// define defines the component name once, built by build, and returns a
// $ref to it. Two types (or two modes of one) under one name are an error.
func (g *gen) define(name string, o owner, build func() (*obj, error)) (*obj, error) {
	ref := object("$ref", "#/components/schemas/"+name)
	if prev, ok := g.owner[name]; ok {
		if prev.key != o.key || prev.m != o.m {
			return nil, fmt.Errorf("two schemas named %s: %s and %s", name, prev.key, o.key)
		}
		return ref, nil
	}
	g.owner[name] = o
	s, err := build()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	g.schemas.set(name, s)
	return ref, nil
}

// object returns the schema of a struct: an object whose properties are
// its JSON fields, or, for a struct whose first field is "_ oneOf" or
// "_ anyOf", the union of its other fields' types (see shapes.go).
func (g *gen) object(pkg string, st *ast.StructType, m mode, doc string) (*obj, error) {
	s := object("description", doc)
	if kind := unionKind(st); kind != "" {
		var alts []any
		for _, f := range st.Fields.List[1:] {
			a, err := g.schema(pkg, f.Type, m)
			if err != nil {
				return nil, err
			}
			alts = append(alts, a.set("description", text(f.Doc)))
		}
		return s.set(kind, alts), nil
	}
	props := object()
	var required []any
	if err := g.fields(pkg, st, m, props, &required); err != nil {
		return nil, err
	}
	return s.set("type", "object").set("properties", props).set("required", required), nil
}

// unionKind returns "oneOf" or "anyOf" for a union shape, else "".
func unionKind(st *ast.StructType) string {
	if len(st.Fields.List) == 0 || len(st.Fields.List[0].Names) != 1 || st.Fields.List[0].Names[0].Name != "_" {
		return ""
	}
	if id, ok := st.Fields.List[0].Type.(*ast.Ident); ok && (id.Name == "oneOf" || id.Name == "anyOf") {
		return id.Name
	}
	return ""
}

// fields adds the JSON fields of st to props, flattening embedded structs
// as encoding/json does.
func (g *gen) fields(pkg string, st *ast.StructType, m mode, props *obj, required *[]any) error {
	inner := m
	if m == delivery {
		inner = answer
	}
	for _, f := range st.Fields.List {
		name, opts := jsonTag(f)
		if name == "-" {
			continue
		}
		if len(f.Names) == 0 && name == "" {
			t, err := g.embedded(pkg, f.Type)
			if err != nil {
				return err
			}
			if err := g.fields(t.pkg, t.expr.(*ast.StructType), m, props, required); err != nil {
				return err
			}
			continue
		}
		for _, id := range f.Names {
			if !id.IsExported() {
				continue
			}
			key := name
			if key == "" {
				key = id.Name
			}
			s, err := g.schema(pkg, f.Type, inner)
			if err != nil {
				return fmt.Errorf("field %s: %w", id.Name, err)
			}
			optional := m == delivery || strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
			switch {
			case !optional:
				*required = append(*required, key)
			case m != request:
				nullable(s)
			}
			doc := text(f.Doc)
			if doc == "" {
				doc = text(f.Comment)
			}
			if rest, ok := strings.CutPrefix(doc, id.Name+" "); ok {
				doc = key + " " + rest
			}
			props.set(key, s.set("description", doc))
		}
	}
	return nil
}

// embedded returns the struct type embedded by a field's type expression.
func (g *gen) embedded(pkg string, e ast.Expr) (*goType, error) {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	key := ""
	switch t := e.(type) {
	case *ast.Ident:
		key = pkg + "." + t.Name
	case *ast.SelectorExpr:
		key = types.ExprString(t)
	}
	if t := g.src.types[key]; t != nil {
		if _, ok := t.expr.(*ast.StructType); ok {
			return t, nil
		}
	}
	return nil, fmt.Errorf("embedded %s is not a struct of packages pave, webhook or internal/openapi",
		types.ExprString(e))
}

// jsonTag returns the name and options of a field's json tag.
func jsonTag(f *ast.Field) (name, opts string) {
	if f.Tag == nil {
		return "", ""
	}
	tag := reflect.StructTag(strings.Trim(f.Tag.Value, "`")).Get("json")
	name, opts, _ = strings.Cut(tag, ",")
	return name, opts
}

// nullable lets an optional value of an answer be null, as PAVE sends
// (vrm, phone, redirect_url): a scalar type gains "null", as does the
// open alternative of a vocabulary. Objects and lists are left as they are.
func nullable(s *obj) {
	if t, ok := s.get("type").(string); ok && t != "object" && t != "array" {
		s.set("type", []any{t, "null"})
	}
	if alts, ok := s.get("anyOf").([]any); ok {
		nullable(alts[len(alts)-1].(*obj))
	}
}

// typeDoc returns the first paragraph of a type's doc comment: the others
// are about the Go API.
func typeDoc(t *goType) string {
	doc, _, _ := strings.Cut(t.doc, "\n\n")
	return doc
}

// exported returns name with its first letter upper case.
func exported(name string) string {
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[n:]
}
