// Package charts holds blueprint's own Helm charts, embedded so the binary
// carries them, and the typed Go values each chart takes.
//
// The platform chart creates what the upstream releases (Argo Workflows,
// JupyterHub) and the ETL jobs rely on: the spark, jupyter and argo
// namespaces, the IRSA service accounts named in internal/workloads, RBAC,
// the arc-job WorkflowTemplate and the notebook StorageClass.
package charts

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/sqletl/blueprint/internal/arcruntime"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/sqletl/blueprint/internal/workloads"
)

// FS holds the chart sources: platform/Chart.yaml, platform/templates/...
//
//go:embed all:platform
var FS embed.FS

// PlatformDir is the platform chart's directory inside FS.
const PlatformDir = "platform"

// Platform loads the embedded platform chart.
func Platform() (*chart.Chart, error) {
	return load(PlatformDir)
}

func load(dir string) (*chart.Chart, error) {
	var files []*loader.BufferedFile
	err := fs.WalkDir(FS, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := FS.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: strings.TrimPrefix(p, dir+"/"), Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading embedded chart %s: %w", dir, err)
	}
	c, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("loading embedded chart %s: %w", path.Base(dir), err)
	}
	return c, nil
}

// PlatformValues are the platform chart's values (charts/platform/values.yaml);
// values.schema.json validates them when the chart renders.
type PlatformValues struct {
	Region          string        `json:"region"`
	DataLake        DataLake      `json:"dataLake"`
	CodeBucket      string        `json:"codeBucket"`
	LogsBucket      string        `json:"logsBucket"`
	GlueDatabase    string        `json:"glueDatabase"`
	AthenaWorkgroup string        `json:"athenaWorkgroup"`
	Roles           Roles         `json:"roles"`
	Images          Images        `json:"images"`
	JobSizes        JobSizes      `json:"jobSizes"`
	Retry           Retry         `json:"retry"`
	NodeSelectors   NodeSelectors `json:"nodeSelectors"`
	StorageClass    StorageClass  `json:"storageClass"`
	// SampleNotebooks are copied into each JupyterHub user's home.
	SampleNotebooks SampleNotebooks `json:"sampleNotebooks"`
	// SparkHistory is the Spark History Server over the jobs' and
	// notebooks' event logs.
	SparkHistory SparkHistory `json:"sparkHistory"`
}

// SparkHistory configures event logging and the History Server: jobs and
// notebook sessions write Spark event logs to s3a://<logsBucket>/<prefix>/
// and the History Server (same image as the jobs, its own read-only IRSA
// role) reads them.
type SparkHistory struct {
	Enabled bool `json:"enabled"`
	// Prefix is the key prefix of the event logs in the logs bucket.
	Prefix string `json:"prefix"`
}

// SampleNotebooks is the ConfigMap (namespace jupyter) that carries the
// sample jobs' notebooks and SQL to JupyterHub. The hub mounts it read-only
// and copies it into each home directory without overwriting user edits.
type SampleNotebooks struct {
	ConfigMap string       `json:"configMap"`
	Files     []SampleFile `json:"files"`
}

// SampleFile is one file of the ConfigMap: Key is its ConfigMap key (keys
// cannot hold "/"), Path where it appears under the mount.
type SampleFile struct {
	Key     string `json:"key"`
	Path    string `json:"path"`
	Content string `json:"content"`
}

// DataLake locates the data lake bucket and the KMS key its objects are encrypted with.
type DataLake struct {
	Bucket    string `json:"bucket"`
	KMSKeyARN string `json:"kmsKeyArn"`
}

// Roles are the IRSA role ARNs of the service accounts in internal/workloads;
// an empty ARN leaves the service account unannotated.
type Roles struct {
	ArcJob     string `json:"arcJob"`
	Notebook   string `json:"notebook"`
	ArgoServer string `json:"argoServer"`
	// SparkHistory reads the event logs (read-only on their prefix).
	SparkHistory string `json:"sparkHistory"`
}

// Images are the container images the chart references, pinned by tag or digest.
type Images struct {
	Arc string `json:"arc"`
}

// JobSizes are the Spark sizes of the arc-job WorkflowTemplate, one template each.
type JobSizes struct {
	Small  JobSize      `json:"small"`
	Medium JobSize      `json:"medium"`
	Large  JobSize      `json:"large"`
	Local  LocalJobSize `json:"local"`
}

