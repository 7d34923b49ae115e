package runtimepods

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sqletl/blueprint/manifests"
)

// arcJob is blueprint's WorkflowTemplate (charts/platform) and its sizes.
const arcJob = "arc-job"

// ArcJobSizes are the arc-job templates SparkPods builds, in order.
var ArcJobSizes = []string{"small", "medium", "large", "local"}

// SparkPods builds, for each arc-job size of the rendered WorkflowTemplate
// (blueprint's chart, release "blueprint"), the driver pod (the Argo
// workflow pod, Spark in client mode) and the executor pods Spark 3.3.4
// creates from the spark-submit arguments. The Argo controller is taken as
// started with its defaults; SparkPodsWithController reads the chart's.
func SparkPods(renderedPlatformManifest []byte) ([]Built, error) {
	return sparkPods(renderedPlatformManifest, defaultArgoController(manifests.ArgoVersion))
}

// SparkPodsWithController is SparkPods with the workflow controller's
// flags and ConfigMap (executor image, resources, security context) read
// from the rendered argo-workflows release.
func SparkPodsWithController(renderedPlatformManifest, renderedArgoManifest []byte) ([]Built, error) {
	ctl, err := readArgoController(renderedArgoManifest, manifests.ArgoVersion)
	if err != nil {
		return nil, err
	}
	return sparkPods(renderedPlatformManifest, ctl)
}

func sparkPods(platform []byte, ctl argoController) ([]Built, error) {
	objs, err := decodeManifest(platform)
	if err != nil {
		return nil, fmt.Errorf("reading the rendered platform manifest: %w", err)
	}
	o, ok := find(objs, "WorkflowTemplate", arcJob)
	if !ok {
		return nil, fmt.Errorf("the rendered platform manifest has no WorkflowTemplate %s", arcJob)
	}
	var wt struct {
		Spec wfSpec `json:"spec"`
	}
	if err := json.Unmarshal(o.raw, &wt); err != nil {
		return nil, fmt.Errorf("WorkflowTemplate %s: %w", arcJob, err)
	}
	namespace := firstNonEmpty(o.namespace, "spark")
	templates := map[string]*wfTemplate{}
	for _, raw := range wt.Spec.Templates {
		var t wfTemplate
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &t.raw); err != nil {
			return nil, err
		}
		templates[t.Name] = &t
	}
	// Submitted arguments: a job file, and the WorkflowTemplate's argument
	// defaults (environment).
	params := map[string]string{"jobFile": "s3a://code-bucket/jobs/runtimepods/job.ipynb"}
	for _, p := range wt.Spec.Arguments.Parameters {
		if p.Value != nil {
			params[p.Name] = *p.Value
		}
	}
	var out []Built
	for _, size := range ArcJobSizes {
		t, ok := templates[size]
		if !ok {
			return nil, fmt.Errorf("WorkflowTemplate %s has no template %q", arcJob, size)
		}
		wfName := arcJob + "-" + size
		driver, err := argoPod(ctl, namespace, wfName, &wt.Spec, t, params)
		if err != nil {
			return nil, fmt.Errorf("WorkflowTemplate %s: %w", arcJob, err)
		}
		out = append(out, Built{
			Pod: *driver, Creator: "argo",
			What:          fmt.Sprintf("arc-job %s driver (Argo workflow pod)", size),
			WantLifecycle: driver.Spec.NodeSelector[lifecycleLabel],
		})
		main := driver.Spec.Containers[len(driver.Spec.Containers)-1]
		conf, err := parseSparkSubmit(main)
		if err != nil {
			return nil, fmt.Errorf("arc-job %s: %w", size, err)
		}
		execs, err := executorPods(conf, namespace, driver, size)
		if err != nil {
			return nil, fmt.Errorf("arc-job %s: %w", size, err)
		}
		out = append(out, execs...)
	}
	return out, nil
}

// sparkConf is the configuration spark-submit builds from its arguments
// (SparkSubmitArguments): --conf k=v plus the options that map to keys.
type sparkConf map[string]string

// submitOptions maps spark-submit options to the keys they set
// (SparkSubmit.scala OptionAssigner list, Spark 3.3).
var submitOptions = map[string]string{
	"--master":              "spark.master",
	"--deploy-mode":         "spark.submit.deployMode",
	"--name":                "spark.app.name",
	"--driver-memory":       "spark.driver.memory",
	"--driver-cores":        "spark.driver.cores",
	"--executor-memory":     "spark.executor.memory",
	"--executor-cores":      "spark.executor.cores",
	"--num-executors":       "spark.executor.instances",
	"--class":               "",
	"--conf":                "",
	"--jars":                "spark.jars",
	"--packages":            "spark.jars.packages",
	"--driver-java-options": "spark.driver.extraJavaOptions",
}

