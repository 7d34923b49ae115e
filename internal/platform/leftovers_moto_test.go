package platform

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/sqletl/blueprint/charts"
	"github.com/sqletl/blueprint/internal/awsapi"
	"github.com/sqletl/blueprint/internal/kube"
	"github.com/sqletl/blueprint/internal/leftovertest"
	"github.com/sqletl/blueprint/internal/mototest"
	"github.com/sqletl/blueprint/internal/stackreg"
)

// leftovers creates in moto, the way the EKS CSI driver, the load balancer
// controller, the VPC CNI and AWS would, what a running deployment named
// name leaves outside its stacks: a user's home volume, the hub database
// volume, a load balancer with its target group and security group, a
// detached CNI interface and the AWS-created log groups. It returns the
// sweep of them.
func (e *motoEnv) leftovers(name string) leftovertest.Clients {
	e.t.Helper()
	ctx := e.t.Context()
	c := leftovertest.Clients{EC2: e.ec2, ELB: e.elb, Logs: e.logs}
	// A VPC like the network stack's (the stand-in templates have none).
	vpc, err := e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		e.t.Fatal(err)
	}
	vpcID := aws.ToString(vpc.Vpc.VpcId)
	var subnets []string
	for i, z := range []string{"a", "b"} {
		s, err := e.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String([]string{"10.0.0.0/24", "10.0.1.0/24"}[i]),
			AvailabilityZone: aws.String(mototest.Region + z)})
		if err != nil {
			e.t.Fatal(err)
		}
		subnets = append(subnets, aws.ToString(s.Subnet.SubnetId))
	}
	must := func(_ any, err error) {
		e.t.Helper()
		if err != nil {
			e.t.Fatal(err)
		}
	}
	must(c.ClaimVolume(ctx, name, mototest.Region+"a", "jupyter", "claim-alice", 10))
	must(c.ClaimVolume(ctx, name, mototest.Region+"a", "jupyter", "hub-db-dir", 1))
	must(c.LBCSecurityGroup(ctx, name, vpcID, "jupyter/jupyterhub"))
	must(c.CNIInterface(ctx, name, subnets[0]))
	_, _, err = c.LBCLoadBalancer(ctx, name, vpcID, subnets, "jupyter/jupyterhub")
	must(nil, err)
	must(c.AWSLogGroups(ctx, name))
	return c
}

