package fake

import (
	"net/http"
	"strings"
)

// checkPreconditions applies If-Match and If-None-Match to a write of a resource that exists (with
// etag) or not, as ARM does: If-Match "*" needs the resource to exist, If-Match with etags needs one of
// them to be the current etag, If-None-Match "*" needs it not to exist. Failures are 412.
func checkPreconditions(h http.Header, exists bool, etag string) *Error {
	if values := h.Values("If-Match"); len(values) > 0 {
		tags := splitEtags(values)
		switch {
		case !exists:
			return newError(http.StatusPreconditionFailed, CodePreconditionFailed,
				"Precondition failed: If-Match was given but the resource does not exist.")
		case containsEtag(tags, "*"), containsEtag(tags, etag):
		default:
			return newError(http.StatusPreconditionFailed, CodePreconditionFailed,
				"Precondition failed: the resource's etag %s does not match If-Match %s. Read the resource again and retry.",
				etag, strings.Join(tags, ", "))
		}
	}
	if values := h.Values("If-None-Match"); len(values) > 0 && exists {
		tags := splitEtags(values)
		if containsEtag(tags, "*") || containsEtag(tags, etag) {
			return newError(http.StatusPreconditionFailed, CodePreconditionFailed,
				"Precondition failed: If-None-Match %s but the resource exists with etag %s.", strings.Join(tags, ", "), etag)
		}
	}
	return nil
}

// splitEtags splits header values into etags. Etags contain no commas, so a comma separates them.
func splitEtags(values []string) []string {
	var tags []string
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
	}
	return tags
}

func containsEtag(tags []string, etag string) bool {
	for _, t := range tags {
		if t == etag {
			return true
		}
	}
	return false
}
