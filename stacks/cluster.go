package stacks

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/sqletl/blueprint/constructs/access"
	"github.com/sqletl/blueprint/constructs/cluster"
	"github.com/sqletl/blueprint/constructs/egress"
	"github.com/sqletl/blueprint/constructs/nag"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/eksversions"
)

// ClusterStack holds EKS and the workloads' IAM roles.
type ClusterStack struct {
	Stack   awscdk.Stack
	Cluster *cluster.Cluster
	Roles   *access.Roles
}

func newClusterStack(scope constructs.Construct, id string, props *awscdk.StackProps, cfg *config.Config,
	net *NetworkStack, data *DataStack, an *AnalyticsStack) *ClusterStack {
	stack := awscdk.NewStack(scope, &id, props)
	ng := func(g config.NodeGroup) cluster.NodeGroupProps {
		return cluster.NodeGroupProps{
			Enabled: g.IsEnabled(), InstanceTypes: g.InstanceTypes,
			MinSize: *g.MinSize, MaxSize: *g.MaxSize, Desired: *g.DesiredSize, DiskSizeGiB: g.DiskSizeGiB,
		}
	}
	// The private subnets' way out is built here, beside the node groups
	// that wait for it, so the control plane starts once the subnets exist
	// (constructs/egress).
	eg := egress.New(stack, "Egress", egress.Props{
		Vpc:                net.Network.Vpc,
		Cidr:               cfg.Network.VpcCidr,
		PublicSubnets:      net.Network.PublicSubnets,
		PrivateSubnets:     net.Network.PrivateSubnets,
		NatGateways:        cfg.Network.NatGateways,
		InterfaceEndpoints: cfg.Network.InterfaceEndpoints,
	})
	eks := cluster.New(stack, "Eks", cluster.Props{
		Name:              cfg.Name,
		Version:           cfg.Cluster.Version,
		Subnets:           net.Network.PrivateSubnets,
		Key:               data.Key.Key,
		PublicAccess:      cfg.Cluster.PublicEndpoint(),
		PublicAccessCidrs: cfg.Cluster.EndpointPublicAccessCidrs,
		AdminRoleArn:      cfg.Cluster.AdminRoleArn,
		LogTypes:          cfg.Cluster.LogTypes,
		LogRetentionDays:  cfg.Cluster.LogRetentionDays,
		KeepLogs:          cfg.Cluster.KeepLogs,
		OnDemand:          ng(cfg.NodeGroups.OnDemand),
		Spot:              ng(cfg.NodeGroups.Spot),
		AddonVersions:     AddonVersions(cfg.Cluster.Version),
		NodesNeed:         []constructs.IDependable{eg.Ready},
	})
	roles := access.New(stack, "Access", access.Props{
		Provider:               eks.Provider,
		ClusterName:            eks.Name,
		DataLake:               data.DataLake.Bucket,
		Code:                   an.Code,
		Logs:                   an.Logs,
		Key:                    data.Key.Key,
		GlueDatabase:           cfg.DataLake.GlueDatabase,
		Workgroup:              an.Workgroup.WorkGroup.Ref(),
		LoadBalancerController: cfg.Platform.PublicAccess.Enabled && cfg.Platform.LoadBalancerController.IsEnabled(),
	})
	suppressClusterFindings(stack, cfg)

	output(stack, OutputClusterName, eks.Name, "EKS cluster name")
	output(stack, OutputClusterEndpoint, eks.Cluster.AttrEndpoint(), "EKS API endpoint")
	output(stack, OutputClusterCA, eks.Cluster.AttrCertificateAuthorityData(), "EKS API certificate authority (base64)")
	output(stack, OutputOidcIssuer, eks.Cluster.AttrOpenIdConnectIssuerUrl(), "OIDC issuer for IRSA")
	output(stack, OutputNodeRole, eks.NodeRole.RoleArn(), "Node IAM role")
	output(stack, OutputArcJobRole, roles.ArcJob.Arn, "IRSA role of spark/arcjob")
	output(stack, OutputNotebookRole, roles.Notebook.Arn, "IRSA role of jupyter/notebook")
	output(stack, OutputArgoServerRole, roles.ArgoServer.Arn, "IRSA role of argo/argo-server")
	output(stack, OutputSparkHistoryRole, roles.SparkHistory.Arn, "IRSA role of spark/spark-history (read-only on the event logs)")
	output(stack, OutputAutoscalerRole, roles.ClusterAutoscaler.Arn, "IRSA role of kube-system/cluster-autoscaler")
	if roles.LoadBalancerController != nil {
		output(stack, OutputLBCRole, roles.LoadBalancerController.Arn, "IRSA role of kube-system/aws-load-balancer-controller")
	}
	return &ClusterStack{Stack: stack, Cluster: eks, Roles: roles}
}

