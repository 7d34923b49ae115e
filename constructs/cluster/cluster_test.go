package cluster_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/cluster"
	"github.com/sqletl/blueprint/internal/cdktest"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/stackreg"
)

func build(t *testing.T, mutate func(*cluster.Props)) (map[string]any, *cluster.Cluster) {
	t.Helper()
	stack := cdktest.Stack(t)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		AvailabilityZones: jsii.Strings("us-east-1a", "us-east-1b"), RestrictDefaultSecurityGroup: jsii.Bool(false),
	})
	p := cluster.Props{
		Name: "etl", Version: "1.35", Subnets: *vpc.PrivateSubnets(), Key: awskms.NewKey(stack, jsii.String("Key"), nil),
		PublicAccess: true, PublicAccessCidrs: []string{"203.0.113.0/24"},
		LogTypes: []string{"api", "audit"},
		OnDemand: cluster.NodeGroupProps{Enabled: true, InstanceTypes: []string{"m6i.xlarge"}, MinSize: 1, MaxSize: 3, Desired: 2, DiskSizeGiB: 100},
		Spot:     cluster.NodeGroupProps{Enabled: true, InstanceTypes: []string{"r5.xlarge", "r6i.xlarge"}, MinSize: 0, MaxSize: 10, Desired: 0, DiskSizeGiB: 100},
	}
	if mutate != nil {
		mutate(&p)
	}
	c := cluster.New(stack, "Eks", p)
	_, doc := cdktest.Template(t, stack)
	return doc, c
}

