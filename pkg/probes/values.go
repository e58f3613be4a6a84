package probes

import (
	"strconv"
	"strings"
)

// Parsers of single annotation values. They mirror the reference provider's parsing (pkg/consts/helpers.go):
// whole numbers and protocols are trimmed, booleans, request paths and port overrides are compared as
// written (port overrides are trimmed here: see doc.go).

// parseProtocol maps a protocol value to a Protocol: trimmed, case-insensitive. known is false for any
// other value, which the reference provider (and so this package) replaces with Tcp.
func parseProtocol(v string) (p Protocol, known bool) {
	v = strings.TrimSpace(v)
	for _, p := range []Protocol{ProtocolTCP, ProtocolHTTPS, ProtocolHTTP} {
		if strings.EqualFold(v, string(p)) {
			return p, true
		}
	}
	return ProtocolTCP, false
}

// parseWholeNumber parses a trimmed base-10 int32, as strconv.ParseInt(strings.TrimSpace(v), 10, 32).
func parseWholeNumber(v string) (int32, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}

const (
	reasonInterval    = "must be a whole number of seconds >= 5"
	reasonThreshold   = "must be a whole number >= 2"
	reasonRequestPath = `must start with "/" and contain no whitespace (Azure rejects other request paths)`
)

// parseInterval parses an interval annotation (seconds, >= MinIntervalSeconds).
func parseInterval(key, v string) (int32, *AnnotationError) {
	n, ok := parseWholeNumber(v)
	if !ok || n < MinIntervalSeconds {
		return 0, &AnnotationError{Annotation: key, Value: v, Reason: reasonInterval}
	}
	return n, nil
}

// parseThreshold parses a num-of-probe annotation (>= MinThreshold).
func parseThreshold(key, v string) (int32, *AnnotationError) {
	n, ok := parseWholeNumber(v)
	if !ok || n < MinThreshold {
		return 0, &AnnotationError{Annotation: key, Value: v, Reason: reasonThreshold}
	}
	return n, nil
}

// parseRequestPath checks a request path annotation. It is not trimmed: the reference provider sends it as
// written, and Azure rejects a path that does not start with "/".
func parseRequestPath(key, v string) (string, *AnnotationError) {
	if !validRequestPath(v) {
		return "", &AnnotationError{Annotation: key, Value: v, Reason: reasonRequestPath}
	}
	return v, nil
}

// parseFlag parses port_N_no_lb_rule / port_N_no_probe_rule. Like the reference provider, only "true"
// (any case, not trimmed) sets the flag; valid is false for values other than "true" and "false".
func parseFlag(v string) (set, valid bool) {
	switch {
	case strings.EqualFold(v, "true"):
		return true, true
	case strings.EqualFold(v, "false"):
		return false, true
	}
	return false, false
}
