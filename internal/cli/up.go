package cli

import (
	"context"
	"fmt"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/internal/ui"
)

// UpOptions are the inputs of `blueprint up`.
type UpOptions struct {
	IO     *ui.IOStreams
	Output OutputFormat
	OutDir string
	DryRun bool
	// CfnRoleArn is --cfn-role-arn: CloudFormation's service role.
	CfnRoleArn string
	// RestoreSamples is --restore-samples.
	RestoreSamples bool
	// Build returns the fully wired action; called only for a real run.
	Build func(ctx context.Context, outDir string, pp progressPrinter) (*platform.UpOptions, error)
	Plan  *PlanOptions
}

func newCmdUp(f *Factory, runF func(*UpOptions) error) *cobra.Command {
	opts := &UpOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Deploy the whole platform (safe to re-run)",
		Long: `Check credentials, synthesize once, deploy the stacks (independent ones in
parallel) with per-resource progress, connect to the cluster, install the
in-cluster platform with Helm and wait until it is ready, then upload the
sample jobs and print how to reach JupyterHub and Argo. Every step checks
state first: re-running on an unchanged config changes nothing, and re-running
after a failure continues where it stopped. --dry-run is 'blueprint plan'.`,
		Example: `  blueprint up
  blueprint up --dry-run
  blueprint up --yes -o json   # in CI`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			opts.Build = f.upOptions
			opts.Plan = &PlanOptions{IO: f.IOStreams, Output: f.Globals.Output, Config: f.Config, OutDir: opts.OutDir,
				Releases: f.Releases, External: f.externalCluster()}
			if opts.DryRun && opts.CfnRoleArn != "" {
				return usageErrorf("--dry-run and --cfn-role-arn: a dry run deploys nothing; pass only one")
			}
			if err := checkCfnRoleArn(opts.CfnRoleArn); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return upRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.OutDir, "out", "cdk.out", "directory for the cloud assembly")
	cmd.Flags().StringVar(&opts.CfnRoleArn, "cfn-role-arn", "", "IAM role CloudFormation deploys the stacks as (e.g. the CDK bootstrap's cfn-exec-role, for a least-privilege CI role)")
	cmd.Flags().BoolVar(&opts.RestoreSamples, "restore-samples", false, "put blueprint's sample jobs and schedules back over your changes to them (by default up installs them once and keeps your edits)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "only plan: synthesize, check and print the steps (no credentials needed)")
	return cmd
}

var roleArnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)

// checkCfnRoleArn rejects a --cfn-role-arn that is not an IAM role ARN
// before anything is called ("" means: deploy as the caller).
func checkCfnRoleArn(arn string) error {
	if arn != "" && !roleArnPattern.MatchString(arn) {
		return usageErrorf("--cfn-role-arn %q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", arn)
	}
	return nil
}

func upRun(ctx context.Context, opts *UpOptions) error {
	if opts.DryRun {
		return planRun(ctx, opts.Plan)
	}
	pp := progressPrinter{opts.IO.Progress()}
	up, err := opts.Build(ctx, opts.OutDir, pp)
	if err != nil {
		return err
	}
	up.ExecutionRoleArn = opts.CfnRoleArn
	up.RestoreSamples = opts.RestoreSamples
	res, err := up.Run(ctx)
	if err != nil {
		return err
	}
	if opts.Output == OutputJSON {
		return opts.IO.WriteJSON(res)
	}
	w := opts.IO.Out
	changed := 0
	for _, s := range res.Stacks {
		state := "unchanged"
		switch {
		case s.Skipped != "":
			state = "skipped: " + s.Skipped
		case s.Changed:
			state = "deployed"
			changed++
		}
		fmt.Fprintf(w, "%-24s %s\n", s.Name, state)
	}
	for _, r := range res.Releases {
		fmt.Fprintf(w, "%-24s %s %s (%s) %s\n", r.Name, r.Chart, r.Version, r.Namespace, r.Status)
	}
	if res.Outputs != nil {
		fmt.Fprintf(w, "\nData lake:  s3://%s\nGlue:       %s (Athena workgroup %s)\n", res.Outputs.DataLakeBucket, res.Outputs.GlueDatabase, res.Outputs.AthenaWorkgroup)
	}
	if changed == 0 {
		fmt.Fprintln(w, "\nNo stack changes.")
	}
	if len(res.SamplesKept) > 0 {
		fmt.Fprintf(w, "\nKept your changes to %d sample file(s) (blueprint up --restore-samples puts them back):\n", len(res.SamplesKept))
		for _, k := range res.SamplesKept {
			fmt.Fprintln(w, "  "+k)
		}
	}
	if res.DeployerPrincipal != "" {
		fmt.Fprintf(w, "\nCluster-admin also granted to %s (DeployerPrincipalArn).\n", res.DeployerPrincipal)
	}
	fmt.Fprintln(w, "\nNext:")
	for _, s := range res.NextSteps {
		fmt.Fprintln(w, "  "+s)
	}
	return nil
}
