package network_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/network"
	"github.com/sqletl/blueprint/internal/cdktest"
)

type obj = cdktest.Obj

func TestNetwork(t *testing.T) {
	tests := []struct {
		name                  string
		props                 network.Props
		subnets, nats, endpts int
	}{
		{"two zones one NAT", network.Props{Cidr: "10.0.0.0/16", PublicSubnetMask: 20, PrivateSubnetMask: 18, AvailabilityZones: []string{"us-east-1a", "us-east-1b"}, NatGateways: 1, InterfaceEndpoints: []string{"sts", "ecr.api"}, ClusterName: "etl"}, 4, 1, 2},
		{"three zones NAT per zone", network.Props{Cidr: "10.20.0.0/20", PublicSubnetMask: 24, PrivateSubnetMask: 22, AvailabilityZones: []string{"us-east-1a", "us-east-1b", "us-east-1c"}, NatGateways: 3}, 6, 3, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stack := cdktest.Stack(t)
			network.New(stack, "Network", tc.props)
			tpl, doc := cdktest.Template(t, stack)
			cdktest.Check(t, "one VPC with the configured CIDR", func() {
				tpl.ResourceCountIs(jsii.String("AWS::EC2::VPC"), jsii.Number(1))
				tpl.HasResourceProperties(jsii.String("AWS::EC2::VPC"), obj{"CidrBlock": tc.props.Cidr, "EnableDnsHostnames": true})
			})
			cdktest.Check(t, "subnets and NAT gateways", func() {
				tpl.ResourceCountIs(jsii.String("AWS::EC2::Subnet"), jsii.Number(float64(tc.subnets)))
				tpl.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(float64(tc.nats)))
			})
			cdktest.Check(t, "S3 gateway endpoint", func() {
				tpl.HasResourceProperties(jsii.String("AWS::EC2::VPCEndpoint"), obj{"VpcEndpointType": "Gateway"})
			})
			cdktest.Check(t, "flow log of all traffic", func() {
				tpl.HasResourceProperties(jsii.String("AWS::EC2::FlowLog"), obj{"TrafficType": "ALL"})
			})
			var interfaces int
			for _, r := range cdktest.Resources(doc, "AWS::EC2::VPCEndpoint") {
				if cdktest.Props(r)["VpcEndpointType"] == "Interface" {
					interfaces++
					if cdktest.Props(r)["PrivateDnsEnabled"] != true {
						t.Errorf("interface endpoint without private DNS: %v", cdktest.Props(r))
					}
				}
			}
			if interfaces != tc.endpts {
				t.Errorf("interface endpoints = %d, want %d", interfaces, tc.endpts)
			}
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

func TestEndpointsOnlyHTTPSFromVPC(t *testing.T) {
	stack := cdktest.Stack(t)
	network.New(stack, "Network", network.Props{Cidr: "10.1.0.0/16", PublicSubnetMask: 20, PrivateSubnetMask: 18, AvailabilityZones: []string{"us-east-1a", "us-east-1b"}, InterfaceEndpoints: []string{"sts", "kms", "glue"}})
	_, doc := cdktest.Template(t, stack)
	groups := 0
	for _, r := range cdktest.Resources(doc, "AWS::EC2::SecurityGroup") {
		groups++
		for _, in := range cdktest.Props(r)["SecurityGroupIngress"].([]any) {
			rule := in.(map[string]any)
			if rule["CidrIp"] != "10.1.0.0/16" || rule["FromPort"] != float64(443) || rule["ToPort"] != float64(443) {
				t.Errorf("endpoint ingress %v; want tcp/443 from 10.1.0.0/16 only", rule)
			}
		}
	}
	if groups != 1 {
		t.Errorf("security groups = %d; want one shared by all endpoints", groups)
	}
}
