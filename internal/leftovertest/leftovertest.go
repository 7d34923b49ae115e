// Package leftovertest creates in an AWS emulator what Kubernetes
// controllers and AWS create for a blueprint cluster outside CloudFormation,
// with the tags those components set (read at their source, cited per
// function), and sweeps an account for anything of a deployment's: the
// other side of the tests of `down`. Only tests import it.
//
// Sweep deliberately does not reuse awsapi.Leftovers (the code under
// test): it lists every resource of each kind and matches the marks
// itself.
package leftovertest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	logs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// Clients are the emulator's clients.
type Clients struct {
	EC2  *ec2.Client
	ELB  *elbv2.Client
	Logs *logs.Client
}

// ClaimVolume creates the EBS volume the EBS CSI driver provisions for the
// claim namespace/name through blueprint's StorageClass: the driver's own
// tags (aws-ebs-csi-driver docs/tagging.md: CSIVolumeName and
// ebs.csi.aws.com/cluster on every volume; pkg/driver/constants.go: the
// kubernetes.io/created-for/* tags when the external-provisioner passes
// --extra-create-metadata) and the StorageClass's tagSpecification
// (blueprint:deployment, charts/platform/templates/storageclass.yaml).
func (c Clients) ClaimVolume(ctx context.Context, deployment, zone, namespace, name string, sizeGiB int32) (string, error) {
	pv := "pvc-" + strings.ReplaceAll(name, "claim", "0b5e")
	out, err := c.EC2.CreateVolume(ctx, &ec2.CreateVolumeInput{
		AvailabilityZone: aws.String(zone), Size: aws.Int32(sizeGiB), VolumeType: ec2types.VolumeTypeGp3, Encrypted: aws.Bool(true),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume, Tags: tags(map[string]string{
			"CSIVolumeName":                           pv,
			"ebs.csi.aws.com/cluster":                 "true",
			"kubernetes.io/created-for/pvc/name":      name,
			"kubernetes.io/created-for/pvc/namespace": namespace,
			"kubernetes.io/created-for/pv/name":       pv,
			"blueprint:deployment":                    deployment,
		})}},
	})
	if err != nil {
		return "", fmt.Errorf("creating the volume of %s/%s: %w", namespace, name, err)
	}
	return aws.ToString(out.VolumeId), nil
}

// LBCSecurityGroup creates the security group the AWS Load Balancer
// Controller makes for an Ingress's load balancer, in vpc: tagged with the
// cluster (pkg/deploy/tracking/provider.go: elbv2.k8s.aws/cluster) and the
// Ingress stack (ingress.k8s.aws/stack, ingress.k8s.aws/resource).
func (c Clients) LBCSecurityGroup(ctx context.Context, cluster, vpc, stack string) (string, error) {
	out, err := c.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("k8s-" + strings.ReplaceAll(stack, "/", "-")), VpcId: aws.String(vpc),
		Description: aws.String("[k8s] Managed SecurityGroup for LoadBalancer"),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: tags(map[string]string{
			"elbv2.k8s.aws/cluster":    cluster,
			"ingress.k8s.aws/stack":    stack,
			"ingress.k8s.aws/resource": "ManagedLBSecurityGroup",
		})}},
	})
	if err != nil {
		return "", fmt.Errorf("creating the load balancer controller's security group: %w", err)
	}
	return aws.ToString(out.GroupId), nil
}

// CNIInterface creates a detached ENI as the VPC CNI leaves one behind:
// tagged with the cluster and node (aws/amazon-vpc-cni-k8s
// pkg/awsutils/awsutils.go eniClusterTagKey, eniNodeTagKey).
func (c Clients) CNIInterface(ctx context.Context, cluster, subnet string) (string, error) {
	out, err := c.EC2.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{
		SubnetId: aws.String(subnet), Description: aws.String("aws-K8S-i-0123456789abcdef0"),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeNetworkInterface, Tags: tags(map[string]string{
			"cluster.k8s.amazonaws.com/name":     cluster,
			"node.k8s.amazonaws.com/instance_id": "i-0123456789abcdef0",
		})}},
	})
	if err != nil {
		return "", fmt.Errorf("creating the CNI's interface: %w", err)
	}
	return aws.ToString(out.NetworkInterface.NetworkInterfaceId), nil
}

// LBCLoadBalancer creates an application load balancer and a target group
// as the AWS Load Balancer Controller does for an Ingress (both tagged
// elbv2.k8s.aws/cluster and ingress.k8s.aws/stack).
func (c Clients) LBCLoadBalancer(ctx context.Context, cluster, vpc string, subnets []string, stack string) (lb, tg string, err error) {
	t := []elbtypes.Tag{
		{Key: aws.String("elbv2.k8s.aws/cluster"), Value: aws.String(cluster)},
		{Key: aws.String("ingress.k8s.aws/stack"), Value: aws.String(stack)},
	}
	name := "k8s-" + strings.ReplaceAll(stack, "/", "-")
	out, err := c.ELB.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String(name), Subnets: subnets, Tags: t})
	if err != nil {
		return "", "", fmt.Errorf("creating the load balancer: %w", err)
	}
	tgOut, err := c.ELB.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String(name + "-tg"), VpcId: aws.String(vpc),
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8000), TargetType: elbtypes.TargetTypeEnumIp, Tags: t})
	if err != nil {
		return "", "", fmt.Errorf("creating the target group: %w", err)
	}
	return aws.ToString(out.LoadBalancers[0].LoadBalancerArn), aws.ToString(tgOut.TargetGroups[0].TargetGroupArn), nil
}

