// Package boundary builds the IAM permissions boundary every role of a
// blueprint deployment carries, and applies it. A boundary is the most a
// role's own policies can grant (IAM User Guide, "Permissions boundaries
// for IAM entities": effective permissions are the intersection of the
// identity-based policies and the boundary). The CI stack's
// CloudFormation execution role may create and change roles only when
// they carry this boundary (constructs/cirole), so a template CI deploys
// cannot mint a role with more than this: no IAM, no STS, S3 and KMS on
// the deployment's own buckets and keys, Glue and Athena on its own
// database and workgroup, and the EC2, Elastic Load Balancing, Auto
// Scaling, ECR, EKS, CloudWatch and X-Ray calls the AWS managed policies of
// EKS's control plane, nodes and add-ons make.
package boundary

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// PolicyName is the boundary's managed policy name: fixed, so the CI
// stack's execution role can require it by ARN without a lookup.
func PolicyName(name string) string { return name + "-permissions-boundary" }

// PolicyArn is the boundary's ARN in the stack's partition and account.
func PolicyArn(name string) string {
	return "arn:" + *awscdk.Aws_PARTITION() + ":iam::" + *awscdk.Aws_ACCOUNT_ID() + ":policy/" + PolicyName(name)
}

// Props name the deployment's resources the boundary lets roles reach.
type Props struct {
	// Name is the deployment's name: its buckets are <Name>-*, its
	// workgroup <Name>-*.
	Name string
	// TagKey is the tag every resource carries with the value Name (stack
	// tags); KMS use is limited to keys carrying it.
	TagKey string
	// GlueDatabase is the Glue database the jobs write.
	GlueDatabase string
	// ExtraBuckets are bucket names outside <Name>-* (dataLake.existingBucket).
	ExtraBuckets []string
}

// ServicesEKSUses are the actions the AWS managed policies blueprint
// attaches need (AmazonEKSClusterPolicy, AmazonEKSWorkerNodePolicy,
// AmazonEC2ContainerRegistryReadOnly, AmazonEKS_CNI_Policy,
// AmazonEBSCSIDriverPolicy, CloudWatchAgentServerPolicy,
// AWSXrayWriteOnlyAccess), plus the AWS Load Balancer Controller's and
// cluster-autoscaler's describe calls, on any resource: EC2, load
// balancers and Auto Scaling groups are the cluster's own business and
// have no deployment-wide name to scope by.
var ServicesEKSUses = []string{
	"ec2:*", "elasticloadbalancing:*", "autoscaling:*",
	"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:Describe*", "ecr:Get*", "ecr:List*",
	"eks:Describe*", "eks:List*", "eks-auth:AssumeRoleForPodIdentity",
	"cloudwatch:PutMetricData",
	"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:PutRetentionPolicy", "logs:Describe*",
	"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSampling*",
	"kms:DescribeKey",
	// The AWS Load Balancer Controller: certificates, WAF and Shield of the
	// load balancers it owns (constructs/access/lbc.go).
	"acm:ListCertificates", "acm:DescribeCertificate", "iam:ListServerCertificates", "iam:GetServerCertificate",
	"cognito-idp:DescribeUserPoolClient",
	"waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL",
	"wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
	"shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection",
}

// Statements are the boundary's policy statements.
func Statements(p Props) []awsiam.PolicyStatement {
	part, region, acct := *awscdk.Aws_PARTITION(), *awscdk.Aws_REGION(), *awscdk.Aws_ACCOUNT_ID()
	arn := func(service, resource string) string {
		return "arn:" + part + ":" + service + ":" + region + ":" + acct + ":" + resource
	}
	buckets := []string{"arn:" + part + ":s3:::" + p.Name + "-*"}
	for _, b := range p.ExtraBuckets {
		buckets = append(buckets, "arn:"+part+":s3:::"+b, "arn:"+part+":s3:::"+b+"/*")
	}
	st := func(sid string, actions, resources []string, cond map[string]any) awsiam.PolicyStatement {
		props := &awsiam.PolicyStatementProps{Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...)}
		if cond != nil {
			props.Conditions = &cond
		}
		return awsiam.NewPolicyStatement(props)
	}
	return []awsiam.PolicyStatement{
		st("ClusterServices", ServicesEKSUses, []string{"*"}, nil),
		// <name>-* covers the buckets and their objects ("*" spans "/").
		st("DeploymentBuckets", []string{"s3:*"}, buckets, nil),
		st("DeploymentKeys", []string{
			"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:ListGrants", "kms:RetireGrant",
		}, []string{arn("kms", "key/*")}, map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/" + p.TagKey: p.Name}}),
		st("DeploymentCatalog", []string{"glue:*"}, []string{
			arn("glue", "catalog"), arn("glue", "database/"+p.GlueDatabase), arn("glue", "table/"+p.GlueDatabase+"/*"),
		}, nil),
		st("DeploymentWorkgroup", []string{"athena:*"}, []string{arn("athena", "workgroup/"+p.Name+"-*")}, nil),
		// The CloudWatch agent reads its configuration from these parameters
		// (CloudWatchAgentServerPolicy).
		st("CloudWatchAgentConfig", []string{"ssm:GetParameter"}, []string{arn("ssm", "parameter/AmazonCloudWatch-*")}, nil),
		// EKS (AmazonEKSClusterPolicy) and the load balancer controller
		// create Elastic Load Balancing's service-linked role; no other.
		st("LoadBalancingServiceLinkedRole", []string{"iam:CreateServiceLinkedRole"}, []string{"*"},
			map[string]any{"StringEquals": map[string]any{"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}),
	}
}

// New builds the boundary as a customer managed policy named
// PolicyName(p.Name).
func New(scope constructs.Construct, id string, p Props) awsiam.ManagedPolicy {
	statements := Statements(p)
	return awsiam.NewManagedPolicy(scope, jsii.String(id), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(PolicyName(p.Name)),
		Description:       jsii.String("Permissions boundary of every IAM role of blueprint " + p.Name),
		Document:          awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements}),
	})
}

// Apply sets policy as the permissions boundary of every IAM role (L1 and
// L2) under scope, through CDK's PermissionsBoundary aspect.
func Apply(scope constructs.IConstruct, policy awsiam.IManagedPolicy) {
	awsiam.PermissionsBoundary_Of(scope).Apply(policy)
}

// Imported is the boundary by name, for stacks other than the one that
// creates it (no cross-stack export: the name is fixed).
func Imported(scope constructs.Construct, id, name string) awsiam.IManagedPolicy {
	return awsiam.ManagedPolicy_FromManagedPolicyArn(scope, jsii.String(id), jsii.String(PolicyArn(name)))
}
