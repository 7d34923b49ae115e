package platform

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/sqletl/blueprint/charts"
	"github.com/sqletl/blueprint/internal/awsapi"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/cost"
	"github.com/sqletl/blueprint/internal/kube"
	"github.com/sqletl/blueprint/internal/stackreg"
	"github.com/sqletl/blueprint/internal/wait"
)

// LeftoverAPI finds and removes what Kubernetes controllers and AWS created
// for the deployment outside CloudFormation (awsapi.Leftovers).
type LeftoverAPI interface {
	Find(ctx context.Context, o awsapi.Owner) ([]awsapi.Resource, error)
	Delete(ctx context.Context, r awsapi.Resource) error
	Snapshot(ctx context.Context, volume awsapi.Resource, description string, tags map[string]string) (string, error)
	SnapshotState(ctx context.Context, id string) (string, error)
}

// Tags down puts on the snapshot of a user's volume, so a later up (or a
// person) finds whose data it holds.
const (
	TagClaim        = "blueprint:claim"  // namespace/name of the PersistentVolumeClaim
	TagUser         = "blueprint:user"   // JupyterHub user, for a home directory
	TagData         = "blueprint:data"   // DataHome, DataHubDatabase or DataVolume
	TagSourceVolume = "blueprint:volume" // the volume the snapshot was taken of
	TagZone         = "blueprint:zone"   // the source volume's availability zone
	// TagRestoredFrom marks a volume up (or the printed commands) made
	// from a snapshot.
	TagRestoredFrom = "blueprint:restored-from"
)

// What a volume holds.
const (
	DataHome        = "home"
	DataHubDatabase = "hub-database"
	DataVolume      = "volume"
)

// SnapshotPrice is Amazon EBS's Standard-tier snapshot storage price per
// GB-month in region, from the one price table (internal/cost), and where
// it comes from; ok is false for a region without a table. Snapshots are
// billed by the blocks written, so a volume's size gives an upper bound.
func SnapshotPrice(region string) (perGBMonth float64, source string, ok bool) {
	p, err := cost.ForRegion(region)
	if err != nil || p.EBSSnapshotGBMonth == 0 {
		return 0, "", false
	}
	return p.EBSSnapshotGBMonth, fmt.Sprintf("Amazon EBS pricing, Standard-tier snapshots, %s, read %s", p.Region, p.Date), true
}

// hubNamespace is where JupyterHub and its users' claims live
// (workloads: the jupyter namespace).
const hubNamespace = "jupyter"

// KeptSnapshot is one user's data down kept as a snapshot.
type KeptSnapshot struct {
	ID    string `json:"id"`
	Data  string `json:"data"`
	Claim string `json:"claim"`
	User  string `json:"user,omitempty"`
	// SizeGiB is the source volume's size: what a restored volume needs,
	// and the most the snapshot can be billed for.
	SizeGiB int32 `json:"sizeGiB"`
	// MonthlyUSD is at most SizeGiB × the region's snapshot price
	// (SnapshotPrice); 0 and absent from JSON where no price is tabulated.
	MonthlyUSD float64 `json:"monthlyUSDAtMost,omitempty"`
	Zone       string  `json:"zone,omitempty"`
}

func (k KeptSnapshot) String() string {
	what := "volume of claim " + k.Claim
	switch k.Data {
	case DataHome:
		what = "home directory of " + k.User
	case DataHubDatabase:
		what = "JupyterHub database"
	}
	if k.MonthlyUSD == 0 {
		return fmt.Sprintf("snapshot %s: %s (%d GiB)", k.ID, what, k.SizeGiB)
	}
	return fmt.Sprintf("snapshot %s: %s (%d GiB, at most $%.2f/month)", k.ID, what, k.SizeGiB, k.MonthlyUSD)
}

// ClaimData says what the claim namespace/name holds: z2jh 4.4.0 names the
// hub's sqlite claim hub-db-dir (templates/hub/pvc.yaml), and KubeSpawner
// names a user's home claim claim-{user_server} (pvc_name_template, see
// internal/runtimepods), so the user is the rest of the name.
func ClaimData(claim string) (data, user string) {
	ns, name, _ := strings.Cut(claim, "/")
	switch {
	case ns == hubNamespace && name == "hub-db-dir":
		return DataHubDatabase, ""
	case ns == hubNamespace && strings.HasPrefix(name, "claim-"):
		return DataHome, strings.TrimPrefix(name, "claim-")
	}
	return DataVolume, ""
}

