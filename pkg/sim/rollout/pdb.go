package rollout

import (
	"fmt"

	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// DisruptionsAllowed is how many more pods a PodDisruptionBudget lets an eviction take (the disruption
// controller's status.disruptionsAllowed): healthy pods (Ready, not being deleted) above the desired
// healthy count (getExpectedPodCount). minAvailable: the value, or a percentage of expected rounded
// up; maxUnavailable: expected minus the value (a percentage rounded up); neither: 0. expected is the
// workload's desired pod count.
func DisruptionsAllowed(pdb *policyv1.PodDisruptionBudget, expected, healthy int32) (int32, error) {
	desired := int32(0)
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		v, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, int(expected), true)
		if err != nil {
			return 0, fmt.Errorf("PodDisruptionBudget %s/%s spec.maxUnavailable: %w", pdb.Namespace, pdb.Name, err)
		}
		desired = max(0, expected-int32(v))
	case pdb.Spec.MinAvailable != nil:
		v, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, int(expected), true)
		if err != nil {
			return 0, fmt.Errorf("PodDisruptionBudget %s/%s spec.minAvailable: %w", pdb.Namespace, pdb.Name, err)
		}
		desired = int32(v)
	}
	// A budget with neither field wants no healthy pod: every eviction is allowed.
	return max(0, healthy-desired), nil
}
