package helmrelease

import (
	"testing"

	"github.com/sqletl/blueprint/internal/config"
)

// ExecutorNodes counts the nodes as placeExecutors sizes the executors:
// one node of the default Spot types (4 vCPUs, 3 whole cores left after
// EKS's reservation and the DaemonSets) holds three 1-core small executors
// but one 2-core medium or one shrunk 3-core large executor.
func TestExecutorNodes(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       map[string]int
	}{
		{"default Spot types", "", map[string]int{"local": 0, "small": 1, "medium": 4, "large": 8}},
		{"8-vCPU Spot types", "nodeGroups: {spot: {instanceTypes: [r5.2xlarge, r6i.2xlarge]}}", map[string]int{"local": 0, "small": 1, "medium": 2, "large": 8}},
		{"Spot off: the on-demand group", "nodeGroups: {spot: {enabled: false}, onDemand: {maxSize: 12}}", map[string]int{"local": 0, "small": 1, "medium": 4, "large": 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ExecutorNodes(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for size, n := range tc.want {
				if got[size] != n {
					t.Errorf("%s: %d nodes, want %d (all: %v)", size, got[size], n, got)
				}
			}
		})
	}
}
