package harness

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// Node is a simulated node: its name and InternalIP (127.0.1.Index).
type Node struct {
	Name    string
	Index   int
	Address netip.Addr
}

// simNode is a running simulated node.
type simNode struct {
	Node
	kubelet *kubelet
	proxy   *kubeProxy
}

// defaultCapacity is each node's capacity unless Options.NodeCapacity says
// otherwise.
func defaultCapacity() v1.ResourceList {
	return v1.ResourceList{
		v1.ResourceCPU:              resource.MustParse("4"),
		v1.ResourceMemory:           resource.MustParse("8Gi"),
		v1.ResourcePods:             resource.MustParse("110"),
		v1.ResourceEphemeralStorage: resource.MustParse("50Gi"),
	}
}

// nodeObject is the Node a kubelet would register: Ready, with its
// InternalIP, hostname label and capacity.
func nodeObject(n Node, capacity v1.ResourceList, labels map[string]string, now time.Time) *v1.Node {
	l := map[string]string{
		v1.LabelHostname:   n.Name,
		v1.LabelOSStable:   "linux",
		v1.LabelArchStable: "amd64",
	}
	for k, v := range labels {
		l[k] = v
	}
	t := metav1.NewTime(now)
	cond := func(typ v1.NodeConditionType, status v1.ConditionStatus, reason string) v1.NodeCondition {
		return v1.NodeCondition{Type: typ, Status: status, Reason: reason, LastHeartbeatTime: t, LastTransitionTime: t}
	}
	return &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: l},
		Spec:       v1.NodeSpec{ProviderID: "harness://" + n.Name},
		Status: v1.NodeStatus{
			Capacity:    capacity.DeepCopy(),
			Allocatable: capacity.DeepCopy(),
			Phase:       v1.NodeRunning,
			Conditions: []v1.NodeCondition{
				cond(v1.NodeReady, v1.ConditionTrue, "KubeletReady"),
				cond(v1.NodeMemoryPressure, v1.ConditionFalse, "KubeletHasSufficientMemory"),
				cond(v1.NodeDiskPressure, v1.ConditionFalse, "KubeletHasNoDiskPressure"),
				cond(v1.NodePIDPressure, v1.ConditionFalse, "KubeletHasSufficientPID"),
			},
			Addresses: []v1.NodeAddress{
				{Type: v1.NodeInternalIP, Address: n.Address.String()},
				{Type: v1.NodeHostName, Address: n.Name},
			},
			DaemonEndpoints: v1.NodeDaemonEndpoints{KubeletEndpoint: v1.DaemonEndpoint{Port: 10250}},
			NodeInfo: v1.NodeSystemInfo{
				KubeletVersion:          "v1.37.2",
				OperatingSystem:         "linux",
				Architecture:            "amd64",
				ContainerRuntimeVersion: "harness://1",
			},
		},
	}
}

// Cordon marks a node unschedulable (kubectl cordon).
func (c *Cluster) Cordon(ctx context.Context, name string) error {
	return c.setUnschedulable(ctx, name, true)
}

// Uncordon marks a node schedulable again (kubectl uncordon).
func (c *Cluster) Uncordon(ctx context.Context, name string) error {
	return c.setUnschedulable(ctx, name, false)
}

func (c *Cluster) setUnschedulable(ctx context.Context, name string, value bool) error {
	patch := fmt.Sprintf(`{"spec":{"unschedulable":%t}}`, value)
	if _, err := c.Client.CoreV1().Nodes().Patch(ctx, name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("setting node %s unschedulable=%t: %w", name, value, err)
	}
	return nil
}

// podsOnNode lists the pods bound to a node.
func (c *Cluster) podsOnNode(ctx context.Context, name string) ([]v1.Pod, error) {
	list, err := c.Client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", name).String(),
	})
	if err != nil {
		return nil, fmt.Errorf("listing pods on node %s: %w", name, err)
	}
	return list.Items, nil
}

// forceDeletePods deletes pods with grace 0, as the pod garbage collector
// does for pods of a node that no longer exists.
func (c *Cluster) forceDeletePods(ctx context.Context, pods []v1.Pod) error {
	for _, p := range pods {
		err := c.Client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{
			GracePeriodSeconds: ptr.To[int64](0),
			Preconditions:      &metav1.Preconditions{UID: &p.UID},
		})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("deleting pod %s/%s of a removed node: %w", p.Namespace, p.Name, err)
		}
	}
	return nil
}
