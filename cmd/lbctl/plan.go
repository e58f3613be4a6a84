package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/azlb/azlb/pkg/cloudconfig"
	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/plan"
)

func newPlanCmd() *cobra.Command {
	var (
		files       []string
		cloudConfig string
		output      string
		nodes       int
		clusterName string
	)
	cmd := &cobra.Command{
		Use:   "plan -f FILE... [--cloud-config FILE] [-o json|yaml]",
		Short: "Show the Azure load balancers and public IPs that Services become, without touching Azure",
		Long: `plan runs the provider against an empty in-memory fake Azure and prints what results:
{"loadBalancers":[...],"publicIPAddresses":[...]} in ARM REST JSON as the armnetwork SDK marshals it.
Node ports and healthCheckNodePort are taken from the manifests when set, else allocated from 30000.
Nodes come from the manifests, else --nodes are made. Warnings (annotations that cannot apply) go to
standard error. An invalid Service is an error naming the Service and the annotation (exit status 1).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "json" && output != "yaml" {
				return fmt.Errorf("-o %q: use json or yaml", output)
			}
			set, err := manifest.ReadFiles(files, cmd.InOrStdin())
			if err != nil {
				return err
			}
			opts := plan.Options{Nodes: nodes, ClusterName: clusterName}
			if cloudConfig != "" {
				if opts.CloudConfig, err = cloudconfig.LoadForFake(cloudConfig); err != nil {
					return err
				}
			}
			res, err := plan.Run(cmd.Context(), set, opts)
			if err != nil {
				return err
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s: %s\n", w.Service, w.Message)
			}
			for _, s := range res.Skipped {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: skipped Service %s: not of type LoadBalancer\n", s)
			}
			return writeOutput(cmd.OutOrStdout(), res, output)
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "manifest file (repeatable; - for standard input)")
	cmd.Flags().StringVar(&cloudConfig, "cloud-config", "", "the provider's azure.json (default: a built-in example config)")
	cmd.Flags().StringVarP(&output, "output", "o", "json", "output format: json or yaml")
	cmd.Flags().IntVar(&nodes, "nodes", 3, "nodes to make when the manifests hold none")
	cmd.Flags().StringVar(&clusterName, "cluster-name", "kubernetes", "the controller's --cluster-name")
	return cmd
}

func writeOutput(w io.Writer, v any, format string) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if format == "yaml" {
		if data, err = yaml.JSONToYAML(data); err != nil {
			return err
		}
	} else {
		data = append(data, '\n')
	}
	_, err = w.Write(data)
	return err
}
