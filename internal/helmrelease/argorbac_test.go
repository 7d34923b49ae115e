package helmrelease

import (
	"context"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"sigs.k8s.io/yaml"

	"github.com/sqletl/blueprint/internal/outputs/outputstest"
	"github.com/sqletl/blueprint/internal/workloads"
)

// grant is one (apiGroup, resource, verb, resourceName) a rule allows.
type grant struct{ group, resource, verb, name string }

// grants expands an RBAC rules list into single grants.
func grants(t *testing.T, obj map[string]any) map[grant]bool {
	t.Helper()
	out := map[grant]bool{}
	rules, _ := obj["rules"].([]any)
	for _, r := range rules {
		rule, _ := r.(map[string]any)
		names := strList(rule["resourceNames"])
		if len(names) == 0 {
			names = []string{""}
		}
		for _, g := range strList(rule["apiGroups"]) {
			for _, res := range strList(rule["resources"]) {
				for _, v := range strList(rule["verbs"]) {
					for _, n := range names {
						out[grant{g, res, v, n}] = true
					}
				}
			}
		}
	}
	return out
}

func strList(v any) []string {
	items, _ := v.([]any)
	var out []string
	for _, i := range items {
		s, _ := i.(string)
		out = append(out, s)
	}
	return out
}

// object finds kind/name (in namespace ns, "" for cluster-scoped).
func object(objs []map[string]any, kind, ns, name string) map[string]any {
	for _, o := range objs {
		md, _ := o["metadata"].(map[string]any)
		gotNS, _ := md["namespace"].(string)
		if o["kind"] == kind && md["name"] == name && gotNS == ns {
			return o
		}
	}
	return nil
}

// chartArgoRoles renders the real argo-workflows chart (mirror) with
// blueprint's values but the chart's own RBAC switched on, and returns its
// objects: the ClusterRoles blueprint replaces.
func chartArgoRoles(t *testing.T) []map[string]any {
	t.Helper()
	r := mirrorReleases(t)
	cfg := parseConfig(t, "")
	var s spec
	for _, sp := range allSpecs(cfg) {
		if sp.name == ArgoWorkflowsRelease {
			s = sp
		}
	}
	ch, err := r.loadChart(s)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := s.values(cfg, outputstest.Sample())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"controller", "server"} {
		vals[c].(map[string]any)["rbac"] = map[string]any{"create": true}
	}
	in := action.NewInstall(&action.Configuration{})
	in.ReleaseName, in.Namespace = s.name, s.namespace
	in.DryRun, in.ClientOnly = true, true
	rel, err := in.RunWithContext(context.Background(), ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	for _, doc := range strings.Split(rel.Manifest, "\n---") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err == nil && obj != nil {
			objs = append(objs, obj)
		}
	}
	return objs
}

