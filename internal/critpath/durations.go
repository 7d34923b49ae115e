package critpath

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/sqletl/blueprint/internal/assembly"
)

// Duration is how long CloudFormation typically takes to create and to
// delete one resource of a type, from the resource's CREATE_IN_PROGRESS
// (DELETE_IN_PROGRESS) to its CREATE_COMPLETE (DELETE_COMPLETE) event.
type Duration struct {
	Create, Delete time.Duration
	// Source says where the figure comes from.
	Source string
	// Samples are the dated (2026) creation times Source reports for the
	// kind, one per log; Create is the slowest of them. Table.With picks
	// another of them to show how much the model's answer rests on that
	// choice. Estimates have none.
	Samples []time.Duration
}

// Pick says which of a measured kind's samples the model uses.
type Pick string

const (
	// Slowest is the table as it is.
	Slowest Pick = "slowest"
	// Median is the middle sample (the mean of the middle two for an even
	// count), as DefaultControlPlane's typical value is.
	Median Pick = "median"
	// Fastest is the quickest sample.
	Fastest Pick = "fastest"
)

// Picks are the choices Table.With takes, slowest first.
var Picks = []Pick{Slowest, Median, Fastest}

// With returns a copy of t whose measured kinds (those with Samples)
// take p of their samples to create; everything else is unchanged.
func (t Table) With(p Pick) Table {
	out := make(Table, len(t))
	for k, v := range t {
		if n := len(v.Samples); n > 0 {
			s := slices.Clone(v.Samples)
			slices.Sort(s)
			switch p {
			case Slowest:
				v.Create = s[n-1]
			case Median:
				v.Create = (s[(n-1)/2] + s[n/2]) / 2
			case Fastest:
				v.Create = s[0]
			}
		}
		out[k] = v
	}
	return out
}

// Table maps a resource kind to its typical durations. The kind is the
// CloudFormation type, except for AWS::EC2::VPCEndpoint, whose kind is
// suffixed with its VpcEndpointType ("AWS::EC2::VPCEndpoint/Interface"):
// gateway endpoints are route-table entries, interface endpoints are ENIs
// with private DNS and take most of a minute; and AWS::EKS::Addon, suffixed with its
// AddonName ("AWS::EKS::Addon/coredns"), falling back to the bare type.
type Table map[string]Duration

