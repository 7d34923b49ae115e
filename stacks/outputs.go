package stacks

import "github.com/sqletl/blueprint/internal/config"

// Stack output keys: the contract between the CDK app and the CLI, which
// reads them after deploying (cluster connection, Helm values, uploads).
const (
	OutputVpcID            = "VpcId"
	OutputKeyArn           = "DataKeyArn"
	OutputDataLakeBucket   = "DataLakeBucketName"
	OutputAccessLogsBucket = "AccessLogsBucketName"
	OutputGlueDatabase     = "GlueDatabaseName"
	OutputCodeBucket       = "CodeBucketName"
	OutputCIRoleArn        = "CIDeployRoleArn"
	OutputCIExecRoleArn    = "CIExecutionRoleArn"
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
	OutputLBCRole          = "LoadBalancerControllerRoleArn"
)

// CfnLintIgnored lists the cfn-lint rules blueprint's templates are exempt
// from, with the reason. .cfnlintrc.yaml (make lint-templates) holds the
// same list; a test keeps the two equal.
var CfnLintIgnored = map[string]string{
	"W3010": "availability zones are explicit (network.availabilityZones) so synthesis needs no account lookup and subnets never move between zones",
}

// LoginSecretName is the Secrets Manager name of the generated JupyterHub
// login. A fixed name per deployment lets the CLI read it without the stack
// outputs (and tells an operator where to look).
func LoginSecretName(cfg *config.Config) string { return cfg.Name + "/jupyterhub-login" }
