package platform

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/cost"
	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/stackreg"
)

// PlanOptions describe what `up` would do, offline: no credentials, no
// network.
type PlanOptions struct {
	Config      *config.Config
	AssemblyDir string
	Synth       Synthesizer
	Releases    Releases
	// ExternalCluster: see UpOptions.
	ExternalCluster bool
	// DiagramPath receives a Mermaid architecture diagram (Markdown).
	// Default <AssemblyDir>/architecture.md.
	DiagramPath string
	// CfnLint is the cfn-lint command; empty looks it up on PATH, and the
	// check is reported as skipped when it is not installed.
	CfnLint string
	// CfnLintConfig is passed as --config-file when it exists.
	CfnLintConfig string
	// Cost, when set, is where the cost estimate finds the sample jobs
	// and the executors' placement (plan_cost.go).
	Cost *cost.Sources
}

// PlanResult is the plan.
type PlanResult struct {
	Config   *config.Config  `json:"config"`
	Steps    []string        `json:"steps"`
	Stacks   []PlanStack     `json:"stacks"`
	Releases []ReleaseStatus `json:"releases"`
	Checks   []Check         `json:"checks"`
	Diagram  string          `json:"diagram"`
	// Kubernetes: pinned versions and zones (plan_eks.go).
	Kubernetes *PlanKubernetes `json:"kubernetes,omitempty"`
	// Cost: the monthly estimate (plan_cost.go).
	Cost *cost.Estimate `json:"cost,omitempty"`
	// LogGroups the stacks create (plan_logs.go).
	LogGroups []PlanLogGroup `json:"logGroups,omitempty"`
}

// PlanStack is one stack to deploy.
type PlanStack struct {
	Name          string   `json:"name"`
	Resources     int      `json:"resources"`
	TemplateBytes int64    `json:"templateBytes"`
	DependsOn     []string `json:"dependsOn"`
	Skipped       string   `json:"skipped,omitempty"`
}

// Check is one offline check's outcome. A check that could not run (its
// tool is missing) has Ran false and Passed false: it proves nothing, and
// it is shown as not run, never as passed.
type Check struct {
	Name   string `json:"name"`
	Ran    bool   `json:"ran"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"`
}

// Failed reports a check that ran and failed.
func (c Check) Failed() bool { return c.Ran && !c.Passed }

// ErrChecksFailed is returned (with the full result) when a check fails.
var ErrChecksFailed = errors.New("offline checks failed")

// Run synthesizes once and checks the result.
func (o *PlanOptions) Run(ctx context.Context) (*PlanResult, error) {
	res := &PlanResult{Config: o.Config}
	up := &UpOptions{Config: o.Config, Jobs: noJobs{}}
	res.Steps = StepNames(up.Steps(&UpResult{}))

	asm, err := o.Synth(ctx, o.Config, o.AssemblyDir)
	if asm == nil {
		return res, err
	}
	res.Checks = append(res.Checks, Check{Name: "cdk-nag AwsSolutions", Ran: true, Passed: err == nil, Detail: nagDetail(asm, err)})
	forbidden := asm.ResourcesOfType(IsForbiddenResource)
	res.Checks = append(res.Checks, Check{Name: "no custom resources or Lambda", Ran: true, Passed: len(forbidden) == 0, Detail: fmt.Sprint(len(forbidden), " found")})
	res.Checks = append(res.Checks, o.cfnLint(ctx, asm))

	names, deps := stackGraph(asm)
	reg := stackreg.For(o.Config)
	for _, n := range names {
		st := asm.Stack(n)
		ps := PlanStack{Name: n, Resources: st.Resources, TemplateBytes: st.TemplateSize, DependsOn: append([]string{}, deps[n]...)}
		if s, ok := reg.ByName(n); ok && o.ExternalCluster && s.NeedsCluster {
			ps.Skipped = "cluster connection overridden (--kubeconfig)"
		}
		res.Stacks = append(res.Stacks, ps)
	}
	res.Kubernetes = planKubernetes(asm, PlannedZones(o.Config))
	res.Cost = o.planCost(asm)
	res.LogGroups = planLogGroups(o.Config, reg, o.ExternalCluster)
	if o.Releases != nil {
		res.Releases = o.Releases.Planned(o.Config)
	}
	res.Diagram = o.DiagramPath
	if res.Diagram == "" {
		res.Diagram = filepath.Join(o.AssemblyDir, "architecture.md")
	}
	if err := os.WriteFile(res.Diagram, []byte(Diagram(asm, res.Releases)), 0o644); err != nil {
		return res, fmt.Errorf("writing diagram: %w", err)
	}
	for _, c := range res.Checks {
		if c.Failed() {
			return res, ErrChecksFailed
		}
	}
	return res, nil
}

