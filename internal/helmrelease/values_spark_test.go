package helmrelease

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/instancetypes"
	"github.com/sqletl/blueprint/internal/outputs/outputstest"
	"github.com/sqletl/blueprint/internal/workloads"
)

// Defect 3: every executor of every arc-job size fits on one node of the
// group its node selector names, by EKS's allocatable formula less the
// DaemonSets' share, and that group exists: with Spot off, executors go to
// the on-demand group. Without the fix the large size asks 4 cores of a
// 4 vCPU Spot node (3920m allocatable) and every executor selects Spot.
// The e2e test schedules these pods on the simulated cluster.
func TestExecutorsFitTheirNodes(t *testing.T) {
	tests := []struct {
		name, yaml string
		lifecycle  string
		largeCores int
	}{
		{name: "default", lifecycle: workloads.LifecycleSpot, largeCores: 3},
		{name: "spot disabled", yaml: "nodeGroups: {spot: {enabled: false}, onDemand: {maxSize: 11}}", lifecycle: workloads.LifecycleOnDemand, largeCores: 3},
		{name: "8 vCPU spot types", yaml: "nodeGroups: {spot: {instanceTypes: [r6i.2xlarge, r5.2xlarge]}}", lifecycle: workloads.LifecycleSpot, largeCores: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parseConfig(t, tt.yaml)
			types := cfg.NodeGroups.Spot.InstanceTypes
			if !cfg.NodeGroups.Spot.IsEnabled() {
				types = cfg.NodeGroups.OnDemand.InstanceTypes
			}
			sizes := renderedExecutors(t, parseConfig(t, tt.yaml+"\nplatform: {argoWorkflows: {enabled: false}, jupyterHub: {enabled: false}, clusterAutoscaler: {enabled: false}}"))
			if len(sizes) != 3 {
				t.Fatalf("executor sizes rendered: %v", sizes)
			}
			for size, conf := range sizes {
				if got := conf["spark.kubernetes.executor.node.selector."+workloads.LifecycleLabel]; got != tt.lifecycle {
					t.Errorf("%s: executors select %s=%q, want %q", size, workloads.LifecycleLabel, got, tt.lifecycle)
				}
				cores, err := strconv.Atoi(conf["spark.kubernetes.executor.request.cores"])
				if err != nil {
					t.Fatalf("%s: request.cores: %v", size, err)
				}
				mem, err := parseSparkMiB(conf["spark.executor.memory"])
				if err != nil {
					t.Fatal(err)
				}
				for _, name := range types {
					it := instancetypes.MustLookup(name)
					cpuRoom := it.AllocatableCPUMillis() - nodeDaemonSetCPUMillis
					memRoom := it.AllocatableMemoryMiB() - nodeDaemonSetMemoryMiB
					if int64(cores)*1000 > cpuRoom || sparkPodMemoryMiB(mem) > memRoom {
						t.Errorf("%s executor (%d cores, %d MiB pod) does not fit a %s node (%dm, %d MiB free)",
							size, cores, sparkPodMemoryMiB(mem), name, cpuRoom, memRoom)
					}
				}
			}
			if got := sizes["large"]["spark.executor.cores"]; got != strconv.Itoa(tt.largeCores) {
				t.Errorf("large executor cores %s, want %d", got, tt.largeCores)
			}
		})
	}
}

// renderedExecutors renders blueprint's chart for cfg and returns, per
// arc-job size with executors, its spark-submit --conf settings.
func renderedExecutors(t *testing.T, c *config.Config) map[string]map[string]string {
	t.Helper()
	dir := t.TempDir()
	if _, err := (&Releases{CacheDir: t.TempDir()}).Render(context.Background(), c, outputstest.Sample(), dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, PlatformRelease+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, doc := range strings.Split(string(data), "\n---") {
		var wt struct {
			Kind     string
			Metadata struct{ Name string }
			Spec     struct {
				Templates []struct {
					Name      string
					Container struct{ Args []string }
				}
			}
		}
		if err := yaml.Unmarshal([]byte(doc), &wt); err != nil || wt.Kind != "WorkflowTemplate" || wt.Metadata.Name != "arc-job" {
			continue
		}
		for _, tmpl := range wt.Spec.Templates {
			conf := map[string]string{}
			for _, a := range tmpl.Container.Args {
				if kv, ok := strings.CutPrefix(a, "--conf="); ok {
					k, v, _ := strings.Cut(kv, "=")
					conf[k] = v
				}
			}
			if _, ok := conf["spark.executor.instances"]; ok {
				out[tmpl.Name] = conf
			}
		}
	}
	return out
}

// With Spot off, the executors share the on-demand group: a job size that
// needs more nodes than the group may grow to is refused, naming the field
// and the number of nodes, before anything is installed.
func TestExecutorCapacity(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, wantErr string
	}{
		{"spot default", "", ""},
		{"spot off, default maxSize", "nodeGroups:\n  spot:\n    enabled: false\n",
			"nodeGroups.onDemand.maxSize: is 4; the large job size runs 8 Spark executors"},
		{"spot off, room for large", "nodeGroups:\n  spot:\n    enabled: false\n  onDemand:\n    maxSize: 11\n", ""},
		{"spot maxSize too small", "nodeGroups:\n  spot:\n    maxSize: 5\n", "nodeGroups.spot.maxSize: is 5; the large job size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := platformValues(parseConfig(t, tc.yaml), outputstest.Sample())
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
