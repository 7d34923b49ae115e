package runtimepods

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The versions z2jh 4.4.0's hub image runs (images/hub/requirements.txt of
// jupyterhub/zero-to-jupyterhub-k8s tag 4.4.0: jupyterhub==5.5.0,
// jupyterhub-kubespawner==7.0.0). Every "KubeSpawner" reference below is
// to jupyterhub/kubespawner tag 7.0.0.
const (
	kubespawnerVersion = "7.0.0"
	jupyterhubVersion  = "5.5.0"
)

// spawnerSettings is the traitlets configuration jupyterhub_config.py
// leaves for the spawner classes.
type spawnerSettings struct {
	KubeSpawner map[string]any `json:"KubeSpawner"`
	Spawner     map[string]any `json:"Spawner"`
}

// traits merges the sections as traitlets does for a KubeSpawner: the
// parent class's section (Spawner) first, the class's own on top.
func (s *spawnerSettings) traits() map[string]any {
	out := map[string]any{}
	for k, v := range s.Spawner {
		out[k] = v
	}
	for k, v := range s.KubeSpawner {
		out[k] = v
	}
	return deepCopy(out).(map[string]any)
}

// spawnProfiles builds the pod and PVC for each profile, as
// KubeSpawner.load_user_options with user_options {"profile": slug}
// followed by get_pvc_manifest and get_pod_manifest.
func spawnProfiles(s *spawnerSettings, namespace string, usernameFor func(slug string) string) ([]Built, error) {
	base := s.traits()
	profiles, err := initializedProfiles(base["profile_list"])
	if err != nil {
		return nil, err
	}
	if len(profiles) == 0 {
		profiles = []map[string]any{{"slug": "", "display_name": "default"}}
	}
	var out []Built
	for _, p := range profiles {
		t := deepCopy(base).(map[string]any)
		if o, ok := p["kubespawner_override"].(map[string]any); ok {
			applyOverrides(t, o)
		}
		if opts, ok := p["profile_options"].(map[string]any); ok && len(opts) > 0 {
			return nil, fmt.Errorf("profile %v: profile_options are not supported by runtimepods yet", p["slug"])
		}
		sp := &spawner{t: t, namespace: firstNonEmpty(str(t["namespace"]), namespace), username: usernameFor(str(p["slug"]))}
		pod, pvc, err := sp.manifests()
		if err != nil {
			return nil, fmt.Errorf("profile %v: %w", p["slug"], err)
		}
		b := Built{
			Pod:           *pod,
			Creator:       "kubespawner",
			What:          fmt.Sprintf("hub user server, profile %v", p["slug"]),
			WantLifecycle: pod.Spec.NodeSelector[lifecycleLabel],
		}
		if pvc != nil {
			b.Claims = []corev1.PersistentVolumeClaim{*pvc}
		}
		out = append(out, b)
	}
	return out, nil
}

// initializedProfiles is KubeSpawner._get_initialized_profile_list: a
// missing slug is slugify(display_name) (python-slugify), and the first
// profile is the default when none is.
func initializedProfiles(v any) ([]map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("KubeSpawner.profile_list is %T, want a list (a callable is not supported)", v)
	}
	var out []map[string]any
	for i, x := range list {
		p, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("profile_list[%d] is %T, want a mapping", i, x)
		}
		if _, ok := p["slug"]; !ok {
			p["slug"] = slugify(str(p["display_name"]))
		}
		out = append(out, p)
	}
	return out, nil
}

var nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)

