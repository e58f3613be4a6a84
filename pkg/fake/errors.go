package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// ARM error codes the fake answers with. Those marked (Azure) are codes Azure is known to return for
// the same condition; the others are named in Azure's style for conditions whose real code could not
// be confirmed, or for limits of the fake itself (FeatureNotSupportedByFake).
const (
	CodeMissingAPIVersion             = "MissingApiVersionParameter"               // (Azure)
	CodeNoRegisteredProviderFound     = "NoRegisteredProviderFound"                // (Azure) unsupported api-version
	CodeInvalidResourceType           = "InvalidResourceType"                      // (Azure)
	CodeInvalidResourceNamespace      = "InvalidResourceNamespace"                 // (Azure)
	CodeSubscriptionNotFound          = "SubscriptionNotFound"                     // (Azure)
	CodeResourceNotFound              = "ResourceNotFound"                         // (Azure)
	CodeParentResourceNotFound        = "ParentResourceNotFound"                   // (Azure)
	CodeOperationNotFound             = "OperationNotFound"                        //
	CodeMethodNotAllowed              = "HttpMethodNotAllowed"                     //
	CodeInvalidRequestFormat          = "InvalidRequestFormat"                     // (Azure) malformed JSON, wrong types, bad enums
	CodeInvalidResourceName           = "InvalidResourceName"                      // (Azure)
	CodeLocationRequired              = "LocationRequired"                         // (Azure)
	CodeInvalidResourceLocation       = "InvalidResourceLocation"                  // (Azure) location changed on update
	CodeInvalidResourceReference      = "InvalidResourceReference"                 // (Azure)
	CodeAuthenticationFailed          = "AuthenticationFailed"                     // (Azure) no bearer token
	CodeInvalidAuthenticationToken    = "InvalidAuthenticationToken"               // (Azure) unknown token
	CodeExpiredAuthenticationToken    = "ExpiredAuthenticationToken"               // (Azure)
	CodePreconditionFailed            = "PreconditionFailed"                       // (Azure)
	CodeAnotherOperationInProgress    = "AnotherOperationInProgress"               // (Azure)
	CodeTooManyRequests               = "TooManyRequests"                          // injected 429
	CodeInternalServerError           = "InternalServerError"                      // (Azure)
	CodeFeatureNotSupportedByFake     = "FeatureNotSupportedByFake"                // a property the fake does not model
	CodeBasicSkuNotSupported          = "BasicSkuNotSupported"                     // Basic SKU load balancers and public IPs are retired
	CodePublicIPAndLBSkuDoNotMatch    = "PublicIPAndLBSkuDoNotMatch"               // (Azure)
	CodePublicIPReferencedByMultiple  = "PublicIPReferencedByMultipleIPConfigs"    // (Azure) same PIP twice in one LB
	CodePublicIPAddressInUse          = "PublicIPAddressInUse"                     // PIP used by another load balancer
	CodePublicIPCannotBeDeleted       = "PublicIPAddressCannotBeDeleted"           // (Azure)
	CodeStandardSkuPIPMustBeStatic    = "StandardSkuPublicIPAddressesMustBeStatic" // (Azure)
	CodePublicIPCountLimitReached     = "PublicIPCountLimitReached"                // (Azure) here: Options.PublicIPRange exhausted
	CodeDNSRecordInUse                = "DnsRecordInUse"                           // (Azure)
	CodeInvalidDomainNameLabel        = "InvalidDomainNameLabel"                   //
	CodePublicIPIdleTimeoutOutOfRange = "PublicIPIdleTimeoutIsOutOfRange"          //
	CodeFrontendHasBoth               = "FrontendIPConfigHasBothSubnetAndPublicIP" // (Azure)
	CodeFrontendHasNeither            = "FrontendIPConfigHasNoSubnetOrPublicIP"    // (Azure)
	CodePrivateIPNotInSubnet          = "PrivateIPAddressNotInSubnet"              // (Azure)
	CodePrivateIPInUse                = "PrivateIPAddressInUse"                    // (Azure)
	CodePrivateIPReserved             = "PrivateIPAddressIsReserved"               // first four and last address of a subnet
	CodePrivateIPRequired             = "PrivateIPAddressRequiredForStaticAllocation"
	CodeSubnetFull                    = "SubnetIsFull"                                         //
	CodeFrontendLimitReached          = "LoadBalancerFrontendIPConfigurationCountLimitReached" // (Azure)
	CodeRuleLimitReached              = "LoadBalancerRuleCountLimitReached"
	CodePoolAddressLimitReached       = "LoadBalancerBackendAddressPoolAddressCountLimitReached"
	CodeLBLimitReached                = "LoadBalancerCountLimitReached"
	CodeDuplicateBackendAddress       = "DuplicateIpAddressesInBackendAddressPool"
	CodeInvalidBackendAddress         = "InvalidLoadBalancerBackendAddress"
	CodeInvalidProbe                  = "InvalidProbeProperty"       // port, interval, threshold out of range
	CodeProbeRequestPathNotNull       = "ProbeRequestPathIsNotNull"  // (Azure) requestPath with Tcp
	CodeProbeRequestPathRequired      = "ProbeRequestPathIsRequired" // Http/Https without requestPath
	CodeProbeTotalDurationTooLong     = "ProbeIntervalTimesThresholdExceedsLimit"
	CodeInvalidRule                   = "InvalidLoadBalancingRuleProperty" // ports, idle timeout out of range
	CodeRuleFrontendPortConflict      = "RulesUseSameFrontendIPConfigurationProtocolAndPort"
	CodeRuleBackendPortConflict       = "RulesUseSameBackendPortProtocolAndPool"                                   // (Azure)
	CodeRuleFloatingIPConflict        = "RulesUseSameBackendPortProtocolAndPoolAndFrontendIPWithFloatingIPEnabled" // (Azure)
	CodeInUseSubnetCannotBeDeleted    = "InUseSubnetCannotBeDeleted"                                               // (Azure)
	CodeInUseSubnetCannotBeUpdated    = "InUseSubnetCannotBeUpdated"                                               // (Azure)
	CodeInvalidAddressPrefix          = "InvalidAddressPrefixFormat"                                               //
	CodeSubnetOutsideVNet             = "NetcfgSubnetRangeOutsideVnet"                                             // (Azure)
	CodeSubnetsOverlap                = "NetcfgSubnetRangesOverlap"                                                // (Azure)
)

