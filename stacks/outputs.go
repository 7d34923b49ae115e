package stacks

// Stack output keys: the contract between the CDK app and the CLI, which
// reads them after deploying (cluster connection, Helm values, uploads).
const (
	OutputVpcID            = "VpcId"
	OutputKeyArn           = "DataKeyArn"
	OutputDataLakeBucket   = "DataLakeBucketName"
	OutputAccessLogsBucket = "AccessLogsBucketName"
	OutputGlueDatabase     = "GlueDatabaseName"
	OutputCodeBucket       = "CodeBucketName"
	OutputLogsBucket       = "LogsBucketName"
	OutputAthenaWorkgroup  = "AthenaWorkgroupName"
	OutputAthenaResults    = "AthenaResultsLocation"
	OutputLoginSecretArn   = "LoginSecretArn"
	OutputClusterName      = "ClusterName"
	OutputClusterEndpoint  = "ClusterEndpoint"
	OutputClusterCA        = "ClusterCertificateAuthority"
	OutputOidcIssuer       = "OidcIssuerUrl"
	OutputArcJobRole       = "ArcJobRoleArn"
	OutputNotebookRole     = "NotebookRoleArn"
	OutputArgoServerRole   = "ArgoServerRoleArn"
	OutputAutoscalerRole   = "ClusterAutoscalerRoleArn"
	OutputNodeRole         = "NodeRoleArn"
)
