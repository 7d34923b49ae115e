// Package datalake builds the stateful storage of the platform: the data
// lake bucket (or a reference to an existing one) and the bucket that
// receives every blueprint bucket's server access logs. Both are retained
// when their stack is deleted.
package datalake

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Pinned logical IDs of the stateful buckets: a refactor that changed them
// would make CloudFormation replace (and orphan) the data lake.
const (
	DataLakeLogicalID   = "DataLakeBucket"
	AccessLogsLogicalID = "AccessLogsBucket"
)

// Props configures the data lake.
type Props struct {
	// Key encrypts the data lake. Required.
	Key awskms.IKey
	// ExistingBucketName, when set, is used instead of creating a bucket.
	ExistingBucketName string
}

// DataLake is the built storage.
type DataLake struct {
	// Bucket holds the lake's tables (created or imported).
	Bucket awss3.IBucket
	// Created is false when Bucket refers to an existing, user-owned bucket.
	Created bool
	// AccessLogs is the server access log target for all blueprint buckets.
	AccessLogs awss3.Bucket
}

// New builds the access-log bucket and the data lake bucket.
func New(scope constructs.Construct, id string, props Props) *DataLake {
	c := constructs.NewConstruct(scope, jsii.String(id))
	logs := NewSecureBucket(c, "AccessLogs", BucketProps{
		Retain:          true,
		ExpireAfterDays: 365,
		LogicalID:       AccessLogsLogicalID,
	})
	// S3 server access logging delivers as the logging service; scoping to
	// this account lets buckets in the blueprint's other stacks log here
	// without naming them (which would make the stacks depend on each other).
	logs.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("S3ServerAccessLogsPolicy"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logging.s3.amazonaws.com"), nil)},
		Actions:    jsii.Strings("s3:PutObject"),
		Resources:  jsii.Strings(*logs.ArnForObjects(jsii.String("*"))),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
		},
	}))

	d := &DataLake{AccessLogs: logs}
	if props.ExistingBucketName != "" {
		d.Bucket = awss3.Bucket_FromBucketName(c, jsii.String("Bucket"), jsii.String(props.ExistingBucketName))
		return d
	}
	d.Bucket = NewSecureBucket(c, "Bucket", BucketProps{
		Key:             props.Key,
		AccessLogs:      logs,
		AccessLogPrefix: "datalake/",
		Versioned:       true,
		Retain:          true,
		LogicalID:       DataLakeLogicalID,
	})
	d.Created = true
	return d
}
