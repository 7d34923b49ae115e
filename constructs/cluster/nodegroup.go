package cluster

import (
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2/awseks"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/internal/workloads"
)

// NodeGroupProps sizes one managed node group.
type NodeGroupProps struct {
	Enabled                   bool
	InstanceTypes             []string
	MinSize, MaxSize, Desired int
	DiskSizeGiB               int
}

// gravitonFamily matches ARM instance families (m7g, r6gd, c7gn, ...).
var gravitonFamily = regexp.MustCompile(`^[a-z]+[0-9]+[a-z]*g[a-z]*\.`)

// AmiType picks the AL2023 image for the instance types' architecture.
func AmiType(instanceTypes []string) string {
	if len(instanceTypes) > 0 && gravitonFamily.MatchString(instanceTypes[0]) {
		return "AL2023_ARM_64_STANDARD"
	}
	return "AL2023_x86_64_STANDARD"
}

func newNodeGroup(scope constructs.Construct, id string, cluster awseks.CfnCluster, clusterName string,
	role awsiam.Role, subnetIDs []*string, p NodeGroupProps, spot bool) awseks.CfnNodegroup {
	capacity, lifecycle := "ON_DEMAND", workloads.LifecycleOnDemand
	if spot {
		capacity, lifecycle = "SPOT", workloads.LifecycleSpot
	}
	return awseks.NewCfnNodegroup(scope, jsii.String(id), &awseks.CfnNodegroupProps{
		ClusterName:   cluster.Ref(),
		NodeRole:      role.RoleArn(),
		Subnets:       toAny(subnetIDs),
		AmiType:       jsii.String(AmiType(p.InstanceTypes)),
		CapacityType:  jsii.String(capacity),
		InstanceTypes: jsii.Strings(p.InstanceTypes...),
		DiskSize:      jsii.Number(float64(p.DiskSizeGiB)),
		ScalingConfig: &awseks.CfnNodegroup_ScalingConfigProperty{
			MinSize:     jsii.Number(float64(p.MinSize)),
			MaxSize:     jsii.Number(float64(p.MaxSize)),
			DesiredSize: jsii.Number(float64(p.Desired)),
		},
		Labels: &map[string]*string{workloads.LifecycleLabel: jsii.String(lifecycle)},
		UpdateConfig: &awseks.CfnNodegroup_UpdateConfigProperty{
			MaxUnavailablePercentage: jsii.Number(33),
		},
		NodeRepairConfig: &awseks.CfnNodegroup_NodeRepairConfigProperty{Enabled: jsii.Bool(true)},
		// cluster-autoscaler discovers groups by these tags; the node-template
		// label lets it scale a group up from zero for pods selecting it.
		Tags: &map[string]*string{
			"k8s.io/cluster-autoscaler/enabled":                                         jsii.String("true"),
			"k8s.io/cluster-autoscaler/" + clusterName:                                  jsii.String("owned"),
			"k8s.io/cluster-autoscaler/node-template/label/" + workloads.LifecycleLabel: jsii.String(lifecycle),
		},
	})
}

func toAny(ids []*string) *[]any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return &out
}
