// Package cirole builds the IAM role a CI pipeline (GitHub Actions, through
// OIDC) assumes to run `blueprint up` and `blueprint jobs push`. The role
// itself only drives CloudFormation, uploads job files and reads the
// cluster; the broad create rights a deploy needs (IAM roles, VPC, EKS) are
// held by the CloudFormation execution role it may pass, so a stolen CI
// token cannot use them outside a blueprint stack.
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
	// Branch the workflow must run on; default "main".
	Branch string
	// Name is the blueprint's name: the role may act on stacks "<Name>-*".
	Name string
	// ClusterName is the EKS cluster `up` and `jobs push` talk to.
	ClusterName string
	// CodeBucket receives the job files; Key encrypts it.
	CodeBucket awss3.IBucket
	Key        awskms.IKey
	// ProviderArn is the account's existing GitHub OIDC provider. Empty
	// creates one (an account has at most one per issuer).
	ProviderArn string
	// ExecutionRoleArn is the role CloudFormation deploys with; default
	// the CDK bootstrap's cfn-exec-role (qualifier hnb659fds).
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
	if p.Name == "" {
		p.Name = "blueprint"
	}
	if p.ExecutionRoleArn == "" {
		p.ExecutionRoleArn = arn("iam", "", "role/cdk-hnb659fds-cfn-exec-role-"+*awscdk.Aws_ACCOUNT_ID()+"-"+*awscdk.Aws_REGION())
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
			GitHubIssuer + ":sub": "repo:" + p.Repository + ":ref:refs/heads/" + p.Branch,
		},
	}, jsii.String("sts:AssumeRoleWithWebIdentity"))

	stacks := arn("cloudformation", "-", "stack/"+p.Name+"-*/*")
	statements := []awsiam.PolicyStatement{
		stmt("DeployBlueprintStacks", []string{
			"cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents", "cloudformation:DescribeStackResources",
			"cloudformation:ListStackResources", "cloudformation:GetTemplate", "cloudformation:CreateStack", "cloudformation:UpdateStack",
			"cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet", "cloudformation:DeleteChangeSet",
			"cloudformation:ListChangeSets",
		}, stacks),
		// The CDK CLI checks the bootstrap stack and its version.
		stmt("ReadBootstrap", []string{"cloudformation:DescribeStacks"}, arn("cloudformation", "-", "stack/CDKToolkit/*")),
		stmt("ReadBootstrapVersion", []string{"ssm:GetParameter"}, arn("ssm", "-", "parameter/cdk-bootstrap/hnb659fds/version")),
		// Either deploy path: the CDK CLI assumes the bootstrap's deploy and
		// publishing roles; direct CloudFormation passes the execution role.
		stmt("UseBootstrapRoles", []string{"sts:AssumeRole", "sts:TagSession"}, arn("iam", "", "role/cdk-hnb659fds-*-"+*awscdk.Aws_ACCOUNT_ID()+"-"+*awscdk.Aws_REGION())),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("PassExecutionRoleToCloudFormation"),
			Actions:    jsii.Strings("iam:PassRole"),
			Resources:  jsii.Strings(p.ExecutionRoleArn),
			Conditions: &map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "cloudformation.amazonaws.com"}},
		}),
		// GetCallerIdentity and ValidateTemplate have no resource-level
		// permissions; they reveal nothing beyond the caller.
		stmt("WhoAmI", []string{"sts:GetCallerIdentity", "cloudformation:ValidateTemplate"}, "*"),
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
		Description:        jsii.String("CI deploy role for " + p.Repository + "@" + p.Branch + " (blueprint up, jobs push)"),
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
