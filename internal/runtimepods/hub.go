package runtimepods

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/sqletl/blueprint/internal/upstreamtest"
)

// kubespawnerConfigPy runs the chart's jupyterhub_config.py and prints the
// KubeSpawner configuration it produces.
//
//go:embed kubespawner_config.py
var kubespawnerConfigPy []byte

// hubPrefix is where the hub container mounts its configuration
// (jupyterhub chart 4.4.0 templates/hub/deployment.yaml volumeMounts);
// z2jh.py and jupyterhub_config.py read from it by absolute path.
const hubPrefix = "/usr/local/etc/jupyterhub"

// HubUserPods builds one user server pod per profile of the rendered hub
// configuration, for username, as KubeSpawner builds it: the chart's own
// jupyterhub_config.py (from the rendered ConfigMap "hub", checked equal to
// chartArchive's files/hub/ when chartArchive is not "") runs under
// Debian's python3 with the rendered Secret "hub" as its values, and the
// resulting KubeSpawner settings are assembled as KubeSpawner 7.0.0's
// get_pod_manifest and make_pod do (kubespawner.go). Each Built carries
// the user's home PVC.
//
// The JupyterHub 5.5.0 source (for jupyterhub.utils and
// jupyterhub.traitlets) is upstreamtest.JupyterHubSource:
// $BLUEPRINT_UPSTREAM_SRC/jupyterhub-5.5.0-src.tgz, else shared/upstream-src
// above the working directory.
// EnsurePython installs the Debian packages the script needs.
func HubUserPods(ctx context.Context, renderedHubManifest []byte, chartArchive string, username string) ([]Built, error) {
	settings, namespace, err := hubSettings(ctx, renderedHubManifest, chartArchive)
	if err != nil {
		return nil, err
	}
	return spawnProfiles(settings, namespace, func(string) string { return username })
}

// HubUserPodsPerProfile is HubUserPods with one user per profile, named
// "<userPrefix>-<profile slug>": one user runs one server at a time (the
// pods of HubUserPods share a name and a home PVC), so these can all be
// submitted together.
func HubUserPodsPerProfile(ctx context.Context, renderedHubManifest []byte, chartArchive string, userPrefix string) ([]Built, error) {
	settings, namespace, err := hubSettings(ctx, renderedHubManifest, chartArchive)
	if err != nil {
		return nil, err
	}
	return spawnProfiles(settings, namespace, func(slug string) string { return userPrefix + "-" + slug })
}

// hubSettings runs the chart's hub configuration and returns the spawner
// settings and the namespace user pods go to.
func hubSettings(ctx context.Context, renderedHubManifest []byte, chartArchive string) (*spawnerSettings, string, error) {
	objs, err := decodeManifest(renderedHubManifest)
	if err != nil {
		return nil, "", fmt.Errorf("reading the rendered jupyterhub manifest: %w", err)
	}
	hub, err := findHub(objs)
	if err != nil {
		return nil, "", err
	}
	if chartArchive != "" {
		if err := sameAsChart(hub.config, chartArchive); err != nil {
			return nil, "", err
		}
	}
	jhSource, err := upstreamtest.JupyterHubSource()
	if err != nil {
		return nil, "", err
	}
	settings, err := runHubConfig(ctx, hub, jhSource)
	if err != nil {
		return nil, "", err
	}
	return settings, hub.namespace, nil
}

// hubFiles is what the hub container sees of its configuration.
type hubFiles struct {
	namespace string
	config    map[string]string // ConfigMap "hub": name templates, jupyterhub_config.py, z2jh.py
	secret    map[string][]byte // Secret "hub": values.yaml and seeded secrets
	env       map[string]string // the hub container's environment
}

type object struct {
	kind, name, namespace string
	raw                   []byte
}

func decodeManifest(manifest []byte) ([]object, error) {
	var out []object
	dec := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(manifest)))
	for {
		doc, err := dec.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var meta struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(js, &meta); err != nil || meta.Kind == "" {
			continue // comments-only documents
		}
		out = append(out, object{kind: meta.Kind, name: meta.Metadata.Name, namespace: meta.Metadata.Namespace, raw: js})
	}
}

func find(objs []object, kind, name string) (object, bool) {
	for _, o := range objs {
		if o.kind == kind && o.name == name {
			return o, true
		}
	}
	return object{}, false
}