// The Roles blueprint's chart gives the Argo controller hold exactly the
// rules of the argo-workflows chart's own controller ClusterRole (rendered
// here from the real chart 1.0.18 with blueprint's values), split between
// spark (workflows, pods, ...) and argo (leases), minus namespaces, which
// Argo reads cluster-wide only for per-namespace parallelism and skips
// without access (v4.0.6 workflow/controller/ns_watcher.go). The server's
// Roles are a subset of the chart's server ClusterRole, without Secrets.
// A chart upgrade that adds a controller rule fails here until the Role
// follows.
func TestArgoRolesMatchChart(t *testing.T) {
	chartObjs := chartArgoRoles(t)
	platformObjs := renderedObjects(t, "", PlatformRelease)
	spark, argo := workloads.NamespaceSpark, workloads.NamespaceArgo

	role := func(ns, name string) map[grant]bool {
		o := object(platformObjs, "Role", ns, name)
		if o == nil {
			t.Fatalf("platform chart renders no Role %s/%s", ns, name)
		}
		return grants(t, o)
	}
	clusterRole := func(name string) map[grant]bool {
		o := object(chartObjs, "ClusterRole", "", name)
		if o == nil {
			t.Fatalf("argo-workflows chart renders no ClusterRole %s", name)
		}
		return grants(t, o)
	}

	// Controller.
	want := clusterRole("argo-workflows-workflow-controller")
	ctlSpark, ctlArgo := role(spark, "argo-workflow-controller"), role(argo, "argo-workflow-controller")
	for g := range want {
		switch {
		case g.resource == "namespaces":
			if ctlSpark[g] || ctlArgo[g] {
				t.Errorf("controller: %v granted; namespaces are left out on purpose", g)
			}
		case g.group == "coordination.k8s.io":
			if !ctlArgo[g] {
				t.Errorf("controller: chart grants %v; the argo Role does not (leader election)", g)
			}
		case !ctlSpark[g]:
			t.Errorf("controller: chart grants %v; the spark Role does not", g)
		}
	}
	for g := range ctlSpark {
		if !want[g] {
			t.Errorf("controller: spark Role grants %v, which the chart's ClusterRole does not", g)
		}
		if g.group == "coordination.k8s.io" {
			t.Errorf("controller: spark Role grants %v; leases live in argo", g)
		}
	}
	for g := range ctlArgo {
		if !want[g] {
			t.Errorf("controller: argo Role grants %v, which the chart's ClusterRole does not", g)
		}
		if g.resource == "pods" || g.group == "argoproj.io" {
			t.Errorf("controller: argo Role grants %v; workflows run in spark", g)
		}
	}

	// Server.
	wantSrv := clusterRole("argo-workflows-server")
	for _, ns := range []string{spark, argo} {
		for g := range role(ns, "argo-server") {
			if !wantSrv[g] {
				t.Errorf("server: %s Role grants %v, which the chart's ClusterRole does not", ns, g)
			}
			if g.resource == "secrets" {
				t.Errorf("server: %s Role grants %v; --auth-mode=client needs no Secret", ns, g)
			}
		}
	}
}

// With blueprint's values, the argo-workflows chart renders no
// ClusterRole or ClusterRoleBinding, and both components are confined to
// spark: --managed-namespace counts only with --namespaced (Argo v4.0.6
// cmd/workflow-controller/main.go and cmd/argo/commands/server.go).
func TestArgoNamespaced(t *testing.T) {
	objs := renderedObjects(t, "", ArgoWorkflowsRelease)
	for _, o := range objs {
		if k := o["kind"]; k == "ClusterRole" || k == "ClusterRoleBinding" {
			md, _ := o["metadata"].(map[string]any)
			// The aggregate roles bind nobody: they add Argo's kinds to
			// the built-in view/edit/admin roles.
			if lbl, _ := md["labels"].(map[string]any); k == "ClusterRole" && hasAggregateLabel(lbl) {
				continue
			}
			t.Errorf("chart renders %s %v", k, md["name"])
		}
	}
	for _, name := range []string{"argo-workflows-workflow-controller", "argo-workflows-server"} {
		d := object(objs, "Deployment", workloads.NamespaceArgo, name)
		if d == nil {
			t.Fatalf("no Deployment %s", name)
		}
		spec, _ := d["spec"].(map[string]any)
		tmpl, _ := spec["template"].(map[string]any)
		podSpec, _ := tmpl["spec"].(map[string]any)
		containers, _ := podSpec["containers"].([]any)
		c, _ := containers[0].(map[string]any)
		args := strList(c["args"])
		for _, want := range []string{"--namespaced", "--managed-namespace=" + workloads.NamespaceSpark} {
			if !slices.Contains(args, want) {
				t.Errorf("%s args %v lack %s", name, args, want)
			}
		}
	}
}

func hasAggregateLabel(labels map[string]any) bool {
	for k := range labels {
		if strings.HasPrefix(k, "rbac.authorization.k8s.io/aggregate-to-") {
			return true
		}
	}
	return false
}
