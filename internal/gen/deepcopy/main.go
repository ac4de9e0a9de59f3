// Command deepcopy writes DeepCopy, DeepCopyInto and DeepCopyObject
// methods for the struct types of one Go package, from its source alone
// (go/ast; no type checker, no dependencies beyond the standard library).
//
// Run it from the package directory (go generate does):
//
//	//go:generate go run ../internal/gen/deepcopy
//
// For every exported, non-generic struct type T it writes
//
//	func (in *T) DeepCopyInto(out *T)
//	func (in *T) DeepCopy() *T
//
// and, when T embeds ObjectMeta and has a Kind method, DeepCopyObject()
// Object. For every exported named map or slice type M it writes
// DeepCopyInto(out *M) and DeepCopy() M with value receivers.
//
// What it knows about field types: basic types and named types over them
// are copied by value, as are time.Time and time.Duration; pointers,
// slices and maps are copied element by element; a type with a
// hand-written value method DeepCopy() T (such as api.Quantity, whose
// big.Int must not be shared) is copied through it; struct types of the
// package are copied through their DeepCopyInto, or by value when every
// field is copied by value. A type with a field it cannot copy
// (interface, func, chan, an unknown type of another package) is listed
// in a comment of the output and left out, rather than copied shallowly.
//
// The output is deterministic (types sorted by name) and gofmt-formatted,
// so a test can regenerate it and compare.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	dir := flag.String("dir", ".", "package directory to read")
	out := flag.String("out", "zz_generated_deepcopy.go", "output file, relative to -dir unless absolute")
	flag.Parse()
	path := *out
	if !filepath.IsAbs(path) {
		path = filepath.Join(*dir, path)
	}
	src, err := Generate(*dir, filepath.Base(path))
	if err != nil {
		fmt.Fprintln(os.Stderr, "deepcopy:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "deepcopy:", err)
		os.Exit(1)
	}
}

// Generate returns the generated file for the package in dir, ignoring
// test files and the file named skip (the previous output).
func Generate(dir, skip string) ([]byte, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	g := &gen{
		types:   map[string]*ast.TypeSpec{},
		methods: map[string]map[string]bool{},
		imports: map[string]string{},
		plain:   map[string]int{},
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || name == skip {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse: %w", err)
		}
		if g.pkg == "" {
			g.pkg = f.Name.Name
		} else if g.pkg != f.Name.Name {
			return nil, fmt.Errorf("%s: package %s, want %s", name, f.Name.Name, g.pkg)
		}
		g.collect(f)
	}
	if g.pkg == "" {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	return g.generate()
}

type gen struct {
	pkg     string
	types   map[string]*ast.TypeSpec
	methods map[string]map[string]bool // receiver type -> method names
	imports map[string]string          // local name -> import path
	used    map[string]bool            // import paths the output needs
	plain   map[string]int             // memo: 1 plain, 2 not plain, 3 visiting
	buf     bytes.Buffer
}

func (g *gen) collect(f *ast.File) {
	for _, imp := range f.Imports {
		path := strings.Trim(imp.Path.Value, `"`)
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		g.imports[name] = path
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			if d.Tok != token.TYPE {
				continue
			}
			for _, s := range d.Specs {
				ts := s.(*ast.TypeSpec)
				g.types[ts.Name.Name] = ts
			}
		case *ast.FuncDecl:
			if d.Recv == nil || len(d.Recv.List) != 1 {
				continue
			}
			rt := d.Recv.List[0].Type
			if s, ok := rt.(*ast.StarExpr); ok {
				rt = s.X
			}
			if id, ok := rt.(*ast.Ident); ok {
				if g.methods[id.Name] == nil {
					g.methods[id.Name] = map[string]bool{}
				}
				g.methods[id.Name][d.Name.Name] = true
			}
		}
	}
}

// kind of a type expression, as far as copying goes.
type kind int

const (
	kPlain      kind = iota // assignment is a deep copy
	kMethod                 // value method DeepCopy() T
	kStruct                 // struct of the package with DeepCopyInto
	kPointer                // *E
	kSlice                  // []E
	kMap                    // map[K]V
	kArray                  // [N]E
	kNamed                  // named map/slice/pointer type of the package: see underlying
	kImpossible             // cannot be deep-copied
)

