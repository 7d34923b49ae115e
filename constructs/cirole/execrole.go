package cirole

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ExecRoleName is the CloudFormation execution role's fixed name: the CI
// role may pass this role and no other, so it must be known without a
// lookup.
func ExecRoleName(name string) string { return name + "-cfn-exec" }

// ExecRoleProps configure the execution role.
type ExecRoleProps struct {
	// Name is the deployment's name: the prefix of its stacks, and so of
	// the roles, buckets and log groups CloudFormation names after them.
	Name string
	// TagKey is the tag CloudFormation puts on every resource
	// (stack tags propagate) with the value Name.
	TagKey string
	// GlueDatabase and LoginSecret are the two resources named outside the
	// <Name>- prefix.
	GlueDatabase string
	LoginSecret  string
	// ManagedPolicies are the AWS managed policies the templates attach to
	// roles, by name (e.g. "AmazonEKSWorkerNodePolicy").
	ManagedPolicies []string
	// BoundaryArn is the permissions boundary every role it creates must
	// carry (constructs/boundary). Required.
	BoundaryArn string
}

// ResourceTypes are the CloudFormation types blueprint's stacks (all but
// <name>-ci) contain, which the execution role manages (all but the
// permissions boundary). A test keeps the list equal to the synthesized
// templates'.
var ResourceTypes = []string{
	"AWS::Athena::WorkGroup",
	"AWS::EC2::EIP", "AWS::EC2::FlowLog", "AWS::EC2::InternetGateway", "AWS::EC2::NatGateway",
	"AWS::EC2::Route", "AWS::EC2::RouteTable", "AWS::EC2::SecurityGroup", "AWS::EC2::Subnet",
	"AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::VPC", "AWS::EC2::VPCEndpoint", "AWS::EC2::VPCGatewayAttachment",
	"AWS::EKS::AccessEntry", "AWS::EKS::Addon", "AWS::EKS::Cluster", "AWS::EKS::Nodegroup",
	"AWS::Glue::Database",
	// The boundary (a ManagedPolicy) is in the templates but not the
	// execution role's to create or change: see TheBoundaryIsAnAdministratorsToChange.
	"AWS::IAM::ManagedPolicy", "AWS::IAM::OIDCProvider", "AWS::IAM::Policy", "AWS::IAM::Role",
	"AWS::KMS::Key",
	"AWS::Logs::LogGroup",
	"AWS::S3::Bucket", "AWS::S3::BucketPolicy",
	"AWS::SecretsManager::Secret",
}

