// Package network builds the VPC the cluster runs in: public and private
// subnets over explicit availability zones, an S3 gateway endpoint and VPC
// flow logs. The private subnets' way out (NAT gateways, interface
// endpoints) is constructs/egress, built in the cluster stack beside the
// node groups that need it, so the control plane, which needs only the
// subnets, does not wait for it.
package network

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/loggroups"
)

// Props configures the VPC. Zero values get the defaults noted per field.
type Props struct {
	// Cidr of the VPC. Required.
	Cidr string
	// AvailabilityZones to span, explicitly (no context lookup). Required, ≥ 2.
	AvailabilityZones []string
	// PublicSubnetMask and PrivateSubnetMask are the subnets' prefix
	// lengths. Required (config.Network.SubnetMasks picks them).
	PublicSubnetMask, PrivateSubnetMask int
	// FlowLogRetention for the VPC flow log group. Default one month.
	FlowLogRetention awslogs.RetentionDays
	// FlowLogRetentionDays, when set, overrides FlowLogRetention with a
	// number of days CloudWatch Logs accepts.
	FlowLogRetentionDays int
	// FlowLogGroupName names the flow log group, so `down` finds it when
	// it is kept. Default: generated.
	FlowLogGroupName string
	// KeepFlowLogs retains the flow log group when the stack is deleted.
	KeepFlowLogs bool
	// ClusterName is tagged on subnets so load balancers can discover them.
	ClusterName string
}

// Network is the built VPC.
type Network struct {
	Vpc awsec2.Vpc
	// PrivateSubnets carry nodes and pods (their default route is
	// constructs/egress's); PublicSubnets carry NAT and any public load
	// balancer.
	PrivateSubnets []awsec2.ISubnet
	PublicSubnets  []awsec2.ISubnet
}

func (p *Props) setDefaults() {
	if p.FlowLogRetention == "" {
		p.FlowLogRetention = awslogs.RetentionDays_ONE_MONTH
	}
}

// New builds the network.
func New(scope constructs.Construct, id string, props Props) *Network {
	props.setDefaults()
	c := constructs.NewConstruct(scope, jsii.String(id))

	flowLogProps := &awslogs.LogGroupProps{
		Retention:     props.FlowLogRetention,
		RemovalPolicy: loggroups.RemovalPolicy(props.KeepFlowLogs),
	}
	if props.FlowLogGroupName != "" {
		flowLogProps.LogGroupName = jsii.String(props.FlowLogGroupName)
	}
	flowLogs := awslogs.NewLogGroup(c, jsii.String("FlowLogs"), flowLogProps)
	if props.FlowLogRetentionDays > 0 {
		flowLogs.Node().DefaultChild().(awslogs.CfnLogGroup).SetRetentionInDays(jsii.Number(float64(props.FlowLogRetentionDays)))
	}

	vpc := awsec2.NewVpc(c, jsii.String("Vpc"), &awsec2.VpcProps{
		IpAddresses:       awsec2.IpAddresses_Cidr(jsii.String(props.Cidr)),
		AvailabilityZones: jsii.Strings(props.AvailabilityZones...),
		// No NAT here: constructs/egress adds it with the private
		// subnets' default routes. CDK's Vpc allows no NAT only with
		// isolated subnets, so the private subnets are declared isolated
		// (their logical IDs and CIDRs are by group name and position, the
		// same as before; only the aws-cdk:subnet-type tag differs).
		NatGateways: jsii.Number(0),
		// The L2 default adds a Lambda-backed custom resource to strip the
		// default security group; blueprint ships no Lambda, and nothing is
		// placed in the default group.
		RestrictDefaultSecurityGroup: jsii.Bool(false),
		EnableDnsHostnames:           jsii.Bool(true),
		EnableDnsSupport:             jsii.Bool(true),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(float64(props.PublicSubnetMask)), MapPublicIpOnLaunch: jsii.Bool(false)},
			{Name: jsii.String("Private"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(float64(props.PrivateSubnetMask))},
		},
		GatewayEndpoints: &map[string]*awsec2.GatewayVpcEndpointOptions{
			"S3": {Service: awsec2.GatewayVpcEndpointAwsService_S3()},
		},
		FlowLogs: &map[string]*awsec2.FlowLogOptions{
			"All": {
				Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(flowLogs, nil),
				TrafficType: awsec2.FlowLogTrafficType_ALL,
			},
		},
	})

	n := &Network{Vpc: vpc, PrivateSubnets: *vpc.IsolatedSubnets(), PublicSubnets: *vpc.PublicSubnets()}
	for _, s := range n.PublicSubnets {
		awscdk.Tags_Of(s).Add(jsii.String("kubernetes.io/role/elb"), jsii.String("1"), nil)
	}
	for _, s := range n.PrivateSubnets {
		awscdk.Tags_Of(s).Add(jsii.String("kubernetes.io/role/internal-elb"), jsii.String("1"), nil)
	}
	if props.ClusterName != "" {
		for _, s := range append(append([]awsec2.ISubnet{}, n.PublicSubnets...), n.PrivateSubnets...) {
			awscdk.Tags_Of(s).Add(jsii.String("kubernetes.io/cluster/"+props.ClusterName), jsii.String("shared"), nil)
		}
	}

	return n
}
