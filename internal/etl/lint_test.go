package etl

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// noArgo stands in for Argo's validator in tests of lint's own rules.
func noArgo(context.Context, ...string) ([]WorkflowProblem, error) { return nil, nil }

func TestLintBrokenJobs(t *testing.T) {
	tests := []struct {
		dir  string
		file string // the finding's file, relative to the case directory
		cell int
		msg  string // substrings of the message
		fix  string // substring of the fix
	}{
		{"misspelled-magic", "job.ipynb", 3, "unknown magic %sqlvaildate; Arc would silently run it as %sql", "did you mean %sqlvalidate?"},
		{"kernelspec-python", "job.ipynb", 0, `kernelspec is "python3"`, `set metadata.kernelspec.name to "arc"`},
		{"no-kernelspec", "job.ipynb", 0, "notebook has no kernelspec", "Change kernel → Arc"},
		{"hocon-syntax", "job.ipynb", 1, `HOCON syntax error in stage: line 6, column 14: expected ':' or '=' after key "inputURI", found '$'`, "fix the syntax"},
		{"missing-outputview", "job.ipynb", 1, "DelimitedExtract stage is missing required field outputView", `add "outputView"`},
		{"unknown-stage", "job.ipynb", 1, `unknown stage type "DelimitedExtrakt"`, "did you mean DelimitedExtract?"},
		{"sqlvalidate-columns", "job.ipynb", 2, "SQLValidate must select exactly two columns, valid and message; the query selects columns ok", "AS valid"},
		{"missing-file", "job.ipynb", 1, "schemaURI ${ETL_CONF_CODE_URL}/jobs/missing-file/schema/nothere.json names", "create"},
		{"invalid-json", "job.ipynb", 0, "not a valid notebook: not valid JSON: line 1", "repair the JSON"},
		{"empty-sql", "empty.sql", 0, "SQL is empty", "write the statement"},
		{"unbalanced-quote", "bad.sql", 0, "unterminated single quote (') opened on line 3", "close the string"},
		{"unbalanced-paren", "bad.sql", 0, "unbalanced parentheses: '(' on line 1 is never closed", "add the missing ')'"},
		{"unset-variable", "job.ipynb", 1, "${ETL_CONF_OUTPUT_BUCKET} is not supplied", "ETL_CONF_DATA_URL"},
		{"env-only-variable", "job.ipynb", 2, "${ETL_CONF_RUN_DATE} is set only by %env in cell 1, which Arc ignores", "supply ETL_CONF_RUN_DATE"},
		{"sqlparams-missing", "job.ipynb", 1, `SQL uses ${source_view} but the stage has no sqlParams entry "source_view"`, "add source_view to sqlParams"},
		{"sqlparams-unused", "job.ipynb", 1, `sqlParams entry "limit" is not used in the SQL`, "use ${limit}"},
		{"sql-no-environments", "job.ipynb", 1, "%sql cell has no environments=", "add environments=production,test"},
		{"stage-no-environments", "job.ipynb", 1, "ParquetLoad stage is missing required field environments", `add "environments"`},
		{"sql-stage-unbalanced", "job.ipynb", 1, "SQLTransform stage: unbalanced parentheses", "add the missing ')'"},
		{"schema-missing-formatters", "schema.json", 0, "schema field 1 (created) is missing formatters", "arc.tripl.ai/metadata"},
		{"schema-unknown-attribute", "schema.json", 0, `schema field 1 (id): Arc rejects the attribute "primaryKey"`, "remove it"},
		{"stage-unknown-key", "job.ipynb", 1, `ParquetLoad stage: Arc rejects the key "partitonBy" (Invalid attribute; tripl-ai/arc@4.2.0 src/main/scala/ai/tripl/arc/load/ParquetLoad.scala)`, "did you mean partitionBy?"},
		// Arc 4.2.0's JDBCExecute reads SQL only from inputURI.
		{"jdbcexecute-inline-sql", "job.ipynb", 1, `JDBCExecute stage: Arc rejects the key "sql"`, "remove"},
		{"sql-magic-unknown-arg", "job.ipynb", 1, "%sql cell: Arc turns numPartition= into a SQLTransform key and rejects it", "did you mean numPartitions?"},
		{"yaml-syntax", "workflow.yaml", 0, "not valid YAML", "fix the YAML syntax"},
		{"workflow-missing-notebook", "workflow.yaml", 0, "WorkflowTemplate missing: task load runs", "create"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", "lint", tt.dir)
			findings, err := Lint(context.Background(), []string{dir}, LintOptions{ValidateWorkflows: noArgo})
			if err != nil {
				t.Fatal(err)
			}
			if !HasErrors(findings) {
				t.Fatalf("no errors; findings: %v", findings)
			}
			want := filepath.Join(dir, tt.file)
			for _, f := range findings {
				if f.File == want && f.Cell == tt.cell && strings.Contains(f.Message, tt.msg) && strings.Contains(f.Fix, tt.fix) {
					if f.Severity != SeverityError {
						t.Errorf("severity %s, want error", f.Severity)
					}
					return
				}
			}
			t.Errorf("no finding %s:%d %q (fix %q); got:", want, tt.cell, tt.msg, tt.fix)
			for _, f := range findings {
				t.Errorf("  %s", f)
			}
		})
	}
}

