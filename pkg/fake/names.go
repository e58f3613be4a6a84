package fake

import (
	"fmt"
	"regexp"
	"strings"
)

// resourceNamePattern is Azure's rule for Microsoft.Network resource names: 1 to 80 characters,
// starting with a letter or digit, ending with a letter, digit or '_', and '.', '-', '_' inside.
var resourceNamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]{0,78}[A-Za-z0-9_])?$`)

func validateName(kind, name string) *Error {
	if !resourceNamePattern.MatchString(name) {
		return badRequest(CodeInvalidResourceName,
			"%s name %q is invalid. The name can be up to 80 characters long. It must begin with a word character, "+
				"and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.",
			kind, name)
	}
	return nil
}

// normalizeLocation turns "East US" into "eastus", the form ARM returns.
func normalizeLocation(loc string) string {
	return strings.ToLower(strings.ReplaceAll(loc, " ", ""))
}

// storeKey is the case-insensitive key of a resource within the subscription.
func storeKey(rg, name string) string {
	return strings.ToLower(rg) + "/" + strings.ToLower(name)
}

// inGroup reports whether the resource stored at key is in resource group rg ("" matches all).
func inGroup(key, rg string) bool {
	return rg == "" || strings.HasPrefix(key, storeKey(rg, ""))
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// canonicalEnum returns the allowed value v matches case-insensitively, as ARM reads enums.
func canonicalEnum[T ~string](v T, allowed ...T) (T, bool) {
	for _, a := range allowed {
		if strings.EqualFold(string(v), string(a)) {
			return a, true
		}
	}
	return v, false
}

func invalidEnum[T ~string](path string, v T, allowed ...T) *Error {
	return invalidRequestFormat("InvalidJson", "Value '%s' of %s is not valid; allowed values are %v.", v, path, allowed)
}

func missingProperty(path string) *Error {
	return invalidRequestFormat("MissingRequiredProperty", "Property %s is required.", path)
}

func nullElement(path string) *Error {
	return invalidRequestFormat("InvalidJson", "Element %s must not be null.", path)
}

func missingReference(path string) *Error {
	return invalidRequestFormat("MissingJsonReferenceId", "Value for reference id is missing. Path %s.", path)
}

// referenceNotFound is Azure's answer to a reference that does not resolve (or crosses regions).
func referenceNotFound(ref, by string) *Error {
	return badRequest(CodeInvalidResourceReference,
		"Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists, "+
			"and that both resources are in the same region.", ref, by)
}

func unsupportedByFake(what string) *Error {
	return badRequest(CodeFeatureNotSupportedByFake, "%s is not supported by the fake Azure.", what)
}

// resolveLocation validates a resource's location: required, and unchanged on update.
func resolveLocation(id string, given, prev *string) (string, *Error) {
	loc := normalizeLocation(deref(given))
	if loc == "" {
		return "", badRequest(CodeLocationRequired, "The location property is required for this definition.")
	}
	if prev != nil && normalizeLocation(*prev) != loc {
		return "", badRequest(CodeInvalidResourceLocation,
			"The resource '%s' already exists in location '%s'. A resource with the same name cannot be created in location '%s'.",
			id, normalizeLocation(*prev), loc)
	}
	return loc, nil
}

// childNames returns the names of a child collection at path, refusing null elements and names
// that are invalid or used twice (ignoring case).
func childNames[T any](noun, path string, items []*T, name func(*T) *string) ([]string, *Error) {
	names := make([]string, len(items))
	seen := make(map[string]bool, len(items))
	for i, item := range items {
		if item == nil {
			return nil, nullElement(fmt.Sprintf("%s[%d]", path, i))
		}
		n := deref(name(item))
		if err := validateName(noun, n); err != nil {
			return nil, err
		}
		if seen[strings.ToLower(n)] {
			return nil, invalidRequestFormat("DuplicateResourceName", "%s name %q is used more than once.", noun, n)
		}
		seen[strings.ToLower(n)] = true
		names[i] = n
	}
	return names, nil
}
