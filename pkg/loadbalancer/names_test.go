package loadbalancer

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestNames(t *testing.T) {
	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{UID: "5b7c2a4e-8d1f-4c3b-9a6e-2f1d0c9b8a7e"}}
	base := ServiceBaseName(svc)
	if base != "a5b7c2a4e8d1f4c3b9a6e2f1d0c9b8a7" || len(base) != 32 {
		t.Fatalf("base %q", base)
	}
	long := strings.Repeat("s", 60)
	tests := []struct{ got, want string }{
		{LBName("kubernetes", "", false), "kubernetes"},
		{LBName("kubernetes", "", true), "kubernetes-internal"},
		{LBName("kubernetes", "mylb", true), "mylb-internal"},
		{BackendPoolName("kubernetes"), "kubernetes"},
		{FrontendName(base, ""), base},
		{FrontendName(base, "apps"), base + "-apps"},
		{FrontendName(base, long), (base + "-" + long)[:75]},
		{FrontendName(base, strings.Repeat("1", 60)), (base + "-" + strings.Repeat("1", 60))[:74] + "_"},
		{RuleName(base, "", v1.ProtocolTCP, 80), base + "-TCP-80"},
		{RuleName(base, "", v1.ProtocolUDP, 53), base + "-UDP-53"},
		{RuleName(base, "apps", v1.ProtocolTCP, 443), base + "-apps-TCP-443"},
		{RuleName(base, long, v1.ProtocolTCP, 443), base + "-" + long[:75-len(base+"-TCP-443")-1] + "-TCP-443"},
		{PublicIPName("kubernetes", base), "kubernetes-" + base},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q, want %q", i, tt.got, tt.want)
		}
		if len(tt.got) > 75 {
			t.Errorf("%d: %q is longer than 75", i, tt.got)
		}
	}
}

func TestOwnerBase(t *testing.T) {
	base := "a5b7c2a4e8d1f4c3b9a6e2f1d0c9b8a7"
	for name, want := range map[string]string{
		base:                                 base,
		base + "-TCP-80":                     base,
		strings.ToUpper(base[:1]) + base[1:]: base,
		base + "x":                           "",
		"kubernetes":                         "",
		SharedProbeName:                      "",
		"b5b7c2a4e8d1f4c3b9a6e2f1d0c9b8a7":   "",
		"a5b7c2a4e8d1f4c3b9a6e2f1d0c9b8aZ":   "",
	} {
		if got := ownerBase(name); got != want {
			t.Errorf("ownerBase(%q) = %q, want %q", name, got, want)
		}
	}
}
