package helmrelease

// hubNetworkPolicy is z2jh 4.4.0's singleuser.networkPolicy (values.yaml,
// templates/singleuser/netpol.yaml and templates/_helpers-netpol.tpl).
// The VPC CNI enforces it (constructs/cluster: enableNetworkPolicy), and
// with cloudMetadata.blockWithIptables off it is what keeps notebooks from
// the instance metadata service and the node role behind it.
type hubNetworkPolicy struct {
	Enabled          bool                `json:"enabled"`
	EgressAllowRules hubEgressAllowRules `json:"egressAllowRules"`
}

type hubEgressAllowRules struct {
	CloudMetadataServer         bool `json:"cloudMetadataServer"`
	DNSPortsCloudMetadataServer bool `json:"dnsPortsCloudMetadataServer"`
	DNSPortsKubeSystemNamespace bool `json:"dnsPortsKubeSystemNamespace"`
	DNSPortsPrivateIPs          bool `json:"dnsPortsPrivateIPs"`
	NonPrivateIPs               bool `json:"nonPrivateIPs"`
	PrivateIPs                  bool `json:"privateIPs"`
}

// singleUserNetworkPolicy keeps z2jh's defaults but one: privateIPs is
// true. z2jh's default (false) would, once enforced, cut notebooks off
// from every private address, and in blueprint's VPC that is where STS
// (IRSA's token exchange), Glue, Athena, ECR and the other interface
// endpoints answer, and where the Kubernetes API and the cluster's pods
// are. The metadata address 169.254.169.254 is in none of the private
// ranges (10/8, 172.16/12, 192.168/16), and the non-private rule lists it
// under except, so cloudMetadataServer: false still denies it (port 53
// only is allowed there, dnsPortsCloudMetadataServer).
func singleUserNetworkPolicy() hubNetworkPolicy {
	return hubNetworkPolicy{
		Enabled: true,
		EgressAllowRules: hubEgressAllowRules{
			CloudMetadataServer:         false,
			DNSPortsCloudMetadataServer: true,
			DNSPortsKubeSystemNamespace: true,
			DNSPortsPrivateIPs:          true,
			NonPrivateIPs:               true,
			PrivateIPs:                  true,
		},
	}
}
