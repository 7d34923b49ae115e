package platform

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sqletl/blueprint/internal/stackreg"
)

func TestStackMoves(t *testing.T) {
	const (
		nat = "AWS::EC2::NatGateway"
		vpe = "AWS::EC2::VPCEndpoint"
		vpc = "AWS::EC2::VPC"
	)
	// The layout before constructs/egress, and after.
	before := map[string]map[string]string{
		"b-network": {"Vpc": vpc, "Nat": nat, "StsEndpoint": vpe, "EcrEndpoint": vpe, "S3Endpoint": vpe},
		"b-cluster": {"Cluster": "AWS::EKS::Cluster"},
	}
	after := map[string]map[string]string{
		"b-network": {"Vpc": vpc, "S3Endpoint": vpe},
		"b-cluster": {"Cluster": "AWS::EKS::Cluster", "EgressNat": nat, "EgressSts": vpe, "EgressEcr": vpe},
	}
	tests := []struct {
		name     string
		deployed map[string]map[string]string
		next     map[string]map[string]string
		want     []StackMove
		egress   bool
	}{
		{"egress moves to the cluster stack", before, after, []StackMove{
			{Type: nat, Count: 1, From: "b-network", To: []string{"b-cluster"}},
			{Type: vpe, Count: 2, From: "b-network", To: []string{"b-cluster"}},
		}, true},
		{"new deployment: nothing moves", map[string]map[string]string{}, after, nil, false},
		{"already moved: nothing moves", after, after, nil, false},
		{"an endpoint dropped and one added in the same stack is no move", after, map[string]map[string]string{
			"b-network": {"Vpc": vpc, "S3Endpoint": vpe},
			"b-cluster": {"Cluster": "AWS::EKS::Cluster", "EgressNat": nat, "EgressSts": vpe, "EgressGlue": vpe},
		}, nil, false},
		{"removed only is no move", before, map[string]map[string]string{
			"b-network": {"Vpc": vpc, "S3Endpoint": vpe},
			"b-cluster": {"Cluster": "AWS::EKS::Cluster"},
		}, nil, false},
		{"a type changing under one logical ID counts as leaving", map[string]map[string]string{
			"b-network": {"X": "AWS::SSM::Parameter"}, "b-cluster": {},
		}, map[string]map[string]string{
			"b-network": {"X": "AWS::S3::Bucket"}, "b-cluster": {"Y": "AWS::SSM::Parameter"},
		}, []StackMove{{Type: "AWS::SSM::Parameter", Count: 1, From: "b-network", To: []string{"b-cluster"}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := stackMoves(tc.deployed, tc.next)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("moves = %+v, want %+v", got, tc.want)
			}
			notice := strings.Join(MovesNotice(got), "\n")
			if hasEgress := strings.Contains(notice, "no NAT gateway or interface endpoints"); hasEgress != tc.egress {
				t.Errorf("notice %q: egress warning %v, want %v", notice, hasEgress, tc.egress)
			}
			for _, m := range got {
				if !strings.Contains(notice, m.String()) {
					t.Errorf("notice %q does not name %s", notice, m)
				}
			}
		})
	}
}

// TestUpReportsMoves: up reads the deployed templates from CloudFormation
// (moto) and reports a resource that leaves one stack for another, before
// it deploys; the next up reports nothing.
func TestUpReportsMoves(t *testing.T) {
	e := newMotoEnv(t, "name: mv\n", stackreg.For)
	if _, err := e.up(e.aws(), "", map[stackreg.Role]bool{stackreg.Network: true}); err != nil {
		t.Fatalf("first up: %v", err)
	}
	res, err := e.up(e.aws(), "", map[stackreg.Role]bool{stackreg.Cluster: true})
	if err != nil {
		t.Fatalf("second up: %v", err)
	}
	want := []StackMove{{Type: "AWS::SSM::Parameter", Count: 1, From: "mv-network", To: []string{"mv-cluster"}}}
	if !reflect.DeepEqual(res.Moves, want) {
		t.Errorf("moves = %+v, want %+v", res.Moves, want)
	}
	if b, _ := json.Marshal(res); !strings.Contains(string(b), `"stackMoves":[{"type":"AWS::SSM::Parameter","count":1,"from":"mv-network","to":["mv-cluster"]}]`) {
		t.Errorf("up -o json: %s", b)
	}
	res, err = e.up(e.aws(), "", map[stackreg.Role]bool{stackreg.Cluster: true})
	if err != nil {
		t.Fatalf("third up: %v", err)
	}
	if len(res.Moves) != 0 {
		t.Errorf("moves after the move = %+v, want none", res.Moves)
	}
}
