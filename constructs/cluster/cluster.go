// Package cluster builds the EKS cluster from CloudFormation L1 resources:
// control plane, IAM OIDC provider for IRSA, access entries, an on-demand
// and a Spot managed node group, and the managed add-ons. L1s are used
// because the L2 eks.Cluster installs a Lambda-backed kubectl provider.
package cluster

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseks"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/irsa"
	"github.com/sqletl/blueprint/constructs/loggroups"
	"github.com/sqletl/blueprint/internal/eksversions"
)

// ClusterAdminPolicy is the EKS access policy granting cluster-admin.
const ClusterAdminPolicy = "AmazonEKSClusterAdminPolicy"

// DeployerParameter is the CloudFormation parameter naming an extra
// principal that gets cluster-admin. `cdk deploy` creates the cluster as
// CloudFormation's execution role, so the person deploying passes their own
// role here; left empty, only the creator and AdminRoleArn get access.
const DeployerParameter = "DeployerPrincipalArn"

// Props configures the cluster.
type Props struct {
	// Name of the cluster. Required.
	Name string
	// Version is the Kubernetes minor version ("1.35"). Required.
	Version string
	// Subnets for the control plane ENIs and the nodes (private). Required.
	Subnets []awsec2.ISubnet
	// Key envelope-encrypts Kubernetes secrets. Required.
	Key awskms.IKey
	// PublicAccess turns the public endpoint on, limited to PublicAccessCidrs.
	PublicAccess      bool
	PublicAccessCidrs []string
	// AdminRoleArn, when set, gets cluster-admin through an access entry.
	AdminRoleArn string
	// LogTypes of the control plane sent to CloudWatch Logs; LogRetention of that group.
	LogTypes []string
	// LogRetentionDays, one of CloudWatch Logs' allowed values, of the
	// control-plane and Container Insights log groups. Default 30.
	LogRetentionDays int
	// KeepLogs retains those log groups when the stack is deleted.
	KeepLogs bool
	// OnDemand and Spot node groups; Spot is skipped when !Spot.Enabled.
	OnDemand, Spot NodeGroupProps
	// AddonVersions pins each managed add-on (by EKS add-on name) to a
	// version; an add-on missing here gets EKS's default for Version.
	AddonVersions map[string]string
	// NodesNeed is what nodes need before they boot besides the add-ons
	// (the private subnets' NAT routes and interface endpoints,
	// constructs/egress): every node group depends on it, and the control
	// plane does not. Optional.
	NodesNeed []constructs.IDependable
}

// Cluster is the built cluster.
type Cluster struct {
	Cluster awseks.CfnCluster
	// Name is a token resolving to the cluster name.
	Name *string
	// Provider is the IRSA OIDC provider.
	Provider irsa.Provider
	NodeRole awsiam.Role
	// OnDemand and Spot node groups (Spot may be nil).
	OnDemand, Spot awseks.CfnNodegroup
	// Addons by EKS add-on name.
	Addons map[string]awseks.CfnAddon
	// ClusterSecurityGroupID is the security group EKS creates for the cluster.
	ClusterSecurityGroupID *string
}

