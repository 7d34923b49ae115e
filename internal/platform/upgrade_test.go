package platform

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/deploy"
	"github.com/sqletl/blueprint/internal/eksversions"
	"github.com/sqletl/blueprint/internal/mototest"
)

// clusterTemplate is the shape of the cluster stack's versioned resources.
func clusterTemplate(k8s, cni, coredns string, ngVersion bool) []byte {
	addon := func(name, version string) map[string]any {
		p := map[string]any{"AddonName": name, "ClusterName": map[string]any{"Ref": "EksCluster"}}
		if version != "" {
			p["AddonVersion"] = version
		}
		return map[string]any{"Type": "AWS::EKS::Addon", "Properties": p}
	}
	ng := map[string]any{"ClusterName": map[string]any{"Ref": "EksCluster"}, "InstanceTypes": []string{"m6i.xlarge"}}
	if ngVersion {
		ng["Version"] = k8s
	}
	doc := map[string]any{"Resources": map[string]any{
		"EksCluster":       map[string]any{"Type": "AWS::EKS::Cluster", "Properties": map[string]any{"Version": k8s}},
		"EksVpcCniAddon":   addon("vpc-cni", cni),
		"EksCoreDnsAddon":  addon("coredns", coredns),
		"EksOnDemandNodes": map[string]any{"Type": "AWS::EKS::Nodegroup", "Properties": ng, "DependsOn": []string{"EksVpcCniAddon"}},
	}}
	b, _ := json.Marshal(doc)
	return b
}

// versions reads back what a stage template deploys.
func versions(t *testing.T, body []byte) (cluster, cni, coredns, nodes string) {
	t.Helper()
	var doc template
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	s := func(id, p string) string { v, _ := doc.Resources[id].Properties[p].(string); return v }
	return s("EksCluster", "Version"), s("EksVpcCniAddon", "AddonVersion"), s("EksCoreDnsAddon", "AddonVersion"), s("EksOnDemandNodes", "Version")
}

func TestUpgradeStages(t *testing.T) {
	tests := []struct {
		name     string
		deployed []byte
		// per stage: cluster, vpc-cni, coredns, node group versions
		want [][4]string
	}{
		{"pinned before", clusterTemplate("1.35", "v1.20.0-eksbuild.1", "v1.13.2-eksbuild.11", true), [][4]string{
			{"1.36", "v1.20.0-eksbuild.1", "v1.13.2-eksbuild.11", "1.35"},
			{"1.36", "v1.21.1-eksbuild.3", "v1.14.3-eksbuild.3", "1.35"},
		}},
		// A cluster deployed before versions were pinned: its add-ons and
		// node groups keep EKS's choice until their own stage.
		{"unpinned before", clusterTemplate("1.35", "", "", false), [][4]string{
			{"1.36", "", "", ""},
			{"1.36", "v1.21.1-eksbuild.3", "v1.14.3-eksbuild.3", ""},
		}},
	}
	final := clusterTemplate("1.36", "v1.21.1-eksbuild.3", "v1.14.3-eksbuild.3", true)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stages, err := UpgradeStages(final, tc.deployed)
			if err != nil {
				t.Fatal(err)
			}
			if len(stages) != 2 || stages[0].Name != "control plane" || stages[1].Name != "add-ons" {
				t.Fatalf("stages = %v", stages)
			}
			for i, s := range stages {
				c, cni, dns, ng := versions(t, s.Template)
				if got := [4]string{c, cni, dns, ng}; got != tc.want[i] {
					t.Errorf("stage %s deploys %v, want %v", s.Name, got, tc.want[i])
				}
				if !strings.Contains(string(s.Template), `"DependsOn":["EksVpcCniAddon"]`) {
					t.Errorf("stage %s lost the node group's DependsOn: %s", s.Name, s.Template)
				}
			}
		})
	}
}

// deployedStacks is a StackAPI that serves one deployed template and
// fails on anything else: the staged upgrade only reads.
type deployedStacks struct {
	deploy.API
	body []byte
}

func (d deployedStacks) GetTemplate(_ context.Context, in *cloudformation.GetTemplateInput, _ ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error) {
	return &cloudformation.GetTemplateOutput{TemplateBody: aws.String(string(d.body))}, nil
}

