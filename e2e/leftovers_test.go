package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sqletl/blueprint/constructs/boundary"
	"github.com/sqletl/blueprint/internal/kubetest"
	"github.com/sqletl/blueprint/internal/leftovertest"
	"github.com/sqletl/blueprint/internal/mototest"
)

// downView is the part of `down -o json` these tests read.
type downView struct {
	Kept      []string `json:"kept"`
	Removed   []string `json:"removed"`
	Snapshots []struct {
		ID, Data, Claim, User string
		SizeGiB               int32 `json:"sizeGiB"`
	} `json:"snapshots"`
	RestoreCommands []string `json:"restoreCommands"`
}

// upSeeded runs up until it completes: the first stops at the login
// secret moto's CloudFormation cannot create (see the package comment).
func (h *harness) upSeeded() {
	h.t.Helper()
	if first := h.run("up", "-o", "json"); first.code != 0 {
		if !strings.Contains(first.stderr, "login secret") {
			h.t.Fatalf("up: exit %d\n%s", first.code, first.stderr)
		}
		h.seedLogin()
		h.mustRun("up", "-o", "json")
	}
}

func (h *harness) leftoverClients() leftovertest.Clients {
	cfg := moto.AWSConfig(h.t)
	return leftovertest.Clients{EC2: ec2.NewFromConfig(cfg), ELB: elbv2.NewFromConfig(cfg), Logs: cloudwatchlogs.NewFromConfig(cfg)}
}

// createLeftovers creates in moto, in the network stack's VPC, what the
// EBS CSI driver, the load balancer controller, the VPC CNI and AWS create
// for a running e2e deployment outside its stacks.
func (h *harness) createLeftovers(c leftovertest.Clients) {
	h.t.Helper()
	ctx := context.Background()
	vpc := h.output(stackNetwork, "VpcId")
	subs, err := c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}})
	if err != nil || len(subs.Subnets) < 2 {
		h.t.Fatalf("subnets of %s: %v", vpc, err)
	}
	var subnets []string
	zones := map[string]bool{}
	for _, s := range subs.Subnets {
		if z := aws.ToString(s.AvailabilityZone); !zones[z] {
			zones[z] = true
			subnets = append(subnets, aws.ToString(s.SubnetId))
		}
	}
	zone := aws.ToString(subs.Subnets[0].AvailabilityZone)
	check := func(_ any, err error) {
		h.t.Helper()
		if err != nil {
			h.t.Fatal(err)
		}
	}
	check(c.ClaimVolume(ctx, "e2e", zone, "jupyter", "claim-alice", 10))
	check(c.ClaimVolume(ctx, "e2e", zone, "jupyter", "hub-db-dir", 1))
	check(c.LBCSecurityGroup(ctx, "e2e", vpc, "jupyter/jupyterhub"))
	check(c.CNIInterface(ctx, "e2e", subnets[0]))
	_, _, err = c.LBCLoadBalancer(ctx, "e2e", vpc, subnets, "jupyter/jupyterhub")
	check(nil, err)
	check(c.AWSLogGroups(ctx, "e2e"))
}

// TestSimulatedDownLeavesNothing: the platform up on moto and the
// simulated cluster's API server; a user's home volume, the hub database
// volume, a load balancer controller's load balancer, target group and
// security group, a CNI interface and the AWS-created log groups made as
// those components make them; down leaves only what it lists as kept (the
// volumes' snapshots), and down --delete-data leaves nothing.
func TestSimulatedDownLeavesNothing(t *testing.T) {
	h := newHarness(t, kubetest.StartWithOptions(t, kubetest.Options{Cluster: true}))
	h.upSeeded()
	c := h.leftoverClients()
	h.createLeftovers(c)
	sweep := func() []string {
		t.Helper()
		found, err := c.Sweep(context.Background(), "e2e", "e2e")
		if err != nil {
			t.Fatal(err)
		}
		return found
	}
	if before := sweep(); len(before) < 10 {
		t.Fatalf("the sweep sees only %v before down", before)
	}

	h.deleteWhatMotoCannot()
	down := decode[downView](t, h.mustRun("down", "--yes", "-o", "json"))
	var kept []string
	for _, s := range down.Snapshots {
		kept = append(kept, "EBS snapshot "+s.ID)
		if !slices.ContainsFunc(down.Kept, func(k string) bool { return strings.Contains(k, s.ID) && strings.Contains(k, "/month") }) {
			t.Errorf("snapshot %s is not in kept with its cost: %v", s.ID, down.Kept)
		}
	}
	slices.Sort(kept)
	if after := sweep(); len(kept) != 2 || !slices.Equal(after, kept) {
		t.Errorf("after down the sweep finds %v; kept lists %v\nkept: %v\nremoved: %v", after, kept, down.Kept, down.Removed)
	}
	simSummary.addLine(fmt.Sprintf("down: removed %d leftovers outside the stacks, kept %d snapshots of users' volumes", len(down.Removed), len(down.Snapshots)))

	// moto 5.2 has no UpdateTerminationProtection (nor enforces the
	// flag): answer it as CloudFormation does, so --delete-data can run.
	off := &atomic.Bool{}
	h.wrapAWS = func(next http.RoundTripper) http.RoundTripper { return terminationProtection{next, off} }
	h.mustRun("down", "--yes", "--delete-data")
	h.wrapAWS = nil
	if after := sweep(); len(after) != 0 {
		t.Errorf("after down --delete-data the sweep finds %v", after)
	}
	for _, s := range []string{stackNetwork, stackData, stackAnalytics} {
		if st := h.stackStatus(s); st != "MISSING" {
			t.Errorf("after down --delete-data, %s is %s", s, st)
		}
	}
}

