package awsapi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	logs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
)

// The kinds of resource Kubernetes and AWS create for a cluster outside
// CloudFormation, which Leftovers finds and removes.
const (
	KindVolume           = "EBS volume"
	KindSnapshot         = "EBS snapshot"
	KindNetworkInterface = "network interface"
	KindSecurityGroup    = "security group"
	KindLoadBalancer     = "load balancer"
	KindTargetGroup      = "target group"
	KindLogGroup         = "log group"
)

// Kinds lists every kind Leftovers handles, in the order they can be
// deleted: load balancers before their target groups and security groups,
// volumes before nothing, security groups after the interfaces using them.
var Kinds = []string{KindLoadBalancer, KindTargetGroup, KindVolume, KindSnapshot, KindNetworkInterface, KindSecurityGroup, KindLogGroup}

// Tags that name who made a resource. Each is set by the component named,
// read at its source:
const (
	// TagCSIClaimName and TagCSIClaimNamespace: the EBS CSI driver tags each
	// volume it provisions with the claim it was made for, when the
	// external-provisioner runs with --extra-create-metadata (the EKS add-on
	// and the driver's chart do). kubernetes-sigs/aws-ebs-csi-driver
	// pkg/driver/constants.go PVCNameTag, PVCNamespaceTag.
	TagCSIClaimName      = "kubernetes.io/created-for/pvc/name"
	TagCSIClaimNamespace = "kubernetes.io/created-for/pvc/namespace"
	// TagCSIClusterID: the same driver's KubernetesClusterTag, set to
	// --k8s-tag-cluster-id when that flag is given (constants.go; docs/tagging.md
	// adds kubernetes.io/cluster/<id>=owned then).
	TagCSIClusterID = "KubernetesCluster"
	// TagLBCCluster: the AWS Load Balancer Controller tags the load
	// balancers, target groups and security groups it creates with the
	// cluster name (kubernetes-sigs/aws-load-balancer-controller
	// pkg/deploy/tracking/provider.go, "elbv2.k8s.aws/cluster").
	TagLBCCluster = "elbv2.k8s.aws/cluster"
	// TagCNICluster: the VPC CNI tags each ENI it creates with the cluster
	// name (aws/amazon-vpc-cni-k8s pkg/awsutils/awsutils.go eniClusterTagKey).
	TagCNICluster = "cluster.k8s.amazonaws.com/name"
	// TagStack: CloudFormation tags what a stack creates with the stack's
	// name; such a resource is the stack's to delete.
	TagStack = "aws:cloudformation:stack-name"
)

// Owner says which resources belong to one deployment: those carrying any
// of Tags (key and value: the tags the in-cluster controllers set), volumes
// and snapshots also by DataTags, and log groups under any of
// LogGroupPrefixes.
//
// DataTags (blueprint's deployment tag, which the StorageClass and down put
// on volumes and snapshots) are not used for other kinds: CloudFormation
// puts the same tag on what the stacks create, and those are the stacks'
// to delete. blueprint's stacks create no volume or snapshot.
type Owner struct {
	Tags             map[string]string
	DataTags         map[string]string
	LogGroupPrefixes []string
}

// ClusterOwner is the Owner of a deployment whose volumes and snapshots
// carry deploymentTag=deployment and whose EKS cluster is named cluster.
func ClusterOwner(deploymentTag, deployment, cluster string) Owner {
	return Owner{
		Tags: map[string]string{
			"kubernetes.io/cluster/" + cluster: "owned",
			TagLBCCluster:                      cluster,
			TagCNICluster:                      cluster,
		},
		DataTags: map[string]string{
			deploymentTag:   deployment,
			TagCSIClusterID: cluster,
		},
		// Amazon EKS User Guide, "Send control plane logs to CloudWatch
		// Logs": /aws/eks/<cluster>/cluster; Amazon CloudWatch User Guide,
		// "Container Insights": /aws/containerinsights/<cluster>/...
		LogGroupPrefixes: []string{"/aws/eks/" + cluster + "/", "/aws/containerinsights/" + cluster + "/"},
	}
}

