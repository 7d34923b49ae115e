package simcluster

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"github.com/sqletl/blueprint/internal/kubetest"
)

// EBSDriver is the EBS CSI driver's provisioner name.
const EBSDriver = "ebs.csi.aws.com"

// Cluster is a simulated EKS cluster over a kubetest Env started with
// Options.Cluster.
type Cluster struct {
	Env    *kubetest.Env
	Client kubernetes.Interface
	Groups []NodeGroup
	Zones  []string

	mu     sync.Mutex
	nodes  map[string]int // group → nodes created
	cancel context.CancelFunc
	done   chan struct{}
}

// New creates the nodes of every group (Desired of each, spread over zones
// in order, as an Auto Scaling group balances them) and starts the volume
// provisioner and the scale-from-zero loop. Call Stop when done.
func New(ctx context.Context, env *kubetest.Env, groups []NodeGroup, zones []string) (*Cluster, error) {
	if len(zones) == 0 {
		return nil, fmt.Errorf("simcluster: no availability zones")
	}
	cs, err := kubernetes.NewForConfig(env.RESTConfig())
	if err != nil {
		return nil, err
	}
	c := &Cluster{Env: env, Client: cs, Groups: groups, Zones: zones, nodes: map[string]int{}}
	for _, g := range groups {
		for range g.Desired {
			if err := c.addNode(ctx, g); err != nil {
				return nil, err
			}
		}
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done = cancel, make(chan struct{})
	go c.loop(loopCtx)
	return c, nil
}

// Stop ends the background loops.
func (c *Cluster) Stop() {
	if c.cancel != nil {
		c.cancel()
		<-c.done
	}
}

// NodeName is the name of the i-th node of a group.
func NodeName(group string, i int) string { return fmt.Sprintf("%s-%d", strings.ToLower(group), i) }

func (c *Cluster) addNode(ctx context.Context, g NodeGroup) error {
	c.mu.Lock()
	i := c.nodes[g.Name]
	c.nodes[g.Name]++
	c.mu.Unlock()
	node := BuildNode(g, i, c.Zones[i%len(c.Zones)])
	_, err := c.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("simcluster: creating node %s: %w", node.Name, err)
	}
	return nil
}

// BuildNode is the i-th node of group g in zone, as EKS registers it:
// the group's labels and taints, EKS's node labels, capacity of the
// instance type, allocatable after the kubelet's reservations.
func BuildNode(g NodeGroup, i int, zone string) *corev1.Node {
	t := g.Type()
	name := NodeName(g.Name, i)
	labels := map[string]string{
		LabelNodegroup:                  g.Name,
		LabelCapacityType:               g.CapacityType,
		LabelInstanceType:               t.Name,
		LabelZone:                       zone,
		"topology.ebs.csi.aws.com/zone": zone,
		LabelArch:                       string(t.Arch),
		LabelOS:                         "linux",
		LabelHostname:                   name,
		"type":                          "kwok",
	}
	for k, v := range g.Labels {
		labels[k] = v
	}
	var taints []corev1.Taint
	for _, tt := range g.Taints {
		taints = append(taints, corev1.Taint{Key: tt.Key, Value: tt.Value, Effect: corev1.TaintEffect(tt.Effect)})
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewMilliQuantity(int64(t.VCPU)*1000, resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity(t.MemoryMiB<<20, resource.BinarySI),
		corev1.ResourcePods:             *resource.NewQuantity(int64(t.MaxPods), resource.DecimalSI),
		corev1.ResourceEphemeralStorage: resource.MustParse("80Gi"),
	}
	allocatable := corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewMilliQuantity(t.AllocatableCPUMillis(), resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity(t.AllocatableMemoryMiB()<<20, resource.BinarySI),
		corev1.ResourcePods:             *resource.NewQuantity(int64(t.MaxPods), resource.DecimalSI),
		corev1.ResourceEphemeralStorage: resource.MustParse("71Gi"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Labels:      labels,
			Annotations: map[string]string{kubetest.KwokNodeAnnotation: kubetest.KwokNodeAnnotationValue, "node.alpha.kubernetes.io/ttl": "0"},
		},
		Spec: corev1.NodeSpec{Taints: taints, ProviderID: "aws:///" + zone + "/i-" + fmt.Sprintf("%017x", hash(name))},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: allocatable,
			NodeInfo: corev1.NodeSystemInfo{
				Architecture: string(t.Arch), OperatingSystem: "linux",
				KubeletVersion: "fake", OSImage: "Amazon Linux 2023 (kwok)",
			},
			Phase: corev1.NodeRunning,
		},
	}
}

func hash(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h >> 4
}

func (c *Cluster) loop(ctx context.Context) {
	defer close(c.done)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		_ = c.provisionVolumes(ctx)
		_ = c.scaleUp(ctx)
	}
}

