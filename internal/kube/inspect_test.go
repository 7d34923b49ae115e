package kube

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

type testNode struct {
	name   string
	labels map[string]string
	ready  corev1.ConditionStatus // "" for no Ready condition
}

func (n testNode) object() *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.name, Labels: n.labels}}
}

func eksLabels(group, capacity string) map[string]string {
	return map[string]string{NodeGroupLabel: group, CapacityTypeLabel: capacity}
}

var inspectNodes = []testNode{
	{"od-1", eksLabels("blueprint-ondemand", "ON_DEMAND"), corev1.ConditionTrue},
	{"od-2", eksLabels("blueprint-ondemand", "ON_DEMAND"), corev1.ConditionFalse},
	{"spot-1", eksLabels("blueprint-spot", "SPOT"), corev1.ConditionTrue},
	{"spot-2", eksLabels("blueprint-spot", "SPOT"), corev1.ConditionTrue},
	{"spot-3", eksLabels("blueprint-spot", "SPOT"), corev1.ConditionUnknown},
	{"lifecycle-spot", map[string]string{NodeGroupLabel: "legacy", "lifecycle": "Ec2Spot"}, corev1.ConditionTrue},
	{"lifecycle-od", map[string]string{NodeGroupLabel: "legacy", "lifecycle": "OnDemand"}, ""},
	{"bare", nil, corev1.ConditionTrue},
}

var inspectWant = []NodeGroupCount{
	{NodeGroup: "(none)", CapacityType: "UNKNOWN", Nodes: 1, Ready: 1},
	{NodeGroup: "blueprint-ondemand", CapacityType: "ON_DEMAND", Nodes: 2, Ready: 1},
	{NodeGroup: "blueprint-spot", CapacityType: "SPOT", Nodes: 3, Ready: 2},
	{NodeGroup: "legacy", CapacityType: "ON_DEMAND", Nodes: 1, Ready: 0},
	{NodeGroup: "legacy", CapacityType: "SPOT", Nodes: 1, Ready: 1},
}

func TestGroupNodes(t *testing.T) {
	tests := []struct {
		name  string
		nodes []testNode
		want  []NodeGroupCount
	}{
		{"none", nil, []NodeGroupCount{}},
		{"mixed", inspectNodes, inspectWant},
		{"EKS label wins over lifecycle", []testNode{{"n", map[string]string{NodeGroupLabel: "g", CapacityTypeLabel: "SPOT", "lifecycle": "OnDemand"}, corev1.ConditionTrue}},
			[]NodeGroupCount{{NodeGroup: "g", CapacityType: "SPOT", Nodes: 1, Ready: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var nodes []corev1.Node
			for _, n := range tt.nodes {
				o := n.object()
				if n.ready != "" {
					o.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: n.ready}}
				}
				nodes = append(nodes, *o)
			}
			if got := GroupNodes(nodes); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestInspect creates Node objects in the API server; Nodes are cluster
// scoped, and no other test in this package creates any.
func TestInspect(t *testing.T) {
	env.Require(t)
	cs := kubernetes.NewForConfigOrDie(env.RESTConfig())
	ctx := t.Context()
	for _, n := range inspectNodes {
		node, err := cs.CoreV1().Nodes().Create(ctx, n.object(), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(t.Context(), n.name, metav1.DeleteOptions{}) })
		if n.ready == "" {
			continue
		}
		node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: n.ready, Reason: "Test"}}
		if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Inspector{}.Inspect(ctx, env.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.Version, "v1.") {
		t.Errorf("version %q", got.Version)
	}
	if !reflect.DeepEqual(got.NodeGroups, inspectWant) {
		t.Errorf("node groups\n got  %+v\nwant %+v", got.NodeGroups, inspectWant)
	}
}