// Sources cited in the table, newest first. Figures without a measured
// public source are marked "estimate" with the reasoning. Terraform and
// OpenTofu print "Creation complete after" per resource from its create
// call to the state its provider waits for (ACTIVE for EKS), which is what
// CloudFormation's handlers wait for too.
const (
	// Measured, dated logs (the newest found; EKS 1.36 and 1.37).
	srcClinic = "terraform apply log of the ClinicDesk project (terraform-aws-modules/eks 21.26.0, EKS 1.36, ap-south-1, " +
		"re-applied 2026-10-07): aws_nat_gateway 1m34s, aws_eks_cluster 9m22s, vpc-cni (before compute) 24s, managed node group " +
		"(2 × t3.medium) 2m10s, coredns 14s, kube-proxy 24s, aws-ebs-csi-driver 46s; its terraform destroy (same README): managed " +
		"node group 8m21s, aws_eks_cluster 2m31s, aws_nat_gateway 1m19s"
	srcOtel = "live validation record of an OpenTelemetry demo on EKS (OpenTofu 1.12, EKS 1.36, us-east-1, 2026-09-09): " +
		"aws_eks_cluster 10m8s, vpc-cni (before compute) 35s, managed node group (2 × m7g.xlarge) 1m28s, kube-proxy 25s, coredns 56s"
	srcDevsu = "ignvb/devsu-devops-assessment IaC/Apply_output.md (terraform apply, us-east-1, 2023-08-01): aws_vpc 14s, " +
		"aws_kms_key 20s, aws_nat_gateway 1m47s, aws_eks_cluster 10m44s, managed node group 1m20s"
	srcEKSEason = "easontechtalk.com, \"Unofficial EKS Cluster Creation Performance\" (undated; slower than every 2026 log above): " +
		"control planes measured in 21 regions from 13:13 (eu-west-2) to 16:11 (us-west-1) " +
		"(https://easontechtalk.com/unofficial-eks-cluster-creation-performance-across-aws-regions)"
	srcIncident = "Zingzy/incident-tracker README.md (terraform apply and destroy, EKS 1.37, ap-south-1, AL2023 AMI of 2026-09-28): " +
		"aws_eks_cluster 8m14s, managed node group (1 × t3.small) 1m52s, aws_nat_gateway 1m24s; destroy: node group 8m12s, " +
		"aws_eks_cluster 2m32s, aws_nat_gateway 50s"
	srcVPCE = "terraform apply transcript of the onnx-acoustic project, phase 5 (eu-central-1, April 2026: image tag " +
		"inference-fix-2026-04-14): three interface endpoints (logs, ecr.dkr, ecr.api) with private DNS, created in parallel, " +
		"\"Creation complete after 43s\" each; delete: estimate, no measured destroy found: ENIs and the private hosted zone are " +
		"removed, ~1–2 min"
	srcCWObs  = "estimate, no dated measurement found: amazon-cloudwatch-observability runs an operator Deployment plus agent and Fluent Bit DaemonSets, so it is taken as the slowest measured add-on (coredns, 56s) plus a little"
	srcAddonD = "estimate: EKS deletes the add-on's objects; no pods need to start"
	srcIAM    = "estimate: IAM is eventually consistent; CloudFormation waits for propagation after CreateRole/PutRolePolicy, typically 10–20 s"
	srcFast   = "estimate: a single synchronous API call plus CloudFormation's polling, a few seconds"
	// blueprint's deployer (internal/deploy) creates a new stack with
	// CreateStack directly, no change set, and polls with wait.Default
	// (1 s doubling to 10 s); the large cluster template is first put in
	// the code bucket.
	srcOverhead = "blueprint's deployer: DescribeStacks, template staging (cluster stack only), CreateStack (new stacks get no change set), then polls every ≤ 10 s (wait.Default), so a stack is seen complete up to 10 s late; delete: DeleteStack and the same polls"
	srcUnknown  = "default for types not in the table: 30 s each way"
)

// ControlPlane is the EKS control plane's creation time as a range: it
// dominates up and varies by region and day, so the model reports up at
// each end and at the typical value.
type ControlPlane struct {
	Low, Typical, High time.Duration
	Source             string
}

// DefaultControlPlane: low and typical from the three 2026 logs (8:14,
// 9:22, 10:08: the fastest and the median), high from the slowest region
// measured (16:11).
var DefaultControlPlane = ControlPlane{
	Low: 8*time.Minute + 14*time.Second, Typical: 9*time.Minute + 22*time.Second, High: 16*time.Minute + 11*time.Second,
	Source: "low " + srcIncident + "; typical (the median of the three 2026 logs) " + srcClinic + "; high " + srcEKSEason +
		"; also " + srcOtel + "; " + srcDevsu,
}

// TypeEKSCluster is the control plane's resource type.
const TypeEKSCluster = "AWS::EKS::Cluster"

// WithControlPlane returns a copy of t whose control plane takes d to create.
func (t Table) WithControlPlane(d time.Duration) Table {
	out := make(Table, len(t))
	for k, v := range t {
		out[k] = v
	}
	c := out[TypeEKSCluster]
	c.Create = d
	out[TypeEKSCluster] = c
	return out
}

