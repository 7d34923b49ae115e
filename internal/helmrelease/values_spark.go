package helmrelease

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sqletl/blueprint/charts"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/instancetypes"
	"github.com/sqletl/blueprint/internal/workloads"
)

// Spark executors run on the Spot group, or on the on-demand group when
// Spot is off (cluster.nodeGroups.spot.enabled: false): a selector naming
// a group that does not exist would leave every executor Pending.
//
// Each executor pod must fit on one node of the group's smallest type:
// within the node's allocatable (EKS's reservation formula,
// instancetypes.Type.AllocatableCPUMillis/MemoryMiB) less what the
// DaemonSets on every node request (nodeDaemonSetHeadroom). A 4 vCPU
// node has 3920m allocatable, so a 4-core executor never schedules on the
// default Spot types; the large size gets 3 cores there.

// nodeDaemonSetHeadroom is what the DaemonSets of the EKS add-ons
// blueprint installs (constructs/cluster/addons.go: vpc-cni's aws-node,
// kube-proxy, the EBS CSI node plugin, Container Insights' CloudWatch
// agent and Fluent Bit) may request on every node. An estimate from the
// add-ons' default requests (about 0.45 CPU and 0.35 GiB together),
// rounded up; the simulated cluster's scheduler test (make e2e) places
// the executors for real.
const (
	nodeDaemonSetCPUMillis = 500
	nodeDaemonSetMemoryMiB = 512
)

// Spark's executor pod memory is spark.executor.memory plus the overhead,
// max(10% of it, 384 MiB) (Spark 3.3 docs, spark.executor.memoryOverhead
// and spark.executor.memoryOverheadFactor; Arc 4.2.0 runs Spark 3.3.4).
const (
	sparkOverheadMinMiB  = 384
	sparkOverheadPercent = 10
)

func sparkPodMemoryMiB(executorMiB int64) int64 {
	return executorMiB + max(executorMiB*sparkOverheadPercent/100, sparkOverheadMinMiB)
}

// executorGroup is the node selector executors use and that group's
// instance types.
func executorGroup(cfg *config.Config) (map[string]string, []string) {
	if cfg.NodeGroups.Spot.IsEnabled() {
		return map[string]string{workloads.LifecycleLabel: workloads.LifecycleSpot}, cfg.NodeGroups.Spot.InstanceTypes
	}
	return onDemand(), cfg.NodeGroups.OnDemand.InstanceTypes
}

// executorFit is the largest executor pod one node of every listed type
// takes: whole cores (Spark's executor.cores) and MiB of pod memory.
func executorFit(types []string) (cores int, podMiB int64, err error) {
	first := true
	for _, name := range types {
		t, ok := instancetypes.Lookup(name)
		if !ok {
			return 0, 0, fmt.Errorf("instance type %q is not in blueprint's table; config validation should have rejected it", name)
		}
		c := int((t.AllocatableCPUMillis() - nodeDaemonSetCPUMillis) / 1000)
		m := t.AllocatableMemoryMiB() - nodeDaemonSetMemoryMiB
		if first || c < cores {
			cores = c
		}
		if first || m < podMiB {
			podMiB = m
		}
		first = false
	}
	if first {
		return 0, 0, fmt.Errorf("the executors' node group lists no instance types")
	}
	return cores, podMiB, nil
}

// placeExecutors points the executors at the group that exists and shrinks
// any executor larger than one of its nodes to what fits.
func placeExecutors(v *charts.PlatformValues, cfg *config.Config) error {
	selector, types := executorGroup(cfg)
	v.NodeSelectors.Spot = selector
	cores, podMiB, err := executorFit(types)
	if err != nil {
		return err
	}
	if cores < 1 || podMiB < sparkPodMemoryMiB(1024) {
		return fmt.Errorf("a node of %s cannot hold a Spark executor (1 core, 1 GiB); use larger instance types", strings.Join(types, ", "))
	}
	for _, size := range []struct {
		name string
		s    *charts.JobSize
	}{{"large", &v.JobSizes.Large}, {"medium", &v.JobSizes.Medium}, {"small", &v.JobSizes.Small}} { // largest first: its error names the most nodes
		e := &size.s.Executor
		e.CPU = min(e.CPU, cores)
		mem, err := parseSparkMiB(e.Memory)
		if err != nil {
			return err
		}
		if sparkPodMemoryMiB(mem) > podMiB {
			e.Memory = strconv.FormatInt(maxExecutorMiB(podMiB), 10) + "m"
			mem = maxExecutorMiB(podMiB)
		}
		if err := checkExecutorCapacity(cfg, size.name, e.Instances, e.CPU, cores, sparkPodMemoryMiB(mem), podMiB); err != nil {
			return err
		}
	}
	return nil
}

