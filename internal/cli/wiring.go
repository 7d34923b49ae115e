package cli

import (
	"context"

	"github.com/sqletl/blueprint/internal/cdkapp"
	"github.com/sqletl/blueprint/internal/platform"
)

// externalCluster reports whether the cluster connection is overridden
// (--kubeconfig or $BLUEPRINT_KUBECONFIG): then the EKS stack is not
// deployed and the in-cluster platform goes into that cluster.
func (f *Factory) externalCluster() bool {
	return f.kubeconfigOverride() != ""
}

func (f *Factory) upOptions(ctx context.Context, outDir string, pp progressPrinter) (*platform.UpOptions, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	aws, _, err := f.platformAWS(ctx)
	if err != nil {
		return nil, err
	}
	in, err := f.InCluster(ctx)
	if err != nil {
		return nil, err
	}
	return &platform.UpOptions{
		Config: cfg, AssemblyDir: outDir, Synth: cdkapp.Synth, AWS: aws,
		Cluster: in.Cluster, Releases: in.Releases, Jobs: in.Jobs, EventLogs: in.EventLogs, Volumes: in.Volumes,
		ExternalCluster: f.externalCluster(), Progress: pp, OnEvent: pp.event,
	}, nil
}

func (f *Factory) downOptions(ctx context.Context, pp progressPrinter) (*platform.DownOptions, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	aws, retained, err := f.platformAWS(ctx)
	if err != nil {
		return nil, err
	}
	in, err := f.InCluster(ctx)
	if err != nil {
		return nil, err
	}
	return &platform.DownOptions{
		Config: cfg, AWS: aws, Retained: retained, Cluster: in.Cluster, Releases: in.Releases,
		ExternalCluster: f.externalCluster(), Progress: pp, OnEvent: pp.event,
	}, nil
}

func (f *Factory) statusOptions(ctx context.Context) (*platform.StatusOptions, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	aws, _, err := f.platformAWS(ctx)
	if err != nil {
		return nil, err
	}
	in, err := f.InCluster(ctx)
	if err != nil {
		return nil, err
	}
	return &platform.StatusOptions{
		Config: cfg, AWS: aws, Cluster: in.Cluster, Inspector: in.Inspector, Releases: in.Releases,
		ExternalCluster: f.externalCluster(),
	}, nil
}

// InClusterDeps are the Kubernetes-side implementations the actions use.
type InClusterDeps struct {
	Cluster   platform.Cluster
	Releases  platform.Releases
	Inspector platform.ClusterInspector
	Jobs      platform.JobUploader
	EventLogs platform.EventLogPreparer
	// Volumes binds users' restored volumes to their claims; nil skips it.
	Volumes platform.VolumeBinder
}