// The cluster stack is deployed three times, in the order control plane →
// add-ons → node groups, each template changing only its own part.
func TestUpgradeClusterInStagesOrder(t *testing.T) {
	final := clusterTemplate("1.36", "v1.21.1-eksbuild.3", "v1.14.3-eksbuild.3", true)
	o := &UpOptions{
		AWS:      AWS{Stacks: deployedStacks{body: clusterTemplate("1.35", "v1.20.0-eksbuild.1", "v1.13.2-eksbuild.11", true)}},
		Progress: NoProgress{},
		upgrade:  &ClusterUpgrade{Deployed: "1.35", Target: "1.36", Change: eksversions.Upgrade},
	}
	var deployed [][4]string
	record := func(body []byte) error {
		c, cni, dns, ng := versions(t, body)
		deployed = append(deployed, [4]string{c, cni, dns, ng})
		return nil
	}
	if err := o.upgradeClusterInStages(t.Context(), "etl-cluster", final, record); err != nil {
		t.Fatal(err)
	}
	_ = record(final) // what deployStacks deploys next
	want := [][4]string{
		{"1.36", "v1.20.0-eksbuild.1", "v1.13.2-eksbuild.11", "1.35"},
		{"1.36", "v1.21.1-eksbuild.3", "v1.14.3-eksbuild.3", "1.35"},
		{"1.36", "v1.21.1-eksbuild.3", "v1.14.3-eksbuild.3", "1.36"},
	}
	if len(deployed) != len(want) {
		t.Fatalf("deployed %d templates: %v", len(deployed), deployed)
	}
	for i := range want {
		if deployed[i] != want[i] {
			t.Errorf("deploy %d = %v, want %v", i+1, deployed[i], want[i])
		}
	}

	// Same minor or a new cluster: one plain deploy.
	for _, c := range []eksversions.Change{eksversions.Same, eksversions.Create} {
		o.upgrade.Change = c
		deployed = nil
		if err := o.upgradeClusterInStages(t.Context(), "etl-cluster", final, record); err != nil || len(deployed) != 0 {
			t.Errorf("change %v: staged %d deploys, err %v", c, len(deployed), err)
		}
	}
}

// The version check reads the real DescribeCluster (moto's EKS) and, on a
// refused change, stops `up` before it synthesizes or deploys anything.
func TestUpRefusesVersionChangeBeforeAnyChange(t *testing.T) {
	moto := mototest.Start(t).Require(t)
	awsCfg := moto.AWSConfig(t)
	clusters := eks.NewFromConfig(awsCfg)
	if _, err := clusters.CreateCluster(t.Context(), &eks.CreateClusterInput{
		Name: aws.String("etl"), Version: aws.String("1.34"),
		RoleArn:            aws.String("arn:aws:iam::123456789012:role/eks"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
	}); err != nil {
		t.Fatalf("moto CreateCluster: %v", err)
	}
	cfn := cloudformation.NewFromConfig(awsCfg)
	tests := []struct {
		name, cluster, version string
		wantChange             eksversions.Change
		wantErr                string
	}{
		{"no cluster yet", "other", "1.36", eksversions.Create, ""},
		{"same minor", "etl", "1.34", eksversions.Same, ""},
		{"one minor up", "etl", "1.35", eksversions.Upgrade, ""},
		{"skips a minor", "etl", "1.36", 0, `cluster.version: is 1.36 but the deployed cluster runs 1.34; EKS upgrades one minor version at a time, set "1.35"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte("name: " + tc.cluster + "\nregion: " + mototest.Region + "\ncluster:\n  version: \"" + tc.version + "\"\n"))
			if err != nil {
				t.Fatal(err)
			}
			synthesized := false
			o := &UpOptions{
				Config: cfg,
				AWS:    AWS{Stacks: cfn, Identity: sts.NewFromConfig(awsCfg), Clusters: clusters},
				Synth: func(context.Context, *config.Config, string) (*assembly.Assembly, error) {
					synthesized = true
					return nil, errors.New("stop after the version check")
				},
			}
			res, err := o.Run(t.Context())
			if tc.wantErr != "" {
				if !config.IsValidation(err) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want a validation error with %q", err, tc.wantErr)
				}
				if synthesized {
					t.Error("synthesized after refusing the version")
				}
				stacks, derr := cfn.DescribeStacks(t.Context(), &cloudformation.DescribeStacksInput{})
				if derr != nil || len(stacks.Stacks) != 0 {
					t.Errorf("stacks after a refused version: %v, %v", stacks, derr)
				}
				return
			}
			if !synthesized || res.Cluster == nil || res.Cluster.Change != tc.wantChange {
				t.Errorf("synthesized=%v cluster=%+v, want change %v", synthesized, res.Cluster, tc.wantChange)
			}
		})
	}
}
