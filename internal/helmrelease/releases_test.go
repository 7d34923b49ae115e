package helmrelease

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/internal/kubetest"
	"github.com/sqletl/blueprint/internal/outputs/outputstest"
	"github.com/sqletl/blueprint/internal/platform"
)

var env *kubetest.Env

func TestMain(m *testing.M) { os.Exit(kubetest.RunShared(m, &env)) }

// ownChartOnly installs blueprint's chart alone: no upstream chart
// repository is reachable from the test machine.
const ownChartOnly = `
platform:
  argoWorkflows: {enabled: false}
  jupyterHub: {enabled: false}
  clusterAutoscaler: {enabled: false}
  # Its Deployment never becomes ready without a kubelet, and Helm waits;
  # charts' tests check it against PodSecurity on the API server.
  sparkHistory: {enabled: false}
  helmTimeout: 2m`

// A real install, no-op re-run, upgrade and uninstall against the API
// server. The steps share one cluster state, so they run in order.
func TestApplyUpgradeUninstall(t *testing.T) {
	env.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	kube := env.RESTConfig()
	cfg := parseConfig(t, ownChartOnly)
	out := outputstest.Sample()
	login := platform.Login{Username: "etl-admin", Password: "kube-test-password-42"}
	r := &Releases{CacheDir: t.TempDir()}
	cs := kubernetes.NewForConfigOrDie(kube)

	revision := func(t *testing.T) int {
		t.Helper()
		n, err := r.Revision(kube, PlatformRelease, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("install", func(t *testing.T) {
		if err := r.Apply(ctx, kube, cfg, out, login); err != nil {
			t.Fatal(err)
		}
		if got := revision(t); got != 1 {
			t.Errorf("revision %d, want 1", got)
		}
		// The CRDs were established and our WorkflowTemplate accepted.
		dyn := dynamic.NewForConfigOrDie(kube)
		wt, err := dyn.Resource(schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflowtemplates"}).
			Namespace("spark").Get(ctx, "arc-job", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("WorkflowTemplate arc-job: %v", err)
		}
		if wt.GetLabels()["app.kubernetes.io/managed-by"] != "Helm" {
			t.Errorf("WorkflowTemplate labels: %v", wt.GetLabels())
		}
		for _, ns := range []string{"spark", "jupyter", "argo"} {
			if _, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
				t.Errorf("namespace %s: %v", ns, err)
			}
		}
		sa, err := cs.CoreV1().ServiceAccounts("spark").Get(ctx, "arcjob", metav1.GetOptions{})
		if err != nil || sa.Annotations[irsaAnnotation] != out.ArcJobRole {
			t.Errorf("arcjob service account: %v %v", sa.Annotations, err)
		}
		checkLoginSecret(t, cs, login)
		cm, err := cs.CoreV1().ConfigMaps("jupyter").Get(ctx, "sample-notebooks", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("sample notebooks ConfigMap: %v", err)
		}
		if nb := cm.Data["scd2-contacts__merge.ipynb"]; !strings.Contains(nb, `"arc"`) {
			t.Errorf("sample notebooks ConfigMap keys %d; merge.ipynb = %.80q", len(cm.Data), nb)
		}
	})

	t.Run("re-run is a no-op", func(t *testing.T) {
		if err := r.Apply(ctx, kube, cfg, out, login); err != nil {
			t.Fatal(err)
		}
		if got := revision(t); got != 1 {
			t.Errorf("revision %d after an unchanged re-run, want 1", got)
		}
	})

	t.Run("changed value upgrades", func(t *testing.T) {
		changed := *out
		changed.CodeBucket = "blueprint-code-changed"
		newLogin := platform.Login{Username: "etl-admin", Password: "rotated-password-43"}
		if err := r.Apply(ctx, kube, cfg, &changed, newLogin); err != nil {
			t.Fatal(err)
		}
		if got := revision(t); got != 2 {
			t.Errorf("revision %d after a change, want 2", got)
		}
		checkLoginSecret(t, cs, newLogin)
	})

	t.Run("list", func(t *testing.T) {
		got, err := r.List(ctx, kube, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Name != PlatformRelease || got[0].Namespace != "kube-system" || got[0].Status != "deployed" || got[0].Chart == "" {
			t.Errorf("List = %+v", got)
		}
	})

	for _, step := range []string{"uninstall", "uninstall again"} {
		t.Run(step, func(t *testing.T) {
			if err := r.Uninstall(ctx, kube, cfg); err != nil {
				t.Fatal(err)
			}
			if got := revision(t); got != 0 {
				t.Errorf("release still there (revision %d)", got)
			}
			got, err := r.List(ctx, kube, cfg)
			if err != nil || len(got) != 0 {
				t.Errorf("List after uninstall = %+v, %v", got, err)
			}
			if _, err := cs.CoreV1().Secrets("jupyter").Get(ctx, loginSecretName, metav1.GetOptions{}); err == nil {
				t.Error("login Secret left behind")
			}
		})
	}
}

func checkLoginSecret(t *testing.T, cs kubernetes.Interface, want platform.Login) {
	t.Helper()
	s, err := cs.CoreV1().Secrets("jupyter").Get(context.Background(), loginSecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("login Secret: %v", err)
	}
	if s.Type != corev1.SecretTypeOpaque || string(s.Data["username"]) != want.Username || string(s.Data["password"]) != want.Password {
		t.Errorf("login Secret holds the wrong login")
	}
}

// A repository that cannot be reached fails Apply before anything is
// changed, naming the release and the config field to fix.
func TestUnreachableChartSource(t *testing.T) {
	tests := []struct{ name, yaml, field string }{
		{"repository", "platform: {clusterAutoscaler: {enabled: false}, argoWorkflows: {chart: \"http://127.0.0.1:1/charts\"}}", "platform.argoWorkflows.chart"},
		{"oci", "platform: {clusterAutoscaler: {enabled: false}, argoWorkflows: {enabled: false}, jupyterHub: {chart: \"oci://127.0.0.1:1/charts/jupyterhub\"}}", "platform.jupyterHub.chart"},
		{"local path", "platform: {argoWorkflows: {enabled: false}, jupyterHub: {enabled: false}, clusterAutoscaler: {chart: ./no/such/chart}}", "platform.clusterAutoscaler.chart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Releases{CacheDir: t.TempDir()}
			// No API server at this address: the chart error must come first.
			kube := &rest.Config{Host: "https://127.0.0.1:1"}
			err := r.Apply(context.Background(), kube, parseConfig(t, tt.yaml), outputstest.Sample(), platform.Login{Username: "u", Password: "p-not-shown-0123456789abcdefghijkl"})
			var chartErr *ChartError
			if !errors.As(err, &chartErr) {
				t.Fatalf("err = %v, want a *ChartError", err)
			}
			if !strings.Contains(err.Error(), tt.field) || strings.Contains(err.Error(), "p-not-shown") {
				t.Errorf("error does not name %s (or shows the password): %v", tt.field, err)
			}
		})
	}
}

// Render writes our chart offline and skips upstream charts it cannot
// fetch, saying why.
func TestRender(t *testing.T) {
	cfg := parseConfig(t, `
platform:
  argoWorkflows: {chart: "http://127.0.0.1:1/charts"}
  jupyterHub: {enabled: false}
  clusterAutoscaler: {enabled: false}`)
	dir := filepath.Join(t.TempDir(), "out")
	got, err := (&Releases{CacheDir: t.TempDir()}).Render(context.Background(), cfg, outputstest.Sample(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Release != PlatformRelease || got[0].File == "" || got[1].Release != ArgoWorkflowsRelease || got[1].Skipped == "" {
		t.Fatalf("Render = %+v", got)
	}
	if !strings.Contains(got[1].Skipped, "platform.argoWorkflows.chart") {
		t.Errorf("skip note does not name the field: %s", got[1].Skipped)
	}
	data, err := os.ReadFile(filepath.Join(dir, "blueprint.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: WorkflowTemplate", "kind: Namespace", "blueprint-code-abc123"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("blueprint.yaml lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "argo-workflows.yaml")); !os.IsNotExist(err) {
		t.Errorf("a skipped release left a file: %v", err)
	}
}

// BenchmarkHelmInstall times Apply on an empty cluster with blueprint's own
// chart (CRDs, login Secret, chart install and wait). The uninstall between
// iterations is not timed. hack/bench.sh runs it (make bench).
func BenchmarkHelmInstall(b *testing.B) {
	env.Require(b)
	ctx := context.Background()
	kube := env.RESTConfig()
	cfg := parseConfig(b, ownChartOnly)
	r := &Releases{CacheDir: b.TempDir()}
	login := platform.Login{Username: "etl-admin", Password: "bench-password-1"}
	for range b.N {
		b.StopTimer()
		if err := r.Uninstall(ctx, kube, cfg); err != nil {
			b.Fatal(err)
		}
		env.FinishTerminatingNamespaces(b)
		b.StartTimer()
		if err := r.Apply(ctx, kube, cfg, outputstest.Sample(), login); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := r.Uninstall(ctx, kube, cfg); err != nil {
		b.Fatal(err)
	}
	env.FinishTerminatingNamespaces(b)
}

// BenchmarkHelmUpgrade times Apply when one value changed (a new code
// bucket), i.e. a real upgrade of the installed release.
func BenchmarkHelmUpgrade(b *testing.B) {
	env.Require(b)
	ctx := context.Background()
	kube := env.RESTConfig()
	cfg := parseConfig(b, ownChartOnly)
	r := &Releases{CacheDir: b.TempDir()}
	login := platform.Login{Username: "etl-admin", Password: "bench-password-1"}
	env.FinishTerminatingNamespaces(b)
	if err := r.Apply(ctx, kube, cfg, outputstest.Sample(), login); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		out := *outputstest.Sample()
		out.CodeBucket = fmt.Sprintf("blueprint-code-bench-%d", i)
		if err := r.Apply(ctx, kube, cfg, &out, login); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := r.Uninstall(ctx, kube, cfg); err != nil {
		b.Fatal(err)
	}
	env.FinishTerminatingNamespaces(b)
}