// Owner is what marks the deployment's resources outside its stacks.
func Owner(cfg *config.Config) awsapi.Owner {
	// The EKS cluster is named after the deployment (stacks: cluster.Props.Name).
	o := awsapi.ClusterOwner(stackreg.DeploymentTag, cfg.Name, cfg.Name)
	o.LogGroupPrefixes = append(o.LogGroupPrefixes, stackreg.LogGroupPrefix(cfg))
	return o
}

// sweep is one pass over the deployment's leftovers.
type sweep struct {
	o *DownOptions
	// keepLogs: log groups stay (cfg asks to keep logs with the data).
	keepLogs bool
	// kinds limits the pass; nil is every kind.
	kinds []string
}

// snapshotVolumes snapshots every volume of the deployment that has no
// completed snapshot yet and waits until all are completed. It returns the
// volumes whose data is safe in a snapshot (volume → snapshot), and the
// older snapshots of the same claims it then deleted: a claim keeps one
// snapshot, its newest.
func (o *DownOptions) snapshotVolumes(ctx context.Context) (map[string]string, []string, error) {
	bySource, err := o.takeSnapshots(ctx)
	if err != nil {
		return nil, nil, err
	}
	current := map[string]string{} // claim → its volume's new snapshot
	found, err := o.AWS.Leftovers.Find(ctx, Owner(o.Config))
	if err != nil {
		return nil, nil, err
	}
	for _, r := range found {
		if r.Kind == awsapi.KindSnapshot && slices.Contains(slices.Collect(maps.Values(bySource)), r.ID) {
			current[r.Tags[TagClaim]] = r.ID
		}
	}
	var superseded []string
	for _, r := range found {
		c := r.Tags[TagClaim]
		if r.Kind != awsapi.KindSnapshot || c == "" || current[c] == "" || current[c] == r.ID {
			continue
		}
		if err := o.AWS.Leftovers.Delete(ctx, r); err != nil {
			return nil, nil, err
		}
		superseded = append(superseded, r.String()+" (an older snapshot of "+c+")")
	}
	return bySource, superseded, nil
}

