package runtimepods

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Every "Argo" reference below is to argoproj/argo-workflows tag v4.0.6
// (argo-helm chart 1.0.18; identical in v4.0.5 for these files):
// workflow/controller/workflowpod.go createWorkflowPod and the functions
// it calls, workflow/common/common.go for names.
const (
	argoLabelWorkflow       = "workflows.argoproj.io/workflow"
	argoLabelCompleted      = "workflows.argoproj.io/completed"
	argoAnnotationNodeName  = "workflows.argoproj.io/node-name"
	argoAnnotationNodeID    = "workflows.argoproj.io/node-id"
	argoAnnotationDefaultCt = "kubectl.kubernetes.io/default-container"
	argoVarRunArgo          = "/var/run/argo"
)

// argoController is what of the workflow controller's flags and
// ConfigMap shapes a pod.
type argoController struct {
	executorImage, executorPullPolicy string
	logLevel, gLogLevel, logFormat    string
	executor                          argoExecutor
	mainContainer                     *corev1.Container
	instanceID                        string
}

// argoExecutor is the ConfigMap's executor: key (config.Config.Executor).
type argoExecutor struct {
	Image           string                      `json:"image"`
	ImagePullPolicy string                      `json:"imagePullPolicy"`
	Resources       corev1.ResourceRequirements `json:"resources"`
	SecurityContext *corev1.SecurityContext     `json:"securityContext"`
	Args            []string                    `json:"args"`
	Env             []corev1.EnvVar             `json:"env"`
}

// defaultArgoController is a controller started with no flags and an
// empty ConfigMap: executor image quay.io/argoproj/argoexec:<version>
// (workflow/controller/config.go executorImage), log level info, glog 0,
// format text (cmd/workflow-controller/main.go flag defaults).
func defaultArgoController(version string) argoController {
	return argoController{
		executorImage: "quay.io/argoproj/argoexec:" + version,
		logLevel:      "info", gLogLevel: "0", logFormat: "text",
	}
}

