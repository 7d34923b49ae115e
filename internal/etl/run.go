package etl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/sqletl/blueprint/internal/wait"
)

// Labels Argo puts on workflows and their pods.
const (
	LabelWorkflow         = "workflows.argoproj.io/workflow"
	LabelWorkflowTemplate = "workflows.argoproj.io/workflow-template"
	LabelCronWorkflow     = "workflows.argoproj.io/cron-workflow"
)

// DefaultNamespace is where the jobs run (the Arc job service account's).
const DefaultNamespace = "spark"

// RunOptions are the inputs of Run.
type RunOptions struct {
	// Name of the WorkflowTemplate to run.
	Name      string
	Namespace string
	// Params override the template's arguments.parameters by name.
	Params map[string]string
}

// Run submits a Workflow from the WorkflowTemplate o.Name and returns the
// Workflow's generated name. Unknown parameter names are an error listing
// the template's.
func Run(ctx context.Context, kube dynamic.Interface, o RunOptions) (string, error) {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	tmpl, err := kube.Resource(WorkflowTemplates).Namespace(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", fmt.Errorf("no WorkflowTemplate %q in namespace %q; run 'blueprint jobs push' first", o.Name, o.Namespace)
	}
	if err != nil {
		return "", fmt.Errorf("reading WorkflowTemplate %q: %w", o.Name, err)
	}
	if err := checkServiceAccount(ctx, kube, tmpl, o.Namespace); err != nil {
		return "", err
	}
	known := templateParams(tmpl)
	var unknown []string
	for k := range o.Params {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return "", fmt.Errorf("WorkflowTemplate %q has no parameter %s; it has: %s", o.Name, strings.Join(unknown, ", "), strings.Join(known, ", "))
	}

	var params []any
	for _, k := range slices.Sorted(maps.Keys(o.Params)) {
		params = append(params, map[string]any{"name": k, "value": o.Params[k]})
	}
	spec := map[string]any{"workflowTemplateRef": map[string]any{"name": o.Name}}
	if len(params) > 0 {
		spec["arguments"] = map[string]any{"parameters": params}
	}
	wf := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Workflow",
		"metadata": map[string]any{
			"generateName": o.Name + "-",
			"namespace":    o.Namespace,
			"labels":       map[string]any{LabelWorkflowTemplate: o.Name},
		},
		"spec": spec,
	}}
	created, err := kube.Resource(Workflows).Namespace(o.Namespace).Create(ctx, wf, metav1.CreateOptions{FieldManager: FieldManager})
	if err != nil {
		return "", fmt.Errorf("submitting a Workflow from %q: %w", o.Name, err)
	}
	return created.GetName(), nil
}

// templateParams lists the names of spec.arguments.parameters.
func templateParams(tmpl *unstructured.Unstructured) []string {
	ps, _, _ := unstructured.NestedSlice(tmpl.Object, "spec", "arguments", "parameters")
	var names []string
	for _, p := range ps {
		if m, ok := p.(map[string]any); ok {
			if n, ok := m["name"].(string); ok {
				names = append(names, n)
			}
		}
	}
	return names
}

// Workflow phases (status.phase).
const (
	PhasePending   = "Pending"
	PhaseRunning   = "Running"
	PhaseSucceeded = "Succeeded"
	PhaseFailed    = "Failed"
	PhaseError     = "Error"
)

// ErrWorkflowFailed is wrapped by Watch when the workflow ends Failed or Error.
var ErrWorkflowFailed = errors.New("workflow failed")

// WatchOptions tune Watch; zero values are fine.
type WatchOptions struct {
	Backoff wait.Backoff
	Clock   wait.Clock
	// OnPhase is called when the phase changes (for progress on stderr).
	OnPhase func(phase string)
	// PickupTimeout ends the watch with ErrNotPickedUp when no workflow
	// controller has started the workflow by then (default
	// DefaultPickupTimeout; negative: wait as long as ctx).
	PickupTimeout time.Duration
}

