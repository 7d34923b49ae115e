package simcluster

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sqletl/blueprint/internal/kubetest"
)

func TestFromTemplate(t *testing.T) {
	tmpl := `{"Resources":{
	  "OnDemand":{"Type":"AWS::EKS::Nodegroup","Properties":{"CapacityType":"ON_DEMAND","InstanceTypes":["m6i.xlarge"],
	    "Labels":{"lifecycle":"OnDemand"},"ScalingConfig":{"MinSize":1,"MaxSize":4,"DesiredSize":2}}},
	  "Spot":{"Type":"AWS::EKS::Nodegroup","Properties":{"CapacityType":"SPOT","InstanceTypes":["r5.xlarge","r6i.xlarge"],
	    "Labels":{"lifecycle":"Ec2Spot"},"Taints":[{"Key":"spot","Value":"true","Effect":"NO_SCHEDULE"}],
	    "ScalingConfig":{"MinSize":0,"MaxSize":10,"DesiredSize":0},
	    "Tags":{"k8s.io/cluster-autoscaler/node-template/label/lifecycle":"Ec2Spot"}}},
	  "Role":{"Type":"AWS::IAM::Role","Properties":{}}}}`
	groups, err := FromTemplate([]byte(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 || groups[0].Name != "OnDemand" || groups[1].Name != "Spot" {
		t.Fatalf("groups = %+v", groups)
	}
	spot := groups[1]
	if spot.Max != 10 || spot.Desired != 0 || spot.AutoscalerLabels["lifecycle"] != "Ec2Spot" || spot.Taints[0].Effect != "NoSchedule" {
		t.Errorf("spot = %+v", spot)
	}
	if _, err := FromTemplate([]byte(`{"Resources":{"X":{"Type":"AWS::EKS::Nodegroup","Properties":{"InstanceTypes":["z9.huge"]}}}}`)); err == nil {
		t.Error("an instance type outside the table was accepted")
	}
}

// EKS's allocatable for the default types (instancetypes.KubeReserved):
// 4 vCPU → 80m reserved; 58 pods → 893Mi reserved + 100Mi eviction.
func TestBuildNodeAllocatable(t *testing.T) {
	n := BuildNode(NodeGroup{Name: "g", CapacityType: "ON_DEMAND", InstanceTypes: []string{"m6i.xlarge"}, Labels: map[string]string{"lifecycle": "OnDemand"}}, 0, "us-east-1a")
	if got := n.Status.Allocatable.Cpu().MilliValue(); got != 3920 {
		t.Errorf("allocatable cpu = %dm, want 3920m", got)
	}
	if got := n.Status.Allocatable.Memory().Value() >> 20; got != 16384-893-100 {
		t.Errorf("allocatable memory = %dMi, want %dMi", got, 16384-893-100)
	}
	for k, v := range map[string]string{LabelZone: "us-east-1a", LabelArch: "amd64", "lifecycle": "OnDemand", LabelNodegroup: "g", LabelCapacityType: "ON_DEMAND"} {
		if n.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, n.Labels[k], v)
		}
	}
}

// The harness against the real scheduler, controller manager and kwok: a
// Deployment becomes available on the group it selects; a pod larger than
// any node stays Pending with the scheduler's reason; a pod selecting an
// empty scale-from-zero group gets a node; a claim is provisioned.
func TestSimulatedCluster(t *testing.T) {
	env := kubetest.StartWithOptions(t, kubetest.Options{Cluster: true})
	ctx := t.Context()
	groups := []NodeGroup{
		{Name: "OnDemand", CapacityType: "ON_DEMAND", InstanceTypes: []string{"m6i.xlarge"}, Labels: map[string]string{"lifecycle": "OnDemand"}, Min: 1, Max: 2, Desired: 1},
		{Name: "Spot", CapacityType: "SPOT", InstanceTypes: []string{"r5.xlarge"}, Labels: map[string]string{"lifecycle": "Ec2Spot"}, Max: 2, AutoscalerLabels: map[string]string{"lifecycle": "Ec2Spot"}},
	}
	c, err := New(ctx, env, groups, []string{"us-east-1a", "us-east-1b"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(env.ClusterLogTails(40))
		}
		c.Stop()
	})
	pod := func(name, lifecycle, cpu string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: corev1.PodSpec{
				NodeSelector: map[string]string{"lifecycle": lifecycle},
				Containers: []corev1.Container{{Name: "c", Image: "busybox", Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)},
				}}},
			},
		}
	}
	for _, tc := range []struct {
		name, lifecycle, cpu string
		wantGroup, wantReason string
	}{
		{"fits-on-demand", "OnDemand", "1", "OnDemand", ""},
		{"scales-spot-from-zero", "Ec2Spot", "3", "Spot", ""},
		{"too-big", "Ec2Spot", "4", "", "Insufficient cpu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.Submit(ctx, pod(tc.name, tc.lifecycle, tc.cpu), nil, 20*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if r.Rejected != "" {
				t.Fatalf("rejected: %s", r.Rejected)
			}
			if r.Group != tc.wantGroup || !strings.Contains(r.Unschedulable, tc.wantReason) {
				t.Errorf("group %q unschedulable %q; want group %q reason containing %q", r.Group, r.Unschedulable, tc.wantGroup, tc.wantReason)
			}
		})
	}

	// A Deployment: the controller manager makes the pods, the scheduler
	// binds them, kwok makes them Ready.
	one := int32(2)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       pod("x", "OnDemand", "100m").Spec,
			},
		},
	}
	if _, err := c.Client.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, func() bool {
		wl, err := c.Workloads(ctx, "default")
		return err == nil && len(wl) == 1 && wl[0].Available()
	}, "Deployment web available")
	if bad, err := c.Misplaced(ctx, "default"); err != nil || len(bad) != 0 {
		t.Errorf("misplaced: %v %v", bad, err)
	}

	// Pod Security admission is on: a privileged pod in a baseline namespace is refused.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "baseline", Labels: map[string]string{"pod-security.kubernetes.io/enforce": "baseline"}}}
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	priv := pod("priv", "OnDemand", "100m")
	priv.Namespace = "baseline"
	priv.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: new(true)}
	r, err := c.Submit(ctx, priv, nil, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Rejected, "PodSecurity") {
		t.Errorf("privileged pod in a baseline namespace: %+v, want a PodSecurity refusal", r)
	}
}

func waitFor(t *testing.T, ctx context.Context, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
