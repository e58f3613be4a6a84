package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/sim"
	"github.com/azlb/azlb/pkg/timeline"
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

// writeHTML writes the result as a self-contained page (pkg/timeline): the summary, the timeline chart,
// and the text report.
func writeHTML(path string, res *sim.Result) error {
	var text, page bytes.Buffer
	if err := res.WriteText(&text); err != nil {
		return err
	}
	if err := timeline.WriteHTML(&page, timeline.Page{Title: "lbctl simulate: " + res.Scenario, Summary: text.String(), Result: res}); err != nil {
		return err
	}
	if err := os.WriteFile(path, page.Bytes(), 0o644); err != nil { //nolint:gosec // a report for the user to open in a browser
		return fmt.Errorf("writing --html %s: %w", path, err)
	}
	return nil
}
