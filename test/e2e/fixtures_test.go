package e2e

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// finalizerCleanup is the service controller's finalizer on Services with a load balancer.
const finalizerCleanup = "service.kubernetes.io/load-balancer-cleanup"

// Well-known annotations the tests set (the reference provider's keys).
const (
	annotationProbeInterval   = "service.beta.kubernetes.io/azure-load-balancer-health-probe-interval"
	annotationProbeNumOfProbe = "service.beta.kubernetes.io/azure-load-balancer-health-probe-num-of-probe"
	annotationPIPName         = "service.beta.kubernetes.io/azure-pip-name"
	labelExcludeFromLB        = "node.kubernetes.io/exclude-from-external-load-balancers"
)

// appPort is the port the harness app listens on in the pods.
const appPort = 8080

// Timeouts of the waits. They are generous because the machine may run other clusters at the same
// time; a healthy run takes a fraction of them.
const (
	reconcileTimeout = 60 * time.Second
	podsTimeout      = 90 * time.Second
)

// createDeployment creates a Deployment of the harness app labelled app=name, spread over the nodes.
func (e *env) createDeployment(name string, replicas int32) *appsv1.Deployment {
	e.t.Helper()
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: v1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](5),
					TopologySpreadConstraints: []v1.TopologySpreadConstraint{{
						MaxSkew: 1, TopologyKey: v1.LabelHostname, WhenUnsatisfiable: v1.DoNotSchedule,
						LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
					}},
					Containers: []v1.Container{{
						Name:  "app",
						Image: "harness/debug-app",
						Ports: []v1.ContainerPort{{Name: "http", ContainerPort: appPort, Protocol: v1.ProtocolTCP}},
						ReadinessProbe: &v1.Probe{
							ProbeHandler:  v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Path: "/readyz", Port: intstr.FromString("http")}},
							PeriodSeconds: 1, FailureThreshold: 1, SuccessThreshold: 1, TimeoutSeconds: 1,
						},
					}},
				},
			},
		},
	}
	out, err := e.client.AppsV1().Deployments(e.ns).Create(e.ctx, d, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatalf("creating deployment %s: %v", name, err)
	}
	return out
}

// waitDeploymentReady waits until every replica of the Deployment is ready.
func (e *env) waitDeploymentReady(name string) {
	e.t.Helper()
	e.waitFor("deployment "+name+" ready", podsTimeout, func() (bool, error) {
		d, err := e.client.AppsV1().Deployments(e.ns).Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		want := ptr.Deref(d.Spec.Replicas, 1)
		return d.Status.ReadyReplicas == want && d.Status.UpdatedReplicas == want,
			fmt.Errorf("%d of %d replicas ready", d.Status.ReadyReplicas, want)
	})
}

// serviceOption changes a Service before it is created.
type serviceOption func(*v1.Service)

// local sets externalTrafficPolicy: Local (the API server then allocates a healthCheckNodePort).
func local(s *v1.Service) { s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal }

// annotated adds annotations.
func annotated(kv map[string]string) serviceOption {
	return func(s *v1.Service) {
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		for k, v := range kv {
			s.Annotations[k] = v
		}
	}
}

// createService creates a LoadBalancer Service named name on TCP port 80 to the app's 8080,
// selecting app=name, with externalTrafficPolicy Cluster unless an option says otherwise.
func (e *env) createService(name string, opts ...serviceOption) *v1.Service {
	e.t.Helper()
	s := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns},
		Spec: v1.ServiceSpec{
			Type:                  v1.ServiceTypeLoadBalancer,
			Selector:              map[string]string{"app": name},
			ExternalTrafficPolicy: v1.ServiceExternalTrafficPolicyCluster,
			Ports:                 []v1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(appPort), Protocol: v1.ProtocolTCP}},
		},
	}
	for _, o := range opts {
		o(s)
	}
	out, err := e.client.CoreV1().Services(e.ns).Create(e.ctx, s, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatalf("creating service %s: %v", name, err)
	}
	return out
}

// getService reads a Service; nil when it does not exist.
func (e *env) getService(name string) *v1.Service {
	e.t.Helper()
	s, err := e.client.CoreV1().Services(e.ns).Get(e.ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		e.t.Fatalf("reading service %s: %v", name, err)
	}
	return s
}

// waitIngress waits until the Service's status has a load-balancer ingress IP and returns the Service.
func (e *env) waitIngress(name string) *v1.Service {
	e.t.Helper()
	var svc *v1.Service
	e.waitFor("an ingress IP on service "+name, reconcileTimeout, func() (bool, error) {
		s, err := e.client.CoreV1().Services(e.ns).Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		svc = s
		if ing := s.Status.LoadBalancer.Ingress; len(ing) > 0 && ing[0].IP != "" {
			return true, nil
		}
		return false, e.lastEventOf(s)
	})
	return svc
}

// deleteService asks for the Service's deletion; the object stays (Terminating) until the service
// controller has released its load balancer and removed its finalizer (see waitServiceGone).
func (e *env) deleteService(name string) {
	e.t.Helper()
	if err := e.client.CoreV1().Services(e.ns).Delete(e.ctx, name, metav1.DeleteOptions{}); err != nil {
		e.t.Fatalf("deleting service %s: %v", name, err)
	}
}

// waitServiceGone waits until the Service object no longer exists.
func (e *env) waitServiceGone(name string) {
	e.t.Helper()
	e.waitFor("service "+name+" to be gone (finalizer removed)", reconcileTimeout, func() (bool, error) {
		s := e.getService(name)
		if s == nil {
			return true, nil
		}
		return false, fmt.Errorf("still there with finalizers %v; %v", s.Finalizers, e.lastEventOf(s))
	})
}

// events returns the Service's events with this reason.
func (e *env) events(svc *v1.Service, reason string) []v1.Event {
	e.t.Helper()
	list, err := e.client.CoreV1().Events(svc.Namespace).List(e.ctx, metav1.ListOptions{
		FieldSelector: fields.AndSelectors(
			fields.OneTermEqualSelector("involvedObject.uid", string(svc.UID)),
			fields.OneTermEqualSelector("reason", reason),
		).String(),
	})
	if err != nil {
		e.t.Fatalf("listing events of service %s: %v", svc.Name, err)
	}
	return list.Items
}

// eventCount is how many times the Service got an event with this reason (repeats included).
func (e *env) eventCount(svc *v1.Service, reason string) int {
	e.t.Helper()
	n := 0
	for _, ev := range e.events(svc, reason) {
		n += int(max(ev.Count, 1))
	}
	return n
}

// lastEventOf describes the Service's most recent event, to explain a wait that is still waiting.
func (e *env) lastEventOf(svc *v1.Service) error {
	list, err := e.client.CoreV1().Events(svc.Namespace).List(e.ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.uid", string(svc.UID)).String(),
	})
	if err != nil || len(list.Items) == 0 {
		return fmt.Errorf("no event on service %s yet", svc.Name)
	}
	last := list.Items[0]
	for _, ev := range list.Items[1:] {
		if ev.LastTimestamp.After(last.LastTimestamp.Time) {
			last = ev
		}
	}
	return fmt.Errorf("last event on service %s: %s %s: %s", svc.Name, last.Type, last.Reason, last.Message)
}

// hasFinalizer reports whether the object lists the finalizer.
func hasFinalizer(m metav1.Object, f string) bool {
	for _, x := range m.GetFinalizers() {
		if x == f {
			return true
		}
	}
	return false
}