// Watch polls the Workflow until it ends, bounded by ctx. It returns the
// final summary; a Failed or Error workflow also returns an error wrapping
// ErrWorkflowFailed with Argo's message.
func Watch(ctx context.Context, kube dynamic.Interface, namespace, name string, o WatchOptions) (*WorkflowSummary, error) {
	if o.Backoff.Initial == 0 {
		o.Backoff = wait.Backoff{Initial: 2 * time.Second, Max: 15 * time.Second, Factor: 1.5}
	}
	if o.PickupTimeout == 0 {
		o.PickupTimeout = DefaultPickupTimeout
	}
	clk := o.Clock
	if clk == nil {
		clk = wait.Real
	}
	start := clk.Now()
	var last string
	var sum *WorkflowSummary
	err := wait.Until(ctx, fmt.Sprintf("workflow %q", name), o.Backoff, o.Clock, func(ctx context.Context) (bool, error) {
		wf, err := kube.Resource(Workflows).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("reading workflow %q: %w", name, err)
		}
		s := summarize(wf)
		sum = &s
		if o.PickupTimeout > 0 && notPickedUp(wf) && clk.Now().Sub(start) >= o.PickupTimeout {
			return true, pickupError(namespace, name, o.PickupTimeout)
		}
		if s.Phase != last && o.OnPhase != nil {
			o.OnPhase(s.Phase)
		}
		last = s.Phase
		switch s.Phase {
		case PhaseSucceeded:
			return true, nil
		case PhaseFailed, PhaseError:
			return true, fmt.Errorf("%w: %s", ErrWorkflowFailed, failureMessage(wf, s))
		}
		return false, nil
	})
	return sum, err
}

// WorkflowSummary is one row of `jobs list`.
type WorkflowSummary struct {
	Name     string     `json:"name"`
	Template string     `json:"template,omitempty"`
	Phase    string     `json:"phase"`
	Message  string     `json:"message,omitempty"`
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
	// Duration is Finished - Started, for finished runs (e.g. "1m5s").
	Duration string `json:"duration,omitempty"`
}

func summarize(wf *unstructured.Unstructured) WorkflowSummary {
	s := WorkflowSummary{Name: wf.GetName()}
	s.Template, _, _ = unstructured.NestedString(wf.Object, "spec", "workflowTemplateRef", "name")
	s.Phase, _, _ = unstructured.NestedString(wf.Object, "status", "phase")
	if s.Phase == "" {
		s.Phase = PhasePending
	}
	s.Message, _, _ = unstructured.NestedString(wf.Object, "status", "message")
	s.Started = nestedTime(wf, "status", "startedAt")
	s.Finished = nestedTime(wf, "status", "finishedAt")
	if s.Started != nil && s.Finished != nil {
		s.Duration = s.Finished.Sub(*s.Started).Round(time.Second).String()
	}
	return s
}

func nestedTime(u *unstructured.Unstructured, fields ...string) *time.Time {
	v, ok, _ := unstructured.NestedString(u.Object, fields...)
	if !ok || v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil
	}
	return &t
}

// List returns the workflows in namespace, newest first; template, when
// set, keeps only the runs of that WorkflowTemplate.
func List(ctx context.Context, kube dynamic.Interface, namespace, template string) ([]WorkflowSummary, error) {
	opts := metav1.ListOptions{}
	if template != "" {
		opts.LabelSelector = LabelWorkflowTemplate + "=" + template
	}
	list, err := kube.Resource(Workflows).Namespace(namespace).List(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("listing workflows in %q: %w", namespace, err)
	}
	type row struct {
		s       WorkflowSummary
		created time.Time
	}
	rows := make([]row, 0, len(list.Items))
	for i := range list.Items {
		rows = append(rows, row{summarize(&list.Items[i]), list.Items[i].GetCreationTimestamp().Time})
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return strings.Compare(a.s.Name, b.s.Name)
	})
	out := make([]WorkflowSummary, len(rows))
	for i := range rows {
		out[i] = rows[i].s
	}
	return out, nil
}