// Error is an ARM error answer: an HTTP status with the body
// {"error":{"code":...,"message":...,"details":[...]}}. The seeding methods of Cloud return it too.
type Error struct {
	StatusCode int
	Code       string
	Message    string
	Details    []ErrorDetail
}

// ErrorDetail is one entry of an ARM error's details.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.StatusCode, e.Code, e.Message)
}

func newError(status int, code, format string, args ...any) *Error {
	return &Error{StatusCode: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// badRequest is the common 400 answer of a validation rule.
func badRequest(code, format string, args ...any) *Error {
	return newError(http.StatusBadRequest, code, format, args...)
}

// invalidRequestFormat is Azure's answer to a body that cannot be read as the resource.
func invalidRequestFormat(detailCode, format string, args ...any) *Error {
	e := badRequest(CodeInvalidRequestFormat, "Cannot parse the request.")
	e.Details = []ErrorDetail{{Code: detailCode, Message: fmt.Sprintf(format, args...)}}
	return e
}

type errorBody struct {
	Error errorPayload `json:"error"`
}

type errorPayload struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Details []ErrorDetail `json:"details"`
}

func (e *Error) payload() errorPayload {
	details := e.Details
	if details == nil {
		details = []ErrorDetail{}
	}
	return errorPayload{Code: e.Code, Message: e.Message, Details: details}
}

func writeError(w http.ResponseWriter, e *Error) {
	w.Header().Set("x-ms-error-code", e.Code)
	writeJSON(w, e.StatusCode, errorBody{Error: e.payload()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"InternalServerError","message":"marshalling the response failed","details":[]}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
