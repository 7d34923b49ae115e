package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// Defaults, in one place. The README and `blueprint init` document the same values.
const (
	DefaultName                 = "blueprint"
	DefaultRegion               = "us-east-1"
	DefaultVpcCidr              = "10.0.0.0/16"
	DefaultAzCount              = 2
	DefaultNatGateways          = 1
	DefaultKubernetesVersion    = "1.35"
	DefaultLogRetentionDays     = 30
	DefaultDiskSizeGiB          = 100
	DefaultBytesScannedCutoff   = int64(10 << 30) // 10 GiB
	MinBytesScannedCutoff       = int64(10 << 20) // Athena's own minimum, 10 MB
	DefaultOnDemandInstanceType = "m6i.xlarge"
	defaultOnDemandMin          = 1
	defaultOnDemandMax          = 4
	defaultOnDemandDesired      = 2
	defaultSpotMin              = 0
	defaultSpotMax              = 10
	defaultSpotDesired          = 0
	defaultPublicAccessCidr     = "0.0.0.0/0"
	glueDatabaseSuffix          = "_lake"
)

// SupportedKubernetesVersions are the EKS minor versions blueprint accepts:
// those in EKS standard support at the time of writing and known to the CDK
// version this module pins.
var SupportedKubernetesVersions = []string{"1.34", "1.35", "1.36"}

// DefaultInterfaceEndpoints are what Spark jobs and nodes in private subnets
// talk to; S3 is always a (free) gateway endpoint.
var DefaultInterfaceEndpoints = []string{
	"sts", "ecr.api", "ecr.dkr", "logs", "athena", "kms", "glue", "secretsmanager",
}

// KnownInterfaceEndpoints are the service short names blueprint can create an
// interface endpoint for (com.amazonaws.<region>.<name>).
var KnownInterfaceEndpoints = []string{
	"sts", "ecr.api", "ecr.dkr", "logs", "athena", "kms", "glue", "secretsmanager",
	"ec2", "elasticloadbalancing", "autoscaling", "monitoring", "ssm", "eks", "eks-auth",
}

// ControlPlaneLogTypes are every EKS control-plane log type.
var ControlPlaneLogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// DefaultSpotInstanceTypes are diversified 4 vCPU / 32 GiB types, so Spot
// capacity in one pool running dry does not stop executors.
var DefaultSpotInstanceTypes = []string{"r5.xlarge", "r5a.xlarge", "r5d.xlarge", "r6i.xlarge", "r6a.xlarge", "r7i.xlarge"}

// SetDefaults fills every unset field. It is idempotent.
func (c *Config) SetDefaults() {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	n := &c.Network
	if n.VpcCidr == "" {
		n.VpcCidr = DefaultVpcCidr
	}
	if n.AzCount == 0 {
		if len(n.AvailabilityZones) > 0 {
			n.AzCount = len(n.AvailabilityZones)
		} else {
			n.AzCount = DefaultAzCount
		}
	}
	if len(n.AvailabilityZones) == 0 && n.AzCount > 0 && n.AzCount <= 6 {
		n.zonesDefaulted = true
		for i := 0; i < n.AzCount; i++ {
			n.AvailabilityZones = append(n.AvailabilityZones, fmt.Sprintf("%s%c", c.Region, 'a'+i))
		}
	}
	if n.NatGateways == 0 {
		n.NatGateways = DefaultNatGateways
	}
	if n.InterfaceEndpoints == nil {
		n.InterfaceEndpoints = append([]string(nil), DefaultInterfaceEndpoints...)
	}

	k := &c.Cluster
	if k.Version == "" {
		k.Version = DefaultKubernetesVersion
	}
	if k.EndpointPublicAccess == nil {
		k.EndpointPublicAccess = ptr(true)
	}
	if *k.EndpointPublicAccess && len(k.EndpointPublicAccessCidrs) == 0 {
		k.EndpointPublicAccessCidrs = []string{defaultPublicAccessCidr}
	}
	if k.LogTypes == nil {
		k.LogTypes = append([]string(nil), ControlPlaneLogTypes...)
	}
	if k.LogRetentionDays == 0 {
		k.LogRetentionDays = DefaultLogRetentionDays
	}

	setNodeGroupDefaults(&c.NodeGroups.OnDemand, []string{DefaultOnDemandInstanceType},
		defaultOnDemandMin, defaultOnDemandMax, defaultOnDemandDesired)
	setNodeGroupDefaults(&c.NodeGroups.Spot, DefaultSpotInstanceTypes,
		defaultSpotMin, defaultSpotMax, defaultSpotDesired)

	if c.DataLake.GlueDatabase == "" {
		c.DataLake.GlueDatabase = strings.ToLower(strings.ReplaceAll(c.Name, "-", "_")) + glueDatabaseSuffix
	}
	if c.Athena.BytesScannedCutoffPerQuery == 0 {
		c.Athena.BytesScannedCutoffPerQuery = DefaultBytesScannedCutoff
	}
	c.Platform.setDefaults(c)
	c.CI.setDefaults()
}

func setNodeGroupDefaults(g *NodeGroup, types []string, minSize, maxSize, desired int) {
	if g.Enabled == nil {
		g.Enabled = ptr(true)
	}
	if g.InstanceTypes == nil {
		g.InstanceTypes = append([]string(nil), types...)
	}
	if g.MinSize == nil {
		g.MinSize = ptr(minSize)
	}
	if g.MaxSize == nil {
		g.MaxSize = ptr(max(maxSize, *g.MinSize))
	}
	if g.DesiredSize == nil {
		g.DesiredSize = ptr(min(max(desired, *g.MinSize), *g.MaxSize))
	}
	if g.DiskSizeGiB == 0 {
		g.DiskSizeGiB = DefaultDiskSizeGiB
	}
}

func ptr[T any](v T) *T { return &v }

// maxSubnetBits is the smallest subnet AWS allows (/28).
const maxSubnetBits = 28

// SubnetMasks picks subnet prefix lengths that fit AzCount public and
// private subnets into the VPC, giving most addresses to the private
// subnets (with the VPC CNI every pod takes a VPC address): each private
// subnet is a quarter (≤ 3 zones) or an eighth of the VPC, each public one
// a quarter of that.
func (n Network) SubnetMasks() (public, private int) {
	bits := 16
	if p, err := netip.ParsePrefix(n.VpcCidr); err == nil {
		bits = p.Bits()
	}
	if n.AzCount <= 3 {
		return bits + 4, bits + 2
	}
	return bits + 5, bits + 3
}
