// Package stackreg is the registry of a deployment's CloudFormation stacks:
// each stack by role (network, data, analytics, cluster, ci), its name, the
// roles it depends on, whether it holds data, and the output keys it
// exports. It also holds the other names shared by the CDK app and the CLI
// (output keys, the deployment tag, the login secret's name).
//
// It is a leaf: no CDK, no jsii, no AWS SDK. The CDK app (stacks.Build),
// the deployer, `up`, `down`, `status` and the critical-path model all read
// the same registry, so a stack added here is deployed, deleted, reported
// and modelled without anyone editing a list by position.
package stackreg

import (
	"fmt"
	"slices"

	"github.com/sqletl/blueprint/internal/config"
)

// Role names what a stack is for, independent of the deployment's name.
type Role string

// The roles of blueprint's stacks.
const (
	Network   Role = "network"
	Data      Role = "data"
	Analytics Role = "analytics"
	Cluster   Role = "cluster"
	CI        Role = "ci"
)

// DeploymentTag is set on every resource; `down` scopes its clean-up of
// in-cluster load balancers to resources carrying it.
const DeploymentTag = "blueprint:deployment"

// Stack output keys: the contract between the CDK app and the CLI, which
// reads them after deploying (cluster connection, Helm values, uploads).
const (
	OutputVpcID            = "VpcId"
	OutputKeyArn           = "DataKeyArn"
	OutputDataLakeBucket   = "DataLakeBucketName"
	OutputAccessLogsBucket = "AccessLogsBucketName"
	OutputGlueDatabase     = "GlueDatabaseName"
	OutputCodeBucket       = "CodeBucketName"
	OutputCIRoleArn        = "CIDeployRoleArn"
	OutputCIExecRoleArn    = "CIExecutionRoleArn"
	OutputLogsBucket       = "LogsBucketName"
	OutputAthenaWorkgroup  = "AthenaWorkgroupName"
	OutputAthenaResults    = "AthenaResultsLocation"
	OutputLoginSecretArn   = "LoginSecretArn"
	OutputClusterName      = "ClusterName"
	OutputClusterEndpoint  = "ClusterEndpoint"
	OutputClusterCA        = "ClusterCertificateAuthority"
	OutputOidcIssuer       = "OidcIssuerUrl"
	OutputArcJobRole       = "ArcJobRoleArn"
	OutputNotebookRole     = "NotebookRoleArn"
	OutputArgoServerRole   = "ArgoServerRoleArn"
	OutputAutoscalerRole   = "ClusterAutoscalerRoleArn"
	OutputNodeRole         = "NodeRoleArn"
	OutputLBCRole          = "LoadBalancerControllerRoleArn"
	OutputSparkHistoryRole = "SparkHistoryRoleArn"
)

// CfnLintIgnored lists the cfn-lint rules blueprint's templates are exempt
// from, with the reason. .cfnlintrc.yaml (make lint-templates) holds the
// same list; a test keeps the two equal.
var CfnLintIgnored = map[string]string{
	"W3010": "availability zones are explicit (network.availabilityZones) so synthesis needs no account lookup and subnets never move between zones",
}

// DeployerParameter is the cluster stack's CloudFormation parameter naming
// an extra principal given cluster-admin (constructs/cluster declares it).
const DeployerParameter = "DeployerPrincipalArn"

// LoginSecretName is the Secrets Manager name of the generated JupyterHub
// login. A fixed name per deployment lets the CLI read it without the stack
// outputs (and tells an operator where to look).
func LoginSecretName(cfg *config.Config) string { return cfg.Name + "/jupyterhub-login" }

// Stack is one entry of the registry.
type Stack struct {
	Role Role
	// Name is the CloudFormation stack name.
	Name string
	// Description is the stack's CloudFormation description.
	Description string
	// DependsOn lists the roles deployed before this one (and deleted after it).
	DependsOn []Role
	// HoldsData marks a stateful stack: termination-protected, and deleted
	// by `down` only with --delete-data.
	HoldsData bool
	// Outputs are the output keys the stack exports.
	Outputs []string
	// NeedsCluster: the stack needs the EKS cluster of the cluster stack
	// (directly or through an access entry), so it is skipped when the
	// cluster connection is overridden (--kubeconfig).
	NeedsCluster bool
}

// Registry is the ordered set of a deployment's stacks: every stack comes
// after the stacks it depends on.
type Registry struct {
	stacks []Stack
}

