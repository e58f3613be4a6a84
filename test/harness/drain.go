package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// DrainOptions tune Drain. The zero value behaves like
// `kubectl drain --ignore-daemonsets --delete-emptydir-data`.
type DrainOptions struct {
	// Timeout bounds the whole drain; 0 means until ctx ends.
	Timeout time.Duration
	// GracePeriodSeconds overrides the pods' terminationGracePeriodSeconds
	// when set (kubectl drain --grace-period).
	GracePeriodSeconds *int64
	// RetryDelay is the wait after an eviction refused by a
	// PodDisruptionBudget (HTTP 429) before trying again; default 5 s as in
	// kubectl.
	RetryDelay time.Duration
	// PollInterval is how often Drain checks that evicted pods are gone;
	// default 200 ms.
	PollInterval time.Duration
}

// DrainResult reports what Drain did.
type DrainResult struct {
	// Evicted lists the pods evicted, as namespace/name.
	Evicted []string
	// Skipped lists DaemonSet-managed and mirror pods left in place.
	Skipped []string
	// PDBRetries counts evictions refused by a PodDisruptionBudget and
	// retried.
	PDBRetries int
}

// drainable says whether drain evicts a pod, like kubectl drain with
// --ignore-daemonsets: DaemonSet pods and mirror pods stay, finished pods
// are left alone.
func drainable(p *v1.Pod) (bool, string) {
	if _, mirror := p.Annotations[v1.MirrorPodAnnotationKey]; mirror {
		return false, "mirror pod"
	}
	if p.Status.Phase == v1.PodSucceeded || p.Status.Phase == v1.PodFailed {
		return false, "finished"
	}
	if ref := metav1.GetControllerOf(p); ref != nil && ref.Kind == "DaemonSet" {
		return false, "DaemonSet-managed"
	}
	return true, ""
}

// Drain cordons a node and evicts its pods through the Eviction API,
// honouring PodDisruptionBudgets (a refused eviction is retried), then waits
// until the evicted pods are gone, as `kubectl drain` does.
func (c *Cluster) Drain(ctx context.Context, name string, opts DrainOptions) (DrainResult, error) {
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 5 * time.Second
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 200 * time.Millisecond
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	var res DrainResult
	if err := c.Cordon(ctx, name); err != nil {
		return res, err
	}
	pods, err := c.podsOnNode(ctx, name)
	if err != nil {
		return res, err
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	for i := range pods {
		p := &pods[i]
		if ok, why := drainable(p); !ok {
			res.Skipped = append(res.Skipped, p.Namespace+"/"+p.Name+" ("+why+")")
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			retries, err := c.evictAndWait(ctx, p, opts)
			mu.Lock()
			defer mu.Unlock()
			res.PDBRetries += retries
			if err != nil {
				errs = append(errs, err)
				return
			}
			res.Evicted = append(res.Evicted, p.Namespace+"/"+p.Name)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return res, fmt.Errorf("draining node %s: %w", name, err)
	}
	return res, nil
}

// evictAndWait evicts one pod, retrying while a PDB refuses, and waits until
// that pod (this UID) is gone.
func (c *Cluster) evictAndWait(ctx context.Context, p *v1.Pod, opts DrainOptions) (int, error) {
	retries := 0
	ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}}
	if opts.GracePeriodSeconds != nil {
		ev.DeleteOptions = &metav1.DeleteOptions{GracePeriodSeconds: opts.GracePeriodSeconds}
	}
	for {
		err := c.Client.PolicyV1().Evictions(p.Namespace).Evict(ctx, ev)
		if err == nil || apierrors.IsNotFound(err) {
			break
		}
		if !apierrors.IsTooManyRequests(err) {
			return retries, fmt.Errorf("evicting pod %s/%s: %w", p.Namespace, p.Name, err)
		}
		retries++
		c.logger.V(2).Info("Eviction refused by a PodDisruptionBudget; retrying", "pod", p.Namespace+"/"+p.Name, "after", opts.RetryDelay)
		if !sleepCtx(ctx, opts.RetryDelay, nil) {
			return retries, fmt.Errorf("evicting pod %s/%s: gave up after %d refusals: %w", p.Namespace, p.Name, retries, ctx.Err())
		}
	}
	return retries, c.waitPodGone(ctx, p.Namespace, p.Name, p.UID, opts.PollInterval)
}

// waitPodGone waits until the pod with this UID no longer exists.
func (c *Cluster) waitPodGone(ctx context.Context, namespace, name string, uid types.UID, every time.Duration) error {
	for {
		cur, err := c.Client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) || (err == nil && cur.UID != uid) {
			return nil
		}
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("waiting for pod %s/%s to go away: %w", namespace, name, err)
		}
		if !sleepCtx(ctx, every, nil) {
			return fmt.Errorf("waiting for pod %s/%s to go away: %w", namespace, name, ctx.Err())
		}
	}
}
