package openapi

import (
	"bytes"
	"strings"
)

// settle names the components once all are built. A request-mode
// component takes its type's own name when no answer describes the type,
// and merges into its answer-mode twin when both are the same schema; then
// each description names its component rather than the Go type.
func (g *gen) settle(doc *obj) {
	for {
		renames := map[string]string{}
		for name, o := range g.owner {
			base, ok := strings.CutSuffix(name, "Request")
			if !o.suffixed || !ok {
				continue
			}
			twin, taken := g.owner[base]
			if taken && (twin.key != o.key || !sameJSON(g.schemas.get(base), g.schemas.get(name))) {
				continue
			}
			renames[name] = base
		}
		if len(renames) == 0 {
			break
		}
		for old, name := range renames {
			if _, taken := g.owner[name]; !taken {
				g.schemas.set(name, g.schemas.get(old))
				g.owner[name] = owner{key: g.owner[old].key, m: request}
			}
			g.schemas.del(old)
			delete(g.owner, old)
		}
		rewrite(doc, renames)
	}
	for name, o := range g.owner {
		s := g.schemas.get(name).(*obj)
		t := g.src.types[o.key]
		if d, _ := s.get("description").(string); t != nil && strings.HasPrefix(d, t.name+" ") {
			s.set("description", name+strings.TrimPrefix(d, t.name))
		}
	}
}

// rewrite points every $ref to a renamed component at its new name.
func rewrite(v any, renames map[string]string) {
	const prefix = "#/components/schemas/"
	switch x := v.(type) {
	case *obj:
		if ref, ok := x.get("$ref").(string); ok {
			if name, ok := renames[strings.TrimPrefix(ref, prefix)]; ok && strings.HasPrefix(ref, prefix) {
				x.set("$ref", prefix+name)
			}
		}
		for _, k := range x.keys {
			rewrite(x.vals[k], renames)
		}
	case []any:
		for _, e := range x {
			rewrite(e, renames)
		}
	}
}

func sameJSON(a, b any) bool {
	var x, y bytes.Buffer
	writeJSON(&x, a)
	writeJSON(&y, b)
	return bytes.Equal(x.Bytes(), y.Bytes())
}