// provisionVolumes plays the EBS CSI driver's external-provisioner: a
// claim of a StorageClass provisioned by ebs.csi.aws.com that the
// scheduler has placed (WaitForFirstConsumer sets
// volume.kubernetes.io/selected-node) gets a PersistentVolume in the
// node's zone, pre-bound to the claim; the controller manager's PV
// controller completes the binding.
func (c *Cluster) provisionVolumes(ctx context.Context) error {
	claims, err := c.Client.CoreV1().PersistentVolumeClaims("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, pvc := range claims.Items {
		if pvc.Status.Phase != corev1.ClaimPending || pvc.Spec.VolumeName != "" {
			continue
		}
		nodeName := pvc.Annotations["volume.kubernetes.io/selected-node"]
		if nodeName == "" || pvc.Spec.StorageClassName == nil {
			continue
		}
		sc, err := c.Client.StorageV1().StorageClasses().Get(ctx, *pvc.Spec.StorageClassName, metav1.GetOptions{})
		if err != nil || sc.Provisioner != EBSDriver {
			continue
		}
		node, err := c.Client.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			continue
		}
		if err := c.createVolume(ctx, &pvc, sc, node.Labels[LabelZone]); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

func (c *Cluster) createVolume(ctx context.Context, pvc *corev1.PersistentVolumeClaim, sc *storagev1.StorageClass, zone string) error {
	reclaim := corev1.PersistentVolumeReclaimDelete
	if sc.ReclaimPolicy != nil {
		reclaim = *sc.ReclaimPolicy
	}
	mode := corev1.PersistentVolumeFilesystem
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "pvc-" + string(pvc.UID),
			Annotations: map[string]string{"pv.kubernetes.io/provisioned-by": EBSDriver},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes:                   pvc.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: reclaim,
			StorageClassName:              sc.Name,
			VolumeMode:                    &mode,
			ClaimRef: &corev1.ObjectReference{
				Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID,
			},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver: EBSDriver, VolumeHandle: fmt.Sprintf("vol-%017x", hash(string(pvc.UID))), FSType: "ext4",
			}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: LabelZone, Operator: corev1.NodeSelectorOpIn, Values: []string{zone}}},
			}}}},
		},
	}
	_, err := c.Client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	return err
}

// scaleUp plays cluster-autoscaler's scale-up from zero for the groups it
// is configured to discover: a pod the scheduler marked Unschedulable gets
// a node added to the first group whose template node (its labels and the
// node-template tags, its allocatable) would fit the pod, up to the
// group's MaxSize. It never adds a node a pod cannot fit: that pod stays
// Pending, with the scheduler's reason, as on EKS.
func (c *Cluster) scaleUp(ctx context.Context) error {
	pods, err := c.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=,status.phase=Pending"})
	if err != nil {
		return err
	}
	type room struct{ cpu, mem int64 }
	fresh := map[string][]room{} // nodes added this round, by group
	for _, p := range pods.Items {
		if !unschedulable(&p) {
			continue
		}
		cpu, mem := podRequests(&p)
		for _, g := range c.Groups {
			if !g.fits(&p, cpu, mem) {
				continue
			}
			placed := false
			for i := range fresh[g.Name] {
				if r := &fresh[g.Name][i]; r.cpu >= cpu && r.mem >= mem {
					r.cpu, r.mem, placed = r.cpu-cpu, r.mem-mem, true
					break
				}
			}
			if placed {
				break
			}
			c.mu.Lock()
			n := c.nodes[g.Name]
			c.mu.Unlock()
			if n >= g.Max {
				continue
			}
			if err := c.addNode(ctx, g); err != nil {
				return err
			}
			t := g.Type()
			fresh[g.Name] = append(fresh[g.Name], room{t.AllocatableCPUMillis() - cpu, t.AllocatableMemoryMiB()<<20 - mem})
			break
		}
	}
	return nil
}

func unschedulable(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return true
		}
	}
	return false
}

// podRequests is the scheduler's view of a pod's CPU (millis) and memory
// (bytes): the larger of the sum of its containers and its largest init
// container.
func podRequests(p *corev1.Pod) (cpu, mem int64) {
	for _, ct := range p.Spec.Containers {
		cpu += ct.Resources.Requests.Cpu().MilliValue()
		mem += ct.Resources.Requests.Memory().Value()
	}
	for _, ct := range p.Spec.InitContainers {
		cpu = max(cpu, ct.Resources.Requests.Cpu().MilliValue())
		mem = max(mem, ct.Resources.Requests.Memory().Value())
	}
	return cpu, mem
}

// fits reports whether a template node of g satisfies the pod's node
// selector, tolerates nothing it must not, and has the room.
func (g NodeGroup) fits(p *corev1.Pod, cpu, mem int64) bool {
	labels := map[string]string{LabelNodegroup: g.Name, LabelCapacityType: g.CapacityType,
		LabelArch: string(g.Type().Arch), LabelOS: "linux", LabelInstanceType: g.Type().Name}
	for k, v := range g.AutoscalerLabels {
		labels[k] = v
	}
	for k, v := range g.Labels {
		labels[k] = v
	}
	for k, v := range p.Spec.NodeSelector {
		if labels[k] != v {
			return false
		}
	}
	for _, t := range g.Taints {
		tolerated := false
		for _, tol := range p.Spec.Tolerations {
			if tol.ToleratesTaint(klog.Background(), &corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)}, false) {
				tolerated = true
			}
		}
		if !tolerated {
			return false
		}
	}
	t := g.Type()
	return cpu <= t.AllocatableCPUMillis() && mem <= t.AllocatableMemoryMiB()<<20
}

// GroupOf returns the node group of a node name ("" if none).
func (c *Cluster) GroupOf(ctx context.Context, nodeName string) string {
	n, err := c.Client.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return n.Labels[LabelNodegroup]
}
