package irsa_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/irsa"
	"github.com/sqletl/blueprint/internal/cdktest"
	"github.com/sqletl/blueprint/internal/workloads"
)

func TestTrustPolicyNamesTheServiceAccount(t *testing.T) {
	for _, sa := range []workloads.ServiceAccount{workloads.ArcJob, workloads.Notebook, workloads.EBSCSIController} {
		var doc struct {
			Statement []struct {
				Action    string
				Principal map[string]string
				Condition map[string]map[string]string
			}
		}
		if err := json.Unmarshal([]byte(irsa.TrustPolicy(sa)), &doc); err != nil {
			t.Fatalf("%s: trust policy is not JSON: %v", sa.Name, err)
		}
		st := doc.Statement[0]
		eq := st.Condition["StringEquals"]
		if st.Action != "sts:AssumeRoleWithWebIdentity" || st.Principal["Federated"] != "${ProviderArn}" ||
			eq["${Issuer}:sub"] != sa.Subject() || eq["${Issuer}:aud"] != "sts.amazonaws.com" {
			t.Errorf("%s: trust policy %+v", sa.Name, st)
		}
	}
}

func TestRoleUsesFnSubNotCustomResource(t *testing.T) {
	stack := cdktest.Stack(t)
	provider := awsiam.NewCfnOIDCProvider(stack, jsii.String("Oidc"), &awsiam.CfnOIDCProviderProps{
		Url: jsii.String("https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"), ClientIdList: jsii.Strings("sts.amazonaws.com"),
	})
	irsa.New(stack, "Role", irsa.Props{
		Provider:        irsa.Provider{Arn: provider.AttrArn(), Issuer: jsii.String("oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE")},
		ServiceAccount:  workloads.ArcJob,
		ManagedPolicies: []string{"AmazonEKS_CNI_Policy"},
		Statements: []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("s3:GetObject"), Resources: jsii.Strings("arn:aws:s3:::b/*"),
		})},
	})
	tpl, doc := cdktest.Template(t, stack)
	cdktest.Check(t, "no custom resources or Lambda", func() {
		tpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(0))
	})
	roles := cdktest.Resources(doc, "AWS::IAM::Role")
	if len(roles) != 1 {
		t.Fatalf("roles = %d", len(roles))
	}
	for _, r := range roles {
		p := cdktest.Props(r)
		sub, ok := p["AssumeRolePolicyDocument"].(map[string]any)["Fn::Sub"].([]any)
		if !ok || len(sub) != 2 {
			t.Fatalf("AssumeRolePolicyDocument is not an Fn::Sub: %v", p["AssumeRolePolicyDocument"])
		}
		if sub[0] != irsa.TrustPolicy(workloads.ArcJob) {
			t.Errorf("Fn::Sub template = %v", sub[0])
		}
		vars := sub[1].(map[string]any)
		if vars["ProviderArn"] == nil || vars["Issuer"] != "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE" {
			t.Errorf("Fn::Sub variables = %v", vars)
		}
		if len(p["Policies"].([]any)) != 1 || len(p["ManagedPolicyArns"].([]any)) != 1 {
			t.Errorf("policies = %v, managed = %v", p["Policies"], p["ManagedPolicyArns"])
		}
	}
}
