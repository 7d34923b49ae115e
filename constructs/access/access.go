// Package access builds the IRSA roles of the platform's workloads: what
// ETL jobs, notebooks, the Argo server and the cluster autoscaler may do in
// AWS. Every S3, KMS, Glue and Athena permission names its resources.
package access

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/irsa"
	"github.com/sqletl/blueprint/constructs/nag"
	"github.com/sqletl/blueprint/internal/workloads"
)

// Props names everything the workloads touch.
type Props struct {
	Provider    irsa.Provider
	ClusterName *string
	DataLake    awss3.IBucket
	Code        awss3.IBucket
	Logs        awss3.IBucket
	Key         awskms.IKey
	// GlueDatabase and Workgroup are names, scoped into ARNs here.
	GlueDatabase string
	Workgroup    *string
	// LoadBalancerController adds the AWS Load Balancer Controller's role
	// (only needed when the platform is exposed publicly).
	LoadBalancerController bool
}

// Roles are the built roles, by service account.
type Roles struct {
	ArcJob, Notebook, ArgoServer, ClusterAutoscaler *irsa.Role
	// SparkHistory reads Spark event logs only (sparkhistory.go).
	SparkHistory *irsa.Role
	// LoadBalancerController is nil unless Props.LoadBalancerController.
	LoadBalancerController *irsa.Role
}

// New builds the roles.
func New(scope constructs.Construct, id string, p Props) *Roles {
	c := constructs.NewConstruct(scope, jsii.String(id))
	etl := func(codeWrite bool) []awsiam.PolicyStatement {
		s := []awsiam.PolicyStatement{
			stmt("ListBuckets", []string{"s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"},
				*p.DataLake.BucketArn(), *p.Code.BucketArn(), *p.Logs.BucketArn()),
			stmt("ReadWriteLake", objectRW, *p.DataLake.ArnForObjects(jsii.String("*")), *p.Logs.ArnForObjects(jsii.String("*"))),
			stmt("UseDataKey", kmsUse, *p.Key.KeyArn()),
			stmt("GlueCatalog", glueTables, glueArns(p.GlueDatabase)...),
			stmt("AthenaWorkgroup", athenaQuery, workgroupArn(p.Workgroup)),
		}
		if codeWrite {
			s = append(s, stmt("ReadWriteCode", objectRW, *p.Code.ArnForObjects(jsii.String("*"))))
		} else {
			s = append(s, stmt("ReadCode", []string{"s3:GetObject", "s3:GetObjectVersion"}, *p.Code.ArnForObjects(jsii.String("*"))))
		}
		return s
	}
	r := &Roles{}
	r.ArcJob = irsa.New(c, "ArcJob", irsa.Props{
		Provider: p.Provider, ServiceAccount: workloads.ArcJob, Statements: etl(false),
		Description: "ETL jobs (Argo workflow pods and Spark) in namespace spark",
	})
	r.Notebook = irsa.New(c, "Notebook", irsa.Props{
		Provider: p.Provider, ServiceAccount: workloads.Notebook, Statements: etl(true),
		Description: "JupyterHub Arc notebooks",
	})
	r.ArgoServer = irsa.New(c, "ArgoServer", irsa.Props{
		Provider: p.Provider, ServiceAccount: workloads.ArgoServer,
		Statements: []awsiam.PolicyStatement{
			stmt("ListLogs", []string{"s3:ListBucket", "s3:GetBucketLocation"}, *p.Logs.BucketArn()),
			stmt("ReadLogs", []string{"s3:GetObject"}, *p.Logs.ArnForObjects(jsii.String("*"))),
			stmt("DecryptLogs", []string{"kms:Decrypt", "kms:DescribeKey"}, *p.Key.KeyArn()),
		},
		Description: "Argo server: reads archived workflow logs and artifacts",
	})
	r.SparkHistory = irsa.New(c, "SparkHistory", irsa.Props{
		Provider: p.Provider, ServiceAccount: workloads.SparkHistory,
		Statements:  sparkHistoryStatements(p.Logs, p.Key),
		Description: "Spark History Server: reads Spark event logs from the logs bucket",
	})
	r.ClusterAutoscaler = irsa.New(c, "ClusterAutoscaler", irsa.Props{
		Provider: p.Provider, ServiceAccount: workloads.ClusterAutoscaler,
		Statements:  autoscalerStatements(p.ClusterName),
		Description: "cluster-autoscaler: scales this cluster's managed node groups",
	})
	if p.LoadBalancerController {
		r.LoadBalancerController = irsa.New(c, "LoadBalancerController", irsa.Props{
			Provider: p.Provider, ServiceAccount: workloads.LoadBalancerController,
			Statements:  loadBalancerControllerStatements(p.ClusterName),
			Description: "AWS Load Balancer Controller: the HTTPS ALB of this cluster's public Ingress",
		})
		nag.Suppress(r.LoadBalancerController.Role, nag.Rule{ID: "AwsSolutions-IAM5",
			Reason: "the AWS Load Balancer Controller's published policy: EC2/ELB describe calls, listeners, rules and certificates have no resource-level permissions; creating, changing and deleting load balancers, target groups and security groups is limited by the elbv2.k8s.aws/cluster tag of this cluster",
			AppliesTo: []string{"Resource::*",
				`/^Resource::arn:<AWS::Partition>:(elasticloadbalancing|ec2):<AWS::Region>:<AWS::AccountId>:[a-z/-]+(\/\*)+$/`}})
	}
	return r
}

