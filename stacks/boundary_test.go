package stacks_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sqletl/blueprint/constructs/boundary"
	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/iampolicy"
	"github.com/sqletl/blueprint/stacks"
)

// managedPolicyGrants are, per AWS managed policy blueprint attaches, the
// actions it allows and a resource of each statement, read from the policy
// versions IAM returns (GetPolicyVersion) as recorded by z0ph/MAMIP at
// commit de4971a44b36762f50d87c2baf65ebbec0e93b39 (2025-02-22):
// AmazonEKSClusterPolicy v7, AmazonEKSWorkerNodePolicy v3,
// AmazonEC2ContainerRegistryReadOnly v3, AmazonEKS_CNI_Policy v5,
// AmazonEBSCSIDriverPolicy v3, CloudWatchAgentServerPolicy v3,
// AWSXrayWriteOnlyAccess v2. Conditions are given as request context.
var managedPolicyGrants = map[string][]struct {
	actions  []string
	resource string
	ctx      []string
}{
	"AmazonEKSClusterPolicy": {
		{[]string{"autoscaling:DescribeAutoScalingGroups", "autoscaling:UpdateAutoScalingGroup", "ec2:AttachVolume",
			"ec2:AuthorizeSecurityGroupIngress", "ec2:CreateRoute", "ec2:CreateSecurityGroup", "ec2:CreateTags", "ec2:CreateVolume",
			"ec2:DeleteRoute", "ec2:DeleteSecurityGroup", "ec2:DeleteVolume", "ec2:DescribeInstances", "ec2:DescribeRouteTables",
			"ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVolumes", "ec2:DescribeVolumesModifications",
			"ec2:DescribeVpcs", "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeAvailabilityZones",
			"ec2:DetachVolume", "ec2:ModifyInstanceAttribute", "ec2:ModifyVolume", "ec2:RevokeSecurityGroupIngress",
			"ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeInternetGateways", "ec2:DescribeInstanceTopology",
			"elasticloadbalancing:AddTags", "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer",
			"elasticloadbalancing:AttachLoadBalancerToSubnets", "elasticloadbalancing:ConfigureHealthCheck",
			"elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateLoadBalancerListeners",
			"elasticloadbalancing:CreateLoadBalancerPolicy", "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DeleteListener",
			"elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteLoadBalancerListeners", "elasticloadbalancing:DeleteTargetGroup",
			"elasticloadbalancing:DeregisterInstancesFromLoadBalancer", "elasticloadbalancing:DeregisterTargets",
			"elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeLoadBalancerAttributes",
			"elasticloadbalancing:DescribeLoadBalancerPolicies", "elasticloadbalancing:DescribeLoadBalancers",
			"elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetGroups",
			"elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DetachLoadBalancerFromSubnets",
			"elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:ModifyTargetGroup",
			"elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
			"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
			"elasticloadbalancing:SetLoadBalancerPoliciesOfListener", "kms:DescribeKey"}, "*", nil},
		{[]string{"iam:CreateServiceLinkedRole"}, "*", []string{"iam:AWSServiceName", "elasticloadbalancing.amazonaws.com"}},
	},
	"AmazonEKSWorkerNodePolicy": {
		{[]string{"ec2:DescribeInstances", "ec2:DescribeInstanceTypes", "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups",
			"ec2:DescribeSubnets", "ec2:DescribeVolumes", "ec2:DescribeVolumesModifications", "ec2:DescribeVpcs", "eks:DescribeCluster",
			"eks-auth:AssumeRoleForPodIdentity"}, "*", nil},
	},
	"AmazonEC2ContainerRegistryReadOnly": {
		{[]string{"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy",
			"ecr:DescribeRepositories", "ecr:ListImages", "ecr:DescribeImages", "ecr:BatchGetImage", "ecr:GetLifecyclePolicy",
			"ecr:GetLifecyclePolicyPreview", "ecr:ListTagsForResource", "ecr:DescribeImageScanFindings"}, "*", nil},
	},
	"AmazonEKS_CNI_Policy": {
		{[]string{"ec2:AssignPrivateIpAddresses", "ec2:AttachNetworkInterface", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
			"ec2:DescribeInstances", "ec2:DescribeTags", "ec2:DescribeNetworkInterfaces", "ec2:DescribeInstanceTypes", "ec2:DescribeSubnets",
			"ec2:DetachNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute", "ec2:UnassignPrivateIpAddresses"}, "*", nil},
		{[]string{"ec2:CreateTags"}, "arn:aws:ec2:us-east-1:" + acct + ":network-interface/eni-1", nil},
	},
	"service-role/AmazonEBSCSIDriverPolicy": {
		{[]string{"ec2:DescribeAvailabilityZones", "ec2:DescribeInstances", "ec2:DescribeSnapshots", "ec2:DescribeTags", "ec2:DescribeVolumes",
			"ec2:DescribeVolumesModifications"}, "*", nil},
		{[]string{"ec2:CreateSnapshot", "ec2:ModifyVolume", "ec2:AttachVolume", "ec2:DetachVolume", "ec2:CreateVolume", "ec2:CreateTags",
			"ec2:DeleteTags", "ec2:DeleteVolume"}, "arn:aws:ec2:us-east-1:" + acct + ":volume/vol-1", nil},
		{[]string{"ec2:CreateVolume", "ec2:EnableFastSnapshotRestores", "ec2:CreateSnapshot", "ec2:DeleteSnapshot"},
			"arn:aws:ec2:us-east-1:" + acct + ":snapshot/snap-1", nil},
	},
	"CloudWatchAgentServerPolicy": {
		{[]string{"cloudwatch:PutMetricData", "ec2:DescribeVolumes", "ec2:DescribeTags", "logs:PutLogEvents", "logs:PutRetentionPolicy",
			"logs:DescribeLogStreams", "logs:DescribeLogGroups", "logs:CreateLogStream", "logs:CreateLogGroup", "xray:PutTraceSegments",
			"xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"}, "*", nil},
		{[]string{"ssm:GetParameter"}, "arn:aws:ssm:us-east-1:" + acct + ":parameter/AmazonCloudWatch-linux", nil},
	},
	"AWSXrayWriteOnlyAccess": {
		{[]string{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
			"xray:GetSamplingStatisticSummaries"}, "*", nil},
	},
}

