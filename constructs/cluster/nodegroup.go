package cluster

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awseks"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/internal/instancetypes"
	"github.com/sqletl/blueprint/internal/workloads"
)

// NodeGroupProps sizes one managed node group.
type NodeGroupProps struct {
	Enabled                   bool
	InstanceTypes             []string
	MinSize, MaxSize, Desired int
	DiskSizeGiB               int
}

// AmiType is the AL2023 image for the instance types' architecture, from
// the instance type table. Config validation rejects unknown or mixed
// lists first, so an error here is a programming error.
func AmiType(instanceTypes []string) string {
	ami, err := instancetypes.AMIType(instanceTypes)
	if err != nil {
		panic(fmt.Sprintf("cluster: node group instance types %v: %v", instanceTypes, err))
	}
	return ami
}

func newNodeGroup(scope constructs.Construct, id string, cluster awseks.CfnCluster, clusterName, version string,
	role awsiam.Role, subnetIDs []*string, p NodeGroupProps, spot bool) awseks.CfnNodegroup {
	capacity, lifecycle := "ON_DEMAND", workloads.LifecycleOnDemand
	if spot {
		capacity, lifecycle = "SPOT", workloads.LifecycleSpot
	}
	return awseks.NewCfnNodegroup(scope, jsii.String(id), &awseks.CfnNodegroupProps{
		ClusterName: cluster.Ref(),
		// The nodes' kubelet follows the control plane's minor: without it
		// a cluster.version change would upgrade the control plane only.
		Version:       jsii.String(version),
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