// NewExecutionRole builds the role CloudFormation deploys blueprint's
// stacks with when CI runs `up --cfn-role-arn`. It can manage the resource
// types above, on resources named with the deployment's prefix or tagged
// for it, and nothing in IAM outside that prefix. It cannot touch the CI
// stack's own roles (<name>-ci-*, itself), so a CI run cannot widen its
// own rights; changing those takes an administrator's `up`.
func NewExecutionRole(scope constructs.Construct, id string, p ExecRoleProps) awsiam.Role {
	acct, region, part := *awscdk.Aws_ACCOUNT_ID(), *awscdk.Aws_REGION(), *awscdk.Aws_PARTITION()
	arn := func(service, region, resource string) string {
		return "arn:" + part + ":" + service + ":" + region + ":" + acct + ":" + resource
	}
	prefix := p.Name + "-"
	tagged := func(key string) map[string]any {
		return map[string]any{"StringEquals": map[string]any{key + "/" + p.TagKey: p.Name}}
	}
	managed := make([]string, 0, len(p.ManagedPolicies))
	for _, m := range p.ManagedPolicies {
		managed = append(managed, "arn:"+part+":iam::aws:policy/"+m)
	}
	withBoundary := map[string]any{"StringEquals": map[string]any{"iam:PermissionsBoundary": p.BoundaryArn}}
	ownRoles := []string{arn("iam", "", "role/"+prefix+"ci-*"), arn("iam", "", "role/"+ExecRoleName(p.Name))}

	statements := []awsiam.PolicyStatement{
		// IAM: roles, their policies and the cluster's OIDC provider, by
		// name. CloudFormation names roles <stack name>-<logical ID>-<suffix>,
		// and every blueprint stack is named <name>-<role>. A role may be
		// created, and its policies changed, only while it carries the
		// deployment's permissions boundary (the iam:PermissionsBoundary
		// condition key, which IAM sets for CreateRole, PutRolePolicy,
		// DeleteRolePolicy, AttachRolePolicy, DetachRolePolicy and
		// PutRolePermissionsBoundary: Service Authorization Reference, "Actions,
		// resources, and condition keys for AWS Identity and Access
		// Management"; the pattern of the IAM User Guide's "Permissions
		// boundaries for IAM entities", delegation example): whatever policy a
		// template gives a role, the role can do no more than the boundary.
		stmt("ReadDeploymentRoles", []string{
			"iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListRoleTags",
		}, arn("iam", "", "role/"+prefix+"*")),
		withCondition(stmt("CreateAndChangeRolesOnlyWithTheBoundary", []string{
			"iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary",
		}, arn("iam", "", "role/"+prefix+"*")), withBoundary),
		withCondition(stmt("AttachOnlyTheManagedPoliciesBlueprintUses", []string{"iam:AttachRolePolicy", "iam:DetachRolePolicy"},
			arn("iam", "", "role/"+prefix+"*")), map[string]any{
			"ArnEquals":    map[string]any{"iam:PolicyARN": managed},
			"StringEquals": map[string]any{"iam:PermissionsBoundary": p.BoundaryArn},
		}),
		stmt("ManageDeploymentRoles", []string{
			"iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
		}, arn("iam", "", "role/"+prefix+"*")),
		withCondition(stmt("PassDeploymentRolesToTheirServices", []string{"iam:PassRole"}, arn("iam", "", "role/"+prefix+"*")),
			map[string]any{"StringEquals": map[string]any{"iam:PassedToService": []string{"eks.amazonaws.com", "ec2.amazonaws.com", "vpc-flow-logs.amazonaws.com"}}}),
		stmt("ManageClusterOidcProvider", []string{
			"iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:GetOpenIDConnectProvider",
			"iam:TagOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint",
			"iam:AddClientIDToOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider",
		}, arn("iam", "", "oidc-provider/oidc.eks."+region+".amazonaws.com/id/*")),
		withCondition(stmt("EksServiceLinkedRoles", []string{"iam:CreateServiceLinkedRole"}, "*"),
			map[string]any{"StringEquals": map[string]any{"iam:AWSServiceName": []string{
				"eks.amazonaws.com", "eks-nodegroup.amazonaws.com", "autoscaling.amazonaws.com", "spot.amazonaws.com"}}}),

		// EKS: the cluster named <name> and what hangs off it.
		stmt("ManageCluster", []string{
			"eks:CreateCluster", "eks:DeleteCluster", "eks:DescribeCluster", "eks:UpdateClusterConfig", "eks:UpdateClusterVersion",
			"eks:TagResource", "eks:UntagResource", "eks:DescribeUpdate", "eks:ListUpdates",
			"eks:CreateNodegroup", "eks:DeleteNodegroup", "eks:DescribeNodegroup", "eks:UpdateNodegroupConfig", "eks:UpdateNodegroupVersion",
			"eks:CreateAddon", "eks:DeleteAddon", "eks:DescribeAddon", "eks:UpdateAddon",
			"eks:CreateAccessEntry", "eks:DeleteAccessEntry", "eks:DescribeAccessEntry", "eks:UpdateAccessEntry",
			"eks:AssociateAccessPolicy", "eks:DisassociateAccessPolicy", "eks:ListAssociatedAccessPolicies",
		}, arn("eks", region, "cluster/"+p.Name), arn("eks", region, "nodegroup/"+p.Name+"/*"),
			arn("eks", region, "addon/"+p.Name+"/*"), arn("eks", region, "access-entry/"+p.Name+"/*")),
		// Access policies are AWS-owned ARNs (arn:aws:eks::aws:cluster-access-policy/...).
		stmt("AssociateClusterAccessPolicies", []string{"eks:AssociateAccessPolicy"}, "arn:"+part+":eks::aws:cluster-access-policy/*"),

		// EC2: creating is allowed only with the deployment tag in the
		// request; changing and deleting only on resources carrying it.
		withCondition(stmt("CreateTaggedNetwork", []string{
			"ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateRouteTable", "ec2:CreateInternetGateway", "ec2:AllocateAddress",
			"ec2:CreateNatGateway", "ec2:CreateVpcEndpoint", "ec2:CreateSecurityGroup", "ec2:CreateFlowLogs", "ec2:CreateTags",
		}, "*"), tagged("aws:RequestTag")),
		withCondition(stmt("ChangeTaggedNetwork", []string{
			"ec2:DeleteVpc", "ec2:ModifyVpcAttribute", "ec2:DeleteSubnet", "ec2:ModifySubnetAttribute", "ec2:CreateSubnet",
			"ec2:DeleteRouteTable", "ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute", "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable",
			"ec2:AttachInternetGateway", "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway", "ec2:ReleaseAddress",
			"ec2:DeleteNatGateway", "ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints", "ec2:DeleteSecurityGroup",
			"ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
			"ec2:RevokeSecurityGroupEgress", "ec2:DeleteFlowLogs", "ec2:CreateTags", "ec2:DeleteTags",
		}, "*"), tagged("aws:ResourceTag")),
		// Describe calls have no resource-level permissions.
		stmt("ReadNetwork", []string{"ec2:Describe*"}, "*"),
		// Interface endpoints with private DNS associate the VPC with an
		// AWS-owned private hosted zone.
		stmt("EndpointPrivateDns", []string{"route53:AssociateVPCWithHostedZone", "route53:DisassociateVPCFromHostedZone"}, "*"),

		// Data and analytics, by name.
		stmt("ManageBuckets", []string{
			"s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucket*", "s3:PutBucket*", "s3:DeleteBucketPolicy",
			"s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration",
			"s3:GetBucketTagging", "s3:PutBucketTagging",
		}, "arn:"+part+":s3:::"+prefix+"*"),
		withCondition(stmt("CreateTaggedKey", []string{"kms:CreateKey", "kms:TagResource"}, "*"), tagged("aws:RequestTag")),
		withCondition(stmt("ManageTaggedKey", []string{
			"kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:GetKeyRotationStatus",
			"kms:ListResourceTags", "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion",
			"kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt",
		}, arn("kms", region, "key/*")), tagged("aws:ResourceTag")),
		stmt("ManageGlueDatabase", []string{"glue:CreateDatabase", "glue:UpdateDatabase", "glue:DeleteDatabase", "glue:GetDatabase", "glue:TagResource"},
			arn("glue", region, "catalog"), arn("glue", region, "database/"+p.GlueDatabase)),
		stmt("ManageWorkgroup", []string{"athena:CreateWorkGroup", "athena:DeleteWorkGroup", "athena:UpdateWorkGroup", "athena:GetWorkGroup",
			"athena:TagResource", "athena:UntagResource", "athena:ListTagsForResource"}, arn("athena", region, "workgroup/"+prefix+"*")),
		stmt("ManageLoginSecret", []string{"secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
			"secretsmanager:UpdateSecret", "secretsmanager:TagResource", "secretsmanager:UntagResource"},
			arn("secretsmanager", region, "secret:"+p.LoginSecret+"-??????")),
		stmt("GeneratePassword", []string{"secretsmanager:GetRandomPassword"}, "*"),
		stmt("ManageLogGroups", []string{"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
			"logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:ListTagsForResource"},
			arn("logs", region, "log-group:/aws/eks/"+p.Name+"/*"), arn("logs", region, "log-group:"+prefix+"*")),
		stmt("ListLogGroups", []string{"logs:DescribeLogGroups"}, "*"),

		// Never the CI stack's own roles (the CI role, this role): a CI run
		// must not be able to widen what CI may do.
		deny("NotTheCIStacksOwnRoles", []string{"iam:*"}, ownRoles...),
		// The boundary stays: no role without it (a negated operator is true
		// when the key is missing, IAM User Guide, "IAM JSON policy elements:
		// Condition operators"), no removing it, and the policy itself is an
		// administrator's to change (it lives in <name>-network, created by
		// the first, manual `blueprint up`).
		withCondition(deny("NoRoleWithoutTheBoundary", []string{"iam:CreateRole", "iam:PutRolePermissionsBoundary"}, "*"),
			map[string]any{"StringNotEquals": map[string]any{"iam:PermissionsBoundary": p.BoundaryArn}}),
		deny("KeepTheBoundary", []string{"iam:DeleteRolePermissionsBoundary"}, "*"),
		deny("TheBoundaryIsAnAdministratorsToChange", []string{
			"iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
			"iam:TagPolicy", "iam:UntagPolicy",
		}, p.BoundaryArn),
		// Who may assume a role is not CI's to change: a trust policy update
		// on a role named <name>-… that someone made outside blueprint,
		// without the boundary, would hand that role to the cluster.
		deny("NoTrustPolicyChanges", []string{"iam:UpdateAssumeRolePolicy"}, "*"),
	}
	role := awsiam.NewRole(scope, jsii.String(id), &awsiam.RoleProps{
		RoleName:    jsii.String(ExecRoleName(p.Name)),
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("cloudformation.amazonaws.com"), nil),
		Description: jsii.String("CloudFormation execution role for blueprint " + p.Name + " (CI deploys)"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"DeployBlueprint": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements}),
		},
	})
	return role
}

// withCondition adds c's operators in sorted order, so synthesis is
// deterministic.
func withCondition(s awsiam.PolicyStatement, c map[string]any) awsiam.PolicyStatement {
	ops := make([]string, 0, len(c))
	for op := range c {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		s.AddConditions(&map[string]any{op: c[op]})
	}
	return s
}

func deny(sid string, actions []string, resources ...string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String(sid), Effect: awsiam.Effect_DENY, Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...),
	})
}
