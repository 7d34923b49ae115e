package etl

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/sqletl/blueprint/internal/ui"
	"github.com/sqletl/blueprint/internal/wait"
)

// AthenaAPI is the Athena calls Query makes.
type AthenaAPI interface {
	StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, opts ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, opts ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	GetQueryResults(ctx context.Context, in *athena.GetQueryResultsInput, opts ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error)
}

// QueryOptions are the inputs of Query.
type QueryOptions struct {
	// Workgroup is the blueprint's Athena workgroup: it holds the result
	// location and its encryption, so none is passed here.
	Workgroup string
	// Database is the Glue database unqualified table names resolve in.
	Database string
	SQL      string
	// Backoff and Clock pace the polling; zero values are fine.
	Backoff wait.Backoff
	Clock   wait.Clock
}

// Result is a finished query's rows. A NULL is an empty string.
type Result struct {
	QueryID          string     `json:"queryId"`
	Columns          []string   `json:"columns"`
	Rows             [][]string `json:"rows"`
	DataScannedBytes int64      `json:"dataScannedBytes"`
}

// ErrQueryFailed is wrapped when Athena ends the query FAILED or CANCELLED.
var ErrQueryFailed = errors.New("query did not succeed")

// Query runs SQL in the workgroup, waits for it and reads every page of
// results.
func Query(ctx context.Context, api AthenaAPI, o QueryOptions) (*Result, error) {
	if strings.TrimSpace(o.SQL) == "" {
		return nil, errors.New("no SQL given")
	}
	if o.Workgroup == "" {
		return nil, errors.New("no Athena workgroup: deploy the platform first (blueprint up) or pass --workgroup")
	}
	in := &athena.StartQueryExecutionInput{QueryString: &o.SQL, WorkGroup: &o.Workgroup}
	if o.Database != "" {
		in.QueryExecutionContext = &athenatypes.QueryExecutionContext{Database: &o.Database}
	}
	start, err := api.StartQueryExecution(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("starting query in workgroup %q: %w", o.Workgroup, err)
	}
	id := aws.ToString(start.QueryExecutionId)
	res := &Result{QueryID: id, Columns: []string{}, Rows: [][]string{}}

	if o.Backoff.Initial == 0 {
		o.Backoff = wait.Backoff{Initial: 200 * time.Millisecond, Max: 5 * time.Second, Factor: 2}
	}
	var exec *athenatypes.QueryExecution
	err = wait.Until(ctx, "Athena query "+id, o.Backoff, o.Clock, func(ctx context.Context) (bool, error) {
		out, err := api.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: &id})
		if err != nil {
			return false, fmt.Errorf("reading query %s: %w", id, err)
		}
		exec = out.QueryExecution
		if exec == nil || exec.Status == nil {
			return false, nil
		}
		switch exec.Status.State {
		case athenatypes.QueryExecutionStateSucceeded:
			return true, nil
		case athenatypes.QueryExecutionStateFailed, athenatypes.QueryExecutionStateCancelled:
			reason := aws.ToString(exec.Status.StateChangeReason)
			if reason == "" {
				reason = "no reason given"
			}
			return true, fmt.Errorf("%w: query %s %s: %s", ErrQueryFailed, id, exec.Status.State, reason)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if exec.Statistics != nil {
		res.DataScannedBytes = aws.ToInt64(exec.Statistics.DataScannedInBytes)
	}

	p := athena.NewGetQueryResultsPaginator(api, &athena.GetQueryResultsInput{QueryExecutionId: &id})
	first := true
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading results of query %s: %w", id, err)
		}
		if page.ResultSet == nil {
			continue
		}
		if first && page.ResultSet.ResultSetMetadata != nil {
			for _, c := range page.ResultSet.ResultSetMetadata.ColumnInfo {
				res.Columns = append(res.Columns, aws.ToString(c.Name))
			}
		}
		for i, r := range page.ResultSet.Rows {
			row := make([]string, len(r.Data))
			for j, d := range r.Data {
				row[j] = aws.ToString(d.VarCharValue)
			}
			// For a SELECT, Athena's first row is the column labels.
			if first && i == 0 && slices.Equal(row, res.Columns) && exec.StatementType != athenatypes.StatementTypeDdl {
				continue
			}
			res.Rows = append(res.Rows, row)
		}
		first = false
	}
	return res, nil
}

// WriteTable writes the result as aligned columns with a header.
func (r *Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(r.Columns, "\t"))
	for _, row := range r.Rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// WriteCSV writes the result as RFC 4180 CSV with a header row.
func (r *Result) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.Columns); err != nil {
		return err
	}
	if err := cw.WriteAll(r.Rows); err != nil {
		return err
	}
	return cw.Error()
}

// Summary is the one-line footer: row count and data scanned.
func (r *Result) Summary() string {
	noun := "rows"
	if len(r.Rows) == 1 {
		noun = "row"
	}
	return fmt.Sprintf("%d %s, %s scanned", len(r.Rows), noun, ui.Bytes(r.DataScannedBytes))
}
