package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/fleetkit/orchestrator/api"
	yaml "go.yaml.in/yaml/v3"
)

// DecodeOptions tunes decoding. The zero value decodes, defaults and
// validates with the default bounds. DecodeOptions is a value: it is safe
// for concurrent use.
type DecodeOptions struct {
	// SkipDefaults leaves the objects as written instead of running
	// api.Default on each.
	SkipDefaults bool
	// SkipValidation does not run api.Validate; decoding problems
	// (unknown fields, wrong types, unknown kinds) are still errors.
	SkipValidation bool
	// MaxBytes bounds the input size. Defaults to 32 MiB.
	MaxBytes int64
	// MaxNodes bounds the YAML nodes visited per document, an alias
	// counting again at every use, so that alias expansion ("billion
	// laughs") cannot make decoding slow. Defaults to 1,000,000.
	MaxNodes int
	// MaxErrors bounds the problems reported per document. Defaults
	// to 100.
	MaxErrors int
}

const (
	defaultMaxBytes  = 32 << 20
	defaultMaxNodes  = 1_000_000
	defaultMaxErrors = 100
	// maxMergeDepth bounds nested YAML merge keys ("<<").
	maxMergeDepth = 16
)

// Decode reads every object of a multi-document YAML (or JSON) stream,
// with the default options: see DecodeOptions.Decode.
func Decode(r io.Reader) ([]api.Object, error) { return DecodeOptions{}.Decode(r) }

// DecodeBytes is Decode of an in-memory manifest.
func DecodeBytes(b []byte) ([]api.Object, error) { return DecodeOptions{}.DecodeBytes(b) }

// Decode reads all of r (up to MaxBytes) and decodes it: see DecodeBytes.
func (o DecodeOptions) Decode(r io.Reader) ([]api.Object, error) {
	limit := o.maxBytes()
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("manifest: read: %w", err)
	}
	return o.DecodeBytes(b)
}

// DecodeBytes decodes every document of b, in order, into typed objects.
//
// The input is YAML (documents separated by "---"; comments, anchors,
// aliases, merge keys and a leading %YAML directive allowed; empty
// documents skipped) or JSON (one or more objects). A document of kind
// List (apiVersion v1), as kubectl writes, yields its items, whose
// problems are reported under "items[i]". Each document's
// apiVersion and kind choose the type through api.LookupKind; its fields
// are matched strictly against the type's json names, so an unknown
// field, a duplicate key, a value of the wrong type, a malformed quantity
// or an unknown kind is an error naming the document, the line and the
// field path. Then, unless the options say otherwise, api.Default and
// api.Validate run on each object and their problems are reported the
// same way.
//
// On any problem DecodeBytes returns no objects and an Errors listing
// every problem found (decoding stops at a syntax error, which makes the
// rest of the stream unreadable). It never panics, and its work is
// bounded by the options whatever the input.
func (o DecodeOptions) DecodeBytes(b []byte) ([]api.Object, error) {
	if int64(len(b)) > o.maxBytes() {
		return nil, Errors{{Document: 1, Reason: fmt.Sprintf("input exceeds %d bytes", o.maxBytes()), Err: ErrTooLarge}}
	}
	docs, errs := splitDocuments(b)
	d := &decoder{opts: o, structs: make(map[reflect.Type]*structInfo)}
	var objs []api.Object
	for _, doc := range docs {
		docObjs, derrs := d.document(doc)
		errs = append(errs, derrs...)
		objs = append(objs, docObjs...)
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, errs
	}
	return objs, nil
}

func (o DecodeOptions) maxBytes() int64 {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return defaultMaxBytes
}

func (o DecodeOptions) maxNodes() int {
	if o.MaxNodes > 0 {
		return o.MaxNodes
	}
	return defaultMaxNodes
}

func (o DecodeOptions) maxErrors() int {
	if o.MaxErrors > 0 {
		return o.MaxErrors
	}
	return defaultMaxErrors
}

// rawDoc is one parsed document of the stream.
type rawDoc struct {
	index int
	root  *yaml.Node // the document's content; nil when empty
	line  int
}

// splitDocuments parses the stream into documents. A syntax error ends
// the stream: it is returned as the error of the document it is in.
func splitDocuments(b []byte) (docs []rawDoc, errs Errors) {
	if isJSON(b) {
		return splitJSON(b)
	}
	b = rewriteYAMLDirective(b)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for i := 1; ; i++ {
		var n yaml.Node
		err := safeDecode(dec, &n)
		if errors.Is(err, io.EOF) {
			return docs, errs
		}
		if err != nil {
			return docs, append(errs, syntaxError(i, 0, err))
		}
		doc := rawDoc{index: i, line: n.Line}
		if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
			doc.root = n.Content[0]
		}
		docs = append(docs, doc)
	}
}

