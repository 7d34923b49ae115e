package stacks

import (
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/stackreg"
)

// Stack output keys: the contract between the CDK app and the CLI. They
// live in the leaf package stackreg (no CDK import) so the CLI can read
// them without jsii; these names stay for the app's code.
const (
	OutputVpcID            = stackreg.OutputVpcID
	OutputKeyArn           = stackreg.OutputKeyArn
	OutputDataLakeBucket   = stackreg.OutputDataLakeBucket
	OutputAccessLogsBucket = stackreg.OutputAccessLogsBucket
	OutputGlueDatabase     = stackreg.OutputGlueDatabase
	OutputCodeBucket       = stackreg.OutputCodeBucket
	OutputCIRoleArn        = stackreg.OutputCIRoleArn
	OutputCIExecRoleArn    = stackreg.OutputCIExecRoleArn
	OutputLogsBucket       = stackreg.OutputLogsBucket
	OutputAthenaWorkgroup  = stackreg.OutputAthenaWorkgroup
	OutputAthenaResults    = stackreg.OutputAthenaResults
	OutputLoginSecretArn   = stackreg.OutputLoginSecretArn
	OutputClusterName      = stackreg.OutputClusterName
	OutputClusterEndpoint  = stackreg.OutputClusterEndpoint
	OutputClusterCA        = stackreg.OutputClusterCA
	OutputOidcIssuer       = stackreg.OutputOidcIssuer
	OutputArcJobRole       = stackreg.OutputArcJobRole
	OutputNotebookRole     = stackreg.OutputNotebookRole
	OutputArgoServerRole   = stackreg.OutputArgoServerRole
	OutputSparkHistoryRole = stackreg.OutputSparkHistoryRole
	OutputAutoscalerRole   = stackreg.OutputAutoscalerRole
	OutputNodeRole         = stackreg.OutputNodeRole
	OutputLBCRole          = stackreg.OutputLBCRole
)

// CfnLintIgnored lists the cfn-lint rules blueprint's templates are exempt
// from, with the reason (see stackreg.CfnLintIgnored).
var CfnLintIgnored = stackreg.CfnLintIgnored

// LoginSecretName is the Secrets Manager name of the generated JupyterHub
// login (see stackreg.LoginSecretName).
func LoginSecretName(cfg *config.Config) string { return stackreg.LoginSecretName(cfg) }
