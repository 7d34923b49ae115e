package helmrelease

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"helm.sh/helm/v3/pkg/action"

	"github.com/sqletl/blueprint/internal/outputs/outputstest"
	"github.com/sqletl/blueprint/internal/workloads"
)

// installNoWait installs every planned release of cfg from the real charts
// (the chart mirror) into the test API server, as Apply does but without
// waiting: nothing runs pods there, and only the RBAC objects matter.
func installNoWait(t *testing.T, ctx context.Context, kube *rest.Config, yamlCfg string) {
	t.Helper()
	r := mirrorReleases(t)
	cfg := parseConfig(t, yamlCfg)
	if err := r.applyCRDs(ctx, kube); err != nil {
		t.Fatal(err)
	}
	// The load balancer controller goes last: its webhooks (failurePolicy
	// Fail) would refuse every Service and Ingress after it, with no
	// controller pod to answer them here.
	specs := plannedSpecs(cfg)
	slices.SortStableFunc(specs, func(a, b spec) int {
		return cmp.Compare(boolInt(a.name == LoadBalancerControllerRelease), boolInt(b.name == LoadBalancerControllerRelease))
	})
	for _, s := range specs {
		ch, err := r.loadChart(s)
		if err != nil {
			t.Fatal(err)
		}
		vals, err := s.values(cfg, outputstest.Sample())
		if err != nil {
			t.Fatal(err)
		}
		c, err := r.actionConfig(kube, s.namespace)
		if err != nil {
			t.Fatal(err)
		}
		in := action.NewInstall(c)
		in.ReleaseName, in.Namespace = s.name, s.namespace
		in.Timeout = 2 * time.Minute
		if _, err := in.RunWithContext(ctx, ch, vals); err != nil {
			t.Fatalf("installing %s: %v", s.name, err)
		}
	}
}

// Part 5: every service account of the platform, installed from the real
// charts with blueprint's values (public access on, so the load balancer
// controller is there too), can do what its job needs and no more,
// judged by the API server's own authorizer (SubjectAccessReview, RBAC).
// It logs "RBAC: N passed, M failed" for make e2e's summary.
func TestRBAC(t *testing.T) {
	env.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	kube := env.RESTConfig()
	env.FinishTerminatingNamespaces(t)
	installNoWait(t, ctx, kube, publicYAML)
	t.Cleanup(func() {
		if err := (&Releases{CacheDir: t.TempDir()}).Uninstall(context.Background(), kube, parseConfig(t, "")); err != nil {
			t.Errorf("uninstall: %v", err)
		}
		env.FinishTerminatingNamespaces(t)
	})
	cs := kubernetes.NewForConfigOrDie(kube)
	for _, sa := range []workloads.ServiceAccount{workloads.ArcJob, workloads.Notebook, workloads.ArgoServer, workloads.ClusterAutoscaler, workloads.LoadBalancerController, argoControllerSA, hubSA, argoUISA} {
		if _, err := cs.CoreV1().ServiceAccounts(sa.Namespace).Get(ctx, sa.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("service account %s/%s: %v", sa.Namespace, sa.Name, err)
		}
	}
	passed, skipped, failures, err := CheckRBAC(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	if skipped != 0 {
		t.Errorf("%d RBAC checks skipped: every service account must exist with every release installed", skipped)
	}
	for _, f := range failures {
		t.Errorf("RBAC check failed: %s", f)
	}
	failed := len(failures)
	t.Logf("RBAC: %d passed, %d failed", passed, failed)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
