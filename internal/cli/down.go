package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sqletl/blueprint/internal/cost"
	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/internal/ui"
)

// DownOptions are the inputs of `blueprint down`.
type DownOptions struct {
	IO         *ui.IOStreams
	Output     OutputFormat
	Yes        bool
	DeleteData bool
	CfnRoleArn string
	Build      func(ctx context.Context, pp progressPrinter) (*platform.DownOptions, error)
}

func newCmdDown(f *Factory, runF func(*DownOptions) error) *cobra.Command {
	opts := &DownOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Remove the platform, keeping the data lake unless --delete-data",
		Long: `Ask for confirmation, uninstall the Helm releases (load balancers first) and
wait until the cluster's load balancers are gone, empty the job-code and logs
buckets, and delete the stacks in reverse order. The data stack (data lake
bucket, KMS key, Glue database) is kept unless --delete-data is given, which
asks a second time. Users' volumes (home directories, the hub database) are
snapshotted before they are deleted and the snapshots kept; what Kubernetes
and AWS created outside the stacks (load balancers, target groups, security
groups, network interfaces, log groups) is found by this deployment's tags
and deleted, or listed as kept with the reason. Safe to re-run; when nothing
is deployed it does nothing.`,
		Example: `  blueprint down
  blueprint down --yes                 # in CI
  blueprint down --delete-data         # everything, after two confirmations`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output, opts.Yes = f.Globals.Output, f.Globals.Yes
			opts.Build = f.downOptions
			if !opts.Yes && !opts.IO.CanPrompt() {
				return usageErrorf("down needs confirmation and there is no terminal to ask on: pass --yes")
			}
			if err := checkCfnRoleArn(opts.CfnRoleArn); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return downRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.CfnRoleArn, "cfn-role-arn", "", "IAM role CloudFormation deletes the stacks as")
	cmd.Flags().BoolVar(&opts.DeleteData, "delete-data", false, "also delete the data lake bucket, its KMS key, the Glue database and the snapshots of users' volumes")
	return cmd
}

func downRun(ctx context.Context, opts *DownOptions) error {
	pp := progressPrinter{opts.IO.Progress()}
	down, err := opts.Build(ctx, pp)
	if err != nil {
		return err
	}
	down.DeleteData = opts.DeleteData
	region := down.Config.Region
	down.ExecutionRoleArn = opts.CfnRoleArn
	down.Confirm = confirmer(opts.IO, opts.Yes, opts.DeleteData)
	res, err := down.Run(ctx)
	if err != nil {
		return err
	}
	if opts.Output == OutputJSON {
		return opts.IO.WriteJSON(res)
	}
	w := opts.IO.Out
	if res.NothingToDo && len(res.Kept) == 0 {
		fmt.Fprintln(w, "Nothing to remove: no blueprint stack is deployed.")
		return nil
	}
	if res.NothingToDo {
		fmt.Fprintln(w, "Nothing to remove: only the data is left.")
	}
	for _, s := range res.Deleted {
		fmt.Fprintf(w, "deleted  %s\n", s)
	}
	for _, b := range res.Emptied {
		fmt.Fprintf(w, "emptied  s3://%s\n", b)
	}
	for _, r := range res.Removed {
		fmt.Fprintf(w, "deleted  %s\n", r)
	}
	if len(res.Kept) > 0 {
		fmt.Fprintln(w, "\nKept (delete with `blueprint down --delete-data`):")
		for _, k := range res.Kept {
			fmt.Fprintln(w, "  "+k)
		}
	}
	if len(res.Snapshots) > 0 {
		if price, source, ok := platform.SnapshotPrice(region); ok {
			fmt.Fprintf(w, "\nSnapshot prices: %s ($%.2f per GB-month, billed by the blocks written).\n", source, price)
		} else {
			fmt.Fprintf(w, "\nSnapshot prices: not estimated, no price table for %s (tabulated: %s); see Amazon EBS pricing.\n",
				region, strings.Join(cost.Regions(), ", "))
		}
		fmt.Fprintln(w, "To get a user's files back, before their server first starts on a cluster of this deployment:")
		for _, c := range res.RestoreCommands {
			fmt.Fprintln(w, "  "+c)
		}
	}
	return nil
}

// confirmer answers confirmations: --yes answers the first; the second
// (--delete-data) is asked on the terminal even with --yes, unless there is
// no terminal, where --yes --delete-data together are the explicit consent.
func confirmer(io *ui.IOStreams, yes, deleteData bool) func(string) (bool, error) {
	asked := 0
	return func(q string) (bool, error) {
		asked++
		if yes && (asked == 1 || !io.CanPrompt()) {
			return true, nil
		}
		return io.Confirm(q)
	}
}