// findHub reads the ConfigMap and Secret "hub", the hub Deployment's
// environment and the Services whose *_SERVICE_PORT variables Kubernetes
// gives the hub container (jupyterhub_config.py reads them via
// z2jh.get_name_env).
func findHub(objs []object) (*hubFiles, error) {
	h := &hubFiles{config: map[string]string{}, secret: map[string][]byte{}, env: map[string]string{}}
	cmObj, ok := find(objs, "ConfigMap", "hub")
	if !ok {
		return nil, errors.New("rendered jupyterhub manifest has no ConfigMap \"hub\"; pass the jupyterhub release's manifest")
	}
	var cm corev1.ConfigMap
	if err := json.Unmarshal(cmObj.raw, &cm); err != nil {
		return nil, err
	}
	h.config = cm.Data
	secObj, ok := find(objs, "Secret", "hub")
	if !ok {
		return nil, errors.New("rendered jupyterhub manifest has no Secret \"hub\"")
	}
	var sec corev1.Secret
	if err := json.Unmarshal(secObj.raw, &sec); err != nil {
		return nil, err
	}
	for k, v := range sec.Data {
		h.secret[k] = v
	}
	for k, v := range sec.StringData {
		h.secret[k] = []byte(v)
	}
	if _, ok := h.secret["values.yaml"]; !ok {
		return nil, errors.New("Secret \"hub\" has no values.yaml")
	}
	depObj, ok := find(objs, "Deployment", "hub")
	if !ok {
		return nil, errors.New("rendered jupyterhub manifest has no Deployment \"hub\"")
	}
	var dep appsv1.Deployment
	if err := json.Unmarshal(depObj.raw, &dep); err != nil {
		return nil, err
	}
	// Helm leaves namespace to the client; the release namespace is where
	// the hub and its user pods run (jupyterhub_config.py: KubeSpawner.namespace
	// = POD_NAMESPACE).
	h.namespace = firstNonEmpty(depObj.namespace, dep.Namespace, "jupyter")
	for _, c := range dep.Spec.Template.Spec.Containers {
		if c.Name != "hub" {
			continue
		}
		for _, e := range c.Env {
			switch {
			case e.ValueFrom == nil:
				h.env[e.Name] = e.Value
			case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
				h.env[e.Name] = h.namespace
			default:
				// Secret-backed values (the proxy token, blueprint's login)
				// do not shape the user pod; a marker keeps them out of here.
				h.env[e.Name] = "runtimepods-not-read"
			}
		}
	}
	for _, o := range objs {
		if o.kind != "Service" {
			continue
		}
		var svc corev1.Service
		if err := json.Unmarshal(o.raw, &svc); err != nil {
			return nil, err
		}
		if len(svc.Spec.Ports) == 0 {
			continue
		}
		// Kubernetes' service environment variables: {SVCNAME}_SERVICE_HOST
		// and _PORT, upper case, dashes as underscores.
		prefix := strings.ToUpper(strings.ReplaceAll(svc.Name, "-", "_"))
		h.env[prefix+"_SERVICE_HOST"] = firstNonEmpty(svc.Spec.ClusterIP, "10.100.0.10")
		h.env[prefix+"_SERVICE_PORT"] = fmt.Sprint(svc.Spec.Ports[0].Port)
	}
	return h, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" && v != "None" {
			return v
		}
	}
	return ""
}

// sameAsChart checks that the rendered ConfigMap carries the chart's own
// files/hub/jupyterhub_config.py and z2jh.py (templates/hub/configmap.yaml
// globs them in), so what runs is the chart's code.
func sameAsChart(config map[string]string, chartArchive string) error {
	files, err := chartFiles(chartArchive, "files/hub/")
	if err != nil {
		return fmt.Errorf("reading %s: %w", chartArchive, err)
	}
	for _, name := range []string{"jupyterhub_config.py", "z2jh.py"} {
		want, ok := files[name]
		if !ok {
			return fmt.Errorf("%s has no files/hub/%s", chartArchive, name)
		}
		if config[name] != string(want) {
			return fmt.Errorf("ConfigMap \"hub\" %s differs from %s files/hub/%s; render the manifest from that chart", name, chartArchive, name)
		}
	}
	return nil
}