// parseSparkSubmit reads the arguments of a spark-submit command, up to
// the application resource. The container's $(VAR) references are left
// as Kubernetes would expand them at run time.
func parseSparkSubmit(c corev1.Container) (sparkConf, error) {
	cmd := append(append([]string{}, c.Command...), c.Args...)
	i := 0
	for i < len(cmd) && !strings.HasSuffix(cmd[i], "spark-submit") {
		i++
	}
	if i == len(cmd) {
		return nil, fmt.Errorf("container %s does not run spark-submit", c.Name)
	}
	conf := sparkConf{}
	args := cmd[i+1:]
	for j := 0; j < len(args); j++ {
		a := args[j]
		if !strings.HasPrefix(a, "--") {
			break // the application resource; the rest are its arguments
		}
		opt, val, hasVal := strings.Cut(a, "=")
		key, known := submitOptions[opt]
		if !known {
			return nil, fmt.Errorf("spark-submit option %s is not understood by runtimepods", opt)
		}
		if !hasVal {
			if j+1 >= len(args) {
				return nil, fmt.Errorf("spark-submit option %s has no value", opt)
			}
			j++
			val = args[j]
		}
		switch opt {
		case "--conf":
			k, v, ok := strings.Cut(val, "=")
			if !ok {
				return nil, fmt.Errorf("spark-submit --conf %q is not key=value", val)
			}
			conf[k] = v
		case "--class":
		default:
			conf[key] = val
		}
	}
	return conf, nil
}

// byteStringAsMiB is JavaUtils.byteStringAsBytes / (1024*1024) for the
// memory settings, which default to MiB when unitless
// (spark.executor.memory is ConfigBuilder.bytesConf(ByteUnit.MiB)).
func byteStringAsMiB(s string) (int64, error) {
	m := memString.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size (e.g. 4g, 512m)", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, err
	}
	switch m[2] {
	case "b":
		return n / (1 << 20), nil
	case "k", "kb":
		return n / 1024, nil
	case "", "m", "mb":
		return n, nil
	case "g", "gb":
		return n << 10, nil
	case "t", "tb":
		return n << 20, nil
	case "p", "pb":
		return n << 30, nil
	}
	return 0, fmt.Errorf("%q has an unknown unit", s)
}

var memString = regexp.MustCompile(`^(\d+)([a-z]*)$`)

// Spark 3.3 constants and defaults (core/.../internal/config/package.scala,
// resource-managers/kubernetes/core/.../k8s/Config.scala and Constants.scala).
const (
	memoryOverheadMinMiB = 384 // ResourceProfile.MEMORY_OVERHEAD_MIN_MIB
	// spark.kubernetes.memoryOverheadFactor's default for JVM jobs.
	defaultOverheadFactor   = 0.1
	defaultExecutorMemory   = "1g"
	defaultExecutorCores    = "1"
	defaultExecutorInstance = "2"
	executorContainerName   = "spark-kubernetes-executor" // DEFAULT_EXECUTOR_CONTAINER_NAME
	blockManagerPort        = 7079                        // DEFAULT_BLOCKMANAGER_PORT
	sparkConfDir            = "/opt/spark/conf"           // SPARK_CONF_DIR_INTERNAL
	sparkConfVolumeExec     = "spark-conf-volume-exec"    // SPARK_CONF_VOLUME_EXEC
	defaultDriverPort       = 7078                        // DEFAULT_DRIVER_PORT
)

// executorMemoryMiB is ResourceProfile.getResourcesForClusterManager for
// the default profile of a JVM application: executor memory plus
// max(factor * memory, 384 MiB) overhead, unless
// spark.executor.memoryOverhead is set.
func executorMemoryMiB(conf sparkConf) (mem, total int64, err error) {
	mem, err = byteStringAsMiB(firstNonEmpty(conf["spark.executor.memory"], defaultExecutorMemory))
	if err != nil {
		return 0, 0, fmt.Errorf("spark.executor.memory: %w", err)
	}
	var overhead int64
	if v, ok := conf["spark.executor.memoryOverhead"]; ok {
		if overhead, err = byteStringAsMiB(v); err != nil {
			return 0, 0, fmt.Errorf("spark.executor.memoryOverhead: %w", err)
		}
	} else {
		// Spark 3.3 has only spark.kubernetes.memoryOverheadFactor;
		// spark.executor.memoryOverheadFactor (SPARK-38194) was reverted from
		// branch-3.3 and shipped in 3.4.0, so 3.3.4 ignores it.
		factor := defaultOverheadFactor
		if v, ok := conf["spark.kubernetes.memoryOverheadFactor"]; ok {
			if factor, err = strconv.ParseFloat(v, 64); err != nil {
				return 0, 0, fmt.Errorf("spark.kubernetes.memoryOverheadFactor: %w", err)
			}
		}
		// (factor * executorMemoryMiB).toLong, at least the minimum.
		overhead = max(int64(math.Floor(factor*float64(mem))), memoryOverheadMinMiB)
	}
	return mem, mem + overhead, nil
}