func one(t *testing.T, doc map[string]any, typ string) map[string]any {
	t.Helper()
	rs := cdktest.Resources(doc, typ)
	if len(rs) != 1 {
		t.Fatalf("%s count = %d, want 1", typ, len(rs))
	}
	for _, r := range rs {
		return cdktest.Props(r)
	}
	return nil
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestControlPlane(t *testing.T) {
	doc, _ := build(t, nil)
	p := one(t, doc, "AWS::EKS::Cluster")
	checks := map[string]string{
		"version":            `"Version":"1.35"`,
		"API auth mode":      `"AuthenticationMode":"API"`,
		"creator is admin":   `"BootstrapClusterCreatorAdminPermissions":true`,
		"private endpoint":   `"EndpointPrivateAccess":true`,
		"public endpoint on": `"EndpointPublicAccess":true`,
		"public CIDRs":       `"PublicAccessCidrs":["203.0.113.0/24"]`,
		"secrets encryption": `"Resources":["secrets"]`,
		"control-plane logs": `"EnabledTypes":[{"Type":"api"},{"Type":"audit"}]`,
		"standard support":   `"SupportType":"STANDARD"`,
	}
	s := js(p)
	for what, frag := range checks {
		if !strings.Contains(s, frag) {
			t.Errorf("%s: %s missing from %s", what, frag, s)
		}
	}
	// EKS checks its KMS access when creating the cluster, so the control
	// plane role's policy (which grants it) must exist first: it is inline
	// in the role the cluster's RoleArn names, so no policy resource can
	// come later.
	if ps := cdktest.Resources(doc, "AWS::IAM::Policy"); len(ps) > 0 {
		for lid, pol := range ps {
			if strings.Contains(js(pol), "kms:CreateGrant") {
				t.Errorf("the control plane's KMS permissions are in a policy resource of their own (%s), which the cluster need not wait for", lid)
			}
		}
	}
	roleID := ""
	for lid, r := range cdktest.Resources(doc, "AWS::IAM::Role") {
		if strings.Contains(js(r), "eks.amazonaws.com") {
			roleID = lid
			if rp := js(cdktest.Props(r)["Policies"]); !strings.Contains(rp, `"kms:CreateGrant"`) {
				t.Errorf("control plane role's inline policies lack the KMS grant: %s", rp)
			}
		}
	}
	if !strings.Contains(js(p["RoleArn"]), roleID) || roleID == "" {
		t.Errorf("cluster RoleArn %v does not name the control plane role %q", p["RoleArn"], roleID)
	}
	lg := cdktest.Props(cdktest.Resources(doc, "AWS::Logs::LogGroup")[logicalID(t, doc, "AWS::Logs::LogGroup", "LogGroupName", "/aws/eks/etl/cluster")])
	if lg["RetentionInDays"] != float64(30) {
		t.Errorf("control-plane log group = %v", lg)
	}
	oidc := one(t, doc, "AWS::IAM::OIDCProvider")
	if js(oidc["ClientIdList"]) != `["sts.amazonaws.com"]` || !strings.Contains(js(oidc["Url"]), "OpenIdConnectIssuerUrl") {
		t.Errorf("OIDC provider = %v", oidc)
	}
}

func TestPrivateOnlyEndpoint(t *testing.T) {
	doc, _ := build(t, func(p *cluster.Props) { p.PublicAccess, p.PublicAccessCidrs = false, nil })
	s := js(one(t, doc, "AWS::EKS::Cluster"))
	if !strings.Contains(s, `"EndpointPublicAccess":false`) || strings.Contains(s, "PublicAccessCidrs") {
		t.Errorf("private-only cluster: %s", s)
	}
}

func TestNodeGroups(t *testing.T) {
	tests := []struct {
		name    string
		spotOff bool
		groups  int
	}{{"on-demand and spot", false, 2}, {"spot disabled", true, 1}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, c := build(t, func(p *cluster.Props) { p.Spot.Enabled = !tc.spotOff })
			groups := cdktest.Resources(doc, "AWS::EKS::Nodegroup")
			if len(groups) != tc.groups || (c.Spot == nil) != tc.spotOff {
				t.Fatalf("node groups = %d", len(groups))
			}
			byCapacity := map[string]map[string]any{}
			for _, g := range groups {
				p := cdktest.Props(g)
				byCapacity[p["CapacityType"].(string)] = p
			}
			od := byCapacity["ON_DEMAND"]
			if js(od["Labels"]) != `{"lifecycle":"OnDemand"}` || js(od["ScalingConfig"]) != `{"DesiredSize":2,"MaxSize":3,"MinSize":1}` || od["AmiType"] != "AL2023_x86_64_STANDARD" {
				t.Errorf("on-demand group = %v", od)
			}
			if tc.spotOff {
				return
			}
			spot := byCapacity["SPOT"]
			tags := js(spot["Tags"])
			if js(spot["Labels"]) != `{"lifecycle":"Ec2Spot"}` || js(spot["InstanceTypes"]) != `["r5.xlarge","r6i.xlarge"]` ||
				!strings.Contains(tags, `"k8s.io/cluster-autoscaler/enabled":"true"`) ||
				!strings.Contains(tags, `"k8s.io/cluster-autoscaler/etl":"owned"`) ||
				!strings.Contains(tags, `"k8s.io/cluster-autoscaler/node-template/label/lifecycle":"Ec2Spot"`) {
				t.Errorf("spot group = %v", spot)
			}
		})
	}
}

func TestAddonsAndTheirRoles(t *testing.T) {
	doc, _ := build(t, nil)
	addons := cdktest.Resources(doc, "AWS::EKS::Addon")
	want := map[string]bool{"vpc-cni": true, "kube-proxy": false, "coredns": false, "aws-ebs-csi-driver": true, "amazon-cloudwatch-observability": true}
	if len(addons) != len(want) {
		t.Fatalf("add-ons = %d, want %d", len(addons), len(want))
	}
	for _, a := range addons {
		p := cdktest.Props(a)
		name := p["AddonName"].(string)
		hasRole, ok := want[name]
		if !ok {
			t.Errorf("unexpected add-on %s", name)
		}
		if (p["ServiceAccountRoleArn"] != nil) != hasRole {
			t.Errorf("%s: ServiceAccountRoleArn = %v", name, p["ServiceAccountRoleArn"])
		}
		// Add-ons that run Deployments wait for nodes so they can become healthy.
		if name == "coredns" && !strings.Contains(js(a["DependsOn"]), "OnDemandNodes") {
			t.Errorf("coredns does not wait for the on-demand nodes: %v", a["DependsOn"])
		}
	}
}

