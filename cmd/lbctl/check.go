package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/azlb/azlb/pkg/check"
	"github.com/azlb/azlb/pkg/manifest"
)

// errDrops is the exit-status-1 outcome of check.
var errDrops = errors.New("requests will be dropped: see the findings")

func newCheckCmd() *cobra.Command {
	var (
		files  []string
		output string
		fix    bool
	)
	cmd := &cobra.Command{
		Use:   "check -f FILE... [-o text|json] [--fix [-o yaml]]",
		Short: "Report the settings that will drop requests during rollouts and drains, with the values that will not",
		Long: `check reads a Service of type LoadBalancer and its Deployment or DaemonSet (optionally Nodes,
PodDisruptionBudgets and one Scenario document describing the app and the load, as for lbctl simulate)
and reports each setting that will drop requests, with the smallest value that will not:
preStop against the load balancer's detection window plus kube-proxy's sync, terminationGracePeriodSeconds
against the preStop plus the app's drain, minReadySeconds against the time a node takes to come into
rotation, replicas, spread and maxUnavailable against single-node serving and uneven traffic, the probe's
interval x threshold against the grace period, readiness, and kept-alive connections. Without a Scenario
the assumptions are stated in the output.

Every suggestion is backed by the simulator: the manifests are replayed as given, with each fix alone and
with every fix (a steady run, two rollouts back to back, a drain of the busiest node, and the Scenario's
own events), and the requests that failed are shown. docs/check.md describes the rules.

Exit status: 0 when nothing drops requests, 1 when something does, 2 on bad input.
With --fix, the manifests with every fix applied are printed as YAML (-o yaml); the exit status is then 0
when the fixed manifests drop nothing in the simulations, else 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output == "" {
				output = "text"
				if fix {
					output = "yaml"
				}
			}
			switch {
			case fix && output != "yaml":
				return &exitError{code: 2, err: fmt.Errorf("-o %q with --fix: the fixed manifests are printed as yaml", output)}
			case !fix && output != "text" && output != "json":
				return &exitError{code: 2, err: fmt.Errorf("-o %q: use text or json (or --fix -o yaml)", output)}
			}
			set, err := manifest.ReadFiles(files, cmd.InOrStdin())
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			rep, err := check.Run(cmd.Context(), set)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if fix {
				fixed, err := check.Apply(set, rep.Findings)
				if err != nil {
					return err
				}
				for _, f := range rep.Findings {
					if f.Manual {
						fmt.Fprintf(cmd.ErrOrStderr(), "lbctl check: not applied (manual): %s %s: %s\n", f.Object, f.Field, f.Suggested)
					}
				}
				if err := check.WriteManifests(cmd.OutOrStdout(), fixed); err != nil {
					return err
				}
				if rep.StillFailing {
					return &exitError{code: 1, err: errors.New("the fixed manifests still drop requests: run lbctl check on them to see why")}
				}
				return nil
			}
			if output == "json" {
				err = rep.WriteJSON(cmd.OutOrStdout())
			} else {
				err = rep.WriteText(cmd.OutOrStdout())
			}
			if err != nil {
				return err
			}
			if rep.DropsRequests {
				return &exitError{code: 1, err: errDrops}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "manifest file (repeatable; - for standard input)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: text (default) or json; yaml with --fix")
	cmd.Flags().BoolVar(&fix, "fix", false, "print the manifests with every suggested fix applied")
	return cmd
}