// AWSLogGroups creates the log groups AWS creates on first write for
// cluster when no stack made them first: EKS's control-plane group (Amazon
// EKS User Guide, "Send control plane logs to CloudWatch Logs") and
// Container Insights' (Amazon CloudWatch User Guide, "Container Insights
// on Amazon EKS": application, dataplane, host, performance), with no
// retention and no tags.
func (c Clients) AWSLogGroups(ctx context.Context, cluster string) ([]string, error) {
	names := []string{"/aws/eks/" + cluster + "/cluster"}
	for _, g := range []string{"application", "dataplane", "host", "performance"} {
		names = append(names, "/aws/containerinsights/"+cluster+"/"+g)
	}
	for _, n := range names {
		if _, err := c.Logs.CreateLogGroup(ctx, &logs.CreateLogGroupInput{LogGroupName: aws.String(n)}); err != nil {
			return nil, fmt.Errorf("creating log group %s: %w", n, err)
		}
	}
	return names, nil
}

// Marks are the tags by which a resource is a deployment's: blueprint's
// own and each controller's (see the functions above).
func Marks(deployment, cluster string) map[string]string {
	return map[string]string{
		"blueprint:deployment":             deployment,
		"kubernetes.io/cluster/" + cluster: "owned",
		"elbv2.k8s.aws/cluster":            cluster,
		"KubernetesCluster":                cluster,
		"cluster.k8s.amazonaws.com/name":   cluster,
	}
}

// Sweep lists every volume, snapshot (own), network interface, security
// group, load balancer, target group and log group in the account that
// carries one of the deployment's marks, or (log groups) names its
// cluster, as "<kind> <id>", sorted.
func (c Clients) Sweep(ctx context.Context, deployment, cluster string) ([]string, error) {
	marks := Marks(deployment, cluster)
	marked := func(ts map[string]string) bool {
		for k, v := range marks {
			if ts[k] == v {
				return true
			}
		}
		return false
	}
	var found []string
	vols, err := c.EC2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{})
	if err != nil {
		return nil, err
	}
	for _, v := range vols.Volumes {
		if marked(tagMap(v.Tags)) {
			found = append(found, "EBS volume "+aws.ToString(v.VolumeId))
		}
	}
	snaps, err := c.EC2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}})
	if err != nil {
		return nil, err
	}
	for _, s := range snaps.Snapshots {
		if marked(tagMap(s.Tags)) {
			found = append(found, "EBS snapshot "+aws.ToString(s.SnapshotId))
		}
	}
	enis, err := c.EC2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	if err != nil {
		return nil, err
	}
	for _, n := range enis.NetworkInterfaces {
		if marked(tagMap(n.TagSet)) {
			found = append(found, "network interface "+aws.ToString(n.NetworkInterfaceId))
		}
	}
	sgs, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	if err != nil {
		return nil, err
	}
	for _, g := range sgs.SecurityGroups {
		if marked(tagMap(g.Tags)) {
			found = append(found, "security group "+aws.ToString(g.GroupId))
		}
	}
	var arns []string
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		return nil, err
	}
	for _, lb := range lbs.LoadBalancers {
		arns = append(arns, aws.ToString(lb.LoadBalancerArn))
	}
	tgs, err := c.ELB.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
	if err != nil {
		return nil, err
	}
	for _, tg := range tgs.TargetGroups {
		arns = append(arns, aws.ToString(tg.TargetGroupArn))
	}
	for _, arn := range arns {
		out, err := c.ELB.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: []string{arn}})
		if err != nil {
			return nil, err
		}
		for _, d := range out.TagDescriptions {
			ts := map[string]string{}
			for _, t := range d.Tags {
				ts[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if marked(ts) {
				kind := "load balancer "
				if strings.Contains(arn, ":targetgroup/") {
					kind = "target group "
				}
				found = append(found, kind+arn)
			}
		}
	}
	groups, err := c.Logs.DescribeLogGroups(ctx, &logs.DescribeLogGroupsInput{})
	if err != nil {
		return nil, err
	}
	for _, g := range groups.LogGroups {
		name := aws.ToString(g.LogGroupName)
		if strings.Contains(name, "/"+cluster+"/") {
			found = append(found, "log group "+name)
			continue
		}
		ts, err := c.Logs.ListTagsForResource(ctx, &logs.ListTagsForResourceInput{ResourceArn: aws.String(strings.TrimSuffix(aws.ToString(g.Arn), ":*"))})
		if err == nil && marked(ts.Tags) {
			found = append(found, "log group "+name)
		}
	}
	slices.Sort(found)
	return found, nil
}

func tags(m map[string]string) []ec2types.Tag {
	var out []ec2types.Tag
	for k, v := range m {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

func tagMap(ts []ec2types.Tag) map[string]string {
	out := map[string]string{}
	for _, t := range ts {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}
