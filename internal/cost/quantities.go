package cost

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"

	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/config"
)

// Quantities are what is priced. FromConfig derives them from the typed
// config; FromAssembly replaces those a template holds with what the
// synthesized templates say (a test keeps the two in step).
type Quantities struct {
	Clusters   int         `json:"clusters"`
	NodeGroups []NodeGroup `json:"nodeGroups"`
	// NATGateways and their Elastic IPs (PublicIPv4).
	NATGateways int `json:"natGateways"`
	PublicIPv4  int `json:"publicIPv4"`
	// InterfaceEndpoints and their ENIs (one per endpoint per subnet).
	InterfaceEndpoints int      `json:"interfaceEndpoints"`
	EndpointENIs       int      `json:"endpointENIs"`
	ContainerInsights  bool     `json:"containerInsights"`
	ControlPlaneLogs   []string `json:"controlPlaneLogs"`
	FlowLogs           int      `json:"flowLogs"`
	KMSKeys            int      `json:"kmsKeys"`
	Secrets            int      `json:"secrets"`

	// From the config and the charts, not in any template: Helm creates them.
	Zones int `json:"zones"`
	// HubDBGiB is JupyterHub's sqlite volume (0 with the hub off).
	HubDBGiB int `json:"hubDBGiB"`
	// HomeGiB is each notebook user's home volume (0 with the hub off).
	HomeGiB int `json:"homeGiB"`
	// PublicALB: platform.publicAccess puts an internet-facing ALB in
	// front of JupyterHub.
	PublicALB bool `json:"publicALB"`
	// Steps are the sample jobs' scheduled Spark steps.
	Steps []Step `json:"steps"`
	// ExecutorGroup is the node group executors run on (Spot, or the
	// on-demand group when Spot is off).
	ExecutorGroup NodeGroup `json:"executorGroup"`
}

// NodeGroup is one managed node group at its desired size.
type NodeGroup struct {
	Name          string   `json:"name"`
	Spot          bool     `json:"spot"`
	InstanceTypes []string `json:"instanceTypes"`
	Desired       int      `json:"desired"`
	DiskGiB       int      `json:"diskGiB"`
}

// hubDBGiB: zero-to-jupyterhub 4.4.0 values.yaml, hub.db.pvc.storage: 1Gi
// (blueprint sets only the storage class).
const hubDBGiB = 1

// cloudWatchAddon is the EKS add-on that runs Container Insights.
const cloudWatchAddon = "amazon-cloudwatch-observability"

// Sources are what quantities come from besides the config.
type Sources struct {
	// Jobs holds the sample pipelines (jobs.Samples).
	Jobs fs.FS
	// ExecutorNodes gives how many nodes each job size's executors take
	// with cfg (helmrelease.ExecutorNodes: the chart's own placement).
	ExecutorNodes func(cfg *config.Config) (map[string]int, error)
}

// FromConfig derives every quantity from a defaulted, valid config.
func FromConfig(cfg *config.Config, src Sources) (Quantities, error) {
	n := cfg.Network
	q := Quantities{
		Clusters:           1,
		NATGateways:        n.NatGateways,
		PublicIPv4:         n.NatGateways,
		InterfaceEndpoints: len(n.InterfaceEndpoints),
		EndpointENIs:       len(n.InterfaceEndpoints) * n.AzCount,
		ContainerInsights:  true, // constructs/cluster/addons.go installs it always
		ControlPlaneLogs:   slices.Clone(cfg.Cluster.LogTypes),
		FlowLogs:           1,
		// The one key (constructs/encryption) for the lake and EKS secrets.
		KMSKeys: 1,
		// The generated JupyterHub login.
		Secrets:   1,
		Zones:     n.AzCount,
		PublicALB: cfg.Platform.PublicAccess.Enabled,
	}
	slices.Sort(q.ControlPlaneLogs)
	od := cfg.NodeGroups.OnDemand
	q.NodeGroups = append(q.NodeGroups, NodeGroup{Name: "onDemand", InstanceTypes: slices.Clone(od.InstanceTypes), Desired: *od.DesiredSize, DiskGiB: od.DiskSizeGiB})
	q.ExecutorGroup = q.NodeGroups[0]
	if s := cfg.NodeGroups.Spot; s.IsEnabled() {
		q.NodeGroups = append(q.NodeGroups, NodeGroup{Name: "spot", Spot: true, InstanceTypes: slices.Clone(s.InstanceTypes), Desired: *s.DesiredSize, DiskGiB: s.DiskSizeGiB})
		q.ExecutorGroup = q.NodeGroups[1]
	}
	if cfg.Platform.JupyterHub.IsEnabled() {
		q.HubDBGiB = hubDBGiB
		q.HomeGiB = cfg.Platform.JupyterHub.HomeSizeGiB
	}
	if cfg.Platform.ArgoWorkflows.IsEnabled() && src.Jobs != nil {
		steps, err := SampleSteps(src.Jobs)
		if err != nil {
			return q, err
		}
		var nodes map[string]int
		if src.ExecutorNodes != nil {
			if nodes, err = src.ExecutorNodes(cfg); err != nil {
				return q, err
			}
		}
		for i := range steps {
			steps[i].ExecutorNodes = nodes[steps[i].Size]
		}
		q.Steps = steps
	}
	return q, nil
}