func (o *DownOptions) takeSnapshots(ctx context.Context) (map[string]string, error) {
	found, err := o.AWS.Leftovers.Find(ctx, Owner(o.Config))
	if err != nil {
		return nil, err
	}
	bySource := map[string]string{} // volume → snapshot
	for _, r := range found {
		if r.Kind == awsapi.KindSnapshot && r.Tags[TagSourceVolume] != "" && r.State != "error" {
			bySource[r.Tags[TagSourceVolume]] = r.ID
		}
	}
	for _, v := range found {
		if v.Kind != awsapi.KindVolume || bySource[v.ID] != "" {
			continue
		}
		claim := v.Claim()
		if claim == "" {
			claim = v.Tags[TagClaim]
		}
		data, user := ClaimData(claim)
		tags := map[string]string{
			stackreg.DeploymentTag: o.Config.Name, TagClaim: claim, TagData: data,
			TagSourceVolume: v.ID, TagZone: v.Zone,
			"Name": o.Config.Name + " " + data + " " + claim,
		}
		if user != "" {
			tags[TagUser] = user
		}
		id, err := o.AWS.Leftovers.Snapshot(ctx, v, fmt.Sprintf("blueprint %s: %s of claim %s, kept by down", o.Config.Name, data, claim), tags)
		if err != nil {
			return nil, err
		}
		bySource[v.ID] = id
	}
	timeout := o.SnapshotTimeout
	if timeout == 0 {
		timeout = time.Hour
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for vol, snap := range bySource {
		err := wait.Until(ctx, "snapshot "+snap+" of "+vol, o.Backoff, o.Clock, func(ctx context.Context) (bool, error) {
			state, err := o.AWS.Leftovers.SnapshotState(ctx, snap)
			if err != nil {
				return false, err
			}
			switch state {
			case "completed":
				return true, nil
			case "error", "":
				return false, fmt.Errorf("snapshot %s of %s is %q: the volume is kept; re-run down to try again", snap, vol, state)
			}
			return false, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return bySource, nil
}

// run deletes what the pass may delete and returns what stays, each with
// the reason. A volume is deleted only once its data is in a completed
// snapshot (safe), or with --delete-data.
func (s sweep) run(ctx context.Context, safe map[string]string) (removed []string, kept []string, snaps []KeptSnapshot, err error) {
	o := s.o
	found, err := o.AWS.Leftovers.Find(ctx, Owner(o.Config))
	if err != nil {
		return nil, nil, nil, err
	}
	for _, r := range found {
		if s.kinds != nil && !slices.Contains(s.kinds, r.Kind) {
			continue
		}
		if st := r.Stack(); st != "" {
			continue // the stack's own, deleted (or retained) with it
		}
		reason := ""
		switch r.Kind {
		case awsapi.KindSnapshot:
			if !o.DeleteData {
				snaps = append(snaps, keptSnapshot(r, o.Config.Region))
				continue
			}
		case awsapi.KindVolume:
			if !o.DeleteData && safe[r.ID] == "" {
				reason = "user data with no completed snapshot; re-run down"
			} else if r.State == "in-use" {
				reason = "still attached; re-run down once it is available"
			}
		case awsapi.KindNetworkInterface:
			if r.State == "in-use" {
				reason = "still attached; re-run down once it is available"
			}
		case awsapi.KindLogGroup:
			if s.keepLogs && !o.DeleteData {
				reason = "kept with the data (logs are kept on down); deleted by --delete-data"
			}
		}
		if reason == "" {
			if err := o.AWS.Leftovers.Delete(ctx, r); err != nil {
				reason = "could not be deleted (" + err.Error() + "); re-run down"
			} else {
				removed = append(removed, r.String())
				continue
			}
		}
		kept = append(kept, r.String()+": "+reason)
	}
	return removed, kept, snaps, nil
}

func keptSnapshot(r awsapi.Resource, region string) KeptSnapshot {
	claim := r.Tags[TagClaim]
	if claim == "" {
		claim = r.Claim()
	}
	data, user := ClaimData(claim)
	if d := r.Tags[TagData]; d != "" {
		data = d
	}
	if u := r.Tags[TagUser]; u != "" {
		user = u
	}
	price, _, _ := SnapshotPrice(region)
	return KeptSnapshot{ID: r.ID, Data: data, Claim: claim, User: user, SizeGiB: r.SizeGiB, Zone: r.Tags[TagZone],
		MonthlyUSD: float64(r.SizeGiB) * price}
}

// RestoreCommands are the commands that bring a kept snapshot back as the
// volume of its claim, for a person to run against a cluster of the same
// deployment before the claim exists (up does the same by itself while the
// snapshot is kept): a gp3 volume from the snapshot, then a
// PersistentVolume bound in advance to the claim (kube.RestoredVolume).
func RestoreCommands(cfg *config.Config, k KeptSnapshot) []string {
	ns, name, _ := strings.Cut(k.Claim, "/")
	zone := k.Zone
	if zone == "" {
		zone = cfg.Network.AvailabilityZones[0]
	}
	pv, err := yaml.Marshal(kube.RestoredVolume{Namespace: ns, Claim: name, VolumeID: "$VOL", Zone: zone,
		StorageClass: HomeStorageClass, SizeGiB: k.SizeGiB}.PersistentVolume())
	if err != nil {
		panic(err) // a struct of plain fields always marshals
	}
	return []string{
		fmt.Sprintf("VOL=$(aws ec2 create-volume --region %s --availability-zone %s --snapshot-id %s --volume-type gp3 --encrypted "+
			"--tag-specifications 'ResourceType=volume,Tags=[{Key=%s,Value=%s},{Key=%s,Value=%s},{Key=%s,Value=%s},{Key=%s,Value=%s}]' --query VolumeId --output text)",
			cfg.Region, zone, k.ID, stackreg.DeploymentTag, cfg.Name, awsapi.TagCSIClaimNamespace, ns, awsapi.TagCSIClaimName, name, TagRestoredFrom, k.ID),
		"kubectl apply -f - <<EOF\n" + string(pv) + "EOF",
	}
}

// HomeStorageClass is the StorageClass of the hub's claims (the platform
// chart's storageClass.name, which the hub's values name).
var HomeStorageClass = charts.DefaultPlatformValues().StorageClass.Name
