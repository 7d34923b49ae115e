package critpath

import (
	"encoding/json"
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
}

// Table maps a resource kind to its typical durations. The kind is the
// CloudFormation type, except for AWS::EC2::VPCEndpoint, whose kind is
// suffixed with its VpcEndpointType ("AWS::EC2::VPCEndpoint/Interface"):
// gateway endpoints are route-table entries, interface endpoints are ENIs
// with private DNS and take minutes.
type Table map[string]Duration

// Sources cited in the table. Figures without a measured public source are
// marked "estimate" with the reasoning; they are small next to the EKS
// figures that dominate, which the docs/performance.md sensitivity notes
// vary.
const (
	srcEKSDoc   = "AWS CloudFormation User Guide, AWS::EKS::Cluster (earlier edition; the current one says \"several minutes\"): \"Cluster creation typically takes between 10 and 15 minutes\" (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-eks-cluster.html)"
	srcEKSEason = "easontechtalk.com, \"Unofficial EKS Cluster Creation Performance\": control planes measured in 21 regions from 792 s (13:13, eu-west-2) to over 16 min (971 s, us-west-1) (https://easontechtalk.com/unofficial-eks-cluster-creation-performance-across-aws-regions)"
	srcEKSDel   = "vmware-archive/kube-prod-runtime#512: EKS \"cluster delete generally takes less than 5 mins\" (https://github.com/vmware-archive/kube-prod-runtime/pull/512)"
	srcNGDel    = "gruntwork-io/cloud-nuke#339: EKS managed node group ASGs \"can take upwards of 10 minutes to delete with 4 instances\" (https://github.com/gruntwork-io/cloud-nuke/issues/339); our groups hold 2 nodes each by default"
	srcNG       = "estimate 3–5 min for a managed node group to reach ACTIVE (EC2 launch, bootstrap, nodes Ready); one public recorded Terraform apply shows a 2-node group complete after 1m47s (after an 8m21s control plane), and CloudFormation waits for ACTIVE the same way"
	srcNAT      = "public Terraform apply logs (text search of public repositories) show aws_nat_gateway complete after 1m25s–2m05s"
	srcVPCE     = "interface endpoints go pendingAcceptance → pending → available while ENIs and private DNS are set up, ~1–2 min (AWS PrivateLink user guide, interface endpoint lifecycle); aws/aws-cdk#20548 shows instances launched before endpoints stabilize"
	srcAddon    = "EKS managed add-on reaches ACTIVE once its pods run: ~1–2 min for Deployments on fresh nodes (estimate; terraform-aws-eks docs on before_compute add-ons describe the ordering)"
	srcIAM      = "estimate: IAM is eventually consistent; CloudFormation waits for propagation after CreateRole/PutRolePolicy, typically 10–20 s"
	srcKMS      = "public Terraform apply logs show aws_kms_key complete after 12–29 s"
	srcFast     = "estimate: a single synchronous API call plus CloudFormation's polling, a few seconds"
	srcOverhead = "estimate: blueprint's deployer creates a change set, waits for it (~10–20 s), executes it and polls; plus the final stack-status poll"
	srcUnknown  = "default for types not in the table: 30 s each way"
)

// DefaultTable returns the durations blueprint's model uses.
func DefaultTable() Table {
	s := time.Second
	fast := func(c, d int) Duration {
		return Duration{Create: time.Duration(c) * s, Delete: time.Duration(d) * s, Source: srcFast}
	}
	return Table{
		"AWS::EKS::Cluster":   {Create: 13 * time.Minute, Delete: 5 * time.Minute, Source: srcEKSDoc + "; " + srcEKSEason + "; " + srcEKSDel},
		"AWS::EKS::Nodegroup": {Create: 4 * time.Minute, Delete: 6 * time.Minute, Source: srcNG + "; " + srcNGDel},
		"AWS::EKS::Addon":     {Create: 90 * s, Delete: 30 * s, Source: srcAddon},
		"AWS::EKS::AccessEntry": {Create: 10 * s, Delete: 10 * s,
			Source: "estimate: one EKS API call (CreateAccessEntry + AssociateAccessPolicy)"},

		"AWS::EC2::NatGateway":            {Create: 105 * s, Delete: 60 * s, Source: srcNAT},
		"AWS::EC2::VPCEndpoint/Interface": {Create: 120 * s, Delete: 90 * s, Source: srcVPCE},
		"AWS::EC2::VPCEndpoint/Gateway":   fast(10, 10),
		"AWS::EC2::VPC": {Create: 15 * s, Delete: 10 * s,
			Source: "estimate: CreateVpc plus DNS attribute updates"},
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

		"AWS::IAM::Role":         {Create: 15 * s, Delete: 10 * s, Source: srcIAM},
		"AWS::IAM::Policy":       {Create: 15 * s, Delete: 5 * s, Source: srcIAM},
		"AWS::IAM::OIDCProvider": fast(5, 5),

		"AWS::KMS::Key":               {Create: 30 * s, Delete: 5 * s, Source: srcKMS + "; delete only schedules deletion"},
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
var DefaultStackOverhead = Duration{Create: 30 * time.Second, Delete: 15 * time.Second, Source: srcOverhead}

// Release is one Helm release of the in-cluster phase.
type Release struct {
	Name string
	// Install is helm install (or upgrade) until every resource is ready,
	// image pulls included; Uninstall until its resources are gone.
	Install, Uninstall time.Duration
	// After lists releases that must be installed first.
	After []string
}

// DefaultReleases is the in-cluster phase up runs after the stacks, as
// helmrelease.Releases.Apply runs it for the default config: blueprint's
// own chart first (namespaces, service accounts, the hub's login Secret
// right after it), then the upstream releases at the same time, each
// waited for. The load
// balancer controller is installed only with public access, off by
// default. The figures are estimates (chart resources ready, images pulled
// on fresh nodes): JupyterHub pulls the hub, proxy and the large
// single-user (Arc kernel) images, which dominate.
func DefaultReleases() []Release {
	return []Release{
		{Name: "blueprint", Install: 10 * time.Second, Uninstall: 10 * time.Second},
		{Name: "cluster-autoscaler", Install: 30 * time.Second, Uninstall: 10 * time.Second, After: []string{"blueprint"}},
		{Name: "argo-workflows", Install: 60 * time.Second, Uninstall: 20 * time.Second, After: []string{"blueprint"}},
		{Name: "jupyterhub", Install: 4 * time.Minute, Uninstall: 30 * time.Second, After: []string{"blueprint"}},
	}
}

// DefaultLoadBalancerWait is how long down waits, after uninstalling, for
// in-cluster load balancers (and their ENIs) to be gone: an estimate of
// ELB deletion plus ENI release.
const DefaultLoadBalancerWait = 90 * time.Second

// DefaultBucketEmptying is down's emptying of the code and logs buckets
// (estimate for a few hundred objects).
const DefaultBucketEmptying = 10 * time.Second

// kind is the table key of a resource.
func kind(r assembly.Resource) string {
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

// lookup returns the durations of r's kind, or unknown.
func (t Table) lookup(r assembly.Resource, unknown Duration) (Duration, bool) {
	if d, ok := t[kind(r)]; ok {
		return d, true
	}
	return unknown, false
}