// IsForbiddenResource reports resource types blueprint never deploys:
// anything that would run a Lambda or a custom resource provider.
func IsForbiddenResource(typ string) bool {
	return strings.HasPrefix(typ, "Custom::") || typ == "AWS::CloudFormation::CustomResource" ||
		typ == "AWS::Lambda::Function" || typ == "AWS::Serverless::Function"
}

func nagDetail(asm *assembly.Assembly, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("0 errors across %d stacks", len(asm.Stacks))
}

func (o *PlanOptions) cfnLint(ctx context.Context, asm *assembly.Assembly) Check {
	c := Check{Name: "cfn-lint"}
	bin := o.CfnLint
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("cfn-lint"); err != nil {
			c.Detail = "not run: cfn-lint is not installed (pip install cfn-lint)"
			return c
		}
	}
	args := []string{}
	if o.CfnLintConfig != "" {
		if _, err := os.Stat(o.CfnLintConfig); err == nil {
			args = append(args, "--config-file", o.CfnLintConfig)
		}
	}
	if len(args) == 0 {
		// Outside the repository (no .cfnlintrc.yaml) the binary carries
		// the same ignore list, so plan gives the same verdict anywhere.
		for rule := range stackreg.CfnLintIgnored {
			args = append(args, "--ignore-checks", rule)
		}
	}
	args = append(args, "--format", "parseable", "--")
	for _, s := range asm.Stacks {
		args = append(args, filepath.Join(asm.Dir, s.TemplateFile))
	}
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	c.Ran = true
	findings := strings.TrimSpace(string(out))
	c.Passed = err == nil && findings == ""
	c.Detail = fmt.Sprintf("%d templates, no findings", len(asm.Stacks))
	if !c.Passed {
		c.Detail = findings
	}
	return c
}

// Diagram renders the assembly and releases as a Mermaid flowchart in
// Markdown: one box per stack with its main resources, the Helm releases
// inside the cluster, and the deploy order as arrows.
func Diagram(asm *assembly.Assembly, releases []ReleaseStatus) string {
	var b strings.Builder
	b.WriteString("# blueprint architecture\n\nGenerated by `blueprint plan` from the synthesized templates.\n\n```mermaid\nflowchart LR\n")
	id := func(s string) string { return strings.NewReplacer("-", "_", ".", "_", ":", "_", "/", "_").Replace(s) }
	for _, s := range asm.Stacks {
		fmt.Fprintf(&b, "  subgraph %s[\"%s\"]\n", id(s.Name), s.Name)
		counts := map[string]int{}
		for _, r := range s.Template.Resources {
			counts[r.Type]++
		}
		types := make([]string, 0, len(counts))
		for t := range counts {
			types = append(types, t)
		}
		sort.Strings(types)
		for _, t := range types {
			label := strings.TrimPrefix(t, "AWS::")
			if counts[t] > 1 {
				label = fmt.Sprintf("%s ×%d", label, counts[t])
			}
			fmt.Fprintf(&b, "    %s_%s[\"%s\"]\n", id(s.Name), id(t), label)
		}
		if strings.HasSuffix(s.Name, "-cluster") && len(releases) > 0 {
			fmt.Fprintf(&b, "    subgraph %s_helm[\"Helm releases\"]\n", id(s.Name))
			for _, r := range releases {
				fmt.Fprintf(&b, "      helm_%s[\"%s %s (%s)\"]\n", id(r.Name), r.Chart, r.Version, r.Namespace)
			}
			b.WriteString("    end\n")
		}
		b.WriteString("  end\n")
	}
	byID := map[string]string{}
	for _, s := range asm.Stacks {
		byID[s.ID] = s.Name
	}
	for _, s := range asm.Stacks {
		for _, d := range s.DependsOn {
			fmt.Fprintf(&b, "  %s --> %s\n", id(byID[d]), id(s.Name))
		}
	}
	b.WriteString("```\n")
	return b.String()
}

// noJobs stands in for the job uploader when listing steps.
type noJobs struct{}

func (noJobs) Push(context.Context, *rest.Config, *outputs.Platform, bool) (SamplesResult, error) {
	return SamplesResult{}, nil
}
