package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sqletl/blueprint/internal/etl"
	"github.com/sqletl/blueprint/internal/ui"
)

// newCmdJobs is the `jobs` parent; the other jobs subcommands (push, run,
// list, logs, schedule) are passed in as extra.
func newCmdJobs(f *Factory, extra ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "Check, push and run the Arc ETL jobs",
		Long: `Arc ETL jobs are notebooks, SQL and Argo workflow files kept in git (by
default under ./jobs, one directory per pipeline). jobs lint checks them
offline; the other subcommands upload and run them on the platform.`,
		Args: rootArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	cmd.SuggestionsMinimumDistance = 2
	cmd.AddCommand(newCmdJobsLint(f, nil))
	cmd.AddCommand(extra...)
	return cmd
}

// JobsLintOptions are the inputs of `blueprint jobs lint`.
type JobsLintOptions struct {
	IO     *ui.IOStreams
	Output OutputFormat
	// Paths are files or directories; default ./jobs.
	Paths []string
	// Variables are extra ${VAR} names to accept (--var).
	Variables []string
	// ValidateWorkflows replaces Argo's validator (tests); nil means Argo's.
	ValidateWorkflows etl.WorkflowValidator
}

// DefaultJobsDir is where jobs lint looks when given no paths.
const DefaultJobsDir = "jobs"

func newCmdJobsLint(f *Factory, runF func(*JobsLintOptions) error) *cobra.Command {
	opts := &JobsLintOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "lint [PATH...]",
		Short: "Check Arc notebooks, SQL and workflow files offline",
		Long: `Check Arc job files without a cluster or AWS credentials: notebooks use the
arc kernel and known magics, stage cells parse and have their required
fields, every ${VAR} is supplied, SQL parameters match, SQLValidate
queries return valid and message, referenced files exist, and workflow
files pass Argo's validator. Each finding names the file, the cell and
the fix. Exits 1 when there are errors.`,
		Example: `  blueprint jobs lint
  blueprint jobs lint jobs/scd2-contacts jobs/nyc-taxi/daily-summary.ipynb
  blueprint jobs lint --var ETL_CONF_RUN_DATE -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			opts.Paths = args
			if len(opts.Paths) == 0 {
				opts.Paths = []string{DefaultJobsDir}
			}
			if runF != nil {
				return runF(opts)
			}
			return jobsLintRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.Variables, "var", nil, "accept ${`NAME`} as supplied, for jobs run by templates other than arc-job (repeatable)")
	return cmd
}

// JobsLintResult is the --output json view.
type JobsLintResult struct {
	Findings []etl.Finding `json:"findings"`
	Errors   int           `json:"errors"`
	Warnings int           `json:"warnings"`
}

// LintFailedError means the lint found errors; they are already on stdout.
type LintFailedError struct{ Errors int }

func (e *LintFailedError) Error() string {
	if e.Errors == 1 {
		return "jobs lint found 1 error"
	}
	return fmt.Sprintf("jobs lint found %d errors", e.Errors)
}

func jobsLintRun(ctx context.Context, opts *JobsLintOptions) error {
	findings, err := etl.Lint(ctx, opts.Paths, etl.LintOptions{
		ValidateWorkflows: opts.ValidateWorkflows,
		Variables:         opts.Variables,
	})
	if err != nil {
		return err
	}
	res := JobsLintResult{Findings: findings}
	if res.Findings == nil {
		res.Findings = []etl.Finding{}
	}
	for _, f := range findings {
		if f.Severity == etl.SeverityError {
			res.Errors++
		} else {
			res.Warnings++
		}
	}
	if opts.Output == OutputJSON {
		if err := opts.IO.WriteJSON(res); err != nil {
			return err
		}
	} else {
		for _, f := range findings {
			if _, err := fmt.Fprintln(opts.IO.Out, f.String()); err != nil {
				return err
			}
		}
		if res.Errors == 0 {
			opts.IO.Progress().Done("No errors in %d path(s), %d warning(s)", len(opts.Paths), res.Warnings)
		}
	}
	if res.Errors > 0 {
		return &LintFailedError{Errors: res.Errors}
	}
	return nil
}