// tagsFor returns the tags that mark a resource of kind as the owner's.
func (o Owner) tagsFor(kind string) map[string]string {
	out := maps.Clone(o.Tags)
	if out == nil {
		out = map[string]string{}
	}
	if kind == KindVolume || kind == KindSnapshot {
		maps.Copy(out, o.DataTags)
	}
	return out
}

// Owns reports whether tags mark a resource of kind as the owner's.
func (o Owner) Owns(kind string, tags map[string]string) bool {
	for k, v := range o.tagsFor(kind) {
		if got, ok := tags[k]; ok && got == v {
			return true
		}
	}
	return false
}

// Resource is one thing Leftovers found.
type Resource struct {
	Kind string `json:"kind"`
	// ID is the volume, snapshot, interface or group ID, the load
	// balancer's or target group's ARN, or the log group's name.
	ID    string `json:"id"`
	State string `json:"state,omitempty"`
	// SizeGiB of a volume or snapshot.
	SizeGiB int32 `json:"sizeGiB,omitempty"`
	// Zone of a volume.
	Zone string            `json:"zone,omitempty"`
	Tags map[string]string `json:"tags,omitempty"`
	// Created is when a volume or snapshot was created (started).
	Created time.Time `json:"created,omitzero"`
}

// Stack is the CloudFormation stack that created r, if any.
func (r Resource) Stack() string { return r.Tags[TagStack] }

// Claim is the Kubernetes claim a volume was provisioned for, as
// namespace/name; empty when r is not a claim's volume.
func (r Resource) Claim() string {
	ns, name := r.Tags[TagCSIClaimNamespace], r.Tags[TagCSIClaimName]
	if name == "" {
		return ""
	}
	return ns + "/" + name
}

// String names r for people: "EBS volume vol-1".
func (r Resource) String() string { return r.Kind + " " + r.ID }

// LeftoverEC2API is the EC2 calls Leftovers makes.
type LeftoverEC2API interface {
	DescribeVolumes(context.Context, *ec2.DescribeVolumesInput, ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error)
	DeleteVolume(context.Context, *ec2.DeleteVolumeInput, ...func(*ec2.Options)) (*ec2.DeleteVolumeOutput, error)
	CreateVolume(context.Context, *ec2.CreateVolumeInput, ...func(*ec2.Options)) (*ec2.CreateVolumeOutput, error)
	DescribeSnapshots(context.Context, *ec2.DescribeSnapshotsInput, ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error)
	CreateSnapshot(context.Context, *ec2.CreateSnapshotInput, ...func(*ec2.Options)) (*ec2.CreateSnapshotOutput, error)
	DeleteSnapshot(context.Context, *ec2.DeleteSnapshotInput, ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error)
	DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
	DeleteNetworkInterface(context.Context, *ec2.DeleteNetworkInterfaceInput, ...func(*ec2.Options)) (*ec2.DeleteNetworkInterfaceOutput, error)
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	DeleteSecurityGroup(context.Context, *ec2.DeleteSecurityGroupInput, ...func(*ec2.Options)) (*ec2.DeleteSecurityGroupOutput, error)
}

// LeftoverELBAPI is the ELBv2 calls Leftovers makes.
type LeftoverELBAPI interface {
	LoadBalancerAPI
	DescribeTargetGroups(context.Context, *elbv2.DescribeTargetGroupsInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error)
	DeleteLoadBalancer(context.Context, *elbv2.DeleteLoadBalancerInput, ...func(*elbv2.Options)) (*elbv2.DeleteLoadBalancerOutput, error)
	DeleteTargetGroup(context.Context, *elbv2.DeleteTargetGroupInput, ...func(*elbv2.Options)) (*elbv2.DeleteTargetGroupOutput, error)
}

// LeftoverLogsAPI is the CloudWatch Logs calls Leftovers makes.
type LeftoverLogsAPI interface {
	DescribeLogGroups(context.Context, *logs.DescribeLogGroupsInput, ...func(*logs.Options)) (*logs.DescribeLogGroupsOutput, error)
	DeleteLogGroup(context.Context, *logs.DeleteLogGroupInput, ...func(*logs.Options)) (*logs.DeleteLogGroupOutput, error)
}

// Leftovers finds, snapshots and deletes what Kubernetes controllers and
// AWS created for a deployment outside CloudFormation, by their tags.
type Leftovers struct {
	EC2  LeftoverEC2API
	ELB  LeftoverELBAPI
	Logs LeftoverLogsAPI
}

