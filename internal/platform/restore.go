package platform

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/internal/awsapi"
	"github.com/sqletl/blueprint/internal/kube"
	"github.com/sqletl/blueprint/internal/stackreg"
)

// VolumeBinder is the Kubernetes side of restoring users' volumes
// (kube.Volumes).
type VolumeBinder interface {
	ClaimTaken(ctx context.Context, cfg *rest.Config, namespace, name string) (bool, error)
	PreBind(ctx context.Context, cfg *rest.Config, v kube.RestoredVolume) error
}

// VolumeRestorer also makes volumes from snapshots (awsapi.Leftovers).
type VolumeRestorer interface {
	RestoreVolume(ctx context.Context, snapshot, zone string, tags map[string]string) (string, error)
}

// restoreVolumes gives each claim down kept as a snapshot its data back
// before the claim is made: for every claim with a snapshot and neither a
// claim nor a volume bound to it in the cluster, a volume from the newest
// snapshot (one made by an earlier, interrupted run is reused) and a
// PersistentVolume bound in advance to the claim. The snapshots stay
// until the next down has a newer one. It returns the claims restored.
func (o *UpOptions) restoreVolumes(ctx context.Context, kubeCfg *rest.Config) ([]string, error) {
	restorer, ok := o.AWS.Leftovers.(VolumeRestorer)
	if !ok {
		return nil, nil
	}
	found, err := o.AWS.Leftovers.Find(ctx, Owner(o.Config))
	if err != nil {
		return nil, err
	}
	newest := map[string]awsapi.Resource{} // claim → snapshot
	restoredFrom := map[string]string{}    // snapshot → volume
	for _, r := range found {
		switch {
		case r.Kind == awsapi.KindSnapshot && r.State == "completed" && r.Tags[TagClaim] != "":
			c := r.Tags[TagClaim]
			if cur, ok := newest[c]; !ok || r.Created.After(cur.Created) {
				newest[c] = r
			}
		case r.Kind == awsapi.KindVolume && r.Tags[TagRestoredFrom] != "":
			restoredFrom[r.Tags[TagRestoredFrom]] = r.ID
		}
	}
	var restored []string
	for _, claim := range sortedClaims(newest) {
		snap := newest[claim]
		ns, name, _ := strings.Cut(claim, "/")
		taken, err := o.Volumes.ClaimTaken(ctx, kubeCfg, ns, name)
		if err != nil {
			return restored, err
		}
		if taken {
			continue
		}
		zone := snap.Tags[TagZone]
		if zones := o.Config.Network.AvailabilityZones; len(zones) > 0 && !slices.Contains(zones, zone) {
			zone = zones[0] // the cluster no longer spans the snapshot's zone
		}
		vol := restoredFrom[snap.ID]
		if vol == "" {
			vol, err = restorer.RestoreVolume(ctx, snap.ID, zone, map[string]string{
				stackreg.DeploymentTag: o.Config.Name, awsapi.TagCSIClaimNamespace: ns, awsapi.TagCSIClaimName: name,
				TagRestoredFrom: snap.ID, "Name": o.Config.Name + " " + claim,
			})
			if err != nil {
				return restored, err
			}
		}
		v := kube.RestoredVolume{Namespace: ns, Claim: name, VolumeID: vol, Zone: zone, StorageClass: HomeStorageClass, SizeGiB: snap.SizeGiB}
		if err := o.Volumes.PreBind(ctx, kubeCfg, v); err != nil {
			return restored, err
		}
		restored = append(restored, fmt.Sprintf("%s from %s", claim, snap.ID))
	}
	return restored, nil
}

func sortedClaims(m map[string]awsapi.Resource) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
