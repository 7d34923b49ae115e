package etl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/sqletl/blueprint/internal/etl"
	"github.com/sqletl/blueprint/internal/wait"
)

// workgroup creates an Athena workgroup in moto with a result location.
func workgroup(t *testing.T, api *athena.Client) string {
	t.Helper()
	name := "wg-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	_, err := api.CreateWorkGroup(t.Context(), &athena.CreateWorkGroupInput{
		Name: &name,
		Configuration: &athenatypes.WorkGroupConfiguration{
			ResultConfiguration: &athenatypes.ResultConfiguration{OutputLocation: aws.String("s3://results/" + name + "/")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return name
}

var fast = wait.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Factor: 2}

// Query against moto's Athena: the seeded rows come back without the
// header row Athena puts first, and each printer renders them.
func TestQuery(t *testing.T) {
	moto.Require(t)
	api := athena.NewFromConfig(moto.AWSConfig(t))
	wg := workgroup(t, api)

	tests := []struct {
		name      string
		columns   []string
		rows      [][]string
		wantTable string
		wantCSV   string
	}{
		{"two rows", []string{"id", "name"}, [][]string{{"1", "Ada, L"}, {"22", "Grace"}},
			"id  name\n1   Ada, L\n22  Grace\n", "id,name\n1,\"Ada, L\"\n22,Grace\n"},
		{"no rows", []string{"n"}, nil, "n\n", "n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			moto.SeedAthenaResults(t, tt.rows, tt.columns)
			res, err := etl.Query(t.Context(), api, etl.QueryOptions{Workgroup: wg, Database: "blueprint_db", SQL: "SELECT * FROM contacts", Backoff: fast})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Columns, tt.columns) {
				t.Errorf("columns = %v, want %v", res.Columns, tt.columns)
			}
			wantRows := tt.rows
			if wantRows == nil {
				wantRows = [][]string{}
			}
			if !slices.EqualFunc(res.Rows, wantRows, slices.Equal) {
				t.Errorf("rows = %v, want %v", res.Rows, wantRows)
			}
			var table, csv bytes.Buffer
			if err := res.WriteTable(&table); err != nil {
				t.Fatal(err)
			}
			if err := res.WriteCSV(&csv); err != nil {
				t.Fatal(err)
			}
			if table.String() != tt.wantTable {
				t.Errorf("table:\n%q\nwant\n%q", table.String(), tt.wantTable)
			}
			if csv.String() != tt.wantCSV {
				t.Errorf("csv:\n%q\nwant\n%q", csv.String(), tt.wantCSV)
			}
			if want := "0 B scanned"; !strings.Contains(res.Summary(), want) {
				t.Errorf("summary %q lacks %q", res.Summary(), want)
			}

			// The query ran in the workgroup against the database.
			exec, err := api.GetQueryExecution(t.Context(), &athena.GetQueryExecutionInput{QueryExecutionId: &res.QueryID})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(exec.QueryExecution.WorkGroup); got != wg {
				t.Errorf("workgroup = %q, want %q", got, wg)
			}
			if got := aws.ToString(exec.QueryExecution.QueryExecutionContext.Database); got != "blueprint_db" {
				t.Errorf("database = %q", got)
			}
			b, _ := json.Marshal(res)
			if !strings.Contains(string(b), `"dataScannedBytes":0`) {
				t.Errorf("json = %s", b)
			}
		})
	}
}

func TestQueryErrors(t *testing.T) {
	moto.Require(t)
	api := athena.NewFromConfig(moto.AWSConfig(t))
	wg := workgroup(t, api)
	tests := []struct {
		name    string
		opts    etl.QueryOptions
		wantErr string
	}{
		{"empty SQL", etl.QueryOptions{Workgroup: wg, SQL: "  "}, "no SQL given"},
		{"no workgroup", etl.QueryOptions{SQL: "SELECT 1"}, "no Athena workgroup"},
		{"unknown workgroup", etl.QueryOptions{Workgroup: "nope", SQL: "SELECT 1"}, `starting query in workgroup "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Backoff = fast
			_, err := etl.Query(t.Context(), api, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}

	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := etl.Query(ctx, api, etl.QueryOptions{Workgroup: wg, SQL: "SELECT 1", Backoff: fast})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}
