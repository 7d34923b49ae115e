package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/sqletl/blueprint/constructs/boundary"
	"github.com/sqletl/blueprint/constructs/nag"
	"github.com/sqletl/blueprint/internal/config"
)

// addPermissionsBoundary creates the deployment's permissions boundary in
// the network stack, which has no dependencies and so deploys before any
// stack with roles, and sets it on every IAM role of the four deployable
// stacks: the CI stack's execution role may only create roles carrying it
// (constructs/cirole). The CI stack's own roles carry none: they are
// changed by an administrator only.
func addPermissionsBoundary(p *Platform, cfg *config.Config) {
	props := boundary.Props{Name: cfg.Name, TagKey: DeploymentTag, GlueDatabase: cfg.DataLake.GlueDatabase}
	if b := cfg.DataLake.ExistingBucket; b != "" {
		props.ExtraBuckets = []string{b}
	}
	pb := boundary.New(p.Network.Stack, "PermissionsBoundary", props)
	nag.Suppress(pb, nag.Rule{ID: "AwsSolutions-IAM5",
		Reason: "a permissions boundary grants nothing; it caps every role of the deployment: S3, KMS, Glue, Athena and SSM to this deployment's " +
			"buckets, tagged keys, database, workgroup and agent parameters; EC2, ELB, Auto Scaling, ECR, EKS, CloudWatch and X-Ray as the " +
			"AWS managed policies of EKS's control plane, nodes and add-ons need them (they have no deployment-wide name to scope by)",
		AppliesTo: []string{"Resource::*", `/^Action::[a-z0-9-]+:[A-Za-z]*\*$/`, `/^Resource::arn:<AWS::Partition>:[a-z0-9]+:.*\*$/`}})
	boundary.Apply(p.Network.Stack, pb)
	for _, s := range []awscdk.Stack{p.Data.Stack, p.Analytics.Stack, p.Cluster.Stack} {
		boundary.Apply(s, boundary.Imported(s, "PermissionsBoundary", cfg.Name))
	}
}
