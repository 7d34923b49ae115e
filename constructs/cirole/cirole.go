// Package cirole builds the IAM roles a CI pipeline (GitHub Actions,
// through OIDC) deploys blueprint with: the role the pipeline assumes,
// which only drives CloudFormation on this deployment's stacks, uploads
// job files and reads the cluster; and the CloudFormation execution role
// it may pass (execrole.go), which holds the create rights a deploy needs
// (IAM roles, VPC, EKS), scoped to this deployment's names and tags. The
// CI role can pass no other role and assume none, so a stolen CI token
// reaches no further than this deployment.
package cirole

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// GitHubIssuer is GitHub Actions' OIDC token issuer.
const GitHubIssuer = "token.actions.githubusercontent.com"

// CIRoleProps configure the role.
type CIRoleProps struct {
	// Repository is "owner/name" on GitHub. Required.
	Repository string
	// Branch the workflow deploys from; default "main" (for the
	// description: GitHub enforces it through Environment's branch rule).
	Branch string
	// Environment is the GitHub environment of the deploy job; default
	// "production". A job that references an environment gets the OIDC
	// subject repo:<owner>/<name>:environment:<name> (GitHub Docs, "About
	// security hardening with OpenID Connect", example subject claims), so
	// only jobs that passed that environment's protection rules can assume
	// the role.
	Environment string
	// Name is the blueprint's name.
	Name string
	// Stacks the role may create and update (through ExecutionRoleArn);
	// ReadStacks it may only read (the CI stack itself: no CI run may
	// change what CI can do).
	Stacks, ReadStacks []string
	// ClusterName is the EKS cluster `up` and `jobs push` talk to.
	ClusterName string
	// CodeBucket receives the job files; Key encrypts it.
	CodeBucket awss3.IBucket
	Key        awskms.IKey
	// ProviderArn is the account's existing GitHub OIDC provider. Empty
	// creates one (an account has at most one per issuer).
	ProviderArn string
	// ExecutionRoleArn is the role CloudFormation deploys with: the only
	// role the CI role may pass. Required.
	ExecutionRoleArn string
	// LoginSecret is the name of the JupyterHub login secret `up` reads to
	// install the hub; empty grants no secret access.
	LoginSecret string
}

// CIRole is the built role.
type CIRole struct {
	Role awsiam.Role
	// ProviderArn is the OIDC provider the role trusts.
	ProviderArn *string
}

func (p *CIRoleProps) setDefaults() {
	if p.Branch == "" {
		p.Branch = "main"
	}
	if p.Environment == "" {
		p.Environment = "production"
	}
	if p.Name == "" {
		p.Name = "blueprint"
	}
}

// arn builds an ARN in this stack's partition and account; region "" for
// global services, "-" for this stack's region.
func arn(service, region, resource string) string {
	if region == "-" {
		region = *awscdk.Aws_REGION()
	}
	return "arn:" + *awscdk.Aws_PARTITION() + ":" + service + ":" + region + ":" + *awscdk.Aws_ACCOUNT_ID() + ":" + resource
}

