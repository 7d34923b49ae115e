package kube

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/internal/workloads"
)

// Node labels EKS managed node groups set.
const (
	NodeGroupLabel    = "eks.amazonaws.com/nodegroup"
	CapacityTypeLabel = "eks.amazonaws.com/capacityType"
)

// Capacity types as EKS names them.
const (
	CapacityOnDemand = "ON_DEMAND"
	CapacitySpot     = "SPOT"
	// capacityUnknown is a node with neither label: not in a node group
	// blueprint made.
	capacityUnknown = "UNKNOWN"
	// noNodeGroup groups nodes outside managed node groups.
	noNodeGroup = "(none)"
)

// ClusterSummary is the Kubernetes side of `status`: the server version
// and the nodes by node group.
type ClusterSummary struct {
	Version    string           `json:"version"`
	NodeGroups []NodeGroupCount `json:"nodeGroups"`
}

// NodeGroupCount counts nodes of one node group and capacity type.
type NodeGroupCount struct {
	NodeGroup    string `json:"nodeGroup"`
	CapacityType string `json:"capacityType"`
	Nodes        int    `json:"nodes"`
	Ready        int    `json:"ready"`
}

// Inspector summarises a cluster's version and nodes; it implements
// platform.ClusterInspector.
type Inspector struct{}

// Inspect reports the server version and the nodes grouped by node group
// and capacity type, with how many are Ready.
func (Inspector) Inspect(ctx context.Context, kube *rest.Config) (*ClusterSummary, error) {
	cs, err := kubernetes.NewForConfig(kube)
	if err != nil {
		return nil, err
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("reading the server version: %w", err)
	}
	var nodes []corev1.Node
	opts := metav1.ListOptions{Limit: 500}
	for {
		list, err := cs.CoreV1().Nodes().List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("listing nodes: %w", err)
		}
		nodes = append(nodes, list.Items...)
		if opts.Continue = list.Continue; opts.Continue == "" {
			break
		}
	}
	return &ClusterSummary{Version: v.GitVersion, NodeGroups: GroupNodes(nodes)}, nil
}

// GroupNodes counts nodes by node group and capacity type, sorted by both.
func GroupNodes(nodes []corev1.Node) []NodeGroupCount {
	type key struct{ group, capacity string }
	counts := map[key]*NodeGroupCount{}
	for _, n := range nodes {
		k := key{cmp.Or(n.Labels[NodeGroupLabel], noNodeGroup), capacityType(n.Labels)}
		c := counts[k]
		if c == nil {
			c = &NodeGroupCount{NodeGroup: k.group, CapacityType: k.capacity}
			counts[k] = c
		}
		c.Nodes++
		if nodeReady(n) {
			c.Ready++
		}
	}
	out := make([]NodeGroupCount, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b NodeGroupCount) int {
		return cmp.Or(cmp.Compare(a.NodeGroup, b.NodeGroup), cmp.Compare(a.CapacityType, b.CapacityType))
	})
	return out
}

// capacityType reads EKS's label, falling back to the lifecycle label
// blueprint's node groups carry (older or self-managed nodes lack EKS's).
func capacityType(labels map[string]string) string {
	if c := labels[CapacityTypeLabel]; c != "" {
		return c
	}
	switch labels[workloads.LifecycleLabel] {
	case workloads.LifecycleOnDemand:
		return CapacityOnDemand
	case workloads.LifecycleSpot:
		return CapacitySpot
	}
	return capacityUnknown
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