// readArgoController reads the controller Deployment's flags and its
// ConfigMap from the rendered argo-workflows release.
func readArgoController(manifest []byte, version string) (argoController, error) {
	c := defaultArgoController(version)
	objs, err := decodeManifest(manifest)
	if err != nil {
		return c, err
	}
	var cmName string
	found := false
	for _, o := range objs {
		if o.kind != "Deployment" {
			continue
		}
		var d struct {
			Spec struct {
				Template struct {
					Spec corev1.PodSpec `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		if err := json.Unmarshal(o.raw, &d); err != nil {
			return c, err
		}
		for _, ct := range d.Spec.Template.Spec.Containers {
			if len(ct.Command) == 0 || ct.Command[0] != "workflow-controller" {
				continue
			}
			found = true
			for i := 0; i+1 < len(ct.Args); i++ {
				v := ct.Args[i+1]
				switch ct.Args[i] {
				case "--configmap":
					cmName = v
				case "--executor-image":
					c.executorImage = v
				case "--executor-image-pull-policy":
					c.executorPullPolicy = v
				case "--loglevel":
					c.logLevel = v
				case "--gloglevel":
					c.gLogLevel = v
				case "--log-format":
					c.logFormat = v
				}
			}
		}
	}
	if !found {
		return c, errors.New("no workflow-controller Deployment in the rendered argo-workflows manifest")
	}
	cm, ok := find(objs, "ConfigMap", cmName)
	if !ok {
		return c, fmt.Errorf("no ConfigMap %q (the controller's --configmap) in the rendered argo-workflows manifest", cmName)
	}
	var data struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(cm.raw, &data); err != nil {
		return c, err
	}
	var cfg struct {
		Executor         *argoExecutor     `json:"executor"`
		MainContainer    *corev1.Container `json:"mainContainer"`
		InstanceID       string            `json:"instanceID"`
		WorkflowDefaults json.RawMessage   `json:"workflowDefaults"`
		KubeConfig       json.RawMessage   `json:"kubeConfig"`
	}
	if err := yaml.Unmarshal([]byte(data.Data["config"]), &cfg); err != nil {
		return c, fmt.Errorf("ConfigMap %s config: %w", cmName, err)
	}
	if len(cfg.WorkflowDefaults) > 0 && string(cfg.WorkflowDefaults) != "null" {
		return c, fmt.Errorf("ConfigMap %s sets workflowDefaults, which runtimepods does not merge yet", cmName)
	}
	if len(cfg.KubeConfig) > 0 && string(cfg.KubeConfig) != "null" {
		return c, fmt.Errorf("ConfigMap %s sets kubeConfig, which runtimepods does not model", cmName)
	}
	if cfg.Executor != nil {
		c.executor = *cfg.Executor
		if c.executor.Image != "" && !hasFlag(objs, "--executor-image") {
			c.executorImage = c.executor.Image
		}
		if c.executorPullPolicy == "" {
			c.executorPullPolicy = c.executor.ImagePullPolicy
		}
	}
	c.mainContainer = cfg.MainContainer
	c.instanceID = cfg.InstanceID
	return c, nil
}

func hasFlag(objs []object, flag string) bool {
	for _, o := range objs {
		if o.kind == "Deployment" && strings.Contains(string(o.raw), `"`+flag+`"`) {
			return true
		}
	}
	return false
}

// wfTemplate is the part of an Argo template that shapes its pod.
type wfTemplate struct {
	Name   string `json:"name"`
	Inputs struct {
		Parameters []struct {
			Name  string  `json:"name"`
			Value *string `json:"value"`
		} `json:"parameters"`
		Artifacts json.RawMessage `json:"artifacts"`
	} `json:"inputs"`
	Metadata struct {
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	NodeSelector                 map[string]string          `json:"nodeSelector"`
	Affinity                     *corev1.Affinity           `json:"affinity"`
	Tolerations                  []corev1.Toleration        `json:"tolerations"`
	SchedulerName                string                     `json:"schedulerName"`
	PriorityClassName            string                     `json:"priorityClassName"`
	SecurityContext              *corev1.PodSecurityContext `json:"securityContext"`
	ServiceAccountName           string                     `json:"serviceAccountName"`
	AutomountServiceAccountToken *bool                      `json:"automountServiceAccountToken"`
	Volumes                      []corev1.Volume            `json:"volumes"`
	Container                    *corev1.Container          `json:"container"`
	ActiveDeadlineSeconds        json.RawMessage            `json:"activeDeadlineSeconds"`
	PodSpecPatch                 string                     `json:"podSpecPatch"`
	InitContainers               json.RawMessage            `json:"initContainers"`
	Sidecars                     json.RawMessage            `json:"sidecars"`
	Executor                     json.RawMessage            `json:"executor"`
	Script                       json.RawMessage            `json:"script"`
	raw                          map[string]any
}

// wfSpec is the part of a WorkflowTemplate's spec that shapes its pods.
type wfSpec struct {
	ServiceAccountName           string                        `json:"serviceAccountName"`
	AutomountServiceAccountToken *bool                         `json:"automountServiceAccountToken"`
	NodeSelector                 map[string]string             `json:"nodeSelector"`
	Affinity                     *corev1.Affinity              `json:"affinity"`
	Tolerations                  []corev1.Toleration           `json:"tolerations"`
	SchedulerName                string                        `json:"schedulerName"`
	PodPriorityClassName         string                        `json:"podPriorityClassName"`
	SecurityContext              *corev1.PodSecurityContext    `json:"securityContext"`
	ImagePullSecrets             []corev1.LocalObjectReference `json:"imagePullSecrets"`
	HostAliases                  []corev1.HostAlias            `json:"hostAliases"`
	DNSPolicy                    *corev1.DNSPolicy             `json:"dnsPolicy"`
	DNSConfig                    *corev1.PodDNSConfig          `json:"dnsConfig"`
	PodMetadata                  *struct {
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"podMetadata"`
	PodGC                 json.RawMessage `json:"podGC"`
	PodSpecPatch          string          `json:"podSpecPatch"`
	ActiveDeadlineSeconds json.RawMessage `json:"activeDeadlineSeconds"`
	Executor              json.RawMessage `json:"executor"`
	Volumes               []corev1.Volume `json:"volumes"`
	HostNetwork           *bool           `json:"hostNetwork"`
	Arguments             struct {
		Parameters []struct {
			Name  string  `json:"name"`
			Value *string `json:"value"`
		} `json:"parameters"`
	} `json:"arguments"`
	Templates []json.RawMessage `json:"templates"`
}

func unsupported(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

// argoPod builds the pod Argo's controller creates for the root node of a
// Workflow submitted from the WorkflowTemplate (argo submit --from
// workflowtemplate/<name> --entrypoint <template>): the Workflow's spec is
// the template's, and its only node is named after the Workflow, so the
// pod is named after it too (workflow/util/pod_name.go GeneratePodName:
// "if workflowName == nodeName return workflowName"; Workflow.NodeID
// likewise). params are the submitted arguments.
func argoPod(ctl argoController, namespace, wfName string, spec *wfSpec, tmpl *wfTemplate, params map[string]string) (*corev1.Pod, error) {
	switch {
	case tmpl.Container == nil:
		return nil, fmt.Errorf("template %s: only container templates are supported", tmpl.Name)
	case tmpl.PodSpecPatch != "" || spec.PodSpecPatch != "":
		return nil, fmt.Errorf("template %s: podSpecPatch is not supported by runtimepods", tmpl.Name)
	case unsupported(tmpl.InitContainers) || unsupported(tmpl.Sidecars) || unsupported(tmpl.Script):
		return nil, fmt.Errorf("template %s: initContainers, sidecars and scripts are not supported by runtimepods", tmpl.Name)
	case unsupported(tmpl.Executor) || unsupported(spec.Executor):
		return nil, fmt.Errorf("template %s: executor.serviceAccountName is not supported by runtimepods", tmpl.Name)
	case unsupported(tmpl.Inputs.Artifacts):
		return nil, fmt.Errorf("template %s: input artifacts are not supported by runtimepods", tmpl.Name)
	case unsupported(tmpl.ActiveDeadlineSeconds) || unsupported(spec.ActiveDeadlineSeconds) || unsupported(spec.PodGC):
		return nil, fmt.Errorf("template %s: activeDeadlineSeconds and podGC are not supported by runtimepods", tmpl.Name)
	}
	// executeTemplate substitutes {{inputs.parameters.*}} and
	// {{workflow.*}} in the template before createWorkflowPod.
	vars := map[string]string{"workflow.name": wfName, "workflow.namespace": namespace}
	for _, p := range tmpl.Inputs.Parameters {
		v, ok := params[p.Name]
		if !ok && p.Value != nil {
			v, ok = *p.Value, true
		}
		if !ok {
			return nil, fmt.Errorf("template %s: input parameter %s has no value; pass it", tmpl.Name, p.Name)
		}
		vars["inputs.parameters."+p.Name] = v
	}
	main, err := substituteContainer(*tmpl.Container, vars)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", tmpl.Name, err)
	}
	main.Name = "main"
	if ctl.mainContainer != nil {
		return nil, errors.New("the controller ConfigMap's mainContainer defaults are not supported by runtimepods")
	}
	nodeName, nodeID := wfName, wfName

	pod := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        wfName,
			Namespace:   namespace,
			Labels:      map[string]string{argoLabelWorkflow: wfName, argoLabelCompleted: "false"},
			Annotations: map[string]string{argoAnnotationNodeName: nodeName, argoAnnotationNodeID: nodeID},
			// Argo sets a controller OwnerReference to the Workflow. With no
			// Workflow object behind it, the garbage collector would delete
			// the pod, so it is left out.
		},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			// createVolumes: var-run-argo, tmp-dir-argo, then the template's.
			Volumes: append([]corev1.Volume{
				{Name: "var-run-argo", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "tmp-dir-argo", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			}, tmpl.Volumes...),
			ImagePullSecrets: spec.ImagePullSecrets,
		},
	}
	if spec.HostNetwork != nil {
		pod.Spec.HostNetwork = *spec.HostNetwork
	}
	if spec.DNSPolicy != nil {
		pod.Spec.DNSPolicy = *spec.DNSPolicy
	}
	pod.Spec.DNSConfig = spec.DNSConfig
	if ctl.instanceID != "" {
		pod.Labels["workflows.argoproj.io/controller-instanceid"] = ctl.instanceID
	}
	// setupServiceAccount
	pod.Spec.ServiceAccountName = firstNonEmpty(tmpl.ServiceAccountName, spec.ServiceAccountName)
	automount := tmpl.AutomountServiceAccountToken
	if automount == nil {
		automount = spec.AutomountServiceAccountToken
	}
	if automount != nil && !*automount {
		return nil, fmt.Errorf("template %s: automountServiceAccountToken false needs executor.serviceAccountName, which runtimepods does not support", tmpl.Name)
	}

	logOpts := []string{"--loglevel", ctl.logLevel, "--log-format", ctl.logFormat, "--gloglevel", ctl.gLogLevel}
	execEnv := []corev1.EnvVar{
		{Name: "ARGO_POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
		{Name: "ARGO_POD_UID", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.uid"}}},
		{Name: "ARGO_WORKFLOW_NAME", Value: wfName},
		// The Workflow's UID, known once it is created.
		{Name: "ARGO_WORKFLOW_UID", Value: ""},
	}
	if ctl.instanceID != "" {
		execEnv = append(execEnv, corev1.EnvVar{Name: "ARGO_INSTANCE_ID", Value: ctl.instanceID})
	}
	execEnv = append(execEnv, ctl.executor.Env...)
	newExec := func(name string, cmd ...string) corev1.Container {
		return corev1.Container{
			Name:            name,
			Image:           ctl.executorImage,
			ImagePullPolicy: corev1.PullPolicy(ctl.executorPullPolicy),
			Env:             append([]corev1.EnvVar(nil), execEnv...),
			Resources:       ctl.executor.Resources,
			SecurityContext: ctl.executor.SecurityContext,
			Args:            ctl.executor.Args,
			Command:         append(cmd, logOpts...),
		}
	}
	// wait container first, then main ("the order of the container list
	// is significant").
	pod.Spec.Containers = []corev1.Container{newExec("wait", "argoexec", "wait"), main}
	pod.Annotations[argoAnnotationDefaultCt] = "main"
	// newInitContainers: the standard init container (no artifact plugins).
	pod.Spec.InitContainers = []corev1.Container{newExec("init", "argoexec", "init")}

	// addSchedulingConstraints: the template's, else the workflow's.
	pod.Spec.NodeSelector = spec.NodeSelector
	if len(tmpl.NodeSelector) > 0 {
		pod.Spec.NodeSelector = tmpl.NodeSelector
	}
	pod.Spec.Affinity = spec.Affinity
	if tmpl.Affinity != nil {
		pod.Spec.Affinity = tmpl.Affinity
	}
	pod.Spec.Tolerations = spec.Tolerations
	if len(tmpl.Tolerations) > 0 {
		pod.Spec.Tolerations = tmpl.Tolerations
	}
	pod.Spec.SchedulerName = firstNonEmpty(tmpl.SchedulerName, spec.SchedulerName)
	pod.Spec.PriorityClassName = firstNonEmpty(tmpl.PriorityClassName, spec.PodPriorityClassName)
	pod.Spec.HostAliases = spec.HostAliases
	pod.Spec.SecurityContext = spec.SecurityContext
	if tmpl.SecurityContext != nil {
		pod.Spec.SecurityContext = tmpl.SecurityContext
	}
	// addMetadata: workflow podMetadata, then the template's metadata.
	if spec.PodMetadata != nil {
		for k, v := range spec.PodMetadata.Annotations {
			pod.Annotations[k] = v
		}
		for k, v := range spec.PodMetadata.Labels {
			pod.Labels[k] = v
		}
	}
	for k, v := range tmpl.Metadata.Annotations {
		pod.Annotations[k] = v
	}
	for k, v := range tmpl.Metadata.Labels {
		pod.Labels[k] = v
	}

	varArgo := corev1.VolumeMount{Name: "var-run-argo", MountPath: argoVarRunArgo}
	// ARGO_TEMPLATE: the template with inputs.parameters cleared.
	simplified := deepCopy(tmpl.raw).(map[string]any)
	if in, ok := simplified["inputs"].(map[string]any); ok {
		delete(in, "parameters")
		if len(in) == 0 {
			delete(simplified, "inputs")
		}
	}
	tmplJSON, err := json.Marshal(simplified)
	if err != nil {
		return nil, err
	}
	stdEnv := []corev1.EnvVar{
		{Name: "ARGO_NODE_ID", Value: nodeID},
		{Name: "ARGO_INCLUDE_SCRIPT_OUTPUT", Value: "false"},
		// getDeadline: no workflow or execution deadline is the zero time.
		{Name: "ARGO_DEADLINE", Value: "0001-01-01T00:00:00Z"},
		// The controller's default progress ticks (1m, 3s) are non-zero.
		{Name: "ARGO_PROGRESS_FILE", Value: argoVarRunArgo + "/progress"},
		{Name: "ARGO_PROGRESS_PATCH_TICK_DURATION", Value: "1m0s"},
		{Name: "ARGO_PROGRESS_FILE_TICK_DURATION", Value: "3s"},
	}
	for i, c := range pod.Spec.InitContainers {
		c.VolumeMounts = append(c.VolumeMounts, varArgo)
		c.Env = append(c.Env, corev1.EnvVar{Name: "ARGO_CONTAINER_NAME", Value: c.Name}, corev1.EnvVar{Name: "ARGO_TEMPLATE", Value: string(tmplJSON)})
		c.Env = append(c.Env, stdEnv...)
		pod.Spec.InitContainers[i] = c
	}
	for i, c := range pod.Spec.Containers {
		c.Env = append(c.Env, corev1.EnvVar{Name: "ARGO_CONTAINER_NAME", Value: c.Name})
		c.Env = append(c.Env, stdEnv...)
		if c.Name != "wait" {
			if len(c.Command) == 0 {
				return nil, fmt.Errorf("template %s: the container has no command; Argo would look up the image's entrypoint, which runtimepods cannot", tmpl.Name)
			}
			// The emissary executor wraps the main command.
			c.Command = append(append([]string{argoVarRunArgo + "/argoexec", "emissary"}, logOpts...), append([]string{"--"}, c.Command...)...)
		}
		if c.Image == ctl.executorImage {
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "tmp-dir-argo", MountPath: "/tmp", SubPath: fmt.Sprint(i)})
		}
		c.VolumeMounts = append(c.VolumeMounts, varArgo)
		pod.Spec.Containers[i] = c
	}
	return pod, nil
}

// substituteContainer replaces {{name}} references as Argo's template
// substitution does, failing on any it cannot resolve.
func substituteContainer(c corev1.Container, vars map[string]string) (corev1.Container, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return c, err
	}
	s := string(b)
	for k, v := range vars {
		enc, _ := json.Marshal(v)
		s = strings.ReplaceAll(s, "{{"+k+"}}", string(enc[1:len(enc)-1]))
	}
	if i := strings.Index(s, "{{"); i >= 0 {
		end := strings.Index(s[i:], "}}")
		if end < 0 {
			end = len(s) - i - 2
		}
		return c, fmt.Errorf("unresolved variable %s", s[i:i+end+2])
	}
	var out corev1.Container
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return c, err
	}
	return out, nil
}
