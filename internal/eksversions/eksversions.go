// Package eksversions is the one table of what blueprint runs on each
// supported Kubernetes minor: the EKS managed add-on versions, and the
// upgrade rules `up` enforces (one minor at a time, never down). It is a
// leaf package (no CDK, no AWS SDK) so the constructs, `plan` and `up` all
// read the same facts.
package eksversions

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The add-ons blueprint installs, by their EKS add-on names.
const (
	VpcCni           = "vpc-cni"
	KubeProxy        = "kube-proxy"
	CoreDNS          = "coredns"
	EbsCsi           = "aws-ebs-csi-driver"
	CloudWatch       = "amazon-cloudwatch-observability"
	PodIdentityAgent = "eks-pod-identity-agent" // not installed: blueprint uses IRSA
	sourceChecked    = "2026-11-30"
	srcCoreDNS       = "Amazon EKS User Guide, \"Manage CoreDNS\", table \"CoreDNS versions\" (docs.aws.amazon.com/ja_jp/eks/latest/userguide/managing-coredns.md; rows 1.36 and 1.35 v1.14.3-eksbuild.3, 1.34 v1.13.2-eksbuild.11), read " + sourceChecked
	srcKubeProxy     = "Amazon EKS User Guide, \"Manage kube-proxy\", table \"kube-proxy versions\" (docs.amazonaws.cn/zh_cn/eks/latest/userguide/managing-kube-proxy.md; rows 1.35 v1.35.3-eksbuild.2, 1.34 v1.34.6-eksbuild.2), read " + sourceChecked
	srcVpcCni        = "a public EKS 1.35 add-on configuration pinning vpc-cni v1.21.1-eksbuild.3 next to kube-proxy v1.35.0-eksbuild.2 (GitHub code search, " + sourceChecked + "); AWS publishes one vpc-cni version for every supported minor (\"Amazon VPC CNI versions\" table, managing-vpc-cni)"
	unpublished      = "no published version for this minor was found (" + sourceChecked + "); left to EKS's default for the cluster version until `hack/addon-versions.sh` (aws eks describe-addon-versions) is run with credentials"
)

// Addon is one managed add-on's pin for one Kubernetes minor.
type Addon struct {
	Name string
	// Version is the AddonVersion to pin; empty leaves EKS's default for the
	// cluster's version (recorded in Source why).
	Version string
	Source  string
}

// Pinned reports whether the add-on carries an explicit version.
func (a Addon) Pinned() bool { return a.Version != "" }

// table maps each supported Kubernetes minor to its add-ons, in the order
// blueprint creates them.
var table = map[string][]Addon{
	"1.34": {
		{VpcCni, "v1.21.1-eksbuild.3", srcVpcCni},
		{KubeProxy, "v1.34.6-eksbuild.2", srcKubeProxy},
		{CoreDNS, "v1.13.2-eksbuild.11", srcCoreDNS},
		{EbsCsi, "", unpublished},
		{CloudWatch, "", unpublished},
	},
	"1.35": {
		{VpcCni, "v1.21.1-eksbuild.3", srcVpcCni},
		{KubeProxy, "v1.35.3-eksbuild.2", srcKubeProxy},
		{CoreDNS, "v1.14.3-eksbuild.3", srcCoreDNS},
		{EbsCsi, "", unpublished},
		{CloudWatch, "", unpublished},
	},
	"1.36": {
		{VpcCni, "v1.21.1-eksbuild.3", srcVpcCni},
		{KubeProxy, "", unpublished},
		{CoreDNS, "v1.14.3-eksbuild.3", srcCoreDNS},
		{EbsCsi, "", unpublished},
		{CloudWatch, "", unpublished},
	},
}

// Minors lists the Kubernetes minors the table covers, oldest first.
func Minors() []string {
	out := make([]string, 0, len(table))
	for m := range table {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b string) int { return minorOf(a) - minorOf(b) })
	return out
}

// Addons returns the add-on pins for a Kubernetes minor ("1.35").
func Addons(minor string) ([]Addon, bool) {
	a, ok := table[minor]
	return slices.Clone(a), ok
}

// AddonVersion is the pinned version of one add-on on a minor ("" when
// unpinned or unknown).
func AddonVersion(minor, name string) string {
	for _, a := range table[minor] {
		if a.Name == name {
			return a.Version
		}
	}
	return ""
}

// Change is what moving a cluster from Deployed to Target means.
type Change int

const (
	// Create: no cluster is deployed yet.
	Create Change = iota
	// Same minor: nothing to upgrade.
	Same
	// Upgrade by exactly one minor: control plane, then add-ons, then node groups.
	Upgrade
)

// CheckUpgrade compares the deployed cluster's version ("" when there is
// none) with the configured one. EKS upgrades one minor at a time and
// never downgrades (Amazon EKS User Guide, "Update existing cluster to new
// Kubernetes version": "you can't downgrade", and the update moves to the
// next minor only); both are refused here before any change is made.
func CheckUpgrade(deployed, target string) (Change, error) {
	if deployed == "" {
		return Create, nil
	}
	d, t := minorOf(deployed), minorOf(target)
	if d < 0 || t < 0 || major(deployed) != major(target) {
		return 0, fmt.Errorf("cannot compare %q with the deployed cluster's %q; use a version like \"1.35\"", target, deployed)
	}
	switch {
	case t == d:
		return Same, nil
	case t < d:
		return 0, fmt.Errorf("is %s but the deployed cluster runs %s; EKS cannot downgrade, set %q", target, deployed, deployed)
	case t > d+1:
		return 0, fmt.Errorf("is %s but the deployed cluster runs %s; EKS upgrades one minor version at a time, set \"%s.%d\", run up, then continue", target, deployed, major(deployed), d+1)
	}
	return Upgrade, nil
}

// minorOf returns the minor of "1.35" (or "1.35.2"), -1 when malformed.
func minorOf(v string) int {
	parts := strings.Split(v, ".")
	if len(parts) < 2 {
		return -1
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		return -1
	}
	return n
}

func major(v string) string { m, _, _ := strings.Cut(v, "."); return m }