var basic = map[string]bool{
	"bool": true, "string": true, "byte": true, "rune": true,
	"int": true, "int8": true, "int16": true, "int32": true, "int64": true,
	"uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true, "uintptr": true,
	"float32": true, "float64": true, "complex64": true, "complex128": true,
}

// plainExternal lists types of other packages whose assignment is a deep
// copy. time.Time holds a *Location, which is immutable and shared by
// design.
var plainExternal = map[string]bool{"time.Time": true, "time.Duration": true, "time.Month": true, "time.Weekday": true}

// classify returns the kind of t and, for kImpossible, why.
func (g *gen) classify(t ast.Expr) (kind, string) {
	switch t := t.(type) {
	case *ast.Ident:
		if basic[t.Name] {
			return kPlain, ""
		}
		ts, ok := g.types[t.Name]
		if !ok {
			return kImpossible, t.Name + " is not a copyable type"
		}
		if ts.TypeParams != nil {
			return kImpossible, t.Name + " is generic"
		}
		if g.methods[t.Name]["DeepCopy"] && !g.methods[t.Name]["DeepCopyInto"] {
			return kMethod, ""
		}
		if st, ok := ts.Type.(*ast.StructType); ok {
			switch g.isPlainStruct(t.Name, st) {
			case 1:
				return kPlain, ""
			case 3:
				return kImpossible, t.Name + " contains itself"
			}
			if why := g.structProblem(st); why != "" {
				return kImpossible, t.Name + ": " + why
			}
			return kStruct, ""
		}
		k, why := g.classify(ts.Type)
		switch k {
		case kPlain, kImpossible:
			return k, why
		}
		return kNamed, ""
	case *ast.SelectorExpr:
		s := types.ExprString(t)
		if plainExternal[s] {
			return kPlain, ""
		}
		return kImpossible, s + " is of another package"
	case *ast.StarExpr:
		if k, why := g.classify(t.X); k == kImpossible {
			return k, why
		}
		return kPointer, ""
	case *ast.ArrayType:
		k, why := g.classify(t.Elt)
		if k == kImpossible {
			return k, why
		}
		if t.Len == nil {
			return kSlice, ""
		}
		if k == kPlain {
			return kPlain, ""
		}
		return kArray, ""
	case *ast.MapType:
		if k, why := g.classify(t.Key); k != kPlain {
			if why == "" {
				why = "map key " + types.ExprString(t.Key) + " is not a plain value"
			}
			return kImpossible, why
		}
		if k, why := g.classify(t.Value); k == kImpossible {
			return k, why
		}
		return kMap, ""
	case *ast.ParenExpr:
		return g.classify(t.X)
	}
	return kImpossible, types.ExprString(t) + " cannot be deep-copied"
}

// isPlainStruct reports 1 when every field of st copies by assignment, 2
// when not, 3 while deciding (a cycle).
func (g *gen) isPlainStruct(name string, st *ast.StructType) int {
	if v := g.plain[name]; v != 0 {
		return v
	}
	g.plain[name] = 3
	res := 1
	for _, f := range st.Fields.List {
		if k, _ := g.classify(f.Type); k != kPlain {
			res = 2
			break
		}
	}
	g.plain[name] = res
	return res
}

// structProblem returns why st cannot be deep-copied, or "".
func (g *gen) structProblem(st *ast.StructType) string {
	for _, f := range st.Fields.List {
		if k, why := g.classify(f.Type); k == kImpossible {
			return fieldName(f) + ": " + why
		}
	}
	return ""
}

func fieldName(f *ast.Field) string {
	if len(f.Names) > 0 {
		return f.Names[0].Name
	}
	t := f.Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch t := t.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.SelectorExpr:
		return t.Sel.Name
	}
	return types.ExprString(f.Type)
}

// typeString prints t as it must appear in the output, noting imports.
func (g *gen) typeString(t ast.Expr) string {
	ast.Inspect(t, func(n ast.Node) bool {
		if s, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := s.X.(*ast.Ident); ok {
				if p, ok := g.imports[id.Name]; ok {
					g.used[p] = true
				}
			}
		}
		return true
	})
	return types.ExprString(t)
}

