package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sqletl/blueprint/internal/etl"
	"github.com/sqletl/blueprint/internal/ui"
)

// JobsRunOptions are the inputs of `blueprint jobs run`.
type JobsRunOptions struct {
	IO        *ui.IOStreams
	Output    OutputFormat
	Name      string
	Namespace string
	Params    map[string]string
	Watch     bool
	Timeout   time.Duration
	// PickupTimeout: with Watch, fail when no Argo controller has started
	// the workflow by then.
	PickupTimeout time.Duration
	Deps          etlDeps
}

func newCmdJobsRun(f *Factory, runF func(*JobsRunOptions) error) *cobra.Command {
	opts := &JobsRunOptions{IO: f.IOStreams}
	var params []string
	cmd := &cobra.Command{
		Use:   "run NAME",
		Short: "Start a workflow from a WorkflowTemplate",
		Long: `Submit an Argo Workflow from the WorkflowTemplate NAME (pushed by 'blueprint
jobs push'), overriding its parameters with -p. Prints the workflow's name.
With --watch, follow it until it succeeds (exit 0) or fails (exit 1).`,
		Example: `  blueprint jobs run scd2-contacts
  blueprint jobs run scd2-contacts -p ETL_CONF_DATE=2025-01-31 --watch`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			p, err := parseParams(params)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("timeout") && !opts.Watch {
				return usageErrorf("--timeout only applies with --watch")
			}
			if cmd.Flags().Changed("pickup-timeout") && !opts.Watch {
				return usageErrorf("--pickup-timeout only applies with --watch")
			}
			if opts.PickupTimeout <= 0 {
				return usageErrorf("--pickup-timeout must be positive, e.g. --pickup-timeout 2m")
			}
			opts.Params, opts.Output, opts.Deps = p, f.Globals.Output, f.etlDeps()
			if runF != nil {
				return runF(opts)
			}
			return jobsRunRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&params, "param", "p", nil, "workflow parameter NAME=VALUE (repeatable)")
	fl.BoolVarP(&opts.Watch, "watch", "w", false, "wait for the workflow to finish, showing its phase")
	fl.DurationVar(&opts.Timeout, "timeout", 2*time.Hour, "with --watch: give up after this long")
	fl.DurationVar(&opts.PickupTimeout, "pickup-timeout", etl.DefaultPickupTimeout, "with --watch: fail when no Argo workflow controller has started the workflow within this long")
	fl.StringVarP(&opts.Namespace, "namespace", "n", etl.DefaultNamespace, "namespace of the Argo workflows")
	return cmd
}

// parseParams turns repeated -p NAME=VALUE into a map; a repeated name or
// a missing "=" is a usage error naming -p.
func parseParams(kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, usageErrorf("-p %q: want NAME=VALUE", kv)
		}
		if _, dup := out[k]; dup {
			return nil, usageErrorf("-p %s given twice; pass each parameter once", k)
		}
		out[k] = v
	}
	return out, nil
}

func jobsRunRun(ctx context.Context, opts *JobsRunOptions) error {
	dyn, err := opts.Deps.Dynamic(ctx)
	if err != nil {
		return err
	}
	name, err := etl.Run(ctx, dyn, etl.RunOptions{Name: opts.Name, Namespace: opts.Namespace, Params: opts.Params})
	if err != nil {
		return err
	}
	if !opts.Watch {
		if opts.Output == OutputJSON {
			return opts.IO.WriteJSON(map[string]string{"name": name, "namespace": opts.Namespace})
		}
		fmt.Fprintln(opts.IO.Out, name)
		return nil
	}
	pr := opts.IO.Progress()
	pr.Start("Workflow %s submitted", name)
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	sum, err := etl.Watch(ctx, dyn, opts.Namespace, name, etl.WatchOptions{
		OnPhase:       func(phase string) { pr.Info("  %s: %s", name, phase) },
		PickupTimeout: opts.PickupTimeout,
	})
	if sum != nil {
		if opts.Output == OutputJSON {
			if jerr := opts.IO.WriteJSON(sum); jerr != nil && err == nil {
				err = jerr
			}
		} else {
			fmt.Fprintf(opts.IO.Out, "%s %s\n", sum.Name, sum.Phase)
		}
	}
	return err
}

// JobsListOptions are the inputs of `blueprint jobs list`.
type JobsListOptions struct {
	IO        *ui.IOStreams
	Output    OutputFormat
	Namespace string
	Template  string
	Deps      etlDeps
}

func newCmdJobsList(f *Factory, runF func(*JobsListOptions) error) *cobra.Command {
	opts := &JobsListOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List workflow runs, newest first",
		Example: "  blueprint jobs list\n  blueprint jobs list --template scd2-contacts -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output, opts.Deps = f.Globals.Output, f.etlDeps()
			if runF != nil {
				return runF(opts)
			}
			return jobsListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Namespace, "namespace", "n", etl.DefaultNamespace, "namespace of the Argo workflows")
	cmd.Flags().StringVar(&opts.Template, "template", "", "only runs of this WorkflowTemplate")
	return cmd
}

func jobsListRun(ctx context.Context, opts *JobsListOptions) error {
	dyn, err := opts.Deps.Dynamic(ctx)
	if err != nil {
		return err
	}
	list, err := etl.List(ctx, dyn, opts.Namespace, opts.Template)
	if err != nil {
		return err
	}
	if opts.Output == OutputJSON {
		return opts.IO.WriteJSON(list)
	}
	if err := writeWorkflowTable(opts.IO, list); err != nil {
		return err
	}
	if len(list) > 0 {
		opts.IO.Progress().Info("Spark UI of each run: blueprint open spark-history --port %d (http://127.0.0.1:%d/); blueprint jobs logs <run> prints the run's own page",
			etl.SparkHistoryPort, etl.SparkHistoryPort)
	}
	return nil
}

