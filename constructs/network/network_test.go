package network_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/network"
	"github.com/sqletl/blueprint/internal/cdktest"
)

type obj = cdktest.Obj

func TestNetwork(t *testing.T) {
	tests := []struct {
		name    string
		props   network.Props
		subnets int
	}{
		{"two zones", network.Props{Cidr: "10.0.0.0/16", PublicSubnetMask: 20, PrivateSubnetMask: 18, AvailabilityZones: []string{"us-east-1a", "us-east-1b"}, ClusterName: "etl"}, 4},
		{"three zones", network.Props{Cidr: "10.20.0.0/20", PublicSubnetMask: 24, PrivateSubnetMask: 22, AvailabilityZones: []string{"us-east-1a", "us-east-1b", "us-east-1c"}}, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stack := cdktest.Stack(t)
			n := network.New(stack, "Network", tc.props)
			tpl, doc := cdktest.Template(t, stack)
			cdktest.Check(t, "one VPC with the configured CIDR", func() {
				tpl.ResourceCountIs(jsii.String("AWS::EC2::VPC"), jsii.Number(1))
				tpl.HasResourceProperties(jsii.String("AWS::EC2::VPC"), obj{"CidrBlock": tc.props.Cidr, "EnableDnsHostnames": true})
			})
			cdktest.Check(t, "subnets; no NAT and no interface endpoint (constructs/egress builds them in the cluster stack)", func() {
				tpl.ResourceCountIs(jsii.String("AWS::EC2::Subnet"), jsii.Number(float64(tc.subnets)))
				tpl.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(0))
				tpl.ResourceCountIs(jsii.String("AWS::EC2::EIP"), jsii.Number(0))
				tpl.ResourceCountIs(jsii.String("AWS::EC2::VPCEndpoint"), jsii.Number(1))
			})
			if got, want := len(n.PrivateSubnets), len(tc.props.AvailabilityZones); got != want {
				t.Errorf("private subnets = %d, want one per zone (%d)", got, want)
			}
			// The private subnets' only routes are the VPC's own and the
			// S3 gateway endpoint's until egress adds its default route.
			for lid, r := range cdktest.Resources(doc, "AWS::EC2::Route") {
				if strings.Contains(lid, "Private") {
					t.Errorf("route %s in a private route table: %v", lid, cdktest.Props(r))
				}
			}
			cdktest.Check(t, "S3 gateway endpoint", func() {
				tpl.HasResourceProperties(jsii.String("AWS::EC2::VPCEndpoint"), obj{"VpcEndpointType": "Gateway"})
			})
			cdktest.Check(t, "flow log of all traffic", func() {
				tpl.HasResourceProperties(jsii.String("AWS::EC2::FlowLog"), obj{"TrafficType": "ALL"})
			})
			// No Lambda-backed default-security-group restriction.
			cdktest.Check(t, "no custom resources", func() {
				tpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(0))
			})
			for _, az := range tc.props.AvailabilityZones {
				cdktest.Check(t, "explicit zone "+az, func() {
					tpl.HasResourceProperties(jsii.String("AWS::EC2::Subnet"), obj{"AvailabilityZone": az})
				})
			}
			if tc.props.ClusterName != "" {
				cdktest.Check(t, "subnets tagged for load balancer discovery", func() {
					tpl.HasResourceProperties(jsii.String("AWS::EC2::Subnet"), obj{
						"Tags": assertions.Match_ArrayWith(&[]any{obj{"Key": "kubernetes.io/role/internal-elb", "Value": "1"}}),
					})
				})
			}
		})
	}
}
