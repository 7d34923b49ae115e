package cli

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"k8s.io/client-go/rest"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/sqletl/blueprint/internal/awsapi"
	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/platform"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/ui"
)

// Factory builds what commands depend on, lazily and once per invocation,
// so that `--help`, `init` or `version` never read the config file or touch
// AWS credentials.
type Factory struct {
	IOStreams *ui.IOStreams
	// Globals are the root's persistent flags. Cobra fills them while parsing,
	// before any RunE runs; read them only from RunE.
	Globals *GlobalOptions
	// Config reads --config, applies --region, fills defaults and validates.
	// Its result is memoised.
	Config func() (*config.Config, error)
	// AWS returns the SDK config from --profile and the config's region.
	// It reads credentials lazily: building it makes no AWS call.
	AWS func(ctx context.Context) (aws.Config, error)
	// KubeConfig returns the Kubernetes client config: --kubeconfig (or
	// $BLUEPRINT_KUBECONFIG) when given, else the blueprint's EKS cluster
	// from the stack outputs (filled in by the lifecycle commands).
	KubeConfig func(ctx context.Context) (*rest.Config, error)
	// Releases is the in-cluster platform (Helm); offline to list, it
	// needs a cluster only to apply.
	Releases func() platform.Releases
	// InCluster builds the Kubernetes-side implementations of the actions.
	InCluster func(ctx context.Context) (*InClusterDeps, error)
	// WrapAWSTransport, when set, wraps the AWS SDK's HTTP transport
	// (end-to-end tests inject throttling and 5xx here).
	WrapAWSTransport func(http.RoundTripper) http.RoundTripper
}

// GlobalOptions are the flags every command accepts.
type GlobalOptions struct {
	ConfigPath string
	// ConfigExplicit is set when --config was given: only then is a missing
	// file an error.
	ConfigExplicit bool
	Region         string
	Profile        string
	Output         OutputFormat
	Yes            bool
	Verbose        bool
	NoColor        bool
	// Kubeconfig overrides the cluster connection (see Factory.KubeConfig).
	Kubeconfig string
	// ChartMirror is a directory of <chart>-<version>.tgz read before the
	// chart repositories (--chart-mirror, else $BLUEPRINT_CHART_MIRROR).
	ChartMirror string
}

// NewFactory returns a Factory whose providers do nothing until called.
func NewFactory(ios *ui.IOStreams) *Factory {
	f := &Factory{
		IOStreams: ios,
		Globals:   &GlobalOptions{ConfigPath: config.DefaultFile, Output: OutputText},
	}
	f.Config = sync.OnceValues(func() (*config.Config, error) {
		g := f.Globals
		return config.Load(g.ConfigPath, g.ConfigExplicit, config.WithRegion(g.Region))
	})
	f.AWS = func(ctx context.Context) (aws.Config, error) {
		cfg, err := f.Config()
		if err != nil {
			return aws.Config{}, err
		}
		return awsapi.Load(ctx, awsapi.Options{Region: cfg.Region, Profile: f.Globals.Profile, WrapTransport: f.WrapAWSTransport})
	}
	f.Releases = f.newReleases
	f.InCluster = f.newInCluster
	f.KubeConfig = func(ctx context.Context) (*rest.Config, error) {
		in, err := f.InCluster(ctx)
		if err != nil {
			return nil, err
		}
		var out *outputs.Platform
		if f.kubeconfigOverride() == "" {
			cfg, err := f.Config()
			if err != nil {
				return nil, err
			}
			awsCfg, err := f.AWS(ctx)
			if err != nil {
				return nil, err
			}
			if out, err = outputs.Read(ctx, cloudformation.NewFromConfig(awsCfg), cfg); err != nil {
				return nil, err
			}
		}
		return in.Cluster.Connect(ctx, out)
	}
	return f
}

// OutputFormat is the --output flag: how results are written to stdout.
type OutputFormat string

const (
	OutputText OutputFormat = "text"
	OutputJSON OutputFormat = "json"
)

// String, Set and Type make OutputFormat a pflag.Value, so a bad value is
// rejected while parsing, naming the flag.
func (o *OutputFormat) String() string { return string(*o) }

func (o *OutputFormat) Set(s string) error {
	switch OutputFormat(s) {
	case OutputText, OutputJSON:
		*o = OutputFormat(s)
		return nil
	}
	return fmt.Errorf("must be %q or %q", OutputText, OutputJSON)
}

func (o *OutputFormat) Type() string { return "format" }

// configPathValue is the --config flag: a path that remembers whether it
// was given.
type configPathValue struct{ g *GlobalOptions }

func (v configPathValue) String() string { return v.g.ConfigPath }

func (v configPathValue) Set(s string) error {
	if s == "" {
		return fmt.Errorf("must not be empty")
	}
	v.g.ConfigPath, v.g.ConfigExplicit = s, true
	return nil
}

func (v configPathValue) Type() string { return "path" }
