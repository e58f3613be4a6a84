//go:build race

package loadbalancer

// raceEnabled: the race detector slows JSON-heavy tests about tenfold; the largest sizes run without it
// (make bench).
const raceEnabled = true