// DefaultTable returns the durations blueprint's model uses, the control
// plane at its typical value.
func DefaultTable() Table {
	s := time.Second
	fast := func(c, d int) Duration {
		return Duration{Create: time.Duration(c) * s, Delete: time.Duration(d) * s, Source: srcFast}
	}
	addon := func(c time.Duration, src string, samples ...time.Duration) Duration {
		return Duration{Create: c, Delete: 30 * s, Source: src + "; delete: " + srcAddonD, Samples: samples}
	}
	return Table{
		// Delete: the two 2026 destroy logs (2:31, 2:32).
		TypeEKSCluster: {Create: DefaultControlPlane.Typical, Delete: 2*time.Minute + 32*s,
			Source: DefaultControlPlane.Source + "; delete: " + srcClinic + "; " + srcIncident},
		// The slowest of the dated 2026 logs, each way (8:21 to delete
		// 2 × t3.medium, as many nodes as our on-demand group).
		"AWS::EKS::Nodegroup": {Create: 2*time.Minute + 10*s, Delete: 8*time.Minute + 21*s,
			Source:  srcClinic + "; " + srcOtel + "; " + srcIncident,
			Samples: []time.Duration{2*time.Minute + 10*s, 88 * s, time.Minute + 52*s}},
		// Managed add-ons, per add-on (the kind is suffixed with AddonName);
		// each the slower of the dated figures. "AWS::EKS::Addon" covers
		// any other add-on.
		"AWS::EKS::Addon/vpc-cni":                         addon(35*s, srcOtel+"; "+srcClinic, 35*s, 24*s),
		"AWS::EKS::Addon/kube-proxy":                      addon(25*s, srcOtel+"; "+srcClinic, 25*s, 24*s),
		"AWS::EKS::Addon/coredns":                         addon(56*s, srcOtel+"; "+srcClinic, 56*s, 14*s),
		"AWS::EKS::Addon/aws-ebs-csi-driver":              addon(46*s, srcClinic, 46*s),
		"AWS::EKS::Addon/amazon-cloudwatch-observability": addon(60*s, srcCWObs),
		"AWS::EKS::Addon":                                 addon(60*s, "estimate: the slowest measured add-on (coredns, 56s) plus a little"),
		"AWS::EKS::AccessEntry": {Create: 10 * s, Delete: 10 * s,
			Source: "estimate: one EKS API call (CreateAccessEntry + AssociateAccessPolicy)"},

		// The slower 2026 figure; the 2023 one (1m47s) is older than the rest.
		"AWS::EC2::NatGateway": {Create: 94 * s, Delete: 79 * s, Source: srcClinic + "; " + srcIncident + "; " + srcDevsu + " (1m47s)",
			Samples: []time.Duration{94 * s, 84 * s}},
		"AWS::EC2::VPCEndpoint/Interface": {Create: 43 * s, Delete: 90 * s, Source: srcVPCE, Samples: []time.Duration{43 * s}},
		"AWS::EC2::VPCEndpoint/Gateway":   fast(10, 10),
		"AWS::EC2::VPC": {Create: 15 * s, Delete: 10 * s,
			Source: srcDevsu + " (aws_vpc 14s)"},
		"AWS::EC2::Subnet": {Create: 5 * s, Delete: 10 * s,
			Source: "estimate; delete can wait for ENIs left by EKS or endpoints"},
		"AWS::EC2::InternetGateway":             fast(10, 5),
		"AWS::EC2::VPCGatewayAttachment":        {Create: 15 * s, Delete: 15 * s, Source: srcFast},
		"AWS::EC2::RouteTable":                  fast(5, 5),
		"AWS::EC2::SubnetRouteTableAssociation": fast(5, 5),
		"AWS::EC2::Route":                       fast(5, 5),
		"AWS::EC2::EIP":                         fast(5, 5),
		"AWS::EC2::SecurityGroup":               fast(5, 10),
		"AWS::EC2::FlowLog":                     fast(5, 5),

		"AWS::IAM::Role":   {Create: 15 * s, Delete: 10 * s, Source: srcIAM},
		"AWS::IAM::Policy": {Create: 15 * s, Delete: 5 * s, Source: srcIAM},
		// The permissions boundary: a customer managed policy, created and
		// propagated like an inline one.
		"AWS::IAM::ManagedPolicy": {Create: 15 * s, Delete: 5 * s, Source: srcIAM},
		"AWS::IAM::OIDCProvider":  fast(5, 5),

		"AWS::KMS::Key":               {Create: 20 * s, Delete: 5 * s, Source: srcDevsu + " (aws_kms_key 20s); delete only schedules deletion"},
		"AWS::S3::Bucket":             fast(5, 5),
		"AWS::S3::BucketPolicy":       fast(5, 5),
		"AWS::Logs::LogGroup":         fast(3, 3),
		"AWS::Glue::Database":         fast(3, 3),
		"AWS::Athena::WorkGroup":      fast(3, 3),
		"AWS::SecretsManager::Secret": fast(5, 5),
	}
}

// DefaultUnknown is used for kinds not in the table.
var DefaultUnknown = Duration{Create: 30 * time.Second, Delete: 30 * time.Second, Source: srcUnknown}

