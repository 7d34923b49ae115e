package helmrelease

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/semver"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"

	"github.com/sqletl/blueprint/internal/outputs/outputstest"
	"github.com/sqletl/blueprint/manifests"
)

// The tests in this file render and read the real upstream charts. They
// read them from the chart mirror in $BLUEPRINT_CHART_MIRROR (make test
// points it at ../shared/upstream-charts) and otherwise from the
// repositories; when neither is reachable they fail, never skip.

// mirrorReleases is a Releases reading the test machine's chart mirror.
func mirrorReleases(t testing.TB) *Releases {
	t.Helper()
	return &Releases{CacheDir: t.TempDir(), ChartMirror: os.Getenv(MirrorEnv)}
}

// upstreamChart loads one pinned upstream chart as Apply would.
func upstreamChart(t testing.TB, r *Releases, name string) *chart.Chart {
	t.Helper()
	for _, s := range allSpecs(parseConfig(t, "")) {
		if s.name == name {
			ch, err := r.loadChart(s)
			if err != nil {
				t.Fatalf("%v (make test sets $%s to ../shared/upstream-charts)", err, MirrorEnv)
			}
			return ch
		}
	}
	t.Fatalf("no release %s", name)
	return nil
}

// helmLog captures what Helm prints through the standard logger (its
// values coalescing warns there, e.g. "cannot overwrite table with non
// table") while fn runs.
var helmLogMu sync.Mutex

func helmLog(fn func()) string {
	helmLogMu.Lock()
	defer helmLogMu.Unlock()
	var buf bytes.Buffer
	prev, flags := log.Writer(), log.Flags()
	log.SetOutput(&buf)
	log.SetFlags(0)
	defer func() { log.SetOutput(prev); log.SetFlags(flags) }()
	fn()
	return buf.String()
}

// Every release renders from the real charts with blueprint's values, in
// the default config and with public access on, and Helm prints nothing:
// no "warning: cannot overwrite table with non table" (defect 4, from
// hub.extraEnv given as a list where z2jh 4.4.0's values.yaml has a map).
func TestRenderUpstreamCharts(t *testing.T) {
	for _, variant := range []struct{ name, yaml string }{{"default", ""}, {"public", publicYAML}} {
		t.Run(variant.name, func(t *testing.T) {
			cfg := parseConfig(t, variant.yaml)
			dir := t.TempDir()
			var got []Rendered
			var err error
			printed := helmLog(func() {
				got, err = mirrorReleases(t).Render(context.Background(), cfg, outputstest.Sample(), dir)
			})
			if err != nil {
				t.Fatal(err)
			}
			if printed != "" {
				t.Errorf("Helm printed while rendering:\n%s", printed)
			}
			var want []string
			for _, s := range plannedSpecs(cfg) {
				want = append(want, s.name)
			}
			var names []string
			for _, r := range got {
				names = append(names, r.Release)
				if r.Skipped != "" {
					t.Errorf("%s skipped: %s", r.Release, r.Skipped)
				}
			}
			if !slices.Equal(names, want) {
				t.Errorf("rendered %v, want %v", names, want)
			}
			for _, r := range got {
				if r.File != "" {
					checkManifest(t, r.File)
				}
			}
		})
	}
}

// checkManifest parses every document of a rendered release.
func checkManifest(t *testing.T, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, doc := range strings.Split(string(data), "\n---") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Errorf("%s document %d: %v", filepath.Base(file), i, err)
			continue
		}
		if obj != nil {
			n++
		}
	}
	if n == 0 {
		t.Errorf("%s holds no objects", file)
	}
}

