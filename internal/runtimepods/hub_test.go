package runtimepods

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/sqletl/blueprint/internal/helmrelease"
)

const testUser = "etl-admin"

// hubValues reads the chart values the hub sees: values.yaml of the
// rendered Secret "hub".
func hubValues(t *testing.T, manifest []byte) map[string]any {
	t.Helper()
	objs, err := decodeManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	h, err := findHub(objs)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(h.secret["values.yaml"], &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// withHubValues returns the manifest with the Secret "hub" values.yaml
// changed by edit: what the chart renders into that Secret for those
// values, which is all jupyterhub_config.py reads.
func withHubValues(t *testing.T, manifest []byte, edit func(map[string]any)) []byte {
	t.Helper()
	objs, err := decodeManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, o := range objs {
		raw := o.raw
		if o.kind == "Secret" && o.name == "hub" {
			var sec corev1.Secret
			if err := json.Unmarshal(raw, &sec); err != nil {
				t.Fatal(err)
			}
			var v map[string]any
			if err := yaml.Unmarshal(sec.Data["values.yaml"], &v); err != nil {
				t.Fatal(err)
			}
			edit(v)
			y, err := yaml.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			sec.Data["values.yaml"] = y
			if raw, err = json.Marshal(sec); err != nil {
				t.Fatal(err)
			}
		}
		b.WriteString("---\n")
		b.Write(raw)
		b.WriteString("\n")
	}
	return []byte(b.String())
}

func path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// byteSpec is JupyterHub 5.5.0's ByteSpecification (jupyterhub/traitlets.py):
// K, M, G, T are powers of 1024; a bare number is bytes.
func byteSpec(t *testing.T, v any) int64 {
	t.Helper()
	switch x := v.(type) {
	case float64:
		return int64(x)
	case string:
		units := map[byte]float64{'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}
		if u, ok := units[x[len(x)-1]]; ok {
			n, err := strconv.ParseFloat(x[:len(x)-1], 64)
			if err != nil {
				t.Fatal(err)
			}
			return int64(n * u)
		}
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	t.Fatalf("memory %v (%T)", v, v)
	return 0
}

// The user server pods carry what the rendered hub configuration says,
// under both node-group variants and with the cloud-metadata block both as
// rendered and flipped: the builder follows the values, not a fixed answer.
func TestHubUserPods(t *testing.T) {
	if err := EnsurePython(context.Background()); err != nil {
		t.Fatal(err)
	}
	mirror := chartMirror(t)
	for _, v := range variants {
		rendered := render(t, v.yaml)[helmrelease.JupyterHubRelease]
		asRendered, _ := path(hubValues(t, rendered), "singleuser", "cloudMetadata", "blockWithIptables").(bool)
		for _, block := range []bool{asRendered, !asRendered} {
			name := fmt.Sprintf("%s/blockWithIptables=%v", v.name, block)
			if block == asRendered {
				name += " (as rendered)"
			}
			t.Run(name, func(t *testing.T) {
				manifest := rendered
				if block != asRendered {
					manifest = withHubValues(t, rendered, func(vals map[string]any) {
						vals["singleuser"].(map[string]any)["cloudMetadata"].(map[string]any)["blockWithIptables"] = block
					})
				}
				checkHubPods(t, manifest, filepath.Join(mirror, jupyterhubChart), block)
			})
		}
	}
}

func checkHubPods(t *testing.T, manifest []byte, chart string, block bool) {
	vals := hubValues(t, manifest)
	built, err := HubUserPods(context.Background(), manifest, chart, testUser)
	if err != nil {
		t.Fatal(err)
	}
	profiles, _ := path(vals, "singleuser", "profileList").([]any)
	if want := max(len(profiles), 1); len(built) != want {
		t.Fatalf("%d pods, want one per profile (%d)", len(built), want)
	}
	su := vals["singleuser"].(map[string]any)
	image := fmt.Sprintf("%v:%v", path(su, "image", "name"), path(su, "image", "tag"))
	for i, b := range built {
		pod := b.Pod
		t.Run(b.What, func(t *testing.T) {
			if b.Creator != "kubespawner" || pod.Namespace != "jupyter" {
				t.Errorf("creator %q namespace %q", b.Creator, pod.Namespace)
			}
			// KubeSpawner's default pod_name_template jupyter-{user_server}.
			if pod.Name != "jupyter-"+testUser {
				t.Errorf("pod name %q", pod.Name)
			}
			main := pod.Spec.Containers[0]
			if main.Name != "notebook" || main.Image != image {
				t.Errorf("container %s image %q, want notebook %q", main.Name, main.Image, image)
			}
			// The block-cloud-metadata init container appears exactly
			// when the values ask for it (jupyterhub_config.py).
			var inits []string
			for _, c := range pod.Spec.InitContainers {
				inits = append(inits, c.Name)
			}
			hasBlock := len(inits) == 1 && inits[0] == "block-cloud-metadata"
			if hasBlock != block || (!block && len(inits) != 0) {
				t.Errorf("init containers %v with blockWithIptables %v", inits, block)
			}
			if hasBlock {
				sc := pod.Spec.InitContainers[0].SecurityContext
				if sc == nil || sc.Privileged == nil || !*sc.Privileged || len(sc.Capabilities.Add) != 1 || sc.Capabilities.Add[0] != "NET_ADMIN" {
					t.Errorf("block-cloud-metadata security context %+v, want privileged with NET_ADMIN", sc)
				}
			}
			for k, want := range path(su, "nodeSelector").(map[string]any) {
				if pod.Spec.NodeSelector[k] != want {
					t.Errorf("node selector %v, want %s=%v", pod.Spec.NodeSelector, k, want)
				}
			}
			if b.WantLifecycle != pod.Spec.NodeSelector["lifecycle"] || b.WantLifecycle == "" {
				t.Errorf("WantLifecycle %q, node selector %v", b.WantLifecycle, pod.Spec.NodeSelector)
			}
			if sa := path(su, "serviceAccountName"); pod.Spec.ServiceAccountName != sa {
				t.Errorf("service account %q, want %v", pod.Spec.ServiceAccountName, sa)
			}
			sc := main.SecurityContext
			if uid := path(su, "uid").(float64); sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != int64(uid) {
				t.Errorf("runAsUser %+v, want %v", sc, uid)
			}
			if ape, ok := path(su, "allowPrivilegeEscalation").(bool); ok && (sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation != ape) {
				t.Errorf("allowPrivilegeEscalation %v, want %v", sc.AllowPrivilegeEscalation, ape)
			}
			if fs := path(su, "fsGid").(float64); pod.Spec.SecurityContext == nil || *pod.Spec.SecurityContext.FSGroup != int64(fs) {
				t.Errorf("fsGroup %+v, want %v", pod.Spec.SecurityContext, fs)
			}
			if main.Lifecycle == nil || main.Lifecycle.PostStart == nil {
				t.Errorf("postStart hook from singleuser.lifecycleHooks missing")
			}
			checkProfileResources(t, main, profiles, i)
			checkHomeVolume(t, b, su)
		})
	}
}

// checkProfileResources: the profile's kubespawner_override resources
// reach the notebook container.
func checkProfileResources(t *testing.T, c corev1.Container, profiles []any, i int) {
	if len(profiles) == 0 {
		return
	}
	o, _ := path(profiles[i], "kubespawner_override").(map[string]any)
	for _, r := range []struct {
		key  string
		list corev1.ResourceList
		name corev1.ResourceName
	}{
		{"cpu_guarantee", c.Resources.Requests, corev1.ResourceCPU},
		{"cpu_limit", c.Resources.Limits, corev1.ResourceCPU},
		{"mem_guarantee", c.Resources.Requests, corev1.ResourceMemory},
		{"mem_limit", c.Resources.Limits, corev1.ResourceMemory},
	} {
		v, ok := o[r.key]
		if !ok {
			continue
		}
		var want resource.Quantity
		if strings.HasPrefix(r.key, "mem") {
			want = *resource.NewQuantity(byteSpec(t, v), resource.BinarySI)
		} else {
			want = resource.MustParse(strconv.FormatFloat(v.(float64), 'f', -1, 64))
		}
		if got := r.list[r.name]; got.Cmp(want) != 0 {
			t.Errorf("%s: %s = %s, want %s", r.key, r.name, got.String(), want.String())
		}
	}
}

// checkHomeVolume: the dynamic home PVC is returned and mounted.
func checkHomeVolume(t *testing.T, b Built, su map[string]any) {
	if path(su, "storage", "type") != "dynamic" {
		if len(b.Claims) != 0 {
			t.Errorf("claims %v without dynamic storage", b.Claims)
		}
		return
	}
	if len(b.Claims) != 1 {
		t.Fatalf("claims %d, want the home PVC", len(b.Claims))
	}
	pvc := b.Claims[0]
	if pvc.Name != "claim-"+testUser || pvc.Namespace != b.Pod.Namespace {
		t.Errorf("PVC %s/%s", pvc.Namespace, pvc.Name)
	}
	if sc := path(su, "storage", "dynamic", "storageClass"); pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != sc {
		t.Errorf("storage class %v, want %v", pvc.Spec.StorageClassName, sc)
	}
	want := resource.MustParse(path(su, "storage", "capacity").(string))
	if got := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; got.Cmp(want) != 0 {
		t.Errorf("capacity %s, want %s", got.String(), want.String())
	}
	mounted := false
	for _, v := range b.Pod.Spec.Volumes {
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == pvc.Name {
			for _, m := range b.Pod.Spec.Containers[0].VolumeMounts {
				if m.Name == v.Name && m.MountPath == path(su, "storage", "homeMountPath") {
					mounted = true
				}
			}
		}
	}
	if !mounted {
		t.Errorf("home PVC %s is not mounted at %v", pvc.Name, path(su, "storage", "homeMountPath"))
	}
}

// A chart archive whose files differ from the rendered ConfigMap is refused.
func TestHubUserPodsChecksChartFiles(t *testing.T) {
	rendered := render(t, "")[helmrelease.JupyterHubRelease]
	objs, err := decodeManifest(rendered)
	if err != nil {
		t.Fatal(err)
	}
	h, err := findHub(objs)
	if err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join(chartMirror(t), jupyterhubChart)
	if err := sameAsChart(h.config, chart); err != nil {
		t.Fatalf("the rendered ConfigMap should carry the chart's files: %v", err)
	}
	h.config["z2jh.py"] += "\n# edited\n"
	if err := sameAsChart(h.config, chart); err == nil || !strings.Contains(err.Error(), "z2jh.py") {
		t.Errorf("edited z2jh.py accepted: %v", err)
	}
}

// The user pods ask for the scheduler the chart's user-scheduler runs.
func TestUserScheduler(t *testing.T) {
	rendered := render(t, "")[helmrelease.JupyterHubRelease]
	cfg, name, err := UserScheduler(rendered, "/tmp/kubeconfig")
	if err != nil {
		t.Fatal(err)
	}
	if err := EnsurePython(context.Background()); err != nil {
		t.Fatal(err)
	}
	built, err := HubUserPods(context.Background(), rendered, filepath.Join(chartMirror(t), jupyterhubChart), testUser)
	if err != nil {
		t.Fatal(err)
	}
	if built[0].Pod.Spec.SchedulerName != name || name == "" {
		t.Errorf("pods ask for scheduler %q, user-scheduler profile is %q", built[0].Pod.Spec.SchedulerName, name)
	}
	if !strings.Contains(string(cfg), "kubeconfig: /tmp/kubeconfig") || !strings.Contains(string(cfg), "MostAllocated") {
		t.Errorf("config:\n%s", cfg)
	}
	pv := ProvisionedVolume(built[0].Claims[0], "ebs.csi.aws.com")
	if pv.Spec.ClaimRef.Name != built[0].Claims[0].Name || pv.Spec.StorageClassName != *built[0].Claims[0].Spec.StorageClassName {
		t.Errorf("PV %+v", pv.Spec)
	}
}

// An unpacked chart directory serves as well as the archive.
func TestChartFilesFromDirectory(t *testing.T) {
	chart := filepath.Join(chartMirror(t), jupyterhubChart)
	fromArchive, err := chartFiles(chart, "files/hub/")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := extractTarGz(chart, dir); err != nil {
		t.Fatal(err)
	}
	fromDir, err := chartFiles(filepath.Join(dir, "jupyterhub"), "files/hub/")
	if err != nil {
		t.Fatal(err)
	}
	if len(fromArchive) < 2 || len(fromDir) != len(fromArchive) || string(fromDir["z2jh.py"]) != string(fromArchive["z2jh.py"]) {
		t.Errorf("archive %d files, directory %d", len(fromArchive), len(fromDir))
	}
}
