// Package stacks composes blueprint's constructs into CloudFormation stacks.
// Build is the one place the app is assembled, used by cdk.json's program
// and by the CLI alike. Stacks only compose; constructs/ holds the logic.
//
// Stacks and what they hold:
//
//	<name>-network    VPC, subnets, S3 gateway endpoint, flow logs
//	<name>-data       KMS key, data lake + access-log buckets, Glue database
//	                  (stateful: termination protection, everything retained)
//	<name>-analytics  job code and logs buckets, Athena workgroup, login secret
//	<name>-cluster    EKS, node groups, add-ons, OIDC provider, IRSA roles,
//	                  the private subnets' NAT and interface endpoints
//	<name>-ci         (only with ci.github.repository) CI deploy role + its
//	                  cluster access entry
//
// network and data have no dependencies and deploy in parallel; analytics
// needs data; cluster needs all three.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/nag"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/stackreg"
)

// DeploymentTag is set on every resource; `down` scopes its clean-up of
// in-cluster load balancers to resources carrying it.
const DeploymentTag = stackreg.DeploymentTag

// Platform is the assembled app.
type Platform struct {
	Network   *NetworkStack
	Data      *DataStack
	Analytics *AnalyticsStack
	Cluster   *ClusterStack
	// CI is nil unless cfg.CI is enabled.
	CI *CIStack
}

// Stacks returns the stacks in deployment order.
func (p *Platform) Stacks() []awscdk.Stack {
	out := []awscdk.Stack{p.Network.Stack, p.Data.Stack, p.Analytics.Stack, p.Cluster.Stack}
	if p.CI != nil {
		out = append(out, p.CI.Stack)
	}
	return out
}

// StackNames returns the CloudFormation stack names for cfg, in deployment
// order (from the stack registry).
func StackNames(cfg *config.Config) []string { return stackreg.For(cfg).Names() }

// Dependencies maps each stack name to the stacks it needs first: the
// registry's graph, which Build reproduces (a test keeps the two equal),
// known without synthesizing, for `down` and `status`.
func Dependencies(cfg *config.Config) map[string][]string { return stackreg.For(cfg).Dependencies() }

// Build adds the platform's stacks to app for a validated cfg.
func Build(app awscdk.App, cfg *config.Config) *Platform {
	env := &awscdk.Environment{Region: jsii.String(cfg.Region)}
	if cfg.Account != "" {
		env.Account = jsii.String(cfg.Account)
		// An account-bound stack would look its zones up (a network call
		// at synth time). The zones are explicit in the config, so they are
		// provided as the lookup's answer instead.
		app.Node().SetContext(jsii.String("availability-zones:account="+cfg.Account+":region="+cfg.Region),
			jsii.Strings(cfg.Network.AvailabilityZones...))
	}
	reg := stackreg.For(cfg)
	stackProps := func(role stackreg.Role) *awscdk.StackProps {
		s := reg.Stack(role)
		return &awscdk.StackProps{
			StackName:   jsii.String(s.Name),
			Env:         env,
			Description: jsii.String(s.Description),
			// The templates have no assets, so `blueprint up` deploys them
			// with CloudFormation directly and needs no CDK bootstrap; the
			// bootstrap-version check would make it require one.
			// `cdk deploy` still uses the bootstrap roles as usual.
			Synthesizer: awscdk.NewDefaultStackSynthesizer(&awscdk.DefaultStackSynthesizerProps{
				GenerateBootstrapVersionRule: jsii.Bool(false),
			}),
		}
	}

	p := &Platform{}
	p.Network = newNetworkStack(app, "Network", stackProps(stackreg.Network), cfg)
	p.Data = newDataStack(app, "Data", stackProps(stackreg.Data), cfg)
	p.Analytics = newAnalyticsStack(app, "Analytics", stackProps(stackreg.Analytics), cfg, p.Data)
	p.Cluster = newClusterStack(app, "Cluster", stackProps(stackreg.Cluster), cfg, p.Network, p.Data, p.Analytics)
	if _, ok := reg.Lookup(stackreg.CI); ok {
		p.CI = newCIStack(app, "CI", stackProps(stackreg.CI), cfg, p.Data, p.Analytics, p.Cluster)
	}
	addPermissionsBoundary(p, cfg)

	// Tags go into the templates and, through the assembly manifest, onto
	// the stacks; CloudFormation propagates stack tags to every resource.
	// The KMS key gets them that way only: moto's CloudFormation handler
	// for AWS::KMS::Key cannot read template tags (it expects KMS API
	// TagKey/TagValue), and the end-to-end tests deploy to moto.
	tagProps := &awscdk.TagProps{ExcludeResourceTypes: jsii.Strings("AWS::KMS::Key")}
	awscdk.Tags_Of(app).Add(jsii.String(DeploymentTag), jsii.String(cfg.Name), tagProps)
	for _, k := range sortedKeys(cfg.Tags) {
		awscdk.Tags_Of(app).Add(jsii.String(k), jsii.String(cfg.Tags[k]), tagProps)
	}
	nag.Apply(app)
	return p
}

func output(scope constructs.Construct, key string, value *string, description string) {
	awscdk.NewCfnOutput(scope, jsii.String(key), &awscdk.CfnOutputProps{
		Value:       value,
		Description: jsii.String(description),
	})
}
