// Package outputs reads the deployed stacks' outputs into one typed struct:
// everything the CLI needs after `up` (cluster connection, Helm values,
// bucket names for uploads and queries).
package outputs

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/deploy"
	"github.com/sqletl/blueprint/internal/stackreg"
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
	return ReadRegistry(ctx, api, stackreg.For(cfg))
}

// ReadRegistry is Read for the stacks of reg.
func ReadRegistry(ctx context.Context, api StackAPI, reg *stackreg.Registry) (*Platform, error) {
	p := &Platform{Deployed: map[string]bool{}}
	fields := map[string]*string{
		stackreg.OutputVpcID: &p.VpcID, stackreg.OutputKeyArn: &p.KeyArn, stackreg.OutputDataLakeBucket: &p.DataLakeBucket,
		stackreg.OutputAccessLogsBucket: &p.AccessLogsBucket, stackreg.OutputGlueDatabase: &p.GlueDatabase,
		stackreg.OutputCodeBucket: &p.CodeBucket, stackreg.OutputLogsBucket: &p.LogsBucket,
		stackreg.OutputAthenaWorkgroup: &p.AthenaWorkgroup, stackreg.OutputAthenaResults: &p.AthenaResults,
		stackreg.OutputLoginSecretArn: &p.LoginSecretArn, stackreg.OutputClusterName: &p.ClusterName,
		stackreg.OutputClusterEndpoint: &p.ClusterEndpoint, stackreg.OutputClusterCA: &p.ClusterCA,
		stackreg.OutputOidcIssuer: &p.OidcIssuer, stackreg.OutputArcJobRole: &p.ArcJobRole,
		stackreg.OutputNotebookRole: &p.NotebookRole, stackreg.OutputArgoServerRole: &p.ArgoServerRole,
		stackreg.OutputAutoscalerRole: &p.AutoscalerRole, stackreg.OutputNodeRole: &p.NodeRole,
		stackreg.OutputLBCRole: &p.LBCRole,
	}
	for _, name := range reg.Names() {
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
// does not exist".
func IsStackMissing(err error) bool { return deploy.IsStackMissing(err) }