// safeDecode converts a panic of the YAML library into an error, so that
// a bug there cannot crash a program that reads untrusted manifests.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml parser failed: %v", r)
		}
	}()
	return dec.Decode(n)
}

func syntaxError(doc, line int, err error) *Error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	if line == 0 {
		// The YAML library reports "line N: ..."; lift N into Line.
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if num, tail, ok := strings.Cut(rest, ":"); ok {
				if n, err := strconv.Atoi(num); err == nil {
					line, msg = n, strings.TrimSpace(tail)
				}
			}
		}
	}
	return &Error{Document: doc, Line: line, Reason: "syntax error: " + msg, Err: ErrSyntax}
}

// rewriteYAMLDirective lets a stream start with "%YAML 1.2": the parser
// knows only 1.1, and the documents this package reads mean the same in
// both. The rewrite keeps every byte offset.
func rewriteYAMLDirective(b []byte) []byte {
	for pos := 0; pos < len(b); {
		end := bytes.IndexByte(b[pos:], '\n')
		if end < 0 {
			end = len(b) - pos
		}
		line := b[pos : pos+end]
		t := bytes.TrimSpace(line)
		switch {
		case bytes.HasPrefix(t, []byte("%YAML 1.2")):
			out := bytes.Clone(b)
			copy(out[pos+bytes.Index(line, []byte("%YAML 1.2")):], "%YAML 1.1")
			return out
		case len(t) > 0 && t[0] != '#' && t[0] != '%':
			return b // the first document has begun
		}
		pos += end + 1
	}
	return b
}

func isJSON(b []byte) bool {
	t := bytes.TrimLeft(b, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// splitJSON reads a stream of JSON values; each is parsed by the YAML
// parser (JSON is YAML) for the node tree, with lines counted in the
// whole input.
func splitJSON(b []byte) (docs []rawDoc, errs Errors) {
	dec := json.NewDecoder(bytes.NewReader(b))
	for i := 1; ; i++ {
		start := dec.InputOffset()
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return docs, errs
		}
		lineBase := bytes.Count(b[:start], []byte("\n"))
		if err != nil {
			line := 0
			var se *json.SyntaxError
			if errors.As(err, &se) && se.Offset <= int64(len(b)) {
				line = bytes.Count(b[:se.Offset], []byte("\n")) + 1
			}
			return docs, append(errs, &Error{Document: i, Line: line, Reason: "syntax error: " + err.Error(), Err: ErrSyntax})
		}
		// Skip the whitespace before the value so lines stay exact.
		lead := dec.InputOffset() - int64(len(raw)) - start
		if lead > 0 {
			lineBase += bytes.Count(b[start:start+lead], []byte("\n"))
		}
		var n yaml.Node
		if err := safeUnmarshal(unescapeJSONSlash(raw), &n); err != nil {
			return docs, append(errs, syntaxError(i, lineBase+1, err))
		}
		doc := rawDoc{index: i, line: lineBase + 1}
		if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
			doc.root = n.Content[0]
			shiftLines(doc.root, lineBase)
		}
		docs = append(docs, doc)
	}
}

func safeUnmarshal(b []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml parser failed: %v", r)
		}
	}()
	return yaml.Unmarshal(b, n)
}

// shiftLines adds base to the line of every node. JSON has no aliases,
// so the tree is a tree.
func shiftLines(n *yaml.Node, base int) {
	n.Line += base
	for _, c := range n.Content {
		shiftLines(c, base)
	}
}

