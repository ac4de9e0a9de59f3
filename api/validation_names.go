package api

import (
	"strings"
)

// Syntax rules for names, as Kubernetes states them. Each check returns
// a lowercase description of what is wrong, or "" when s is valid.

const (
	dns1123LabelMax     = 63
	dns1123SubdomainMax = 253
	qualifiedNameMax    = 63
	labelValueMax       = 63
	ianaSvcNameMax      = 15
	// TotalAnnotationSizeLimit bounds the summed length of an object's
	// annotation keys and values (256 KiB), as in Kubernetes.
	TotalAnnotationSizeLimit = 256 << 10
)

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func isAlnum(c byte) bool { return isLowerAlnum(c) || c >= 'A' && c <= 'Z' }

// checkDNSLabel: at most 63 lowercase letters, digits and '-', starting
// and ending with a letter or digit (RFC 1123).
func checkDNSLabel(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if len(s) > dns1123LabelMax {
		return "must be no more than 63 characters"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLowerAlnum(c) && (c != '-' || i == 0 || i == len(s)-1) {
			return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
		}
	}
	return ""
}

// checkDNSSubdomain: at most 253 characters of dot-separated labels of
// lowercase letters, digits and '-', each starting and ending with a
// letter or digit. As in Kubernetes (IsDNS1123Subdomain), the labels of a
// subdomain are not limited to 63 characters: only the whole is.
func checkDNSSubdomain(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if len(s) > dns1123SubdomainMax {
		return "must be no more than 253 characters"
	}
	for _, part := range strings.Split(s, ".") {
		ok := part != "" && isLowerAlnum(part[0]) && isLowerAlnum(part[len(part)-1])
		for i := 0; ok && i < len(part); i++ {
			ok = isLowerAlnum(part[i]) || part[i] == '-'
		}
		if !ok {
			return "must be a lowercase RFC 1123 DNS subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character"
		}
	}
	return ""
}

// checkQualifiedName: an optional DNS subdomain prefix and '/', then a
// name of at most 63 characters; label and annotation keys.
func checkQualifiedName(s string) string {
	if s == "" {
		return "name part must not be empty"
	}
	name := s
	if prefix, rest, ok := strings.Cut(s, "/"); ok {
		if prefix == "" {
			return "prefix part must not be empty"
		}
		if msg := checkDNSSubdomain(prefix); msg != "" {
			return "prefix part " + msg
		}
		name = rest
		if name == "" {
			return "name part must not be empty"
		}
	}
	if msg := selCheckName(name); msg != "" {
		return "name part " + msg
	}
	return ""
}

// checkLabelValue: empty, or at most 63 name characters.
func checkLabelValue(s string) string {
	if s == "" {
		return ""
	}
	return selCheckName(s)
}

// checkPortName: an IANA service name: at most 15 lowercase letters,
// digits and '-', at least one letter, no "--", not starting or ending
// with '-'.
func checkPortName(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if len(s) > ianaSvcNameMax {
		return "must be no more than 15 characters"
	}
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			letter = true
		case c >= '0' && c <= '9':
		case c == '-':
			if i == 0 || i == len(s)-1 {
				return "must not begin or end with a hyphen"
			}
			if s[i-1] == '-' {
				return "must not contain consecutive hyphens"
			}
		default:
			return "must contain only lowercase alphanumeric characters or '-'"
		}
	}
	if !letter {
		return "must contain at least one letter"
	}
	return ""
}

// isExtendedResource reports whether name is an extended resource: a
// qualified name with a domain outside kubernetes.io ("nvidia.com/gpu").
// Such resources are counted in whole units and cannot be overcommitted.
func isExtendedResource(name ResourceName) bool {
	domain, _, ok := strings.Cut(string(name), "/")
	if !ok {
		return false
	}
	if domain == "kubernetes.io" || strings.HasSuffix(domain, ".kubernetes.io") {
		return false
	}
	return !strings.HasPrefix(string(name), "requests.")
}

// isHugePages reports whether name is a huge page size ("hugepages-2Mi").
func isHugePages(name ResourceName) bool { return strings.HasPrefix(string(name), "hugepages-") }

// checkContainerResourceName: a standard container resource, huge pages,
// or an extended resource.
func checkContainerResourceName(name ResourceName) string {
	switch name {
	case ResourceCPU, ResourceMemory, ResourceEphemeralStorage:
		return ""
	}
	if isHugePages(name) {
		return ""
	}
	if !strings.Contains(string(name), "/") {
		return "must be cpu, memory, ephemeral-storage, hugepages-<size> or a domain-qualified extended resource"
	}
	if msg := checkQualifiedName(string(name)); msg != "" {
		return msg
	}
	if !isExtendedResource(name) {
		return "must be a standard resource or an extended resource outside the kubernetes.io domain"
	}
	return ""
}