func TestAccessEntries(t *testing.T) {
	tests := []struct {
		name, admin string
		entries     int
	}{{"deployer parameter only", "", 1}, {"admin role too", "arn:aws:iam::123456789012:role/platform-admin", 2}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, _ := build(t, func(p *cluster.Props) { p.AdminRoleArn = tc.admin })
			entries := cdktest.Resources(doc, "AWS::EKS::AccessEntry")
			if len(entries) != tc.entries {
				t.Fatalf("access entries = %d, want %d", len(entries), tc.entries)
			}
			for id, e := range entries {
				s := js(e)
				if !strings.Contains(s, cluster.ClusterAdminPolicy) || !strings.Contains(s, `"Type":"cluster"`) {
					t.Errorf("%s: %s", id, s)
				}
				if strings.Contains(id, "Deployer") && e["Condition"] == nil {
					t.Errorf("deployer entry must be conditional on the parameter: %s", s)
				}
			}
			params, _ := doc["Parameters"].(map[string]any)
			if _, ok := params[cluster.DeployerParameter]; !ok {
				t.Errorf("parameter %s missing: %v", cluster.DeployerParameter, params)
			}
		})
	}
}

func TestAmiType(t *testing.T) {
	for in, want := range map[string]string{
		"m6i.xlarge": "AL2023_x86_64_STANDARD", "r5a.2xlarge": "AL2023_x86_64_STANDARD",
		"m7g.xlarge": "AL2023_ARM_64_STANDARD", "r6gd.large": "AL2023_ARM_64_STANDARD", "c7g.4xlarge": "AL2023_ARM_64_STANDARD",
	} {
		if got := cluster.AmiType([]string{in}); got != want {
			t.Errorf("AmiType(%s) = %s, want %s", in, got, want)
		}
	}
}

func dependsOn(r map[string]any) []string {
	var out []string
	switch d := r["DependsOn"].(type) {
	case string:
		out = append(out, d)
	case []any:
		for _, x := range d {
			out = append(out, x.(string))
		}
	}
	return out
}

// logicalID returns the logical ID of the one resource of typ whose
// property key equals value.
func logicalID(t *testing.T, doc map[string]any, typ, key, value string) string {
	t.Helper()
	for id, r := range cdktest.Resources(doc, typ) {
		if cdktest.Props(r)[key] == value {
			return id
		}
	}
	t.Fatalf("no %s with %s=%s", typ, key, value)
	return ""
}

// The CNI must be in place, with its permissions, before nodes join: the
// vpc-cni add-on has its own IRSA role carrying AmazonEKS_CNI_Policy (the
// node role has none, as AWS recommends), and every node group DependsOn
// the add-on (and so, through its ServiceAccountRoleArn, on the role).
// Add-ons that run Deployments wait for the on-demand nodes instead.
func TestCNIBeforeNodes(t *testing.T) {
	for _, spot := range []bool{true, false} {
		doc, _ := build(t, func(p *cluster.Props) { p.Spot.Enabled = spot })
		cni := logicalID(t, doc, "AWS::EKS::Addon", "AddonName", "vpc-cni")
		kubeProxy := logicalID(t, doc, "AWS::EKS::Addon", "AddonName", "kube-proxy")
		cniProps := cdktest.Props(cdktest.Resources(doc, "AWS::EKS::Addon")[cni])
		roleRef, _ := cniProps["ServiceAccountRoleArn"].(map[string]any)
		getAtt, _ := roleRef["Fn::GetAtt"].([]any)
		if len(getAtt) != 2 {
			t.Fatalf("vpc-cni ServiceAccountRoleArn = %v, want the GetAtt of its IRSA role", cniProps["ServiceAccountRoleArn"])
		}
		role := cdktest.Resources(doc, "AWS::IAM::Role")[getAtt[0].(string)]
		if !strings.Contains(js(role), "policy/AmazonEKS_CNI_Policy") || !strings.Contains(js(role), "aws-node") {
			t.Errorf("vpc-cni role %s lacks AmazonEKS_CNI_Policy or the aws-node trust: %s", getAtt[0], js(role))
		}
		for id, r := range cdktest.Resources(doc, "AWS::IAM::Role") {
			if strings.Contains(id, "NodeRole") && strings.Contains(js(r), "AmazonEKS_CNI_Policy") {
				t.Errorf("node role %s carries the CNI policy; the add-on's IRSA role should", id)
			}
		}
		groups := cdktest.Resources(doc, "AWS::EKS::Nodegroup")
		if len(groups) != map[bool]int{true: 2, false: 1}[spot] {
			t.Fatalf("spot=%v: %d node groups", spot, len(groups))
		}
		var onDemand string
		for id, g := range groups {
			deps := dependsOn(g)
			for _, want := range []string{cni, kubeProxy} {
				if !slices.Contains(deps, want) {
					t.Errorf("node group %s does not wait for %s: DependsOn %v", id, want, deps)
				}
			}
			if cdktest.Props(g)["CapacityType"] == "ON_DEMAND" {
				onDemand = id
			}
		}
		for id, a := range cdktest.Resources(doc, "AWS::EKS::Addon") {
			name := cdktest.Props(a)["AddonName"].(string)
			waits := slices.Contains(dependsOn(a), onDemand)
			if needsNodes := name != "vpc-cni" && name != "kube-proxy"; waits != needsNodes {
				t.Errorf("add-on %s (%s): waits for nodes = %v, want %v", name, id, waits, needsNodes)
			}
		}
	}
}

