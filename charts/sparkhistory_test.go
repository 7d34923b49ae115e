package charts

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/sqletl/blueprint/internal/workloads"
)

func sparkHistoryValues(t *testing.T) (PlatformValues, map[string]any) {
	t.Helper()
	v := DefaultPlatformValues()
	v.LogsBucket = "blueprint-logs-abc123"
	v.Roles.SparkHistory = "arn:aws:iam::123456789012:role/spark-history"
	m, err := v.ToMap()
	if err != nil {
		t.Fatal(err)
	}
	return v, m
}

// The History Server reads the prefix the jobs write, runs the jobs' image
// on the on-demand nodes with its own IRSA role, and its pod passes Pod
// Security's baseline and restricted levels as evaluated by the upstream
// admission library (k8s.io/pod-security-admission v0.37.0, the checks
// the API server's PodSecurity admission runs).
func TestSparkHistory(t *testing.T) {
	v, m := sparkHistoryValues(t)
	manifest := mustRender(t, m)
	var dep *appsv1.Deployment
	sa := ""
	for _, o := range decodeObjects(t, manifest) {
		switch {
		case o.GetKind() == "Deployment" && o.GetName() == "spark-history":
			dep = &appsv1.Deployment{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, dep); err != nil {
				t.Fatal(err)
			}
		case o.GetKind() == "ServiceAccount" && o.GetName() == workloads.SparkHistory.Name && o.GetNamespace() == workloads.SparkHistory.Namespace:
			sa = o.GetAnnotations()["eks.amazonaws.com/role-arn"]
		}
	}
	if dep == nil {
		t.Fatal("no spark-history Deployment rendered")
	}
	if sa != v.Roles.SparkHistory {
		t.Errorf("spark-history service account role-arn = %q, want %q", sa, v.Roles.SparkHistory)
	}
	pod := dep.Spec.Template.Spec
	if dep.Namespace != workloads.SparkHistory.Namespace || pod.ServiceAccountName != workloads.SparkHistory.Name {
		t.Errorf("runs as %s/%s, want %s", dep.Namespace, pod.ServiceAccountName, workloads.SparkHistory.Subject())
	}
	if pod.NodeSelector[workloads.LifecycleLabel] != workloads.LifecycleOnDemand {
		t.Errorf("nodeSelector %v, want the on-demand group", pod.NodeSelector)
	}
	c := pod.Containers[0]
	if c.Image != v.Images.Arc {
		t.Errorf("image %s, want the jobs' image %s", c.Image, v.Images.Arc)
	}
	opts := ""
	for _, e := range c.Env {
		if e.Name == "SPARK_HISTORY_OPTS" {
			opts = e.Value
		}
	}
	logDir := "s3a://blueprint-logs-abc123/" + SparkEventsPrefix + "/"
	if !strings.Contains(opts, "-Dspark.history.fs.logDirectory="+logDir+" ") {
		t.Errorf("SPARK_HISTORY_OPTS %q does not read %s", opts, logDir)
	}
	if !strings.Contains(manifest, "--conf=spark.eventLog.dir="+logDir+"\n") || !strings.Contains(manifest, "--conf=spark.eventLog.enabled=true") {
		t.Errorf("arc-job does not write event logs to %s", logDir)
	}
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, level := range []psaapi.Level{psaapi.LevelBaseline, psaapi.LevelRestricted} {
		lv := psaapi.LevelVersion{Level: level, Version: psaapi.LatestVersion()}
		for _, r := range eval.EvaluatePod(lv, &dep.Spec.Template.ObjectMeta, &pod) {
			if !r.Allowed {
				t.Errorf("Pod Security %s: %s: %s", level, r.ForbiddenReason, r.ForbiddenDetail)
			}
		}
	}
}

// With sparkHistory.enabled false nothing is rendered and jobs write no
// event logs; by default (blueprint render, no stack outputs) both show,
// with the bucket as a placeholder.
func TestSparkHistoryOff(t *testing.T) {
	_, m := sparkHistoryValues(t)
	m["sparkHistory"].(map[string]any)["enabled"] = false
	out := mustRender(t, m)
	if strings.Contains(out, "spark-history") || strings.Contains(out, "spark.eventLog") {
		t.Error("History Server or event logging rendered while off")
	}
	out = mustRender(t, map[string]any{})
	if !strings.Contains(out, "name: spark-history") || !strings.Contains(out, "--conf=spark.eventLog.dir=s3a://<logs bucket>/spark-events/") {
		t.Error("default render lacks the History Server or event logging")
	}
}

// The real API server's PodSecurity admission (enforce: restricted, the
// stricter level; the chart's namespaces enforce baseline) admits the
// History Server's pod, and rejects it once made privileged (so the
// namespace really enforces).
func TestSparkHistoryPodAdmitted(t *testing.T) {
	env.Require(t)
	cs := kubernetes.NewForConfigOrDie(env.RESTConfig())
	ns := env.CreateNamespace(t)
	nsObj, err := cs.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nsObj.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
	if _, err := cs.CoreV1().Namespaces().Update(t.Context(), nsObj, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, m := sparkHistoryValues(t)
	var dep *appsv1.Deployment
	for _, o := range decodeObjects(t, mustRender(t, m)) {
		if o.GetKind() == "Deployment" && o.GetName() == "spark-history" {
			dep = &appsv1.Deployment{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, dep); err != nil {
				t.Fatal(err)
			}
		}
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "spark-history", Labels: dep.Spec.Template.Labels}, Spec: dep.Spec.Template.Spec}
	pod.Spec.ServiceAccountName = "" // the service account lives in the chart's namespace, not this one
	if _, err := cs.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("PodSecurity rejected the History Server pod: %v", err)
	}
	bad := pod.DeepCopy()
	bad.Name = "spark-history-privileged"
	bad.Spec.Containers[0].SecurityContext.Privileged = ptr(true)
	if _, err := cs.CoreV1().Pods(ns).Create(t.Context(), bad, metav1.CreateOptions{}); err == nil {
		t.Error("a privileged pod was admitted: the namespace does not enforce Pod Security")
	}
}

func ptr[T any](v T) *T { return &v }
