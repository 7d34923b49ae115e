package etl_test

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/sqletl/blueprint/internal/etl"
)

// FailedSteps reads status.nodes as Argo v4.0.5 writes it
// (pkg/apis/workflow/v1alpha1/workflow_types.go: NodeStatus's type,
// displayName, phase, message, children, startedAt; NodeTypeRetry "Retry",
// NodeTypePod "Pod"). The end-to-end run in e2e/argo_test.go checks the
// same against the real controller.
func TestFailedSteps(t *testing.T) {
	node := func(typ, name, phase, msg, started string, children ...any) map[string]any {
		return map[string]any{"type": typ, "displayName": name, "phase": phase, "message": msg, "startedAt": started, "children": children}
	}
	tests := []struct {
		name  string
		nodes map[string]any
		want  []etl.FailedStep
	}{
		{"retried step", map[string]any{
			"wf":   node("DAG", "wf", "Failed", "child 'wf-1' failed", "t0", "wf-1"),
			"wf-1": node("Retry", "daily-summary", "Failed", "No more retries left", "t1", "wf-2", "wf-3"),
			"wf-2": node("Pod", "daily-summary(0)", "Failed", "Error (exit code 1): first", "t2"),
			"wf-3": node("Pod", "daily-summary(1)", "Failed", "Error (exit code 1): last", "t3"),
		}, []etl.FailedStep{{Name: "daily-summary", Phase: "Failed", Message: "Error (exit code 1): last", Attempts: 2}}},
		{"step without retries", map[string]any{
			"a": node("Pod", "merge", "Error", "pods \"x\" is forbidden", "t1"),
			"b": node("Pod", "load", "Succeeded", "", "t0"),
		}, []etl.FailedStep{{Name: "merge", Phase: "Error", Message: "pods \"x\" is forbidden", Attempts: 1}}},
		{"succeeded", map[string]any{"a": node("Pod", "load", "Succeeded", "", "t0")}, nil},
		{"no status", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wf := &unstructured.Unstructured{Object: map[string]any{}}
			if tt.nodes != nil {
				wf.Object["status"] = map[string]any{"nodes": tt.nodes}
			}
			if got := etl.FailedSteps(wf); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FailedSteps = %+v, want %+v", got, tt.want)
			}
		})
	}
	if s := (etl.FailedStep{Name: "daily-summary", Phase: "Failed", Message: "Error (exit code 1)", Attempts: 4}).String(); s != "step daily-summary failed after 4 attempts: Error (exit code 1)" {
		t.Errorf("String = %q", s)
	}
}
