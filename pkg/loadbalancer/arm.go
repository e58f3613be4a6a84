package loadbalancer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// armClient is the thin I/O layer over the armnetwork SDK clients: every write carries an etag
// precondition (If-Match with the etag the change was computed from, or If-None-Match: * to create), and
// every long-running operation is awaited.
type armClient struct {
	lbs  *armnetwork.LoadBalancersClient
	pips *armnetwork.PublicIPAddressesClient
	poll *runtime.PollUntilDoneOptions
}

// newARMClient builds the SDK clients for one subscription.
func newARMClient(subscriptionID string, cred azcore.TokenCredential, opts *arm.ClientOptions) (*armClient, error) {
	factory, err := armnetwork.NewClientFactory(subscriptionID, cred, opts)
	if err != nil {
		return nil, fmt.Errorf("creating armnetwork clients: %w", err)
	}
	return &armClient{
		lbs:  factory.NewLoadBalancersClient(),
		pips: factory.NewPublicIPAddressesClient(),
		// Used only when a poll answer carries no Retry-After header.
		poll: &runtime.PollUntilDoneOptions{Frequency: 2 * time.Second},
	}, nil
}

// withPrecondition adds If-Match: etag, or If-None-Match: * when etag is empty (create only).
func withPrecondition(ctx context.Context, etag string) context.Context {
	h := http.Header{}
	if etag == "" {
		h.Set("If-None-Match", "*")
	} else {
		h.Set("If-Match", etag)
	}
	return policy.WithHTTPHeader(ctx, h)
}

func (c *armClient) getLB(ctx context.Context, rg, name string) (*armnetwork.LoadBalancer, error) {
	resp, err := c.lbs.Get(ctx, rg, name, nil)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading load balancer %s/%s: %w", rg, name, err)
	}
	return &resp.LoadBalancer, nil
}

func (c *armClient) putLB(ctx context.Context, rg string, lb *armnetwork.LoadBalancer, etag string) (*armnetwork.LoadBalancer, error) {
	name := *lb.Name
	poller, err := c.lbs.BeginCreateOrUpdate(withPrecondition(ctx, etag), rg, name, *lb, nil)
	if err != nil {
		return nil, fmt.Errorf("writing load balancer %s/%s: %w", rg, name, err)
	}
	resp, err := poller.PollUntilDone(ctx, c.poll)
	if err != nil {
		return nil, fmt.Errorf("waiting for load balancer %s/%s: %w", rg, name, err)
	}
	return &resp.LoadBalancer, nil
}

func (c *armClient) deleteLB(ctx context.Context, rg, name, etag string) error {
	poller, err := c.lbs.BeginDelete(withPrecondition(ctx, etag), rg, name, nil)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting load balancer %s/%s: %w", rg, name, err)
	}
	if _, err := poller.PollUntilDone(ctx, c.poll); err != nil && !isNotFound(err) {
		return fmt.Errorf("waiting for deletion of load balancer %s/%s: %w", rg, name, err)
	}
	return nil
}

func (c *armClient) listPIPs(ctx context.Context, rg string) ([]*armnetwork.PublicIPAddress, error) {
	var out []*armnetwork.PublicIPAddress
	pager := c.pips.NewListPager(rg, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if isNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing public IPs of %s: %w", rg, err)
		}
		out = append(out, page.Value...)
	}
	return out, nil
}

func (c *armClient) getPIP(ctx context.Context, rg, name string) (*armnetwork.PublicIPAddress, error) {
	resp, err := c.pips.Get(ctx, rg, name, nil)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading public IP %s/%s: %w", rg, name, err)
	}
	return &resp.PublicIPAddress, nil
}

func (c *armClient) putPIP(ctx context.Context, rg string, pip *armnetwork.PublicIPAddress, etag string) (*armnetwork.PublicIPAddress, error) {
	name := *pip.Name
	poller, err := c.pips.BeginCreateOrUpdate(withPrecondition(ctx, etag), rg, name, *pip, nil)
	if err != nil {
		return nil, fmt.Errorf("writing public IP %s/%s: %w", rg, name, err)
	}
	resp, err := poller.PollUntilDone(ctx, c.poll)
	if err != nil {
		return nil, fmt.Errorf("waiting for public IP %s/%s: %w", rg, name, err)
	}
	return &resp.PublicIPAddress, nil
}

func (c *armClient) deletePIP(ctx context.Context, rg, name, etag string) error {
	poller, err := c.pips.BeginDelete(withPrecondition(ctx, etag), rg, name, nil)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting public IP %s/%s: %w", rg, name, err)
	}
	if _, err := poller.PollUntilDone(ctx, c.poll); err != nil && !isNotFound(err) {
		return fmt.Errorf("waiting for deletion of public IP %s/%s: %w", rg, name, err)
	}
	return nil
}

func statusCode(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// ErrorCode is the ARM error code of err ("" when err is not an ARM error).
func ErrorCode(err error) string {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

func isNotFound(err error) bool { return err != nil && statusCode(err) == http.StatusNotFound }

// isStale reports an etag precondition failure: the resource changed since it was read.
func isStale(err error) bool { return err != nil && statusCode(err) == http.StatusPreconditionFailed }

// isRequestRejected reports an error caused by the content of the request (400-class other than
// throttling, staleness and conflicts), which splitting a batch of changes can isolate.
func isRequestRejected(err error) bool {
	code := statusCode(err)
	return code >= 400 && code < 500 && code != http.StatusTooManyRequests && code != http.StatusPreconditionFailed &&
		code != http.StatusConflict && code != http.StatusUnauthorized && code != http.StatusForbidden
}