// New builds the cluster.
func New(scope constructs.Construct, id string, props Props) *Cluster {
	if props.LogRetentionDays == 0 {
		props.LogRetentionDays = 30
	}
	c := constructs.NewConstruct(scope, jsii.String(id))

	// The KMS permissions EKS checks when it creates the cluster (secrets
	// encryption) are an inline policy of the role, not a policy resource
	// of their own (CDK's DefaultPolicy, which AddToPrincipalPolicy makes):
	// CloudFormation then creates and propagates the role and its policy
	// in one step, and the control plane starts 15 s sooner on the
	// critical path of up (docs/performance.md, cuts). The cluster's
	// RoleArn reference makes it wait for both.
	role := awsiam.NewRole(c, jsii.String("ControlPlaneRole"), &awsiam.RoleProps{
		AssumedBy:       awsiam.NewServicePrincipal(jsii.String("eks.amazonaws.com"), nil),
		ManagedPolicies: &[]awsiam.IManagedPolicy{awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("AmazonEKSClusterPolicy"))},
		Description:     jsii.String("EKS control plane of " + props.Name),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"EnvelopeEncryption": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
				Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Sid:       jsii.String("EnvelopeEncryption"),
					Actions:   jsii.Strings("kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"),
					Resources: jsii.Strings(*props.Key.KeyArn()),
				})},
			}),
		},
	})

	// EKS creates this group on first log write with no retention; creating
	// it first sets the retention and lets `down` delete it.
	logGroup := awslogs.NewCfnLogGroup(c, jsii.String("ControlPlaneLogs"), &awslogs.CfnLogGroupProps{
		LogGroupName:    jsii.String(ControlPlaneLogGroup(props.Name)),
		RetentionInDays: jsii.Number(float64(props.LogRetentionDays)),
	})
	logGroup.ApplyRemovalPolicy(loggroups.RemovalPolicy(props.KeepLogs), nil)

	subnetIDs := make([]*string, 0, len(props.Subnets))
	for _, s := range props.Subnets {
		subnetIDs = append(subnetIDs, s.SubnetId())
	}
	vpcConfig := &awseks.CfnCluster_ResourcesVpcConfigProperty{
		SubnetIds:             &subnetIDs,
		EndpointPrivateAccess: jsii.Bool(true),
		EndpointPublicAccess:  jsii.Bool(props.PublicAccess),
	}
	if props.PublicAccess {
		vpcConfig.PublicAccessCidrs = jsii.Strings(props.PublicAccessCidrs...)
	}
	cluster := awseks.NewCfnCluster(c, jsii.String("Cluster"), &awseks.CfnClusterProps{
		Name:               jsii.String(props.Name),
		Version:            jsii.String(props.Version),
		RoleArn:            role.RoleArn(),
		ResourcesVpcConfig: vpcConfig,
		AccessConfig: &awseks.CfnCluster_AccessConfigProperty{
			AuthenticationMode:                      jsii.String("API"),
			BootstrapClusterCreatorAdminPermissions: jsii.Bool(true),
		},
		EncryptionConfig: &[]any{&awseks.CfnCluster_EncryptionConfigProperty{
			Provider:  &awseks.CfnCluster_ProviderProperty{KeyArn: props.Key.KeyArn()},
			Resources: jsii.Strings("secrets"),
		}},
		Logging: &awseks.CfnCluster_LoggingProperty{
			ClusterLogging: &awseks.CfnCluster_ClusterLoggingProperty{EnabledTypes: logTypes(props.LogTypes)},
		},
		UpgradePolicy: &awseks.CfnCluster_UpgradePolicyProperty{SupportType: jsii.String("STANDARD")},
	})
	cluster.Node().AddDependency(logGroup)

	out := &Cluster{
		Cluster:                cluster,
		Name:                   cluster.Ref(),
		ClusterSecurityGroupID: cluster.AttrClusterSecurityGroupId(),
	}

	oidc := awsiam.NewCfnOIDCProvider(c, jsii.String("OidcProvider"), &awsiam.CfnOIDCProviderProps{
		Url:          cluster.AttrOpenIdConnectIssuerUrl(),
		ClientIdList: jsii.Strings("sts.amazonaws.com"),
	})
	out.Provider = irsa.Provider{
		Arn:    oidc.AttrArn(),
		Issuer: awscdk.Fn_Select(jsii.Number(1), awscdk.Fn_Split(jsii.String("//"), cluster.AttrOpenIdConnectIssuerUrl(), nil)),
	}

	addAccessEntries(c, cluster, props.AdminRoleArn)

	out.NodeRole = awsiam.NewRole(c, jsii.String("NodeRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil),
		ManagedPolicies: &[]awsiam.IManagedPolicy{
			awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("AmazonEKSWorkerNodePolicy")),
			awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("AmazonEC2ContainerRegistryReadOnly")),
		},
		Description: jsii.String("EKS nodes of " + props.Name),
	})
	// The node role has no AmazonEKS_CNI_Policy on purpose: the vpc-cni
	// add-on gets it through its own IRSA role, as AWS recommends
	// (Amazon EKS User Guide, "Configure Amazon VPC CNI plugin to use
	// IRSA"), and the node groups wait for that add-on (see addAddons).
	out.OnDemand = newNodeGroup(c, "OnDemandNodes", cluster, props.Name, props.Version, out.NodeRole, subnetIDs, props.OnDemand, false)
	if props.Spot.Enabled {
		out.Spot = newNodeGroup(c, "SpotNodes", cluster, props.Name, props.Version, out.NodeRole, subnetIDs, props.Spot, true)
	}
	for _, g := range []awseks.CfnNodegroup{out.OnDemand, out.Spot} {
		if g != nil {
			g.Node().AddDependency(props.NodesNeed...)
		}
	}
	addAddons(c, out, props.AddonVersions)
	// The Container Insights add-on's agents create these on first write,
	// with no retention, outside the stack; created first, they get the
	// retention and go with the stack. Amazon CloudWatch User Guide, "Set up
	// Fluent Bit as a DaemonSet to send logs to CloudWatch Logs" (application,
	// host, dataplane) and "Container Insights performance log reference"
	// (performance).
	insights := loggroups.New(c, "ContainerInsightsLogs", loggroups.Props{
		Groups:        ContainerInsightsLogGroups(props.Name),
		RetentionDays: props.LogRetentionDays,
		Keep:          props.KeepLogs,
	})
	out.Addons[eksversions.CloudWatch].Node().AddDependency(insights.Dependables()...)
	return out
}

