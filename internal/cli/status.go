package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/internal/ui"
)

// StatusOptions are the inputs of `blueprint status`.
type StatusOptions struct {
	IO     *ui.IOStreams
	Output OutputFormat
	Build  func(ctx context.Context) (*platform.StatusOptions, error)
}

func newCmdStatus(f *Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the stacks, cluster, nodes and Helm releases",
		Long: `Report each stack's CloudFormation state, the cluster's Kubernetes version,
nodes by node group and capacity type, the Helm releases and their health,
and the endpoints. What cannot be inspected is listed, not fatal.`,
		Example: `  blueprint status
  blueprint status -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output, opts.Build = f.Globals.Output, f.statusOptions
			if runF != nil {
				return runF(opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	st, err := opts.Build(ctx)
	if err != nil {
		return err
	}
	res, err := st.Run(ctx)
	if err != nil {
		return err
	}
	if opts.Output == OutputJSON {
		return opts.IO.WriteJSON(res)
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "blueprint %q in %s\n\nSTACK                    STATUS                  UPDATED\n", res.Name, res.Region)
	for _, s := range res.Stacks {
		fmt.Fprintf(w, "%-24s %-23s %s\n", s.Name, s.Status, s.Updated)
	}
	if res.Cluster != nil {
		fmt.Fprintf(w, "\nKubernetes %s at %s\n", res.Cluster.Version, res.Endpoint)
		for _, g := range res.Cluster.NodeGroups {
			fmt.Fprintf(w, "  %-28s %-10s %d/%d ready\n", g.NodeGroup, g.CapacityType, g.Ready, g.Nodes)
		}
	}
	if len(res.Releases) > 0 {
		fmt.Fprintln(w, "\nRELEASE                  NAMESPACE    CHART                      STATUS")
		for _, r := range res.Releases {
			fmt.Fprintf(w, "%-24s %-12s %-26s %s\n", r.Name, r.Namespace, r.Chart+"-"+r.Version, r.Status)
		}
	}
	if res.DataLake != "" {
		fmt.Fprintf(w, "\nData lake: s3://%s   Athena workgroup: %s\n", res.DataLake, res.Workgroup)
	}
	for _, p := range res.Problems {
		fmt.Fprintf(w, "! %s\n", p)
	}
	return nil
}