// JobSize is a Spark driver plus executors on Spot nodes.
type JobSize struct {
	Driver   Process  `json:"driver"`
	Executor Executor `json:"executor"`
}

// LocalJobSize runs Spark inside the driver pod (master local[cpu]).
type LocalJobSize struct {
	Driver Process `json:"driver"`
}

// Process is one JVM: whole cores and Spark-style memory ("512m", "4g").
type Process struct {
	CPU    int    `json:"cpu"`
	Memory string `json:"memory"`
}

// Executor is a Process run Instances times.
type Executor struct {
	CPU       int    `json:"cpu"`
	Memory    string `json:"memory"`
	Instances int    `json:"instances"`
}

// Retry is the Argo retryStrategy of every job template.
type Retry struct {
	Limit       int     `json:"limit"`
	RetryPolicy string  `json:"retryPolicy"`
	Backoff     Backoff `json:"backoff"`
}

// Backoff spaces retries: Duration, ×Factor, at most Cap apart, MaxDuration in all.
// Durations are Argo strings ("30s", "1m").
type Backoff struct {
	Duration    string `json:"duration"`
	Factor      int    `json:"factor"`
	Cap         string `json:"cap"`
	MaxDuration string `json:"maxDuration"`
}

// NodeSelectors place drivers on on-demand nodes and executors on Spot nodes.
type NodeSelectors struct {
	OnDemand map[string]string `json:"onDemand"`
	Spot     map[string]string `json:"spot"`
}

// StorageClass is the encrypted gp3 class for notebook home directories.
type StorageClass struct {
	Create        bool   `json:"create"`
	Name          string `json:"name"`
	ReclaimPolicy string `json:"reclaimPolicy"`
	// Tags are put on every volume the class provisions (blueprint's
	// deployment tag, so `down` finds the users' volumes).
	Tags map[string]string `json:"tags,omitempty"`
}

// ArcImage is the pinned Arc job image, from the runtime table (the
// notebook image runs the same Arc, Spark and Hadoop).
const ArcImage = arcruntime.JobImage

// DefaultPlatformValues returns the defaults of charts/platform/values.yaml
// (a test keeps the two equal).
func DefaultPlatformValues() PlatformValues {
	return PlatformValues{
		Region: "us-east-1",
		Images: Images{Arc: ArcImage},
		JobSizes: JobSizes{
			Small: JobSize{
				Driver:   Process{CPU: 1, Memory: "2g"},
				Executor: Executor{CPU: 1, Memory: "4g", Instances: 2},
			},
			Medium: JobSize{
				Driver:   Process{CPU: 1, Memory: "4g"},
				Executor: Executor{CPU: 2, Memory: "8g", Instances: 4},
			},
			Large: JobSize{
				Driver:   Process{CPU: 2, Memory: "8g"},
				Executor: Executor{CPU: 4, Memory: "16g", Instances: 8},
			},
			Local: LocalJobSize{Driver: Process{CPU: 2, Memory: "4g"}},
		},
		Retry: Retry{
			Limit:       3,
			RetryPolicy: "Always",
			Backoff:     Backoff{Duration: "1m", Factor: 2, Cap: "10m", MaxDuration: "1h"},
		},
		NodeSelectors: NodeSelectors{
			OnDemand: map[string]string{workloads.LifecycleLabel: workloads.LifecycleOnDemand},
			Spot:     map[string]string{workloads.LifecycleLabel: workloads.LifecycleSpot},
		},
		StorageClass:    StorageClass{Create: true, Name: "gp3", ReclaimPolicy: "Retain"},
		SampleNotebooks: SampleNotebooks{ConfigMap: "sample-notebooks", Files: []SampleFile{}},
		SparkHistory:    SparkHistory{Enabled: true, Prefix: SparkEventsPrefix},
	}
}

// SparkEventsPrefix is where event logs go in the logs bucket; the History
// Server's IAM role may read only this prefix.
const SparkEventsPrefix = workloads.SparkEventsPrefix

// ToMap converts v to the map Helm takes as values.
func (v PlatformValues) ToMap() (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding platform values: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decoding platform values: %w", err)
	}
	return m, nil
}