// For returns the registry of cfg's deployment.
func For(cfg *config.Config) *Registry {
	n := func(r Role) string { return cfg.Name + "-" + string(r) }
	r := &Registry{}
	r.stacks = []Stack{
		{Role: Network, Name: n(Network), Description: "blueprint network: VPC, subnets, flow logs",
			Outputs: []string{OutputVpcID}},
		{Role: Data, Name: n(Data), Description: "blueprint data (retained): KMS key, data lake, Glue database",
			HoldsData: true,
			Outputs:   []string{OutputKeyArn, OutputDataLakeBucket, OutputAccessLogsBucket, OutputGlueDatabase}},
		{Role: Analytics, Name: n(Analytics), Description: "blueprint analytics: code and logs buckets, Athena workgroup, login",
			DependsOn: []Role{Data},
			Outputs:   []string{OutputCodeBucket, OutputLogsBucket, OutputAthenaWorkgroup, OutputAthenaResults, OutputLoginSecretArn}},
		{Role: Cluster, Name: n(Cluster), Description: "blueprint EKS cluster, node groups, add-ons, IRSA roles, NAT, endpoints",
			DependsOn: []Role{Network, Data, Analytics}, NeedsCluster: true,
			Outputs: []string{OutputClusterName, OutputClusterEndpoint, OutputClusterCA, OutputOidcIssuer, OutputNodeRole,
				OutputArcJobRole, OutputNotebookRole, OutputArgoServerRole, OutputSparkHistoryRole, OutputAutoscalerRole, OutputLBCRole}},
	}
	if cfg.CI.Enabled() {
		r.stacks = append(r.stacks, Stack{Role: CI, Name: n(CI), Description: "blueprint CI deploy role (GitHub OIDC)",
			DependsOn: []Role{Data, Analytics, Cluster}, NeedsCluster: true,
			Outputs: []string{OutputCIRoleArn, OutputCIExecRoleArn}})
	}
	return r
}

// Add appends s (after the stacks it depends on, which must be registered)
// and returns r. It is how a new kind of stack joins every command at once.
func (r *Registry) Add(s Stack) (*Registry, error) {
	if s.Role == "" || s.Name == "" {
		return r, fmt.Errorf("stack registry: a stack needs a role and a name")
	}
	if _, ok := r.Lookup(s.Role); ok {
		return r, fmt.Errorf("stack registry: role %q is already registered", s.Role)
	}
	for _, d := range s.DependsOn {
		if _, ok := r.Lookup(d); !ok {
			return r, fmt.Errorf("stack registry: %q depends on %q, which is not registered", s.Role, d)
		}
	}
	r.stacks = append(r.stacks, s)
	return r, nil
}

// Stacks returns the stacks in deployment order.
func (r *Registry) Stacks() []Stack { return slices.Clone(r.stacks) }

// Lookup returns the stack of role, if registered.
func (r *Registry) Lookup(role Role) (Stack, bool) {
	for _, s := range r.stacks {
		if s.Role == role {
			return s, true
		}
	}
	return Stack{}, false
}

// Stack returns the stack of role; it panics for a role that is not
// registered (a programming error: the fixed roles are always there, CI
// only when configured, so look CI up with Lookup).
func (r *Registry) Stack(role Role) Stack {
	s, ok := r.Lookup(role)
	if !ok {
		panic(fmt.Sprintf("stackreg: no %q stack registered", role))
	}
	return s
}

// ByName returns the stack named name.
func (r *Registry) ByName(name string) (Stack, bool) {
	for _, s := range r.stacks {
		if s.Name == name {
			return s, true
		}
	}
	return Stack{}, false
}

// Names returns the stack names in deployment order.
func (r *Registry) Names() []string {
	out := make([]string, len(r.stacks))
	for i, s := range r.stacks {
		out[i] = s.Name
	}
	return out
}

// Dependencies maps each stack name to the names of the stacks it needs
// first (stacks without dependencies are absent).
func (r *Registry) Dependencies() map[string][]string {
	deps := map[string][]string{}
	for _, s := range r.stacks {
		for _, d := range s.DependsOn {
			deps[s.Name] = append(deps[s.Name], r.Stack(d).Name)
		}
	}
	return deps
}

// OutputOwner returns the stack that exports key.
func (r *Registry) OutputOwner(key string) (Stack, bool) {
	for _, s := range r.stacks {
		if slices.Contains(s.Outputs, key) {
			return s, true
		}
	}
	return Stack{}, false
}
