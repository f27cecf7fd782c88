// Command apilist writes the exported API of the SDK's packages, one line
// per name, in the style of the standard library's api/ files:
//
//	go run ./internal/apilist > api/pave.txt
//
// CI regenerates the listing and fails when it differs from api/pave.txt,
// so every change to the public surface is a reviewed diff (and, for a
// removal or a rename, a line in CHANGELOG.md's Upgrading table).
package main

import (
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"os"
	"sort"
	"strings"
)

// packages are the SDK's public packages: the root module's, and the
// instrumentation's.
var packages = []string{"github.com/pave-go/pave", "github.com/pave-go/pave/webhook", "github.com/pave-go/pave/pavetest",
	"github.com/pave-go/pave/otel"}

func main() {
	imp := importer.ForCompiler(token.NewFileSet(), "source", nil)
	var lines []string
	for _, path := range packages {
		pkg, err := imp.Import(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "apilist:", err)
			os.Exit(1)
		}
		lines = append(lines, list(pkg)...)
	}
	sort.Strings(lines)
	fmt.Println(strings.Join(lines, "\n"))
}

// list returns the lines of pkg's exported names: each constant, variable,
// function and type, each exported field and method.
func list(pkg *types.Package) []string {
	q := func(p *types.Package) string {
		if p == pkg {
			return ""
		}
		return p.Name()
	}
	prefix := "pkg " + pkg.Path() + ", "
	var out []string
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		switch o := obj.(type) {
		case *types.Const:
			out = append(out, prefix+"const "+name+" "+types.TypeString(o.Type(), q))
		case *types.Var:
			out = append(out, prefix+"var "+name+" "+types.TypeString(o.Type(), q))
		case *types.Func:
			out = append(out, prefix+"func "+name+strings.TrimPrefix(types.TypeString(o.Type(), q), "func"))
		case *types.TypeName:
			out = append(out, typeLines(prefix, o, q)...)
		}
	}
	return out
}

// typeLines lists a type, its exported fields and its exported methods.
func typeLines(prefix string, o *types.TypeName, q types.Qualifier) []string {
	name := o.Name()
	under := o.Type().Underlying()
	kind := types.TypeString(under, q)
	if o.IsAlias() {
		kind = "= " + types.TypeString(o.Type(), q)
	} else if _, ok := under.(*types.Struct); ok {
		kind = "struct"
	} else if _, ok := under.(*types.Interface); ok {
		kind = "interface"
	}
	out := []string{prefix + "type " + name + " " + kind}
	if s, ok := under.(*types.Struct); ok && !o.IsAlias() {
		for i := range s.NumFields() {
			if f := s.Field(i); f.Exported() {
				embedded := ""
				if f.Embedded() {
					embedded = ", embedded"
				}
				out = append(out, prefix+"type "+name+" struct, "+f.Name()+" "+types.TypeString(f.Type(), q)+embedded)
			}
		}
	}
	if it, ok := under.(*types.Interface); ok {
		for i := range it.NumMethods() {
			if m := it.Method(i); m.Exported() {
				out = append(out, prefix+"type "+name+" interface, "+m.Name()+strings.TrimPrefix(types.TypeString(m.Type(), q), "func"))
			}
		}
	}
	ms := types.NewMethodSet(types.NewPointer(o.Type()))
	for i := range ms.Len() {
		sel := ms.At(i)
		m := sel.Obj()
		if !m.Exported() || len(sel.Index()) > 1 { // promoted methods are listed on their own type
			continue
		}
		recv := name
		if _, ptr := m.Type().(*types.Signature).Recv().Type().(*types.Pointer); ptr {
			recv = "*" + name
		}
		out = append(out, prefix+"method ("+recv+") "+m.Name()+strings.TrimPrefix(types.TypeString(m.Type(), q), "func"))
	}
	return out
}