// TestSimulatedHomeDirectorySurvivesDown: a user's home volume is kept as a
// snapshot by down; after a later up with the same name, the commands down
// printed (the aws CLI against moto, kubectl against the API server) bring
// it back, and the claim KubeSpawner creates for the user's first server
// (claim-alice in jupyter, the hub's StorageClass, the configured size;
// internal/runtimepods builds it from the chart) is bound by the real
// PersistentVolume controller to the restored volume.
func TestSimulatedHomeDirectorySurvivesDown(t *testing.T) {
	// The restore is the commands down prints, so the tools a user runs
	// them with must be here; make test (BLUEPRINT_REQUIRE_MOTO=1) fails
	// without them rather than skip.
	for _, tool := range []string{"aws", "kubectl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv(mototest.EnvRequire) == "1" {
				t.Fatalf("%s is not installed; down's restore commands need it", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	env := kubetest.StartWithOptions(t, kubetest.Options{Cluster: true})
	h := newHarness(t, env)
	h.upSeeded()
	c := h.leftoverClients()
	ctx := context.Background()
	vol, err := c.ClaimVolume(ctx, "e2e", "us-east-1a", "jupyter", "claim-alice", 10)
	if err != nil {
		t.Fatal(err)
	}
	h.deleteWhatMotoCannot()
	down := decode[downView](t, h.mustRun("down", "--yes", "-o", "json"))
	if len(down.Snapshots) != 1 || down.Snapshots[0].User != "alice" || down.Snapshots[0].SizeGiB != 10 {
		t.Fatalf("snapshots %+v, want alice's home (10 GiB)", down.Snapshots)
	}
	if got, err := c.EC2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{vol}}); err == nil && len(got.Volumes) > 0 {
		t.Error("the home volume was not deleted after its snapshot")
	}

	// moto's DeleteStack leaves the network stack's managed policy (the
	// permissions boundary, constructs/boundary) behind, where CloudFormation
	// deletes it; remove it so the next up can create it again.
	awsEnv := append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_PROFILE=") }), moto.Environ()...)
	rm := exec.Command("aws", "iam", "delete-policy", "--policy-arn", "arn:aws:iam::"+mototest.AccountID+":policy/"+boundary.PolicyName("e2e"))
	rm.Env = append(awsEnv, "AWS_PAGER=")
	if out, err := rm.CombinedOutput(); err != nil && !strings.Contains(string(out), "NoSuchEntity") {
		t.Fatalf("deleting the boundary policy moto left: %v\n%s", err, out)
	}
	// A later up with the same name, then the printed commands.
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
		if _, err := h.kube.CoreV1().Namespaces().Get(ctx, "jupyter", metav1.GetOptions{}); err != nil || time.Now().After(deadline) {
			break
		}
	}
	h.upSeeded()
	script := strings.Join(down.RestoreCommands, "\n")
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	// The harness sets AWS_PROFILE empty, which the aws CLI refuses.
	environ := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_PROFILE=") })
	cmd.Env = append(append(environ, moto.Environ()...), "AWS_PAGER=", "KUBECONFIG="+env.KubeconfigPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("restore commands: %v\n%s\n%s", err, script, out)
	}

	// The claim KubeSpawner makes at the first start (see
	// runtimepods.checkHomeVolume for how it is built from the chart).
	sc := "gp3"
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "claim-alice", Namespace: "jupyter"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: &sc,
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}},
		},
	}
	if _, err := h.kube.CoreV1().PersistentVolumeClaims("jupyter").Create(ctx, pvc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		got, err := h.kube.CoreV1().PersistentVolumeClaims("jupyter").Get(ctx, "claim-alice", metav1.GetOptions{})
		if err == nil && got.Status.Phase == corev1.ClaimBound {
			pv, err := h.kube.CoreV1().PersistentVolumes().Get(ctx, got.Spec.VolumeName, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			restored := pv.Spec.CSI.VolumeHandle
			vols, err := c.EC2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{restored}})
			if err != nil || len(vols.Volumes) != 1 || aws.ToString(vols.Volumes[0].SnapshotId) != down.Snapshots[0].ID {
				t.Errorf("the claim is bound to %s, not a volume made from snapshot %s: %v", restored, down.Snapshots[0].ID, err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("claim-alice not bound to the restored volume within a minute: %+v %v", got, err)
		}
		time.Sleep(time.Second)
	}
}

// terminationProtection stands in for what moto 5.2 lacks of termination
// protection: it answers UpdateTerminationProtection with CloudFormation's
// success response, and once protection was turned off, DescribeStacks
// shows it off (moto keeps the flag CreateStack set).
type terminationProtection struct {
	next http.RoundTripper
	off  *atomic.Bool
}

func (p terminationProtection) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || !strings.Contains(req.Header.Get("Content-Type"), "x-www-form-urlencoded") {
		return p.next.RoundTrip(req)
	}
	body, _ := io.ReadAll(req.Body)
	req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	switch form.Get("Action") {
	case "UpdateTerminationProtection":
		p.off.Store(form.Get("EnableTerminationProtection") == "false")
		xml := "<UpdateTerminationProtectionResponse><UpdateTerminationProtectionResult><StackId>" + form.Get("StackName") +
			"</StackId></UpdateTerminationProtectionResult></UpdateTerminationProtectionResponse>"
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": []string{"text/xml"}}, Body: io.NopCloser(strings.NewReader(xml)), Request: req}, nil
	case "DescribeStacks":
		resp, err := p.next.RoundTrip(req)
		if err != nil || !p.off.Load() {
			return resp, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		b = bytes.ReplaceAll(b, []byte("<EnableTerminationProtection>true<"), []byte("<EnableTerminationProtection>false<"))
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
		return resp, nil
	}
	return p.next.RoundTrip(req)
}
