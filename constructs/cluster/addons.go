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
	// config is the add-on's configurationValues (JSON); empty for none.
	config string
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

// VpcCniConfiguration turns on the VPC CNI's network policy agent, which
// the add-on leaves off by default: without it no NetworkPolicy is
// enforced on the nodes (Amazon EKS User Guide, "Configure your cluster
// for Kubernetes network policies", step 2 "Enable the network policy
// parameter for the add-on": configuration value "enableNetworkPolicy":
// "true", vpc-cni v1.14.0-eksbuild.3 or later; nodes need Linux 5.10 or
// later, which AL2023 has). JupyterHub runs with blockWithIptables off
// (see internal/helmrelease), so what keeps notebooks from the instance
// metadata service, and the node role behind it, is z2jh's singleuser
// NetworkPolicy: its egress rules leave out 169.254.169.254/32. That is
// chosen over a launch template with an IMDS hop limit of 1: the hop
// limit would also cut off the pods that read the instance metadata on
// purpose (the CloudWatch agent and Fluent Bit of Container Insights,
// the EBS CSI node), and a launch template would take the disk size and
// AMI settings out of the node groups.
const VpcCniConfiguration = `{"enableNetworkPolicy":"true"}`

// addons lists the managed add-ons in creation order.
var addons = []addon{
	{id: "VpcCni", name: eksversions.VpcCni, sa: workloads.ServiceAccount{Namespace: workloads.NamespaceSystem, Name: "aws-node"}, policies: []string{"AmazonEKS_CNI_Policy"}, order: beforeNodes,
		config: VpcCniConfiguration},
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
		if a.config != "" {
			props.ConfigurationValues = jsii.String(a.config)
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
