package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/sqletl/blueprint/constructs/cirole"
	"github.com/sqletl/blueprint/constructs/cluster"
	"github.com/sqletl/blueprint/constructs/nag"
	"github.com/sqletl/blueprint/internal/config"
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
	role := cirole.NewCIRole(stack, "Deploy", cirole.CIRoleProps{
		Repository:  gh.Repository,
		Branch:      gh.Branch,
		Name:        cfg.Name,
		ClusterName: cfg.Name,
		CodeBucket:  an.Code,
		Key:         data.Key.Key,
		ProviderArn: gh.ProviderArn,
		LoginSecret: LoginSecretName(cfg),
	})
	nag.Suppress(role.Role, nag.Rule{ID: "AwsSolutions-IAM5",
		Reason: "prefix-scoped: the deployment's own stacks (<name>-*), its code bucket's jobs/ and cloudformation/ prefixes, " +
			"the CDK bootstrap stack and roles (qualifier hnb659fds); sts:GetCallerIdentity and cloudformation:ValidateTemplate " +
			"have no resource-level permissions",
		AppliesTo: []string{
			"Resource::*",
			`/^Resource::<CodeBucket[0-9A-F]{8}\.Arn>\/(jobs|cloudformation)\/\*$/`,
			"Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/CDKToolkit/*",
			"Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/" + cfg.Name + "-*/*",
			"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-hnb659fds-*-<AWS::AccountId>-<AWS::Region>",
		}})
	cluster.NewAdminAccess(stack, "DeployRoleClusterAccess", cl.Cluster.Name, role.Role.RoleArn())
	output(stack, OutputCIRoleArn, role.Role.RoleArn(), "Role the CI pipeline assumes (role-to-assume)")
	return &CIStack{Stack: stack, Role: role}
}