// TestLintArgoCases runs Argo's real validator over broken workflow files.
func TestLintArgoCases(t *testing.T) {
	tests := []struct {
		dir, file, msg string
	}{
		{"argo-retry-under-inputs", "workflow.yaml", "retryStrategy"},
		{"argo-dag-unknown-task", "workflow.yaml", "c"},
		{"argo-cron-bad-schedule", "schedule.yaml", "schedule"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", "lint", tt.dir)
			findings, err := Lint(context.Background(), []string{dir}, LintOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range findings {
				if strings.Contains(f.Message, "not checked by Argo's validator") {
					if requireArgo() {
						t.Fatal("BLUEPRINT_REQUIRE_ARGO=1 but Argo's validator is not built")
					}
					t.Skip("Argo's validator is not built")
				}
			}
			for _, f := range findings {
				if f.Severity == SeverityError && f.File == filepath.Join(dir, tt.file) &&
					strings.HasPrefix(f.Message, "argo: ") && strings.Contains(f.Message, tt.msg) {
					return
				}
			}
			t.Errorf("no argo finding mentioning %q; got %v", tt.msg, findings)
		})
	}
}

func TestLintCleanCases(t *testing.T) {
	for _, dir := range []string{"clean-local-template", "clean-schema-without-id"} {
		t.Run(dir, func(t *testing.T) {
			findings, err := Lint(context.Background(), []string{filepath.Join("testdata", "lint", dir)}, LintOptions{ValidateWorkflows: noArgo})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range findings {
				t.Errorf("%s", f)
			}
		})
	}
}

func TestLintVariablesOption(t *testing.T) {
	dir := filepath.Join("testdata", "lint", "unset-variable")
	findings, err := Lint(context.Background(), []string{dir}, LintOptions{ValidateWorkflows: noArgo, Variables: []string{"ETL_CONF_OUTPUT_BUCKET"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("%s", f)
	}
}

func TestLintMissingPath(t *testing.T) {
	if _, err := Lint(context.Background(), []string{"testdata/nothere"}, LintOptions{}); err == nil {
		t.Fatal("no error for a missing path")
	}
}

func TestFindingString(t *testing.T) {
	tests := []struct {
		f    Finding
		want string
	}{
		{Finding{File: "a.ipynb", Cell: 3, Severity: SeverityError, Message: "m", Fix: "f"}, "a.ipynb:3: error: m (f)"},
		{Finding{File: "b.sql", Severity: SeverityWarning, Message: "m"}, "b.sql: warning: m"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestParseHOCON(t *testing.T) {
	tests := []struct {
		name, in string
		vars     []string
		err      string
	}{
		{"json", `{"a": 1, "b": [1, 2], "c": {"d": "e"}}`, nil, ""},
		{"newline separators and comments", "{\n a: 1 // one\n # two\n b = \"x\"\n}", nil, ""},
		{"concatenation", `{"u": "s3a://"${BUCKET}"/p", "o": ${?OPT}}`, []string{"BUCKET", "OPT"}, ""},
		{"root without braces", "a: ${X}\nb: 2", []string{"X"}, ""},
		{"triple quoted keeps ${} literal", `{"sql": """SELECT '${x}' """}`, nil, ""},
		{"unterminated string", `{"a": "x}`, nil, "unterminated string"},
		{"unclosed object", "{\n\"a\": 1\n", nil, "never closed"},
		{"missing separator", `{"a" "b"}`, nil, `expected ':' or '='`},
		{"two values on a line", `{"a": 1 "b": 2}`, nil, `unexpected ':'`},
		{"colon in unquoted value", `{"a": s3a://x}`, nil, "quote the string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := parseHOCON(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range v.substitutions() {
				got = append(got, s.subst)
			}
			if strings.Join(got, ",") != strings.Join(tt.vars, ",") {
				t.Errorf("substitutions %v, want %v", got, tt.vars)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"%sqlvaildate", "%sqlvalidate"},
		{"%sqll", "%sql"},
		{"%pritnschema", "%printschema"},
		{"%completelydifferent", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.in, magicNames()); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
