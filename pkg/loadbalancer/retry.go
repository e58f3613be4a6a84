package loadbalancer

import (
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// ShouldRetry is the provider's retry predicate for azcore's retry policy: transport errors, 408, 429
// (after its Retry-After), 500, 502, 503, 504, and 409 answers whose ARM error code says the conflict is
// transient ("another operation in progress"). A 412 is not retried by the pipeline: the writer re-reads
// and re-applies its change instead.
func ShouldRetry(resp *http.Response, err error) bool {
	if err != nil {
		return true
	}
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusConflict:
		body, readErr := runtime.Payload(resp)
		if readErr != nil {
			return false
		}
		for _, code := range []string{"AnotherOperationInProgress", "RetryableError", "OperationPreempted"} {
			if strings.Contains(string(body), code) {
				return true
			}
		}
	}
	return false
}
