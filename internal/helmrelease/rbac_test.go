package helmrelease

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"helm.sh/helm/v3/pkg/action"

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
		vals, err := s.values(cfg, testOutputs())
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

// rbacCheck is one question to the API server: may sa do verb on
// resource (in namespace; "" = cluster-wide, every namespace)?
type rbacCheck struct {
	sa                         workloads.ServiceAccount
	verb, group, resource, sub string
	namespace                  string
	allowed                    bool
	why                        string
}

func (c rbacCheck) String() string {
	where := "cluster-wide"
	if c.namespace != "" {
		where = "in " + c.namespace
	}
	res := c.resource
	if c.group != "" {
		res += "." + c.group
	}
	if c.sub != "" {
		res += "/" + c.sub
	}
	want := "can"
	if !c.allowed {
		want = "cannot"
	}
	return fmt.Sprintf("%s/%s %s %s %s %s (%s)", c.sa.Namespace, c.sa.Name, want, c.verb, res, where, c.why)
}

// The service accounts the upstream charts name (their templates, with
// blueprint's values).
var (
	argoControllerSA = workloads.ServiceAccount{Namespace: workloads.NamespaceArgo, Name: "argo-workflows-workflow-controller"}
	hubSA            = workloads.ServiceAccount{Namespace: workloads.NamespaceJupyter, Name: "hub"}
)

