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
)

// Installed lists the managed add-ons blueprint creates, in creation
// order: every supported minor pins each of them (a test fails on a
// missing pair).
var Installed = []string{VpcCni, KubeProxy, CoreDNS, EbsCsi, CloudWatch}

// Where the versions come from. AWS publishes a per-minor table for
// kube-proxy and CoreDNS only; for vpc-cni its table (managing-vpc-cni)
// stops at 1.33 in every copy readable offline, and for the EBS CSI
// driver and the CloudWatch observability add-on AWS publishes no table
// at all (the EKS User Guide sends readers to describe-addon-versions,
// "Verify Amazon EKS add-on version compatibility with a cluster",
// docs.aws.amazon.com/eks/latest/userguide/addon-compat.md). For those
// three the pin is the one build a public record shows EKS running on
// all three supported minors; `hack/addon-versions.sh` (read-only,
// needs credentials) prints EKS's own answer to compare.
const (
	checked    = "2026-11-30"
	srcCoreDNS = "AWS: Amazon EKS User Guide, \"Manage CoreDNS\", table \"CoreDNS versions\", " +
		"https://docs.aws.amazon.com/ja_jp/eks/latest/userguide/managing-coredns.md (rows 1.36 and 1.35 v1.14.3-eksbuild.3, 1.34 v1.13.2-eksbuild.11), read " + checked
	srcKubeProxy = "AWS: Amazon EKS User Guide, \"Manage kube-proxy\", table \"kube-proxy versions\", " +
		"https://docs.aws.amazon.com/ja_jp/eks/latest/userguide/managing-kube-proxy.md (rows 1.36 v1.36.0-eksbuild.14, 1.35 v1.35.3-eksbuild.13, 1.34 v1.34.6-eksbuild.13), read " + checked
	// One record covers the three: a cluster taken 1.34 → 1.35 → 1.36 that
	// was moved to these builds while on 1.34 and kept them through both
	// upgrades ("CloudWatch observability v6.7.0 is already the 1.36
	// default").
	observed  = "a public EKS upgrade record (GitHub code index, document 68483747815: 1.34 → 1.36, nodes on AMI 1.36.4-20260917) runs it on 1.34, 1.35 and 1.36"
	srcVpcCni = "AWS: aws/amazon-vpc-cni-k8s README (v1.22.2), \"For all Kubernetes releases, we recommend installing the latest VPC CNI release\" " +
		"(https://github.com/aws/amazon-vpc-cni-k8s); the Amazon EKS User Guide's \"Amazon VPC CNI versions\" table " +
		"(https://docs.aws.amazon.com/eks/latest/userguide/managing-vpc-cni.md) likewise lists one build for every minor but stops at 1.33 offline; " +
		"build v1.22.4-eksbuild.3: " + observed + ", read " + checked
	srcEbsCsi = "AWS publishes no per-minor table (https://docs.aws.amazon.com/eks/latest/userguide/addon-compat.md: use describe-addon-versions); " +
		"build v1.66.0-eksbuild.1: " + observed + ", read " + checked
	srcCloudWatch = "AWS publishes no per-minor table (https://docs.aws.amazon.com/eks/latest/userguide/addon-compat.md names this add-on as its describe-addon-versions example); " +
		"build v6.7.0-eksbuild.1, the 1.36 default: " + observed + ", read " + checked
)

// Addon is one managed add-on's pin for one Kubernetes minor.
type Addon struct {
	Name string
	// Version is the AddonVersion CloudFormation pins.
	Version string
	// Source says where Version comes from, with the date it was read.
	Source string
}

// Pinned reports whether the add-on carries an explicit version.
func (a Addon) Pinned() bool { return a.Version != "" }

// table maps each supported Kubernetes minor to its add-ons, in the order
// blueprint creates them.
var table = map[string][]Addon{
	"1.34": {
		{VpcCni, "v1.22.4-eksbuild.3", srcVpcCni},
		{KubeProxy, "v1.34.6-eksbuild.13", srcKubeProxy},
		{CoreDNS, "v1.13.2-eksbuild.11", srcCoreDNS},
		{EbsCsi, "v1.66.0-eksbuild.1", srcEbsCsi},
		{CloudWatch, "v6.7.0-eksbuild.1", srcCloudWatch},
	},
	"1.35": {
		{VpcCni, "v1.22.4-eksbuild.3", srcVpcCni},
		{KubeProxy, "v1.35.3-eksbuild.13", srcKubeProxy},
		{CoreDNS, "v1.14.3-eksbuild.3", srcCoreDNS},
		{EbsCsi, "v1.66.0-eksbuild.1", srcEbsCsi},
		{CloudWatch, "v6.7.0-eksbuild.1", srcCloudWatch},
	},
	"1.36": {
		{VpcCni, "v1.22.4-eksbuild.3", srcVpcCni},
		{KubeProxy, "v1.36.0-eksbuild.14", srcKubeProxy},
		{CoreDNS, "v1.14.3-eksbuild.3", srcCoreDNS},
		{EbsCsi, "v1.66.0-eksbuild.1", srcEbsCsi},
		{CloudWatch, "v6.7.0-eksbuild.1", srcCloudWatch},
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