// ControlPlaneLogGroup is the log group EKS writes control-plane logs to
// (Amazon EKS User Guide, "Send control plane logs to CloudWatch Logs").
func ControlPlaneLogGroup(cluster string) string { return "/aws/eks/" + cluster + "/cluster" }

// ContainerInsightsLogGroups are the log groups of the Container Insights
// add-on for cluster.
func ContainerInsightsLogGroups(cluster string) []loggroups.Group {
	var out []loggroups.Group
	for _, g := range []struct{ id, name string }{
		{"Application", "application"}, {"Dataplane", "dataplane"}, {"Host", "host"}, {"Performance", "performance"},
	} {
		out = append(out, loggroups.Group{ID: g.id, Name: "/aws/containerinsights/" + cluster + "/" + g.name})
	}
	return out
}

func addAccessEntries(scope constructs.Construct, cluster awseks.CfnCluster, adminRoleArn string) {
	adminPolicy := &[]any{&awseks.CfnAccessEntry_AccessPolicyProperty{
		PolicyArn:   jsii.String("arn:" + *awscdk.Aws_PARTITION() + ":eks::aws:cluster-access-policy/" + ClusterAdminPolicy),
		AccessScope: &awseks.CfnAccessEntry_AccessScopeProperty{Type: jsii.String("cluster")},
	}}
	if adminRoleArn != "" {
		awseks.NewCfnAccessEntry(scope, jsii.String("AdminRoleAccess"), &awseks.CfnAccessEntryProps{
			ClusterName:    cluster.Ref(),
			PrincipalArn:   jsii.String(adminRoleArn),
			Type:           jsii.String("STANDARD"),
			AccessPolicies: adminPolicy,
		})
	}
	deployer := awscdk.NewCfnParameter(scope, jsii.String(DeployerParameter), &awscdk.CfnParameterProps{
		Type:           jsii.String("String"),
		Default:        jsii.String(""),
		AllowedPattern: jsii.String(`^$|^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$`),
		Description:    jsii.String("Optional IAM role or user ARN given cluster-admin (for cdk deploy, where CloudFormation's role creates the cluster)"),
	})
	deployer.OverrideLogicalId(jsii.String(DeployerParameter))
	hasDeployer := awscdk.NewCfnCondition(scope, jsii.String("HasDeployerPrincipal"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(deployer.ValueAsString(), jsii.String(""))),
	})
	entry := awseks.NewCfnAccessEntry(scope, jsii.String("DeployerAccess"), &awseks.CfnAccessEntryProps{
		ClusterName:    cluster.Ref(),
		PrincipalArn:   deployer.ValueAsString(),
		Type:           jsii.String("STANDARD"),
		AccessPolicies: adminPolicy,
	})
	entry.CfnOptions().SetCondition(hasDeployer)
}

func logTypes(types []string) *[]any {
	out := make([]any, 0, len(types))
	for _, t := range types {
		out = append(out, &awseks.CfnCluster_LoggingTypeConfigProperty{Type: jsii.String(t)})
	}
	return &out
}

// NewAdminAccess gives principalArn cluster-admin on clusterName through an
// EKS access entry: how a role made outside the cluster stack (the CI
// deploy role) reaches the cluster for Helm and job pushes.
func NewAdminAccess(scope constructs.Construct, id string, clusterName, principalArn *string) awseks.CfnAccessEntry {
	return awseks.NewCfnAccessEntry(scope, jsii.String(id), &awseks.CfnAccessEntryProps{
		ClusterName:  clusterName,
		PrincipalArn: principalArn,
		Type:         jsii.String("STANDARD"),
		AccessPolicies: &[]any{&awseks.CfnAccessEntry_AccessPolicyProperty{
			PolicyArn:   jsii.String("arn:" + *awscdk.Aws_PARTITION() + ":eks::aws:cluster-access-policy/" + ClusterAdminPolicy),
			AccessScope: &awseks.CfnAccessEntry_AccessScopeProperty{Type: jsii.String("cluster")},
		}},
	})
}
