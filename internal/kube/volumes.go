package kube

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// RestoredVolume is an EBS volume made from a user's snapshot, to be
// bound to the claim it was taken of.
type RestoredVolume struct {
	Namespace, Claim string
	VolumeID, Zone   string
	StorageClass     string
	SizeGiB          int32
}

// PVName is the PersistentVolume's name.
func (v RestoredVolume) PVName() string { return "restored-" + v.Namespace + "-" + v.Claim }

// PersistentVolume is v as a PersistentVolume bound in advance to its
// claim: the PV controller binds a claim to the volume whose claimRef
// names it (k8s.io/component-helpers storage/volume FindMatchingVolume
// returns a pre-bound volume before it considers delayed binding), so the
// claim KubeSpawner (or the z2jh chart, for the hub database) creates
// later gets the restored data instead of a new, empty volume. The
// volume is the EBS CSI driver's (ebs.csi.aws.com, ext4 as the driver's
// default) and pinned to its zone; Retain keeps it if the claim goes.
func (v RestoredVolume) PersistentVolume() *corev1.PersistentVolume {
	return &corev1.PersistentVolume{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"},
		ObjectMeta: metav1.ObjectMeta{Name: v.PVName(), Labels: map[string]string{"app.kubernetes.io/managed-by": "blueprint"}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: *resource.NewQuantity(int64(v.SizeGiB)<<30, resource.BinarySI)},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              v.StorageClass,
			ClaimRef:                      &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: v.Namespace, Name: v.Claim},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver: "ebs.csi.aws.com", VolumeHandle: v.VolumeID, FSType: "ext4",
			}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{v.Zone}}},
			}}}},
		},
	}
}

// Volumes binds restored volumes to their claims.
type Volumes struct{}

// ClaimTaken reports whether claim namespace/name exists, or a
// PersistentVolume is already bound (or pre-bound) to it: then its data
// is in the cluster and nothing is restored.
func (Volumes) ClaimTaken(ctx context.Context, cfg *rest.Config, namespace, name string) (bool, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return false, err
	}
	_, err = cs.CoreV1().PersistentVolumeClaims(namespace).Get(ctx, name, metav1.GetOptions{})
	if err == nil {
		return true, nil
	}
	if !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("reading claim %s/%s: %w", namespace, name, err)
	}
	pvs, err := cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, fmt.Errorf("listing persistent volumes: %w", err)
	}
	for _, pv := range pvs.Items {
		if r := pv.Spec.ClaimRef; r != nil && r.Namespace == namespace && r.Name == name && pv.Status.Phase != corev1.VolumeReleased {
			return true, nil
		}
	}
	return false, nil
}

// PreBind creates v's PersistentVolume; one that exists is kept.
func (Volumes) PreBind(ctx context.Context, cfg *rest.Config, v RestoredVolume) error {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	_, err = cs.CoreV1().PersistentVolumes().Create(ctx, v.PersistentVolume(), metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating persistent volume %s: %w", v.PVName(), err)
	}
	return nil
}
