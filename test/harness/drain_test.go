package harness

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestDrainable(t *testing.T) {
	owned := func(kind string) *v1.Pod {
		return &v1.Pod{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{Kind: kind, Name: "x", Controller: ptr.To(true)}}}}
	}
	mirror := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{v1.MirrorPodAnnotationKey: "x"}}}
	done := owned("ReplicaSet")
	done.Status.Phase = v1.PodSucceeded
	tests := []struct {
		name string
		pod  *v1.Pod
		want bool
	}{
		{"replica set pod", owned("ReplicaSet"), true},
		{"bare pod", &v1.Pod{}, true},
		{"daemon set pod stays", owned("DaemonSet"), false},
		{"mirror pod stays", mirror, false},
		{"finished pod left alone", done, false},
	}
	for _, tt := range tests {
		if got, why := drainable(tt.pod); got != tt.want {
			t.Errorf("%s: drainable = %v (%s), want %v", tt.name, got, why, tt.want)
		}
	}
}
