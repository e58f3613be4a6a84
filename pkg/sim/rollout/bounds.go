package rollout

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Defaults of apps/v1 (applied by the API server; manifests read from files do not have them).
var (
	DefaultDeploymentMaxSurge       = intstr.FromString("25%")
	DefaultDeploymentMaxUnavailable = intstr.FromString("25%")
	DefaultDaemonSetMaxUnavailable  = intstr.FromInt32(1)
	DefaultDaemonSetMaxSurge        = intstr.FromInt32(0)
)

// DeploymentBounds resolves a Deployment's maxSurge and maxUnavailable for replicas pods
// (SEMANTICS.md 3; deployment util ResolveFenceposts): defaults 25% and 25%, a percentage of surge
// rounds up and of unavailable rounds down, and when both come to 0 unavailable is 1. A Recreate
// Deployment has surge 0 and unavailable replicas.
func DeploymentBounds(replicas int32, strategy appsv1.DeploymentStrategy) (surge, unavailable int32, err error) {
	if strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return 0, replicas, nil
	}
	ms, mu := DefaultDeploymentMaxSurge, DefaultDeploymentMaxUnavailable
	if ru := strategy.RollingUpdate; ru != nil {
		if ru.MaxSurge != nil {
			ms = *ru.MaxSurge
		}
		if ru.MaxUnavailable != nil {
			mu = *ru.MaxUnavailable
		}
	}
	s, err := intstr.GetScaledValueFromIntOrPercent(&ms, int(replicas), true)
	if err != nil {
		return 0, 0, fmt.Errorf("spec.strategy.rollingUpdate.maxSurge: %w", err)
	}
	u, err := intstr.GetScaledValueFromIntOrPercent(&mu, int(replicas), false)
	if err != nil {
		return 0, 0, fmt.Errorf("spec.strategy.rollingUpdate.maxUnavailable: %w", err)
	}
	if s < 0 || u < 0 {
		return 0, 0, fmt.Errorf("spec.strategy.rollingUpdate: maxSurge and maxUnavailable must not be negative")
	}
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u), nil
}

// DaemonSetBounds resolves a DaemonSet's maxSurge and maxUnavailable for desired nodes (daemon util
// SurgeCount, UnavailableCount and updatedDesiredNodeCounts): defaults 0 and 1, percentages round
// up, and when both come to 0 unavailable is 1. An OnDelete DaemonSet never replaces pods by itself
// (both 0 and ok false).
func DaemonSetBounds(desired int, strategy appsv1.DaemonSetUpdateStrategy) (surge, unavailable int, rolling bool, err error) {
	if strategy.Type == appsv1.OnDeleteDaemonSetStrategyType {
		return 0, 0, false, nil
	}
	ms, mu := DefaultDaemonSetMaxSurge, DefaultDaemonSetMaxUnavailable
	if ru := strategy.RollingUpdate; ru != nil {
		if ru.MaxSurge != nil {
			ms = *ru.MaxSurge
		}
		if ru.MaxUnavailable != nil {
			mu = *ru.MaxUnavailable
		}
	}
	surge, err = intstr.GetScaledValueFromIntOrPercent(&ms, desired, true)
	if err != nil {
		return 0, 0, false, fmt.Errorf("spec.updateStrategy.rollingUpdate.maxSurge: %w", err)
	}
	unavailable, err = intstr.GetScaledValueFromIntOrPercent(&mu, desired, true)
	if err != nil {
		return 0, 0, false, fmt.Errorf("spec.updateStrategy.rollingUpdate.maxUnavailable: %w", err)
	}
	if surge < 0 || unavailable < 0 {
		return 0, 0, false, fmt.Errorf("spec.updateStrategy.rollingUpdate: maxSurge and maxUnavailable must not be negative")
	}
	if desired > 0 && surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable, true, nil
}
