// Package outputs reads the deployed stacks' outputs into one typed struct:
// everything the CLI needs after `up` (cluster connection, Helm values,
// bucket names for uploads and queries).
package outputs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/stacks"
)

// Platform holds the stack outputs. A field is empty when its stack is
// not deployed.
type Platform struct {
	VpcID                                    string
	KeyArn, DataLakeBucket, AccessLogsBucket string
	GlueDatabase                             string
	CodeBucket, LogsBucket                   string
	AthenaWorkgroup, AthenaResults           string
	LoginSecretArn                           string
	ClusterName, ClusterEndpoint, ClusterCA  string
	OidcIssuer                               string
	ArcJobRole, NotebookRole, ArgoServerRole string
	SparkHistoryRole                         string
	AutoscalerRole, NodeRole                 string
	// LBCRole is set only when public access is configured.
	LBCRole string
	// Deployed lists the stacks that exist, by name.
	Deployed map[string]bool
}

// StackAPI is the CloudFormation call this package makes.
type StackAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// Read describes every blueprint stack of cfg and collects their outputs.
// Stacks that do not exist are skipped, not an error.
func Read(ctx context.Context, api StackAPI, cfg *config.Config) (*Platform, error) {
	p := &Platform{Deployed: map[string]bool{}}
	fields := map[string]*string{
		stacks.OutputVpcID: &p.VpcID, stacks.OutputKeyArn: &p.KeyArn, stacks.OutputDataLakeBucket: &p.DataLakeBucket,
		stacks.OutputAccessLogsBucket: &p.AccessLogsBucket, stacks.OutputGlueDatabase: &p.GlueDatabase,
		stacks.OutputCodeBucket: &p.CodeBucket, stacks.OutputLogsBucket: &p.LogsBucket,
		stacks.OutputAthenaWorkgroup: &p.AthenaWorkgroup, stacks.OutputAthenaResults: &p.AthenaResults,
		stacks.OutputLoginSecretArn: &p.LoginSecretArn, stacks.OutputClusterName: &p.ClusterName,
		stacks.OutputClusterEndpoint: &p.ClusterEndpoint, stacks.OutputClusterCA: &p.ClusterCA,
		stacks.OutputOidcIssuer: &p.OidcIssuer, stacks.OutputArcJobRole: &p.ArcJobRole,
		stacks.OutputNotebookRole: &p.NotebookRole, stacks.OutputArgoServerRole: &p.ArgoServerRole,
		stacks.OutputAutoscalerRole: &p.AutoscalerRole, stacks.OutputNodeRole: &p.NodeRole,
		stacks.OutputLBCRole: &p.LBCRole, stacks.OutputSparkHistoryRole: &p.SparkHistoryRole,
	}
	for _, name := range stacks.StackNames(cfg) {
		out, err := api.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: &name})
		if IsStackMissing(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("describing stack %q: %w", name, err)
		}
		for _, s := range out.Stacks {
			p.Deployed[name] = true
			for _, o := range s.Outputs {
				if o.OutputKey == nil || o.OutputValue == nil {
					continue
				}
				if f, ok := fields[*o.OutputKey]; ok {
					*f = *o.OutputValue
				}
			}
		}
	}
	return p, nil
}

// IsStackMissing reports whether err is CloudFormation's "Stack with id X
// does not exist" (a ValidationError, with no dedicated error type).
func IsStackMissing(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" &&
		strings.Contains(strings.ToLower(apiErr.ErrorMessage()), "does not exist")
}
