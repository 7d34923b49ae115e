// Package simcluster turns a kubetest API server running with its
// controllers (kubetest.Options.Cluster) into a simulated EKS cluster for
// blueprint's tests: one kwok node per desired node of every managed node
// group in the synthesized cluster template, labelled, tainted, zoned and
// sized as EKS would make it; a stand-in for the EBS CSI provisioner; a
// stand-in for cluster-autoscaler's scale-up from zero; and a report of
// where every pod landed and what was refused.
//
// What is real: the API server's admission (Pod Security, ServiceAccount,
// validation), RBAC, the kube-scheduler's placement decisions, and the
// controller manager's Deployments, StatefulSets, DaemonSets, Jobs,
// namespace deletion and PV binding. What is played: the kubelet (kwok: no
// container runs), EBS volumes, and the autoscaler's cloud side.
package simcluster

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/sqletl/blueprint/internal/instancetypes"
)

// Labels EKS puts on the nodes of a managed node group (docs.aws.amazon.com
// /eks/latest/userguide/managed-node-groups.html "Managed node group
// capacity types" and kubernetes well-known labels).
const (
	LabelNodegroup    = "eks.amazonaws.com/nodegroup"
	LabelCapacityType = "eks.amazonaws.com/capacityType"
	LabelInstanceType = "node.kubernetes.io/instance-type"
	LabelZone         = "topology.kubernetes.io/zone"
	LabelArch         = "kubernetes.io/arch"
	LabelOS           = "kubernetes.io/os"
	LabelHostname     = "kubernetes.io/hostname"
)

// NodeGroup is one AWS::EKS::Nodegroup of the synthesized template.
type NodeGroup struct {
	// Name is the node group's name as EKS labels nodes with it; the
	// template's NodegroupName, else its logical ID.
	Name          string
	CapacityType  string // ON_DEMAND or SPOT
	InstanceTypes []string
	Labels        map[string]string
	Taints        []Taint
	Min, Max      int
	Desired       int
	// AutoscalerLabels are the node-template labels the cluster-autoscaler
	// tags promise for scale-from-zero (k8s.io/cluster-autoscaler/node-template/label/*).
	AutoscalerLabels map[string]string
}

// Taint is a node group taint, in Kubernetes' spelling of the effect.
type Taint struct{ Key, Value, Effect string }

// FromTemplate reads every AWS::EKS::Nodegroup of a synthesized
// CloudFormation template (JSON).
func FromTemplate(template []byte) ([]NodeGroup, error) {
	var t struct {
		Resources map[string]struct {
			Type       string          `json:"Type"`
			Properties json.RawMessage `json:"Properties"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(template, &t); err != nil {
		return nil, fmt.Errorf("reading template: %w", err)
	}
	var groups []NodeGroup
	for id, r := range t.Resources {
		if r.Type != "AWS::EKS::Nodegroup" {
			continue
		}
		var p struct {
			NodegroupName any               `json:"NodegroupName"`
			CapacityType  string            `json:"CapacityType"`
			InstanceTypes []string          `json:"InstanceTypes"`
			Labels        map[string]string `json:"Labels"`
			Taints        []struct{ Key, Value, Effect string }
			ScalingConfig struct{ MinSize, MaxSize, DesiredSize int }
			Tags          map[string]string `json:"Tags"`
		}
		if err := json.Unmarshal(r.Properties, &p); err != nil {
			return nil, fmt.Errorf("node group %s: %w", id, err)
		}
		g := NodeGroup{
			Name: id, CapacityType: p.CapacityType, InstanceTypes: p.InstanceTypes,
			Labels: p.Labels, Min: p.ScalingConfig.MinSize, Max: p.ScalingConfig.MaxSize,
			Desired: p.ScalingConfig.DesiredSize, AutoscalerLabels: map[string]string{},
		}
		if name, ok := p.NodegroupName.(string); ok && name != "" {
			g.Name = name
		}
		if g.CapacityType == "" {
			g.CapacityType = "ON_DEMAND" // the CloudFormation default
		}
		for _, tt := range p.Taints {
			g.Taints = append(g.Taints, Taint{Key: tt.Key, Value: tt.Value, Effect: taintEffect(tt.Effect)})
		}
		const tmpl = "k8s.io/cluster-autoscaler/node-template/label/"
		for k, v := range p.Tags {
			if l, ok := strings.CutPrefix(k, tmpl); ok {
				g.AutoscalerLabels[l] = v
			}
		}
		for _, it := range g.InstanceTypes {
			if _, ok := instancetypes.Lookup(it); !ok {
				return nil, fmt.Errorf("node group %s: instance type %q is not in internal/instancetypes", id, it)
			}
		}
		if len(g.InstanceTypes) == 0 {
			return nil, fmt.Errorf("node group %s: no InstanceTypes", id)
		}
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Name < groups[j].Name })
	return groups, nil
}

// taintEffect maps EKS's NO_SCHEDULE / NO_EXECUTE / PREFER_NO_SCHEDULE to
// Kubernetes' spelling.
func taintEffect(e string) string {
	switch e {
	case "NO_EXECUTE":
		return "NoExecute"
	case "PREFER_NO_SCHEDULE":
		return "PreferNoSchedule"
	}
	return "NoSchedule"
}

// Type is the instance type nodes of the group are made of: the first
// listed, as every listed type of a group must have the same size
// (config validation) and EKS's own max-pods uses the smallest.
func (g NodeGroup) Type() instancetypes.Type { return instancetypes.MustLookup(g.InstanceTypes[0]) }

// Lifecycle is the group's blueprint lifecycle label.
func (g NodeGroup) Lifecycle() string { return g.Labels["lifecycle"] }
