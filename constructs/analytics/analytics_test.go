package analytics_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/analytics"
	"github.com/sqletl/blueprint/internal/cdktest"
)

func TestWorkgroup(t *testing.T) {
	stack := cdktest.Stack(t)
	results := awss3.Bucket_FromBucketName(stack, jsii.String("Logs"), jsii.String("logs-bucket"))
	key := awskms.NewKey(stack, jsii.String("Key"), nil)
	wg := analytics.New(stack, "Wg", analytics.Props{Name: "etl", Results: results, Key: key, BytesScannedCutoffPerQuery: 1 << 30})
	if *wg.ResultsLocation != "s3://logs-bucket/athena-results/" {
		t.Errorf("ResultsLocation = %s", *wg.ResultsLocation)
	}
	tpl, _ := cdktest.Template(t, stack)
	cdktest.Check(t, "enforced, encrypted, limited workgroup", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Athena::WorkGroup"), cdktest.Obj{
			"Name": "etl",
			"WorkGroupConfiguration": assertions.Match_ObjectLike(&map[string]any{
				"EnforceWorkGroupConfiguration": true,
				"BytesScannedCutoffPerQuery":    float64(1 << 30),
				"ResultConfiguration": cdktest.Obj{
					"OutputLocation": "s3://logs-bucket/athena-results/",
					"EncryptionConfiguration": assertions.Match_ObjectLike(&map[string]any{
						"EncryptionOption": "SSE_KMS",
					}),
				},
			}),
		})
	})
}
