package access

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/internal/workloads"
)

// sparkHistoryStatements are least privilege for the Spark History Server:
// list and read the event-log prefix of the logs bucket, decrypt with the
// key, nothing else (no writes: with spark.history.fs.cleaner.enabled
// false it never deletes, and the S3 lifecycle expires old logs).
func sparkHistoryStatements(logs awss3.IBucket, key awskms.IKey) []awsiam.PolicyStatement {
	prefix := workloads.SparkEventsPrefix + "/"
	return []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ListEventLogs"),
			Actions:   jsii.Strings("s3:ListBucket"),
			Resources: jsii.Strings(*logs.BucketArn()),
			Conditions: &map[string]any{"StringLike": map[string]any{
				"s3:prefix": []string{workloads.SparkEventsPrefix, prefix + "*"},
			}},
		}),
		stmt("BucketLocation", []string{"s3:GetBucketLocation"}, *logs.BucketArn()),
		stmt("ReadEventLogs", []string{"s3:GetObject"}, *logs.ArnForObjects(jsii.String(prefix + "*"))),
		stmt("DecryptEventLogs", []string{"kms:Decrypt", "kms:DescribeKey"}, *key.KeyArn()),
	}
}