// FromAssembly returns base with every quantity a template holds read
// from the synthesized templates instead.
func FromAssembly(asm *assembly.Assembly, base Quantities) (Quantities, error) {
	q := base
	q.Clusters, q.NATGateways, q.PublicIPv4, q.InterfaceEndpoints, q.EndpointENIs = 0, 0, 0, 0, 0
	q.FlowLogs, q.KMSKeys, q.Secrets, q.ContainerInsights, q.ControlPlaneLogs = 0, 0, 0, false, nil
	q.NodeGroups = nil
	for _, s := range asm.Stacks {
		for id, r := range s.Template.Resources {
			var p struct {
				VpcEndpointType string
				SubnetIds       []any
				AddonName       string
				CapacityType    string
				InstanceTypes   []string
				DiskSize        int
				ScalingConfig   struct{ DesiredSize int }
				Logging         struct {
					ClusterLogging struct{ EnabledTypes []struct{ Type string } }
				}
			}
			if len(r.Properties) > 0 {
				if err := json.Unmarshal(r.Properties, &p); err != nil {
					return q, fmt.Errorf("reading %s in %s: %w", id, s.Name, err)
				}
			}
			switch r.Type {
			case "AWS::EKS::Cluster":
				q.Clusters++
				for _, t := range p.Logging.ClusterLogging.EnabledTypes {
					q.ControlPlaneLogs = append(q.ControlPlaneLogs, t.Type)
				}
			case "AWS::EKS::Nodegroup":
				name := "onDemand"
				if p.CapacityType == "SPOT" {
					name = "spot"
				}
				q.NodeGroups = append(q.NodeGroups, NodeGroup{Name: name, Spot: p.CapacityType == "SPOT",
					InstanceTypes: p.InstanceTypes, Desired: p.ScalingConfig.DesiredSize, DiskGiB: p.DiskSize})
			case "AWS::EKS::Addon":
				q.ContainerInsights = q.ContainerInsights || p.AddonName == cloudWatchAddon
			case "AWS::EC2::NatGateway":
				q.NATGateways++
			case "AWS::EC2::EIP":
				q.PublicIPv4++
			case "AWS::EC2::VPCEndpoint":
				if p.VpcEndpointType == "Interface" {
					q.InterfaceEndpoints++
					q.EndpointENIs += len(p.SubnetIds)
				}
			case "AWS::EC2::FlowLog":
				q.FlowLogs++
			case "AWS::KMS::Key":
				q.KMSKeys++
			case "AWS::SecretsManager::Secret":
				q.Secrets++
			}
		}
	}
	// On-demand first, then Spot, as FromConfig lists them.
	slices.SortStableFunc(q.NodeGroups, func(a, b NodeGroup) int {
		if a.Spot != b.Spot {
			if a.Spot {
				return 1
			}
			return -1
		}
		return 0
	})
	slices.Sort(q.ControlPlaneLogs)
	for _, g := range q.NodeGroups {
		if g.Spot == base.ExecutorGroup.Spot {
			q.ExecutorGroup = g
		}
	}
	if q.Clusters == 0 {
		return q, fmt.Errorf("the synthesized templates hold no EKS cluster")
	}
	return q, nil
}
