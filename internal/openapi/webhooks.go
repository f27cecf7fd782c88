package openapi

import (
	"embed"
	"fmt"
	"go/ast"
	"maps"
	"slices"
	"strings"

	"github.com/pave-go/pave/internal/endpoint"
)

//go:embed samples/*.json
var samples embed.FS

// sample returns the request sample of the operation op
// (samples/<op>.json), or nil.
func sample(op string) []byte {
	b, err := samples.ReadFile("samples/" + op + ".json")
	if err != nil {
		return nil
	}
	return b
}

// webhooks describes one delivery per event of pave.EventName, in the
// order of its constants. The body is that of the event's typed view in
// package webhook: a method of webhook.Event naming the event's constant
// that decodes the body into a local struct w (its JSON names, with the
// types and docs of the view's fields of the same names) or returns a type
// of package pave.
func (g *gen) webhooks() (*obj, error) {
	views := map[any]*ast.FuncDecl{}
	names := slices.Sorted(maps.Keys(g.src.funcs))
	for _, name := range names {
		if !strings.HasPrefix(name, "webhook.Event.") {
			continue
		}
		fn := g.src.funcs[name]
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "pave" {
				if c := g.src.values["pave."+sel.Sel.Name]; c != nil && views[c.value] == nil {
					views[c.value] = fn
				}
			}
			return true
		})
	}
	out := object()
	for _, event := range g.src.consts["pave.EventName"] {
		name := event.(string)
		hook := object("summary", g.eventDoc(name))
		body := object("type", "object")
		if fn := views[event]; fn != nil {
			var err error
			if body, err = g.view(fn); err != nil {
				return nil, fmt.Errorf("webhook %s: %w", name, err)
			}
			hook.set("operationId", "Event."+fn.Name.Name)
		}
		examples, err := g.deliveries(name)
		if err != nil {
			return nil, err
		}
		media := object("schema", body, "examples", examples)
		// PAVE does not sign deliveries: the receiver's secret is in a
		// header of the setting's own (see deliveryNote).
		hook.set("description", deliveryNote).set("security", []any{})
		hook.set("requestBody", object("required", true, "content", object("application/json", media)))
		hook.set("responses", object("2XX", object("description", acknowledged)))
		out.set(name, object("post", hook))
	}
	return out, nil
}

// eventDoc returns the doc of the constant whose value is event, as a
// sentence about the event ("Fires when ...").
func (g *gen) eventDoc(event string) string {
	for name, c := range g.src.values {
		if strings.HasPrefix(name, "pave.Event") && c.value == event {
			_, rest, _ := strings.Cut(c.doc, " ")
			return exported(rest)
		}
	}
	return ""
}

// view returns the body schema of a typed view.
func (g *gen) view(fn *ast.FuncDecl) (*obj, error) {
	result := fn.Type.Results.List[0].Type
	var local *ast.StructType
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if v, ok := n.(*ast.ValueSpec); ok && len(v.Names) == 1 && v.Names[0].Name == "w" {
			local, _ = v.Type.(*ast.StructType)
		}
		return local == nil
	})
	if local == nil {
		return g.schema("webhook", result, answer)
	}
	t := g.src.types["webhook."+baseType(result)]
	if t == nil {
		return nil, fmt.Errorf("the view %s is not a type of package webhook", baseType(result))
	}
	public := map[string]*ast.Field{}
	if st, ok := t.expr.(*ast.StructType); ok {
		for _, f := range st.Fields.List {
			for _, id := range f.Names {
				public[id.Name] = f
			}
		}
	}
	merged := &ast.StructType{Fields: &ast.FieldList{}}
	for _, f := range local.Fields.List {
		m := *f
		if p := public[f.Names[0].Name]; p != nil {
			m.Type, m.Doc, m.Comment = p.Type, p.Doc, p.Comment
		}
		merged.Fields.List = append(merged.Fields.List, &m)
	}
	return g.define(t.name, owner{key: "webhook." + t.name, m: delivery}, func() (*obj, error) {
		return g.object("webhook", merged, delivery, typeDoc(t))
	})
}

// deliveries returns the delivery fixtures of an event as examples:
// delivery_<event name after the colon, lower case>[_...].json.
func (g *gen) deliveries(event string) (*obj, error) {
	_, suffix, _ := strings.Cut(event, ":")
	prefix := "delivery_" + strings.ToLower(suffix)
	out := object()
	for _, name := range endpoint.FixtureNames() {
		stem := strings.TrimSuffix(name, ".json")
		if stem == prefix || strings.HasPrefix(stem, prefix+"_") {
			ref, err := g.example(name)
			if err != nil {
				return nil, err
			}
			out.set(stem, ref)
		}
	}
	if len(out.keys) == 0 {
		return nil, nil
	}
	return out, nil
}
