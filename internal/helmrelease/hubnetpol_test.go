package helmrelease

import (
	"net/netip"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// egressAllowed decides whether a NetworkPolicy's egress rules let a pod
// reach ip:port, by the Kubernetes NetworkPolicy rules (Kubernetes docs,
// "Network Policies": rules are ORed; a rule with no "to" matches every
// destination and with no "ports" every port; an ipBlock matches its cidr
// minus its except list). Only ipBlock peers can match an address outside
// the cluster's pods; named ports cannot match a bare address.
func egressAllowed(t *testing.T, np networkingv1.NetworkPolicy, ip string, port int32) bool {
	t.Helper()
	addr := netip.MustParseAddr(ip)
	for _, rule := range np.Spec.Egress {
		portOK := len(rule.Ports) == 0
		for _, p := range rule.Ports {
			if p.Port == nil || (p.Port.IntVal == port && p.Port.StrVal == "") {
				portOK = true
			}
		}
		if !portOK {
			continue
		}
		if len(rule.To) == 0 {
			return true
		}
		for _, peer := range rule.To {
			if peer.IPBlock == nil {
				continue
			}
			if !netip.MustParsePrefix(peer.IPBlock.CIDR).Contains(addr) {
				continue
			}
			excepted := false
			for _, e := range peer.IPBlock.Except {
				if netip.MustParsePrefix(e).Contains(addr) {
					excepted = true
				}
			}
			if !excepted {
				return true
			}
		}
	}
	return false
}

// With the VPC CNI enforcing NetworkPolicies, z2jh 4.4.0's singleuser
// NetworkPolicy, rendered from the real chart with blueprint's values,
// keeps notebooks from the instance metadata service (but for DNS) and
// lets them reach what they need: the VPC's interface endpoints (STS for
// IRSA, Glue, Athena) at private addresses, and S3 and the internet.
func TestSingleUserNetworkPolicyBlocksMetadataOnly(t *testing.T) {
	var np *networkingv1.NetworkPolicy
	for _, o := range renderedObjects(t, "", JupyterHubRelease) {
		md, _ := o["metadata"].(map[string]any)
		if o["kind"] != "NetworkPolicy" || md["name"] != "singleuser" {
			continue
		}
		np = &networkingv1.NetworkPolicy{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o, np); err != nil {
			t.Fatal(err)
		}
	}
	if np == nil {
		t.Fatal("the jupyterhub chart rendered no singleuser NetworkPolicy")
	}
	vpc := netip.MustParsePrefix(parseConfig(t, "").Network.VpcCidr)
	endpoint := vpc.Addr().Next().Next().Next().Next().String() // an address in the VPC, as an endpoint ENI has
	tests := []struct {
		what  string
		ip    string
		port  int32
		allow bool
	}{
		{"instance metadata (IMDS), the node role's credentials", "169.254.169.254", 80, false},
		{"instance metadata over another port", "169.254.169.254", 443, false},
		{"DNS on the metadata address (z2jh's dnsPortsCloudMetadataServer)", "169.254.169.254", 53, true},
		{"an interface endpoint in the VPC (STS for IRSA, Glue, Athena)", endpoint, 443, true},
		{"another private range (pods, services)", "172.20.0.10", 443, true},
		{"S3 and the internet", "52.216.1.2", 443, true},
	}
	for _, tc := range tests {
		if got := egressAllowed(t, *np, tc.ip, tc.port); got != tc.allow {
			t.Errorf("%s (%s:%d): allowed = %v, want %v", tc.what, tc.ip, tc.port, got, tc.allow)
		}
	}
}
