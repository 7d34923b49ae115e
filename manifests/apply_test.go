package manifests

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/sqletl/blueprint/internal/kubetest"
	"github.com/sqletl/blueprint/internal/wait"
)

var env *kubetest.Env

func TestMain(m *testing.M) { os.Exit(kubetest.RunShared(m, &env)) }

var workflowTemplates = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflowtemplates"}

const validTemplate = `
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: ok
spec:
  entrypoint: main
  templates:
    - name: main
      retryStrategy:
        limit: 2
        retryPolicy: OnError
        backoff: {duration: 10s, factor: 2}
      container:
        image: busybox:1.36
        command: [echo, hi]
`

func TestApplyArgoCRDs(t *testing.T) {
	env.Require(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	crds := apiextensionsclient.NewForConfigOrDie(env.RESTConfig()).ApiextensionsV1().CustomResourceDefinitions()
	for _, run := range []string{"create", "again (no-op)"} {
		start := time.Now()
		if err := ApplyArgoCRDs(ctx, crds, wait.Real); err != nil {
			t.Fatal(err)
		}
		t.Logf("ApplyArgoCRDs %s: %s", run, time.Since(start).Round(time.Millisecond))
	}
	got, err := crds.Get(ctx, "workflowtemplates.argoproj.io", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !established(got) {
		t.Error("workflowtemplates CRD not Established")
	}
	if got.Generation != 1 {
		t.Errorf("second apply rewrote the CRD (generation %d)", got.Generation)
	}

	ns := env.CreateNamespace(t)
	dyn := dynamic.NewForConfigOrDie(env.RESTConfig()).Resource(workflowTemplates).Namespace(ns)
	strict := metav1.CreateOptions{FieldValidation: "Strict"}
	if _, err := dyn.Create(ctx, parse(t, validTemplate), strict); err != nil {
		t.Fatalf("valid WorkflowTemplate rejected: %v", err)
	}

	tests := []struct {
		name    string
		edit    func(tpl map[string]any)
		wantErr string
	}{
		{
			name:    "retry limit is an object",
			edit:    func(tpl map[string]any) { tpl["retryStrategy"].(map[string]any)["limit"] = map[string]any{"max": 3} },
			wantErr: "retryStrategy.limit",
		},
		{
			name:    "unknown retry policy",
			edit:    func(tpl map[string]any) { tpl["retryStrategy"].(map[string]any)["retryPolicy"] = "Sometimes" },
			wantErr: "retryStrategy.retryPolicy",
		},
		{
			name:    "unknown field",
			edit:    func(tpl map[string]any) { tpl["retryStrategi"] = map[string]any{"limit": 1} },
			wantErr: "retryStrategi",
		},
		{
			name:    "container command not a list",
			edit:    func(tpl map[string]any) { tpl["container"].(map[string]any)["command"] = "echo hi" },
			wantErr: "container.command",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := parse(t, validTemplate)
			obj.SetName("broken")
			tt.edit(obj.Object["spec"].(map[string]any)["templates"].([]any)[0].(map[string]any))
			_, err := dyn.Create(ctx, obj, strict)
			if err == nil {
				t.Fatal("API server accepted a broken WorkflowTemplate")
			}
			if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
				t.Errorf("error is %v, want Invalid or BadRequest", apierrors.ReasonForError(err))
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error does not name %q: %v", tt.wantErr, err)
			}
		})
	}
}

func parse(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}