// AddonVersions are the add-on pins for a Kubernetes minor, from the one
// version table (internal/eksversions); unpinned add-ons are absent.
func AddonVersions(minor string) map[string]string {
	out := map[string]string{}
	addons, _ := eksversions.Addons(minor)
	for _, a := range addons {
		if a.Pinned() {
			out[a.Name] = a.Version
		}
	}
	return out
}

// ManagedPolicies are the AWS managed policies blueprint's roles use: the
// ones EKS documents for its control plane, nodes and add-ons. The CI
// execution role may attach these and no others.
var ManagedPolicies = []string{
	"AmazonEKSClusterPolicy", "AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly",
	"AmazonEKS_CNI_Policy", "service-role/AmazonEBSCSIDriverPolicy", "CloudWatchAgentServerPolicy", "AWSXrayWriteOnlyAccess",
}

func managedPolicyFindings() []string {
	out := make([]string, len(ManagedPolicies))
	for i, p := range ManagedPolicies {
		out[i] = "Policy::arn:<AWS::Partition>:iam::aws:policy/" + p
	}
	return out
}

func suppressClusterFindings(stack awscdk.Stack, cfg *config.Config) {
	rules := []nag.Rule{
		{ID: "AwsSolutions-IAM4", Reason: "EKS control plane, nodes and add-ons use the AWS managed policies EKS documents for them; AWS keeps them current with new EKS features",
			AppliesTo: managedPolicyFindings()},
		{ID: "AwsSolutions-IAM5", Reason: "object-level S3 access within the blueprint's own buckets, tables within its own Glue database, and its own node groups; Auto Scaling and EC2 describe calls have no resource-level permissions, and scaling is limited by the eks:cluster-name tag condition",
			AppliesTo: []string{
				"Resource::<DataLakeBucket.Arn>/*",
				"Resource::arn:<AWS::Partition>:s3:::" + cfg.DataLake.ExistingBucket + "/*",
				`/^Resource::<(CodeBucket|LogsBucket)[0-9A-F]{8}\.Arn>\/\*$/`,
				`/^Resource::<LogsBucket[0-9A-F]{8}\.Arn>\/spark-events\/\*$/`,
				"Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/" + cfg.DataLake.GlueDatabase + "/*",
				`/^Resource::arn:<AWS::Partition>:eks:<AWS::Region>:<AWS::AccountId>:nodegroup\/<EksCluster[0-9A-F]{8}>\/\*\/\*$/`,
				"Resource::*",
				"Action::kms:ReEncrypt*", "Action::kms:GenerateDataKey*",
			}},
	}
	if cfg.Cluster.PublicEndpoint() {
		rules = append(rules, nag.Rule{ID: "AwsSolutions-EKS1",
			Reason: "the CLI installs the in-cluster platform from outside the VPC; access is limited to cluster.endpointPublicAccessCidrs and needs IAM authentication"})
	}
	if !allLogTypes(cfg.Cluster.LogTypes) {
		rules = append(rules, nag.Rule{ID: "AwsSolutions-EKS2",
			Reason: "control-plane log types were narrowed on purpose in cluster.logTypes"})
	}
	nag.Suppress(stack, rules...)
}

func allLogTypes(types []string) bool {
	for _, t := range config.ControlPlaneLogTypes {
		if !slices.Contains(types, t) {
			return false
		}
	}
	return true
}
