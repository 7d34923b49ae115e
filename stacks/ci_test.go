package stacks_test

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sqletl/blueprint/constructs/cirole"
	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/iampolicy"
	"github.com/sqletl/blueprint/stacks"
)

const (
	acct        = "123456789012"
	execArn     = "arn:aws:iam::" + acct + ":role/etl-cfn-exec"
	boundaryArn = "arn:aws:iam::" + acct + ":policy/etl-permissions-boundary"
)

// ciRoles returns the statements of the CI role and of the execution role,
// read from the synthesized etl-ci template.
func ciRoles(t *testing.T, asm *assembly.Assembly) (ci, exec []iampolicy.Statement) {
	t.Helper()
	st := asm.Stack("etl-ci")
	body, err := os.ReadFile(filepath.Join(asm.Dir, st.TemplateFile))
	if err != nil {
		t.Fatal(err)
	}
	v := iampolicy.Values{Partition: "aws", Account: acct, Region: "us-east-1"}
	roles, err := v.RolePolicies(body)
	if err != nil {
		t.Fatal(err)
	}
	for id, sts := range roles {
		switch {
		case strings.HasPrefix(id, "CfnExecution"):
			exec = sts
		case strings.HasPrefix(id, "Deploy"):
			ci = sts
		default:
			t.Errorf("unexpected role %s in etl-ci", id)
		}
	}
	if ci == nil || exec == nil {
		t.Fatalf("roles in etl-ci: %v", roles)
	}
	return ci, exec
}

type check struct {
	what  string
	req   iampolicy.Request
	allow bool
}

func req(action, resource string, ctx ...string) iampolicy.Request {
	r := iampolicy.Request{Action: action, Resource: resource, Context: map[string]string{}}
	for i := 0; i+1 < len(ctx); i += 2 {
		r.Context[ctx[i]] = ctx[i+1]
	}
	return r
}

func evaluate(t *testing.T, role string, sts []iampolicy.Statement, checks []check) {
	t.Helper()
	for _, c := range checks {
		d, err := iampolicy.Evaluate(sts, c.req)
		if err != nil {
			t.Errorf("%s: %s: %v", role, c.what, err)
			continue
		}
		if d.Allowed != c.allow {
			t.Errorf("%s: %s (%s on %s %v): allowed=%v by %q, want %v", role, c.what, c.req.Action, c.req.Resource, c.req.Context, d.Allowed, d.By, c.allow)
		}
	}
}

