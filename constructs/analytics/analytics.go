// Package analytics builds the Athena workgroup users and jobs query the
// lake through: results in the blueprint's logs bucket, encrypted with the
// data key, with a per-query scan limit the workgroup enforces.
package analytics

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsathena"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Props configures the workgroup.
type Props struct {
	// Name of the workgroup. Required; Athena needs a fixed name.
	Name string
	// Results bucket and ResultsPrefix (default "athena-results/").
	Results       awss3.IBucket
	ResultsPrefix string
	// Key encrypts results (SSE-KMS).
	Key awskms.IKey
	// BytesScannedCutoffPerQuery cancels larger queries. Required (≥ 10 MB).
	BytesScannedCutoffPerQuery int64
}

// Workgroup is the built Athena workgroup.
type Workgroup struct {
	WorkGroup awsathena.CfnWorkGroup
	Name      string
	// ResultsLocation is the enforced s3:// output location.
	ResultsLocation *string
}

// New builds the workgroup.
func New(scope constructs.Construct, id string, props Props) *Workgroup {
	if props.ResultsPrefix == "" {
		props.ResultsPrefix = "athena-results/"
	}
	location := jsii.String("s3://" + *props.Results.BucketName() + "/" + props.ResultsPrefix)
	wg := awsathena.NewCfnWorkGroup(scope, jsii.String(id), &awsathena.CfnWorkGroupProps{
		Name:        jsii.String(props.Name),
		Description: jsii.String("blueprint ETL queries"),
		State:       jsii.String("ENABLED"),
		// Deleting the stack must not fail on saved queries and history.
		RecursiveDeleteOption: jsii.Bool(true),
		WorkGroupConfiguration: &awsathena.CfnWorkGroup_WorkGroupConfigurationProperty{
			EnforceWorkGroupConfiguration:   jsii.Bool(true),
			PublishCloudWatchMetricsEnabled: jsii.Bool(true),
			BytesScannedCutoffPerQuery:      jsii.Number(float64(props.BytesScannedCutoffPerQuery)),
			EngineVersion: &awsathena.CfnWorkGroup_EngineVersionProperty{
				SelectedEngineVersion: jsii.String("Athena engine version 3"),
			},
			ResultConfiguration: &awsathena.CfnWorkGroup_ResultConfigurationProperty{
				OutputLocation: location,
				EncryptionConfiguration: &awsathena.CfnWorkGroup_EncryptionConfigurationProperty{
					EncryptionOption: jsii.String("SSE_KMS"),
					KmsKey:           props.Key.KeyArn(),
				},
			},
		},
	})
	return &Workgroup{WorkGroup: wg, Name: props.Name, ResultsLocation: location}
}
