package cli

// Tests of `blueprint jobs lint` (jobs.go). The other jobs subcommands are
// tested in jobs_test.go.

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sqletl/blueprint/internal/etl"
	"github.com/sqletl/blueprint/internal/ui"
)

func TestJobsLintFlags(t *testing.T) {
	tests := []struct {
		args      []string
		paths     []string
		vars      []string
		output    OutputFormat
		wantCode  int
		wantError string
	}{
		{args: []string{"jobs", "lint"}, paths: []string{"jobs"}, output: OutputText},
		{args: []string{"jobs", "lint", "a", "b/c.ipynb"}, paths: []string{"a", "b/c.ipynb"}, output: OutputText},
		{args: []string{"jobs", "lint", "--var", "X", "--var=Y", "-o", "json"}, paths: []string{"jobs"}, vars: []string{"X", "Y"}, output: OutputJSON},
		{args: []string{"-o", "json", "jobs", "lint", "p"}, paths: []string{"p"}, output: OutputJSON},
		{args: []string{"jobs", "lint", "--vars", "X"}, wantCode: ExitUsage, wantError: "unknown flag: --vars"},
		{args: []string{"jobs", "lnit"}, wantCode: ExitUsage, wantError: `did you mean "lint"?`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _ := testFactory()
			var got *JobsLintOptions
			cmd := newCmdJobs(f)
			cmd.RemoveCommand(cmd.Commands()...)
			cmd.AddCommand(newCmdJobsLint(f, func(o *JobsLintOptions) error { got = o; return nil }))
			code, err := parse(t, f, cmd, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d (%v)", code, tt.wantCode, err)
			}
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("err = %v, want %q", err, tt.wantError)
				}
				return
			}
			if !reflect.DeepEqual(got.Paths, tt.paths) || !reflect.DeepEqual(got.Variables, tt.vars) || got.Output != tt.output {
				t.Errorf("options: paths %v vars %v output %s", got.Paths, got.Variables, got.Output)
			}
		})
	}
}

func TestJobsExtraSubcommands(t *testing.T) {
	f, _ := testFactory()
	extra := newCmdVersion(f, nil)
	extra.Use = "push"
	cmd := newCmdJobs(f, extra)
	var names []string
	for _, c := range cmd.Commands() {
		names = append(names, c.Name())
	}
	if !reflect.DeepEqual(names, []string{"lint", "push"}) {
		t.Errorf("subcommands %v", names)
	}
}

// brokenJobs writes a pipeline with one broken SQL file and one notebook
// with a misspelled magic.
func brokenJobs(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "jobs", "p")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "bad.sql", "SELECT (1\n")
	writeFile(t, dir, "job.ipynb", `{"cells": [{"cell_type": "code", "source": ["%sqlvaildate name=x environments=production\n", "SELECT TRUE AS valid, '' AS message"]}],
 "metadata": {"kernelspec": {"name": "arc"}}, "nbformat": 4, "nbformat_minor": 4}`)
	return dir
}

func noWorkflowValidator(context.Context, ...string) ([]etl.WorkflowProblem, error) { return nil, nil }

func TestJobsLintText(t *testing.T) {
	dir := brokenJobs(t)
	ios, _, out, errOut := ui.Test()
	err := jobsLintRun(context.Background(), &JobsLintOptions{IO: ios, Output: OutputText, Paths: []string{dir}, ValidateWorkflows: noWorkflowValidator})
	var lf *LintFailedError
	if !errors.As(err, &lf) || lf.Errors != 2 || ExitCode(err) != ExitError {
		t.Fatalf("err = %v (exit %d), want 2 errors, exit 1", err, ExitCode(err))
	}
	want := filepath.Join(dir, "bad.sql") + ": error: unbalanced parentheses: '(' on line 1 is never closed (add the missing ')')\n" +
		filepath.Join(dir, "job.ipynb") + ":1: error: unknown magic %sqlvaildate; Arc would silently run it as %sql (did you mean %sqlvalidate?)\n"
	if out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr: %q", errOut)
	}
}

func TestJobsLintJSON(t *testing.T) {
	dir := brokenJobs(t)
	ios, _, out, _ := ui.Test()
	err := jobsLintRun(context.Background(), &JobsLintOptions{IO: ios, Output: OutputJSON, Paths: []string{dir}, ValidateWorkflows: noWorkflowValidator})
	if ExitCode(err) != ExitError {
		t.Fatalf("exit %d (%v)", ExitCode(err), err)
	}
	var got struct {
		Findings []map[string]any `json:"findings"`
		Errors   int              `json:"errors"`
		Warnings int              `json:"warnings"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Errors != 2 || got.Warnings != 0 || len(got.Findings) != 2 {
		t.Fatalf("json: %s", out)
	}
	want := map[string]any{
		"file":     filepath.Join(dir, "bad.sql"), // no cell for a SQL file
		"severity": "error",
		"message":  "unbalanced parentheses: '(' on line 1 is never closed",
		"fix":      "add the missing ')'",
	}
	if !reflect.DeepEqual(got.Findings[0], want) {
		t.Errorf("first finding %v, want %v", got.Findings[0], want)
	}
	if got.Findings[1]["cell"] != float64(1) || got.Findings[1]["severity"] != "error" {
		t.Errorf("second finding %v", got.Findings[1])
	}
}

func TestJobsLintClean(t *testing.T) {
	ios, _, out, errOut := ui.Test()
	err := jobsLintRun(context.Background(), &JobsLintOptions{IO: ios, Output: OutputJSON, Paths: []string{"../../jobs"}, ValidateWorkflows: noWorkflowValidator})
	if err != nil {
		t.Fatal(err)
	}
	var got JobsLintResult
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Findings == nil || len(got.Findings) != 0 || got.Errors != 0 || got.Warnings != 0 {
		t.Errorf("stdout %s", out)
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr %q", errOut)
	}
}

func TestJobsLintMissingPath(t *testing.T) {
	ios, _, _, _ := ui.Test()
	err := jobsLintRun(context.Background(), &JobsLintOptions{IO: ios, Paths: []string{filepath.Join(t.TempDir(), "none")}})
	if err == nil || ExitCode(err) != ExitError {
		t.Fatalf("err = %v", err)
	}
}
