package harness

// probeCounter applies a probe's success and failure thresholds the way the
// kubelet's prober worker does: the result flips only after that many
// consecutive probes agree.
type probeCounter struct {
	successThreshold int32
	failureThreshold int32
	// result is the current outcome (for readiness: ready or not).
	result bool
	last   bool
	run    int32
}

// newProbeCounter starts at initial (false for readiness: not ready until
// the first successes). Zero thresholds mean 1, like the API defaults'
// minimum.
func newProbeCounter(successThreshold, failureThreshold int32, initial bool) *probeCounter {
	if successThreshold < 1 {
		successThreshold = 1
	}
	if failureThreshold < 1 {
		failureThreshold = 1
	}
	return &probeCounter{successThreshold: successThreshold, failureThreshold: failureThreshold, result: initial, last: initial}
}

// observe records one probe outcome and reports whether the result changed.
func (c *probeCounter) observe(ok bool) bool {
	if ok == c.last {
		c.run++
	} else {
		c.last, c.run = ok, 1
	}
	if ok == c.result {
		return false
	}
	threshold := c.failureThreshold
	if ok {
		threshold = c.successThreshold
	}
	if c.run < threshold {
		return false
	}
	c.result = ok
	return true
}
