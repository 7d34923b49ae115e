package egress_test

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/egress"
	"github.com/sqletl/blueprint/constructs/network"
	"github.com/sqletl/blueprint/internal/cdktest"
)

// build makes the network and, beside it, the egress with a dependent
// resource standing in for a node group.
func build(t *testing.T, cidr string, zones []string, nats int, endpoints []string) map[string]any {
	t.Helper()
	stack := cdktest.Stack(t)
	n := network.New(stack, "Network", network.Props{Cidr: cidr, PublicSubnetMask: 24, PrivateSubnetMask: 22, AvailabilityZones: zones})
	e := egress.New(stack, "Egress", egress.Props{
		Vpc: n.Vpc, Cidr: cidr, PublicSubnets: n.PublicSubnets, PrivateSubnets: n.PrivateSubnets,
		NatGateways: nats, InterfaceEndpoints: endpoints,
	})
	nodes := awscdk.NewCfnWaitConditionHandle(stack, jsii.String("Nodes"), nil)
	nodes.Node().AddDependency(e.Ready)
	_, doc := cdktest.Template(t, stack)
	return doc
}

func TestEgress(t *testing.T) {
	tests := []struct {
		name      string
		zones     []string
		nats      int
		endpoints []string
		// wantNat maps each private subnet's zone to the zone of the NAT
		// gateway its default route uses.
		wantNat map[string]string
	}{
		{"default: one NAT for two zones", []string{"us-east-1a", "us-east-1b"}, 0, []string{"sts", "ecr.api"},
			map[string]string{"us-east-1a": "us-east-1a", "us-east-1b": "us-east-1a"}},
		{"NAT per zone", []string{"us-east-1a", "us-east-1b", "us-east-1c"}, 3, nil,
			map[string]string{"us-east-1a": "us-east-1a", "us-east-1b": "us-east-1b", "us-east-1c": "us-east-1c"}},
		{"two NATs for three zones", []string{"us-east-1a", "us-east-1b", "us-east-1c"}, 2, []string{"sts"},
			map[string]string{"us-east-1a": "us-east-1a", "us-east-1b": "us-east-1b", "us-east-1c": "us-east-1a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := build(t, "10.20.0.0/16", tc.zones, tc.nats, tc.endpoints)
			wantNats := max(tc.nats, 1)
			nats := cdktest.Resources(doc, "AWS::EC2::NatGateway")
			if len(nats) != wantNats || len(cdktest.Resources(doc, "AWS::EC2::EIP")) != wantNats {
				t.Fatalf("NAT gateways %d, EIPs %d; want %d of each", len(nats), len(cdktest.Resources(doc, "AWS::EC2::EIP")), wantNats)
			}
			subnets := cdktest.Resources(doc, "AWS::EC2::Subnet")
			zoneOfSubnet := func(ref any) string { return fmt.Sprint(cdktest.Props(subnets[refOf(ref)])["AvailabilityZone"]) }
			natZone := map[string]string{}
			for lid, r := range nats {
				p := cdktest.Props(r)
				natZone[lid] = zoneOfSubnet(p["SubnetId"])
				if sub := refOf(p["SubnetId"]); !slices.Contains(publicSubnets(doc), sub) {
					t.Errorf("NAT gateway %s in %s, not a public subnet", lid, sub)
				}
			}
			// Each private route table gets exactly one default route,
			// through the NAT gateway of its zone (else the first).
			tables := privateTables(doc)
			routes := 0
			for lid, r := range cdktest.Resources(doc, "AWS::EC2::Route") {
				p := cdktest.Props(r)
				zone, private := tables[refOf(p["RouteTableId"])]
				if !private {
					continue
				}
				routes++
				if p["DestinationCidrBlock"] != "0.0.0.0/0" || natZone[refOf(p["NatGatewayId"])] != tc.wantNat[zone] {
					t.Errorf("route %s of the %s private subnet: %v; want 0.0.0.0/0 through the NAT in %s", lid, zone, p, tc.wantNat[zone])
				}
			}
			if routes != len(tc.zones) {
				t.Errorf("private default routes = %d, want %d", routes, len(tc.zones))
			}

			var interfaces []string
			for lid, r := range cdktest.Resources(doc, "AWS::EC2::VPCEndpoint") {
				p := cdktest.Props(r)
				if p["VpcEndpointType"] != "Interface" {
					continue
				}
				interfaces = append(interfaces, lid)
				if p["PrivateDnsEnabled"] != true {
					t.Errorf("interface endpoint %s without private DNS", lid)
				}
				for _, s := range p["SubnetIds"].([]any) {
					if sub := refOf(s); !slices.Contains(privateSubnets(doc), sub) {
						t.Errorf("endpoint %s has an ENI in %s, not a private subnet", lid, sub)
					}
				}
			}
			if len(interfaces) != len(tc.endpoints) {
				t.Errorf("interface endpoints = %d, want %d", len(interfaces), len(tc.endpoints))
			}

			// What nodes wait for: every private default route and every
			// interface endpoint, and nothing the control plane needs.
			node := cdktest.Resources(doc, "AWS::CloudFormation::WaitConditionHandle")["Nodes"]
			var got []string
			for _, d := range node["DependsOn"].([]any) {
				got = append(got, d.(string))
			}
			var want []string
			for lid, r := range cdktest.Resources(doc, "AWS::EC2::Route") {
				if _, ok := tables[refOf(cdktest.Props(r)["RouteTableId"])]; ok {
					want = append(want, lid)
				}
			}
			want = append(want, interfaces...)
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("node group DependsOn %v; want the private default routes and interface endpoints %v", got, want)
			}
		})
	}
}