// checkCIPolicies evaluates the synthesized policies of the CI role and of
// the CloudFormation execution role it passes: each line of the table in
// docs/ci.md is one of these cases.
func checkCIPolicies(t *testing.T, asm *assembly.Assembly) {
	ci, exec := ciRoles(t, asm)
	stack := func(n string) string { return "arn:aws:cloudformation:us-east-1:" + acct + ":stack/" + n + "/0a1b2c" }
	role := func(n string) string { return "arn:aws:iam::" + acct + ":role/" + n }
	asExec := []string{"cloudformation:RoleArn", execArn}
	bounded := []string{"iam:PermissionsBoundary", boundaryArn}

	evaluate(t, "CI role", ci, []check{
		// can
		{"change set on a deployment stack, as the execution role", req("cloudformation:CreateChangeSet", stack("etl-cluster"), asExec...), true},
		{"create a deployment stack, as the execution role", req("cloudformation:CreateStack", stack("etl-network"), asExec...), true},
		{"execute a change set", req("cloudformation:ExecuteChangeSet", stack("etl-data"), asExec...), true},
		{"read the CI stack (no-op check)", req("cloudformation:GetTemplate", stack("etl-ci")), true},
		{"pass the execution role to CloudFormation", req("iam:PassRole", execArn, "iam:PassedToService", "cloudformation.amazonaws.com"), true},
		{"push jobs", req("s3:PutObject", "${import:etl-analytics:ExportsOutputFnGetAttCodeBucketFF4C7AD6ArnE8FAACAF}/jobs/scd2/x.sql"), true},
		{"describe the cluster (version check)", req("eks:DescribeCluster", "arn:aws:eks:us-east-1:"+acct+":cluster/etl"), true},
		{"list the zones", req("ec2:DescribeAvailabilityZones", "*"), true},
		{"create anything in EC2", req("ec2:CreateVpc", "*", "aws:RequestTag/"+stacks.DeploymentTag, "etl"), false},
		// cannot
		{"create a stack not named for this deployment", req("cloudformation:CreateStack", stack("other-app"), asExec...), false},
		{"create another <name>- stack", req("cloudformation:CreateStack", stack("etl-anything"), asExec...), false},
		{"change the CI stack", req("cloudformation:CreateChangeSet", stack("etl-ci"), asExec...), false},
		{"deploy without the execution role", req("cloudformation:CreateChangeSet", stack("etl-cluster")), false},
		{"deploy as another role", req("cloudformation:CreateChangeSet", stack("etl-cluster"), "cloudformation:RoleArn", role("cdk-hnb659fds-cfn-exec-role-"+acct+"-us-east-1")), false},
		{"delete a stack", req("cloudformation:DeleteStack", stack("etl-data")), false},
		{"pass the CDK bootstrap's execution role", req("iam:PassRole", role("cdk-hnb659fds-cfn-exec-role-"+acct+"-us-east-1"), "iam:PassedToService", "cloudformation.amazonaws.com"), false},
		{"pass a deployment role", req("iam:PassRole", role("etl-cluster-EksNodeRole-ABC"), "iam:PassedToService", "cloudformation.amazonaws.com"), false},
		{"pass the execution role to another service", req("iam:PassRole", execArn, "iam:PassedToService", "lambda.amazonaws.com"), false},
		{"assume a role a template created for it", req("sts:AssumeRole", role("etl-cluster-Backdoor-XYZ")), false},
		{"assume the CDK deploy role", req("sts:AssumeRole", role("cdk-hnb659fds-deploy-role-"+acct+"-us-east-1")), false},
		{"read objects outside jobs/ and cloudformation/", req("s3:GetObject", "${import:etl-analytics:ExportsOutputFnGetAttCodeBucketFF4C7AD6ArnE8FAACAF}/other"), false},
	})
	evaluate(t, "execution role", exec, []check{
		// can
		{"create a deployment role with the boundary", req("iam:CreateRole", role("etl-cluster-EksNodeRoleF9FF8775-1A2B3C"), bounded...), true},
		{"put an inline policy on a role with the boundary", req("iam:PutRolePolicy", role("etl-cluster-AccessArcJob-1"), bounded...), true},
		{"remove an inline policy from a role with the boundary", req("iam:DeleteRolePolicy", role("etl-cluster-AccessArcJob-1"), bounded...), true},
		{"set the boundary on a deployment role", req("iam:PutRolePermissionsBoundary", role("etl-cluster-AccessArcJob-1"), bounded...), true},
		{"attach an EKS managed policy to a role with the boundary", req("iam:AttachRolePolicy", role("etl-cluster-EksNodeRole-1"),
			"iam:PolicyARN", "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy", "iam:PermissionsBoundary", boundaryArn), true},
		{"delete a deployment role", req("iam:DeleteRole", role("etl-cluster-AccessArcJob-1")), true},
		{"pass the node role to EKS", req("iam:PassRole", role("etl-cluster-EksNodeRole-1"), "iam:PassedToService", "eks.amazonaws.com"), true},
		{"create the cluster", req("eks:CreateCluster", "arn:aws:eks:us-east-1:"+acct+":cluster/etl"), true},
		{"create a node group", req("eks:CreateNodegroup", "arn:aws:eks:us-east-1:"+acct+":nodegroup/etl/OnDemand/1"), true},
		{"create a tagged VPC", req("ec2:CreateVpc", "arn:aws:ec2:us-east-1:"+acct+":vpc/*", "aws:RequestTag/"+stacks.DeploymentTag, "etl"), true},
		{"add a route to a tagged route table", req("ec2:CreateRoute", "arn:aws:ec2:us-east-1:"+acct+":route-table/rtb-1", "aws:ResourceTag/"+stacks.DeploymentTag, "etl"), true},
		{"private DNS of an interface endpoint", req("route53:AssociateVPCWithHostedZone", "arn:aws:route53:::hostedzone/Z1"), true},
		{"create a deployment bucket", req("s3:CreateBucket", "arn:aws:s3:::etl-data-datalakebucket-1x2y"), true},
		{"create the Glue database", req("glue:CreateDatabase", "arn:aws:glue:us-east-1:"+acct+":database/etl_lake"), true},
		// cannot
		{"create a role outside the prefix", req("iam:CreateRole", role("admin"), bounded...), false},
		{"create a role of another deployment", req("iam:CreateRole", role("other-cluster-Role"), bounded...), false},
		{"create a deployment role without a boundary", req("iam:CreateRole", role("etl-cluster-Backdoor-1")), false},
		{"create a deployment role with another boundary", req("iam:CreateRole", role("etl-cluster-Backdoor-1"),
			"iam:PermissionsBoundary", "arn:aws:iam::aws:policy/AdministratorAccess"), false},
		{"put an inline policy on a role without the boundary", req("iam:PutRolePolicy", role("etl-cluster-Backdoor-1")), false},
		{"attach a managed policy to a role without the boundary", req("iam:AttachRolePolicy", role("etl-cluster-Backdoor-1"),
			"iam:PolicyARN", "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"), false},
		{"swap a role's boundary for another", req("iam:PutRolePermissionsBoundary", role("etl-cluster-AccessArcJob-1"),
			"iam:PermissionsBoundary", "arn:aws:iam::aws:policy/AdministratorAccess"), false},
		{"remove a role's boundary", req("iam:DeleteRolePermissionsBoundary", role("etl-cluster-AccessArcJob-1"), bounded...), false},
		{"change the boundary policy", req("iam:CreatePolicyVersion", boundaryArn), false},
		{"make another version of the boundary the default", req("iam:SetDefaultPolicyVersion", boundaryArn), false},
		{"delete the boundary policy", req("iam:DeletePolicy", boundaryArn), false},
		{"create any managed policy", req("iam:CreatePolicy", "arn:aws:iam::"+acct+":policy/etl-anything"), false},
		{"change who may assume a deployment role", req("iam:UpdateAssumeRolePolicy", role("etl-cluster-AccessArcJob-1"), bounded...), false},
		{"change the CI role", req("iam:PutRolePolicy", role("etl-ci-DeployRole1234-ABC")), false},
		{"change itself", req("iam:PutRolePolicy", execArn), false},
		{"attach AdministratorAccess", req("iam:AttachRolePolicy", role("etl-cluster-X"), "iam:PolicyARN", "arn:aws:iam::aws:policy/AdministratorAccess"), false},
		{"pass a deployment role to Lambda", req("iam:PassRole", role("etl-cluster-X"), "iam:PassedToService", "lambda.amazonaws.com"), false},
		{"create an untagged VPC", req("ec2:CreateVpc", "arn:aws:ec2:us-east-1:"+acct+":vpc/*"), false},
		{"delete another deployment's VPC", req("ec2:DeleteVpc", "arn:aws:ec2:us-east-1:"+acct+":vpc/vpc-1", "aws:ResourceTag/"+stacks.DeploymentTag, "other"), false},
		{"delete another cluster", req("eks:DeleteCluster", "arn:aws:eks:us-east-1:"+acct+":cluster/prod"), false},
		{"delete another bucket", req("s3:DeleteBucket", "arn:aws:s3:::prod-data"), false},
		{"read objects in buckets", req("s3:GetObject", "arn:aws:s3:::etl-data-datalakebucket-1x2y/x"), false},
	})

	// No path from the CI role to IAM actions on roles outside the prefix:
	// it holds no IAM action but PassRole (of the execution role only) and
	// may assume no role; the execution role is refused every IAM write
	// outside <name>- and on the CI stack's roles.
	outside := []string{role("admin"), role("other-cluster-Role"), role("cdk-hnb659fds-cfn-exec-role-" + acct + "-us-east-1"), role("etl-ci-DeployRole-1"), execArn}
	for _, action := range []string{"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:PassRole", "iam:TagRole"} {
		for _, r := range outside {
			for name, sts := range map[string][]iampolicy.Statement{"CI role": ci, "execution role": exec} {
				ctx := map[string]string{"iam:PassedToService": "eks.amazonaws.com", "iam:PolicyARN": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
					"iam:PermissionsBoundary": boundaryArn}
				if name == "CI role" && r == execArn && action == "iam:PassRole" {
					continue // the one allowed pass, checked above (to CloudFormation only)
				}
				if d, err := iampolicy.Evaluate(sts, iampolicy.Request{Action: action, Resource: r, Context: ctx}); err != nil || d.Allowed {
					t.Errorf("%s may %s on %s (by %q, err %v)", name, action, r, d.By, err)
				}
			}
		}
	}
	for _, s := range ci {
		for _, a := range s.Actions {
			if strings.HasPrefix(a, "iam:") && a != "iam:PassRole" && s.Effect == "Allow" {
				t.Errorf("CI role statement %s allows %s", s.Sid, a)
			}
		}
	}
}

// The execution role manages exactly the resource types blueprint's
// deployable stacks contain.
func checkExecRoleCoversTemplates(t *testing.T, asm *assembly.Assembly) {
	types := map[string]bool{}
	for _, s := range asm.Stacks {
		if s.Name == "etl-ci" {
			continue
		}
		for _, r := range s.Template.Resources {
			types[r.Type] = true
		}
	}
	var got []string
	for typ := range types {
		got = append(got, typ)
	}
	sort.Strings(got)
	want := slices.Clone(cirole.ResourceTypes)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("templates contain %v\nexecution role covers %v", got, want)
	}
}
