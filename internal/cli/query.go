package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sqletl/blueprint/internal/etl"
	"github.com/sqletl/blueprint/internal/ui"
)

// QueryFormat is query's own --output: the global text|json plus csv.
type QueryFormat string

const (
	QueryText QueryFormat = "text"
	QueryCSV  QueryFormat = "csv"
	QueryJSON QueryFormat = "json"
)

func (q *QueryFormat) String() string { return string(*q) }

func (q *QueryFormat) Set(s string) error {
	switch QueryFormat(s) {
	case QueryText, QueryCSV, QueryJSON:
		*q = QueryFormat(s)
		return nil
	case "table":
		*q = QueryText
		return nil
	}
	return fmt.Errorf("must be %q, %q or %q", QueryText, QueryCSV, QueryJSON)
}

func (q *QueryFormat) Type() string { return "format" }

// QueryOptions are the inputs of `blueprint query`.
type QueryOptions struct {
	IO        *ui.IOStreams
	Format    QueryFormat
	SQL       string
	Workgroup string
	Database  string
	Timeout   time.Duration
	Deps      etlDeps
}

func newCmdQuery(f *Factory, runF func(*QueryOptions) error) *cobra.Command {
	opts := &QueryOptions{IO: f.IOStreams, Format: QueryText}
	cmd := &cobra.Command{
		Use:   `query "SQL"`,
		Short: "Run SQL in the Athena workgroup against the Glue database",
		Long: `Run one SQL statement in the blueprint's Athena workgroup, with the Glue
database as the default schema, and print the rows: an aligned table (text),
CSV, or JSON. The rows go to stdout; the row count and data scanned (what
Athena bills) follow the table, and go to stderr for csv.`,
		Example: `  blueprint query "SELECT * FROM contacts LIMIT 10"
  blueprint query -o csv "SELECT vendor, count(*) FROM taxi_trips GROUP BY 1" > out.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.SQL, opts.Deps = args[0], f.etlDeps()
			if runF != nil {
				return runF(opts)
			}
			return queryRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	// Shadows the global --output (text|json) for this command only, adding
	// csv: cobra merges a parent's persistent flag only when the command
	// has no flag of that name, so there is one --output/-o and no conflict.
	fl.VarP(&opts.Format, "output", "o", `result format on stdout: "text", "csv" or "json"`)
	fl.StringVar(&opts.Workgroup, "workgroup", "", "Athena workgroup (default: from the deployed stacks)")
	fl.StringVar(&opts.Database, "database", "", "Glue database (default: from the deployed stacks)")
	fl.DurationVar(&opts.Timeout, "timeout", 30*time.Minute, "give up waiting for the query after this long")
	return cmd
}

func queryRun(ctx context.Context, opts *QueryOptions) error {
	if opts.Workgroup == "" || opts.Database == "" {
		out, err := opts.Deps.Outputs(ctx)
		if err != nil {
			return err
		}
		if opts.Workgroup == "" {
			opts.Workgroup = out.AthenaWorkgroup
		}
		if opts.Database == "" {
			opts.Database = out.GlueDatabase
		}
		if opts.Workgroup == "" {
			return errors.New("the Athena workgroup is not deployed: run 'blueprint up' first, or pass --workgroup")
		}
	}
	api, err := opts.Deps.Athena(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	res, err := etl.Query(ctx, api, etl.QueryOptions{Workgroup: opts.Workgroup, Database: opts.Database, SQL: opts.SQL})
	if err != nil {
		return err
	}
	return writeQueryResult(opts.IO, opts.Format, res)
}

func writeQueryResult(io *ui.IOStreams, format QueryFormat, res *etl.Result) error {
	switch format {
	case QueryJSON:
		return io.WriteJSON(res)
	case QueryCSV:
		if err := res.WriteCSV(io.Out); err != nil {
			return err
		}
		io.Progress().Info("%s", res.Summary())
		return nil
	default:
		if err := res.WriteTable(io.Out); err != nil {
			return err
		}
		fmt.Fprintf(io.Out, "\n%s\n", res.Summary())
		return nil
	}
}
