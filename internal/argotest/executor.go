package argotest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Names Argo v4.0.5 uses (workflow/common/common.go).
const (
	labelWorkflow                = "workflows.argoproj.io/workflow"
	labelReportOutputsCompleted  = "workflows.argoproj.io/report-outputs-completed"
	labelControllerInstanceID    = "workflows.argoproj.io/controller-instanceid"
	annotationNodeName           = "workflows.argoproj.io/node-name"
	envNodeID                    = "ARGO_NODE_ID"
	envWorkflowName              = "ARGO_WORKFLOW_NAME"
	envWorkflowUID               = "ARGO_WORKFLOW_UID"
	envInstanceID                = "ARGO_INSTANCE_ID"
	waitContainer, mainContainer = "wait", "main"
)

var (
	taskResults = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflowtaskresults"}
	kwokLogs    = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}
)

// Outcome is how a workflow pod's main container ends.
type Outcome struct {
	ExitCode int
	// Log is what the main container printed, one entry a line.
	Log []string
	// Message is the container's termination message (optional).
	Message string
}

// Decide is asked, for every Running workflow pod, how its main container
// ends; ok false keeps it running for now (asked again on the next poll).
type Decide func(pod *corev1.Pod, seen []PodRecord) (o Outcome, ok bool)

// PodRecord is what the executor saw of one workflow pod.
type PodRecord struct {
	Pod, Workflow, Node string // Node: Argo's node name, e.g. "wf.initial-load(0)"
	UID                 types.UID
	Created             time.Time // the API server's, to the second
	FirstSeen, Running  time.Time // this executor's clock
	Finished            time.Time // zero while running
	ExitCode            int
	Spec                corev1.PodSpec
	NodeName            string
}

// Executor plays, for every workflow pod in Namespace, the kubelet ending
// its containers and Argo's `wait` container (argoexec wait, v4.0.5
// cmd/argoexec/commands/wait.go) reporting its result:
//
//  1. When the pod runs, `wait` creates the WorkflowTaskResult named after
//     the node ID (ARGO_NODE_ID), labelled with the workflow and
//     report-outputs-completed=false, owned by the workflow
//     (ARGO_WORKFLOW_NAME/UID): executor.InitializeOutput → createTaskResult
//     in workflow/executor/taskresult.go.
//  2. When main ends, `wait` reports the outputs (merge patch of the
//     NodeResult: ReportOutputs → upsertTaskResult/patchTaskResult) and
//     finally sets report-outputs-completed=true (FinalizeOutput →
//     patchTaskResultLabels). The controller holds the node until then.
//
// Both run as the pod's own service account, with a token bound to the
// pod (TokenRequest), so the RBAC the platform chart gives arcjob is what
// the API server checks. The main container's log lines are served by
// kwok (a Logs object naming a file in CRI log format) to the API
// server's pods/log, which `blueprint jobs logs` reads. Not simulated:
// the log archive upload to S3 (archiveLogs) and output artifacts.
type Executor struct {
	Admin     *rest.Config
	Namespace string
	LogDir    string
	Decide    Decide

	kube dynamic.Interface
	cs   kubernetes.Interface
	mu   sync.Mutex
	pods map[types.UID]*podState
	errs []string
}

type podState struct {
	rec     PodRecord
	results dynamic.ResourceInterface // as the pod's service account
	done    bool
}

// Run polls until ctx ends. Errors (an RBAC refusal, say) are kept for
// Errors and do not stop the loop.
func (x *Executor) Run(ctx context.Context) {
	var err error
	if x.kube, err = dynamic.NewForConfig(x.Admin); err == nil {
		x.cs, err = kubernetes.NewForConfig(x.Admin)
	}
	if err != nil {
		x.addErr(err)
		return
	}
	x.pods = map[types.UID]*podState{}
	for ctx.Err() == nil {
		x.poll(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Errors the executor met (should be none).
func (x *Executor) Errors() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]string(nil), x.errs...)
}

// Records returns what was seen, in creation order.
func (x *Executor) Records() []PodRecord {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []PodRecord
	for _, p := range x.pods {
		out = append(out, p.rec)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].FirstSeen.Equal(out[j].FirstSeen) {
			return out[i].FirstSeen.Before(out[j].FirstSeen)
		}
		return out[i].Pod < out[j].Pod
	})
	return out
}

func (x *Executor) addErr(err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.errs) < 50 {
		x.errs = append(x.errs, err.Error())
	}
}

func (x *Executor) poll(ctx context.Context) {
	pods, err := x.cs.CoreV1().Pods(x.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labelWorkflow})
	if err != nil {
		if ctx.Err() == nil {
			x.addErr(err)
		}
		return
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		x.mu.Lock()
		st := x.pods[pod.UID]
		if st == nil {
			st = &podState{rec: PodRecord{Pod: pod.Name, UID: pod.UID, Workflow: pod.Labels[labelWorkflow],
				Node: pod.Annotations[annotationNodeName], Created: pod.CreationTimestamp.Time, FirstSeen: time.Now(), Spec: pod.Spec}}
			x.pods[pod.UID] = st
		}
		st.rec.NodeName = pod.Spec.NodeName
		x.mu.Unlock()
		if st.done || pod.Status.Phase != corev1.PodRunning || pod.Status.PodIP == "" || pod.DeletionTimestamp != nil {
			continue
		}
		if st.results == nil {
			if err := x.initialize(ctx, pod, st); err != nil {
				x.addErr(fmt.Errorf("pod %s: wait container's InitializeOutput: %w", pod.Name, err))
				continue
			}
		}
		o, ok := x.Decide(pod, x.Records())
		if !ok {
			continue
		}
		if err := x.finish(ctx, pod, st, o); err != nil {
			x.addErr(fmt.Errorf("pod %s: %w", pod.Name, err))
		}
	}
}

