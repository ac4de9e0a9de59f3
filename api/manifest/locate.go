package manifest

import (
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// sortErrors orders problems by document, keeping the order within one.
func sortErrors(errs Errors) {
	slices.SortStableFunc(errs, func(a, b *Error) int { return a.Document - b.Document })
}

// segment is one step of a field path: a field or map key name, or a
// list index.
type segment struct {
	name    string
	index   int
	isIndex bool
}

// splitPath splits "spec.containers[0].resources.limits.cpu" or
// "metadata.labels[app.kubernetes.io/name]" into segments. A bracket
// holding digits is an index; any other is a key.
func splitPath(path string) []segment {
	var out []segment
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return append(out, segment{name: path[1:]})
			}
			inner := path[1:end]
			if i, err := strconv.Atoi(inner); err == nil && i >= 0 {
				out = append(out, segment{index: i, isIndex: true})
			} else {
				out = append(out, segment{name: inner})
			}
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			out = append(out, segment{name: path[:end]})
			path = path[end:]
		}
	}
	return out
}

// locate returns the line of the deepest node of the document that the
// path reaches: the field itself, or the nearest ancestor written in the
// document when the field is not (a defaulted field, a missing one).
func locate(root *yaml.Node, path string) int {
	segs := splitPath(path)
	budget := 10_000 // bounds merge-key lookups on hostile input
	n := resolve(root)
	line := 0
	if n != nil {
		line = n.Line
	}
	for i := 0; i < len(segs) && n != nil; {
		seg := segs[i]
		switch {
		case n.Kind == yaml.SequenceNode && seg.isIndex:
			if seg.index >= len(n.Content) {
				return line
			}
			n = resolve(n.Content[seg.index])
			i++
		case n.Kind == yaml.MappingNode && !seg.isIndex:
			// A resource name such as nvidia.com/gpu spans segments:
			// try the longest run of them that is a key.
			found := false
			for j := len(segs); j > i && !found; j-- {
				key := joinSegments(segs[i:j])
				if key == "" {
					continue
				}
				if k, v := lookupKey(n, key, 0, &budget); v != nil {
					line = k.Line
					n, i, found = resolve(v), j, true
				}
			}
			if !found {
				return line
			}
			continue
		default:
			return line
		}
		if n != nil {
			line = n.Line
		}
	}
	return line
}

func joinSegments(segs []segment) string {
	parts := make([]string, len(segs))
	for i, s := range segs {
		if s.isIndex {
			return ""
		}
		parts[i] = s.name
	}
	return strings.Join(parts, ".")
}

// lookupKey finds key in mapping n, merge keys included.
func lookupKey(n *yaml.Node, key string, depth int, budget *int) (k, v *yaml.Node) {
	*budget--
	if depth > maxMergeDepth || *budget < 0 {
		return nil, nil
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn := resolve(n.Content[i])
		if kn == nil || kn.Kind != yaml.ScalarNode {
			continue
		}
		if kn.ShortTag() == "!!merge" {
			merges = append(merges, n.Content[i+1])
			continue
		}
		if kn.Value == key {
			return kn, n.Content[i+1]
		}
	}
	for _, m := range merges {
		m = resolve(m)
		if m == nil {
			continue
		}
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			if s = resolve(s); s != nil && s.Kind == yaml.MappingNode {
				if k, v := lookupKey(s, key, depth+1, budget); v != nil {
					return k, v
				}
			}
		}
	}
	return nil, nil
}