func (g *gen) printf(format string, args ...any) { fmt.Fprintf(&g.buf, format, args...) }

// emit writes statements that make dst a deep copy of src, both of type
// t. dst is an addressable expression holding either the zero value or a
// shallow copy of src; depth names the loop variables.
func (g *gen) emit(dst, src string, t ast.Expr, depth int) {
	k, _ := g.classify(t)
	switch k {
	case kPlain:
		g.printf("%s = %s\n", dst, src)
	case kMethod:
		g.printf("%s = %s.DeepCopy()\n", dst, src)
	case kStruct:
		g.printf("%s.DeepCopyInto(&%s)\n", src, dst)
	case kNamed:
		id := t.(*ast.Ident)
		g.emitComposite(dst, src, g.types[id.Name].Type, id.Name, depth)
	default:
		g.emitComposite(dst, src, t, g.typeString(t), depth)
	}
}

// emitComposite copies a pointer, slice, map or array type t, whose name
// in the output is name.
func (g *gen) emitComposite(dst, src string, t ast.Expr, name string, depth int) {
	if p, ok := t.(*ast.ParenExpr); ok {
		t = p.X
	}
	switch t := t.(type) {
	case *ast.StarExpr:
		g.printf("if %s != nil {\n", src)
		g.printf("%s = new(%s)\n", dst, g.typeString(t.X))
		switch ek, _ := g.classify(t.X); ek {
		case kPlain:
			g.printf("*%s = *%s\n", dst, src)
		case kMethod:
			g.printf("*%s = %s.DeepCopy()\n", dst, src)
		case kStruct:
			g.printf("%s.DeepCopyInto(%s)\n", src, dst)
		default:
			g.emit("(*"+dst+")", "(*"+src+")", t.X, depth+1)
		}
		g.printf("}\n")
	case *ast.ArrayType:
		i := fmt.Sprintf("i%d", depth)
		ek, _ := g.classify(t.Elt)
		if t.Len == nil {
			g.printf("if %s != nil {\n", src)
			g.printf("%s = make(%s, len(%s))\n", dst, name, src)
			if ek == kPlain {
				g.printf("copy(%s, %s)\n", dst, src)
				g.printf("}\n")
				return
			}
		} else {
			g.printf("{\n")
		}
		g.printf("for %s := range %s {\n", i, src)
		g.emit(paren(dst)+"["+i+"]", paren(src)+"["+i+"]", t.Elt, depth+1)
		g.printf("}\n}\n")
	case *ast.MapType:
		key, val := fmt.Sprintf("k%d", depth), fmt.Sprintf("v%d", depth)
		g.printf("if %s != nil {\n", src)
		if vk, _ := g.classify(t.Value); vk == kPlain {
			// maps.Clone copies the table wholesale: no rehashing of
			// every key, and a fraction of the cost of a loop on the
			// store's hot paths.
			g.used["maps"] = true
			g.printf("%s = maps.Clone(%s)\n}\n", dst, src)
			return
		}
		g.printf("%s = make(%s, len(%s))\n", dst, name, src)
		g.printf("for %s, %s := range %s {\n", key, val, src)
		if vk, _ := g.classify(t.Value); vk == kMethod {
			g.printf("%s[%s] = %s.DeepCopy()\n", paren(dst), key, val)
		} else {
			tmp := fmt.Sprintf("c%d", depth)
			g.printf("var %s %s\n", tmp, g.typeString(t.Value))
			g.emit(tmp, val, t.Value, depth+1)
			g.printf("%s[%s] = %s\n", paren(dst), key, tmp)
		}
		g.printf("}\n}\n")
	default:
		panic(fmt.Sprintf("deepcopy: unexpected composite %s", types.ExprString(t)))
	}
}

