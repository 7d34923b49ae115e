package cli

import (
	"maps"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Flag parsing of the jobs, query and ci-role commands: each case runs a
// command line through a root holding only that command, with a runF.
func TestETLCommandFlags(t *testing.T) {
	type got struct {
		params    map[string]string
		watch     bool
		ns, extra string
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
		want     got
	}{
		{"run", []string{"run", "contacts"}, 0, "", got{params: map[string]string{}, ns: "spark"}},
		{"run params", []string{"run", "contacts", "-p", "A=1", "--param", "B=x=y", "-w", "-n", "etl"}, 0, "", got{params: map[string]string{"A": "1", "B": "x=y"}, watch: true, ns: "etl"}},
		{"run bad param", []string{"run", "contacts", "-p", "A"}, 2, `-p "A": want NAME=VALUE`, got{}},
		{"run duplicate param", []string{"run", "contacts", "-p", "A=1", "-p", "A=2"}, 2, "-p A given twice", got{}},
		{"run timeout without watch", []string{"run", "contacts", "--timeout", "1m"}, 2, "--timeout only applies with --watch", got{}},
		{"run no name", []string{"run"}, 2, "accepts 1 arg", got{}},
		{"schedule", []string{"schedule", "c", "--cron", "0 2 * * *"}, 0, "", got{ns: "spark", extra: "0 2 * * *"}},
		{"schedule needs cron", []string{"schedule", "c"}, 2, "--cron is required", got{}},
		{"schedule suspend", []string{"schedule", "c", "--suspend"}, 0, "", got{ns: "spark", extra: "suspend"}},
		{"schedule resume", []string{"schedule", "c", "--resume"}, 0, "", got{ns: "spark", extra: "resume"}},
		{"schedule suspend and resume", []string{"schedule", "c", "--suspend", "--resume"}, 2, "--suspend and --resume contradict", got{}},
		{"run pickup timeout without watch", []string{"run", "contacts", "--pickup-timeout", "1m"}, 2, "--pickup-timeout only applies with --watch", got{}},
		{"run pickup timeout zero", []string{"run", "contacts", "-w", "--pickup-timeout", "0s"}, 2, "--pickup-timeout must be positive", got{}},
		{"schedule bad cron", []string{"schedule", "c", "--cron", "0 2 * *"}, 2, "--cron: cron \"0 2 * *\" has 4 fields", got{}},
		{"logs json", []string{"-o", "json", "logs", "wf-1"}, 2, "--output json is not supported", got{}},
		{"logs", []string{"logs", "wf-1"}, 0, "", got{ns: "spark", extra: "wf-1"}},
		{"list template", []string{"list", "--template", "contacts"}, 0, "", got{ns: "spark", extra: "contacts"}},
		{"push dir", []string{"push", "./jobs", "--prune", "--bucket", "b"}, 0, "", got{ns: "spark", extra: "./jobs b true"}},
		{"push two dirs", []string{"push", "a", "b"}, 2, "accepts at most 1 arg", got{}},
		{"query csv", []string{"query", "-o", "csv", "SELECT 1"}, 0, "", got{extra: "csv SELECT 1"}},
		{"query default", []string{"query", "SELECT 1"}, 0, "", got{extra: "text SELECT 1"}},
		{"query json long flag", []string{"query", "--output", "json", "SELECT 1"}, 0, "", got{extra: "json SELECT 1"}},
		{"query bad format", []string{"query", "-o", "yaml", "SELECT 1"}, 2, `invalid argument "yaml" for "-o, --output"`, got{}},
		{"query no sql", []string{"query"}, 2, "accepts 1 arg", got{}},
		{"ci-role args", []string{"ci-role", "x"}, 2, "unknown command", got{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := testFactory()
			var g got
			ran := false
			cmds := []*cobra.Command{
				newCmdJobsRun(f, func(o *JobsRunOptions) error {
					ran, g = true, got{params: o.Params, watch: o.Watch, ns: o.Namespace}
					return nil
				}),
				newCmdJobsSchedule(f, func(o *JobsScheduleOptions) error {
					ran, g = true, got{ns: o.Namespace, extra: o.Cron}
					if o.Suspend {
						g.extra += "suspend"
					}
					if o.Resume {
						g.extra += "resume"
					}
					return nil
				}),
				newCmdJobsLogs(f, func(o *JobsLogsOptions) error { ran, g = true, got{ns: o.Namespace, extra: o.Workflow}; return nil }),
				newCmdJobsList(f, func(o *JobsListOptions) error { ran, g = true, got{ns: o.Namespace, extra: o.Template}; return nil }),
				newCmdJobsPush(f, func(o *JobsPushOptions) error {
					ran = true
					g = got{ns: o.Namespace, extra: strings.Join([]string{o.Dir, o.Bucket, map[bool]string{true: "true", false: "false"}[o.Prune]}, " ")}
					return nil
				}),
				newCmdQuery(f, func(o *QueryOptions) error { ran, g = true, got{extra: string(o.Format) + " " + o.SQL}; return nil }),
				newCmdCIRole(f, func(o *CIRoleOptions) error { ran = true; return nil }),
			}
			root := newRootCommand(f)
			root.AddCommand(cmds...)
			wrapArgErrors(root)
			root.SetArgs(tt.args)
			_, err := root.ExecuteC()
			if code := ExitCode(err); code != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.wantCode)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if ran {
					t.Fatal("runF ran despite the error")
				}
				return
			}
			if !ran {
				t.Fatal("runF did not run")
			}
			if tt.want.params != nil && !maps.Equal(g.params, tt.want.params) {
				t.Errorf("params = %v, want %v", g.params, tt.want.params)
			}
			if g.watch != tt.want.watch || g.ns != tt.want.ns || g.extra != tt.want.extra {
				t.Errorf("got %+v, want %+v", g, tt.want)
			}
		})
	}
}

// The query command's --output replaces the global one in its help, and
// the jobs commands keep the global one.
func TestQueryOutputFlagShadowsGlobal(t *testing.T) {
	f, _ := testFactory()
	root := newRootCommand(f)
	q := newCmdQuery(f, nil)
	run := newCmdJobsRun(f, nil)
	root.AddCommand(q, run)
	if fl := q.Flags().Lookup("output"); fl == nil || !strings.Contains(fl.Usage, "csv") {
		t.Fatalf("query --output = %+v", fl)
	}
	if q.InheritedFlags().Lookup("output") != nil {
		t.Error("query also inherits the global --output")
	}
	if fl := run.InheritedFlags().Lookup("output"); fl == nil || strings.Contains(fl.Usage, "csv") {
		t.Errorf("jobs run --output = %+v, want the global one", fl)
	}
}
