package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/sqletl/blueprint/constructs/boundary"
	"github.com/sqletl/blueprint/constructs/cirole"
	"github.com/sqletl/blueprint/constructs/cluster"
	"github.com/sqletl/blueprint/constructs/nag"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/stackreg"
)

// CIStack holds the optional deploy role a CI pipeline assumes (GitHub
// OIDC) and its access entry on the cluster.
type CIStack struct {
	Stack awscdk.Stack
	Role  *cirole.CIRole
}

func newCIStack(scope constructs.Construct, id string, props *awscdk.StackProps, cfg *config.Config,
	data *DataStack, an *AnalyticsStack, cl *ClusterStack) *CIStack {
	stack := awscdk.NewStack(scope, &id, props)
	gh := cfg.CI.GitHub
	exec := cirole.NewExecutionRole(stack, "CfnExecution", cirole.ExecRoleProps{
		Name:            cfg.Name,
		TagKey:          DeploymentTag,
		GlueDatabase:    cfg.DataLake.GlueDatabase,
		LoginSecret:     LoginSecretName(cfg),
		ManagedPolicies: ManagedPolicies,
		BoundaryArn:     boundary.PolicyArn(cfg.Name),
	})
	// The CI role deploys every stack but its own, which it may only read.
	var deployable, readOnly []string
	for _, st := range stackreg.For(cfg).Stacks() {
		if st.Role == stackreg.CI {
			readOnly = append(readOnly, st.Name)
		} else {
			deployable = append(deployable, st.Name)
		}
	}
	role := cirole.NewCIRole(stack, "Deploy", cirole.CIRoleProps{
		Repository:  gh.Repository,
		Branch:      gh.Branch,
		Environment: gh.Environment,
		Name:        cfg.Name,
		Stacks:      deployable,
		ReadStacks:  readOnly,
		ClusterName: cfg.Name,
		CodeBucket:  an.Code,
		Key:         data.Key.Key,
		ProviderArn: gh.ProviderArn,
		LoginSecret: LoginSecretName(cfg),
		// By name, not by reference: the CI role's policy must name exactly
		// this role, and a name is what `up --cfn-role-arn` is given.
		ExecutionRoleArn: "arn:" + *awscdk.Aws_PARTITION() + ":iam::" + *awscdk.Aws_ACCOUNT_ID() + ":role/" + cirole.ExecRoleName(cfg.Name),
	})
	role.Role.Node().AddDependency(exec)
	nag.Suppress(exec, nag.Rule{ID: "AwsSolutions-IAM5",
		Reason: "CloudFormation execution role scoped to this deployment: roles, buckets, log groups and the Athena workgroup by the <name>- prefix, " +
			"EKS by cluster name, EC2 and KMS by the deployment tag; EC2 Describe, GetRandomPassword, DescribeLogGroups and service-linked role creation " +
			"(limited by iam:AWSServiceName) have no resource-level permissions",
		AppliesTo: []string{"Resource::*", `/^Resource::.*` + cfg.Name + `.*\*.*$/`, `/^Resource::arn:<AWS::Partition>:(eks::aws:cluster-access-policy|kms:<AWS::Region>:<AWS::AccountId>:key)\/\*$/`,
			`/^Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:oidc-provider\/oidc\.eks\.<AWS::Region>\.amazonaws\.com\/id\/\*$/`,
			"Action::ec2:Describe*", "Action::s3:GetBucket*", "Action::s3:PutBucket*"},
	})
	output(stack, OutputCIExecRoleArn, exec.RoleArn(), "CloudFormation execution role CI deploys with (blueprint up --cfn-role-arn)")
	nag.Suppress(role.Role, nag.Rule{ID: "AwsSolutions-IAM5",
		Reason: "prefix-scoped: the deployment's own stacks (<name>-*), its code bucket's jobs/ and cloudformation/ prefixes, " +
			"the CDK bootstrap stack and roles (qualifier hnb659fds); sts:GetCallerIdentity and cloudformation:ValidateTemplate " +
			"have no resource-level permissions",
		AppliesTo: []string{
			"Resource::*",
			`/^Resource::<CodeBucket[0-9A-F]{8}\.Arn>\/(jobs|cloudformation)\/\*$/`,
			`/^Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack\/` + cfg.Name + `-[a-z]+\/\*$/`,
		}})
	cluster.NewAdminAccess(stack, "DeployRoleClusterAccess", cl.Cluster.Name, role.Role.RoleArn())
	output(stack, OutputCIRoleArn, role.Role.RoleArn(), "Role the CI pipeline assumes (role-to-assume)")
	return &CIStack{Stack: stack, Role: role}
}
