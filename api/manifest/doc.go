// Package manifest reads and writes Kubernetes-style manifests: streams
// of YAML documents (or JSON objects), each an object of a kind that
// package api knows.
//
// Guarantees:
//
//   - Strict: every field of the input lands in a field of the Go type,
//     or decoding fails. An unknown field, a duplicate key, a value of
//     the wrong type, a malformed quantity, an unknown kind and an
//     apiVersion that does not serve the kind are errors that name the
//     document (1-based, as people count), the line and the field path,
//     for example "manifest: document 1 (line 8): spec.replica: unknown
//     field". All the problems of a document are reported together.
//   - One set of rules: after decoding, api.Default and api.Validate run
//     on every object (DecodeOptions can skip them), and their problems
//     are reported the same way, with the line of the field.
//   - Safe on hostile input: decoding never panics, and its work is
//     bounded by DecodeOptions (input size, YAML nodes visited per
//     document with every alias use counted, problems per document), so
//     alias expansion and deep nesting cannot make it slow.
//   - Round trip: EncodeYAML and EncodeJSON write apiVersion and kind
//     first, then the object's fields in declaration order (metadata,
//     spec, status); decoding what they wrote gives back equal objects.
//
// All functions are safe for concurrent use.
package manifest
