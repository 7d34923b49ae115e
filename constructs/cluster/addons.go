package cluster

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awseks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/irsa"
	"github.com/sqletl/blueprint/internal/eksversions"
	"github.com/sqletl/blueprint/internal/workloads"
)

// addon is one EKS managed add-on and, when it calls AWS, its IRSA role.
type addon struct {
	id, name string
	// sa and policies describe the add-on's IRSA role; empty sa means none.
	sa       workloads.ServiceAccount
	policies []string
	// order says how the add-on and the node groups wait for each other.
	order addonOrder
}

type addonOrder int

const (
	// beforeNodes: a DaemonSet nodes need to become Ready (the CNI) or to
	// route Services (kube-proxy). It is healthy with no nodes, so the node
	// groups wait for it: nodes that boot before the CNI and its IRSA role
	// exist stay NotReady (Amazon EKS User Guide, "Amazon VPC CNI":
	// the plugin needs its IAM permissions before nodes join).
	beforeNodes addonOrder = iota
	// afterNodes: the add-on runs a Deployment and only becomes ACTIVE once
	// nodes can run its pods, so it waits for the on-demand group.
	afterNodes
)

// addons lists the managed add-ons in creation order.
var addons = []addon{
	{id: "VpcCni", name: eksversions.VpcCni, sa: workloads.ServiceAccount{Namespace: workloads.NamespaceSystem, Name: "aws-node"}, policies: []string{"AmazonEKS_CNI_Policy"}, order: beforeNodes},
	{id: "KubeProxy", name: eksversions.KubeProxy, order: beforeNodes},
	{id: "CoreDns", name: eksversions.CoreDNS, order: afterNodes},
	{id: "EbsCsi", name: eksversions.EbsCsi, sa: workloads.EBSCSIController, policies: []string{"service-role/AmazonEBSCSIDriverPolicy"}, order: afterNodes},
	{id: "ContainerInsights", name: eksversions.CloudWatch, sa: workloads.CloudWatchAgent, policies: []string{"CloudWatchAgentServerPolicy", "AWSXrayWriteOnlyAccess"}, order: afterNodes},
}

func addAddons(scope constructs.Construct, c *Cluster, versions map[string]string) {
	c.Addons = map[string]awseks.CfnAddon{}
	for _, a := range addons {
		props := &awseks.CfnAddonProps{
			ClusterName:      c.Cluster.Ref(),
			AddonName:        jsii.String(a.name),
			ResolveConflicts: jsii.String("OVERWRITE"),
		}
		if v := versions[a.name]; v != "" {
			props.AddonVersion = jsii.String(v)
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
		c.Addons[a.name] = addon
		switch a.order {
		case beforeNodes:
			c.OnDemand.Node().AddDependency(addon)
			if c.Spot != nil {
				c.Spot.Node().AddDependency(addon)
			}
		case afterNodes:
			addon.Node().AddDependency(c.OnDemand)
		}
	}
}
