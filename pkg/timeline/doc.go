// Package timeline draws a simulation run (or a running sandbox) as a self-contained HTML page: a
// summary with the verdict, and a chart over the run's time axis with one lane per node (the load
// balancer's probe state, the health check node port's answer, the local ready and serving
// endpoints, the traffic the node got) under a cluster-wide lane of requests served and failed by
// cause, with the scenario's events marked.
//
// The page carries everything inline (CSS, a small hand-written script, the data as JSON in a
// <script type="application/json" id="timeline-data"> element): it opens from a file with no network.
// The script builds the chart as inline SVG from that JSON. WriteHTML writes the page of a finished
// run; LiveHandler serves the same page for a running system, which polls timeline.json every second.
//
// The data drawn is sim.Result and its Timeline (pkg/sim/result.go); docs/simulation.md describes them.
package timeline