// executorPods builds the executors of a client-mode Spark application on
// Kubernetes as KubernetesExecutorBuilder applies its feature steps
// (BasicExecutorFeatureStep, ExecutorKubernetesCredentialsFeatureStep,
// LocalDirsFeatureStep) for the default resource profile. A local master
// has none.
//
// Source read: apache/spark resource-managers/kubernetes/core/.../features/
// BasicExecutorFeatureStep.scala at commit 00012ec (the v3.3.4 tag could not
// be fetched offline: the repository is too large); the parts used here
// (names, labels, env, cpu request from spark.kubernetes.executor.request.cores,
// memory request = limit = memory + overhead, node selectors, restart
// policy Never, the conf volume) are the same in 3.3, and the one 3.4
// change that matters, spark.executor.memoryOverheadFactor, is left out
// (see executorMemoryMiB).
func executorPods(conf sparkConf, namespace string, driver *corev1.Pod, size string) ([]Built, error) {
	master := conf["spark.master"]
	if !strings.HasPrefix(master, "k8s://") {
		return nil, nil
	}
	if ns := conf["spark.kubernetes.namespace"]; ns != "" {
		namespace = ns
	}
	image := firstNonEmpty(conf["spark.kubernetes.executor.container.image"], conf["spark.kubernetes.container.image"])
	if image == "" {
		return nil, fmt.Errorf("spark.kubernetes.container.image is not set (\"Must specify the executor container image\")")
	}
	n, err := strconv.Atoi(firstNonEmpty(conf["spark.executor.instances"], defaultExecutorInstance))
	if err != nil {
		return nil, fmt.Errorf("spark.executor.instances: %w", err)
	}
	if conf["spark.dynamicAllocation.enabled"] == "true" {
		return nil, fmt.Errorf("spark.dynamicAllocation.enabled is not modelled by runtimepods")
	}
	memMiB, totalMiB, err := executorMemoryMiB(conf)
	if err != nil {
		return nil, err
	}
	cores := firstNonEmpty(conf["spark.executor.cores"], defaultExecutorCores)
	// KUBERNETES_EXECUTOR_REQUEST_CORES wins for the default profile.
	cpuRequest := firstNonEmpty(conf["spark.kubernetes.executor.request.cores"], cores)
	cpuQ, err := resource.ParseQuantity(cpuRequest)
	if err != nil {
		return nil, fmt.Errorf("spark.kubernetes.executor.request.cores %q: %w", cpuRequest, err)
	}
	memQ := resource.MustParse(fmt.Sprintf("%dMi", totalMiB))
	limits := corev1.ResourceList{corev1.ResourceMemory: memQ}
	if v := conf["spark.kubernetes.executor.limit.cores"]; v != "" {
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return nil, fmt.Errorf("spark.kubernetes.executor.limit.cores %q: %w", v, err)
		}
		limits[corev1.ResourceCPU] = q
	}
	// The node selector: spark.kubernetes.node.selector.* then
	// spark.kubernetes.executor.node.selector.* (addToNodeSelector twice).
	nodeSelector := map[string]string{}
	for _, prefix := range []string{"spark.kubernetes.node.selector.", "spark.kubernetes.executor.node.selector."} {
		for k, v := range conf {
			if strings.HasPrefix(k, prefix) {
				nodeSelector[strings.TrimPrefix(k, prefix)] = v
			}
		}
	}
	// Executor labels (KubernetesExecutorConf.labels) plus
	// spark.kubernetes.executor.label.*; annotations likewise.
	appID := "spark-application-0000000000000" // the SchedulerBackend's, known at run time
	labels := map[string]string{
		"spark-app-selector":            appID,
		"spark-role":                    "executor",
		"spark-exec-resourceprofile-id": "0",
	}
	annotations := map[string]string{}
	for k, v := range conf {
		if l, ok := strings.CutPrefix(k, "spark.kubernetes.executor.label."); ok {
			labels[l] = v
		}
		if a, ok := strings.CutPrefix(k, "spark.kubernetes.executor.annotation."); ok {
			annotations[a] = v
		}
	}
	// ExecutorKubernetesCredentialsFeatureStep: the executor service
	// account, else the driver's.
	sa := firstNonEmpty(conf["spark.kubernetes.authenticate.executor.serviceAccountName"],
		conf["spark.kubernetes.authenticate.driver.serviceAccountName"])
	// KubernetesConf.getResourceNamePrefix(appName): "<app name>-<unique
	// id>", lower case, other characters as "-".
	appName := strings.ReplaceAll(conf["spark.app.name"], "{{workflow.name}}", driver.Name)
	prefix := resourcePrefix(appName + "-" + "0000000000000001")
	// spark.driver.host is $(POD_IP), which Kubernetes expands in the
	// driver's arguments; the executor gets the address itself.
	driverHost := strings.ReplaceAll(conf["spark.driver.host"], "$(POD_IP)", "10.0.0.10")
	driverURL := fmt.Sprintf("spark://CoarseGrainedScheduler@%s:%s", driverHost,
		firstNonEmpty(conf["spark.driver.port"], strconv.Itoa(defaultDriverPort)))
	pullPolicy := corev1.PullPolicy(firstNonEmpty(conf["spark.kubernetes.container.image.pullPolicy"], "IfNotPresent"))
	restart := corev1.RestartPolicyNever
	var out []Built
	for id := 1; id <= n; id++ {
		name := fmt.Sprintf("%s-exec-%d", prefix, id)
		hostname := name
		if len(hostname) > 63 {
			hostname = hostname[len(hostname)-63:]
		}
		hostname = strings.TrimLeft(hostname, "-.")
		execLabels := map[string]string{"spark-exec-id": strconv.Itoa(id)}
		for k, v := range labels {
			execLabels[k] = v
		}
		env := []corev1.EnvVar{
			{Name: "SPARK_USER", Value: "root"},
			{Name: "SPARK_DRIVER_URL", Value: driverURL},
			{Name: "SPARK_EXECUTOR_CORES", Value: cores},
			{Name: "SPARK_EXECUTOR_MEMORY", Value: fmt.Sprintf("%dm", memMiB)},
			{Name: "SPARK_APPLICATION_ID", Value: appID},
			{Name: "SPARK_CONF_DIR", Value: sparkConfDir},
			{Name: "SPARK_EXECUTOR_ID", Value: strconv.Itoa(id)},
			{Name: "SPARK_RESOURCE_PROFILE_ID", Value: "0"},
			{Name: "SPARK_EXECUTOR_POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "status.podIP"}}},
			{Name: "SPARK_EXECUTOR_POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
			// LocalDirsFeatureStep
			{Name: "SPARK_LOCAL_DIRS", Value: "/var/data/spark-runtimepods"},
		}
		c := corev1.Container{
			Name:            executorContainerName,
			Image:           image,
			ImagePullPolicy: pullPolicy,
			Args:            []string{"executor"},
			Env:             env,
			Ports:           []corev1.ContainerPort{{Name: "blockmanager", ContainerPort: blockManagerPort}},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceMemory: memQ, corev1.ResourceCPU: cpuQ},
				Limits:   limits,
			},
			VolumeMounts: []corev1.VolumeMount{
				{Name: sparkConfVolumeExec, MountPath: sparkConfDir},
				{Name: "spark-local-dir-1", MountPath: "/var/data/spark-runtimepods"},
			},
		}
		pod := corev1.Pod{
			TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
			ObjectMeta: metav1.ObjectMeta{
				Name: name, Namespace: namespace, Labels: execLabels, Annotations: annotations,
				// Spark sets a controller OwnerReference to the driver pod
				// (spark.kubernetes.driver.pod.name); its UID exists only once
				// the driver is created, so the caller may add it.
			},
			Spec: corev1.PodSpec{
				Hostname:           hostname,
				RestartPolicy:      restart,
				NodeSelector:       nodeSelector,
				ServiceAccountName: sa,
				Containers:         []corev1.Container{c},
				Volumes: []corev1.Volume{
					// The executor ConfigMap the driver creates
					// (KubernetesClientUtils.configMapNameExecutor).
					{Name: sparkConfVolumeExec, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
						LocalObjectReference: corev1.LocalObjectReference{Name: "spark-exec-0000000000000001-conf-map"}}}},
					{Name: "spark-local-dir-1", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				},
			},
		}
		if len(nodeSelector) == 0 {
			pod.Spec.NodeSelector = nil
		}
		if sa != "" {
			// buildPodWithServiceAccount sets both fields.
			pod.Spec.DeprecatedServiceAccount = sa
		}
		if s := conf["spark.kubernetes.scheduler.name"]; s != "" {
			pod.Spec.SchedulerName = s
		}
		out = append(out, Built{
			Pod: pod, Creator: "spark",
			What:          fmt.Sprintf("arc-job %s executor %d/%d", size, id, n),
			WantLifecycle: nodeSelector[lifecycleLabel],
		})
	}
	return out, nil
}

var notNameChar = regexp.MustCompile(`[^a-z0-9\-]`)
var dashes = regexp.MustCompile(`-+`)

// resourcePrefix is KubernetesConf.getResourceNamePrefix's normalisation.
func resourcePrefix(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = dashes.ReplaceAllString(notNameChar.ReplaceAllString(s, "-"), "-")
	return strings.Trim(s, "-")
}
