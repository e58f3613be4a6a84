package sim

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteText writes a readable summary of the result.
func (r *Result) WriteText(out io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	s := r.Setup
	p("Scenario %s (seed %d): %d requests in %ss; %d succeeded (%s), %d failed",
		r.Scenario, r.Seed, r.Requests, num(float64(r.Duration)), r.Succeeded, pct(r.SuccessRate), r.Failed)
	p("  failures: %s", failureText(r.Failures))
	p("")
	p("Setup")
	p("  Service %s (externalTrafficPolicy %s) at %s; %s on %d nodes", s.Service, s.ExternalTrafficPolicy, s.Frontend, s.Workload, s.Nodes)
	p("  probe: %s, %s semantics", s.Probe, s.ProbeSemantics)
	if s.MarkDownWindow != "" {
		p("    marks a node down within %s of its health check failing, up within %s of it passing", s.MarkDownWindow, s.MarkUpWindow)
	}
	p("  kube-proxy minSyncPeriod %ss", num(float64(s.KubeProxyMinSync)))
	p("  preStop: %s; grace period %ss; minReadySeconds %ss", s.PreStop, num(float64(s.GracePeriod)), num(float64(s.MinReadySeconds)))
	if s.MarkDownWindow != "" {
		verdict := "covers"
		if s.PreStopSeconds < s.RequiredPreStop {
			verdict = "does not cover"
		}
		p("    a %ss preStop %s the %ss the load balancer may take to stop sending new connections", num(float64(s.PreStopSeconds)), verdict, num(float64(s.RequiredPreStop)))
	}
	p("  app on SIGTERM: %s", s.OnSigterm)
	conns := "a new connection per request"
	if s.KeepAlive {
		conns = "kept-alive connections"
	}
	p("  clients: %s requests/s from %d addresses, %s, timeout %ss", num(s.RequestsPerSecond), s.Clients, conns, num(float64(s.ClientTimeout)))
	p("  warm-up before clients started: %ss", num(float64(r.WarmUp)))

	if len(r.Rollouts) > 0 {
		p("")
		p("Rollouts")
		for _, ro := range r.Rollouts {
			end := "did not complete"
			if ro.End != nil {
				end = fmt.Sprintf("ended %ss", num(float64(*ro.End)))
			}
			p("  revision %d: started %ss, %s (%ss); %d requests, %d failed (%s succeeded)",
				ro.Revision, num(float64(ro.Start)), end, num(float64(ro.Duration)), ro.Requests, ro.Failed, pct(ro.SuccessRate))
		}
	}
	if len(r.Drains) > 0 {
		p("")
		p("Drains")
		for _, d := range r.Drains {
			end := "did not finish"
			if d.End != nil {
				end = fmt.Sprintf("finished %ss", num(float64(*d.End)))
			}
			p("  %s: started %ss, %s (%ss)", d.Node, num(float64(d.Start)), end, num(float64(d.Duration)))
		}
	}
	p("")
	if len(r.FailureWindows) == 0 {
		p("No request failed.")
	} else {
		p("Failure windows")
		for _, fw := range r.FailureWindows {
			byCount := append([]NodeFailures(nil), fw.Nodes...)
			sort.SliceStable(byCount, func(i, j int) bool { return byCount[i].Failed > byCount[j].Failed })
			var nodes []string
			for i, n := range byCount {
				if i == 5 {
					nodes = append(nodes, fmt.Sprintf("%d more nodes", len(byCount)-5))
					break
				}
				nodes = append(nodes, fmt.Sprintf("%s %d", n.Node, n.Failed))
			}
			where := ""
			if len(nodes) > 0 {
				where = "; on " + strings.Join(nodes, ", ")
			}
			p("  %ss to %ss: %d failed (%s)%s", num(float64(fw.Start)), num(float64(fw.End)), fw.Failed, failureText(fw.Failures), where)
		}
	}
	d := r.Detection
	if d.Down.Count+d.Up.Count > 0 {
		p("")
		p("Probe detection (health check change -> load balancer)")
		for _, s := range []struct {
			name string
			v    DetectionSummary
		}{{"marked down", d.Down}, {"marked up", d.Up}} {
			if s.v.Count == 0 {
				continue
			}
			p("  %s %d times: min %ss, mean %ss, max %ss", s.name, s.v.Count, num(float64(*s.v.Min)), num(float64(*s.v.Mean)), num(float64(*s.v.Max)))
		}
	}
	p("")
	p("Traffic per node (share of all requests)")
	for _, n := range r.Nodes {
		extra := ""
		if n.Removed {
			extra = " (removed)"
		}
		p("  %-16s %7s  %d requests, %d failed%s", n.Name, pct(n.Share), n.Requests, n.Failures.total(), extra)
	}
	p("Traffic per pod")
	for _, pd := range r.Pods {
		p("  %-32s %-12s rev %d %7s  %d requests, %d failed", pd.Name, pd.Node, pd.Revision, pct(pd.Share), pd.Requests, pd.Failures.total())
	}
	src := r.Sources
	p("")
	p("Source addresses: the pods saw the client's address in %d requests and a node's (SNAT) in %d; %d distinct addresses seen for %d clients",
		src.ClientAddressKept, src.SNATed, src.DistinctSeen, src.Clients)
	if src.ForwardedToOtherNode > 0 {
		p("  %d requests took an extra hop to a pod on another node", src.ForwardedToOtherNode)
	}
	if len(r.Notes) > 0 {
		p("")
		p("Notes")
		for _, n := range r.Notes {
			p("  - %s", n)
		}
	}
	_, err := io.WriteString(out, b.String())
	return err
}

func failureText(f Failures) string {
	return fmt.Sprintf("connection refused %d, no healthy backend %d, reset %d, timeout %d",
		f.ConnectionRefused, f.NoHealthyBackend, f.Reset, f.Timeout)
}

func pct(v float64) string { return fmt.Sprintf("%.2f%%", v*100) }

func num(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}
