package sim

import (
	"hash/fnv"
	"strconv"
)

// Kubernetes' alphabet for generated names (no vowels, no confusable characters).
const alphanums = "bcdfghjklmnpqrstvwxz2456789"

func hash64(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0})
	}
	return h.Sum64()
}

func encode(v uint64, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphanums[v%uint64(len(alphanums))]
		v /= uint64(len(alphanums))
	}
	return string(b)
}

// templateHash is a revision's pod-template-hash: stable for the workload name and revision number.
func templateHash(workload string, revision int) string {
	return encode(hash64("template", workload, strconv.Itoa(revision)), 10)
}

// podSuffix is the generated part of a pod name.
func podSuffix(seed uint64, seq int) string {
	return encode(hash64("pod", strconv.FormatUint(seed, 10), strconv.Itoa(seq)), 5)
}

// tieBreak orders equally good nodes for a pod (kube-scheduler picks among them at random).
func tieBreak(seed uint64, pod, node string) uint64 {
	return hash64("tie", strconv.FormatUint(seed, 10), pod, node)
}
