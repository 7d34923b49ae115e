package helmrelease

import (
	"github.com/sqletl/blueprint/charts"
	"github.com/sqletl/blueprint/internal/config"
)

// ExecutorNodes gives, per job size of the platform chart's arc-job
// template (small, medium, large; local runs no executors), how many nodes
// of the executors' group its executors take, with the executors placed
// and sized as render and up place them (placeExecutors). internal/cost
// prices the sample schedules with it.
func ExecutorNodes(cfg *config.Config) (map[string]int, error) {
	v := charts.DefaultPlatformValues()
	if err := placeExecutors(&v, cfg); err != nil {
		return nil, err
	}
	_, types := executorGroup(cfg)
	cores, podMiB, err := executorFit(types)
	if err != nil {
		return nil, err
	}
	out := map[string]int{"local": 0}
	for name, s := range map[string]charts.JobSize{"small": v.JobSizes.Small, "medium": v.JobSizes.Medium, "large": v.JobSizes.Large} {
		e := s.Executor
		mem, err := parseSparkMiB(e.Memory)
		if err != nil {
			return nil, err
		}
		perNode := max(1, min(cores/max(e.CPU, 1), int(podMiB/sparkPodMemoryMiB(mem))))
		out[name] = (e.Instances + perNode - 1) / perNode
	}
	return out, nil
}