func writeWorkflowTable(io *ui.IOStreams, list []etl.WorkflowSummary) error {
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTEMPLATE\tPHASE\tSTARTED\tFINISHED\tDURATION")
	ts := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, w := range list {
		tmpl := w.Template
		if tmpl == "" {
			tmpl = "-"
		}
		dur := "-"
		if w.Duration != "" {
			dur = w.Duration
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", w.Name, tmpl, w.Phase, ts(w.Started), ts(w.Finished), dur)
	}
	return tw.Flush()
}

// JobsLogsOptions are the inputs of `blueprint jobs logs`.
type JobsLogsOptions struct {
	IO        *ui.IOStreams
	Workflow  string
	Namespace string
	Deps      etlDeps
}

func newCmdJobsLogs(f *Factory, runF func(*JobsLogsOptions) error) *cobra.Command {
	opts := &JobsLogsOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:     "logs WORKFLOW",
		Short:   "Print the logs of a workflow run's pods",
		Long:    "Print the main container's log of every pod of the workflow run WORKFLOW (a name from 'blueprint jobs list'), in start order.",
		Example: "  blueprint jobs logs scd2-contacts-x7k2p",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Workflow, opts.Deps = args[0], f.etlDeps()
			if f.Globals.Output == OutputJSON {
				return usageErrorf("--output json is not supported by 'jobs logs': logs are text")
			}
			if runF != nil {
				return runF(opts)
			}
			return jobsLogsRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Namespace, "namespace", "n", etl.DefaultNamespace, "namespace of the Argo workflows")
	return cmd
}

func jobsLogsRun(ctx context.Context, opts *JobsLogsOptions) error {
	kube, err := opts.Deps.Kube(ctx)
	if err != nil {
		return err
	}
	scan := &etl.AppIDScanner{W: opts.IO.Out}
	if err := etl.Logs(ctx, kube, opts.Namespace, opts.Workflow, scan); err != nil {
		return err
	}
	writeSparkLinks(opts.IO, scan.AppIDs())
	return nil
}

// writeSparkLinks prints the History Server page of each Spark application
// the run's logs name (Arc logs its application id on every line).
func writeSparkLinks(io *ui.IOStreams, ids []string) {
	if len(ids) == 0 {
		return
	}
	fmt.Fprintln(io.Out, "==> Spark History Server <==")
	for _, id := range ids {
		fmt.Fprintln(io.Out, etl.SparkHistoryURL(id))
	}
	fmt.Fprintf(io.Out, "(serve these with: blueprint open spark-history --port %d)\n", etl.SparkHistoryPort)
}

// JobsScheduleOptions are the inputs of `blueprint jobs schedule`.
type JobsScheduleOptions struct {
	IO        *ui.IOStreams
	Name      string
	Cron      string
	Suspend   bool
	Resume    bool
	Namespace string
	Deps      etlDeps
}

func newCmdJobsSchedule(f *Factory, runF func(*JobsScheduleOptions) error) *cobra.Command {
	opts := &JobsScheduleOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "schedule NAME (--cron EXPR | --suspend | --resume)",
		Short: "Change, suspend or resume a CronWorkflow's schedule",
		Long: `Set the schedule of the CronWorkflow NAME to one 5-field cron expression
(minute hour day-of-month month day-of-week, in the CronWorkflow's timezone),
or suspend it (no new runs; running ones continue) or resume it.
The next 'jobs push' re-applies the schedule in the job files, so change it
there too to keep it.`,
		Example: `  blueprint jobs schedule scd2-contacts --cron "0 3 * * *"
  blueprint jobs schedule scd2-contacts --suspend
  blueprint jobs schedule scd2-contacts --resume`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name, opts.Deps = args[0], f.etlDeps()
			// Checked here, not with MarkFlagRequired, so a missing flag
			// is a usage error (exit 2) like every other.
			if opts.Suspend && opts.Resume {
				return usageErrorf("--suspend and --resume contradict each other; pass one")
			}
			if opts.Cron == "" && !opts.Suspend && !opts.Resume {
				return usageErrorf("--cron is required (or --suspend / --resume), e.g. --cron \"0 2 * * *\"")
			}
			if opts.Cron != "" {
				if err := etl.ValidateCron(opts.Cron); err != nil {
					return usageErrorf("--cron: %v", err)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return jobsScheduleRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Cron, "cron", "", `cron expression, e.g. "0 2 * * *"`)
	cmd.Flags().BoolVar(&opts.Suspend, "suspend", false, "stop starting new runs (spec.suspend)")
	cmd.Flags().BoolVar(&opts.Resume, "resume", false, "start runs on the schedule again")
	cmd.Flags().StringVarP(&opts.Namespace, "namespace", "n", etl.DefaultNamespace, "namespace of the Argo workflows")
	return cmd
}

func jobsScheduleRun(ctx context.Context, opts *JobsScheduleOptions) error {
	dyn, err := opts.Deps.Dynamic(ctx)
	if err != nil {
		return err
	}
	if opts.Cron != "" {
		if err := etl.Schedule(ctx, dyn, opts.Namespace, opts.Name, opts.Cron); err != nil {
			return err
		}
		opts.IO.Progress().Done("CronWorkflow %s scheduled at %q", opts.Name, opts.Cron)
	}
	if opts.Suspend || opts.Resume {
		if err := etl.Suspend(ctx, dyn, opts.Namespace, opts.Name, opts.Suspend); err != nil {
			return err
		}
		if opts.Suspend {
			opts.IO.Progress().Done("CronWorkflow %s suspended", opts.Name)
		} else {
			opts.IO.Progress().Done("CronWorkflow %s resumed", opts.Name)
		}
	}
	return nil
}
