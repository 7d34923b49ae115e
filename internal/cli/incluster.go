package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/internal/etl"
	"github.com/sqletl/blueprint/internal/helmrelease"
	"github.com/sqletl/blueprint/internal/kube"
	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/internal/workloads"
	"github.com/sqletl/blueprint/jobs"
)

// kubeconfigOverride is --kubeconfig, else $BLUEPRINT_KUBECONFIG.
func (f *Factory) kubeconfigOverride() string {
	if f.Globals.Kubeconfig != "" {
		return f.Globals.Kubeconfig
	}
	return os.Getenv("BLUEPRINT_KUBECONFIG")
}

// newInCluster builds the Kubernetes side of the actions. Nothing here
// talks to a cluster or AWS yet.
func (f *Factory) newInCluster(ctx context.Context) (*InClusterDeps, error) {
	cluster := &kube.Cluster{Kubeconfig: f.kubeconfigOverride()}
	awsCfg, err := f.AWS(ctx)
	if err != nil {
		return nil, err
	}
	if cluster.Kubeconfig == "" {
		cluster.Tokens = kube.NewTokenGenerator(awsCfg)
	}
	objects := s3.NewFromConfig(awsCfg, f.s3Options)
	return &InClusterDeps{
		Cluster:   cluster,
		Releases:  f.Releases(),
		Inspector: kube.Inspector{},
		Jobs:      sampleJobs{objects: objects},
		EventLogs: sampleJobs{objects: objects},
		Volumes:   kube.Volumes{},
	}, nil
}

func (f *Factory) newReleases() platform.Releases { return f.helmReleases() }

// helmReleases is the Helm side, reading charts from the chart mirror
// when one is given.
func (f *Factory) helmReleases() *helmrelease.Releases {
	return &helmrelease.Releases{ChartMirror: f.chartMirror()}
}

// chartMirror is --chart-mirror, else $BLUEPRINT_CHART_MIRROR.
func (f *Factory) chartMirror() string {
	if f.Globals.ChartMirror != "" {
		return f.Globals.ChartMirror
	}
	return os.Getenv(helmrelease.MirrorEnv)
}

// sampleJobs uploads the embedded sample jobs to the code bucket and
// applies their WorkflowTemplates and CronWorkflows (up's last step).
type sampleJobs struct{ objects etl.S3API }

// Samples are installed once: files and schedules the user changed are
// kept (KeepChanged) unless restore.
func (j sampleJobs) Push(ctx context.Context, kubeCfg *rest.Config, out *outputs.Platform, restore bool) (platform.SamplesResult, error) {
	if out.CodeBucket == "" {
		return platform.SamplesResult{}, fmt.Errorf("the code bucket is not deployed")
	}
	dyn, err := dynamic.NewForConfig(kubeCfg)
	if err != nil {
		return platform.SamplesResult{}, err
	}
	res, err := etl.Push(ctx, etl.PushOptions{Objects: j.objects, Bucket: out.CodeBucket, Source: jobs.Samples, Kube: dyn, KeepChanged: !restore})
	if err != nil {
		return platform.SamplesResult{}, fmt.Errorf("uploading the sample jobs: %w", err)
	}
	return platform.SamplesResult{Uploaded: len(res.Uploaded), Kept: res.Kept}, nil
}

// PrepareEventLogs creates s3a://<logs bucket>/spark-events/, where jobs
// and notebooks write Spark event logs and the History Server reads them;
// Spark and the History Server both fail on a missing directory.
func (j sampleJobs) PrepareEventLogs(ctx context.Context, out *outputs.Platform) error {
	if out.LogsBucket == "" {
		return fmt.Errorf("the logs bucket is not deployed")
	}
	_, err := etl.EnsureEventLogDir(ctx, j.objects, out.LogsBucket, workloads.SparkEventsPrefix)
	return err
}