// physical resolves the ${...} placeholders iampolicy leaves for
// references (Ref, Fn::GetAtt, Fn::ImportValue) to the physical names
// CloudFormation gives blueprint's resources: generated bucket names are
// <stack>-<logical ID>-<suffix> in lower case, which is what the
// boundary's <name>-* relies on. An unknown reference fails the test, so a
// new kind of resource in a role policy is looked at, not waved through.
type physical struct {
	asm     *assembly.Assembly
	exports map[string]struct {
		stack *assembly.Stack
		value map[string]any
	}
}

func newPhysical(t *testing.T, asm *assembly.Assembly) *physical {
	p := &physical{asm: asm, exports: map[string]struct {
		stack *assembly.Stack
		value map[string]any
	}{}}
	for _, s := range asm.Stacks {
		for _, raw := range s.Template.Outputs {
			var o struct {
				Value  map[string]any
				Export struct{ Name string }
			}
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatal(err)
			}
			if o.Export.Name != "" {
				p.exports[o.Export.Name] = struct {
					stack *assembly.Stack
					value map[string]any
				}{s, o.Value}
			}
		}
	}
	return p
}

var placeholder = regexp.MustCompile(`\$\{([^}]+)\}`)

func (p *physical) resolve(t *testing.T, s *assembly.Stack, v string) string {
	t.Helper()
	return placeholder.ReplaceAllStringFunc(v, func(m string) string {
		ref := placeholder.FindStringSubmatch(m)[1]
		st := s
		if name, ok := strings.CutPrefix(ref, "import:"); ok {
			e, found := p.exports[name]
			if !found {
				t.Fatalf("no export %s", name)
			}
			st = e.stack
			if att, ok := e.value["Fn::GetAtt"].([]any); ok {
				ref = fmt.Sprint(att[0]) + "." + fmt.Sprint(att[1])
			} else {
				ref = fmt.Sprint(e.value["Ref"])
			}
		}
		logical, attr, _ := strings.Cut(ref, ".")
		r, ok := st.Template.Resources[logical]
		if !ok {
			t.Fatalf("%s: cannot resolve %s", st.Name, m)
		}
		var props map[string]any
		_ = json.Unmarshal(r.Properties, &props)
		generated := strings.ToLower(st.Name + "-" + logical + "-1a2b3c4d5e6f")
		switch {
		case r.Type == "AWS::S3::Bucket" && attr == "Arn":
			if n, ok := props["BucketName"].(string); ok {
				generated = n
			}
			return "arn:aws:s3:::" + generated
		case r.Type == "AWS::KMS::Key" && attr == "Arn":
			return "arn:aws:kms:us-east-1:" + acct + ":key/0a1b2c3d-0000-1111-2222-333344445555"
		case r.Type == "AWS::Logs::LogGroup" && attr == "Arn":
			if n, ok := props["LogGroupName"].(string); ok {
				generated = n
			}
			return "arn:aws:logs:us-east-1:" + acct + ":log-group:" + generated + ":*"
		case (r.Type == "AWS::Athena::WorkGroup" || r.Type == "AWS::EKS::Cluster") && attr == "":
			return fmt.Sprint(props["Name"])
		case r.Type == "AWS::IAM::ManagedPolicy" && attr == "":
			return "arn:aws:iam::" + acct + ":policy/" + fmt.Sprint(props["ManagedPolicyName"])
		}
		t.Fatalf("%s: no physical name for %s (%s)", st.Name, m, r.Type)
		return ""
	})
}