// NewCIRole builds the role (and the OIDC provider when none is given).
func NewCIRole(scope constructs.Construct, id string, p CIRoleProps) *CIRole {
	p.setDefaults()
	c := constructs.NewConstruct(scope, jsii.String(id))
	provider := p.ProviderArn
	if provider == "" {
		// L1, not awsiam.OpenIdConnectProvider: that one is a Lambda-backed
		// custom resource, and blueprint's templates have none.
		cfn := awsiam.NewCfnOIDCProvider(c, jsii.String("GitHubProvider"), &awsiam.CfnOIDCProviderProps{
			Url:          jsii.String("https://" + GitHubIssuer),
			ClientIdList: jsii.Strings("sts.amazonaws.com"),
		})
		provider = *cfn.AttrArn()
	}
	principal := awsiam.NewFederatedPrincipal(jsii.String(provider), &map[string]any{
		"StringEquals": map[string]any{
			GitHubIssuer + ":aud": "sts.amazonaws.com",
			GitHubIssuer + ":sub": "repo:" + p.Repository + ":environment:" + p.Environment,
		},
	}, jsii.String("sts:AssumeRoleWithWebIdentity"))

	var deployable, readable []string
	for _, n := range p.Stacks {
		deployable = append(deployable, arn("cloudformation", "-", "stack/"+n+"/*"))
	}
	for _, n := range append(append([]string(nil), p.Stacks...), p.ReadStacks...) {
		readable = append(readable, arn("cloudformation", "-", "stack/"+n+"/*"))
	}
	statements := []awsiam.PolicyStatement{
		stmt("ReadBlueprintStacks", []string{
			"cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents", "cloudformation:DescribeStackResources",
			"cloudformation:ListStackResources", "cloudformation:GetTemplate", "cloudformation:DescribeChangeSet",
			"cloudformation:ListChangeSets",
		}, readable...),
		// Every create and update names the execution role, so
		// CloudFormation never acts with the CI role's own (small) rights
		// nor with any other role's.
		withCondition(stmt("DeployBlueprintStacksAsTheExecutionRole", []string{
			"cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:CreateChangeSet",
		}, deployable...), map[string]any{"ArnEquals": map[string]any{"cloudformation:RoleArn": p.ExecutionRoleArn}}),
		stmt("RunBlueprintChangeSets", []string{"cloudformation:ExecuteChangeSet", "cloudformation:DeleteChangeSet"}, deployable...),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("PassOnlyTheExecutionRole"),
			Actions:    jsii.Strings("iam:PassRole"),
			Resources:  jsii.Strings(p.ExecutionRoleArn),
			Conditions: &map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "cloudformation.amazonaws.com"}},
		}),
		// A role whose trust policy names this role could otherwise be
		// assumed without any permission here (same-account trust); an
		// explicit deny closes that path for roles a template creates.
		deny("AssumeNoRole", []string{"sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"}, "*"),
		// GetCallerIdentity and ValidateTemplate have no resource-level
		// permissions; they reveal nothing beyond the caller.
		stmt("WhoAmI", []string{"sts:GetCallerIdentity", "cloudformation:ValidateTemplate"}, "*"),
		// up picks the VPC's zones from the account's list; a describe call
		// without resource-level permissions.
		stmt("ListZones", []string{"ec2:DescribeAvailabilityZones"}, "*"),
		stmt("ListCode", []string{"s3:ListBucket", "s3:GetBucketLocation"}, *p.CodeBucket.BucketArn()),
		stmt("PushJobs", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, *p.CodeBucket.ArnForObjects(jsii.String("jobs/*"))),
		// up stages templates over CloudFormation's inline limit here.
		stmt("StageTemplates", []string{"s3:GetObject", "s3:PutObject"}, *p.CodeBucket.ArnForObjects(jsii.String("cloudformation/*"))),
		stmt("EncryptCode", []string{"kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"}, *p.Key.KeyArn()),
		stmt("ConnectToCluster", []string{"eks:DescribeCluster"}, arn("eks", "-", "cluster/"+p.ClusterName)),
	}
	if p.LoginSecret != "" {
		// Secrets Manager appends a random suffix to secret ARNs.
		statements = append(statements, stmt("ReadHubLogin", []string{"secretsmanager:GetSecretValue"},
			arn("secretsmanager", "-", "secret:"+p.LoginSecret+"-??????")))
	}
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:          principal,
		Description:        jsii.String("CI deploy role for " + p.Repository + "@" + p.Branch + ", environment " + p.Environment + " (blueprint up, jobs push)"),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(2)),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"Deploy": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements}),
		},
	})
	return &CIRole{Role: role, ProviderArn: jsii.String(provider)}
}

func stmt(sid string, actions []string, resources ...string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...),
	})
}
