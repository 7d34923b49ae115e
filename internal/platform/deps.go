package platform

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/deploy"
	"github.com/sqletl/blueprint/internal/outputs"
)

// StackAPI is what the actions need of CloudFormation.
type StackAPI interface {
	deploy.API
}

// IdentityAPI is the STS call of the preflight.
type IdentityAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// ObjectAPI is what the actions need of S3: staging templates and
// emptying the buckets blueprint owns.
type ObjectAPI interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	DeleteObjects(context.Context, *s3.DeleteObjectsInput, ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
	HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	DeleteBucket(context.Context, *s3.DeleteBucketInput, ...func(*s3.Options)) (*s3.DeleteBucketOutput, error)
}

// SecretAPI reads the generated login.
type SecretAPI interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// AWS groups the AWS clients the actions use.
type AWS struct {
	Stacks   StackAPI
	Identity IdentityAPI
	Objects  ObjectAPI
	Secrets  SecretAPI
	// LoadBalancers lists the deployment's in-cluster load balancers, so
	// `down` can wait until they are gone. Nil skips the wait.
	LoadBalancers LoadBalancerLister
	// Clusters reads the deployed cluster's Kubernetes version before `up`
	// changes anything. Nil skips the check.
	Clusters ClusterVersionAPI
	// Zones lists the account's availability zones for `up`. Nil keeps the
	// configured (or placeholder) zones.
	Zones ZoneAPI
	// Leftovers finds what Kubernetes and AWS created for the deployment
	// outside its stacks (volumes, snapshots, interfaces, security groups,
	// load balancers, log groups). Nil: down neither looks nor snapshots.
	Leftovers LeftoverAPI
}

// LoadBalancerLister lists load balancers that in-cluster controllers made
// for a cluster (by their ownership tags), by ARN or name.
type LoadBalancerLister interface {
	ClusterLoadBalancers(ctx context.Context, cluster string) ([]string, error)
}

// Cluster is the Kubernetes side of the actions.
type Cluster interface {
	// Connect returns a client config for the platform's cluster.
	Connect(ctx context.Context, out *outputs.Platform) (*rest.Config, error)
}

// Releases installs and removes the in-cluster platform (Helm releases
// and what they need, such as the hub's login Secret).
type Releases interface {
	// Apply installs or upgrades every release and waits until ready.
	Apply(ctx context.Context, kube *rest.Config, cfg *config.Config, out *outputs.Platform, login Login) error
	// Uninstall removes every release, load balancers first, and waits.
	Uninstall(ctx context.Context, kube *rest.Config, cfg *config.Config) error
	// List reports the installed releases.
	List(ctx context.Context, kube *rest.Config, cfg *config.Config) ([]ReleaseStatus, error)
	// Planned lists the releases Apply would install, offline.
	Planned(cfg *config.Config) []ReleaseStatus
}

// Login is the JupyterHub login read from Secrets Manager. It is passed to
// Releases.Apply, which writes it into a Kubernetes Secret; it is never
// printed or put in Helm values.
type Login struct {
	Username, Password string
}

// String hides the password from any accidental %v.
func (l Login) String() string { return "Login{" + l.Username + ", ***}" }

// ReleaseStatus is one Helm release.
type ReleaseStatus struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Chart     string `json:"chart"`
	Version   string `json:"version"`
	Status    string `json:"status,omitempty"`
}

// JobUploader installs the sample jobs: files in the code bucket and their
// Argo objects, once. Files the user changed are kept unless restore.
type JobUploader interface {
	Push(ctx context.Context, kube *rest.Config, out *outputs.Platform, restore bool) (SamplesResult, error)
}

// SamplesResult is what installing the samples did.
type SamplesResult struct {
	Uploaded int
	// Kept lists sample files left as the user changed (or removed) them.
	Kept []string
}

// EventLogPreparer makes the Spark event-log directory exist in the logs
// bucket: the History Server exits at start when it does not, and Helm
// waits for it.
type EventLogPreparer interface {
	PrepareEventLogs(ctx context.Context, out *outputs.Platform) error
}

// Synthesizer writes the cloud assembly for cfg to dir.
type Synthesizer func(ctx context.Context, cfg *config.Config, dir string) (*assembly.Assembly, error)
