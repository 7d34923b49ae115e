package datalake

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// BucketProps configures one secure bucket.
type BucketProps struct {
	// Key encrypts objects (SSE-KMS with an S3 bucket key). Nil means SSE-S3,
	// which server access log targets require.
	Key awskms.IKey
	// AccessLogs receives this bucket's server access logs under
	// AccessLogPrefix. Nil means no access logging (only for the log target itself).
	AccessLogs      awss3.IBucket
	AccessLogPrefix string
	// Versioned keeps old object versions.
	Versioned bool
	// Retain keeps the bucket when its stack is deleted. Buckets that are
	// not retained must be emptied by the CLI before stack deletion (no
	// Lambda-backed auto-delete is used).
	Retain bool
	// ExpireAfterDays deletes objects after this many days; 0 keeps them.
	ExpireAfterDays int
	// NoncurrentExpireAfterDays deletes old versions; default 90 when Versioned.
	NoncurrentExpireAfterDays int
	// LogicalID, when set, pins the bucket's CloudFormation logical ID.
	LogicalID string
}

// NewSecureBucket builds a bucket with public access blocked, TLS-only
// access, owner-enforced objects, encryption, and server access logs.
// Access logging is set on the L1 resource so the log target may live in
// another stack without a circular reference.
func NewSecureBucket(scope constructs.Construct, id string, props BucketProps) awss3.Bucket {
	encryption := awss3.BucketEncryption_S3_MANAGED
	if props.Key != nil {
		encryption = awss3.BucketEncryption_KMS
	}
	rules := []*awss3.LifecycleRule{{
		Id:                                  jsii.String("AbortIncompleteUploads"),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
	}}
	if props.ExpireAfterDays > 0 {
		rules = append(rules, &awss3.LifecycleRule{
			Id:         jsii.String("Expire"),
			Expiration: awscdk.Duration_Days(jsii.Number(float64(props.ExpireAfterDays))),
		})
	}
	if props.Versioned {
		days := props.NoncurrentExpireAfterDays
		if days == 0 {
			days = 90
		}
		rules = append(rules, &awss3.LifecycleRule{
			Id:                          jsii.String("ExpireOldVersions"),
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(float64(days))),
		})
	}
	removal := awscdk.RemovalPolicy_DESTROY
	if props.Retain {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	b := awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		Encryption:        encryption,
		EncryptionKey:     props.Key,
		BucketKeyEnabled:  jsii.Bool(props.Key != nil),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(props.Versioned),
		LifecycleRules:    &rules,
		RemovalPolicy:     removal,
	})
	cfn := b.Node().DefaultChild().(awss3.CfnBucket)
	if props.AccessLogs != nil {
		cfn.SetLoggingConfiguration(&awss3.CfnBucket_LoggingConfigurationProperty{
			DestinationBucketName: props.AccessLogs.BucketName(),
			LogFilePrefix:         jsii.String(props.AccessLogPrefix),
		})
	}
	if props.LogicalID != "" {
		cfn.OverrideLogicalId(jsii.String(props.LogicalID))
	}
	return b
}