func TestEndpointsOnlyHTTPSFromVPC(t *testing.T) {
	doc := build(t, "10.1.0.0/16", []string{"us-east-1a", "us-east-1b"}, 1, []string{"sts", "kms", "glue"})
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

func TestPropsMistakesPanic(t *testing.T) {
	tests := map[string]func(n *network.Network) egress.Props{
		"no private subnets": func(n *network.Network) egress.Props {
			return egress.Props{Vpc: n.Vpc, Cidr: "10.0.0.0/16", PublicSubnets: n.PublicSubnets}
		},
		"more NATs than public subnets": func(n *network.Network) egress.Props {
			return egress.Props{Vpc: n.Vpc, Cidr: "10.0.0.0/16", PublicSubnets: n.PublicSubnets, PrivateSubnets: n.PrivateSubnets, NatGateways: 3}
		},
	}
	for name, props := range tests {
		t.Run(name, func(t *testing.T) {
			stack := cdktest.Stack(t)
			n := network.New(stack, "Network", network.Props{Cidr: "10.0.0.0/16", PublicSubnetMask: 24, PrivateSubnetMask: 22, AvailabilityZones: []string{"us-east-1a", "us-east-1b"}})
			defer func() {
				if recover() == nil {
					t.Error("egress.New did not panic")
				}
			}()
			egress.New(stack, "Egress", props(n))
		})
	}
}

func refOf(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

// privateTables maps each private subnet's route table to its zone.
func privateTables(doc map[string]any) map[string]string {
	subnets := cdktest.Resources(doc, "AWS::EC2::Subnet")
	out := map[string]string{}
	for _, r := range cdktest.Resources(doc, "AWS::EC2::SubnetRouteTableAssociation") {
		p := cdktest.Props(r)
		sub := refOf(p["SubnetId"])
		if slices.Contains(privateSubnets(doc), sub) {
			out[refOf(p["RouteTableId"])] = fmt.Sprint(cdktest.Props(subnets[sub])["AvailabilityZone"])
		}
	}
	return out
}

func privateSubnets(doc map[string]any) []string { return subnetsNamed(doc, "Private") }
func publicSubnets(doc map[string]any) []string  { return subnetsNamed(doc, "Public") }

// subnetsNamed returns the subnets of a CDK subnet group, by the
// aws-cdk:subnet-name tag CDK's Vpc sets.
func subnetsNamed(doc map[string]any, group string) []string {
	var out []string
	for lid, r := range cdktest.Resources(doc, "AWS::EC2::Subnet") {
		tags, _ := cdktest.Props(r)["Tags"].([]any)
		for _, tag := range tags {
			kv := tag.(map[string]any)
			if kv["Key"] == "aws-cdk:subnet-name" && kv["Value"] == group {
				out = append(out, lid)
			}
		}
	}
	sort.Strings(out)
	return out
}
