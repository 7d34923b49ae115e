// Package irsa builds IAM roles for Kubernetes service accounts (IRSA).
//
// The trust policy must use the cluster's OIDC issuer as a condition *key*,
// which is only known at deploy time. CDK's usual answer is CfnJson, a
// Lambda-backed custom resource; blueprint instead gives CloudFormation the
// policy document as an Fn::Sub JSON string, which it accepts natively.
package irsa

import (
	"encoding/json"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/internal/workloads"
)

// Provider identifies the cluster's IAM OIDC provider.
type Provider struct {
	// Arn of the AWS::IAM::OIDCProvider.
	Arn *string
	// Issuer is the issuer URL without "https://" (e.g. oidc.eks.<region>.amazonaws.com/id/<id>).
	Issuer *string
}

// Props configures one service-account role.
type Props struct {
	Provider       Provider
	ServiceAccount workloads.ServiceAccount
	// Statements form the role's inline policy; each must name scoped resources.
	Statements []awsiam.PolicyStatement
	// ManagedPolicies are AWS managed policy names (e.g. "AmazonEBSCSIDriverPolicy").
	ManagedPolicies []string
	Description     string
}

// Role is the built role.
type Role struct {
	Role awsiam.CfnRole
	Arn  *string
}

// TrustPolicy returns the Fn::Sub template of the trust policy for sa; the
// template's variables are ${ProviderArn} and ${Issuer}.
func TrustPolicy(sa workloads.ServiceAccount) string {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Federated": "${ProviderArn}"},
			"Action":    "sts:AssumeRoleWithWebIdentity",
			"Condition": map[string]any{"StringEquals": map[string]any{
				"${Issuer}:sub": sa.Subject(),
				"${Issuer}:aud": "sts.amazonaws.com",
			}},
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err) // a literal map always marshals
	}
	return string(b)
}

// New builds the role.
func New(scope constructs.Construct, id string, props Props) *Role {
	if props.Description == "" {
		props.Description = "IRSA role for " + props.ServiceAccount.Namespace + "/" + props.ServiceAccount.Name
	}
	trust := awscdk.Fn_Sub(jsii.String(TrustPolicy(props.ServiceAccount)), &map[string]*string{
		"ProviderArn": props.Provider.Arn,
		"Issuer":      props.Provider.Issuer,
	})
	var policies []any
	if len(props.Statements) > 0 {
		policies = append(policies, &awsiam.CfnRole_PolicyProperty{
			PolicyName:     jsii.String(policyName(props.ServiceAccount)),
			PolicyDocument: awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &props.Statements}),
		})
	}
	var managed []any
	for _, name := range props.ManagedPolicies {
		managed = append(managed, awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String(name)).ManagedPolicyArn())
	}
	role := awsiam.NewCfnRole(scope, jsii.String(id), &awsiam.CfnRoleProps{
		AssumeRolePolicyDocument: trust,
		Description:              jsii.String(props.Description),
		Policies:                 policies,
		ManagedPolicyArns:        &managed,
	})
	return &Role{Role: role, Arn: role.AttrArn()}
}

func policyName(sa workloads.ServiceAccount) string {
	return strings.ReplaceAll(sa.Namespace+"-"+sa.Name, "_", "-")
}
