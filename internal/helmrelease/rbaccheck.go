package helmrelease

import (
	"context"
	"fmt"
	"strings"

	authzv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sqletl/blueprint/internal/workloads"
)

// RBACCheck is one question to the API server: may sa do verb on
// resource (in namespace; "" = cluster-wide, every namespace)?
type RBACCheck struct {
	sa                         workloads.ServiceAccount
	verb, group, resource, sub string
	namespace                  string
	allowed                    bool
	why                        string
}

func (c RBACCheck) String() string {
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
	argoUISA         = workloads.ServiceAccount{Namespace: workloads.NamespaceArgo, Name: "argo-ui"}
)

// RBACChecks: what each service account's job needs, and what it must
// not hold. Spark drivers run as arcjob (spark.kubernetes.authenticate.
// driver.serviceAccountName) and create, watch and delete their executor
// pods, services and config maps in spark; the Argo executor in each
// workflow pod writes workflowtaskresults (Argo v3.4+).
func RBACChecks() []RBACCheck {
	spark, jupyter, argo, system := workloads.NamespaceSpark, workloads.NamespaceJupyter, workloads.NamespaceArgo, workloads.NamespaceSystem
	arc, nb, srv, ca, lbc := workloads.ArcJob, workloads.Notebook, workloads.ArgoServer, workloads.ClusterAutoscaler, workloads.LoadBalancerController
	return []RBACCheck{
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
		{argoControllerSA, "watch", "", "pods", "", spark, true, "pod informer"},
		{argoControllerSA, "patch", "", "pods", "", spark, true, "marks completed pods"},
		{argoControllerSA, "delete", "", "pods", "", spark, true, "pod garbage collection"},
		{argoControllerSA, "create", "", "pods", "exec", spark, true, "signals containers"},
		{argoControllerSA, "create", "", "persistentvolumeclaims", "", spark, true, "volumeClaimTemplates"},
		{argoControllerSA, "watch", "argoproj.io", "workflowtaskresults", "", spark, true, "reads executor results"},
		{argoControllerSA, "deletecollection", "argoproj.io", "workflowtaskresults", "", spark, true, "cleans up results"},
		{argoControllerSA, "list", "argoproj.io", "workflowtemplates", "", spark, true, "resolves workflowTemplateRef (arc-job)"},
		{argoControllerSA, "update", "argoproj.io", "cronworkflows", "", spark, true, "runs cron workflows"},
		{argoControllerSA, "create", "argoproj.io", "workflowtasksets", "", spark, true, "HTTP and plugin templates"},
		{argoControllerSA, "create", "policy", "poddisruptionbudgets", "", spark, true, "workflow podDisruptionBudget"},
		{argoControllerSA, "create", "", "events", "", spark, true, "workflow events"},
		{argoControllerSA, "list", "", "configmaps", "", spark, true, "semaphores, artifact repositories"},
		{argoControllerSA, "get", "", "configmaps", "", argo, true, "its configuration"},
		{argoControllerSA, "watch", "", "configmaps", "", argo, true, "configuration changes"},
		{argoControllerSA, "create", "coordination.k8s.io", "leases", "", argo, true, "leader election"},
		{argoControllerSA, "create", "", "pods", "", system, false, "no pods outside its workflow namespace"},
		{argoControllerSA, "create", "", "pods", "", argo, false, "no pods outside its workflow namespace"},
		{argoControllerSA, "create", "", "pods", "", jupyter, false, "no pods outside its workflow namespace"},
		{argoControllerSA, "list", "", "pods", "", "", false, "--namespaced: nothing cluster-wide"},
		{argoControllerSA, "list", "argoproj.io", "workflows", "", "", false, "--namespaced: nothing cluster-wide"},
		{argoControllerSA, "list", "argoproj.io", "clusterworkflowtemplates", "", "", false, "blueprint ships none"},
		{argoControllerSA, "list", "", "namespaces", "", "", false, "no per-namespace parallelism"},
		{argoControllerSA, "get", "", "secrets", "", spark, false, "only the agent CA certificate, by name"},
		{argoControllerSA, "get", "", "secrets", "", jupyter, false, "must not read the hub login"},
		{argoControllerSA, "*", "*", "*", "", "", false, "not cluster-admin"},
		// Argo server: --auth-mode=client, requests run with the caller's
		// token; its own account only fills its caches and reads config.
		{srv, "get", "", "configmaps", "", argo, true, "its configuration"},
		{srv, "list", "argoproj.io", "workflows", "", spark, true, "its workflow cache"},
		{srv, "watch", "argoproj.io", "workflows", "", spark, true, "its workflow cache"},
		{srv, "watch", "argoproj.io", "workflowtemplates", "", spark, true, "its template informer"},
		{srv, "get", "", "configmaps", "", spark, true, "artifact repositories"},
		{srv, "create", "", "pods", "", spark, false, "acts with the caller's token"},
		{srv, "delete", "", "pods", "", spark, false, "acts with the caller's token"},
		{srv, "get", "", "pods", "log", spark, false, "logs are read with the caller's token"},
		{srv, "create", "argoproj.io", "workflows", "", spark, false, "submits with the caller's token"},
		{srv, "list", "argoproj.io", "workflows", "", "", false, "--namespaced: nothing cluster-wide"},
		{srv, "get", "", "secrets", "", spark, false, "no SSO, no persistence: no secrets"},
		{srv, "get", "", "secrets", "", argo, false, "no SSO, no persistence: no secrets"},
		{srv, "get", "", "secrets", "", jupyter, false, "must not read the hub login"},
		{srv, "*", "*", "*", "", "", false, "not cluster-admin"},
		// argo-ui: the read-only token for the Argo UI, in spark only.
		{argoUISA, "list", "argoproj.io", "workflows", "", spark, true, "lists workflows"},
		{argoUISA, "get", "", "pods", "log", spark, true, "reads workflow logs"},
		{argoUISA, "create", "argoproj.io", "workflows", "", spark, false, "read-only"},
		{argoUISA, "delete", "", "pods", "", spark, false, "read-only"},
		{argoUISA, "get", "", "pods", "log", jupyter, false, "only spark"},
		{argoUISA, "list", "", "pods", "", "", false, "nothing cluster-wide"},
		{argoUISA, "get", "", "secrets", "", argo, false, "must not read its own token Secret"},
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

// CheckRBAC asks the API server (SubjectAccessReview, its own authorizer)
// every question of RBACChecks and returns how many answers were as
// wanted and a line for each that was not. The platform must be
// installed. Checks of a service account the cluster does not have (a
// release the configuration leaves out, e.g. the load balancer controller
// without public access) are not asked and are counted in skipped;
// TestRBAC installs every release and requires every account first.
// Used by TestRBAC (the real charts in the test API server) and by the
// simulated-cluster end-to-end test (after `up`).
func CheckRBAC(ctx context.Context, cs kubernetes.Interface) (passed, skipped int, failures []string, err error) {
	exists := map[workloads.ServiceAccount]bool{}
	for _, c := range RBACChecks() {
		have, seen := exists[c.sa]
		if !seen {
			_, err := cs.CoreV1().ServiceAccounts(c.sa.Namespace).Get(ctx, c.sa.Name, metav1.GetOptions{})
			switch {
			case err == nil:
				have = true
			case !apierrors.IsNotFound(err):
				return passed, skipped, failures, err
			}
			exists[c.sa] = have
		}
		if !have {
			skipped++
			continue
		}
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
			return passed, skipped, failures, fmt.Errorf("%s: %w", c, err)
		}
		if got.Status.Allowed == c.allowed {
			passed++
			continue
		}
		reason := strings.TrimSpace(got.Status.Reason + " " + got.Status.EvaluationError)
		failures = append(failures, fmt.Sprintf("%s; the API server says allowed=%v %s", c, got.Status.Allowed, reason))
	}
	return passed, skipped, failures, nil
}
