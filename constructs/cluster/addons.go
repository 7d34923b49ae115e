package cluster

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awseks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/irsa"
	"github.com/sqletl/blueprint/internal/workloads"
)

// addon is one EKS managed add-on and, when it calls AWS, its IRSA role.
type addon struct {
	id, name string
	// sa and policies describe the add-on's IRSA role; empty sa means none.
	sa       workloads.ServiceAccount
	policies []string
	// needsNodes: the add-on runs a Deployment and only becomes healthy once
	// nodes exist, so it waits for the on-demand group.
	needsNodes bool
}

// addons lists the managed add-ons in creation order.
var addons = []addon{
	{id: "VpcCni", name: "vpc-cni", sa: workloads.ServiceAccount{Namespace: workloads.NamespaceSystem, Name: "aws-node"}, policies: []string{"AmazonEKS_CNI_Policy"}},
	{id: "KubeProxy", name: "kube-proxy"},
	{id: "CoreDns", name: "coredns", needsNodes: true},
	{id: "EbsCsi", name: "aws-ebs-csi-driver", sa: workloads.EBSCSIController, policies: []string{"service-role/AmazonEBSCSIDriverPolicy"}, needsNodes: true},
	{id: "ContainerInsights", name: "amazon-cloudwatch-observability", sa: workloads.CloudWatchAgent, policies: []string{"CloudWatchAgentServerPolicy", "AWSXrayWriteOnlyAccess"}, needsNodes: true},
}

func addAddons(scope constructs.Construct, c *Cluster) {
	for _, a := range addons {
		props := &awseks.CfnAddonProps{
			ClusterName:      c.Cluster.Ref(),
			AddonName:        jsii.String(a.name),
			ResolveConflicts: jsii.String("OVERWRITE"),
		}
		if a.sa.Name != "" {
			role := irsa.New(scope, a.id+"Role", irsa.Props{
				Provider:        c.Provider,
				ServiceAccount:  a.sa,
				ManagedPolicies: a.policies,
				Description:     "IRSA role of the " + a.name + " add-on",
			})
			props.ServiceAccountRoleArn = role.Arn
		}
		addon := awseks.NewCfnAddon(scope, jsii.String(a.id+"Addon"), props)
		if a.needsNodes {
			addon.Node().AddDependency(c.OnDemand)
		}
	}
}
