package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/helmrelease"
	"github.com/sqletl/blueprint/internal/ui"
)

func TestRenderFlags(t *testing.T) {
	tests := []struct {
		args   []string
		out    string
		output OutputFormat
	}{
		{[]string{"render"}, "manifests.out", OutputText},
		{[]string{"render", "--out", "/tmp/m"}, "/tmp/m", OutputText},
		{[]string{"-o", "json", "render", "--out=build/m"}, "build/m", OutputJSON},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, ios := testFactory()
			var got *RenderOptions
			cmd := newCmdRender(f, func(o *RenderOptions) error { got = o; return nil })
			if code, err := parse(t, f, cmd, tt.args...); code != 0 {
				t.Fatalf("exit %d: %v", code, err)
			}
			if got.OutDir != tt.out || got.Output != tt.output || got.IO != ios || got.Config == nil || got.Render == nil {
				t.Errorf("options: %+v", got)
			}
		})
	}
}

func TestRenderRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"render", "--out", ""}, {"render", "extra"}, {"render", "--dir", "x"}} {
		f, _ := testFactory()
		cmd := newCmdRender(f, func(*RenderOptions) error { t.Error("runF called"); return nil })
		if code, err := parse(t, f, cmd, args...); code != ExitUsage {
			t.Errorf("%q: exit %d (%v), want %d", args, code, err, ExitUsage)
		}
	}
}

// A real render of blueprint's own chart, offline; the upstream chart
// whose repository is unreachable is reported as skipped.
func TestRenderWritesOwnChart(t *testing.T) {
	ios, _, stdout, stderr := ui.Test()
	dir := filepath.Join(t.TempDir(), "m")
	opts := &RenderOptions{
		IO: ios, Output: OutputText, OutDir: dir,
		Config: func() (*config.Config, error) {
			return config.Parse([]byte(`
platform:
  argoWorkflows: {chart: "http://127.0.0.1:1/charts"}
  jupyterHub: {enabled: false}
  clusterAutoscaler: {enabled: false}`))
		},
		Render: (&helmrelease.Releases{CacheDir: t.TempDir()}).Render,
	}
	if err := renderRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "blueprint.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "kind: WorkflowTemplate") {
		t.Error("blueprint.yaml has no WorkflowTemplate")
	}
	want := "blueprint\t" + filepath.Join(dir, "blueprint.yaml") + "\nargo-workflows\tskipped\n"
	if stdout.String() != want {
		t.Errorf("stdout %q, want %q", stdout, want)
	}
	if !strings.Contains(stderr.String(), "skipped argo-workflows") || !strings.Contains(stderr.String(), "platform.argoWorkflows.chart") ||
		!strings.Contains(stderr.String(), "Rendered 1 of 2 releases") {
		t.Errorf("stderr: %s", stderr)
	}
}
