package etl_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/sqletl/blueprint/internal/etl"
	"github.com/sqletl/blueprint/internal/wait"
)

// applyTemplate puts the test WorkflowTemplate and CronWorkflow into ns.
func applyTemplate(t *testing.T, dyn dynamic.Interface, ns string) {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"w.yaml": workflowTemplateYAML, "c.yaml": cronWorkflowYAML})
	if _, err := etl.ApplyArgo(t.Context(), dyn, ns, osDirFS(dir)); err != nil {
		t.Fatal(err)
	}
}

// Run submits a Workflow referencing the template, with the given
// parameters sorted by name; unknown names and templates are errors.
func TestRun(t *testing.T) {
	dyn := argoClient(t)
	ns := env.CreateNamespace(t)
	applyTemplate(t, dyn, ns)

	tests := []struct {
		name       string
		opts       etl.RunOptions
		wantParams []any
		wantErr    string
	}{
		{"no parameters", etl.RunOptions{Name: "contacts"}, nil, ""},
		{"parameters", etl.RunOptions{Name: "contacts", Params: map[string]string{"ETL_CONF_ENV": "prod", "ETL_CONF_DATE": "2025-02-03"}},
			[]any{map[string]any{"name": "ETL_CONF_DATE", "value": "2025-02-03"}, map[string]any{"name": "ETL_CONF_ENV", "value": "prod"}}, ""},
		{"unknown parameter", etl.RunOptions{Name: "contacts", Params: map[string]string{"NOPE": "1"}}, nil,
			`WorkflowTemplate "contacts" has no parameter NOPE; it has: ETL_CONF_DATE, ETL_CONF_ENV`},
		{"unknown template", etl.RunOptions{Name: "taxi"}, nil, `no WorkflowTemplate "taxi" in namespace`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Namespace = ns
			name, err := etl.Run(t.Context(), dyn, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(name, "contacts-") || len(name) <= len("contacts-") {
				t.Fatalf("name = %q, want generated contacts-xxxxx", name)
			}
			wf := mustGet(t, dyn, etl.Workflows, ns, name)
			ref, _, _ := unstructured.NestedString(wf.Object, "spec", "workflowTemplateRef", "name")
			params, _, _ := unstructured.NestedSlice(wf.Object, "spec", "arguments", "parameters")
			if ref != "contacts" {
				t.Errorf("workflowTemplateRef = %q", ref)
			}
			if !slices.EqualFunc(params, tt.wantParams, func(a, b any) bool {
				am, bm := a.(map[string]any), b.(map[string]any)
				return am["name"] == bm["name"] && am["value"] == bm["value"]
			}) {
				t.Errorf("parameters = %v, want %v", params, tt.wantParams)
			}
			if got := wf.GetLabels()[etl.LabelWorkflowTemplate]; got != "contacts" {
				t.Errorf("label %s = %q", etl.LabelWorkflowTemplate, got)
			}
		})
	}
}

