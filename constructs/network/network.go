// Package network builds the VPC the cluster runs in: public and private
// subnets over explicit availability zones, NAT, an S3 gateway endpoint,
// interface endpoints for the AWS APIs jobs call, and VPC flow logs.
package network

import (
	"strings"

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
	// NatGateways: 1 by default.
	NatGateways int
	// PublicSubnetMask and PrivateSubnetMask are the subnets' prefix
	// lengths. Required (config.Network.SubnetMasks picks them).
	PublicSubnetMask, PrivateSubnetMask int
	// InterfaceEndpoints by service short name ("sts", "ecr.api", ...).
	InterfaceEndpoints []string
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
	// PrivateSubnets carry nodes and pods; PublicSubnets carry NAT and any public load balancer.
	PrivateSubnets []awsec2.ISubnet
	PublicSubnets  []awsec2.ISubnet
}

func (p *Props) setDefaults() {
	if p.NatGateways == 0 {
		p.NatGateways = 1
	}
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
		NatGateways:       jsii.Number(float64(props.NatGateways)),
		// The L2 default adds a Lambda-backed custom resource to strip the
		// default security group; blueprint ships no Lambda, and nothing is
		// placed in the default group.
		RestrictDefaultSecurityGroup: jsii.Bool(false),
		EnableDnsHostnames:           jsii.Bool(true),
		EnableDnsSupport:             jsii.Bool(true),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(float64(props.PublicSubnetMask)), MapPublicIpOnLaunch: jsii.Bool(false)},
			{Name: jsii.String("Private"), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, CidrMask: jsii.Number(float64(props.PrivateSubnetMask))},
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

	n := &Network{Vpc: vpc, PrivateSubnets: *vpc.PrivateSubnets(), PublicSubnets: *vpc.PublicSubnets()}
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

	if len(props.InterfaceEndpoints) > 0 {
		// One group for every endpoint: HTTPS from inside the VPC only.
		sg := awsec2.NewSecurityGroup(c, jsii.String("EndpointSecurityGroup"), &awsec2.SecurityGroupProps{
			Vpc:              vpc,
			Description:      jsii.String("HTTPS to AWS interface endpoints from inside the VPC"),
			AllowAllOutbound: jsii.Bool(false),
		})
		sg.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(props.Cidr)), awsec2.Port_Tcp(jsii.Number(443)),
			jsii.String("HTTPS from the VPC"), nil)
		for _, name := range props.InterfaceEndpoints {
			vpc.AddInterfaceEndpoint(jsii.String(endpointID(name)), &awsec2.InterfaceVpcEndpointOptions{
				Service:           awsec2.NewInterfaceVpcEndpointAwsService(jsii.String(name), nil, nil, nil),
				PrivateDnsEnabled: jsii.Bool(true),
				Subnets:           &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
				SecurityGroups:    &[]awsec2.ISecurityGroup{sg},
				Open:              jsii.Bool(false),
			})
		}
	}
	return n
}

// endpointID turns "ecr.api" into "EcrApiEndpoint": a stable construct ID.
func endpointID(service string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(service, func(r rune) bool { return r == '.' || r == '-' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "Endpoint"
}
