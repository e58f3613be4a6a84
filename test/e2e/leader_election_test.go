package e2e

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The lease the cloud-controller-manager elects its leader with (upstream defaults).
const (
	leaseNamespace = "kube-system"
	leaseName      = "cloud-controller-manager"
	// acquiredLog is what client-go's leader election logs (klog text format) when a process becomes
	// leader.
	acquiredLog = `"Successfully acquired lease" lock="` + leaseNamespace + "/" + leaseName + `"`
)

// TestLeaderElection: of two replicas with --leader-elect, one holds the Lease and only that one
// talks to Azure at all; when it is killed, the other takes the Lease over and reconciles.
func TestLeaderElection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := e.startController("a", controllerOptions{leaderElect: true})
	b := e.startController("b", controllerOptions{leaderElect: true})

	e.createService("web")
	e.waitIngress("web")
	first := e.waitLease("a holder", func(l *coordinationv1.Lease) bool { return ptr.Deref(l.Spec.HolderIdentity, "") != "" })
	e.step("lease held by %s", ptr.Deref(first.Spec.HolderIdentity, ""))

	leader, standby := a, b
	if b.arm.Connections() > 0 {
		leader, standby = b, a
	}
	if got := standby.arm.Connections(); got != 0 {
		t.Fatalf("both replicas talked to Azure (a: %d connections, b: %d): only the leader may", a.arm.Connections(), b.arm.Connections())
	}
	if leader.arm.Connections() == 0 {
		t.Fatalf("neither replica talked to Azure, yet service web has an ingress address")
	}
	if !logMentions(t, leader, acquiredLog) {
		t.Errorf("cloud-controller %s talked to Azure but did not log %q", leader.name, acquiredLog)
	}
	if logMentions(t, standby, acquiredLog) {
		t.Errorf("standby cloud-controller %s also logged %q", standby.name, acquiredLog)
	}
	e.step("cloud-controller %s leads (%d connections to Azure), %s stands by (none)", leader.name, leader.arm.Connections(), standby.name)

	// Failover: the leader dies without releasing the lease; the standby takes over once it expires.
	e.kill(leader)
	holder := ptr.Deref(first.Spec.HolderIdentity, "")
	transitions := ptr.Deref(first.Spec.LeaseTransitions, 0)
	second := e.waitLease("a new holder", func(l *coordinationv1.Lease) bool {
		h := ptr.Deref(l.Spec.HolderIdentity, "")
		return h != "" && h != holder
	})
	e.step("lease taken over by %s", ptr.Deref(second.Spec.HolderIdentity, ""))
	if got := ptr.Deref(second.Spec.LeaseTransitions, 0); got != transitions+1 {
		t.Errorf("lease transitions %d after one failover, want %d", got, transitions+1)
	}
	e.createService("api")
	e.waitIngress("api")
	e.step("service api has ingress, reconciled by %s", standby.name)
	if standby.arm.Connections() == 0 {
		t.Errorf("cloud-controller %s leads now but opened no connection to Azure", standby.name)
	}
	if !logMentions(t, standby, acquiredLog) {
		t.Errorf("cloud-controller %s took over but did not log %q", standby.name, acquiredLog)
	}
}

// waitLease waits until the leader election Lease satisfies cond and returns it.
func (e *env) waitLease(what string, cond func(*coordinationv1.Lease) bool) *coordinationv1.Lease {
	e.t.Helper()
	var lease *coordinationv1.Lease
	e.waitFor("lease "+leaseNamespace+"/"+leaseName+" with "+what, reconcileTimeout, func() (bool, error) {
		l, err := e.client.CoordinationV1().Leases(leaseNamespace).Get(e.ctx, leaseName, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		lease = l
		if cond(l) {
			return true, nil
		}
		return false, fmt.Errorf("holder %q, transitions %d", ptr.Deref(l.Spec.HolderIdentity, ""), ptr.Deref(l.Spec.LeaseTransitions, 0))
	})
	return lease
}

// logMentions reports whether the controller's log contains s.
func logMentions(t *testing.T, c *controller, s string) bool {
	t.Helper()
	data, err := os.ReadFile(c.proc.LogFile)
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatalf("reading the log of cloud-controller %s: %v", c.name, err)
	}
	return strings.Contains(string(data), s)
}
