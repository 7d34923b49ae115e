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
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/sqletl/blueprint/internal/helmrelease"
)

// arcJobTemplates reads the arc-job templates of a rendered platform
// manifest, independently of SparkPods.
func arcJobTemplates(t *testing.T, manifest []byte) map[string]wfTemplate {
	t.Helper()
	objs, err := decodeManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := find(objs, "WorkflowTemplate", "arc-job")
	if !ok {
		t.Fatal("no WorkflowTemplate arc-job")
	}
	var wt struct {
		Spec struct {
			Templates []wfTemplate `json:"templates"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(o.raw, &wt); err != nil {
		t.Fatal(err)
	}
	out := map[string]wfTemplate{}
	for _, x := range wt.Spec.Templates {
		out[x.Name] = x
	}
	return out
}

// argValue finds "--conf=key=value" or "--opt=value" in the template args.
func argValue(c *corev1.Container, prefix string) (string, bool) {
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, prefix+"="); ok {
			return v, true
		}
	}
	return "", false
}

// gibOrMib reads the "<n>g" / "<n>m" sizes the chart writes.
func gibOrMib(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil {
		t.Fatalf("size %q: %v", s, err)
	}
	switch s[len(s)-1] {
	case 'g':
		return n * 1024
	case 'm':
		return n
	}
	t.Fatalf("size %q", s)
	return 0
}

// Each arc-job size yields its driver (the Argo pod) and the executors the
// template's spark-submit arguments ask for, for both node-group variants.
func TestSparkPods(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			r := render(t, v.yaml)
			platform := r[helmrelease.PlatformRelease]
			templates := arcJobTemplates(t, platform)
			for _, build := range []struct {
				name string
				f    func() ([]Built, error)
			}{
				{"controller defaults", func() ([]Built, error) { return SparkPods(platform) }},
				{"chart's controller", func() ([]Built, error) {
					return SparkPodsWithController(platform, r[helmrelease.ArgoWorkflowsRelease])
				}},
			} {
				t.Run(build.name, func(t *testing.T) {
					built, err := build.f()
					if err != nil {
						t.Fatal(err)
					}
					checkSparkPods(t, built, templates)
				})
			}
		})
	}
}

func checkSparkPods(t *testing.T, built []Built, templates map[string]wfTemplate) {
	bySize := map[string][]Built{}
	for _, b := range built {
		size := strings.Fields(b.What)[1]
		bySize[size] = append(bySize[size], b)
	}
	for _, size := range ArcJobSizes {
		t.Run(size, func(t *testing.T) {
			tmpl := templates[size]
			pods := bySize[size]
			if len(pods) == 0 || pods[0].Creator != "argo" {
				t.Fatalf("no driver for %s", size)
			}
			driver := pods[0].Pod
			checkDriver(t, pods[0], tmpl)
			execs := pods[1:]
			master, _ := argValue(tmpl.Container, "--master")
			if !strings.HasPrefix(master, "k8s://") {
				if len(execs) != 0 {
					t.Errorf("%d executors for master %s", len(execs), master)
				}
				return
			}
			n, _ := argValue(tmpl.Container, "--conf=spark.executor.instances")
			if strconv.Itoa(len(execs)) != n {
				t.Fatalf("%d executors, template asks for %s", len(execs), n)
			}
			cpu, _ := argValue(tmpl.Container, "--conf=spark.kubernetes.executor.request.cores")
			mem, _ := argValue(tmpl.Container, "--conf=spark.executor.memory")
			memMiB := gibOrMib(t, mem)
			// Spark 3.3: executor memory + max(10%, 384 MiB) overhead.
			wantMem := resource.MustParse(fmt.Sprintf("%dMi", memMiB+max(memMiB/10, 384)))
			wantCPU := resource.MustParse(cpu)
			lifecycle, hasLifecycle := argValue(tmpl.Container, "--conf=spark.kubernetes.executor.node.selector.lifecycle")
			sa, _ := argValue(tmpl.Container, "--conf=spark.kubernetes.authenticate.executor.serviceAccountName")
			for _, e := range execs {
				pod := e.Pod
				c := pod.Spec.Containers[0]
				if e.Creator != "spark" || pod.Labels["spark-role"] != "executor" || pod.Namespace != driver.Namespace {
					t.Errorf("%s: creator %q labels %v namespace %q", e.What, e.Creator, pod.Labels, pod.Namespace)
				}
				if got := c.Resources.Requests[corev1.ResourceCPU]; got.Cmp(wantCPU) != 0 {
					t.Errorf("%s: cpu request %s, template says %s", e.What, got.String(), cpu)
				}
				if got := c.Resources.Requests[corev1.ResourceMemory]; got.Cmp(wantMem) != 0 {
					t.Errorf("%s: memory request %s, want %s", e.What, got.String(), wantMem.String())
				}
				if got := c.Resources.Limits[corev1.ResourceMemory]; got.Cmp(wantMem) != 0 {
					t.Errorf("%s: memory limit %s, want %s", e.What, got.String(), wantMem.String())
				}
				if _, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
					t.Errorf("%s: cpu limit without spark.kubernetes.executor.limit.cores", e.What)
				}
				if got := pod.Spec.NodeSelector["lifecycle"]; got != lifecycle || (hasLifecycle && e.WantLifecycle != lifecycle) {
					t.Errorf("%s: node selector %v, WantLifecycle %q, template says lifecycle=%q", e.What, pod.Spec.NodeSelector, e.WantLifecycle, lifecycle)
				}
				if pod.Spec.ServiceAccountName != sa {
					t.Errorf("%s: service account %q, want %q", e.What, pod.Spec.ServiceAccountName, sa)
				}
				if pod.Spec.RestartPolicy != corev1.RestartPolicyNever || c.Image == "" {
					t.Errorf("%s: restart %q image %q", e.What, pod.Spec.RestartPolicy, c.Image)
				}
			}
		})
	}
}

func checkDriver(t *testing.T, b Built, tmpl wfTemplate) {
	pod := b.Pod
	if pod.Namespace != "spark" || pod.Spec.ServiceAccountName != "arcjob" {
		t.Errorf("driver namespace %q service account %q", pod.Namespace, pod.Spec.ServiceAccountName)
	}
	for k, v := range tmpl.NodeSelector {
		if pod.Spec.NodeSelector[k] != v {
			t.Errorf("driver node selector %v, template %v", pod.Spec.NodeSelector, tmpl.NodeSelector)
		}
	}
	if b.WantLifecycle != tmpl.NodeSelector["lifecycle"] {
		t.Errorf("driver WantLifecycle %q, template %v", b.WantLifecycle, tmpl.NodeSelector)
	}
	var names []string
	var main *corev1.Container
	for i, c := range pod.Spec.Containers {
		names = append(names, c.Name)
		if c.Name == "main" {
			main = &pod.Spec.Containers[i]
		}
	}
	// Argo: wait first, then main; one init container.
	if strings.Join(names, ",") != "wait,main" || len(pod.Spec.InitContainers) != 1 || pod.Spec.InitContainers[0].Name != "init" {
		t.Fatalf("driver containers %v init %d", names, len(pod.Spec.InitContainers))
	}
	if main.Image != tmpl.Container.Image {
		t.Errorf("main image %q, template %q", main.Image, tmpl.Container.Image)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if got, want := main.Resources.Requests[r], tmpl.Container.Resources.Requests[r]; got.Cmp(want) != 0 {
			t.Errorf("main %s request %s, template %s", r, got.String(), want.String())
		}
	}
	if len(main.Command) < 2 || main.Command[0] != "/var/run/argo/argoexec" || main.Command[len(main.Command)-1] != tmpl.Container.Command[0] {
		t.Errorf("main command %v", main.Command)
	}
	for _, a := range main.Args {
		if strings.Contains(a, "{{") {
			t.Errorf("unsubstituted argument %q", a)
		}
	}
}

// The executor memory formula against the chart's own arithmetic: the
// platform chart sizes each driver container as driver memory + Spark's
// overhead, the same max(10%, 384 MiB) rule executorMemoryMiB applies.
func TestExecutorMemoryMatchesChartDriverSizing(t *testing.T) {
	templates := arcJobTemplates(t, render(t, "")[helmrelease.PlatformRelease])
	for _, size := range ArcJobSizes {
		tmpl := templates[size]
		dm, ok := argValue(tmpl.Container, "--driver-memory")
		if !ok {
			t.Fatalf("%s: no --driver-memory", size)
		}
		_, total, err := executorMemoryMiB(sparkConf{"spark.executor.memory": dm})
		if err != nil {
			t.Fatal(err)
		}
		want := tmpl.Container.Resources.Requests[corev1.ResourceMemory]
		if got := resource.MustParse(fmt.Sprintf("%dMi", total)); got.Cmp(want) != 0 {
			t.Errorf("%s: %s + overhead = %s, chart requests %s", size, dm, got.String(), want.String())
		}
	}
}

func TestExecutorMemoryMiB(t *testing.T) {
	for _, tc := range []struct {
		conf      sparkConf
		mem, want int64
	}{
		{sparkConf{}, 1024, 1024 + 384}, // spark.executor.memory defaults to 1g
		{sparkConf{"spark.executor.memory": "2g"}, 2048, 2048 + 384},
		{sparkConf{"spark.executor.memory": "4g"}, 4096, 4096 + 409},
		{sparkConf{"spark.executor.memory": "16g"}, 16384, 16384 + 1638},
		{sparkConf{"spark.executor.memory": "3000"}, 3000, 3000 + 384}, // MiB when unitless
		{sparkConf{"spark.executor.memory": "8g", "spark.executor.memoryOverhead": "1g"}, 8192, 8192 + 1024},
		{sparkConf{"spark.executor.memory": "8g", "spark.kubernetes.memoryOverheadFactor": "0.4"}, 8192, 8192 + 3276},
		// 3.4's spark.executor.memoryOverheadFactor does not exist in 3.3.4.
		{sparkConf{"spark.executor.memory": "8g", "spark.executor.memoryOverheadFactor": "0.4"}, 8192, 8192 + 819},
	} {
		mem, total, err := executorMemoryMiB(tc.conf)
		if err != nil || mem != tc.mem || total != tc.want {
			t.Errorf("%v: %d, %d, %v; want %d, %d", tc.conf, mem, total, err, tc.mem, tc.want)
		}
	}
	if _, _, err := executorMemoryMiB(sparkConf{"spark.executor.memory": "lots"}); err == nil || !strings.Contains(err.Error(), "spark.executor.memory") {
		t.Errorf("bad size accepted: %v", err)
	}
}

func TestParseSparkSubmit(t *testing.T) {
	c := corev1.Container{
		Command: []string{"/opt/spark/bin/spark-submit"},
		Args: []string{"--master=k8s://https://kubernetes.default.svc:443", "--name", "arc-x",
			"--conf=spark.executor.cores=2", "--conf", "spark.a=b=c", "--class=ai.tripl.arc.ARC",
			"local:///opt/spark/jars/arc.jar", "--etl.config.uri=s3a://b/j.ipynb"},
	}
	conf, err := parseSparkSubmit(c)
	if err != nil {
		t.Fatal(err)
	}
	want := sparkConf{"spark.master": "k8s://https://kubernetes.default.svc:443", "spark.app.name": "arc-x",
		"spark.executor.cores": "2", "spark.a": "b=c"}
	if fmt.Sprint(conf) != fmt.Sprint(want) {
		t.Errorf("conf %v, want %v", conf, want)
	}
	c.Args = append([]string{"--proxy-user=x"}, c.Args...)
	if _, err := parseSparkSubmit(c); err == nil || !strings.Contains(err.Error(), "--proxy-user") {
		t.Errorf("unknown option accepted: %v", err)
	}
}

// All returns the Spark pods and one hub pod per profile, each with the
// node group it must land on when the config pins one.
func TestAll(t *testing.T) {
	r := render(t, "")
	built, err := All(context.Background(), Manifests{
		Platform: r[helmrelease.PlatformRelease], JupyterHub: r[helmrelease.JupyterHubRelease], Argo: r[helmrelease.ArgoWorkflowsRelease],
	}, filepath.Join(chartMirror(t), jupyterhubChart), testUser)
	if err != nil {
		t.Fatal(err)
	}
	creators := map[string]int{}
	names := map[string]bool{}
	for _, b := range built {
		creators[b.Creator]++
		key := b.Pod.Namespace + "/" + b.Pod.Name
		if names[key] {
			t.Errorf("pod %s built twice: they could not run together", key)
		}
		names[key] = true
		for _, c := range b.Claims {
			if names["pvc "+c.Name] {
				t.Errorf("claim %s built twice", c.Name)
			}
			names["pvc "+c.Name] = true
		}
		// What the API server's object-meta validation checks first.
		for _, msg := range validation.IsDNS1123Subdomain(b.Pod.Name) {
			t.Errorf("%s: pod name %q: %s", b.What, b.Pod.Name, msg)
		}
		if h := b.Pod.Spec.Hostname; h != "" {
			for _, msg := range validation.IsDNS1123Label(h) {
				t.Errorf("%s: hostname %q: %s", b.What, h, msg)
			}
		}
		for k, v := range b.Pod.Labels {
			for _, msg := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
				t.Errorf("%s: label %s=%q: %s", b.What, k, v, msg)
			}
		}
		if b.Pod.Namespace == "" || b.Pod.Name == "" || b.What == "" {
			t.Errorf("incomplete %+v", b.Pod.ObjectMeta)
		}
	}
	if creators["argo"] != len(ArcJobSizes) || creators["spark"] == 0 || creators["kubespawner"] == 0 {
		t.Errorf("creators %v", creators)
	}
}
