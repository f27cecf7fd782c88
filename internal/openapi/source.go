package openapi

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// source is what the generator reads from Go source: the types, typed
// constants and doc comments of packages pave and webhook and of this
// package's shapes, each by its qualified name ("pave.Session").
type source struct {
	types  map[string]*goType
	consts map[string][]any         // the values of a type's constants, in order, by type
	values map[string]*constant     // every typed or untyped constant by name
	funcs  map[string]*ast.FuncDecl // methods by "webhook.Event.Complete"
}

// goType is one type declaration.
type goType struct {
	pkg, name string
	expr      ast.Expr
	doc       string
}

// constant is one constant declaration with a literal value.
type constant struct {
	value any // string or int64
	doc   string
}

// packages are the directories read, relative to the module root, with the
// name their types are qualified by.
var packages = []struct{ dir, name string }{
	{".", "pave"}, {"webhook", "webhook"}, {"internal/openapi", "openapi"},
}

// load parses the packages of the module rooted at root, test files left
// out.
func load(root string) (*source, error) {
	src := &source{types: map[string]*goType{}, consts: map[string][]any{},
		values: map[string]*constant{}, funcs: map[string]*ast.FuncDecl{}}
	fset := token.NewFileSet()
	for _, p := range packages {
		dir := filepath.Join(root, p.dir)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
			if err != nil {
				return nil, err
			}
			src.file(p.name, f)
		}
	}
	return src, nil
}

func (s *source) file(pkg string, f *ast.File) {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv != nil && len(d.Recv.List) == 1 {
				s.funcs[pkg+"."+baseType(d.Recv.List[0].Type)+"."+d.Name.Name] = d
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch sp := spec.(type) {
				case *ast.TypeSpec:
					doc := sp.Doc
					if doc == nil && len(d.Specs) == 1 {
						doc = d.Doc
					}
					s.types[pkg+"."+sp.Name.Name] = &goType{pkg: pkg, name: sp.Name.Name, expr: sp.Type, doc: text(doc)}
				case *ast.ValueSpec:
					if d.Tok == token.CONST {
						s.constSpec(pkg, sp)
					}
				}
			}
		}
	}
}

// constSpec records constants whose value is a literal string or integer.
func (s *source) constSpec(pkg string, sp *ast.ValueSpec) {
	doc := sp.Doc
	if doc == nil {
		doc = sp.Comment
	}
	for i, name := range sp.Names {
		if i >= len(sp.Values) {
			return
		}
		lit, ok := sp.Values[i].(*ast.BasicLit)
		if !ok {
			continue
		}
		var v any
		switch lit.Kind {
		case token.STRING:
			v, _ = strconv.Unquote(lit.Value)
		case token.INT:
			v, _ = strconv.ParseInt(lit.Value, 0, 64)
		default:
			continue
		}
		s.values[pkg+"."+name.Name] = &constant{value: v, doc: text(doc)}
		if t, ok := sp.Type.(*ast.Ident); ok {
			key := pkg + "." + t.Name
			s.consts[key] = append(s.consts[key], v)
		}
	}
}

// str returns the value of a string constant.
func (s *source) str(name string) (string, error) {
	if c := s.values[name]; c != nil {
		if v, ok := c.value.(string); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("no string constant %s", name)
}

// baseType names the type of a receiver, without pointer or parameters.
func baseType(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return baseType(t.X)
	case *ast.Ident:
		return t.Name
	}
	return ""
}

// text turns a doc comment into a description: the lines of a paragraph
// joined by spaces, paragraphs separated by a blank line.
func text(c *ast.CommentGroup) string {
	if c == nil {
		return ""
	}
	var paras []string
	for _, p := range strings.Split(strings.TrimSpace(c.Text()), "\n\n") {
		paras = append(paras, strings.Join(strings.Fields(p), " "))
	}
	return strings.Join(paras, "\n\n")
}
