// Package outputstest holds stack outputs for tests that render the
// platform without deploying it.
package outputstest

import "github.com/sqletl/blueprint/internal/outputs"

// Sample returns the stack outputs a deployed default config (name
// "blueprint", us-east-1) would have. Each call returns a fresh copy, so a
// test may change it.
func Sample() *outputs.Platform {
	return &outputs.Platform{
		VpcID:           "vpc-0123456789abcdef0",
		KeyArn:          "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
		DataLakeBucket:  "blueprint-data-lake-abc123",
		CodeBucket:      "blueprint-code-abc123",
		LogsBucket:      "blueprint-logs-abc123",
		GlueDatabase:    "blueprint_lake",
		AthenaWorkgroup: "blueprint-etl",
		LoginSecretArn:  "arn:aws:secretsmanager:us-east-1:123456789012:secret:blueprint-login-AbCdEf",
		ClusterName:     "blueprint",
		ArcJobRole:      "arn:aws:iam::123456789012:role/blueprint-arcjob",
		NotebookRole:    "arn:aws:iam::123456789012:role/blueprint-notebook",
		ArgoServerRole:  "arn:aws:iam::123456789012:role/blueprint-argo-server",
		AutoscalerRole:  "arn:aws:iam::123456789012:role/blueprint-autoscaler",
		LBCRole:         "arn:aws:iam::123456789012:role/blueprint-lbc",
		NodeRole:        "arn:aws:iam::123456789012:role/blueprint-nodes",
	}
}
