// Package runtimepods builds the pods the platform's own software creates
// at run time, the way their creators build them, so a test can submit
// them to an API server and see them admitted and scheduled:
//
//   - JupyterHub user servers, as KubeSpawner 7.0.0 (the version z2jh 4.4.0
//     pins in images/hub/requirements.txt) builds them from the hub
//     configuration the jupyterhub chart renders (hub.go, kubespawner.go);
//   - the Spark driver of each arc-job size, as Argo's workflow controller
//     builds a pod from a WorkflowTemplate's container template, and the
//     executors Spark 3.3.4 creates from its spark-submit configuration
//     (spark.go).
//
// Nothing here talks to a cluster.
package runtimepods

import (
	corev1 "k8s.io/api/core/v1"
)

// Built is one pod as its creator would submit it.
type Built struct {
	// Pod has its namespace set and is ready to Create.
	Pod corev1.Pod
	// Claims must exist (and bind) before Pod can schedule, e.g. a
	// JupyterHub user's home volume, which KubeSpawner creates first.
	Claims []corev1.PersistentVolumeClaim
	// Creator is "kubespawner", "argo" or "spark".
	Creator string
	// What says which pod this is, e.g. "hub user server, profile small".
	What string
	// WantLifecycle is the node label lifecycle value the pod must land on
	// ("OnDemand" or "Ec2Spot"); "" means any node.
	WantLifecycle string
}

// lifecycleLabel is the node label blueprint's node groups carry and its
// workloads select (OnDemand or Ec2Spot).
const lifecycleLabel = "lifecycle"