var (
	objectRW = []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject",
		"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}
	kmsUse     = []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"}
	glueTables = []string{"glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable",
		"glue:DeleteTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition", "glue:CreatePartition",
		"glue:BatchCreatePartition", "glue:UpdatePartition", "glue:DeletePartition", "glue:BatchDeletePartition"}
	athenaQuery = []string{"athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
		"athena:StopQueryExecution", "athena:GetWorkGroup"}
)

func stmt(sid string, actions []string, resources ...string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Actions:   jsii.Strings(actions...),
		Resources: jsii.Strings(resources...),
	})
}

func glueArns(db string) []string {
	prefix := "arn:" + *awscdk.Aws_PARTITION() + ":glue:" + *awscdk.Aws_REGION() + ":" + *awscdk.Aws_ACCOUNT_ID() + ":"
	return []string{prefix + "catalog", prefix + "database/" + db, prefix + "table/" + db + "/*"}
}

func workgroupArn(name *string) string {
	return "arn:" + *awscdk.Aws_PARTITION() + ":athena:" + *awscdk.Aws_REGION() + ":" + *awscdk.Aws_ACCOUNT_ID() + ":workgroup/" + *name
}

// autoscalerStatements: describe calls have no resource-level permissions;
// changes are limited to Auto Scaling groups tagged with this cluster.
func autoscalerStatements(cluster *string) []awsiam.PolicyStatement {
	describe := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("Describe"),
		Actions: jsii.Strings("autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
			"autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities", "autoscaling:DescribeTags",
			"ec2:DescribeImages", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplateVersions",
			"ec2:GetInstanceTypesFromInstanceRequirements"),
		Resources: jsii.Strings("*"),
	})
	nodegroups := stmt("DescribeNodegroups", []string{"eks:DescribeNodegroup"},
		"arn:"+*awscdk.Aws_PARTITION()+":eks:"+*awscdk.Aws_REGION()+":"+*awscdk.Aws_ACCOUNT_ID()+":nodegroup/"+*cluster+"/*/*")
	scale := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ScaleOwnGroups"),
		Actions:   jsii.Strings("autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"),
		Resources: jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:ResourceTag/eks:cluster-name": cluster},
		},
	})
	return []awsiam.PolicyStatement{describe, nodegroups, scale}
}
