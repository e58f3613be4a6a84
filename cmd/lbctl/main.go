// Command lbctl is the operator's tool for the Azure load balancer provider: plan what a Service becomes
// on Azure, simulate rollouts and drains against the fake load balancer, check manifests for settings
// that drop requests, and serve the fake Azure over HTTPS.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "lbctl:", err)
		os.Exit(exitCode(err))
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "lbctl",
		Short:         "Plan, simulate and check Azure load balancers for Kubernetes Services",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newPlanCmd(), newFakeCloudCmd(), newSimulateCmd(), newCheckCmd())
	return root
}

// exitError carries a specific exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return 1
}