// Find returns every resource of the owner's, of every kind, in Kinds order.
func (l Leftovers) Find(ctx context.Context, o Owner) ([]Resource, error) {
	var out []Resource
	for _, kind := range Kinds {
		found, err := l.find(ctx, kind, o)
		if err != nil {
			return nil, fmt.Errorf("listing %ss: %w", kind, err)
		}
		out = append(out, found...)
	}
	return out, nil
}

func (l Leftovers) find(ctx context.Context, kind string, o Owner) ([]Resource, error) {
	switch kind {
	case KindLoadBalancer, KindTargetGroup:
		return l.findELB(ctx, kind, o)
	case KindLogGroup:
		return l.findLogGroups(ctx, o)
	}
	seen := map[string]bool{}
	var out []Resource
	// One query per owner tag: EC2 filters AND across names, so "any of
	// these tags" is a union of queries.
	tags := o.tagsFor(kind)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		filters := []ec2types.Filter{{Name: aws.String("tag:" + k), Values: []string{tags[k]}}}
		found, err := l.findEC2(ctx, kind, filters)
		if err != nil {
			return nil, err
		}
		for _, r := range found {
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func (l Leftovers) findEC2(ctx context.Context, kind string, filters []ec2types.Filter) ([]Resource, error) {
	var out []Resource
	switch kind {
	case KindVolume:
		p := ec2.NewDescribeVolumesPaginator(l.EC2, &ec2.DescribeVolumesInput{Filters: filters})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, v := range page.Volumes {
				out = append(out, Resource{Kind: kind, ID: aws.ToString(v.VolumeId), State: string(v.State),
					SizeGiB: aws.ToInt32(v.Size), Zone: aws.ToString(v.AvailabilityZone), Tags: ec2Tags(v.Tags), Created: aws.ToTime(v.CreateTime)})
			}
		}
	case KindSnapshot:
		p := ec2.NewDescribeSnapshotsPaginator(l.EC2, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, Filters: filters})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, s := range page.Snapshots {
				out = append(out, Resource{Kind: kind, ID: aws.ToString(s.SnapshotId), State: string(s.State),
					SizeGiB: aws.ToInt32(s.VolumeSize), Tags: ec2Tags(s.Tags), Created: aws.ToTime(s.StartTime)})
			}
		}
	case KindNetworkInterface:
		p := ec2.NewDescribeNetworkInterfacesPaginator(l.EC2, &ec2.DescribeNetworkInterfacesInput{Filters: filters})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, n := range page.NetworkInterfaces {
				out = append(out, Resource{Kind: kind, ID: aws.ToString(n.NetworkInterfaceId), State: string(n.Status),
					Zone: aws.ToString(n.AvailabilityZone), Tags: ec2Tags(n.TagSet)})
			}
		}
	case KindSecurityGroup:
		p := ec2.NewDescribeSecurityGroupsPaginator(l.EC2, &ec2.DescribeSecurityGroupsInput{Filters: filters})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, g := range page.SecurityGroups {
				out = append(out, Resource{Kind: kind, ID: aws.ToString(g.GroupId), Tags: ec2Tags(g.Tags)})
			}
		}
	default:
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	return out, nil
}

func (l Leftovers) findELB(ctx context.Context, kind string, o Owner) ([]Resource, error) {
	var arns []string
	if kind == KindLoadBalancer {
		p := elbv2.NewDescribeLoadBalancersPaginator(l.ELB, &elbv2.DescribeLoadBalancersInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, lb := range page.LoadBalancers {
				arns = append(arns, aws.ToString(lb.LoadBalancerArn))
			}
		}
	} else {
		p := elbv2.NewDescribeTargetGroupsPaginator(l.ELB, &elbv2.DescribeTargetGroupsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, tg := range page.TargetGroups {
				arns = append(arns, aws.ToString(tg.TargetGroupArn))
			}
		}
	}
	var out []Resource
	for i := 0; i < len(arns); i += 20 { // DescribeTags takes 20 ARNs at a time
		page, err := l.ELB.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: arns[i:min(i+20, len(arns))]})
		if err != nil {
			return nil, fmt.Errorf("reading tags: %w", err)
		}
		for _, d := range page.TagDescriptions {
			tags := map[string]string{}
			for _, t := range d.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if o.Owns(kind, tags) {
				out = append(out, Resource{Kind: kind, ID: aws.ToString(d.ResourceArn), Tags: tags})
			}
		}
	}
	return out, nil
}