// Watch follows status.phase (set here as Argo's controller would) until
// the workflow ends; List reports the runs newest first.
func TestWatchAndList(t *testing.T) {
	dyn := argoClient(t)
	ns := env.CreateNamespace(t)
	applyTemplate(t, dyn, ns)

	setStatus := func(t *testing.T, name string, status map[string]any) {
		t.Helper()
		wf := mustGet(t, dyn, etl.Workflows, ns, name)
		wf.Object["status"] = status
		if _, err := dyn.Resource(etl.Workflows).Namespace(ns).Update(t.Context(), wf, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		final     map[string]any
		wantPhase string
		wantErr   error
	}{
		{"succeeded", map[string]any{"phase": "Succeeded", "startedAt": "2025-01-01T00:00:00Z", "finishedAt": "2025-01-01T00:05:00Z"}, "Succeeded", nil},
		{"failed", map[string]any{"phase": "Failed", "message": "child 'merge' failed"}, "Failed", etl.ErrWorkflowFailed},
	}
	var created []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, err := etl.Run(t.Context(), dyn, etl.RunOptions{Name: "contacts", Namespace: ns})
			if err != nil {
				t.Fatal(err)
			}
			created = append(created, name)
			setStatus(t, name, map[string]any{"phase": "Running"})
			var phases []string
			polls := 0
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			sum, err := etl.Watch(ctx, dyn, ns, name, etl.WatchOptions{
				Backoff: wait.Backoff{Initial: 10 * time.Millisecond, Max: 10 * time.Millisecond, Factor: 1},
				OnPhase: func(p string) {
					phases = append(phases, p)
					if polls++; polls == 1 {
						setStatus(t, name, tt.final)
					}
				},
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if want := []string{"Running", tt.wantPhase}; !slices.Equal(phases, want) {
				t.Errorf("phases = %v, want %v", phases, want)
			}
			if sum.Phase != tt.wantPhase {
				t.Errorf("summary phase = %q", sum.Phase)
			}
		})
	}

	t.Run("list", func(t *testing.T) {
		got, err := etl.List(t.Context(), dyn, ns, "contacts")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range got {
			names = append(names, s.Name+":"+s.Phase)
			if s.Template != "contacts" {
				t.Errorf("%s template = %q", s.Name, s.Template)
			}
		}
		slices.Sort(names)
		want := []string{created[0] + ":Succeeded", created[1] + ":Failed"}
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Fatalf("list = %v, want %v", names, want)
		}
		for _, s := range got {
			if s.Phase == "Succeeded" && (s.Started == nil || s.Finished == nil || s.Finished.Sub(*s.Started) != 5*time.Minute) {
				t.Errorf("times = %v %v", s.Started, s.Finished)
			}
		}
		if other, err := etl.List(t.Context(), dyn, ns, "taxi"); err != nil || len(other) != 0 {
			t.Errorf("list taxi = %v, %v; want none", other, err)
		}
	})
}

// Schedule rewrites spec.schedules after validating the expression; the
// API server's schema agrees on what is valid.
func TestSchedule(t *testing.T) {
	dyn := argoClient(t)
	ns := env.CreateNamespace(t)
	applyTemplate(t, dyn, ns)
	tests := []struct {
		name, cron, cronName, wantErr string
	}{
		{"valid", "30 */2 * * 1-5", "contacts-nightly", ""},
		{"four fields", "0 2 * *", "contacts-nightly", "has 4 fields, want 5"},
		{"minute out of range", "60 2 * * *", "contacts-nightly", "minute field"},
		{"month name", "0 2 * JAN *", "contacts-nightly", `month field "JAN"`},
		{"backwards range", "0 5-2 * * *", "contacts-nightly", "runs backwards"},
		{"bad step", "*/0 * * * *", "contacts-nightly", "not a positive number"},
		{"missing cron workflow", "0 2 * * *", "nope", `no CronWorkflow "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := etl.Schedule(t.Context(), dyn, ns, tt.cronName, tt.cron)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _, _ := unstructured.NestedStringSlice(mustGet(t, dyn, etl.CronWorkflows, ns, tt.cronName).Object, "spec", "schedules")
			if !slices.Equal(got, []string{tt.cron}) {
				t.Fatalf("schedules = %v, want [%s]", got, tt.cron)
			}
		})
	}
}

// Logs finds a workflow's pods by Argo's label and streams each one's
// "main" container log under a header. Without a kubelet the API server
// serves a pod that has no node as an empty log, so the headers show which
// pods were selected, in start order; another workflow's pod is left out.
func TestLogs(t *testing.T) {
	env.Require(t)
	ns := env.CreateNamespace(t)
	cs := kubernetes.NewForConfigOrDie(env.RESTConfig())
	for _, p := range []struct{ name, workflow string }{
		// Created in start order: Logs sorts by creation time, then name.
		{"contacts-abc-load-1", "contacts-abc"}, {"contacts-abc-merge-2", "contacts-abc"}, {"taxi-xyz-main-1", "taxi-xyz"},
	} {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: p.name, Labels: map[string]string{etl.LabelWorkflow: p.workflow}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "arc"}}},
		}
		if _, err := cs.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ workflow, wantOut, wantErr string }{
		{"contacts-abc", "==> contacts-abc-load-1 <==\n==> contacts-abc-merge-2 <==\n", ""},
		{"taxi-xyz", "==> taxi-xyz-main-1 <==\n", ""},
		{"other", "", `workflow "other" in namespace`},
	}
	for _, tt := range tests {
		t.Run(tt.workflow, func(t *testing.T) {
			var out strings.Builder
			err := etl.Logs(t.Context(), cs, ns, tt.workflow, &out)
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if out.String() != tt.wantOut {
				t.Fatalf("out = %q, want %q", out.String(), tt.wantOut)
			}
		})
	}
}
