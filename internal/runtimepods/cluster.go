package runtimepods

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// What the cluster must run for these pods to be placed, beyond the
// default scheduler: JupyterHub's user scheduler and a volume for each
// claim.

// UserScheduler returns the KubeSchedulerConfiguration the jupyterhub
// chart gives its user-scheduler Deployment (ConfigMap "user-scheduler",
// config.yaml) and the scheduler name user pods ask for
// (KubeSpawner.scheduler_name). KubeSpawner pods name that scheduler, so on
// a cluster whose pods do not really run (kwok) they stay Pending unless a
// kube-scheduler is started with this configuration. kubeconfig is written
// into clientConnection (the chart's pod uses its in-cluster account).
func UserScheduler(renderedHubManifest []byte, kubeconfig string) (config []byte, schedulerName string, err error) {
	objs, err := decodeManifest(renderedHubManifest)
	if err != nil {
		return nil, "", err
	}
	o, ok := find(objs, "ConfigMap", "user-scheduler")
	if !ok {
		return nil, "", errors.New("no ConfigMap \"user-scheduler\" in the rendered jupyterhub manifest (scheduling.userScheduler.enabled is false?)")
	}
	var cm corev1.ConfigMap
	if err := yaml.Unmarshal(o.raw, &cm); err != nil {
		return nil, "", err
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(cm.Data["config.yaml"]), &cfg); err != nil {
		return nil, "", fmt.Errorf("user-scheduler config.yaml: %w", err)
	}
	profiles, _ := cfg["profiles"].([]any)
	if len(profiles) != 1 {
		return nil, "", fmt.Errorf("user-scheduler config.yaml has %d profiles, want 1", len(profiles))
	}
	schedulerName = str(path1(profiles[0], "schedulerName"))
	if kubeconfig != "" {
		cfg["clientConnection"] = map[string]any{"kubeconfig": kubeconfig}
	}
	out, err := yaml.Marshal(cfg)
	return out, schedulerName, err
}

func path1(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}

// ProvisionedVolume is the volume the claim's provisioner would create
// (for blueprint's gp3 class, the EBS CSI driver), pre-bound to the claim,
// for a cluster without that driver: the PV controller binds the pair and
// the scheduler's VolumeBinding plugin then sees a bound claim. It carries
// no zone affinity (a real EBS volume is pinned to the zone of the node
// the scheduler picked).
func ProvisionedVolume(pvc corev1.PersistentVolumeClaim, driver string) corev1.PersistentVolume {
	name := "pv-" + pvc.Namespace + "-" + pvc.Name
	return corev1.PersistentVolume{
		TypeMeta:   metav1.TypeMeta{Kind: "PersistentVolume", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes:                   pvc.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			StorageClassName:              deref(pvc.Spec.StorageClassName),
			ClaimRef: &corev1.ObjectReference{
				Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: pvc.Namespace, Name: pvc.Name,
			},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				CSI: &corev1.CSIPersistentVolumeSource{Driver: driver, VolumeHandle: "vol-" + name, FSType: "ext4"},
			},
		},
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
