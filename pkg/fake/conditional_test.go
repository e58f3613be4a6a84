package fake

import (
	"net/http"
	"testing"
)

func TestCheckPreconditions(t *testing.T) {
	const etag = `W/"1"`
	cases := []struct {
		name    string
		header  http.Header
		exists  bool
		wantErr bool
	}{
		{"no headers, absent", nil, false, false},
		{"no headers, present", nil, true, false},
		{"If-Match current", http.Header{"If-Match": {etag}}, true, false},
		{"If-Match stale", http.Header{"If-Match": {`W/"0"`}}, true, true},
		{"If-Match list with current", http.Header{"If-Match": {`W/"0", ` + etag}}, true, false},
		{"If-Match *, present", http.Header{"If-Match": {"*"}}, true, false},
		{"If-Match *, absent", http.Header{"If-Match": {"*"}}, false, true},
		{"If-Match etag, absent", http.Header{"If-Match": {etag}}, false, true},
		{"If-None-Match *, absent", http.Header{"If-None-Match": {"*"}}, false, false},
		{"If-None-Match *, present", http.Header{"If-None-Match": {"*"}}, true, true},
		{"If-None-Match other etag, present", http.Header{"If-None-Match": {`W/"0"`}}, true, false},
	}
	for _, tc := range cases {
		err := checkPreconditions(tc.header, tc.exists, etag)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v, want error %v", tc.name, err, tc.wantErr)
		}
		if err != nil && (err.StatusCode != http.StatusPreconditionFailed || err.Code != CodePreconditionFailed) {
			t.Errorf("%s: %d %s, want 412 PreconditionFailed", tc.name, err.StatusCode, err.Code)
		}
	}
}

func TestIfMatchThroughTheSDK(t *testing.T) {
	e := newEnv(t, Options{})
	lb := e.mustPutLB("lb1", e.publicLB("lb1", "pip1"))
	stale := deref(lb.Etag)
	e.mustPutLB("lb1", e.publicLB("lb1", "pip1")) // someone else writes
	resp, body := e.raw(http.MethodPut, lbPath("lb1")+apiVersion, mustJSON(t, e.publicLB("lb1", "pip1")), http.Header{"If-Match": {stale}})
	if resp.StatusCode != http.StatusPreconditionFailed || armCode(t, body) != CodePreconditionFailed {
		t.Errorf("stale If-Match: %d %s", resp.StatusCode, body)
	}
	current, _ := e.cloud.GetLoadBalancer(testRG, "lb1")
	resp, _ = e.raw(http.MethodPut, lbPath("lb1")+apiVersion, mustJSON(t, e.publicLB("lb1", "pip1")), http.Header{"If-Match": {deref(current.Etag)}})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == deref(current.Etag) {
		t.Errorf("current If-Match: %d, ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
	resp, _ = e.raw(http.MethodPut, lbPath("lb1")+apiVersion, mustJSON(t, e.publicLB("lb1", "pip1")), http.Header{"If-None-Match": {"*"}})
	if resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("If-None-Match * on an existing load balancer: %d", resp.StatusCode)
	}
	// A child write checks the parent's etag.
	resp, _ = e.raw(http.MethodPut, lbPath("lb1")+"/backendAddressPools/pool"+apiVersion, `{"properties":{}}`, http.Header{"If-Match": {stale}})
	if resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("pool PUT with a stale If-Match: %d", resp.StatusCode)
	}
	resp, _ = e.raw(http.MethodDelete, lbPath("lb1")+apiVersion, "", http.Header{"If-Match": {stale}})
	if resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("DELETE with a stale If-Match: %d", resp.StatusCode)
	}
	resp, _ = e.raw(http.MethodDelete, lbPath("absent")+apiVersion, "", http.Header{"If-Match": {"*"}})
	if resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("DELETE of an absent resource with If-Match *: %d", resp.StatusCode)
	}
}
