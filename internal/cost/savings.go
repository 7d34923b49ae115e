package cost

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/instancetypes"
)

// Saving is one config change and what it saves per month.
type Saving struct {
	Field         string  `json:"field"`
	Value         string  `json:"value"`
	Idle          float64 `json:"idle"`
	WithSchedules float64 `json:"withSchedules"`
	TradeOff      string  `json:"tradeOff"`
}

// change edits a copy of the config; ok false when it does not apply.
type change struct {
	field    string
	apply    func(c *config.Config, p Prices) (value string, ok bool)
	tradeOff string
}

// changes are the cuts Suggest considers. None turns a feature off
// except where the trade-off says so.
var changes = []change{
	{
		field: "network.interfaceEndpoints",
		apply: func(c *config.Config, _ Prices) (string, bool) {
			if len(c.Network.InterfaceEndpoints) == 0 {
				return "", false
			}
			c.Network.InterfaceEndpoints = []string{}
			return "[]", true
		},
		tradeOff: "calls to AWS APIs leave through the NAT gateway (priced per GB) to the public service endpoints instead of staying on PrivateLink",
	},
	{
		field: "nodeGroups.onDemand.desiredSize",
		apply: func(c *config.Config, _ Prices) (string, bool) {
			g := &c.NodeGroups.OnDemand
			if *g.DesiredSize <= *g.MinSize {
				return "", false
			}
			g.DesiredSize = ptr(*g.MinSize)
			return fmt.Sprint(*g.MinSize), true
		},
		tradeOff: "the cluster autoscaler adds on-demand nodes when pods wait, so the first notebook or job after a quiet spell waits a few minutes for a node",
	},
	{
		field: "nodeGroups.onDemand.instanceTypes",
		apply: func(c *config.Config, p Prices) (string, bool) {
			g := &c.NodeGroups.OnDemand
			cheaper, ok := cheapestLike(g.InstanceTypes[0], p)
			if !ok {
				return "", false
			}
			g.InstanceTypes = []string{cheaper}
			return "[" + cheaper + "]", true
		},
		tradeOff: "another CPU of the same vCPUs, memory and architecture (e.g. AMD instead of Intel); per-core speed differs",
	},
	{
		field: "cluster.logTypes",
		apply: func(c *config.Config, _ Prices) (string, bool) {
			keep := []string{"api", "audit", "authenticator"}
			var out []string
			for _, t := range c.Cluster.LogTypes {
				if slices.Contains(keep, t) {
					out = append(out, t)
				}
			}
			if len(out) == len(c.Cluster.LogTypes) {
				return "", false
			}
			c.Cluster.LogTypes = append([]string{}, out...)
			return "[" + strings.Join(out, ", ") + "]", true
		},
		tradeOff: "no controller-manager and scheduler logs when debugging the control plane",
	},
	{
		field: "network.natGateways",
		apply: func(c *config.Config, _ Prices) (string, bool) {
			if c.Network.NatGateways <= 1 {
				return "", false
			}
			c.Network.NatGateways = 1
			return "1", true
		},
		tradeOff: "one zone's outage cuts outbound traffic for every zone",
	},
	{
		field: "network.azCount",
		apply: func(c *config.Config, _ Prices) (string, bool) {
			n := &c.Network
			if n.AzCount <= 2 {
				return "", false
			}
			n.AzCount = 2
			n.AvailabilityZones = n.AvailabilityZones[:2]
			n.NatGateways = min(n.NatGateways, 2)
			return "2", true
		},
		tradeOff: "nodes spread over two zones only: less resilience to a zone's outage",
	},
	{
		field: "platform.publicAccess.enabled",
		apply: func(c *config.Config, _ Prices) (string, bool) {
			a := &c.Platform.PublicAccess
			if !a.Enabled {
				return "", false
			}
			*a = config.PublicAccess{}
			return "false", true
		},
		tradeOff: "gives up the public JupyterHub URL: users reach it with `blueprint open jupyter` (port-forward)",
	},
	{
		field: "nodeGroups.onDemand.diskSizeGiB",
		apply: func(c *config.Config, _ Prices) (string, bool) {
			g := &c.NodeGroups.OnDemand
			if g.DiskSizeGiB <= 50 {
				return "", false
			}
			g.DiskSizeGiB = 50
			return "50", true
		},
		tradeOff: "less room on each node for container images and Spark's local spill",
	},
}

// cheapestLike is the cheapest type in the table with name's vCPUs,
// memory, architecture and kind, when it is cheaper than name.
func cheapestLike(name string, p Prices) (string, bool) {
	t, ok := instancetypes.Lookup(name)
	if !ok {
		return "", false
	}
	best, bestRate := "", 0.0
	if r, err := p.InstanceHour(name); err == nil {
		best, bestRate = name, r
	}
	for _, n := range instancetypes.Names() {
		o := instancetypes.MustLookup(n)
		if o.VCPU != t.VCPU || o.MemoryMiB != t.MemoryMiB || o.Arch != t.Arch || o.Kind != t.Kind {
			continue
		}
		if r, err := p.InstanceHour(n); err == nil && (best == "" || r < bestRate) {
			best, bestRate = n, r
		}
	}
	return best, best != "" && best != name
}

// Suggest prices each change of changes on a copy of cfg and returns the
// n that save the most when idle, largest first. A change whose config
// does not validate is left out.
func Suggest(cfg *config.Config, src Sources, p Prices, u Usage, n int) ([]Saving, error) {
	base, err := estimateConfig(cfg, src, p, u)
	if err != nil {
		return nil, err
	}
	var out []Saving
	for _, ch := range changes {
		c, err := Clone(cfg)
		if err != nil {
			return nil, err
		}
		value, ok := ch.apply(c, p)
		if !ok || c.Validate() != nil {
			continue
		}
		e, err := estimateConfig(c, src, p, u)
		if err != nil {
			continue // e.g. the changed nodes cannot hold an executor
		}
		s := Saving{Field: ch.field, Value: value, Idle: cents(base.Total.Idle - e.Total.Idle),
			WithSchedules: cents(base.Total.WithSchedules - e.Total.WithSchedules), TradeOff: ch.tradeOff}
		if s.Idle > 0 {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Idle > out[j].Idle })
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}

func estimateConfig(cfg *config.Config, src Sources, p Prices, u Usage) (*Estimate, error) {
	q, err := FromConfig(cfg, src)
	if err != nil {
		return nil, err
	}
	return Compute(q, p, u)
}

// Clone returns a deep copy of a defaulted config, through its YAML.
func Clone(cfg *config.Config) (*config.Config, error) {
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("copying config: %w", err)
	}
	c, err := config.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("copying config: %w", err)
	}
	return c, nil
}

func ptr[T any](v T) *T { return &v }
