package awsapi

import "testing"

// Only this deployment's resources are ever matched: another cluster's,
// a subnet-style "shared" mark, and blueprint's deployment tag on anything
// but a volume or snapshot (CloudFormation puts it on what the stacks
// create) are not.
func TestOwnerOwns(t *testing.T) {
	o := ClusterOwner("blueprint:deployment", "etl", "etl")
	for _, tc := range []struct {
		name string
		kind string
		tags map[string]string
		want bool
	}{
		{"CSI volume of the StorageClass", KindVolume, map[string]string{"blueprint:deployment": "etl", TagCSIClaimName: "claim-alice"}, true},
		{"CSI volume with --k8s-tag-cluster-id", KindVolume, map[string]string{TagCSIClusterID: "etl"}, true},
		{"snapshot down took", KindSnapshot, map[string]string{"blueprint:deployment": "etl"}, true},
		{"another deployment's volume", KindVolume, map[string]string{"blueprint:deployment": "etl2", TagCSIClusterID: "etl2"}, false},
		{"LBC security group", KindSecurityGroup, map[string]string{TagLBCCluster: "etl"}, true},
		{"EKS-owned security group", KindSecurityGroup, map[string]string{"kubernetes.io/cluster/etl": "owned"}, true},
		{"shared mark (subnets)", KindSecurityGroup, map[string]string{"kubernetes.io/cluster/etl": "shared"}, false},
		{"stack security group with the deployment tag", KindSecurityGroup, map[string]string{"blueprint:deployment": "etl", TagStack: "etl-network"}, false},
		{"CNI interface", KindNetworkInterface, map[string]string{TagCNICluster: "etl"}, true},
		{"another cluster's interface", KindNetworkInterface, map[string]string{TagCNICluster: "etl-dev"}, false},
		{"LBC load balancer", KindLoadBalancer, map[string]string{TagLBCCluster: "etl"}, true},
		{"untagged", KindTargetGroup, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := o.Owns(tc.kind, tc.tags); got != tc.want {
				t.Errorf("Owns(%s, %v) = %v, want %v", tc.kind, tc.tags, got, tc.want)
			}
		})
	}
	for _, p := range o.LogGroupPrefixes {
		if p != "/aws/eks/etl/" && p != "/aws/containerinsights/etl/" {
			t.Errorf("log group prefix %q", p)
		}
	}
}
