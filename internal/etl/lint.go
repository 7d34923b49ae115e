package etl

// Lint checks Arc ETL job files offline, before they are pushed or run:
// Arc notebooks (.ipynb), SQL files, Arc schema files and the Argo workflows
// that run them. It reads files only; it needs no cluster and no AWS
// credentials. The CLI (`blueprint jobs lint`) prints its findings.

import (
	"cmp"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Severity says whether a finding fails the lint.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Finding is one problem in one file.
type Finding struct {
	File string `json:"file"`
	// Cell is the 1-based position of the notebook cell, counting every
	// cell (markdown too) from the top as Jupyter shows them; 0 when the
	// finding is not about one cell.
	Cell     int      `json:"cell,omitempty"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// Fix says how to resolve the finding.
	Fix string `json:"fix,omitempty"`
}

// String renders a finding as `file:cell: severity: message (fix)`.
func (f Finding) String() string {
	loc := f.File
	if f.Cell > 0 {
		loc = fmt.Sprintf("%s:%d", f.File, f.Cell)
	}
	s := fmt.Sprintf("%s: %s: %s", loc, f.Severity, f.Message)
	if f.Fix != "" {
		s += " (" + f.Fix + ")"
	}
	return s
}

// HasErrors reports whether any finding is an error.
func HasErrors(findings []Finding) bool {
	return slices.ContainsFunc(findings, func(f Finding) bool { return f.Severity == SeverityError })
}

// WorkflowProblem is one problem Argo's validator found in a workflow file.
type WorkflowProblem struct {
	File, Kind, Name, Message string
}

// WorkflowValidator validates Argo workflow files (Workflow,
// WorkflowTemplate, CronWorkflow...). It returns an error wrapping
// ErrNoWorkflowValidator when the validator is not available.
type WorkflowValidator func(ctx context.Context, paths ...string) ([]WorkflowProblem, error)

// ErrNoWorkflowValidator means Argo's validator is not installed, so
// workflow files were only checked by lint's own rules.
var ErrNoWorkflowValidator = errors.New("argo workflow validator not available")

// LintOptions tune Lint.
type LintOptions struct {
	// ValidateWorkflows checks workflow files; nil means Argo's own
	// validator (package argo).
	ValidateWorkflows WorkflowValidator
	// Variables are extra ${VAR} names to treat as supplied, for jobs run by
	// templates other than arc-job.
	Variables []string
}

// DefaultVariables are the variables every job run by the platform's
// arc-job WorkflowTemplate gets as environment variables (see
// charts/platform/templates/workflowtemplate-arc-job.yaml and
// jobs/README.md), so notebooks may use them without a workflow passing them.
var DefaultVariables = map[string]string{
	"AWS_REGION":                "the AWS region of the platform",
	"ETL_CONF_ENV":              "the Arc environment the job runs in (the workflow's environment parameter)",
	"ETL_CONF_DATA_URL":         "the data lake bucket as an s3a:// URI, no trailing slash",
	"ETL_CONF_CODE_URL":         "the job code bucket as an s3a:// URI; jobs push copies jobs/<path> to ${ETL_CONF_CODE_URL}/jobs/<path>",
	"ETL_CONF_GLUE_DATABASE":    "the platform's Glue database",
	"ETL_CONF_ATHENA_WORKGROUP": "the platform's Athena workgroup",
	"ETL_CONF_TABLE_SUFFIX":     "appended to Glue table names: empty in jobs, _sandbox in JupyterHub",
}

// codeURLVar is the variable that maps job URIs back to repository files.
const codeURLVar = "ETL_CONF_CODE_URL"

// Lint checks the job files at paths (files or directories, walked
// recursively; hidden directories such as .ipynb_checkpoints are skipped)
// and returns every finding, sorted by file and cell. The error is for
// problems running the lint (an unreadable path, a failing validator), not
// for findings.
func Lint(ctx context.Context, paths []string, opts LintOptions) ([]Finding, error) {
	files, err := collect(paths)
	if err != nil {
		return nil, err
	}
	l := &linter{files: files, opts: opts, linted: map[string]bool{}, supplied: map[string]map[string]string{}}
	for _, f := range files {
		l.linted[f] = true
	}
	var workflows []string
	for _, f := range files {
		if ext(f) == ".yaml" || ext(f) == ".yml" {
			if l.lintWorkflow(f) {
				workflows = append(workflows, f)
			}
		}
	}
	for _, f := range files {
		switch ext(f) {
		case ".ipynb":
			l.lintNotebook(f)
		case ".sql":
			l.lintSQLFile(f)
		case ".json":
			l.lintSchema(f)
		}
	}
	if len(workflows) > 0 {
		if err := l.validateWorkflows(ctx, workflows); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(l.findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Cell, b.Cell))
	})
	return l.findings, nil
}

type linter struct {
	files    []string
	opts     LintOptions
	findings []Finding
	linted   map[string]bool
	// supplied maps a notebook path to the variables the workflows running
	// it pass, with where each comes from.
	supplied map[string]map[string]string
	// envVars records, per notebook, the variables its stages take from
	// the environment (EnvVariables); nil when not wanted.
	envVars map[string]map[string]bool
}

func (l *linter) add(file string, cell int, sev Severity, msg, fix string) {
	l.findings = append(l.findings, Finding{File: file, Cell: cell, Severity: sev, Message: msg, Fix: fix})
}

func (l *linter) errorf(file string, cell int, fix, format string, args ...any) {
	l.add(file, cell, SeverityError, fmt.Sprintf(format, args...), fix)
}

func ext(path string) string { return strings.ToLower(filepath.Ext(path)) }

// collect expands paths into the files to lint, in a stable order.
func collect(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	addFile := func(p string) {
		p = filepath.Clean(p)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("linting %s: %w", root, err)
		}
		if !info.IsDir() {
			addFile(root)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			switch ext(p) {
			case ".ipynb", ".sql", ".yaml", ".yml", ".json":
				addFile(p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("linting %s: %w", root, err)
		}
	}
	return out, nil
}

// jobsRoot is the directory that `jobs push` mirrors to
// ${ETL_CONF_CODE_URL}/jobs: the nearest directory named "jobs" holding
// file, else the parent of file's directory (one directory per pipeline).
func jobsRoot(file string) string {
	dir := filepath.Dir(file)
	abs, err := filepath.Abs(dir)
	if err == nil {
		for d := abs; ; d = filepath.Dir(d) {
			if filepath.Base(d) == "jobs" {
				rel, err := filepath.Rel(abs, d)
				if err == nil {
					return filepath.Join(dir, rel)
				}
				return d
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return filepath.Dir(dir)
}

// localPath maps a job URI to a repository file: ${ETL_CONF_CODE_URL}/jobs/<p>
// is <jobs root>/<p>, a relative path is relative to the referring file.
// ok is false for URIs that name no repository file (the data lake,
// absolute file:// paths of the running container, http...).
func localPath(uri, from string) (string, bool) {
	prefix := "${" + codeURLVar + "}"
	switch {
	case strings.HasPrefix(uri, prefix):
		rest := strings.TrimPrefix(strings.TrimPrefix(uri, prefix), "/")
		rest = strings.TrimPrefix(rest, "jobs/")
		return filepath.Join(jobsRoot(from), filepath.FromSlash(rest)), true
	case strings.Contains(uri, "${"), strings.Contains(uri, "://"), strings.HasPrefix(uri, "/"), uri == "":
		return "", false
	case strings.HasPrefix(uri, "file:"):
		return "", false
	default:
		return filepath.Join(filepath.Dir(from), filepath.FromSlash(uri)), true
	}
}

// exists reports whether a local path (possibly a glob) names a file.
func exists(path string) bool {
	if strings.ContainsAny(path, "*?[{") {
		m, _ := filepath.Glob(path)
		return len(m) > 0
	}
	_, err := os.Stat(path)
	return err == nil
}

func (l *linter) lintSQLFile(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		l.errorf(path, 0, "make the file readable", "cannot read: %v", err)
		return
	}
	for _, p := range checkSQLText(string(data)) {
		l.errorf(path, 0, p.fix, "%s", p.msg)
	}
}

func (l *linter) validateWorkflows(ctx context.Context, files []string) error {
	validate := l.opts.ValidateWorkflows
	if validate == nil {
		validate = argoValidate
	}
	// A templateRef to arc-job resolves against its interface (arcjob.yaml),
	// written next to nothing the user owns and never reported on.
	contract, cleanup, err := writeArcJobContract()
	if err != nil {
		return err
	}
	defer cleanup()
	problems, err := validate(ctx, append(slices.Clone(files), contract)...)
	if errors.Is(err, ErrNoWorkflowValidator) {
		l.add(files[0], 0, SeverityWarning,
			fmt.Sprintf("%d workflow file(s) not checked by Argo's validator: %v", len(files), err),
			"run hack/argovalidate.sh (make test does), then lint again")
		return nil
	}
	if err != nil {
		return fmt.Errorf("validating workflow files: %w", err)
	}
	for _, p := range problems {
		if p.File == contract {
			return fmt.Errorf("the arc-job interface does not validate: %s: %s", p.Kind, p.Message)
		}
		what := p.Kind
		if p.Name != "" {
			what += " " + p.Name
		}
		msg := p.Message
		if what != "" {
			msg = what + ": " + msg
		}
		l.errorf(p.File, 0, "fix the workflow as Argo's validator says; see https://argo-workflows.readthedocs.io/en/latest/fields/", "argo: %s", msg)
	}
	return nil
}

// arcJobContract is the arc-job WorkflowTemplate's interface; see arcjob.yaml.
//
//go:embed arcjob.yaml
var arcJobContract []byte

func writeArcJobContract() (path string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "blueprint-lint-")
	if err != nil {
		return "", nil, fmt.Errorf("writing the arc-job interface: %w", err)
	}
	path = filepath.Join(dir, "arc-job.yaml")
	if err := os.WriteFile(path, arcJobContract, 0o600); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("writing the arc-job interface: %w", err)
	}
	return path, func() { os.RemoveAll(dir) }, nil
}

// EnvVariables lists, for each notebook under paths, the ${VAR}s its
// stages take from the environment: every required substitution that no
// earlier ConfigExecute stage defines. Both places a notebook runs (the
// arc-job template and JupyterHub) must set each of them.
func EnvVariables(paths []string) (map[string][]string, error) {
	files, err := collect(paths)
	if err != nil {
		return nil, err
	}
	l := &linter{files: files, linted: map[string]bool{}, supplied: map[string]map[string]string{}, envVars: map[string]map[string]bool{}}
	out := map[string][]string{}
	for _, f := range files {
		if ext(f) != ".ipynb" {
			continue
		}
		l.lintNotebook(f)
		for v := range l.envVars[f] {
			out[f] = append(out[f], v)
		}
		sort.Strings(out[f])
	}
	return out, nil
}