// unescapeJSONSlash rewrites the JSON escape "\/", which YAML lacks, to
// "/". It is only called on a value the JSON decoder accepted.
func unescapeJSONSlash(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\/`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case !inString:
			inString = c == '"'
		case c == '\\' && i+1 < len(b):
			if b[i+1] == '/' {
				out = append(out, '/')
				i++
				continue
			}
			out = append(out, c, b[i+1])
			i++
			continue
		case c == '"':
			inString = false
		}
		out = append(out, c)
	}
	return out
}

// decoder holds the state of one DecodeBytes call.
type decoder struct {
	opts    DecodeOptions
	structs map[reflect.Type]*structInfo

	// Per document.
	doc    int
	budget int
	errs   Errors
	full   bool
}

func (d *decoder) fail(n *yaml.Node, path string, cat error, format string, args ...any) {
	if d.full {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	if len(d.errs) >= d.opts.maxErrors() {
		d.full = true
		d.errs = append(d.errs, &Error{Document: d.doc, Line: line, Reason: fmt.Sprintf("more than %d problems; giving up on this document", d.opts.maxErrors()), Err: ErrTooLarge})
		return
	}
	d.errs = append(d.errs, &Error{Document: d.doc, Line: line, Path: path, Reason: fmt.Sprintf(format, args...), Err: cat})
}

// spend takes one node from the budget; false means the document is
// over budget (reported once) and the walk must stop.
func (d *decoder) spend(n *yaml.Node) bool {
	if d.budget <= 0 {
		return false
	}
	d.budget--
	if d.budget == 0 {
		d.fail(n, "", ErrTooLarge, "document visits more than %d nodes (alias expansion?)", d.opts.maxNodes())
		d.full = true
		return false
	}
	return true
}

// document decodes one document: an object, or a "kind: List" of them
// (as kubectl writes). It returns nil objects when the document is empty
// or has problems.
func (d *decoder) document(doc rawDoc) ([]api.Object, Errors) {
	d.doc, d.budget, d.errs, d.full = doc.index, d.opts.maxNodes(), nil, false
	root := resolve(doc.root)
	if root == nil || root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, nil // empty document
	}
	var objs []api.Object
	if isList(root) {
		d.decodeList(root, &objs)
	} else if obj := d.object(root, ""); obj != nil {
		objs = append(objs, obj)
	}
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	return objs, nil
}

// isList reports whether n is a v1 List.
func isList(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	budget := 1000
	_, k := lookupKey(n, "kind", 0, &budget)
	_, v := lookupKey(n, "apiVersion", 0, &budget)
	kind, _ := scalarString(k)
	version, _ := scalarString(v)
	return kind == "List" && version == "v1"
}

// decodeList decodes the items of a List; metadata is allowed and
// ignored (it holds only list metadata such as resourceVersion).
func (d *decoder) decodeList(root *yaml.Node, objs *[]api.Object) {
	var items *yaml.Node
	for _, p := range d.pairs(root, "", 0) {
		switch p.key {
		case "apiVersion", "kind", "metadata":
		case "items":
			items = resolve(p.val)
		default:
			d.fail(p.keyNode, p.key, ErrUnknownField, "unknown field")
		}
	}
	if items == nil || items.Kind == yaml.ScalarNode && items.ShortTag() == "!!null" {
		return
	}
	if items.Kind != yaml.SequenceNode {
		d.fail(items, "items", ErrType, "want a list, got %s", describe(items))
		return
	}
	for i, it := range items.Content {
		if d.full || !d.spend(it) {
			return
		}
		if obj := d.object(resolve(it), "items["+strconv.Itoa(i)+"]"); obj != nil {
			*objs = append(*objs, obj)
		}
	}
}

// object decodes, defaults and validates one object from mapping n;
// prefix is its path within the document ("" or "items[3]"). It returns
// nil when the object has problems.
func (d *decoder) object(n *yaml.Node, prefix string) api.Object {
	before := len(d.errs)
	if n == nil || n.Kind != yaml.MappingNode {
		d.fail(n, prefix, ErrType, "an object must be a mapping with apiVersion and kind, got %s", describe(n))
		return nil
	}
	// Find apiVersion and kind without reporting anything: decodeStruct
	// reports duplicate keys and the like once, below.
	budget := 1000
	_, kindNode := lookupKey(n, "kind", 0, &budget)
	_, versionNode := lookupKey(n, "apiVersion", 0, &budget)
	kindPath, versionPath := joinField(prefix, "kind"), joinField(prefix, "apiVersion")
	kind, okKind := scalarString(kindNode)
	version, okVersion := scalarString(versionNode)
	switch {
	case kindNode == nil:
		d.fail(n, kindPath, ErrUnknownKind, "required field is missing")
		return nil
	case !okKind:
		d.fail(kindNode, kindPath, ErrType, "want a string, got %s", describe(kindNode))
		return nil
	case versionNode == nil:
		d.fail(n, versionPath, ErrUnknownKind, "required field is missing")
		return nil
	case !okVersion:
		d.fail(versionNode, versionPath, ErrType, "want a string, got %s", describe(versionNode))
		return nil
	}
	ki, ok := api.LookupKind(api.Kind(kind))
	if !ok {
		d.fail(kindNode, kindPath, ErrUnknownKind, "unknown kind %q", kind)
		return nil
	}
	if version != ki.APIVersion {
		d.fail(versionNode, versionPath, ErrUnknownKind, "apiVersion %q does not serve kind %s (want %q)", version, kind, ki.APIVersion)
		return nil
	}
	obj := ki.New()
	d.decodeStruct(n, reflect.ValueOf(obj).Elem(), prefix, true)
	if !d.opts.SkipDefaults {
		api.Default(obj)
	}
	if !d.opts.SkipValidation && !d.full {
		d.validationErrors(n, obj, prefix, before)
	}
	if len(d.errs) > before {
		return nil
	}
	return obj
}

// validationErrors adds the problems api.Validate finds, with the line
// of the field (or of its nearest ancestor written in the document),
// except those under a field that failed to decode: they would repeat it.
func (d *decoder) validationErrors(n *yaml.Node, obj api.Object, prefix string, from int) {
	err := api.Validate(obj)
	if err == nil {
		return
	}
	var fes api.FieldErrors
	if !errors.As(err, &fes) {
		d.fail(n, prefix, err, "%v", err)
		return
	}
	decodeFailed := make([]string, 0, len(d.errs)-from)
	for _, e := range d.errs[from:] {
		decodeFailed = append(decodeFailed, strings.TrimPrefix(strings.TrimPrefix(e.Path, prefix), "."))
	}
	for _, fe := range fes {
		if overlaps(fe.Path, decodeFailed) {
			continue
		}
		line := locate(n, fe.Path)
		reason := strings.TrimPrefix(fe.Error(), fe.Path+": ")
		d.errs = append(d.errs, &Error{Document: d.doc, Line: line, Path: joinField(prefix, fe.Path), Reason: reason, Err: fe})
	}
}

// overlaps reports whether path is one of paths, inside one, or contains
// one.
func overlaps(path string, paths []string) bool {
	for _, p := range paths {
		if p == "" {
			continue
		}
		if within(path, p) || within(p, path) {
			return true
		}
	}
	return false
}

func within(path, parent string) bool {
	if !strings.HasPrefix(path, parent) {
		return false
	}
	rest := path[len(parent):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

// pair is one key and value of a mapping, after merge keys are applied.
type pair struct {
	key     string
	keyNode *yaml.Node
	val     *yaml.Node
}

// pairs returns the entries of mapping n: its own keys (a repeated one
// is an error), then those merged in with "<<" that it does not set
// itself, earlier merged mappings winning, as YAML 1.1 merge keys mean.
func (d *decoder) pairs(n *yaml.Node, path string, depth int) []pair {
	out := make([]pair, 0, len(n.Content)/2)
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k == nil {
			continue
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, ErrType, "a key must be a scalar, got %s", describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.fail(k, joinField(path, k.Value), ErrDuplicateField, "duplicate key (first on line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k.Value, k, v})
	}
	if len(merges) == 0 {
		return out
	}
	if depth >= maxMergeDepth {
		d.fail(n, path, ErrTooLarge, "merge keys nested more than %d deep", maxMergeDepth)
		return out
	}
	var sources []*yaml.Node
	for _, m := range merges {
		m = resolve(m)
		switch {
		case m == nil:
		case m.Kind == yaml.MappingNode:
			sources = append(sources, m)
		case m.Kind == yaml.SequenceNode:
			for _, s := range m.Content {
				if s = resolve(s); s != nil && s.Kind == yaml.MappingNode {
					sources = append(sources, s)
				} else {
					d.fail(s, path, ErrType, "a merge key takes mappings, got %s", describe(s))
				}
			}
		default:
			d.fail(m, path, ErrType, "a merge key takes a mapping or a list of mappings, got %s", describe(m))
		}
	}
	for _, src := range sources {
		if !d.spend(src) {
			return out
		}
		for _, p := range d.pairs(src, path, depth+1) {
			if _, dup := seen[p.key]; dup {
				continue
			}
			seen[p.key] = p.keyNode
			out = append(out, p)
		}
	}
	return out
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			return nil
		}
		n = n.Alias
	}
	return n
}

func scalarString(n *yaml.Node) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", false
	}
	return n.Value, true
}

// describe names a node's type for error messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "string " + strconv.Quote(truncate(n.Value))
		case "!!int", "!!float":
			return "number " + truncate(n.Value)
		case "!!bool":
			return "boolean " + n.Value
		case "!!null":
			return "null"
		case "!!timestamp":
			return "timestamp " + truncate(n.Value)
		default:
			return n.ShortTag() + " " + strconv.Quote(truncate(n.Value))
		}
	}
	return "an unsupported node"
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
