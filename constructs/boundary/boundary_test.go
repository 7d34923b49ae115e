package boundary_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/boundary"
	"github.com/sqletl/blueprint/internal/cdktest"
)

// Apply reaches both kinds of role blueprint builds: L2 roles
// (awsiam.Role, the control plane and node roles) and L1 ones
// (awsiam.CfnRole, the IRSA roles), and New names the policy so the CI
// execution role can require it by ARN.
func TestApplyToEveryRole(t *testing.T) {
	stack := cdktest.Stack(t)
	awsiam.NewRole(stack, jsii.String("L2"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil)})
	awsiam.NewCfnRole(stack, jsii.String("L1"), &awsiam.CfnRoleProps{AssumeRolePolicyDocument: map[string]any{"Version": "2012-10-17", "Statement": []any{}}})
	pb := boundary.New(stack, "Boundary", boundary.Props{Name: "etl", TagKey: "blueprint:deployment", GlueDatabase: "etl_lake"})
	boundary.Apply(stack, pb)
	_, doc := cdktest.Template(t, stack)

	policies := cdktest.Resources(doc, "AWS::IAM::ManagedPolicy")
	if len(policies) != 1 {
		t.Fatalf("managed policies = %d, want 1", len(policies))
	}
	var policyID string
	for id, p := range policies {
		policyID = id
		if got := cdktest.Props(p)["ManagedPolicyName"]; got != boundary.PolicyName("etl") || got != "etl-permissions-boundary" {
			t.Errorf("ManagedPolicyName = %v", got)
		}
		body, _ := json.Marshal(cdktest.Props(p)["PolicyDocument"])
		for _, want := range []string{`"s3:*"`, `:s3:::etl-*"`, `"aws:ResourceTag/blueprint:deployment":"etl"`, `database/etl_lake"`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("boundary lacks %s: %s", want, body)
			}
		}
		for _, never := range []string{`"iam:*"`, `"sts:`, `"iam:PassRole"`, `"iam:CreateRole"`} {
			if strings.Contains(string(body), never) {
				t.Errorf("boundary allows %s: %s", never, body)
			}
		}
	}
	roles := cdktest.Resources(doc, "AWS::IAM::Role")
	if len(roles) != 2 {
		t.Fatalf("roles = %d, want 2", len(roles))
	}
	for id, r := range roles {
		got, _ := json.Marshal(cdktest.Props(r)["PermissionsBoundary"])
		if string(got) != `{"Ref":"`+policyID+`"}` {
			t.Errorf("role %s PermissionsBoundary = %s, want the boundary %s", id, got, policyID)
		}
	}
}
