package check

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// textWidth is where WriteText wraps explanations.
const textWidth = 100

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// WriteText writes the report for a person: the setup, each finding with its explanation and the
// simulated evidence, the simulations, and the verdict.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("lbctl check: Service %s (externalTrafficPolicy %s), %s", r.Service, r.ExternalTrafficPolicy, r.Workload)
	p("  probe: %s (%s semantics); kube-proxy sync %ss", r.Probe, r.ProbeSemantics, num(r.KubeProxySync))
	if r.ExternalTrafficPolicy == "Local" {
		p("  a deleted pod may get new connections for %ss; a node comes into rotation within %ds",
			num(r.RequiredPreStopSeconds), r.RequiredMinReadySeconds)
	} else {
		p("  a deleted pod may get new connections for %ss", num(r.RequiredPreStopSeconds))
	}
	var pods []string
	for _, n := range r.PodsPerNode {
		pods = append(pods, fmt.Sprintf("%s %d", n.Node, n.Pods))
	}
	p("  pods per node: %s (%d nodes)", strings.Join(pods, ", "), r.Nodes)
	for _, a := range r.Assumptions {
		wrap(&b, "  assumed: ", "           ", a)
	}
	p("")

	var drops, others []int
	for i, f := range r.Findings {
		if f.DropsRequests {
			drops = append(drops, i)
		} else {
			others = append(others, i)
		}
	}
	switch len(drops) {
	case 0:
		p("No setting drops requests.")
	case 1:
		p("1 setting drops requests:")
	default:
		p("%d settings drop requests:", len(drops))
	}
	n := 0
	for _, i := range drops {
		n++
		r.writeFinding(&b, n, &r.Findings[i])
	}
	if len(others) > 0 {
		p("")
		p("%s (no request dropped):", plural(len(others), "other finding", "other findings"))
		for _, i := range others {
			n++
			r.writeFinding(&b, n, &r.Findings[i])
		}
	}
	if len(r.Simulations) > 0 {
		p("")
		p("Simulations (seed %d): as given -> with every fix", r.Simulations[0].Seed)
		for _, s := range r.Simulations {
			p("  %-9s %s (%ss)", s.Name, s.Events, num(s.DurationSeconds))
			p("            %d requests, %s -> %s", s.Before.Requests, failedText(s.Before), failedText(s.After))
		}
	}
	for _, note := range r.Notes {
		wrap(&b, "note: ", "      ", note)
	}
	p("")
	switch {
	case r.DropsRequests && r.StillFailing:
		p("Verdict: requests will be dropped, and the fixes above do not remove every failure (see the notes).")
	case r.DropsRequests:
		p("Verdict: requests will be dropped. `lbctl check --fix` prints the manifests with every fix applied.")
	case len(r.Findings) > 0:
		p("Verdict: no request dropped; see the findings above.")
	default:
		p("Verdict: no request dropped.")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) writeFinding(b *strings.Builder, n int, f *Finding) {
	where := f.Object
	if f.Container != "" {
		where += ", container " + f.Container
	}
	fmt.Fprintf(b, "\n%d. %s [%s]\n", n, where, f.Kind)
	fmt.Fprintf(b, "   %s: %s -> %s", f.Field, f.Current, f.Suggested)
	if f.Manual {
		b.WriteString(" (manual: apply it yourself)")
	}
	b.WriteString("\n")
	wrap(b, "   why: ", "        ", f.Why)
	if e := f.Evidence; e != nil {
		line := fmt.Sprintf("simulated: %s of %d requests", failedText(e.Before), e.Before.Requests)
		if f.Manual {
			line += fmt.Sprintf("; %s with every other fix", failedText(e.WithAllFixes))
		} else {
			line += fmt.Sprintf(" -> %s with this fix alone, %s with every fix", failedText(e.WithThisFix), failedText(e.WithAllFixes))
		}
		if len(e.PodSharesBefore) > 0 {
			line += fmt.Sprintf("; pod shares %s", sharesText(e.PodSharesBefore))
			if len(e.PodSharesWithThisFix) > 0 {
				line += " -> " + sharesText(e.PodSharesWithThisFix)
			}
		}
		wrap(b, "   ", "   ", line)
	}
}

func failedText(c Counts) string {
	if c.Failed == 0 {
		return "0 failed"
	}
	var causes []string
	for _, x := range []struct {
		n    int64
		name string
	}{
		{c.Failures.ConnectionRefused, "refused"}, {c.Failures.NoHealthyBackend, "no healthy backend"},
		{c.Failures.Reset, "reset"}, {c.Failures.Timeout, "timeout"},
	} {
		if x.n > 0 {
			causes = append(causes, fmt.Sprintf("%d %s", x.n, x.name))
		}
	}
	return fmt.Sprintf("%d failed (%s)", c.Failed, strings.Join(causes, ", "))
}

func sharesText(s []float64) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	}
	if len(parts) > 8 {
		return parts[0] + " .. " + parts[len(parts)-1]
	}
	return strings.Join(parts, "/")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// wrap writes text after first, wrapped at textWidth, continuing lines with rest.
func wrap(b *strings.Builder, first, rest, text string) {
	line := first
	empty := true
	for _, word := range strings.Fields(text) {
		if !empty && len(line)+1+len(word) > textWidth {
			b.WriteString(line + "\n")
			line, empty = rest, true
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	b.WriteString(line + "\n")
}