// checkExecutorCapacity refuses a job size whose executors can never all
// run: more nodes than the executors' group may grow to. With Spot off
// the executors share the on-demand group with the drivers and the
// platform, so the group's desired nodes and one more are kept for those. Without this, the executors
// past the group's maximum stay Pending for good (seen on the simulated
// cluster: 8 large executors, one per m6i.xlarge, on-demand maxSize 4).
func checkExecutorCapacity(cfg *config.Config, size string, instances, cpu, nodeCores int, podMiB, nodePodMiB int64) error {
	if instances <= 0 || cpu <= 0 {
		return nil
	}
	perNode := min(nodeCores/cpu, int(nodePodMiB/podMiB))
	if perNode < 1 {
		return nil // placeExecutors has shrunk the executor to fit one node
	}
	need := (instances + perNode - 1) / perNode
	field, group, reserved := "nodeGroups.spot.maxSize", cfg.NodeGroups.Spot, 0
	if !cfg.NodeGroups.Spot.IsEnabled() {
		// The platform's pods fill the group's desired nodes and the
		// driver takes one more (seen on the simulated cluster: with one
		// node reserved, the 8th large executor stayed Pending).
		field, group = "nodeGroups.onDemand.maxSize", cfg.NodeGroups.OnDemand
		reserved = 1
		if group.DesiredSize != nil {
			reserved += *group.DesiredSize
		}
	}
	if group.MaxSize == nil || need+reserved <= *group.MaxSize {
		return nil
	}
	fix := fmt.Sprintf("raise %s to %d", field, need+reserved)
	why := ""
	if reserved > 0 {
		why = fmt.Sprintf(" (%d more for the platform's nodes and the driver, as Spot is off)", reserved)
		fix += ", or turn Spot on (nodeGroups.spot.enabled: true)"
	}
	return &config.ValidationError{Problems: []string{fmt.Sprintf(
		"%s: is %d; the %s job size runs %d Spark executors (%d cores, %d MiB each, %d per node), so it needs %d nodes%s; %s",
		field, *group.MaxSize, size, instances, cpu, podMiB, perNode, need+reserved, why, fix)}}
}

// maxExecutorMiB is the largest spark.executor.memory whose pod (memory
// plus overhead) fits in podMiB.
func maxExecutorMiB(podMiB int64) int64 {
	m := podMiB * 100 / (100 + sparkOverheadPercent)
	if m*sparkOverheadPercent/100 < sparkOverheadMinMiB {
		m = podMiB - sparkOverheadMinMiB
	}
	for sparkPodMemoryMiB(m) > podMiB {
		m--
	}
	return m
}

// parseSparkMiB reads Spark's JVM memory strings ("512m", "4g", "1t").
func parseSparkMiB(s string) (int64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	mult := map[string]int64{"m": 1, "g": 1024, "t": 1024 * 1024}
	if len(s) > 2 && strings.HasSuffix(s, "b") { // "4gb" → "4g"
		s = s[:len(s)-1]
	}
	if s == "" {
		return 0, fmt.Errorf("empty Spark memory size")
	}
	m, ok := mult[s[len(s)-1:]]
	if !ok {
		return 0, fmt.Errorf("Spark memory %q has no m, g or t unit", s)
	}
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("Spark memory %q is not a positive whole number of m, g or t", s)
	}
	return n * m, nil
}