// DefaultStackOverhead is CloudFormation's per-stack cost before the first
// resource starts (change set, execution) in each direction.
var DefaultStackOverhead = Duration{Create: 15 * time.Second, Delete: 15 * time.Second, Source: srcOverhead}

// Release is one Helm release of the in-cluster phase.
type Release struct {
	Name string
	// Install is helm install (or upgrade) until every resource is ready,
	// image pulls included; Uninstall until its resources are gone.
	Install, Uninstall time.Duration
	// After lists releases that must be installed first.
	After []string
}

// In-cluster step names (helmrelease's release names and its
// PlatformReadyStep; a test in internal/helmrelease keeps
// DefaultReleases equal to the plan Apply runs).
const (
	ReleaseBlueprint      = "blueprint"
	ReleaseBlueprintReady = "blueprint-ready"
	ReleaseJupyterHub     = "jupyterhub"
)

// DefaultReleases is the in-cluster phase up runs after the stacks, as
// helmrelease.Releases.Apply runs it for the default config: blueprint's
// own chart first, not waited for (namespaces, service accounts, RBAC, the
// storage class, then the hub's login Secret), then at the same time the
// upstream releases, each waited for, and the readiness of blueprint's own
// workload (the Spark History Server). The load balancer controller is
// installed only with public access, off by default. The figures are
// estimates for fresh nodes; image pulls dominate them.
func DefaultReleases() []Release {
	after := []string{ReleaseBlueprint}
	// down: helmrelease.Uninstall runs `helm uninstall` without --wait
	// (it waits only for JupyterHub, and only with public access, where
	// the load balancer wait below covers the ALB), so each returns once
	// its deletes are sent: a few seconds.
	const un = 5 * time.Second
	return []Release{
		// Objects only, plus the login Secret and Argo's CRDs before it.
		{Name: ReleaseBlueprint, Install: 10 * time.Second, Uninstall: un},
		// The Spark History Server pulls the Arc image (Spark, Hadoop and
		// Arc's jars, several hundred MB) and starts a JVM.
		{Name: ReleaseBlueprintReady, Install: 90 * time.Second, After: after},
		{Name: "cluster-autoscaler", Install: 30 * time.Second, Uninstall: un, After: after},
		{Name: "argo-workflows", Install: 60 * time.Second, Uninstall: un, After: after},
		// Hub (its sqlite PVC on a new EBS volume), proxy and user
		// scheduler images; no pre-puller, so not the Arc kernel image,
		// which a user's first server pulls (helmrelease values.go).
		{Name: ReleaseJupyterHub, Install: 90 * time.Second, Uninstall: un, After: after},
	}
}

// DefaultLoadBalancerWait is how long down waits, after uninstalling, for
// in-cluster load balancers (and their ENIs) to be gone: an estimate of
// ELB deletion plus ENI release. Only with the load balancer controller
// (public access); see Options.LoadBalancerWait.
const DefaultLoadBalancerWait = 90 * time.Second

// DefaultBucketEmptying is down's emptying of the code and logs buckets
// (estimate for a few hundred objects).
const DefaultBucketEmptying = 10 * time.Second

// kind is the table key of a resource.
func kind(r assembly.Resource) string {
	if r.Type == "AWS::EKS::Addon" {
		var p struct {
			AddonName string `json:"AddonName"`
		}
		if json.Unmarshal(r.Properties, &p) == nil && p.AddonName != "" {
			return r.Type + "/" + p.AddonName
		}
		return r.Type
	}
	if r.Type != "AWS::EC2::VPCEndpoint" {
		return r.Type
	}
	var p struct {
		VpcEndpointType string `json:"VpcEndpointType"`
	}
	_ = json.Unmarshal(r.Properties, &p) // absent or malformed means the default
	if p.VpcEndpointType == "" {
		p.VpcEndpointType = "Gateway" // CloudFormation's default
	}
	return r.Type + "/" + p.VpcEndpointType
}

// lookup returns the durations of r's kind, else of its type (an add-on
// not listed by name), else unknown.
func (t Table) lookup(r assembly.Resource, unknown Duration) (Duration, bool) {
	if d, ok := t[kind(r)]; ok {
		return d, true
	}
	if d, ok := t[r.Type]; ok {
		return d, true
	}
	return unknown, false
}
