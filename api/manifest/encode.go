package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fleetkit/orchestrator/api"
	yaml "go.yaml.in/yaml/v3"
)

// EncodeJSON writes each object as an indented JSON object, apiVersion
// and kind first, one after another (DecodeBytes reads the stream back).
func EncodeJSON(w io.Writer, objs ...api.Object) error {
	var buf bytes.Buffer
	for _, obj := range objs {
		raw, err := marshalWithHeader(obj)
		if err != nil {
			return err
		}
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			return fmt.Errorf("manifest: encode %s: %w", obj.Kind(), err)
		}
		buf.WriteByte('\n')
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("manifest: write: %w", err)
	}
	return nil
}

// EncodeYAML writes the objects as a multi-document YAML stream, each
// document apiVersion and kind first, then the fields in declaration
// order (metadata, spec, status).
func EncodeYAML(w io.Writer, objs ...api.Object) error {
	if len(objs) == 0 {
		return nil // the YAML encoder cannot close an empty stream
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	for _, obj := range objs {
		raw, err := marshalWithHeader(obj)
		if err != nil {
			return err
		}
		n, err := jsonToNode(raw)
		if err != nil {
			return fmt.Errorf("manifest: encode %s: %w", obj.Kind(), err)
		}
		if err := enc.Encode(n); err != nil {
			return fmt.Errorf("manifest: encode %s: %w", obj.Kind(), err)
		}
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("manifest: encode: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("manifest: write: %w", err)
	}
	return nil
}

// marshalWithHeader returns the object's JSON with apiVersion and kind
// spliced in front of its own fields.
func marshalWithHeader(obj api.Object) ([]byte, error) {
	if obj == nil {
		return nil, errors.New("manifest: encode: nil object")
	}
	ki, ok := api.LookupKind(obj.Kind())
	if !ok {
		return nil, fmt.Errorf("manifest: encode: %w %q", ErrUnknownKind, obj.Kind())
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("manifest: encode %s: %w", obj.Kind(), err)
	}
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("manifest: encode %s: not a JSON object", obj.Kind())
	}
	head, _ := json.Marshal(struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}{ki.APIVersion, string(ki.Kind)})
	out := append([]byte(nil), head[:len(head)-1]...) // without its '}'
	if len(body) > 2 {
		out = append(out, ',')
	}
	return append(out, body[1:]...), nil
}

// jsonToNode converts JSON into a YAML node tree, keeping the order of
// keys (a map would lose it).
func jsonToNode(raw []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	n, err := tokenNode(dec)
	if err != nil {
		return nil, err
	}
	return n, nil
}

func tokenNode(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				v, err := tokenNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
			}
			_, err := dec.Token() // '}'
			return n, err
		case '[':
			n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for dec.More() {
				v, err := tokenNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, v)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}, nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(t.String(), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(t)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}