func containerEnv(pod *corev1.Pod, container, name string) string {
	for _, c := range pod.Spec.Containers {
		if c.Name != container {
			continue
		}
		for _, e := range c.Env {
			if e.Name == name {
				return e.Value
			}
		}
	}
	return ""
}

// initialize is InitializeOutput: the placeholder task result.
func (x *Executor) initialize(ctx context.Context, pod *corev1.Pod, st *podState) error {
	nodeID := containerEnv(pod, waitContainer, envNodeID)
	wfName := containerEnv(pod, waitContainer, envWorkflowName)
	wfUID := containerEnv(pod, waitContainer, envWorkflowUID)
	if nodeID == "" || wfName == "" || wfUID == "" {
		return fmt.Errorf("the wait container lacks %s/%s/%s (not an Argo v4 pod?)", envNodeID, envWorkflowName, envWorkflowUID)
	}
	cfg, err := ServiceAccountConfig(ctx, x.cs, x.Admin, pod.Namespace, pod.Spec.ServiceAccountName, pod)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	results := dyn.Resource(taskResults).Namespace(pod.Namespace)
	labels := map[string]any{labelWorkflow: wfName, labelReportOutputsCompleted: "false"}
	if v := containerEnv(pod, waitContainer, envInstanceID); v != "" {
		labels[labelControllerInstanceID] = v
	}
	tr := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "WorkflowTaskResult",
		"metadata": map[string]any{
			"name":   nodeID,
			"labels": labels,
			"ownerReferences": []any{map[string]any{
				"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "name": wfName, "uid": wfUID,
			}},
		},
	}}
	_, err = results.Create(ctx, tr, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) { // upsertTaskResult: create, else patch
		_, err = results.Patch(ctx, nodeID, types.MergePatchType, []byte(`{}`), metav1.PatchOptions{})
	}
	if err != nil {
		return err
	}
	x.mu.Lock()
	st.results = results
	st.rec.Running = time.Now()
	x.mu.Unlock()
	return nil
}

// finish writes the main container's log, reports the outputs and
// completion as `wait`, then ends the pod as the kubelet.
func (x *Executor) finish(ctx context.Context, pod *corev1.Pod, st *podState, o Outcome) error {
	if err := x.serveLogs(ctx, pod, o.Log); err != nil {
		return fmt.Errorf("serving logs: %w", err)
	}
	nodeID := containerEnv(pod, waitContainer, envNodeID)
	// ReportOutputs: the template declares no outputs; NodeResult.Outputs
	// is then empty.
	if _, err := st.results.Patch(ctx, nodeID, types.MergePatchType, []byte(`{"outputs":{}}`), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("wait container's ReportOutputs: %w", err)
	}
	labels, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]string{labelReportOutputsCompleted: "true"}}})
	if _, err := st.results.Patch(ctx, nodeID, types.MergePatchType, labels, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("wait container's FinalizeOutput: %w", err)
	}
	if err := x.endPod(ctx, pod, o); err != nil {
		return fmt.Errorf("ending the pod (kubelet): %w", err)
	}
	x.mu.Lock()
	st.done = true
	st.rec.Finished = time.Now()
	st.rec.ExitCode = o.ExitCode
	x.mu.Unlock()
	return nil
}

// serveLogs writes the lines in the CRI log format the kubelet reads
// ("<RFC3339Nano> stdout F <line>") and points kwok's Logs for the pod at
// them.
func (x *Executor) serveLogs(ctx context.Context, pod *corev1.Pod, lines []string) error {
	if err := os.MkdirAll(x.LogDir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	now := time.Now().UTC()
	for i, l := range lines {
		fmt.Fprintf(&b, "%s stdout F %s\n", now.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), l)
	}
	file := filepath.Join(x.LogDir, pod.Namespace+"_"+pod.Name+"_main.log")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		return err
	}
	logs := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1",
		"kind":       "Logs",
		"metadata":   map[string]any{"name": pod.Name, "namespace": pod.Namespace},
		"spec": map[string]any{"logs": []any{
			map[string]any{"containers": []any{mainContainer}, "logsFile": file},
		}},
	}}
	_, err := x.kube.Resource(kwokLogs).Namespace(pod.Namespace).Create(ctx, logs, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// endPod is the kubelet's status update when main (exit o.ExitCode) and
// then wait (0) have exited: phase Succeeded or Failed, containers
// terminated, not ready.
func (x *Executor) endPod(ctx context.Context, pod *corev1.Pod, o Outcome) error {
	now := metav1.Now()
	p, err := x.cs.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for i := range p.Status.ContainerStatuses {
		c := &p.Status.ContainerStatuses[i]
		started := now
		if c.State.Running != nil {
			started = c.State.Running.StartedAt
		}
		t := &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", StartedAt: started, FinishedAt: now, ContainerID: c.ContainerID}
		if c.Name == mainContainer && o.ExitCode != 0 {
			t.ExitCode, t.Reason, t.Message = int32(o.ExitCode), "Error", o.Message
		}
		c.State = corev1.ContainerState{Terminated: t}
		c.Ready, c.Started = false, ptrFalse()
	}
	p.Status.Phase = corev1.PodSucceeded
	if o.ExitCode != 0 {
		p.Status.Phase = corev1.PodFailed
	}
	for i := range p.Status.Conditions {
		c := &p.Status.Conditions[i]
		if c.Type == corev1.PodReady || c.Type == corev1.ContainersReady {
			c.Status, c.Reason, c.LastTransitionTime = corev1.ConditionFalse, "PodCompleted", now
		}
	}
	_, err = x.cs.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	return err
}

func ptrFalse() *bool { f := false; return &f }
