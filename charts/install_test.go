package charts

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/sqletl/blueprint/internal/kubetest"
	"github.com/sqletl/blueprint/internal/wait"
	"github.com/sqletl/blueprint/internal/workloads"
	"github.com/sqletl/blueprint/manifests"
)

var env *kubetest.Env

func TestMain(m *testing.M) { os.Exit(kubetest.RunShared(m, &env)) }

var workflowTemplates = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflowtemplates"}

// applyWorkflowTemplateCRD applies the one Argo CRD the chart needs (the
// full set is applied by the manifests tests; each CRD costs seconds).
func applyWorkflowTemplateCRD(t *testing.T, ctx context.Context) {
	t.Helper()
	all, err := manifests.ArgoCRDs()
	if err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	for _, o := range all {
		if o.GetName() == "workflowtemplates.argoproj.io" {
			objs = append(objs, o)
		}
	}
	crds := apiextensionsclient.NewForConfigOrDie(env.RESTConfig()).ApiextensionsV1().CustomResourceDefinitions()
	if err := manifests.ApplyCRDs(ctx, crds, wait.Real, objs); err != nil {
		t.Fatal(err)
	}
}

// helmConfig is a Helm action configuration talking to the test API
// server, storing releases as Secrets in ns.
func helmConfig(t *testing.T, ns string) *action.Configuration {
	t.Helper()
	flags := genericclioptions.NewConfigFlags(false)
	kubeconfig, cacheDir := env.KubeconfigPath, t.TempDir()
	flags.KubeConfig = &kubeconfig
	flags.Namespace = &ns
	flags.CacheDir = &cacheDir
	cfg := new(action.Configuration)
	if err := cfg.Init(flags, ns, "secret", t.Logf); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestInstallUpgradeUninstall installs the platform chart with the Helm SDK
// into a real API server, upgrades it with changed values and removes it.
func TestInstallUpgradeUninstall(t *testing.T) {
	env.Require(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	applyWorkflowTemplateCRD(t, ctx)

	cs := kubernetes.NewForConfigOrDie(env.RESTConfig())
	dyn := dynamic.NewForConfigOrDie(env.RESTConfig())
	releaseNS := env.CreateNamespace(t)
	cfg := helmConfig(t, releaseNS)
	chrt, err := Platform()
	if err != nil {
		t.Fatal(err)
	}

	const arcJobV1, arcJobV2 = "arn:aws:iam::123456789012:role/arcjob-v1", "arn:aws:iam::123456789012:role/arcjob-v2"
	v := DefaultPlatformValues()
	v.Roles = Roles{ArcJob: arcJobV1, Notebook: "arn:aws:iam::123456789012:role/notebook"}
	values, err := v.ToMap()
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(cfg)
	install.ReleaseName = "platform"
	install.Namespace = releaseNS
	install.Timeout = time.Minute
	rel, err := install.Run(chrt, values)
	if err != nil {
		t.Fatalf("helm install: %v", err)
	}
	if rel.Info.Status != release.StatusDeployed {
		t.Fatalf("release status %s", rel.Info.Status)
	}

	saAnnotation := func(sa workloads.ServiceAccount) (string, bool) {
		t.Helper()
		got, err := cs.CoreV1().ServiceAccounts(sa.Namespace).Get(ctx, sa.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("service account %s: %v", sa.Subject(), err)
		}
		a, ok := got.Annotations["eks.amazonaws.com/role-arn"]
		return a, ok
	}
	for _, ns := range []string{workloads.NamespaceSpark, workloads.NamespaceJupyter, workloads.NamespaceArgo} {
		got, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("namespace %s: %v", ns, err)
		}
		if got.Labels["app.kubernetes.io/managed-by"] != "Helm" {
			t.Errorf("namespace %s labels %v", ns, got.Labels)
		}
	}
	if a, _ := saAnnotation(workloads.ArcJob); a != arcJobV1 {
		t.Errorf("arcjob role-arn = %q, want %q", a, arcJobV1)
	}
	if _, ok := saAnnotation(workloads.ArgoServer); ok {
		t.Error("argo-server annotated although its role ARN is empty")
	}
	role, err := cs.RbacV1().Roles(workloads.NamespaceSpark).Get(ctx, "arcjob", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(role.String(), "workflowtaskresults") {
		t.Error("arcjob Role lacks workflowtaskresults")
	}
	wt, err := dyn.Resource(workflowTemplates).Namespace(workloads.NamespaceSpark).Get(ctx, "arc-job", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("WorkflowTemplate spark/arc-job not stored: %v", err)
	}
	templates, _, _ := unstructured.NestedSlice(wt.Object, "spec", "templates")
	if len(templates) != 4 {
		t.Errorf("WorkflowTemplate has %d templates, want 4", len(templates))
	}
	if _, err := cs.StorageV1().StorageClasses().Get(ctx, "gp3", metav1.GetOptions{}); err != nil {
		t.Errorf("StorageClass gp3: %v", err)
	}

	// Upgrade: new role ARN, notebook role dropped, no StorageClass, fewer retries.
	v.Roles.ArcJob = arcJobV2
	v.Roles.Notebook = ""
	v.StorageClass.Create = false
	v.Retry.Limit = 1
	values, err = v.ToMap()
	if err != nil {
		t.Fatal(err)
	}
	upgrade := action.NewUpgrade(cfg)
	upgrade.Namespace = releaseNS
	upgrade.Timeout = time.Minute
	rel, err = upgrade.Run("platform", chrt, values)
	if err != nil {
		t.Fatalf("helm upgrade: %v", err)
	}
	if rel.Version != 2 || rel.Info.Status != release.StatusDeployed {
		t.Errorf("after upgrade: version %d status %s", rel.Version, rel.Info.Status)
	}
	if a, _ := saAnnotation(workloads.ArcJob); a != arcJobV2 {
		t.Errorf("after upgrade arcjob role-arn = %q, want %q", a, arcJobV2)
	}
	if a, ok := saAnnotation(workloads.Notebook); ok {
		t.Errorf("after upgrade notebook still annotated %q", a)
	}
	if _, err := cs.StorageV1().StorageClasses().Get(ctx, "gp3", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("StorageClass gp3 after upgrade with create=false: %v, want NotFound", err)
	}
	wt, err = dyn.Resource(workflowTemplates).Namespace(workloads.NamespaceSpark).Get(ctx, "arc-job", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	templates, _, _ = unstructured.NestedSlice(wt.Object, "spec", "templates")
	if limit, _, _ := unstructured.NestedInt64(templates[0].(map[string]any), "retryStrategy", "limit"); limit != 1 {
		t.Errorf("after upgrade retryStrategy.limit = %d, want 1", limit)
	}

	// Uninstall: every object goes; namespaces only start terminating
	// (no namespace controller here).
	uninstall := action.NewUninstall(cfg)
	uninstall.Timeout = time.Minute
	if _, err := uninstall.Run("platform"); err != nil {
		t.Fatalf("helm uninstall: %v", err)
	}
	gone := []struct {
		what string
		get  func() error
	}{
		{"ServiceAccount spark/arcjob", func() error {
			_, err := cs.CoreV1().ServiceAccounts("spark").Get(ctx, "arcjob", metav1.GetOptions{})
			return err
		}},
		{"ServiceAccount argo/argo-ui", func() error {
			_, err := cs.CoreV1().ServiceAccounts("argo").Get(ctx, "argo-ui", metav1.GetOptions{})
			return err
		}},
		{"Role spark/arcjob", func() error {
			_, err := cs.RbacV1().Roles("spark").Get(ctx, "arcjob", metav1.GetOptions{})
			return err
		}},
		{"Role spark/blueprint-argo-ui-readonly", func() error {
			_, err := cs.RbacV1().Roles("spark").Get(ctx, "blueprint-argo-ui-readonly", metav1.GetOptions{})
			return err
		}},
		{"Secret argo/argo-ui.service-account-token", func() error {
			_, err := cs.CoreV1().Secrets("argo").Get(ctx, "argo-ui.service-account-token", metav1.GetOptions{})
			return err
		}},
		{"WorkflowTemplate spark/arc-job", func() error {
			_, err := dyn.Resource(workflowTemplates).Namespace("spark").Get(ctx, "arc-job", metav1.GetOptions{})
			return err
		}},
	}
	for _, g := range gone {
		if err := g.get(); !apierrors.IsNotFound(err) {
			t.Errorf("%s after uninstall: %v, want NotFound", g.what, err)
		}
	}
	for _, ns := range []string{workloads.NamespaceSpark, workloads.NamespaceJupyter, workloads.NamespaceArgo} {
		got, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err == nil && got.DeletionTimestamp == nil {
			t.Errorf("namespace %s not being deleted after uninstall", ns)
		} else if err != nil && !apierrors.IsNotFound(err) {
			t.Error(err)
		}
	}
	if _, err := action.NewHistory(cfg).Run("platform"); err == nil {
		t.Error("release history kept after uninstall")
	}
}

// TestWorkflowTemplateStrict creates the chart's rendered WorkflowTemplate
// with strict field validation (Helm does not ask for it), then broken
// copies of it, which the API server must reject.
func TestWorkflowTemplateStrict(t *testing.T) {
	env.Require(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	applyWorkflowTemplateCRD(t, ctx)
	ns := env.CreateNamespace(t)
	client := dynamic.NewForConfigOrDie(env.RESTConfig()).Resource(workflowTemplates).Namespace(ns)
	strict := metav1.CreateOptions{FieldValidation: "Strict"}

	rendered := func(t *testing.T) *unstructured.Unstructured {
		for _, o := range decodeObjects(t, mustRender(t, fixtureValues(t, "full"))) {
			if o.GetKind() == "WorkflowTemplate" {
				o.SetNamespace(ns)
				return o
			}
		}
		t.Fatal("no WorkflowTemplate rendered")
		return nil
	}
	if _, err := client.Create(ctx, rendered(t), strict); err != nil {
		t.Fatalf("API server rejected the chart's WorkflowTemplate under strict validation: %v", err)
	}

	firstTemplate := func(o *unstructured.Unstructured) map[string]any {
		return o.Object["spec"].(map[string]any)["templates"].([]any)[0].(map[string]any)
	}
	tests := []struct {
		name    string
		edit    func(tpl map[string]any)
		wantErr string
	}{
		{"retry limit as object", func(tpl map[string]any) {
			tpl["retryStrategy"].(map[string]any)["limit"] = map[string]any{"value": int64(3)}
		}, "retryStrategy.limit"},
		{"unknown retry field", func(tpl map[string]any) {
			tpl["retryStrategy"].(map[string]any)["maxRetries"] = int64(3)
		}, "maxRetries"},
		{"node selector value not a string", func(tpl map[string]any) {
			tpl["nodeSelector"] = map[string]any{"lifecycle": map[string]any{"x": "y"}}
		}, "nodeSelector.lifecycle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := rendered(t)
			o.SetName("broken")
			tt.edit(firstTemplate(o))
			_, err := client.Create(ctx, o, strict)
			if err == nil {
				t.Fatal("API server accepted a broken WorkflowTemplate")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error does not name %q: %v", tt.wantErr, err)
			}
		})
	}
}