// The chart mirror: an archive whose digest matches SHA256SUMS is read; a
// wrong digest, an unlisted archive, or a mirror that is not a directory
// fail, naming the flag or the file.
func TestChartMirror(t *testing.T) {
	src := os.Getenv(MirrorEnv)
	archive := argoWorkflowsChart().ArchiveName()
	data, err := os.ReadFile(filepath.Join(src, archive))
	if err != nil {
		t.Fatalf("reading %s from the chart mirror $%s=%q: %v (make test sets it to ../shared/upstream-charts)", archive, MirrorEnv, src, err)
	}
	sum, err := fileSHA256(filepath.Join(src, archive))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		sums    string // "" = no SHA256SUMS
		noDir   bool
		wantErr string
	}{
		{name: "no digest list", sums: ""},
		{name: "matching digest", sums: sum + "  " + archive + "\n"},
		{name: "binary-mode digest line", sums: sum + " *" + archive + "\n"},
		{name: "wrong digest", sums: strings.Repeat("0", 64) + "  " + archive + "\n", wantErr: "has SHA-256 " + sum},
		{name: "unlisted", sums: sum + "  other-1.0.0.tgz\n", wantErr: "is not listed in"},
		{name: "no such directory", noDir: true, wantErr: MirrorFlag},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "mirror")
			if !tt.noDir {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, archive), data, 0o644); err != nil {
					t.Fatal(err)
				}
				if tt.sums != "" {
					if err := os.WriteFile(filepath.Join(dir, MirrorSums), []byte(tt.sums), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			r := &Releases{CacheDir: t.TempDir(), ChartMirror: dir}
			var s spec
			for _, sp := range allSpecs(parseConfig(t, "")) {
				if sp.name == ArgoWorkflowsRelease {
					s = sp
				}
			}
			ch, err := r.loadChart(s)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if ch.Metadata.Version != argoWorkflowsChart().Version {
					t.Errorf("loaded chart %s", ch.Metadata.Version)
				}
				return
			}
			var chartErr *ChartError
			if !errors.As(err, &chartErr) || !chartErr.BadMirror || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want a mirror error containing %q", err, tt.wantErr)
			}
		})
	}
}

// The shared mirror holds the pinned version of every upstream chart, as
// its SHA256SUMS lists it (loadChart checks the digest).
func TestMirrorHoldsPinnedCharts(t *testing.T) {
	r := mirrorReleases(t)
	if r.ChartMirror == "" {
		t.Fatalf("$%s is not set; make test sets it to ../shared/upstream-charts", MirrorEnv)
	}
	if _, err := os.Stat(filepath.Join(r.ChartMirror, MirrorSums)); err != nil {
		t.Fatalf("the chart mirror has no %s: %v", MirrorSums, err)
	}
	for _, s := range allSpecs(parseConfig(t, "")) {
		if s.upstream == nil {
			continue
		}
		ch := upstreamChart(t, r, s.name)
		if ch.Metadata.Version != s.upstream.Version || strings.TrimPrefix(ch.Metadata.AppVersion, "v") != strings.TrimPrefix(s.upstream.AppVersion, "v") {
			t.Errorf("%s: chart %s app %s, pinned %s app %s", s.name, ch.Metadata.Version, ch.Metadata.AppVersion, s.upstream.Version, s.upstream.AppVersion)
		}
	}
}

