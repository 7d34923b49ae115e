package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// newCmdRoot is the whole command tree.
func newCmdRoot(f *Factory) *cobra.Command {
	cmd := newRootCommand(f)
	cmd.AddCommand(
		newCmdInit(f, nil),
		newCmdConfig(f, nil),
		newCmdSynth(f, nil),
		newCmdPlan(f, nil),
		newCmdRender(f, nil),
		newCmdUp(f, nil),
		newCmdStatus(f, nil),
		newCmdDown(f, nil),
		newCmdKubeconfig(f, nil),
		newCmdToken(f, nil),
		newCmdOpen(f, nil),
		newCmdJobs(f,
			newCmdJobsPush(f, nil),
			newCmdJobsRun(f, nil),
			newCmdJobsList(f, nil),
			newCmdJobsLogs(f, nil),
			newCmdJobsSchedule(f, nil),
		),
		newCmdQuery(f, nil),
		newCmdCIRole(f, nil),
		newCmdVersion(f, nil),
	)
	// cobra's `completion` command (bash, zsh, fish, powershell), added now
	// rather than at Execute so its argument errors are usage errors too.
	cmd.InitDefaultCompletionCmd()
	wrapArgErrors(cmd)
	return cmd
}

// newRootCommand is the root alone: global flags, error handling, help.
func newRootCommand(f *Factory) *cobra.Command {
	g := f.Globals
	cmd := &cobra.Command{
		Use:   "blueprint",
		Short: "Stand up a SQL ETL platform on Amazon EKS",
		Long: `blueprint builds and runs a SQL ETL platform on Amazon EKS: a VPC, an EKS
cluster with on-demand and Spot node groups, an S3 data lake with a Glue
catalog and Athena, and the in-cluster software that runs SQL ETL jobs.

Everything is described by one file, blueprint.yaml (blueprint init writes a
commented one). Results go to stdout, progress to stderr.`,
		Example: `  blueprint init
  blueprint config
  blueprint synth --out cdk.out`,
		SilenceErrors: true, // printed once, by run
		SilenceUsage:  true,
		Args:          rootArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
		// Subcommands must not define PersistentPreRunE: cobra would run
		// theirs instead of this one.
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if g.NoColor {
				f.IOStreams.SetColorEnabled(false)
			}
			f.IOStreams.SetVerbose(g.Verbose)
			return nil
		},
	}
	cmd.SetIn(f.IOStreams.In)
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)

	pf := cmd.PersistentFlags()
	pf.VarP(configPathValue{g}, "config", "c", "config file (a missing default file means all defaults)")
	pf.StringVar(&g.Region, "region", "", "AWS region, overriding region in the config file")
	pf.StringVar(&g.Profile, "profile", "", "AWS shared config profile (default: the AWS SDK's usual lookup)")
	pf.VarP(&g.Output, "output", "o", `result format on stdout: "text" or "json"`)
	pf.BoolVarP(&g.Yes, "yes", "y", false, "answer yes to confirmations (required when not on a terminal)")
	pf.BoolVarP(&g.Verbose, "verbose", "v", false, "show detailed progress on stderr")
	pf.BoolVar(&g.NoColor, "no-color", false, "no colour in output (NO_COLOR=1 does the same)")
	pf.StringVar(&g.Kubeconfig, "kubeconfig", "", "use this kubeconfig instead of the blueprint's EKS cluster ($BLUEPRINT_KUBECONFIG)")
	pf.StringVar(&g.ChartMirror, "chart-mirror", "", "directory of <chart>-<version>.tgz read before the upstream chart repositories ($BLUEPRINT_CHART_MIRROR)")

	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &UsageError{Err: err}
	})
	cmd.SuggestionsMinimumDistance = 2
	return cmd
}

// rootArgs rejects `blueprint <unknown>` as a usage error, with cobra's
// "did you mean" suggestions.
func rootArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return errors.New(msg) // made a *UsageError by wrapArgErrors
}

// wrapArgErrors makes every command's positional-argument errors usage errors.
func wrapArgErrors(cmd *cobra.Command) {
	if validate := cmd.Args; validate != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := validate(c, args); err != nil {
				return &UsageError{Err: err}
			}
			return nil
		}
	}
	for _, c := range cmd.Commands() {
		wrapArgErrors(c)
	}
}