func TestVersionsPinned(t *testing.T) {
	versions := map[string]string{"vpc-cni": "v1.21.1-eksbuild.3", "coredns": "v1.14.3-eksbuild.3"}
	doc, _ := build(t, func(p *cluster.Props) { p.Version = "1.36"; p.AddonVersions = versions })
	if v := one(t, doc, "AWS::EKS::Cluster")["Version"]; v != "1.36" {
		t.Errorf("control plane version %v", v)
	}
	for id, g := range cdktest.Resources(doc, "AWS::EKS::Nodegroup") {
		if v := cdktest.Props(g)["Version"]; v != "1.36" {
			t.Errorf("node group %s Version = %v, want the cluster's 1.36", id, v)
		}
	}
	for _, a := range cdktest.Resources(doc, "AWS::EKS::Addon") {
		p := cdktest.Props(a)
		name := p["AddonName"].(string)
		if got, want := p["AddonVersion"], versions[name]; (want == "" && got != nil) || (want != "" && got != want) {
			t.Errorf("%s AddonVersion = %v, want %q", name, got, want)
		}
	}
}

// Every log group the cluster causes (EKS's control-plane group, the
// Container Insights add-on's four) is the stack's: created before what
// writes to it (the cluster, the add-on), with the retention, and deleted
// with the stack unless KeepLogs. The names are stackreg.LogGroups', which
// down sweeps and plan lists.
func TestLogGroups(t *testing.T) {
	cfg, err := config.Parse([]byte("name: etl\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, keep := range []bool{false, true} {
		doc, _ := build(t, func(p *cluster.Props) { p.KeepLogs, p.LogRetentionDays = keep, 14 })
		clusterID := logicalID(t, doc, "AWS::EKS::Cluster", "Name", "etl")
		insightsID := logicalID(t, doc, "AWS::EKS::Addon", "AddonName", "amazon-cloudwatch-observability")
		groups := cdktest.Resources(doc, "AWS::Logs::LogGroup")
		want := 0
		for _, g := range stackreg.LogGroups(cfg) {
			if g.Stack != stackreg.Cluster {
				continue
			}
			want++
			id := logicalID(t, doc, "AWS::Logs::LogGroup", "LogGroupName", g.Name)
			r := groups[id]
			if cdktest.Props(r)["RetentionInDays"] != float64(14) {
				t.Errorf("%s: retention %v, want 14", g.Name, cdktest.Props(r)["RetentionInDays"])
			}
			policy := map[bool]string{false: "Delete", true: "Retain"}[keep]
			if r["DeletionPolicy"] != policy || r["UpdateReplacePolicy"] != policy {
				t.Errorf("keep=%v %s: DeletionPolicy %v, want %s", keep, g.Name, r["DeletionPolicy"], policy)
			}
			writer := insightsID
			if strings.HasPrefix(g.Name, "/aws/eks/") {
				writer = clusterID
			}
			w, _ := doc["Resources"].(map[string]any)[writer].(map[string]any)
			if !slices.Contains(dependsOn(w), id) {
				t.Errorf("%s is not created before %s, which writes to it", g.Name, writer)
			}
		}
		if len(groups) != want || want != 5 {
			t.Errorf("keep=%v: %d log groups in the template, stackreg lists %d cluster groups (want 5)", keep, len(groups), want)
		}
	}
}
