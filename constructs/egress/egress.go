// Package egress builds how the private subnets reach the outside: NAT
// gateways with the private subnets' default routes, and interface
// endpoints (with their security group) for the AWS APIs nodes and jobs
// call. It lives in the cluster stack, beside the node groups that need it,
// not in the network stack with the VPC:
//
//   - on up, the control plane needs only the subnets, so it starts as soon
//     as the (now short) network stack is complete, while the NAT gateway
//     (about 1:30) and the endpoints (minutes) are created beside it; the
//     node groups wait for them through DependsOn;
//   - on down, CloudFormation deletes them as soon as the node groups are
//     gone, beside the control plane, instead of after the whole cluster
//     stack.
//
// The S3 gateway endpoint stays with the VPC (constructs/network): it is a
// route table entry, created in seconds, and the data lake's traffic must
// never take the NAT.
package egress

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Props configures the egress. Zero values get the defaults noted per field.
type Props struct {
	// Vpc the subnets belong to. Required.
	Vpc awsec2.IVpc
	// Cidr of the VPC: the endpoints accept HTTPS from it only. Required.
	Cidr string
	// PublicSubnets hold the NAT gateways, one per subnet from the first.
	// Required when NatGateways > 0.
	PublicSubnets []awsec2.ISubnet
	// PrivateSubnets get a default route through a NAT gateway (the one in
	// their zone, else the first) and the interface endpoints' ENIs.
	// Required.
	PrivateSubnets []awsec2.ISubnet
	// NatGateways: 1 by default; at most one per public subnet.
	NatGateways int
	// InterfaceEndpoints by service short name ("sts", "ecr.api", ...).
	InterfaceEndpoints []string
}

// Egress is the built egress.
type Egress struct {
	// NatGateways, one per zone used.
	NatGateways []awsec2.CfnNatGateway
	// Routes are the private subnets' default routes through NAT.
	Routes []awsec2.CfnRoute
	// Endpoints are the interface endpoints, by service short name.
	Endpoints map[string]awsec2.InterfaceVpcEndpoint
	// Ready is what a node needs before it boots: every default route and
	// every interface endpoint (nodes pull images and call EC2, STS and ECR
	// through them). Node groups add it as a dependency.
	Ready constructs.IDependable
}

func (p *Props) setDefaults() {
	if p.NatGateways == 0 {
		p.NatGateways = 1
	}
}

// New builds the egress. It panics on props that config validation rules out
// (no private subnets, more NAT gateways than public subnets): those are
// programming errors.
func New(scope constructs.Construct, id string, props Props) *Egress {
	props.setDefaults()
	if len(props.PrivateSubnets) == 0 {
		panic("egress: no private subnets")
	}
	if props.NatGateways > len(props.PublicSubnets) {
		panic(fmt.Sprintf("egress: %d NAT gateways but %d public subnets", props.NatGateways, len(props.PublicSubnets)))
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	out := &Egress{Endpoints: map[string]awsec2.InterfaceVpcEndpoint{}}
	ready := constructs.NewDependencyGroup()

	// One NAT gateway per public subnet from the first, as CDK's Vpc places
	// them; each private subnet routes through the one in its zone, else
	// the first (NatProvider.gateway's pick).
	byZone := map[string]awsec2.CfnNatGateway{}
	for i := 0; i < props.NatGateways; i++ {
		pub := props.PublicSubnets[i]
		n := fmt.Sprint(i + 1)
		eip := awsec2.NewCfnEIP(c, jsii.String("NatIp"+n), &awsec2.CfnEIPProps{
			Domain: jsii.String("vpc"),
			Tags:   &[]*awscdk.CfnTag{{Key: jsii.String("Name"), Value: jsii.String(zoneName(pub) + " NAT")}},
		})
		nat := awsec2.NewCfnNatGateway(c, jsii.String("Nat"+n), &awsec2.CfnNatGatewayProps{
			SubnetId:     pub.SubnetId(),
			AllocationId: eip.AttrAllocationId(),
			Tags:         &[]*awscdk.CfnTag{{Key: jsii.String("Name"), Value: jsii.String(zoneName(pub) + " NAT")}},
		})
		out.NatGateways = append(out.NatGateways, nat)
		if _, ok := byZone[*pub.AvailabilityZone()]; !ok {
			byZone[*pub.AvailabilityZone()] = nat
		}
	}
	for i, sub := range props.PrivateSubnets {
		nat, ok := byZone[*sub.AvailabilityZone()]
		if !ok {
			nat = out.NatGateways[0]
		}
		route := awsec2.NewCfnRoute(c, jsii.String(fmt.Sprintf("PrivateDefaultRoute%d", i+1)), &awsec2.CfnRouteProps{
			RouteTableId:         sub.RouteTable().RouteTableId(),
			DestinationCidrBlock: jsii.String("0.0.0.0/0"),
			NatGatewayId:         nat.Ref(),
		})
		out.Routes = append(out.Routes, route)
		ready.Add(route)
	}

	if len(props.InterfaceEndpoints) > 0 {
		// One group for every endpoint: HTTPS from inside the VPC only.
		sg := awsec2.NewSecurityGroup(c, jsii.String("EndpointSecurityGroup"), &awsec2.SecurityGroupProps{
			Vpc:              props.Vpc,
			Description:      jsii.String("HTTPS to AWS interface endpoints from inside the VPC"),
			AllowAllOutbound: jsii.Bool(false),
		})
		sg.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(props.Cidr)), awsec2.Port_Tcp(jsii.Number(443)),
			jsii.String("HTTPS from the VPC"), nil)
		for _, name := range props.InterfaceEndpoints {
			ep := awsec2.NewInterfaceVpcEndpoint(c, jsii.String(EndpointID(name)), &awsec2.InterfaceVpcEndpointProps{
				Vpc:               props.Vpc,
				Service:           awsec2.NewInterfaceVpcEndpointAwsService(jsii.String(name), nil, nil, nil),
				PrivateDnsEnabled: jsii.Bool(true),
				Subnets:           &awsec2.SubnetSelection{Subnets: &props.PrivateSubnets},
				SecurityGroups:    &[]awsec2.ISecurityGroup{sg},
				Open:              jsii.Bool(false),
			})
			out.Endpoints[name] = ep
			ready.Add(ep)
		}
	}
	out.Ready = ready
	return out
}

// EndpointID turns "ecr.api" into "EcrApiEndpoint": a stable construct ID.
func EndpointID(service string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(service, func(r rune) bool { return r == '.' || r == '-' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "Endpoint"
}

func zoneName(s awsec2.ISubnet) string {
	if az := s.AvailabilityZone(); az != nil {
		return *az
	}
	return "public"
}
