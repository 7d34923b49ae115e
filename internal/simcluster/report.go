package simcluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// Placement is where the pods of the cluster are.
type Placement struct {
	// PerGroup counts bound pods per node group.
	PerGroup map[string]int
	// Unschedulable lists pods the scheduler could not place, with its reason.
	Unschedulable []string
	// Rejected lists pods a controller could not create (admission), with the reason.
	Rejected []string
}

// Observe lists every pod and the FailedCreate events controllers record
// when admission refuses their pods.
func (c *Cluster) Observe(ctx context.Context) (Placement, error) {
	p := Placement{PerGroup: map[string]int{}}
	nodes, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return p, err
	}
	group := map[string]string{}
	for _, n := range nodes.Items {
		group[n.Name] = n.Labels[LabelNodegroup]
	}
	pods, err := c.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return p, err
	}
	for _, pod := range pods.Items {
		switch {
		case pod.Spec.NodeName != "":
			p.PerGroup[group[pod.Spec.NodeName]]++
		case unschedulable(&pod):
			p.Unschedulable = append(p.Unschedulable, fmt.Sprintf("%s/%s: %s", pod.Namespace, pod.Name, scheduledMessage(&pod)))
		}
	}
	events, err := c.Client.CoreV1().Events("").List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("reason", "FailedCreate").String(),
	})
	if err != nil {
		return p, err
	}
	for _, e := range events.Items {
		p.Rejected = append(p.Rejected, fmt.Sprintf("%s %s/%s: %s", e.InvolvedObject.Kind, e.InvolvedObject.Namespace, e.InvolvedObject.Name, e.Message))
	}
	sort.Strings(p.Unschedulable)
	sort.Strings(p.Rejected)
	return p, nil
}

func scheduledMessage(p *corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			return c.Message
		}
	}
	return "not scheduled"
}

// Misplaced checks every pod of a Deployment or StatefulSet in namespaces:
// it must select a node group (a lifecycle node selector, so it never lands
// on Spot by accident) and be bound to a node of that group. It returns one
// line per pod that is not.
func (c *Cluster) Misplaced(ctx context.Context, namespaces ...string) ([]string, error) {
	var out []string
	for _, ns := range namespaces {
		pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, pod := range pods.Items {
			if ownerKind(&pod) == "DaemonSet" || ownerKind(&pod) == "Job" || ownerKind(&pod) == "" {
				continue
			}
			want := pod.Spec.NodeSelector["lifecycle"]
			if want == "" {
				out = append(out, fmt.Sprintf("%s/%s selects no node group (no lifecycle node selector)", ns, pod.Name))
				continue
			}
			if pod.Spec.NodeName == "" {
				out = append(out, fmt.Sprintf("%s/%s is not bound: %s", ns, pod.Name, scheduledMessage(&pod)))
				continue
			}
			node, err := c.Client.CoreV1().Nodes().Get(ctx, pod.Spec.NodeName, metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			if got := node.Labels["lifecycle"]; got != want {
				out = append(out, fmt.Sprintf("%s/%s wants lifecycle=%s, is on %s (lifecycle=%s)", ns, pod.Name, want, node.Name, got))
			}
		}
	}
	return out, nil
}

func ownerKind(p *corev1.Pod) string {
	for _, o := range p.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			if o.Kind == "ReplicaSet" {
				return "Deployment"
			}
			return o.Kind
		}
	}
	return ""
}

// Workload is the availability of one Deployment, StatefulSet or DaemonSet.
type Workload struct {
	Kind, Namespace, Name string
	Ready, Want           int32
}

func (w Workload) Available() bool { return w.Ready >= w.Want }

// Workloads lists every Deployment, StatefulSet and DaemonSet in namespaces.
func (c *Cluster) Workloads(ctx context.Context, namespaces ...string) ([]Workload, error) {
	var out []Workload
	for _, ns := range namespaces {
		ds, err := c.Client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, d := range ds.Items {
			out = append(out, Workload{"Deployment", ns, d.Name, d.Status.AvailableReplicas, replicas(d.Spec.Replicas)})
		}
		ss, err := c.Client.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, s := range ss.Items {
			out = append(out, Workload{"StatefulSet", ns, s.Name, s.Status.AvailableReplicas, replicas(s.Spec.Replicas)})
		}
		dss, err := c.Client.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, d := range dss.Items {
			out = append(out, daemonSet(d))
		}
	}
	return out, nil
}

func daemonSet(d appsv1.DaemonSet) Workload {
	return Workload{"DaemonSet", d.Namespace, d.Name, d.Status.NumberAvailable, d.Status.DesiredNumberScheduled}
}

func replicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// SubmitResult is what happened to one pod submitted with Submit.
type SubmitResult struct {
	Group, Node string
	// Rejected is admission's refusal; Unschedulable the scheduler's
	// reason when the pod was not bound in time.
	Rejected, Unschedulable string
}

// Submit creates pod (and its claims) and waits up to timeout for the
// scheduler to bind it. Admission refusals and the scheduler's reason for
// not binding are returned in the result, not as errors.
func (c *Cluster) Submit(ctx context.Context, pod *corev1.Pod, claims []corev1.PersistentVolumeClaim, timeout time.Duration) (SubmitResult, error) {
	var r SubmitResult
	for _, pvc := range claims {
		if _, err := c.Client.CoreV1().PersistentVolumeClaims(pvc.Namespace).Create(ctx, &pvc, metav1.CreateOptions{}); err != nil {
			r.Rejected = "claim " + pvc.Name + ": " + err.Error()
			return r, nil
		}
	}
	created, err := c.Client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		r.Rejected = err.Error()
		return r, nil
	}
	deadline := time.Now().Add(timeout)
	for {
		got, err := c.Client.CoreV1().Pods(created.Namespace).Get(ctx, created.Name, metav1.GetOptions{})
		if err != nil {
			return r, err
		}
		if got.Spec.NodeName != "" {
			r.Node = got.Spec.NodeName
			r.Group = c.GroupOf(ctx, got.Spec.NodeName)
			return r, nil
		}
		if time.Now().After(deadline) {
			r.Unschedulable = scheduledMessage(got)
			return r, nil
		}
		select {
		case <-ctx.Done():
			return r, errors.Join(ctx.Err(), fmt.Errorf("waiting for %s/%s to be scheduled", pod.Namespace, pod.Name))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Table renders rows of columns with aligned widths, for test summaries.
func Table(header []string, rows [][]string) string {
	w := make([]int, len(header))
	for i, h := range header {
		w[i] = len(h)
	}
	for _, r := range rows {
		for i, c := range r {
			w[i] = max(w[i], len(c))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			fmt.Fprintf(&b, "%-*s  ", w[i], c)
		}
		b.WriteString("\n")
	}
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = strings.Repeat("-", w[i])
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
	return b.String()
}
