package helmrelease

import (
	"context"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/release"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/internal/outputs/outputstest"
	"github.com/sqletl/blueprint/internal/platform"
)

// TestHelmPendingRecovery: a release an interrupted run left pending or
// failed is recovered by Apply (that release alone), against the real API
// server and Helm's own storage. The stuck states are written into Helm's
// storage the way Helm leaves them: an interrupted upgrade stores the new
// revision as pending-upgrade before applying it (pkg/action/upgrade.go
// performUpgrade: "u.cfg.Releases.Create(upgradedRelease)" with
// StatusPendingUpgrade); an interrupted install stores revision 1 as
// pending-install.
func TestHelmPendingRecovery(t *testing.T) {
	env.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	kube := env.RESTConfig()
	cfg := parseConfig(t, ownChartOnly)
	out := outputstest.Sample()
	login := platform.Login{Username: "etl-admin", Password: "recover-test-password"}
	r := &Releases{CacheDir: t.TempDir()}
	c, err := r.actionConfig(kube, "kube-system")
	if err != nil {
		t.Fatal(err)
	}
	last := func(t *testing.T) *release.Release {
		t.Helper()
		rel, err := c.Releases.Last(PlatformRelease)
		if err != nil {
			t.Fatal(err)
		}
		return rel
	}
	apply := func(t *testing.T) {
		t.Helper()
		if err := r.Apply(ctx, kube, cfg, out, login); err != nil {
			if strings.Contains(err.Error(), "down") {
				t.Errorf("the error suggests down: %v", err)
			}
			t.Fatal(err)
		}
		if rel := last(t); rel.Info.Status != release.StatusDeployed {
			t.Fatalf("after Apply the release is %s", rel.Info.Status)
		}
	}
	apply(t)

	t.Run("pending-upgrade: rolled back, then upgraded", func(t *testing.T) {
		stuck := *last(t)
		stuck.Version++
		stuck.Info = &release.Info{Status: release.StatusPendingUpgrade, Description: "interrupted by the test"}
		if err := c.Releases.Create(&stuck); err != nil {
			t.Fatal(err)
		}
		apply(t)
		if rel := last(t); rel.Version <= stuck.Version {
			t.Errorf("revision %d: no new revision after the pending %d", rel.Version, stuck.Version)
		}
	})

	t.Run("failed: upgraded", func(t *testing.T) {
		rel := last(t)
		rel.Info.Status = release.StatusFailed
		if err := c.Releases.Update(rel); err != nil {
			t.Fatal(err)
		}
		// A changed value, so the upgrade is not skipped as a no-op.
		changed := *out
		changed.CodeBucket = "blueprint-code-after-failure"
		if err := r.Apply(ctx, kube, cfg, &changed, login); err != nil {
			t.Fatalf("Apply on a failed release: %v", err)
		}
		if got := last(t); got.Info.Status != release.StatusDeployed || got.Version != rel.Version+1 {
			t.Errorf("release %d %s, want %d deployed", got.Version, got.Info.Status, rel.Version+1)
		}
	})

	t.Run("pending-install: reinstalled", func(t *testing.T) {
		// The harness runs no namespace controller; its last step
		// (finalizing deleted namespaces) runs alongside, as in a cluster.
		stop := finalizeNamespaces(kube)
		defer stop()
		if err := r.Uninstall(ctx, kube, cfg); err != nil {
			t.Fatal(err)
		}
		apply(t)
		rel := last(t)
		rel.Info.Status = release.StatusPendingInstall
		if err := c.Releases.Update(rel); err != nil {
			t.Fatal(err)
		}
		apply(t)
		if got := last(t); got.Version != 1 {
			t.Errorf("revision %d, want a fresh install (1)", got.Version)
		}
	})
	if err := r.Uninstall(ctx, kube, cfg); err != nil {
		t.Fatal(err)
	}
	env.FinishTerminatingNamespaces(t)
}

// finalizeNamespaces does what kube-controller-manager's namespace
// controller does last, every 100ms until stopped: a namespace being
// deleted (and emptied by Helm) has its finalizers removed.
func finalizeNamespaces(kube *rest.Config) (stop func()) {
	cs := kubernetes.NewForConfigOrDie(kube)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if list, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err == nil {
				for _, ns := range list.Items {
					if ns.DeletionTimestamp != nil && len(ns.Spec.Finalizers) > 0 {
						ns.Spec.Finalizers = nil
						_, _ = cs.CoreV1().Namespaces().Finalize(ctx, &ns, metav1.UpdateOptions{})
					}
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() { cancel(); <-done }
}