func (l Leftovers) findLogGroups(ctx context.Context, o Owner) ([]Resource, error) {
	var out []Resource
	for _, prefix := range o.LogGroupPrefixes {
		p := logs.NewDescribeLogGroupsPaginator(l.Logs, &logs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(prefix)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, g := range page.LogGroups {
				r := Resource{Kind: KindLogGroup, ID: aws.ToString(g.LogGroupName)}
				if g.StoredBytes != nil {
					r.SizeGiB = int32(aws.ToInt64(g.StoredBytes) >> 30)
				}
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// Delete removes r; one already gone is not an error.
func (l Leftovers) Delete(ctx context.Context, r Resource) error {
	var err error
	switch r.Kind {
	case KindVolume:
		_, err = l.EC2.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(r.ID)})
	case KindSnapshot:
		_, err = l.EC2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(r.ID)})
	case KindNetworkInterface:
		_, err = l.EC2.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(r.ID)})
	case KindSecurityGroup:
		_, err = l.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(r.ID)})
	case KindLoadBalancer:
		_, err = l.ELB.DeleteLoadBalancer(ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(r.ID)})
	case KindTargetGroup:
		_, err = l.ELB.DeleteTargetGroup(ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: aws.String(r.ID)})
	case KindLogGroup:
		_, err = l.Logs.DeleteLogGroup(ctx, &logs.DeleteLogGroupInput{LogGroupName: aws.String(r.ID)})
	default:
		return fmt.Errorf("unknown kind %q", r.Kind)
	}
	if err != nil && !IsGone(err) {
		return fmt.Errorf("deleting %s: %w", r, err)
	}
	return nil
}

// Snapshot starts a snapshot of volume r with tags and returns its ID.
func (l Leftovers) Snapshot(ctx context.Context, r Resource, description string, tags map[string]string) (string, error) {
	out, err := l.EC2.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{
		VolumeId:    aws.String(r.ID),
		Description: aws.String(description),
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeSnapshot, Tags: toEC2Tags(tags),
		}},
	})
	if err != nil {
		return "", fmt.Errorf("snapshotting %s: %w", r, err)
	}
	return aws.ToString(out.SnapshotId), nil
}

// SnapshotState returns a snapshot's state (pending, completed, error);
// "" when it does not exist.
func (l Leftovers) SnapshotState(ctx context.Context, id string) (string, error) {
	out, err := l.EC2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{id}})
	if IsGone(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("describing snapshot %s: %w", id, err)
	}
	if len(out.Snapshots) == 0 {
		return "", nil
	}
	return string(out.Snapshots[0].State), nil
}

// RestoreVolume creates a gp3, encrypted volume from snapshot in zone,
// tagged with tags, and returns its ID.
func (l Leftovers) RestoreVolume(ctx context.Context, snapshot, zone string, tags map[string]string) (string, error) {
	out, err := l.EC2.CreateVolume(ctx, &ec2.CreateVolumeInput{
		SnapshotId: aws.String(snapshot), AvailabilityZone: aws.String(zone),
		VolumeType: ec2types.VolumeTypeGp3, Encrypted: aws.Bool(true),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume, Tags: toEC2Tags(tags)}},
	})
	if err != nil {
		return "", fmt.Errorf("creating a volume from %s: %w", snapshot, err)
	}
	return aws.ToString(out.VolumeId), nil
}

// IsGone reports whether err says the resource does not exist.
func IsGone(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	code := api.ErrorCode()
	return strings.HasSuffix(code, ".NotFound") || slices.Contains([]string{
		"LoadBalancerNotFound", "TargetGroupNotFound", "ResourceNotFoundException",
	}, code)
}

func ec2Tags(tags []ec2types.Tag) map[string]string {
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

func toEC2Tags(tags map[string]string) []ec2types.Tag {
	out := make([]ec2types.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}
