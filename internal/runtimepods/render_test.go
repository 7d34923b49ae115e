package runtimepods

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/helmrelease"
	"github.com/sqletl/blueprint/internal/outputs"
)

// The pinned upstream charts, as ../shared/upstream-charts holds them
// (see its README). BLUEPRINT_CHART_MIRROR names another directory.
const (
	argoChart       = "argo-workflows-1.0.13.tgz"
	jupyterhubChart = "jupyterhub-4.4.0.tgz"
	autoscalerChart = "cluster-autoscaler-9.59.0.tgz"
)

// chartMirror finds the directory of pinned chart archives: the
// environment's, else a shared/upstream-charts folder above the working
// directory. Tests fail, never skip, without it.
func chartMirror(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("BLUEPRINT_CHART_MIRROR"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		cand := filepath.Join(dir, "shared", "upstream-charts")
		if _, err := os.Stat(filepath.Join(cand, jupyterhubChart)); err == nil {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no chart mirror: set BLUEPRINT_CHART_MIRROR to a directory holding %s and %s", jupyterhubChart, argoChart)
		}
		dir = parent
	}
}

// newestArgoChart is the newest argo-workflows archive in the mirror, so the
// tests follow the chart bump (1.0.13 → 1.0.18) without an edit.
func newestArgoChart(mirror string) string {
	for _, v := range []string{"argo-workflows-1.0.18.tgz", argoChart} {
		if _, err := os.Stat(filepath.Join(mirror, v)); err == nil {
			return filepath.Join(mirror, v)
		}
	}
	return filepath.Join(mirror, argoChart)
}

func testOutputs() *outputs.Platform {
	return &outputs.Platform{
		VpcID:           "vpc-0123456789abcdef0",
		KeyArn:          "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
		DataLakeBucket:  "blueprint-data-lake-abc123",
		CodeBucket:      "blueprint-code-abc123",
		LogsBucket:      "blueprint-logs-abc123",
		GlueDatabase:    "blueprint_lake",
		AthenaWorkgroup: "blueprint-etl",
		LoginSecretArn:  "arn:aws:secretsmanager:us-east-1:123456789012:secret:blueprint-login-AbCdEf",
		ClusterName:     "blueprint",
		ArcJobRole:      "arn:aws:iam::123456789012:role/blueprint-arcjob",
		NotebookRole:    "arn:aws:iam::123456789012:role/blueprint-notebook",
		ArgoServerRole:  "arn:aws:iam::123456789012:role/blueprint-argo-server",
		AutoscalerRole:  "arn:aws:iam::123456789012:role/blueprint-autoscaler",
		LBCRole:         "arn:aws:iam::123456789012:role/blueprint-lbc",
		NodeRole:        "arn:aws:iam::123456789012:role/blueprint-nodes",
	}
}

// The configurations the platform's run-time pods are checked under.
var variants = []struct{ name, yaml string }{
	{"default", ""},
	{"spot disabled", "nodeGroups:\n  spot: {enabled: false}\n  onDemand: {maxSize: 11}\n"},
}

var (
	renderMu    sync.Mutex
	renderCache = map[string]map[string][]byte{}
)

// render renders every release of a blueprint config with the real
// charts from the mirror (helmrelease.Render), once per variant.
func render(t testing.TB, variantYAML string) map[string][]byte {
	t.Helper()
	renderMu.Lock()
	defer renderMu.Unlock()
	if m, ok := renderCache[variantYAML]; ok {
		return m
	}
	mirror := chartMirror(t)
	src := fmt.Sprintf(`%s
platform:
  argoWorkflows: {chart: %s}
  jupyterHub: {chart: %s}
  clusterAutoscaler: {chart: %s}
`, variantYAML, newestArgoChart(mirror), filepath.Join(mirror, jupyterhubChart), filepath.Join(mirror, autoscalerChart))
	cfg, err := config.Parse([]byte(src))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	dir := t.TempDir()
	r := &helmrelease.Releases{CacheDir: t.TempDir()}
	res, err := r.Render(context.Background(), cfg, testOutputs(), dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, x := range res {
		if x.Skipped != "" {
			t.Fatalf("release %s not rendered: %s", x.Release, x.Skipped)
		}
		b, err := os.ReadFile(x.File)
		if err != nil {
			t.Fatal(err)
		}
		out[x.Release] = b
	}
	for _, want := range []string{helmrelease.PlatformRelease, helmrelease.JupyterHubRelease, helmrelease.ArgoWorkflowsRelease} {
		if out[want] == nil {
			t.Fatalf("release %s was not rendered", want)
		}
	}
	renderCache[variantYAML] = out
	return out
}