// chartFiles returns the files under dir (e.g. "files/hub/") of a chart
// archive, by base name.
func chartFiles(archive, dir string) (map[string][]byte, error) {
	if st, err := os.Stat(archive); err == nil && st.IsDir() {
		// An unpacked chart directory.
		entries, err := os.ReadDir(filepath.Join(archive, dir))
		if err != nil {
			return nil, err
		}
		out := map[string][]byte{}
		for _, e := range entries {
			if e.Type().IsRegular() {
				b, err := os.ReadFile(filepath.Join(archive, dir, e.Name()))
				if err != nil {
					return nil, err
				}
				out[e.Name()] = b
			}
		}
		return out, nil
	}
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		// <chart name>/files/hub/...
		_, rest, _ := strings.Cut(h.Name, "/")
		if h.Typeflag != tar.TypeReg || !strings.HasPrefix(rest, dir) {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		out[strings.TrimPrefix(rest, dir)] = b
	}
}

// runHubConfig lays out the hub's /usr/local/etc/jupyterhub in a temporary
// directory and runs kubespawner_config.py there.
func runHubConfig(ctx context.Context, h *hubFiles, jhSource string) (*spawnerSettings, error) {
	dir, err := os.MkdirTemp("", "runtimepods-hub-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	prefix := filepath.Join(dir, "etc")
	write := func(rel string, b []byte) error {
		p := filepath.Join(prefix, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, b, 0o600)
	}
	for k, v := range h.config {
		if err := write(filepath.Join("config", k), []byte(v)); err != nil {
			return nil, err
		}
	}
	for k, v := range h.secret {
		if err := write(filepath.Join("secret", k), v); err != nil {
			return nil, err
		}
	}
	// The one change to the chart's code: its absolute configuration path
	// (hubPrefix) becomes the temporary prefix.
	for _, name := range []string{"jupyterhub_config.py", "z2jh.py"} {
		src, ok := h.config[name]
		if !ok {
			return nil, fmt.Errorf("ConfigMap \"hub\" has no %s", name)
		}
		if err := write(name, []byte(strings.ReplaceAll(src, hubPrefix, prefix))); err != nil {
			return nil, err
		}
	}
	// kubernetes_asyncio is not packaged in Debian. jupyterhub_config.py
	// only uses its client model classes (client.V1Container,
	// V1SecurityContext, V1Capabilities), which kubernetes_asyncio generates
	// from the same OpenAPI spec as Debian's python3-kubernetes; this
	// module re-exports the latter's.
	shim := "from kubernetes import client  # noqa: F401 (Debian python3-kubernetes models)\n"
	if err := write(filepath.Join("pylib", "kubernetes_asyncio", "__init__.py"), []byte(shim)); err != nil {
		return nil, err
	}
	jh := filepath.Join(dir, "jupyterhub-src")
	if err := extractTarGz(jhSource, jh); err != nil {
		return nil, fmt.Errorf("JupyterHub 5.5.0 source %s: %w; set $%s to the folder that holds it", jhSource, err, upstreamtest.SourcesEnv)
	}
	script := filepath.Join(dir, "kubespawner_config.py")
	if err := os.WriteFile(script, kubespawnerConfigPy, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, debianPython, script, prefix)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"PYTHONPATH=" + filepath.Join(prefix, "pylib") + string(os.PathListSeparator) + jh,
		"PYTHONDONTWRITEBYTECODE=1"}
	keys := make([]string, 0, len(h.env))
	for k := range h.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+h.env[k])
	}
	cmd.Env = env
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("running the chart's jupyterhub_config.py: %w: %s", err, lastLines(stderr.String(), 15))
	}
	// The chart's config prints progress ("Loading ...") before the marker.
	_, out, ok := bytes.Cut(stdout.Bytes(), []byte("--- runtimepods: kubespawner settings ---\n"))
	if !ok {
		return nil, fmt.Errorf("kubespawner_config.py printed no settings: %s", lastLines(stdout.String()+stderr.String(), 15))
	}
	var s spawnerSettings
	if err := json.Unmarshal(out, &s); err != nil {
		return nil, fmt.Errorf("reading KubeSpawner settings: %w", err)
	}
	return &s, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func extractTarGz(archive, dst string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(dst, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				return err
			}
		}
	}
}