// Logs writes the "main" container logs of every pod of the workflow, in
// start order, each under a "==> pod <==" header.
func Logs(ctx context.Context, kube kubernetes.Interface, namespace, workflow string, w io.Writer) error {
	pods, err := kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelWorkflow + "=" + workflow})
	if err != nil {
		return fmt.Errorf("listing pods of workflow %q: %w", workflow, err)
	}
	if len(pods.Items) == 0 {
		return fmt.Errorf("workflow %q in namespace %q has no pods (yet); see 'blueprint jobs list'", workflow, namespace)
	}
	items := pods.Items
	slices.SortStableFunc(items, func(a, b corev1.Pod) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	for _, p := range items {
		fmt.Fprintf(w, "==> %s <==\n", p.Name)
		rc, err := kube.CoreV1().Pods(namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: "main"}).Stream(ctx)
		if err != nil {
			return fmt.Errorf("logs of pod %q: %w", p.Name, err)
		}
		_, err = io.Copy(w, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("logs of pod %q: %w", p.Name, err)
		}
	}
	return nil
}

// Schedule sets the CronWorkflow's schedule. Argo 3.6+ reads
// spec.schedules (a list); the merge patch replaces it with the one cron
// expression.
func Schedule(ctx context.Context, kube dynamic.Interface, namespace, name, cron string) error {
	if err := ValidateCron(cron); err != nil {
		return err
	}
	patch := fmt.Sprintf(`{"spec":{"schedules":[%s]}}`, strconv.Quote(cron))
	_, err := kube.Resource(CronWorkflows).Namespace(namespace).Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: FieldManager})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("no CronWorkflow %q in namespace %q; run 'blueprint jobs push' first", name, namespace)
	}
	if err != nil {
		return fmt.Errorf("scheduling CronWorkflow %q: %w", name, err)
	}
	return nil
}

var cronFields = []struct {
	name     string
	min, max int
}{
	{"minute", 0, 59},
	{"hour", 0, 23},
	{"day of month", 1, 31},
	{"month", 1, 12},
	{"day of week", 0, 7},
}

// ValidateCron checks a standard 5-field cron expression (minute hour
// day-of-month month day-of-week; numbers, lists, ranges, steps, * and ?).
// That is the form the CronWorkflow CRD's schema accepts: month and weekday
// names would be rejected by the API server, so they are rejected here with
// a clearer message.
func ValidateCron(expr string) error {
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return fmt.Errorf("cron %q has %d fields, want 5 (minute hour day-of-month month day-of-week), e.g. \"0 2 * * *\"", expr, len(fields))
	}
	for i, f := range fields {
		spec := cronFields[i]
		for part := range strings.SplitSeq(f, ",") {
			if err := cronPart(part, spec.min, spec.max); err != nil {
				return fmt.Errorf("cron %q: %s field %q: %v", expr, spec.name, f, err)
			}
		}
	}
	return nil
}

func cronPart(part string, lo, hi int) error {
	rng, step, hasStep := strings.Cut(part, "/")
	if hasStep {
		n, err := strconv.Atoi(step)
		if err != nil || n < 1 {
			return fmt.Errorf("step %q is not a positive number", step)
		}
	}
	if rng == "*" || rng == "?" {
		return nil
	}
	a, b, isRange := strings.Cut(rng, "-")
	av, err := cronValue(a, lo, hi)
	if err != nil {
		return err
	}
	if !isRange {
		return nil
	}
	bv, err := cronValue(b, lo, hi)
	if err != nil {
		return err
	}
	if bv < av {
		return fmt.Errorf("range %q runs backwards", rng)
	}
	return nil
}

func cronValue(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is outside %d-%d", n, lo, hi)
	}
	return n, nil
}