// rbacChecks: what each service account's job needs, and what it must
// not hold. Spark drivers run as arcjob (spark.kubernetes.authenticate.
// driver.serviceAccountName) and create, watch and delete their executor
// pods, services and config maps in spark; the Argo executor in each
// workflow pod writes workflowtaskresults (Argo v3.4+).
func rbacChecks() []rbacCheck {
	spark, jupyter, argo, system := workloads.NamespaceSpark, workloads.NamespaceJupyter, workloads.NamespaceArgo, workloads.NamespaceSystem
	arc, nb, srv, ca, lbc := workloads.ArcJob, workloads.Notebook, workloads.ArgoServer, workloads.ClusterAutoscaler, workloads.LoadBalancerController
	return []rbacCheck{
		// arcjob: Spark driver and Argo executor.
		{arc, "create", "", "pods", "", spark, true, "driver starts executors"},
		{arc, "delete", "", "pods", "", spark, true, "driver removes executors"},
		{arc, "watch", "", "pods", "", spark, true, "driver watches executors"},
		{arc, "create", "", "services", "", spark, true, "driver service"},
		{arc, "delete", "", "services", "", spark, true, "driver service"},
		{arc, "create", "", "configmaps", "", spark, true, "executor config"},
		{arc, "delete", "", "configmaps", "", spark, true, "executor config"},
		{arc, "create", "argoproj.io", "workflowtaskresults", "", spark, true, "Argo executor reports results"},
		{arc, "patch", "argoproj.io", "workflowtaskresults", "", spark, true, "Argo executor reports results"},
		{arc, "get", "", "secrets", "", spark, false, "no secrets needed"},
		{arc, "create", "", "pods", "", jupyter, false, "only spark"},
		{arc, "list", "", "pods", "", "", false, "nothing cluster-wide"},
		{arc, "list", "", "nodes", "", "", false, "nothing cluster-wide"},
		// notebook: the Arc kernel runs Spark locally, with IRSA for AWS.
		{nb, "get", "", "secrets", "", jupyter, false, "must not read the hub login"},
		{nb, "create", "", "pods", "", jupyter, false, "no in-cluster rights"},
		{nb, "list", "", "pods", "", "", false, "nothing cluster-wide"},
		// hub: KubeSpawner creates user pods and home volumes in jupyter.
		{hubSA, "create", "", "pods", "", jupyter, true, "spawns user servers"},
		{hubSA, "delete", "", "pods", "", jupyter, true, "stops user servers"},
		{hubSA, "create", "", "persistentvolumeclaims", "", jupyter, true, "home volumes"},
		{hubSA, "list", "", "events", "", jupyter, true, "spawn progress"},
		{hubSA, "create", "", "pods", "", spark, false, "only jupyter"},
		{hubSA, "list", "", "secrets", "", "", false, "nothing cluster-wide"},
		{hubSA, "list", "", "nodes", "", "", false, "nothing cluster-wide"},
		// Argo controller: runs workflows in spark.
		{argoControllerSA, "list", "argoproj.io", "workflows", "", spark, true, "reconciles workflows"},
		{argoControllerSA, "update", "argoproj.io", "workflows", "", spark, true, "updates workflow status"},
		{argoControllerSA, "create", "", "pods", "", spark, true, "starts workflow pods"},
		{argoControllerSA, "list", "argoproj.io", "workflowtaskresults", "", spark, true, "reads executor results"},
		{argoControllerSA, "get", "", "configmaps", "", argo, true, "its configuration"},
		{argoControllerSA, "create", "", "pods", "", system, false, "no pods outside its workflow namespace"},
		{argoControllerSA, "get", "", "secrets", "", jupyter, false, "must not read the hub login"},
		{argoControllerSA, "*", "*", "*", "", "", false, "not cluster-admin"},
		// Argo server: --auth-mode=client, requests run with the caller's token.
		{srv, "get", "", "configmaps", "", argo, true, "its configuration"},
		{srv, "create", "", "pods", "", spark, false, "acts with the caller's token"},
		{srv, "get", "", "secrets", "", jupyter, false, "must not read the hub login"},
		{srv, "*", "*", "*", "", "", false, "not cluster-admin"},
		// cluster-autoscaler: watches pods and nodes, evicts, scales.
		{ca, "list", "", "nodes", "", "", true, "simulates scheduling"},
		{ca, "watch", "", "pods", "", "", true, "finds pending pods"},
		{ca, "create", "", "pods", "eviction", "", true, "drains nodes to scale down"},
		{ca, "create", "", "pods", "", spark, false, "never creates pods"},
		{ca, "get", "", "secrets", "", jupyter, false, "must not read the hub login"},
		{ca, "*", "*", "*", "", "", false, "not cluster-admin"},
		// Load balancer controller: Ingresses and Services to ALBs/NLBs.
		{lbc, "watch", "networking.k8s.io", "ingresses", "", "", true, "reconciles Ingresses"},
		{lbc, "patch", "networking.k8s.io", "ingresses", "status", "", true, "writes the ALB address"},
		{lbc, "list", "", "services", "", "", true, "Ingress backends"},
		{lbc, "create", "", "events", "", jupyter, true, "reports problems"},
		{lbc, "get", "", "secrets", "", jupyter, false, "must not read the hub login"},
		{lbc, "create", "", "pods", "", spark, false, "never creates pods"},
		{lbc, "*", "*", "*", "", "", false, "not cluster-admin"},
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
	for _, sa := range []workloads.ServiceAccount{workloads.ArcJob, workloads.Notebook, workloads.ArgoServer, workloads.ClusterAutoscaler, workloads.LoadBalancerController, argoControllerSA, hubSA} {
		if _, err := cs.CoreV1().ServiceAccounts(sa.Namespace).Get(ctx, sa.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("service account %s/%s: %v", sa.Namespace, sa.Name, err)
		}
	}
	passed, failed := 0, 0
	for _, c := range rbacChecks() {
		user := "system:serviceaccount:" + c.sa.Namespace + ":" + c.sa.Name
		sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
			User:   user,
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + c.sa.Namespace, "system:authenticated"},
			ResourceAttributes: &authzv1.ResourceAttributes{
				Namespace: c.namespace, Verb: c.verb, Group: c.group, Resource: c.resource, Subresource: c.sub,
			},
		}}
		got, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if got.Status.Allowed == c.allowed {
			passed++
			continue
		}
		failed++
		reason := strings.TrimSpace(got.Status.Reason + " " + got.Status.EvaluationError)
		t.Errorf("RBAC check failed: %s; the API server says allowed=%v %s", c, got.Status.Allowed, reason)
	}
	t.Logf("RBAC: %d passed, %d failed", passed, failed)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
