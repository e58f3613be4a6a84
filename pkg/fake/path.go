package fake

import (
	"strings"
)

// Resource types the fake serves, as they appear in Call.ResourceType and Fault.ResourceType.
const (
	TypeLoadBalancers       = "loadBalancers"
	TypeFrontendIPConfigs   = "loadBalancers/frontendIPConfigurations"
	TypeBackendAddressPools = "loadBalancers/backendAddressPools"
	TypeProbes              = "loadBalancers/probes"
	TypeLoadBalancingRules  = "loadBalancers/loadBalancingRules"
	TypePublicIPAddresses   = "publicIPAddresses"
	TypeVirtualNetworks     = "virtualNetworks"
	TypeSubnets             = "virtualNetworks/subnets"
	// TypeOperations counts polls of long-running operations (Azure-AsyncOperation and Location URLs).
	TypeOperations = "operations"
	// TypeToken counts requests to the identity endpoints (token, OpenID configuration, discovery).
	TypeToken = "token"
	// TypeUnknown counts requests whose path is not one the fake serves.
	TypeUnknown = "unknown"
)

const networkNamespace = "Microsoft.Network"

// Canonical spellings of the top-level types and of their child collections.
var (
	topTypes = map[string]string{
		"loadbalancers":     "loadBalancers",
		"publicipaddresses": "publicIPAddresses",
		"virtualnetworks":   "virtualNetworks",
	}
	childTypes = map[string]map[string]string{
		"loadBalancers": {
			"frontendipconfigurations": "frontendIPConfigurations",
			"backendaddresspools":      "backendAddressPools",
			"probes":                   "probes",
			"loadbalancingrules":       "loadBalancingRules",
		},
		"virtualNetworks": {"subnets": "subnets"},
	}
)

// armPath is a parsed ARM request path or resource id. Names keep the case they were given in;
// Type and ChildType are canonical.
type armPath struct {
	Subscription  string
	ResourceGroup string // empty for subscription-wide lists and operations
	Type          string // loadBalancers, publicIPAddresses, virtualNetworks, or operations
	Name          string // empty for a list
	ChildType     string // e.g. probes, subnets
	ChildName     string // empty for a child list
	Location      string // operations only
	OperationKind string // "operations" (Azure-AsyncOperation) or "operationResults" (Location)
	OperationID   string
}

// parsePath parses the path of an ARM request or an ARM resource id. It accepts:
//
//	/subscriptions/{sub}/providers/Microsoft.Network/{type}
//	/subscriptions/{sub}/providers/Microsoft.Network/locations/{loc}/operations|operationResults/{id}
//	/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/{type}[/{name}[/{child}[/{childName}]]]
//
// Segment keywords match case-insensitively, as ARM does.
func parsePath(path string) (armPath, *Error) {
	var p armPath
	trimmed := strings.TrimSuffix(strings.TrimPrefix(path, "/"), "/")
	segs := strings.Split(trimmed, "/")
	for _, s := range segs {
		if s == "" {
			return p, newError(404, CodeInvalidResourceType, "The request path %q is not a valid resource path.", path)
		}
	}
	if len(segs) < 2 || !strings.EqualFold(segs[0], "subscriptions") {
		return p, newError(404, CodeInvalidResourceType, "The request path %q is not a valid resource path.", path)
	}
	p.Subscription = segs[1]
	rest := segs[2:]
	if len(rest) >= 2 && strings.EqualFold(rest[0], "resourceGroups") {
		p.ResourceGroup = rest[1]
		rest = rest[2:]
	}
	if len(rest) < 3 || !strings.EqualFold(rest[0], "providers") {
		return p, newError(404, CodeInvalidResourceType, "The request path %q is not a valid resource path.", path)
	}
	if !strings.EqualFold(rest[1], networkNamespace) {
		return p, newError(404, CodeInvalidResourceNamespace, "The resource namespace %q is invalid.", rest[1])
	}
	rest = rest[2:]
	if p.ResourceGroup == "" && strings.EqualFold(rest[0], "locations") {
		return parseOperation(p, rest, path)
	}
	typ, ok := topTypes[strings.ToLower(rest[0])]
	if !ok {
		return p, newError(404, CodeInvalidResourceType,
			"The resource type %q could not be found in the namespace %q.", rest[0], networkNamespace)
	}
	p.Type = typ
	switch {
	case p.ResourceGroup == "" && len(rest) == 1: // subscription-wide list
		return p, nil
	case p.ResourceGroup == "" || len(rest) > 4:
		return p, newError(404, CodeInvalidResourceType, "The request path %q is not a valid resource path.", path)
	}
	if len(rest) >= 2 {
		p.Name = rest[1]
	}
	if len(rest) >= 3 {
		child, ok := childTypes[typ][strings.ToLower(rest[2])]
		if !ok {
			return p, newError(404, CodeInvalidResourceType,
				"The resource type %q could not be found in the namespace %q.", typ+"/"+rest[2], networkNamespace)
		}
		p.ChildType = child
	}
	if len(rest) == 4 {
		p.ChildName = rest[3]
	}
	return p, nil
}

func parseOperation(p armPath, rest []string, path string) (armPath, *Error) {
	if len(rest) != 4 {
		return p, newError(404, CodeInvalidResourceType, "The request path %q is not a valid resource path.", path)
	}
	switch strings.ToLower(rest[2]) {
	case "operations":
		p.OperationKind = "operations"
	case "operationresults":
		p.OperationKind = "operationResults"
	default:
		return p, newError(404, CodeInvalidResourceType, "The request path %q is not a valid resource path.", path)
	}
	p.Type = TypeOperations
	p.Location = rest[1]
	p.OperationID = rest[3]
	return p, nil
}

// resourceType is the counter and fault key of the path: "loadBalancers", "loadBalancers/probes", ...
func (p armPath) resourceType() string {
	if p.ChildType != "" {
		return p.Type + "/" + p.ChildType
	}
	return p.Type
}

// isList reports whether the path names a collection rather than one resource.
func (p armPath) isList() bool {
	if p.Type == TypeOperations {
		return false
	}
	return p.Name == "" || (p.ChildType != "" && p.ChildName == "")
}

// String formats the path back into its canonical form.
func (p armPath) String() string {
	var b strings.Builder
	b.WriteString("/subscriptions/" + p.Subscription)
	if p.Type == TypeOperations {
		b.WriteString("/providers/" + networkNamespace + "/locations/" + p.Location + "/" + p.OperationKind + "/" + p.OperationID)
		return b.String()
	}
	if p.ResourceGroup != "" {
		b.WriteString("/resourceGroups/" + p.ResourceGroup)
	}
	b.WriteString("/providers/" + networkNamespace + "/" + p.Type)
	if p.Name != "" {
		b.WriteString("/" + p.Name)
	}
	if p.ChildType != "" {
		b.WriteString("/" + p.ChildType)
	}
	if p.ChildName != "" {
		b.WriteString("/" + p.ChildName)
	}
	return b.String()
}

// resourceID is the ARM id of a top-level resource.
func resourceID(sub, rg, typ, name string) string {
	return armPath{Subscription: sub, ResourceGroup: rg, Type: typ, Name: name}.String()
}

// childID is the ARM id of a child resource.
func childID(parentID, childType, name string) string {
	return parentID + "/" + childType + "/" + name
}
