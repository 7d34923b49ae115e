package argo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// requireBinary skips t when bin/argovalidate is missing, or fails it when
// BLUEPRINT_REQUIRE_ARGO=1 (as `make test` sets).
func requireBinary(t *testing.T) {
	t.Helper()
	_, err := findBinary()
	if err == nil {
		return
	}
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatal(err)
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%v\n%s=1, so this is a failure: run hack/argovalidate.sh", err, EnvRequire)
	}
	t.Skipf("%v (set %s=1 to fail instead)", err, EnvRequire)
}

func td(names ...string) []string {
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join("testdata", n)
	}
	return paths
}

func TestValidateFiles(t *testing.T) {
	requireBinary(t)
	type want struct{ kind, name, msg string }
	tests := []struct {
		name  string
		files []string
		want  []want // one entry per expected problem, in order; none means valid
	}{
		{"valid WorkflowTemplate with DAG and retryStrategy", td("valid-dag-retry.yaml"), nil},
		{"retryStrategy under inputs", td("retry-under-inputs.yaml"),
			[]want{{"WorkflowTemplate", "retry-misplaced", `unknown field "spec.templates[0].inputs.retryStrategy"`}}},
		{"unknown template in a DAG task", td("unknown-dag-template.yaml"),
			[]want{{"Workflow", "unknown-tmpl-", "templates.main.tasks.b template name 'does-not-exist' undefined"}}},
		{"templateRef to a WorkflowTemplate in another file", td("lib-template.yaml", "uses-lib-template.yaml"), nil},
		{"templateRef without the file that defines it", td("uses-lib-template.yaml"),
			[]want{{"Workflow", "uses-lib-", `couldn't find workflow template "arc-lib"`}}},
		{"workflowTemplateRef to a missing template", td("templateref-missing.yaml"),
			[]want{{"Workflow", "ref-missing-", `couldn't find workflow template "nowhere"`}}},
		{"missing required parameter", td("missing-parameter.yaml"),
			[]want{{"Workflow", "missing-param-", "templates.arc inputs.parameters.job was not supplied"}}},
		{"CronWorkflow with a bad schedule", td("cron-bad-schedule.yaml"),
			[]want{{"CronWorkflow", "nightly", "cron schedule 0 25 * * * is malformed"}}},
		{"duplicate template names", td("duplicate-template-names.yaml"),
			[]want{{"WorkflowTemplate", "dup-names", "spec.templates[1].name 'main' is not unique"}}},
		{"invalid template name", td("invalid-template-name.yaml"),
			[]want{{"WorkflowTemplate", "bad-template-name", "spec.templates[0].name: 'Load_Data' is invalid"}}},
		{"invalid object name", td("invalid-object-name.yaml"),
			[]want{{"WorkflowTemplate", "Arc_Jobs", `metadata.name: Invalid value "Arc_Jobs": a lowercase RFC 1123 subdomain`}}},
		{"DAG with a cycle", td("dag-cycle.yaml"),
			[]want{{"Workflow", "cycle-", "graph with cycle"}}},
		{"depends on an unknown task", td("dag-bad-depends.yaml"),
			[]want{{"Workflow", "bad-depends-", "invalid dependency c"}}},
		{"multi-document file, non-Argo documents skipped", td("multi-doc.yaml"), nil},
		{"Helm-templated file", td("helm-templated.yaml"),
			[]want{{"WorkflowTemplate", "", "is a Helm template"}}},
		{"misspelled kind", td("kind-typo.yaml"),
			[]want{{"WorkflowTemplat", "typo", `did you mean "WorkflowTemplate"?`}}},
		{"file without Argo objects", td("not-argo.yaml"),
			[]want{{"", "", "no Workflow, WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow"}}},
		{"duplicate WorkflowTemplate across files", td("lib-template.yaml", "lib-template.yaml"),
			[]want{{"WorkflowTemplate", "arc-lib", `duplicate WorkflowTemplate "arc-lib"`}}},
		{"missing file", td("no-such-file.yaml"),
			[]want{{"", "", "cannot read"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ValidateFiles(t.Context(), tt.files...)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tt.want), format(got))
			}
			for i, w := range tt.want {
				p := got[i]
				if p.Kind != w.kind || p.Name != w.name || !strings.Contains(p.Message, w.msg) {
					t.Errorf("problem %d = %s\nwant kind %q, name %q, message containing %q", i, p, w.kind, w.name, w.msg)
				}
				if !strings.HasPrefix(p.File, "testdata"+string(filepath.Separator)) {
					t.Errorf("problem %d file = %q, want the path as given", i, p.File)
				}
			}
		})
	}
}

func TestValidateFilesLineOfDocument(t *testing.T) {
	requireBinary(t)
	data, err := os.ReadFile(filepath.Join("testdata", "multi-doc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Break the third document (the Workflow starting after the second "---").
	broken := strings.Replace(string(data), "name: taxi-once\nspec:\n", "name: taxi-once\nspec:\n  retries: 3\n", 1)
	got, err := ValidateBytes(t.Context(), "jobs/taxi.yaml", []byte(broken))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d problems, want 1:\n%s", len(got), format(got))
	}
	want := Problem{File: "jobs/taxi.yaml", Kind: "Workflow", Name: "taxi-once", Line: 26}
	if p := got[0]; p.File != want.File || p.Kind != want.Kind || p.Name != want.Name || p.Line != want.Line || !strings.Contains(p.Message, `unknown field "spec.retries"`) {
		t.Errorf("got %s (line %d), want %s at line %d with unknown field \"spec.retries\"", p, p.Line, want.File, want.Line)
	}
}

func TestValidateBytesValid(t *testing.T) {
	requireBinary(t)
	data, err := os.ReadFile(filepath.Join("testdata", "valid-dag-retry.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ValidateBytes(t.Context(), "charts/blueprint/templates/arc.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("want no problems, got:\n%s", format(got))
	}
}

func TestNotInstalled(t *testing.T) {
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "missing"))
	for name, call := range map[string]func() ([]Problem, error){
		"ValidateFiles": func() ([]Problem, error) { return ValidateFiles(t.Context(), "x.yaml") },
		"ValidateBytes": func() ([]Problem, error) { return ValidateBytes(t.Context(), "x.yaml", []byte("a: b")) },
	} {
		_, err := call()
		if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "run hack/argovalidate.sh") {
			t.Errorf("%s: err = %v, want ErrNotInstalled saying run hack/argovalidate.sh", name, err)
		}
	}
}

// TestValidatorFailure checks that a validator that cannot run (usage error,
// crash, garbage output) is an error carrying its stderr, not "no problems".
func TestValidatorFailure(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a shell script as the fake validator")
	}
	tests := []struct{ name, script, want string }{
		{"usage error", "echo 'argovalidate: bad flag' >&2; exit 2", "argovalidate: bad flag"},
		{"exit 1 without problems", "echo '[]'; echo 'broke' >&2; exit 1", "reported no problems"},
		{"garbage output", "echo 'not json'; exit 0", "reading"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := filepath.Join(t.TempDir(), "argovalidate")
			if err := os.WriteFile(fake, []byte("#!/bin/sh\n"+tt.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			t.Setenv(EnvBinary, fake)
			_, err := ValidateFiles(context.Background(), "x.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestFindBinaryWalksUpToGoMod(t *testing.T) {
	t.Setenv(EnvBinary, "")
	t.Setenv("PATH", "")
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "bin", "argovalidate")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "internal", "argo")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	got, err := findBinary()
	if err != nil || got != bin {
		t.Fatalf("findBinary() = %q, %v; want %q", got, err, bin)
	}
}

func format(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}
