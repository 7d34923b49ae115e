package helmrelease

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/sqletl/blueprint/internal/critpath"
)

// TestInstallPlanIsTheModelled keeps the deploy model honest: the
// in-cluster phase critpath models (critpath.DefaultReleases) must be the
// plan Apply runs for the default configuration, step for step and edge
// for edge, so a cut the model shows is one Apply makes.
func TestInstallPlanIsTheModelled(t *testing.T) {
	plan := installPlan(plannedSpecs(parseConfig(t, "")))
	got := map[string][]string{}
	for _, p := range plan {
		got[p.name] = sorted(p.after)
	}
	want := map[string][]string{}
	for _, r := range critpath.DefaultReleases() {
		want[r.Name] = sorted(r.After)
	}
	if len(got) != len(want) {
		t.Errorf("Apply's plan has %d steps %v, the model %d %v", len(got), got, len(want), want)
	}
	for name, after := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("the model has %q, Apply's plan does not", name)
			continue
		}
		if !slices.Equal(g, after) {
			t.Errorf("%s: Apply runs it after %v, the model after %v", name, g, after)
		}
	}
}

func sorted(xs []string) []string {
	out := append([]string{}, xs...)
	sort.Strings(out)
	return out
}

func TestInstallPlan(t *testing.T) {
	tests := []struct {
		name, cfg string
		want      map[string][]string
	}{
		{"blueprint's workload is waited for beside the others", "platform: {argoWorkflows: {enabled: false}, clusterAutoscaler: {enabled: false}}", map[string][]string{
			PlatformRelease: nil, PlatformReadyStep: {PlatformRelease}, JupyterHubRelease: {PlatformRelease},
		}},
		{"the load balancer controller before the rest", `platform: {publicAccess: {enabled: true, domain: etl.example.com, certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"}, argoWorkflows: {enabled: false}, clusterAutoscaler: {enabled: false}}`, map[string][]string{
			PlatformRelease: nil, PlatformReadyStep: {PlatformRelease}, LoadBalancerControllerRelease: {PlatformRelease},
			JupyterHubRelease: {PlatformRelease, LoadBalancerControllerRelease},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string][]string{}
			for _, p := range installPlan(plannedSpecs(parseConfig(t, tt.cfg))) {
				got[p.name] = p.after
			}
			if len(got) != len(tt.want) {
				t.Fatalf("plan %v, want %v", got, tt.want)
			}
			for n, a := range tt.want {
				if !slices.Equal(sorted(got[n]), sorted(a)) {
					t.Errorf("%s after %v, want %v", n, got[n], a)
				}
			}
		})
	}
}

func TestRunPlan(t *testing.T) {
	plan := []planStep{{name: "a"}, {name: "b", after: []string{"a"}}, {name: "c", after: []string{"a"}}, {name: "d", after: []string{"b"}}}
	t.Run("each step after its predecessors", func(t *testing.T) {
		var mu sync.Mutex
		var order []string
		err := runPlan(context.Background(), plan, func(_ context.Context, s string) error {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, s)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		pos := map[string]int{}
		for i, s := range order {
			pos[s] = i
		}
		for _, p := range plan {
			for _, a := range p.after {
				if pos[a] > pos[p.name] {
					t.Errorf("%s ran before %s: %v", p.name, a, order)
				}
			}
		}
		if len(order) != len(plan) {
			t.Errorf("ran %v", order)
		}
	})
	t.Run("a failed step stops what comes after it, not its siblings", func(t *testing.T) {
		var mu sync.Mutex
		ran := map[string]bool{}
		boom := errors.New("boom")
		err := runPlan(context.Background(), plan, func(_ context.Context, s string) error {
			mu.Lock()
			ran[s] = true
			mu.Unlock()
			if s == "b" {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) {
			t.Errorf("err = %v", err)
		}
		if ran["d"] || !ran["c"] {
			t.Errorf("ran %v: want c, not d", ran)
		}
	})
}

// TestHubInstallPullsNoImages: the model's JupyterHub install time
// assumes Helm waits for no image pre-pull. In z2jh 4.4.0
// (templates/image-puller/job.yaml) the hook-image-awaiter Job is a
// pre-install/pre-upgrade hook that waits until the hook-image-puller
// DaemonSet has pulled every image (the multi-GB Arc kernel among them) on
// every node; the chart enables it by default (values.yaml
// prePuller.hook.enabled). Rendered from the real chart with blueprint's
// values, neither it nor the continuous puller may be there.
func TestHubInstallPullsNoImages(t *testing.T) {
	for _, o := range renderedObjects(t, "", JupyterHubRelease) {
		md, _ := o["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		// The chart's names, with an optional fullname prefix
		// (templates/_helpers-names.tpl).
		if strings.HasSuffix(name, "image-awaiter") || strings.HasSuffix(name, "image-puller") {
			t.Errorf("the jupyterhub release renders %s %s: Helm would wait for image pulls", o["kind"], name)
		}
	}
}