func (e *motoEnv) sweep(c leftovertest.Clients, name string) []string {
	e.t.Helper()
	found, err := c.Sweep(e.t.Context(), name, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return found
}

// TestDownLeavesNothing: with the platform up and, created as AWS and the
// controllers would, a home volume, the hub database volume, a load
// balancer controller's load balancer, target group and security group, a
// CNI interface and the log groups, down leaves only what it lists as
// kept (the two volumes' snapshots), re-running it changes nothing, and
// down --delete-data leaves nothing. Another deployment's volume is never
// touched.
func TestDownLeavesNothing(t *testing.T) {
	e := newMotoEnv(t, "name: lv\n", stackreg.For)
	e.deployAll()
	ctx := t.Context()
	c := e.leftovers("lv")
	otherVol, err := c.ClaimVolume(ctx, "other", mototest.Region+"a", "jupyter", "claim-bob", 5)
	if err != nil {
		t.Fatal(err)
	}
	if before := e.sweep(c, "lv"); len(before) != 11 {
		t.Fatalf("the sweep sees %d leftovers, want 11 (2 volumes, SG, ENI, LB, TG, 5 log groups): %v", len(before), before)
	}

	res, _, err := e.down(false, yes)
	if err != nil {
		t.Fatalf("down: %v", err)
	}
	after := e.sweep(c, "lv")
	var keptIDs []string
	for _, s := range res.Snapshots {
		keptIDs = append(keptIDs, "EBS snapshot "+s.ID)
		if !slices.ContainsFunc(res.Kept, func(k string) bool { return strings.Contains(k, s.ID) && strings.Contains(k, "/month") }) {
			t.Errorf("snapshot %s is not in the kept list with its cost: %v", s.ID, res.Kept)
		}
	}
	slices.Sort(keptIDs)
	if !slices.Equal(after, keptIDs) || len(keptIDs) != 2 {
		t.Errorf("after down the sweep finds %v; kept lists snapshots %v (want the home and hub database snapshots only)\nkept: %v\nremoved: %v",
			after, keptIDs, res.Kept, res.Removed)
	}
	byData := map[string]KeptSnapshot{}
	for _, s := range res.Snapshots {
		byData[s.Data] = s
	}
	if h := byData[DataHome]; h.User != "alice" || h.Claim != "jupyter/claim-alice" || h.SizeGiB != 10 || h.MonthlyUSD != 0.5 {
		t.Errorf("home snapshot = %+v, want alice's 10 GiB at most $0.50/month", h)
	}
	if _, ok := byData[DataHubDatabase]; !ok {
		t.Errorf("no hub database snapshot in %+v", res.Snapshots)
	}
	if len(res.RestoreCommands) == 0 {
		t.Error("down printed no commands to restore the home directories")
	}
	if !volumeExists(e, otherVol) {
		t.Error("down deleted another deployment's volume")
	}

	// A re-run asks nothing, deletes nothing and still lists the snapshots.
	again, _, err := e.down(false, func(string) (bool, error) { t.Error("re-run asked for confirmation"); return false, nil })
	if err != nil || !again.NothingToDo || len(again.Snapshots) != 2 {
		t.Errorf("re-run: err=%v result=%+v", err, again)
	}
	if got := e.sweep(c, "lv"); !slices.Equal(got, after) {
		t.Errorf("re-run changed the leftovers: %v → %v", after, got)
	}

	if _, _, err := e.down(true, yes); err != nil {
		t.Fatalf("down --delete-data: %v", err)
	}
	if got := e.sweep(c, "lv"); len(got) != 0 {
		t.Errorf("after down --delete-data the sweep finds %v", got)
	}
	if !volumeExists(e, otherVol) {
		t.Error("down --delete-data deleted another deployment's volume")
	}
}

// TestHomeDirectorySurvivesDown: down snapshots a user's home volume before
// deleting it, tagged with the user and the deployment, and the commands
// it prints bring it back: the aws CLI (run for real against moto) makes a
// volume from the snapshot tagged for the claim, and the PersistentVolume
// is bound in advance to the claim KubeSpawner makes for that user
// (claim-{username}, namespace jupyter, the hub's StorageClass) and is
// large enough for it.
func TestHomeDirectorySurvivesDown(t *testing.T) {
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed")
	}
	e := newMotoEnv(t, "name: hd\n", stackreg.For)
	e.deployAll()
	ctx := t.Context()
	c := leftovertest.Clients{EC2: e.ec2, ELB: e.elb, Logs: e.logs}
	vol, err := c.ClaimVolume(ctx, "hd", mototest.Region+"b", "jupyter", "claim-alice", 10)
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := e.down(false, yes)
	if err != nil {
		t.Fatal(err)
	}
	if volumeExists(e, vol) {
		t.Error("the home volume is still there after down")
	}
	if len(res.Snapshots) != 1 {
		t.Fatalf("snapshots %+v, want alice's", res.Snapshots)
	}
	snap := res.Snapshots[0]
	got, err := e.ec2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{snap.ID}})
	if err != nil || len(got.Snapshots) != 1 {
		t.Fatalf("snapshot %s: %v", snap.ID, err)
	}
	tags := map[string]string{}
	for _, tg := range got.Snapshots[0].Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	for k, v := range map[string]string{stackreg.DeploymentTag: "hd", TagUser: "alice", TagClaim: "jupyter/claim-alice", TagSourceVolume: vol, TagZone: mototest.Region + "b"} {
		if tags[k] != v {
			t.Errorf("snapshot tag %s = %q, want %q", k, tags[k], v)
		}
	}
	if aws.ToString(got.Snapshots[0].VolumeId) != vol || aws.ToInt32(got.Snapshots[0].VolumeSize) != 10 {
		t.Errorf("snapshot of %s (%d GiB), want %s (10 GiB)", aws.ToString(got.Snapshots[0].VolumeId), aws.ToInt32(got.Snapshots[0].VolumeSize), vol)
	}

	// The printed commands, run for real: the volume first.
	cmds := RestoreCommands(e.conf, snap)
	script := cmds[0] + "\necho \"$VOL\"\n"
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(), moto.Environ()...)
	cmd.Env = append(cmd.Env, "AWS_PAGER=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", awsCLI, err, out)
	}
	restored := strings.TrimSpace(string(out))
	vols, err := e.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{restored}})
	if err != nil || len(vols.Volumes) != 1 {
		t.Fatalf("restored volume %q: %v", restored, err)
	}
	v := vols.Volumes[0]
	if aws.ToString(v.SnapshotId) != snap.ID || aws.ToString(v.AvailabilityZone) != mototest.Region+"b" || v.VolumeType != ec2types.VolumeTypeGp3 {
		t.Errorf("restored volume %+v", v)
	}
	// The restored volume carries the claim's tags, so the next down
	// snapshots it again.
	found, err := (awsapi.Leftovers{EC2: e.ec2, ELB: e.elb, Logs: e.logs}).Find(ctx, Owner(e.conf))
	if err != nil || !slices.ContainsFunc(found, func(r awsapi.Resource) bool { return r.ID == restored && r.Claim() == "jupyter/claim-alice" }) {
		t.Errorf("the restored volume is not found as alice's: %v %+v", err, found)
	}

	// Then the PersistentVolume: bound in advance to the claim KubeSpawner
	// creates (claim-{user_server}, KubeSpawner's pvc_name_template; z2jh
	// 4.4.0 leaves it unset), in the hub's StorageClass, at least as large
	// as the claim's request, pinned to the volume's zone.
	manifest := strings.TrimSuffix(strings.SplitN(cmds[1], "\n", 2)[1], "EOF")
	var pv corev1.PersistentVolume
	if err := yaml.UnmarshalStrict([]byte(strings.ReplaceAll(manifest, "$VOL", restored)), &pv); err != nil {
		t.Fatalf("PersistentVolume: %v\n%s", err, manifest)
	}
	ref := pv.Spec.ClaimRef
	if ref == nil || ref.Namespace != "jupyter" || ref.Name != "claim-alice" {
		t.Errorf("claimRef %+v, want jupyter/claim-alice", ref)
	}
	if pv.Spec.StorageClassName != charts.DefaultPlatformValues().StorageClass.Name {
		t.Errorf("storage class %q, want the hub's %q", pv.Spec.StorageClassName, charts.DefaultPlatformValues().StorageClass.Name)
	}
	want := resource.MustParse(fmt.Sprintf("%dGi", e.conf.Platform.JupyterHub.HomeSizeGiB))
	if q := pv.Spec.Capacity[corev1.ResourceStorage]; q.Cmp(want) < 0 {
		t.Errorf("capacity %s < the claim's %s", q.String(), want.String())
	}
	if pv.Spec.CSI == nil || pv.Spec.CSI.VolumeHandle != restored || pv.Spec.CSI.Driver != "ebs.csi.aws.com" {
		t.Errorf("csi %+v", pv.Spec.CSI)
	}
	if pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimRetain {
		t.Errorf("reclaim policy %s, want Retain", pv.Spec.PersistentVolumeReclaimPolicy)
	}
}

