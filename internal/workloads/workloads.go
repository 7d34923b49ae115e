// Package workloads names the Kubernetes identities blueprint creates: the
// namespaces and service accounts that the IRSA roles (CDK) trust and that
// the charts create. Both sides read these, so they cannot drift apart.
package workloads

// Namespaces owned by the blueprint.
const (
	NamespaceSpark   = "spark"
	NamespaceJupyter = "jupyter"
	NamespaceArgo    = "argo"
	NamespaceSystem  = "kube-system"
	// NamespaceCloudWatch is where the amazon-cloudwatch-observability add-on runs.
	NamespaceCloudWatch = "amazon-cloudwatch"
)

// ServiceAccount is one IRSA-bound Kubernetes service account.
type ServiceAccount struct {
	Namespace string
	Name      string
}

// Subject is the OIDC token subject the IAM trust policy matches.
func (s ServiceAccount) Subject() string {
	return "system:serviceaccount:" + s.Namespace + ":" + s.Name
}

// The service accounts that get an IAM role.
var (
	// ArcJob runs Argo workflow pods and the Spark driver/executors of ETL jobs.
	ArcJob = ServiceAccount{NamespaceSpark, "arcjob"}
	// Notebook is the identity of JupyterHub single-user (Arc kernel) pods.
	Notebook = ServiceAccount{NamespaceJupyter, "notebook"}
	// ArgoServer reads archived workflow logs and artifacts from the logs bucket.
	ArgoServer = ServiceAccount{NamespaceArgo, "argo-server"}
	// SparkHistory (the Spark History Server) reads Spark event logs from
	// the logs bucket, read-only.
	SparkHistory = ServiceAccount{NamespaceSpark, "spark-history"}
	// ClusterAutoscaler scales the managed node groups.
	ClusterAutoscaler = ServiceAccount{NamespaceSystem, "cluster-autoscaler"}
	// LoadBalancerController runs the AWS Load Balancer Controller (public access only).
	LoadBalancerController = ServiceAccount{NamespaceSystem, "aws-load-balancer-controller"}
	// EBSCSIController is the EBS CSI add-on's controller (persistent notebook homes).
	EBSCSIController = ServiceAccount{NamespaceSystem, "ebs-csi-controller-sa"}
	// CloudWatchAgent is the amazon-cloudwatch-observability add-on (Container Insights).
	CloudWatchAgent = ServiceAccount{NamespaceCloudWatch, "cloudwatch-agent"}
)

// Node labels that place pods on the two node groups.
const (
	LifecycleLabel    = "lifecycle"
	LifecycleOnDemand = "OnDemand"
	LifecycleSpot     = "Ec2Spot"
)

// SparkEventsPrefix is the key prefix of Spark event logs in the logs
// bucket: jobs and notebooks write there, the History Server's role may
// read only there.
const SparkEventsPrefix = "spark-events"
