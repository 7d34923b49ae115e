package etl

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

var serviceAccounts = schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}

// DefaultPickupTimeout is how long Watch waits for an Argo workflow
// controller to start a workflow (set status.phase) before saying so.
const DefaultPickupTimeout = 2 * time.Minute

// FailedStep is a step of a failed workflow: a Pod node, or the Retry node
// around a step's attempts, that ended Failed or Error.
type FailedStep struct {
	// Name is the step's name in the DAG or steps (the node's displayName
	// without the "(N)" attempt suffix).
	Name     string `json:"name"`
	Phase    string `json:"phase"`
	Message  string `json:"message,omitempty"`
	Attempts int    `json:"attempts"`
}

func (s FailedStep) String() string {
	msg := s.Message
	if msg == "" {
		msg = s.Phase
	}
	if s.Attempts > 1 {
		return fmt.Sprintf("step %s failed after %d attempts: %s", s.Name, s.Attempts, msg)
	}
	return fmt.Sprintf("step %s failed: %s", s.Name, msg)
}

// FailedSteps reads status.nodes of a Workflow (Argo's NodeStatus: type,
// displayName, phase, message, children) and returns its failed steps in
// name order. A step retried by its retryStrategy is a Retry node whose
// children are the attempts' Pod nodes; its message is the last attempt's.
func FailedSteps(wf *unstructured.Unstructured) []FailedStep {
	nodes, _, _ := unstructured.NestedMap(wf.Object, "status", "nodes")
	type node struct {
		typ, name, phase, message, started string
		children                           []string
	}
	all := map[string]node{}
	for id, v := range nodes {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		n := node{}
		n.typ, _ = m["type"].(string)
		n.name, _ = m["displayName"].(string)
		n.phase, _ = m["phase"].(string)
		n.message, _ = m["message"].(string)
		n.started, _ = m["startedAt"].(string)
		if cs, ok := m["children"].([]any); ok {
			for _, c := range cs {
				if s, ok := c.(string); ok {
					n.children = append(n.children, s)
				}
			}
		}
		all[id] = n
	}
	inRetry := map[string]bool{}
	for _, n := range all {
		if n.typ == "Retry" {
			for _, c := range n.children {
				inRetry[c] = true
			}
		}
	}
	failed := func(p string) bool { return p == PhaseFailed || p == PhaseError }
	var out []FailedStep
	for id, n := range all {
		switch {
		case n.typ == "Retry" && failed(n.phase):
			s := FailedStep{Name: n.name, Phase: n.phase, Message: n.message, Attempts: len(n.children)}
			// The Retry node says "No more retries left"; the reason is the
			// last attempt's.
			var last node
			for _, c := range n.children {
				if cn, ok := all[c]; ok && cn.started >= last.started {
					last = cn
				}
			}
			if last.message != "" {
				s.Message = last.message
			}
			out = append(out, s)
		case n.typ == "Pod" && failed(n.phase) && !inRetry[id]:
			out = append(out, FailedStep{Name: n.name, Phase: n.phase, Message: n.message, Attempts: 1})
		}
	}
	slices.SortFunc(out, func(a, b FailedStep) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// failureMessage is the error text of a Failed or Error workflow: Argo's
// message and each failed step with its reason.
func failureMessage(wf *unstructured.Unstructured, s WorkflowSummary) string {
	msg := fmt.Sprintf("%s %s", s.Name, s.Phase)
	if s.Message != "" {
		msg += ": " + s.Message
	}
	for _, st := range FailedSteps(wf) {
		msg += "; " + st.String()
	}
	return msg
}

// notPickedUp reports whether no workflow controller has touched wf yet
// (Argo sets status.phase, or at least status.startedAt, on its first
// reconcile).
func notPickedUp(wf *unstructured.Unstructured) bool {
	phase, _, _ := unstructured.NestedString(wf.Object, "status", "phase")
	started, _, _ := unstructured.NestedString(wf.Object, "status", "startedAt")
	return phase == "" && started == ""
}

// ErrNotPickedUp is wrapped by Watch when no controller started the
// workflow within WatchOptions.PickupTimeout.
var ErrNotPickedUp = fmt.Errorf("no Argo workflow controller started the workflow")

func pickupError(namespace, name string, after time.Duration) error {
	return fmt.Errorf("%w %q in namespace %q within %s: the controller is not running, or it does not watch namespace %q "+
		"(check 'kubectl -n argo get pods -l app.kubernetes.io/component=workflow-controller' and its --namespaced/--managed-namespace arguments; "+
		"blueprint's jobs run in namespace %q)", ErrNotPickedUp, name, namespace, after, namespace, DefaultNamespace)
}

// checkServiceAccount fails when the template runs its pods as a service
// account the namespace does not have: Argo would accept the workflow and
// every pod would be refused by the ServiceAccount admission plugin. A
// caller who may not read service accounts is not stopped.
func checkServiceAccount(ctx context.Context, kube dynamic.Interface, tmpl *unstructured.Unstructured, namespace string) error {
	sa, _, _ := unstructured.NestedString(tmpl.Object, "spec", "serviceAccountName")
	if sa == "" {
		return nil
	}
	_, err := kube.Resource(serviceAccounts).Namespace(namespace).Get(ctx, sa, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("WorkflowTemplate %q runs its pods as service account %q, which namespace %q does not have: "+
			"its pods would be refused; run blueprint's jobs in namespace %q (the default), or create the service account and its RBAC in %q",
			tmpl.GetName(), sa, namespace, DefaultNamespace, namespace)
	}
	return nil
}

// Suspend sets the CronWorkflow's spec.suspend: no new runs while true
// (Argo's cron controller skips suspended CronWorkflows).
func Suspend(ctx context.Context, kube dynamic.Interface, namespace, name string, suspend bool) error {
	patch := fmt.Sprintf(`{"spec":{"suspend":%t}}`, suspend)
	_, err := kube.Resource(CronWorkflows).Namespace(namespace).Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: FieldManager})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("no CronWorkflow %q in namespace %q; run 'blueprint jobs push' first", name, namespace)
	}
	if err != nil {
		return fmt.Errorf("suspending/resuming CronWorkflow %q: %w", name, err)
	}
	return nil
}
