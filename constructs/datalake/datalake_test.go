package datalake_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/datalake"
	"github.com/sqletl/blueprint/internal/cdktest"
)

func TestDataLake(t *testing.T) {
	tests := []struct {
		name     string
		existing string
		buckets  int
	}{
		{"created lake", "", 2},
		{"existing lake is only referenced", "my-company-lake", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stack := cdktest.Stack(t)
			key := awskms.NewKey(stack, jsii.String("Key"), nil)
			lake := datalake.New(stack, "Lake", datalake.Props{Key: key, ExistingBucketName: tc.existing})
			if lake.Created != (tc.existing == "") {
				t.Errorf("Created = %v", lake.Created)
			}
			_, doc := cdktest.Template(t, stack)
			buckets := cdktest.Resources(doc, "AWS::S3::Bucket")
			if len(buckets) != tc.buckets {
				t.Fatalf("buckets = %d, want %d", len(buckets), tc.buckets)
			}
			logs, ok := buckets[datalake.AccessLogsLogicalID]
			if !ok {
				t.Fatalf("access log bucket logical ID %q not pinned", datalake.AccessLogsLogicalID)
			}
			if logs["DeletionPolicy"] != "Retain" {
				t.Errorf("access logs must be retained")
			}
			if tc.existing != "" {
				return
			}
			b, ok := buckets[datalake.DataLakeLogicalID]
			if !ok {
				t.Fatalf("data lake logical ID %q not pinned", datalake.DataLakeLogicalID)
			}
			if b["DeletionPolicy"] != "Retain" {
				t.Errorf("data lake must be retained")
			}
			p := cdktest.Props(b)
			mustJSON(t, p["VersioningConfiguration"], `"Status":"Enabled"`)
			mustJSON(t, p["BucketEncryption"], `"SSEAlgorithm":"aws:kms"`, `"BucketKeyEnabled":true`)
			mustJSON(t, p["PublicAccessBlockConfiguration"], `"BlockPublicAcls":true`, `"BlockPublicPolicy":true`, `"IgnorePublicAcls":true`, `"RestrictPublicBuckets":true`)
			mustJSON(t, p["LoggingConfiguration"], `"LogFilePrefix":"datalake/"`, datalake.AccessLogsLogicalID)
			mustJSON(t, p["LifecycleConfiguration"], `"AbortIncompleteMultipartUpload"`)

			// TLS-only: a Deny on aws:SecureTransport=false in the lake's policy.
			var tlsOnly bool
			for _, pol := range cdktest.Resources(doc, "AWS::S3::BucketPolicy") {
				s := toJSON(t, pol)
				if strings.Contains(s, datalake.DataLakeLogicalID) && strings.Contains(s, `"aws:SecureTransport":"false"`) && strings.Contains(s, `"Effect":"Deny"`) {
					tlsOnly = true
				}
			}
			if !tlsOnly {
				t.Error("data lake has no TLS-only bucket policy")
			}
		})
	}
}

func TestAccessLogTargetAcceptsOnlyThisAccount(t *testing.T) {
	stack := cdktest.Stack(t)
	datalake.New(stack, "Lake", datalake.Props{Key: awskms.NewKey(stack, jsii.String("Key"), nil)})
	_, doc := cdktest.Template(t, stack)
	for _, pol := range cdktest.Resources(doc, "AWS::S3::BucketPolicy") {
		s := toJSON(t, pol)
		if strings.Contains(s, "logging.s3.amazonaws.com") && !strings.Contains(s, `"aws:SourceAccount":{"Ref":"AWS::AccountId"}`) {
			t.Errorf("log delivery grant not scoped to the account: %s", s)
		}
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustJSON(t *testing.T, v any, fragments ...string) {
	t.Helper()
	s := toJSON(t, v)
	for _, f := range fragments {
		if !strings.Contains(s, f) {
			t.Errorf("%s does not contain %s", s, f)
		}
	}
}