// blueprint applies Argo's v4.0.5 CRDs (the newest release the Go module
// proxy serves) while the chart deploys v4.0.6. The CRDs chart 1.0.18
// ships (files/crds/full) differ from them, apart from descriptions, only
// in CronWorkflow's schedules pattern, which v4.0.6 widens; anything else
// means the pins must be looked at again (versions.go).
//
// The full CRDs are read from the mirror's archive as packed from the
// argo-helm tag: the chart's .helmignore leaves them out of the published
// package (its CRD Job downloads them), and loadChart applies it.
func TestArgoCRDsMatchChart(t *testing.T) {
	archive := filepath.Join(os.Getenv(MirrorEnv), argoWorkflowsChart().ArchiveName())
	ch, err := loader.Load(archive)
	if err != nil {
		t.Fatalf("%v (make test sets $%s to ../shared/upstream-charts)", err, MirrorEnv)
	}
	chartCRDs := map[string]map[string]any{}
	for _, f := range ch.Files {
		if path.Dir(f.Name) != "files/crds/full" {
			continue
		}
		var obj map[string]any
		if err := yaml.Unmarshal(f.Data, &obj); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		md, _ := obj["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		chartCRDs[name] = obj
	}
	ours, err := manifests.ArgoCRDs()
	if err != nil {
		t.Fatal(err)
	}
	if len(ours) != len(chartCRDs) {
		t.Errorf("blueprint applies %d Argo CRDs, chart %s ships %d", len(ours), ch.Metadata.Version, len(chartCRDs))
	}
	const schedules = "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.schedules.items.pattern"
	var diffs []string
	for _, o := range ours {
		theirs, ok := chartCRDs[o.GetName()]
		if !ok {
			t.Errorf("chart %s ships no CRD %s", ch.Metadata.Version, o.GetName())
			continue
		}
		for _, d := range schemaDiff("spec", withoutDescriptions(o.Object["spec"]), withoutDescriptions(theirs["spec"])) {
			diffs = append(diffs, o.GetName()+" "+d)
		}
	}
	want := []string{"cronworkflows.argoproj.io " + schedules}
	if !slices.Equal(diffs, want) {
		t.Errorf("CRD schema differences between manifests (Argo %s) and chart %s:\n  %s\nwant only:\n  %s",
			manifests.ArgoVersion, ch.Metadata.Version, strings.Join(diffs, "\n  "), strings.Join(want, "\n  "))
	}
}

func withoutDescriptions(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if k != "description" {
				out[k] = withoutDescriptions(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = withoutDescriptions(x)
		}
		return out
	}
	return v
}

// schemaDiff lists the paths where a and b differ, in sorted order.
func schemaDiff(at string, a, b any) []string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		var keys []string
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		var out []string
		for _, k := range keys {
			out = append(out, schemaDiff(at+"."+k, am[k], bm[k])...)
		}
		return out
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && len(al) == len(bl) {
		var out []string
		for i := range al {
			out = append(out, schemaDiff(fmt.Sprintf("%s[%d]", at, i), al[i], bl[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(a, b) {
		return []string{at}
	}
	return nil
}

// Defect 5: no pinned upstream deploys a release with a published advisory
// fixed in a later one. Each entry is the advisory, the chart and the
// first fixed app version; the chart read from the mirror must deploy at
// least that.
func TestNoKnownAdvisory(t *testing.T) {
	advisories := []struct{ id, release, fixed string }{
		// Argo Workflows v4.0.5 and earlier; fixed in v4.0.6 (argo-helm chart 1.0.18).
		{"CVE-2026-54526 / GHSA-48p8-g2fx-3wwm", ArgoWorkflowsRelease, "v4.0.6"},
	}
	r := mirrorReleases(t)
	for _, a := range advisories {
		t.Run(a.id, func(t *testing.T) {
			ch := upstreamChart(t, r, a.release)
			if semver.Compare(ch.Metadata.AppVersion, a.fixed) < 0 {
				t.Errorf("%s chart %s deploys %s, affected by %s (fixed in %s)", a.release, ch.Metadata.Version, ch.Metadata.AppVersion, a.id, a.fixed)
			}
		})
	}
}

// A chart read from the mirror honours its own .helmignore, as `helm
// package` does: the load balancer controller's archive carries
// crds/kustomization.yaml, which Helm would install as a CRD and fail
// ("no matches for kind Kustomization").
func TestMirrorHonoursHelmignore(t *testing.T) {
	ch := upstreamChart(t, mirrorReleases(t), LoadBalancerControllerRelease)
	crds := ch.CRDObjects()
	if len(crds) == 0 {
		t.Fatal("the load balancer controller chart has no CRDs")
	}
	for _, c := range crds {
		var obj struct{ Kind string }
		if err := yaml.Unmarshal(c.File.Data, &obj); err != nil {
			t.Fatal(err)
		}
		if c.Name == "crds/kustomization.yaml" || obj.Kind != "CustomResourceDefinition" {
			t.Errorf("CRD file %s holds a %s", c.Name, obj.Kind)
		}
	}
}
