package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/sqletl/blueprint/constructs/network"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/stackreg"
)

// NetworkStack holds the VPC and its subnets; the private subnets' egress
// is built in the cluster stack (constructs/egress).
type NetworkStack struct {
	Stack   awscdk.Stack
	Network *network.Network
}

func newNetworkStack(scope constructs.Construct, id string, props *awscdk.StackProps, cfg *config.Config) *NetworkStack {
	stack := awscdk.NewStack(scope, &id, props)
	public, private := cfg.Network.SubnetMasks()
	n := network.New(stack, "Network", network.Props{
		Cidr:                 cfg.Network.VpcCidr,
		PublicSubnetMask:     public,
		PrivateSubnetMask:    private,
		AvailabilityZones:    cfg.Network.AvailabilityZones,
		ClusterName:          cfg.Name,
		FlowLogGroupName:     stackreg.FlowLogGroup(cfg),
		KeepFlowLogs:         cfg.Cluster.KeepLogs,
		FlowLogRetentionDays: cfg.Cluster.LogRetentionDays,
	})
	output(stack, OutputVpcID, n.Vpc.VpcId(), "VPC of the cluster")
	return &NetworkStack{Stack: stack, Network: n}
}