// slugify is python-slugify's default: lower case, runs of anything but
// letters and digits become one "-", trimmed.
func slugify(s string) string {
	return strings.Trim(nonAlnum.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// applyOverrides is KubeSpawner._apply_overrides: a dict merges into a dict
// trait (utils.recursive_update, None deletes a key), anything else replaces it.
func applyOverrides(t map[string]any, o map[string]any) {
	for k, v := range o {
		if vm, ok := v.(map[string]any); ok {
			if tm, ok := t[k].(map[string]any); ok {
				recursiveUpdate(tm, vm)
				continue
			}
		}
		t[k] = v
	}
}

func recursiveUpdate(target, changes map[string]any) {
	for k, v := range changes {
		switch vv := v.(type) {
		case map[string]any:
			sub, ok := target[k].(map[string]any)
			if !ok {
				sub = map[string]any{}
				target[k] = sub
			}
			recursiveUpdate(sub, vv)
		case nil:
			delete(target, k)
		default:
			target[k] = v
		}
	}
}

// spawner holds one KubeSpawner's resolved traits.
type spawner struct {
	t         map[string]any
	namespace string
	username  string
	podName   string
	pvcName   string
}

// trait returns the configured value or KubeSpawner's default.
func (s *spawner) trait(name string) any {
	if v, ok := s.t[name]; ok {
		return v
	}
	// Defaults of the traits get_pod_manifest reads that z2jh may leave
	// unset (KubeSpawner spawner.py; JupyterHub 5.5.0 spawner.py for port
	// and args).
	switch name {
	case "pod_name_template":
		return "jupyter-{user_server}"
	case "pvc_name_template":
		return "claim-{user_server}"
	case "component_label":
		return "singleuser-server"
	case "storage_access_modes":
		return []any{"ReadWriteOnce"}
	case "allow_privilege_escalation":
		return false
	case "slug_scheme":
		return "safe"
	case "port":
		return float64(8888) // KubeSpawner.__init__: port 0 becomes 8888
	}
	return nil
}

// manifests is get_pvc_manifest and get_pod_manifest (which calls
// objects.make_pod / make_pvc).
func (s *spawner) manifests() (*corev1.Pod, *corev1.PersistentVolumeClaim, error) {
	if sc := str(s.trait("slug_scheme")); sc != "safe" {
		return nil, nil, fmt.Errorf("KubeSpawner.slug_scheme %q is not supported (only \"safe\")", sc)
	}
	var err error
	// KubeSpawner.__init__ expands pod_name then pvc_name.
	if s.podName, err = s.expand(str(s.trait("pod_name_template"))); err != nil {
		return nil, nil, err
	}
	if s.pvcName, err = s.expand(str(s.trait("pvc_name_template"))); err != nil {
		return nil, nil, err
	}
	pod, err := s.makePod()
	if err != nil {
		return nil, nil, err
	}
	var pvc *corev1.PersistentVolumeClaim
	// KubeSpawner._start creates the PVC when storage_pvc_ensure is set
	// (z2jh sets it for singleuser.storage.type dynamic).
	if b, _ := s.trait("storage_pvc_ensure").(bool); b {
		if pvc, err = s.makePVC(); err != nil {
			return nil, nil, err
		}
	}
	return pod, pvc, nil
}

// expand is KubeSpawner._expand_user_properties for the default server
// (no server name) under the "safe" slug scheme.
func (s *spawner) expand(template string) (string, error) {
	safeUser := safeSlug(s.username, isValidObjectName, 48)
	if len(safeUser)+2 > 48 {
		return "", fmt.Errorf("username %q needs KubeSpawner's multi_slug, which runtimepods does not implement; use a shorter username", s.username)
	}
	hubNS := s.namespace
	if hubNS == "default" {
		hubNS = "user"
	}
	ns := map[string]string{
		"userid":               "1",
		"unescaped_username":   s.username,
		"unescaped_servername": "",
		"hubnamespace":         hubNS,
		"username":             safeUser,
		"servername":           "",
		"user_server":          safeUser,
		"safe_username":        safeUser,
		"safe_servername":      "",
		"safe_user_server":     safeUser,
		"pod_name":             firstNonEmpty(s.podName, "pod_name_unavailable!"),
		"pvc_name":             firstNonEmpty(s.pvcName, "pvc_name_unavailable!"),
		"namespace":            s.namespace,
	}
	var errOut error
	rendered := templateField.ReplaceAllStringFunc(template, func(m string) string {
		v, ok := ns[m[1:len(m)-1]]
		if !ok {
			errOut = fmt.Errorf("template %q: field %s is not supported by runtimepods", template, m)
		}
		return v
	})
	if errOut != nil {
		return "", errOut
	}
	// "strip trailing - delimiter in case of empty servername"
	if !strings.HasSuffix(template, "-") {
		rendered = strings.TrimRight(rendered, "-")
	}
	return rendered, nil
}

var templateField = regexp.MustCompile(`\{[a-z_]+\}`)

// expandAll is KubeSpawner._expand_all: every string in a structure.
func (s *spawner) expandAll(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return s.expand(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = s.expandAll(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			var err error
			if out[k], err = s.expandAll(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

// sortedDictValues is KubeSpawner._sorted_dict_values.
func sortedDictValues(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]any, 0, len(m))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

// listTrait is a list-or-dict trait as make_pod receives it: dict values
// sorted by key, optionally expanded.
func (s *spawner) listTrait(name string, expand bool) (any, error) {
	v := sortedDictValues(s.trait(name))
	if expand {
		return s.expandAll(v)
	}
	return v, nil
}

func (s *spawner) labels(extra any) (map[string]string, error) {
	l := map[string]string{"hub.jupyter.org/username": safeSlug(s.username, isValidLabel, 0)}
	ex, err := s.expandAll(extra)
	if err != nil {
		return nil, err
	}
	for k, v := range asMap(ex) {
		l[k] = str(v)
	}
	for k, v := range asMap(s.trait("common_labels")) {
		l[k] = str(v)
	}
	return l, nil
}

func (s *spawner) annotations(extra any) (map[string]string, error) {
	a := map[string]string{
		"hub.jupyter.org/username":            s.username,
		"hub.jupyter.org/kubespawner-version": kubespawnerVersion,
		"hub.jupyter.org/jupyterhub-version":  jupyterhubVersion,
	}
	ex, err := s.expandAll(extra)
	if err != nil {
		return nil, err
	}
	for k, v := range asMap(ex) {
		a[k] = str(v)
	}
	return a, nil
}

// makePod is get_pod_manifest + objects.make_pod.
func (s *spawner) makePod() (*corev1.Pod, error) {
	labels, err := s.labels(s.trait("extra_labels"))
	if err != nil {
		return nil, err
	}
	// _build_pod_labels
	labels["app.kubernetes.io/component"] = str(s.trait("component_label"))
	labels["component"] = str(s.trait("component_label"))
	labels["hub.jupyter.org/servername"] = safeSlug("", isValidLabel, 0)
	annotations, err := s.annotations(s.trait("extra_annotations"))
	if err != nil {
		return nil, err
	}
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: s.podName, Namespace: s.namespace, Labels: labels, Annotations: annotations},
		Spec:       corev1.PodSpec{RestartPolicy: corev1.RestartPolicyOnFailure},
	}
	spec := &pod.Spec
	if err := decodeInto(s.trait("image_pull_secrets"), &spec.ImagePullSecrets, imagePullSecretRefs); err != nil {
		return nil, fmt.Errorf("image_pull_secrets: %w", err)
	}
	if ns := asMap(s.trait("node_selector")); len(ns) > 0 {
		spec.NodeSelector = map[string]string{}
		for k, v := range ns {
			spec.NodeSelector[k] = str(v)
		}
	}

	// Pod security context: fs_gid, supplemental_gids, then
	// pod_security_context on top.
	psc := map[string]any{}
	if v := s.trait("fs_gid"); v != nil {
		psc["fsGroup"] = v
	}
	if v, ok := s.trait("supplemental_gids").([]any); ok && len(v) > 0 {
		psc["supplementalGroups"] = v
	}
	for k, v := range asMap(s.trait("pod_security_context")) {
		psc[k] = v
	}
	if len(psc) > 0 {
		if err := decodeInto(psc, &spec.SecurityContext, nil); err != nil {
			return nil, fmt.Errorf("pod security context: %w", err)
		}
	}
	// Container security context: uid, gid, privileged,
	// allow_privilege_escalation (None leaves it unset), then
	// container_security_context on top.
	csc := map[string]any{}
	if v := s.trait("uid"); v != nil {
		csc["runAsUser"] = v
	}
	if v := s.trait("gid"); v != nil {
		csc["runAsGroup"] = v
	}
	if b, _ := s.trait("privileged").(bool); b {
		csc["privileged"] = true
	}
	if v := s.trait("allow_privilege_escalation"); v != nil {
		csc["allowPrivilegeEscalation"] = v
	}
	for k, v := range asMap(s.trait("container_security_context")) {
		csc[k] = v
	}

	env, err := s.env()
	if err != nil {
		return nil, err
	}
	port := int32(num(s.trait("port")))
	c := corev1.Container{
		Name:            "notebook",
		Image:           str(s.trait("image")),
		WorkingDir:      str(s.trait("working_dir")),
		Ports:           []corev1.ContainerPort{{Name: "notebook-port", ContainerPort: port}},
		Env:             env,
		ImagePullPolicy: corev1.PullPolicy(str(s.trait("image_pull_policy"))),
	}
	// get_pod_manifest: cmd + get_args() when cmd is set; otherwise the
	// image's command. Spawner.cmd is a Command trait: a string is one word.
	if cmd := commandTrait(s.trait("cmd")); len(cmd) > 0 {
		c.Args = append(cmd, commandTrait(s.trait("args"))...)
	}
	if lh := asMap(s.trait("lifecycle_hooks")); len(lh) > 0 {
		if err := decodeInto(lh, &c.Lifecycle, nil); err != nil {
			return nil, fmt.Errorf("lifecycle_hooks: %w", err)
		}
	}
	mounts, err := s.listTrait("volume_mounts", true)
	if err != nil {
		return nil, err
	}
	if err := decodeInto(mounts, &c.VolumeMounts, nil); err != nil {
		return nil, fmt.Errorf("volume_mounts: %w", err)
	}
	if len(csc) > 0 {
		if err := decodeInto(csc, &c.SecurityContext, nil); err != nil {
			return nil, fmt.Errorf("container security context: %w", err)
		}
	}
	if sa := s.trait("service_account"); sa != nil {
		v, err := s.expandAll(sa)
		if err != nil {
			return nil, err
		}
		spec.ServiceAccountName = str(v)
	}
	switch am := s.trait("automount_service_account_token").(type) {
	case nil:
		// "make sure that we don't accidentally give access to the whole
		// kubernetes API to the users in the spawned pods"
		if s.trait("service_account") == nil {
			f := false
			spec.AutomountServiceAccountToken = &f
		}
	case bool:
		spec.AutomountServiceAccountToken = &am
	}
	c.Resources.Requests = corev1.ResourceList{}
	c.Resources.Limits = corev1.ResourceList{}
	if err := setQuantity(c.Resources.Requests, corev1.ResourceCPU, s.trait("cpu_guarantee")); err != nil {
		return nil, err
	}
	if err := setQuantity(c.Resources.Requests, corev1.ResourceMemory, s.trait("mem_guarantee")); err != nil {
		return nil, err
	}
	for k, v := range asMap(s.trait("extra_resource_guarantees")) {
		if err := setQuantity(c.Resources.Requests, corev1.ResourceName(k), v); err != nil {
			return nil, err
		}
	}
	if err := setQuantity(c.Resources.Limits, corev1.ResourceCPU, s.trait("cpu_limit")); err != nil {
		return nil, err
	}
	if err := setQuantity(c.Resources.Limits, corev1.ResourceMemory, s.trait("mem_limit")); err != nil {
		return nil, err
	}
	for k, v := range asMap(s.trait("extra_resource_limits")) {
		if err := setQuantity(c.Resources.Limits, corev1.ResourceName(k), v); err != nil {
			return nil, err
		}
	}
	if ec := asMap(s.trait("extra_container_config")); len(ec) > 0 {
		if err := updateModel(&c, ec); err != nil {
			return nil, fmt.Errorf("extra_container_config: %w", err)
		}
	}
	spec.Containers = []corev1.Container{c}
	extra, err := s.listTrait("extra_containers", true)
	if err != nil {
		return nil, err
	}
	var extraContainers []corev1.Container
	if err := decodeInto(extra, &extraContainers, nil); err != nil {
		return nil, fmt.Errorf("extra_containers: %w", err)
	}
	spec.Containers = append(spec.Containers, extraContainers...)
	tol, _ := s.listTrait("tolerations", false)
	if err := decodeInto(tol, &spec.Tolerations, nil); err != nil {
		return nil, fmt.Errorf("tolerations: %w", err)
	}
	inits, err := s.listTrait("init_containers", true)
	if err != nil {
		return nil, err
	}
	if err := decodeInto(inits, &spec.InitContainers, nil); err != nil {
		return nil, fmt.Errorf("init_containers: %w", err)
	}
	vols, err := s.listTrait("volumes", true)
	if err != nil {
		return nil, err
	}
	if err := decodeInto(vols, &spec.Volumes, nil); err != nil {
		return nil, fmt.Errorf("volumes: %w", err)
	}
	spec.SchedulerName = str(s.trait("scheduler_name"))
	if err := s.affinity(spec); err != nil {
		return nil, err
	}
	spec.PriorityClassName = str(s.trait("priority_class_name"))
	if epc := asMap(s.trait("extra_pod_config")); len(epc) > 0 {
		x, err := s.expandAll(epc)
		if err != nil {
			return nil, err
		}
		if err := updateModel(spec, x.(map[string]any)); err != nil {
			return nil, fmt.Errorf("extra_pod_config: %w", err)
		}
	}
	return pod, nil
}

func (s *spawner) affinity(spec *corev1.PodSpec) error {
	get := func(name string) any { return sortedDictValues(s.trait(name)) }
	na, nr := asList(get("node_affinity_preferred")), asList(get("node_affinity_required"))
	pa, pr := asList(get("pod_affinity_preferred")), asList(get("pod_affinity_required"))
	aa, ar := asList(get("pod_anti_affinity_preferred")), asList(get("pod_anti_affinity_required"))
	aff := map[string]any{}
	if len(na)+len(nr) > 0 {
		n := map[string]any{}
		if len(nr) > 0 {
			n["requiredDuringSchedulingIgnoredDuringExecution"] = map[string]any{"nodeSelectorTerms": nr}
		}
		if len(na) > 0 {
			n["preferredDuringSchedulingIgnoredDuringExecution"] = na
		}
		aff["nodeAffinity"] = n
	}
	podTerms := func(pref, req []any) map[string]any {
		p := map[string]any{}
		if len(pref) > 0 {
			p["preferredDuringSchedulingIgnoredDuringExecution"] = pref
		}
		if len(req) > 0 {
			p["requiredDuringSchedulingIgnoredDuringExecution"] = req
		}
		return p
	}
	if len(pa)+len(pr) > 0 {
		aff["podAffinity"] = podTerms(pa, pr)
	}
	if len(aa)+len(ar) > 0 {
		aff["podAntiAffinity"] = podTerms(aa, ar)
	}
	if len(aff) == 0 {
		return nil
	}
	return decodeInto(aff, &spec.Affinity, nil)
}

// env is KubeSpawner.get_env: JupyterHub's Spawner.get_env, then
// JUPYTER_IMAGE_SPEC and JUPYTER_IMAGE, then the expanded environment
// trait; make_pod sorts the variables so that $(VAR) references resolve.
//
// Spawner.get_env's own variables (JUPYTERHUB_API_TOKEN, _API_URL,
// _OAUTH_*, ...) come from the running hub and are left out: they decide
// nothing about admission or scheduling.
func (s *spawner) env() ([]corev1.EnvVar, error) {
	envs := map[string]any{}
	img := str(s.trait("image"))
	envs["JUPYTER_IMAGE_SPEC"] = img
	envs["JUPYTER_IMAGE"] = img
	for k, v := range asMap(s.trait("environment")) {
		switch v.(type) {
		case string, []any, map[string]any:
			x, err := s.expandAll(v)
			if err != nil {
				return nil, err
			}
			envs[k] = x
		}
	}
	type entry struct {
		key  string
		env  corev1.EnvVar
		deps map[string]bool
	}
	var unsorted []entry
	for k, v := range envs {
		var e corev1.EnvVar
		if m, ok := v.(map[string]any); ok {
			if _, ok := m["name"]; !ok {
				m["name"] = k
			}
			if err := decodeInto(m, &e, nil); err != nil {
				return nil, fmt.Errorf("environment %s: %w", k, err)
			}
		} else {
			e = corev1.EnvVar{Name: k, Value: str(v)}
		}
		deps := map[string]bool{}
		for _, m := range envRef.FindAllStringSubmatch(e.Value, -1) {
			if m[1] != e.Name {
				deps[m[1]] = true
			}
		}
		unsorted = append(unsorted, entry{key: k, env: e, deps: deps})
	}
	byKey := func(es []entry) {
		sort.Slice(es, func(i, j int) bool { return es[i].key < es[j].key })
	}
	var sorted []corev1.EnvVar
	resolved := map[string]bool{}
	for {
		var ready, rest []entry
		for _, e := range unsorted {
			ok := true
			for d := range e.deps {
				if !resolved[d] {
					ok = false
				}
			}
			if ok {
				ready = append(ready, e)
			} else {
				rest = append(rest, e)
			}
		}
		if len(ready) == 0 {
			byKey(rest)
			for _, e := range rest {
				sorted = append(sorted, e.env)
			}
			return sorted, nil
		}
		byKey(ready)
		for _, e := range ready {
			sorted = append(sorted, e.env)
			resolved[e.env.Name] = true
		}
		unsorted = rest
	}
}

var envRef = regexp.MustCompile(`\$\(([^)]+)\)`)

// makePVC is get_pvc_manifest + objects.make_pvc.
func (s *spawner) makePVC() (*corev1.PersistentVolumeClaim, error) {
	labels, err := s.labels(s.trait("storage_extra_labels"))
	if err != nil {
		return nil, err
	}
	labels["app.kubernetes.io/component"] = str(s.trait("component_label"))
	labels["component"] = "singleuser-storage"
	annotations, err := s.annotations(s.trait("storage_extra_annotations"))
	if err != nil {
		return nil, err
	}
	pvc := &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{Kind: "PersistentVolumeClaim", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: s.pvcName, Namespace: s.namespace, Labels: labels, Annotations: annotations},
	}
	for _, m := range asList(s.trait("storage_access_modes")) {
		pvc.Spec.AccessModes = append(pvc.Spec.AccessModes, corev1.PersistentVolumeAccessMode(str(m)))
	}
	capacity := str(s.trait("storage_capacity"))
	q, err := resource.ParseQuantity(capacity)
	if err != nil {
		return nil, fmt.Errorf("storage_capacity %q: %w", capacity, err)
	}
	pvc.Spec.Resources.Requests = corev1.ResourceList{corev1.ResourceStorage: q}
	if sc := s.trait("storage_class"); sc != nil {
		name := str(sc)
		pvc.Annotations["volume.beta.kubernetes.io/storage-class"] = name
		pvc.Spec.StorageClassName = &name
	}
	sel, err := s.expandAll(s.trait("storage_selector"))
	if err != nil {
		return nil, err
	}
	if m := asMap(sel); len(m) > 0 {
		if err := decodeInto(m, &pvc.Spec.Selector, nil); err != nil {
			return nil, fmt.Errorf("storage_selector: %w", err)
		}
	}
	return pvc, nil
}

// safeSlug is kubespawner/slugs.py safe_slug: a valid name is kept, any
// other (or one holding "--") becomes strip_and_hash.
func safeSlug(name string, valid func(string) bool, maxLength int) string {
	if !strings.Contains(name, "--") && valid(name) && (maxLength == 0 || len(name) <= maxLength) {
		return name
	}
	if maxLength == 0 {
		maxLength = 32
	}
	// strip_and_hash: {safe name}---{first 8 hex of sha256}
	sum := sha256.Sum256([]byte(name))
	return extractSafeName(name, maxLength-(8+3)) + "---" + hex.EncodeToString(sum[:])[:8]
}

func extractSafeName(name string, maxLength int) string {
	safe := strings.TrimLeft(nonAlnum.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(safe) > maxLength {
		safe = safe[:maxLength]
	}
	safe = strings.TrimRight(safe, "-")
	if safe != "" && !(safe[0] >= 'a' && safe[0] <= 'z') {
		if len(safe) > maxLength-2 {
			safe = safe[:maxLength-2]
		}
		safe = "x-" + safe
	}
	if safe == "" {
		safe = "x"
	}
	return safe
}

var (
	objectPattern = regexp.MustCompile(`^[a-z0-9-]+$`)
	labelPattern  = regexp.MustCompile(`(?i)^[a-z0-9._-]+$`)
)

// isValidObjectName: 1-63 characters, [a-z0-9-], starts with a letter,
// ends with a letter or digit.
func isValidObjectName(s string) bool {
	return len(s) >= 1 && len(s) <= 63 && objectPattern.MatchString(s) &&
		s[0] >= 'a' && s[0] <= 'z' && isAlnumLower(s[len(s)-1])
}

// isValidLabel: empty, or up to 63 of [A-Za-z0-9._-] starting and ending
// alphanumeric.
func isValidLabel(s string) bool {
	if s == "" {
		return true
	}
	alnum := func(b byte) bool { return isAlnumLower(b) || (b >= 'A' && b <= 'Z') }
	return len(s) <= 63 && labelPattern.MatchString(s) && alnum(s[0]) && alnum(s[len(s)-1])
}

func isAlnumLower(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') }

// imagePullSecretRefs: make_pod accepts "name" or {"name": ...} items.
func imagePullSecretRefs(v any) any {
	var out []any
	for _, x := range asList(v) {
		if s, ok := x.(string); ok {
			out = append(out, map[string]any{"name": s})
		} else {
			out = append(out, x)
		}
	}
	return out
}

// updateModel is objects.update_k8s_model: each key (snake_case or
// camelCase) replaces that field of the target.
func updateModel(target any, changes map[string]any) error {
	b, err := json.Marshal(target)
	if err != nil {
		return err
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for k, v := range changes {
		m[camelCase(k)] = v
	}
	return decodeInto(m, target, nil)
}

func camelCase(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// decodeInto converts a JSON-shaped value (camelCase keys, as the chart
// and kubernetes' sanitize_for_serialization give them) into a typed
// Kubernetes object; nil leaves target alone.
func decodeInto(v any, target any, conv func(any) any) error {
	if v == nil {
		return nil
	}
	if l, ok := v.([]any); ok && len(l) == 0 {
		return nil
	}
	if conv != nil {
		v = conv(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	return dec.Decode(target)
}

// setQuantity sets a resource when make_pod would ("if cpu_guarantee:"):
// numbers (cpu 0.5, memory in bytes) and strings as Kubernetes parses them.
func setQuantity(l corev1.ResourceList, name corev1.ResourceName, v any) error {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case float64:
		if x == 0 {
			return nil
		}
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		if x == "" {
			return nil
		}
		s = x
	default:
		return fmt.Errorf("resource %s: %v (%T) is not a quantity", name, v, v)
	}
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return fmt.Errorf("resource %s: %w", name, err)
	}
	l[name] = q
	return nil
}

// commandTrait is JupyterHub's Command trait: a string is one argument.
func commandTrait(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, str(e))
		}
		return out
	}
	return nil
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}
