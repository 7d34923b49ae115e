package helmrelease

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	"github.com/sqletl/blueprint/internal/outputs/outputstest"
	"github.com/sqletl/blueprint/internal/workloads"
)

// renderedObjects renders cfg's releases from the real charts and returns
// every object of the named release.
func renderedObjects(t *testing.T, yamlCfg, release string) []map[string]any {
	t.Helper()
	dir := t.TempDir()
	got, err := mirrorReleases(t).Render(context.Background(), parseConfig(t, yamlCfg), outputstest.Sample(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		if r.Release == release && r.Skipped != "" {
			t.Fatalf("%s not rendered: %s", release, r.Skipped)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, release+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	for _, doc := range strings.Split(string(data), "\n---") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err == nil && obj != nil {
			objs = append(objs, obj)
		}
	}
	return objs
}

// hubChartValues is the values.yaml the z2jh chart stores in the hub
// Secret, which the hub's jupyterhub_config.py reads (get_config).
func hubChartValues(t *testing.T, yamlCfg string) map[string]any {
	t.Helper()
	for _, o := range renderedObjects(t, yamlCfg, JupyterHubRelease) {
		md, _ := o["metadata"].(map[string]any)
		if o["kind"] != "Secret" || md["name"] != "hub" {
			continue
		}
		data, _ := o["data"].(map[string]any)
		enc, _ := data["values.yaml"].(string)
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := yaml.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	t.Fatal("the jupyterhub chart rendered no hub Secret with values.yaml")
	return nil
}

// jupyterEnforce is the Pod Security level blueprint's chart enforces on
// the jupyter namespace.
func jupyterEnforce(t *testing.T) psaapi.Level {
	t.Helper()
	for _, o := range renderedObjects(t, "platform: {argoWorkflows: {enabled: false}, jupyterHub: {enabled: false}, clusterAutoscaler: {enabled: false}}", PlatformRelease) {
		md, _ := o["metadata"].(map[string]any)
		if o["kind"] == "Namespace" && md["name"] == workloads.NamespaceJupyter {
			labels, _ := md["labels"].(map[string]any)
			lvl, err := psaapi.ParseLevel(labels[psaapi.EnforceLevelLabel].(string))
			if err != nil {
				t.Fatal(err)
			}
			return lvl
		}
	}
	t.Fatal("no jupyter Namespace rendered")
	return ""
}

// Defect 2: a user server pod passes the jupyter namespace's Pod Security
// level, judged by the admission plugin's own checks
// (k8s.io/pod-security-admission/policy). Its init containers are the ones
// z2jh 4.4.0's files/hub/jupyterhub_config.py adds from the hub's values:
// with singleuser.cloudMetadata.blockWithIptables true (the chart's
// default) a privileged, root, NET_ADMIN "block-cloud-metadata" container
// running iptables, which baseline forbids. The lead's e2e test submits
// the full KubeSpawner pod to the API server.
func TestHubUserPodPassesPodSecurity(t *testing.T) {
	level := jupyterEnforce(t)
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, variant := range []struct{ name, yaml string }{{"default", ""}, {"public", publicYAML}} {
		t.Run(variant.name, func(t *testing.T) {
			vals := hubChartValues(t, variant.yaml)
			su, _ := vals["singleuser"].(map[string]any)
			pod := userPod(t, su)
			results := eval.EvaluatePod(psaapi.LevelVersion{Level: level, Version: psaapi.LatestVersion()}, &pod.ObjectMeta, &pod.Spec)
			if agg := policy.AggregateCheckResults(results); !agg.Allowed {
				t.Errorf("a user server pod violates Pod Security %q: %s: %s", level, agg.ForbiddenReason(), agg.ForbiddenDetail())
			}
		})
	}
}

// userPod is the part of KubeSpawner's pod that Pod Security judges, as
// z2jh's jupyterhub_config.py configures it from the singleuser values:
// the notebook container (uid, allowPrivilegeEscalation), the
// singleuser.initContainers, and block-cloud-metadata when
// cloudMetadata.blockWithIptables is true.
func userPod(t *testing.T, su map[string]any) *corev1.Pod {
	t.Helper()
	f := false
	uid := int64(1000)
	if u, ok := su["uid"].(float64); ok {
		uid = int64(u)
	}
	ape, _ := su["allowPrivilegeEscalation"].(bool)
	f = ape
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "jupyter-etl-admin", Namespace: workloads.NamespaceJupyter},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name:            "notebook",
				SecurityContext: &corev1.SecurityContext{RunAsUser: &uid, AllowPrivilegeEscalation: &f},
			}},
		},
	}
	if inits, ok := su["initContainers"].([]any); ok {
		for _, ic := range inits {
			data, _ := yaml.Marshal(ic)
			var c corev1.Container
			if err := yaml.Unmarshal(data, &c); err != nil {
				t.Fatal(err)
			}
			pod.Spec.InitContainers = append(pod.Spec.InitContainers, c)
		}
	}
	cm, _ := su["cloudMetadata"].(map[string]any)
	if block, _ := cm["blockWithIptables"].(bool); block {
		// jupyterhub_config.py, `if cloud_metadata.get("blockWithIptables") == True`.
		priv, root := true, int64(0)
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, corev1.Container{
			Name:    "block-cloud-metadata",
			Command: []string{"iptables", "--append", "OUTPUT", "--protocol", "tcp", "--destination", cm["ip"].(string), "--destination-port", "80", "--jump", "DROP"},
			SecurityContext: &corev1.SecurityContext{
				Privileged: &priv, RunAsUser: &root,
				Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}},
			},
		})
	}
	return pod
}
