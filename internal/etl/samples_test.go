package etl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// requireArgo is set by `make test`: the Argo validator must be built.
func requireArgo() bool { return os.Getenv("BLUEPRINT_REQUIRE_ARGO") == "1" }

// TestSamplesLintClean lints every shipped job under jobs/ with Argo's real
// validator; without the validator binary it skips unless
// BLUEPRINT_REQUIRE_ARGO=1.
func TestSamplesLintClean(t *testing.T) {
	findings, err := Lint(context.Background(), []string{"../../jobs"}, LintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	skipArgo := false
	for _, f := range findings {
		if f.Severity == SeverityWarning && strings.Contains(f.Message, "not checked by Argo's validator") {
			skipArgo = true
			continue
		}
		t.Errorf("%s", f)
	}
	if skipArgo {
		if requireArgo() {
			t.Fatal("BLUEPRINT_REQUIRE_ARGO=1 but Argo's validator is not built (run hack/argovalidate.sh)")
		}
		t.Skip("workflow files not checked: Argo's validator is not built (BLUEPRINT_REQUIRE_ARGO=1 makes this fail)")
	}
}

// TestSamplesLintCleanOwnRules lints the samples without Argo's validator,
// so lint's own rules run on every machine.
func TestSamplesLintCleanOwnRules(t *testing.T) {
	var validated []string
	findings, err := Lint(context.Background(), []string{"../../jobs"}, LintOptions{
		ValidateWorkflows: func(_ context.Context, paths ...string) ([]WorkflowProblem, error) {
			validated = paths
			return nil, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("%s", f)
	}
	want := []string{"nyc-taxi/schedule.yaml", "nyc-taxi/workflow.yaml", "scd2-contacts/schedule.yaml", "scd2-contacts/workflow.yaml"}
	if len(validated) != len(want)+1 || filepath.Base(validated[len(want)]) != "arc-job.yaml" {
		t.Fatalf("validated %v, want %v", validated, want)
	}
	for i, w := range want {
		if filepath.ToSlash(validated[i]) != "../../jobs/"+w {
			t.Errorf("validated[%d] = %s, want %s", i, validated[i], w)
		}
	}
}

// TestDefaultVariablesMatchArcJobTemplate pins DefaultVariables to the env
// the platform chart's arc-job WorkflowTemplate really sets.
func TestDefaultVariablesMatchArcJobTemplate(t *testing.T) {
	data, err := os.ReadFile("../../charts/platform/templates/workflowtemplate-arc-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name := range DefaultVariables {
		if !strings.Contains(string(data), "- name: "+name+"\n") {
			t.Errorf("arc-job template does not set %s; update DefaultVariables and jobs/README.md", name)
		}
	}
	if !strings.Contains(string(data), "- name: "+jobFileParam+"\n") {
		t.Errorf("arc-job template has no %s parameter", jobFileParam)
	}
}

func TestValidatorErrorIsReturned(t *testing.T) {
	boom := errors.New("boom")
	_, err := Lint(context.Background(), []string{"../../jobs/nyc-taxi"}, LintOptions{
		ValidateWorkflows: func(context.Context, ...string) ([]WorkflowProblem, error) { return nil, boom },
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

// TestArcJobContractMatchesChart pins the arc-job interface lint validates
// against to the chart's real template: same sizes and parameters.
func TestArcJobContractMatchesChart(t *testing.T) {
	chart, err := os.ReadFile("../../charts/platform/templates/workflowtemplate-arc-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"name: arc-job\n", "namespace: spark\n", `list "small" "medium" "large" "local"`,
		"- name: jobFile\n", "- name: environment\n", "value: production\n",
	} {
		if !strings.Contains(string(chart), want) {
			t.Errorf("chart's arc-job has no %q; update internal/etl/arcjob.yaml and jobs/README.md", want)
		}
	}
	for _, want := range []string{"name: small\n", "name: medium\n", "name: large\n", "name: local\n", "- name: jobFile\n", "- name: environment\n"} {
		if !strings.Contains(string(arcJobContract), want) {
			t.Errorf("arcjob.yaml has no %q", want)
		}
	}
}
