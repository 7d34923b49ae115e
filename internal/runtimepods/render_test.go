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
	"github.com/sqletl/blueprint/internal/outputs/outputstest"
	"github.com/sqletl/blueprint/internal/upstreamtest"
)

// The pinned upstream charts, as ../shared/upstream-charts holds them
// (see its README). BLUEPRINT_CHART_MIRROR names another directory.
const (
	argoChart       = "argo-workflows-1.0.13.tgz"
	jupyterhubChart = "jupyterhub-4.4.0.tgz"
	autoscalerChart = "cluster-autoscaler-9.59.0.tgz"
)

// chartMirror is the directory of pinned chart archives.
func chartMirror(t testing.TB) string { return upstreamtest.MustCharts(t) }

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
	res, err := r.Render(context.Background(), cfg, outputstest.Sample(), dir)
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