// checkPermissionsBoundary proves the boundary on the synthesized
// templates of the deployment name: every role of the four deployable
// stacks carries it; it leaves every permission blueprint's roles are given
// (their inline policies, and the AWS managed policies they attach);
// and it denies what a role a template could add must not get.
func checkPermissionsBoundary(t *testing.T, asm *assembly.Assembly, name string) {
	v := iampolicy.Values{Partition: "aws", Account: acct, Region: "us-east-1"}
	phys := newPhysical(t, asm)
	arn := "arn:aws:iam::" + acct + ":policy/" + boundary.PolicyName(name)
	net := asm.Stack(name + "-network")
	var pb []iampolicy.Statement
	for id, r := range net.Template.Resources {
		if r.Type != "AWS::IAM::ManagedPolicy" {
			continue
		}
		var props map[string]any
		_ = json.Unmarshal(r.Properties, &props)
		if props["ManagedPolicyName"] != boundary.PolicyName(name) {
			t.Errorf("%s: unexpected managed policy %s", net.Name, id)
			continue
		}
		sts, err := v.Statements(props["PolicyDocument"])
		if err != nil {
			t.Fatal(err)
		}
		pb = sts
	}
	if pb == nil {
		t.Fatalf("%s holds no %s", net.Name, boundary.PolicyName(name))
	}
	for i := range pb {
		for k, vals := range pb[i].Conditions {
			for key := range vals {
				for j := range vals[key] {
					pb[i].Conditions[k][key][j] = phys.resolve(t, net, vals[key][j])
				}
			}
		}
		for j := range pb[i].Resources {
			pb[i].Resources[j] = phys.resolve(t, net, pb[i].Resources[j])
		}
	}
	tagged := "aws:ResourceTag/" + stacks.DeploymentTag
	allowed := func(what string, r iampolicy.Request) {
		t.Helper()
		if d, err := iampolicy.Evaluate(pb, r); err != nil || !d.Allowed {
			t.Errorf("boundary cuts %s: %s on %s %v (err %v)", what, r.Action, r.Resource, r.Context, err)
		}
	}

	roles := 0
	for _, s := range asm.Stacks {
		if s.Name == name+"-ci" {
			continue
		}
		body, err := os.ReadFile(filepath.Join(asm.Dir, s.TemplateFile))
		if err != nil {
			t.Fatal(err)
		}
		policies, err := v.RolePolicies(body)
		if err != nil {
			t.Fatal(err)
		}
		for id, r := range s.Template.Resources {
			if r.Type != "AWS::IAM::Role" {
				continue
			}
			roles++
			var props map[string]any
			_ = json.Unmarshal(r.Properties, &props)
			got, err := v.Resolve(props["PermissionsBoundary"])
			if err != nil || phys.resolve(t, s, got) != arn {
				t.Errorf("%s %s: PermissionsBoundary = %v, want %s", s.Name, id, props["PermissionsBoundary"], arn)
			}
			for _, st := range policies[id] {
				if st.Effect != "Allow" {
					continue
				}
				ctx := map[string]string{tagged: name}
				for _, kv := range st.Conditions {
					for k, vals := range kv {
						ctx[k] = phys.resolve(t, s, vals[0])
					}
				}
				for _, a := range st.Actions {
					for _, res := range st.Resources {
						allowed(fmt.Sprintf("%s %s statement %s", s.Name, id, st.Sid),
							iampolicy.Request{Action: a, Resource: phys.resolve(t, s, res), Context: ctx})
					}
				}
			}
			managed, _ := props["ManagedPolicyArns"].([]any)
			for _, m := range managed {
				marn, _ := v.Resolve(m)
				policy := strings.TrimPrefix(marn, "arn:aws:iam::aws:policy/")
				grants, ok := managedPolicyGrants[policy]
				if !ok {
					t.Errorf("%s %s attaches %s, which managedPolicyGrants does not list", s.Name, id, policy)
				}
				for _, g := range grants {
					ctx := map[string]string{}
					for i := 0; i+1 < len(g.ctx); i += 2 {
						ctx[g.ctx[i]] = g.ctx[i+1]
					}
					for _, a := range g.actions {
						allowed(s.Name+" "+id+" managed policy "+policy, iampolicy.Request{Action: a, Resource: g.resource, Context: ctx})
					}
				}
			}
		}
	}
	if roles == 0 {
		t.Fatal("no roles in the deployable stacks")
	}
	for _, m := range stacks.ManagedPolicies {
		if _, ok := managedPolicyGrants[m]; !ok {
			t.Errorf("stacks.ManagedPolicies has %s, which managedPolicyGrants does not list", m)
		}
	}

	// What no role of the deployment can do, whatever its own policies say.
	role := func(n string) string { return "arn:aws:iam::" + acct + ":role/" + n }
	for _, c := range []struct {
		what string
		req  iampolicy.Request
	}{
		{"create a role", req("iam:CreateRole", role(name+"-cluster-X"), "iam:PermissionsBoundary", arn)},
		{"put an inline policy on a role", req("iam:PutRolePolicy", role(name+"-cluster-X"))},
		{"attach AdministratorAccess", req("iam:AttachRolePolicy", role(name+"-cluster-X"), "iam:PolicyARN", "arn:aws:iam::aws:policy/AdministratorAccess")},
		{"change its own boundary", req("iam:DeleteRolePermissionsBoundary", role(name+"-cluster-X"))},
		{"pass a role (an instance profile, a Lambda)", req("iam:PassRole", role(name+"-cluster-X"), "iam:PassedToService", "ec2.amazonaws.com")},
		{"assume another role", req("sts:AssumeRole", role("admin"))},
		{"create a service-linked role for another service", req("iam:CreateServiceLinkedRole", "*", "iam:AWSServiceName", "rds.amazonaws.com")},
		{"read another bucket", req("s3:GetObject", "arn:aws:s3:::payroll/2026.csv")},
		{"decrypt with a key of another deployment", req("kms:Decrypt", "arn:aws:kms:us-east-1:"+acct+":key/1", tagged, "other")},
		{"decrypt with an untagged key", req("kms:Decrypt", "arn:aws:kms:us-east-1:"+acct+":key/1")},
		{"schedule the deletion of a key", req("kms:ScheduleKeyDeletion", "arn:aws:kms:us-east-1:"+acct+":key/1", tagged, name)},
		{"read another Glue database", req("glue:GetTable", "arn:aws:glue:us-east-1:"+acct+":table/finance/ledger")},
		{"query through another workgroup", req("athena:StartQueryExecution", "arn:aws:athena:us-east-1:"+acct+":workgroup/primary")},
		{"read a secret", req("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:"+acct+":secret:"+name+"/jupyterhub-login-AbCdEf")},
		{"create a function", req("lambda:CreateFunction", "arn:aws:lambda:us-east-1:"+acct+":function:x")},
		{"change a CloudFormation stack", req("cloudformation:UpdateStack", "arn:aws:cloudformation:us-east-1:"+acct+":stack/"+name+"-ci/1")},
		{"delete another log group", req("logs:DeleteLogGroup", "arn:aws:logs:us-east-1:"+acct+":log-group:audit:*")},
	} {
		if d, err := iampolicy.Evaluate(pb, c.req); err != nil || d.Allowed {
			t.Errorf("the boundary lets a role %s (%s on %s, by %q, err %v)", c.what, c.req.Action, c.req.Resource, d.By, err)
		}
	}
	if !slices.ContainsFunc(pb, func(s iampolicy.Statement) bool { return s.Sid == "DeploymentBuckets" }) {
		t.Error("no DeploymentBuckets statement")
	}
}
