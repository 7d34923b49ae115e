package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/sqletl/blueprint/internal/cdkapp"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/cost"
	"github.com/sqletl/blueprint/internal/helmrelease"
	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/internal/ui"
	"github.com/sqletl/blueprint/jobs"
)

// PlanOptions are the inputs of `blueprint plan` (and `up --dry-run`).
type PlanOptions struct {
	IO      *ui.IOStreams
	Output  OutputFormat
	Config  func() (*config.Config, error)
	OutDir  string
	Diagram string
	// Releases lists the Helm releases up would install (offline).
	Releases func() platform.Releases
	External bool
}

func newCmdPlan(f *Factory, runF func(*PlanOptions) error) *cobra.Command {
	opts := &PlanOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what up would deploy, offline: synthesize, check, list steps, draw the architecture",
		Long: `Synthesize the platform once and run the offline checks (cdk-nag, no custom
resources, cfn-lint when installed), then print the fully defaulted config, the
ordered steps of 'up', each stack with its resource count and dependencies, and
the Helm releases with their pinned versions, and the estimated monthly cost
(idle and with the sample schedules) with the three changes that cut the most.
Writes a Mermaid architecture
diagram next to the templates. Needs no AWS credentials and no network.`,
		Example: `  blueprint plan
  blueprint plan -o json --out /tmp/plan`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output, opts.Config = f.Globals.Output, f.Config
			opts.Releases = f.Releases
			opts.External = f.externalCluster()
			if runF != nil {
				return runF(opts)
			}
			return planRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.OutDir, "out", "cdk.out", "directory for the cloud assembly")
	cmd.Flags().StringVar(&opts.Diagram, "diagram", "", "architecture diagram path (default <out>/architecture.md)")
	return cmd
}

func planRun(ctx context.Context, opts *PlanOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	p := opts.IO.Progress()
	p.Start("Planning %q in %s (synthesize and check, offline)", cfg.Name, cfg.Region)
	po := &platform.PlanOptions{
		Config: cfg, AssemblyDir: opts.OutDir, Synth: cdkapp.Synth, Releases: opts.Releases(),
		ExternalCluster: opts.External, DiagramPath: opts.Diagram, CfnLintConfig: ".cfnlintrc.yaml",
		Cost: &cost.Sources{Jobs: jobs.Samples, ExecutorNodes: helmrelease.ExecutorNodes},
	}
	res, err := po.Run(ctx)
	if res == nil || len(res.Stacks) == 0 {
		return err
	}
	if opts.Output == OutputJSON {
		if jerr := opts.IO.WriteJSON(res); jerr != nil {
			return jerr
		}
		return err
	}
	printPlan(opts.IO, res)
	if errors.Is(err, platform.ErrChecksFailed) {
		p.Fail("Offline checks failed")
	} else if err == nil {
		p.Done("Plan ready; diagram in %s", res.Diagram)
	}
	return err
}

func printPlan(io *ui.IOStreams, res *platform.PlanResult) {
	w := io.Out
	cs := io.ColorScheme()
	fmt.Fprintln(w, cs.Bold("Configuration"))
	b, _ := yaml.Marshal(res.Config)
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		fmt.Fprintln(w, "  "+l)
	}
	fmt.Fprintln(w, cs.Bold("\nSteps of up"))
	for i, s := range res.Steps {
		fmt.Fprintf(w, "  %d. %s\n", i+1, s)
	}
	fmt.Fprintln(w, cs.Bold("\nStacks"))
	for _, s := range res.Stacks {
		deps := "-"
		if len(s.DependsOn) > 0 {
			deps = strings.Join(s.DependsOn, ", ")
		}
		line := fmt.Sprintf("  %-22s %4d resources  %9s  after: %s", s.Name, s.Resources, ui.Bytes(s.TemplateBytes), deps)
		if s.Skipped != "" {
			line += "  (skipped: " + s.Skipped + ")"
		}
		fmt.Fprintln(w, line)
	}
	if res.Kubernetes != nil {
		fmt.Fprintln(w, cs.Bold("\nKubernetes (pinned in the templates)"))
		res.Kubernetes.Print(w)
	}
	if len(res.LogGroups) > 0 {
		fmt.Fprintln(w, cs.Bold("\nLog groups (created by the stacks, with their retention)"))
		for _, g := range res.LogGroups {
			fmt.Fprintln(w, "  "+g.String())
		}
	}
	fmt.Fprintln(w, cs.Bold("\nHelm releases"))
	for _, r := range res.Releases {
		fmt.Fprintf(w, "  %-24s %-12s %s %s\n", r.Name, r.Namespace, r.Chart, r.Version)
	}
	printPlanCost(io, res.Cost)
	fmt.Fprintln(w, cs.Bold("\nChecks"))
	for _, c := range res.Checks {
		mark := cs.Green("✓")
		switch {
		case !c.Ran:
			mark = cs.Yellow("!") // not run: proves nothing, never shown as passed
		case !c.Passed:
			mark = cs.Red("✗")
		}
		fmt.Fprintf(w, "  %s %s: %s\n", mark, c.Name, c.Detail)
	}
	fmt.Fprintf(w, "\nArchitecture diagram: %s\n", res.Diagram)
}

func printPlanCost(io *ui.IOStreams, e *cost.Estimate) {
	if e == nil {
		return
	}
	fmt.Fprintln(io.Out, io.ColorScheme().Bold("\nEstimated monthly cost"))
	e.Print(io.Out)
}