func volumeExists(e *motoEnv, id string) bool {
	out, err := e.ec2.DescribeVolumes(e.t.Context(), &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
	return err == nil && len(out.Volumes) == 1
}

// binder records what up binds; ClaimTaken answers from what it bound (a
// fake of blueprint's own VolumeBinder; kube.Volumes runs against the API
// server in e2e).
type binder struct{ bound []kube.RestoredVolume }

func (b *binder) ClaimTaken(_ context.Context, _ *rest.Config, ns, name string) (bool, error) {
	return slices.ContainsFunc(b.bound, func(v kube.RestoredVolume) bool { return v.Namespace == ns && v.Claim == name }), nil
}

func (b *binder) PreBind(_ context.Context, _ *rest.Config, v kube.RestoredVolume) error {
	b.bound = append(b.bound, v)
	return nil
}

// TestUpRestoresHomeDirectories: after down kept alice's home as a
// snapshot, up makes a volume from it, tagged as her claim's (so the next
// down finds it), and binds it in advance to her claim; a re-run restores
// nothing twice; the next down snapshots the restored volume and keeps only
// that newest snapshot of the claim.
func TestUpRestoresHomeDirectories(t *testing.T) {
	e := newMotoEnv(t, "name: rs\n", stackreg.For)
	e.deployAll()
	ctx := t.Context()
	c := leftovertest.Clients{EC2: e.ec2, ELB: e.elb, Logs: e.logs}
	if _, err := c.ClaimVolume(ctx, "rs", mototest.Region+"a", "jupyter", "claim-alice", 10); err != nil {
		t.Fatal(err)
	}
	first, _, err := e.down(false, yes)
	if err != nil || len(first.Snapshots) != 1 {
		t.Fatalf("down: %v %+v", err, first)
	}
	e.deployAll()
	b := &binder{}
	up := &UpOptions{Config: e.conf, AWS: e.aws(), Volumes: b}
	restored, err := up.restoreVolumes(ctx, &rest.Config{})
	if err != nil || len(restored) != 1 || len(b.bound) != 1 {
		t.Fatalf("restore: %v %v %+v", err, restored, b.bound)
	}
	v := b.bound[0]
	if v.Namespace != "jupyter" || v.Claim != "claim-alice" || v.SizeGiB != 10 || v.Zone != mototest.Region+"a" || v.StorageClass != HomeStorageClass {
		t.Errorf("bound %+v", v)
	}
	vols, err := e.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{v.VolumeID}})
	if err != nil || len(vols.Volumes) != 1 || aws.ToString(vols.Volumes[0].SnapshotId) != first.Snapshots[0].ID {
		t.Fatalf("restored volume %s: %v", v.VolumeID, err)
	}
	// Re-runs: the claim is taken, and a volume made by an interrupted run
	// is reused rather than made again.
	if again, err := up.restoreVolumes(ctx, &rest.Config{}); err != nil || len(again) != 0 {
		t.Errorf("re-run restored %v (%v)", again, err)
	}
	b.bound = nil
	if _, err := up.restoreVolumes(ctx, &rest.Config{}); err != nil || len(b.bound) != 1 || b.bound[0].VolumeID != v.VolumeID {
		t.Errorf("after an interrupted run: %v %+v, want volume %s reused", err, b.bound, v.VolumeID)
	}

	second, _, err := e.down(false, yes)
	if err != nil || len(second.Snapshots) != 1 || second.Snapshots[0].ID == first.Snapshots[0].ID {
		t.Fatalf("second down: %v snapshots %+v, want one new snapshot of the restored volume", err, second.Snapshots)
	}
	if got := e.sweep(c, "rs"); !slices.Equal(got, []string{"EBS snapshot " + second.Snapshots[0].ID}) {
		t.Errorf("after the second down: %v, want only the newest snapshot", got)
	}
}