func (g *gen) generate() ([]byte, error) {
	g.used = map[string]bool{}
	names := make([]string, 0, len(g.types))
	for n := range g.types {
		names = append(names, n)
	}
	slices.Sort(names)

	var skipped []string
	var body bytes.Buffer
	for _, n := range names {
		ts := g.types[n]
		if !ast.IsExported(n) || ts.TypeParams != nil || ts.Assign.IsValid() {
			continue
		}
		m := g.methods[n]
		if m["DeepCopy"] || m["DeepCopyInto"] {
			continue // hand-written
		}
		g.buf.Reset()
		switch tt := ts.Type.(type) {
		case *ast.StructType:
			if why := g.structProblem(tt); why != "" {
				skipped = append(skipped, n+" ("+why+")")
				continue
			}
			g.printf("// DeepCopyInto copies in into out, which then shares no memory with in.\n")
			g.printf("func (in *%s) DeepCopyInto(out *%s) {\n*out = *in\n", n, n)
			for _, f := range tt.Fields.List {
				if k, _ := g.classify(f.Type); k == kPlain {
					continue
				}
				names := f.Names
				if len(names) == 0 {
					names = []*ast.Ident{{Name: fieldName(f)}}
				}
				for _, fn := range names {
					g.emit("out."+fn.Name, "in."+fn.Name, f.Type, 0)
				}
			}
			g.printf("}\n\n")
			g.printf("// DeepCopy returns a copy of in that shares no memory with it, or nil.\n")
			g.printf("func (in *%s) DeepCopy() *%s {\nif in == nil {\nreturn nil\n}\nout := new(%s)\nin.DeepCopyInto(out)\nreturn out\n}\n\n", n, n, n)
			if embedsObjectMeta(tt) && m["Kind"] {
				g.printf("// DeepCopyObject returns a deep copy of in as an Object.\n")
				g.printf("func (in *%s) DeepCopyObject() Object {\nif c := in.DeepCopy(); c != nil {\nreturn c\n}\nreturn nil\n}\n\n", n)
			}
		case *ast.MapType, *ast.ArrayType:
			if at, ok := tt.(*ast.ArrayType); ok && at.Len != nil {
				continue
			}
			k, why := g.classify(ts.Type)
			if k == kImpossible {
				skipped = append(skipped, n+" ("+why+")")
				continue
			}
			g.printf("// DeepCopyInto copies in into out, which then shares no memory with in.\n")
			g.printf("func (in %s) DeepCopyInto(out *%s) {\n*out = nil\n", n, n)
			g.emitComposite("*out", "in", ts.Type, n, 0)
			g.printf("}\n\n")
			g.printf("// DeepCopy returns a copy of in that shares no memory with it.\n")
			g.printf("func (in %s) DeepCopy() %s {\nif in == nil {\nreturn nil\n}\nout := new(%s)\nin.DeepCopyInto(out)\nreturn *out\n}\n\n", n, n, n)
		default:
			continue
		}
		body.Write(g.buf.Bytes())
	}

	var out bytes.Buffer
	out.WriteString("// Code generated by internal/gen/deepcopy. DO NOT EDIT.\n\n")
	if len(skipped) > 0 {
		out.WriteString("// Types left out, because a field cannot be deep-copied:\n")
		for _, s := range skipped {
			out.WriteString("//   - " + s + "\n")
		}
		out.WriteString("\n")
	}
	fmt.Fprintf(&out, "package %s\n\n", g.pkg)
	if len(g.used) > 0 {
		paths := make([]string, 0, len(g.used))
		for p := range g.used {
			paths = append(paths, p)
		}
		slices.Sort(paths)
		out.WriteString("import (\n")
		for _, p := range paths {
			fmt.Fprintf(&out, "%q\n", p)
		}
		out.WriteString(")\n\n")
	}
	out.Write(body.Bytes())
	src, err := format.Source(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format output: %w\n%s", err, out.Bytes())
	}
	return src, nil
}

// paren wraps a dereference so that it can be indexed.
func paren(s string) string {
	if strings.HasPrefix(s, "*") {
		return "(" + s + ")"
	}
	return s
}

func embedsObjectMeta(st *ast.StructType) bool {
	for _, f := range st.Fields.List {
		if len(f.Names) == 0 {
			if id, ok := f.Type.(*ast.Ident); ok && id.Name == "ObjectMeta" {
				return true
			}
		}
	}
	return false
}
