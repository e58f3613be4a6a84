package main

import (
	"bytes"
	"fmt"
	"html/template"

	"os"

	"github.com/spf13/cobra"

	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/sim"
)

func newSimulateCmd() *cobra.Command {
	var (
		files  []string
		output string
		html   string
	)
	cmd := &cobra.Command{
		Use:   "simulate -f FILE... [-o json|text] [--html FILE]",
		Short: "Replay a rollout, drain or scale-down of real manifests and count what each request saw",
		Long: `simulate runs a Service of type LoadBalancer, its Deployment or DaemonSet (and optionally Nodes and
PodDisruptionBudgets) on a simulated cluster, on a virtual clock: pods start, pass readiness probes and
terminate as the kubelet runs them, kube-proxy answers the health check node port and routes traffic,
the real provider writes the load balancer into the in-memory fake Azure, and the fake's data plane
probes the nodes and places each client connection. One document of kind Scenario (apiVersion
lbctl.azlb.io/v1alpha1) says how many nodes, the client load, what the app does on SIGTERM, and the
events to replay (rollout, drainNode, scale, deletePod, addNode, removeNode); docs/simulation.md
describes it.

The output counts requests, successes and failures by cause (connectionRefused, noHealthyBackend,
reset, timeout), then rollout durations, traffic per node and per pod, failure windows, probe detection
times, the client addresses the pods saw, and a timeline. The same seed gives the same output.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "json" && output != "text" {
				return fmt.Errorf("-o %q: use json or text", output)
			}
			set, err := manifest.ReadFiles(files, cmd.InOrStdin())
			if err != nil {
				return err
			}
			res, err := sim.Simulate(cmd.Context(), set)
			if err != nil {
				return err
			}
			if html != "" {
				if err := writeHTML(html, res); err != nil {
					return err
				}
			}
			if output == "text" {
				return res.WriteText(cmd.OutOrStdout())
			}
			return res.WriteJSON(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "manifest file (repeatable; - for standard input)")
	cmd.Flags().StringVarP(&output, "output", "o", "json", "output format: json or text")
	cmd.Flags().StringVar(&html, "html", "", "also write the result as an HTML page to this file")
	return cmd
}

// writeHTML writes a self-contained page: the text summary, and the full result (timeline included)
// as JSON, HTML-escaped, in a hidden <pre id="result-json"> for the page's drawing code
// (JSON.parse(document.getElementById("result-json").textContent)).
func writeHTML(path string, res *sim.Result) error {
	var text, data bytes.Buffer
	if err := res.WriteText(&text); err != nil {
		return err
	}
	if err := res.WriteJSON(&data); err != nil {
		return err
	}
	var page bytes.Buffer
	if err := resultPage.Execute(&page, struct{ Title, Text, JSON string }{res.Scenario, text.String(), data.String()}); err != nil {
		return err
	}
	if err := os.WriteFile(path, page.Bytes(), 0o644); err != nil { //nolint:gosec // a report for the user to open in a browser
		return fmt.Errorf("writing --html %s: %w", path, err)
	}
	return nil
}

var resultPage = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>lbctl simulate: {{.Title}}</title></head>
<body>
<h1>lbctl simulate: {{.Title}}</h1>
<pre>{{.Text}}</pre>
<pre id="result-json" hidden>{{.JSON}}</pre>
</body>
</html>
`))
