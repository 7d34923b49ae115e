package runtimepods

import (
	"context"
	"fmt"
)

// Manifests are the rendered releases the run-time pods come from
// (helmrelease.Render's files, by release).
type Manifests struct {
	Platform   []byte // release "blueprint"
	JupyterHub []byte // release "jupyterhub"; nil when JupyterHub is disabled
	Argo       []byte // release "argo-workflows"; nil for the controller's defaults
}

// All builds every run-time pod: the Spark drivers and executors of each
// arc-job size, then a user server per hub profile, for users
// "<userPrefix>-<profile slug>" so that all can run at once.
// hubChart is the jupyterhub chart archive (see HubUserPods).
func All(ctx context.Context, m Manifests, hubChart, userPrefix string) ([]Built, error) {
	var out []Built
	var spark []Built
	var err error
	if m.Argo != nil {
		spark, err = SparkPodsWithController(m.Platform, m.Argo)
	} else {
		spark, err = SparkPods(m.Platform)
	}
	if err != nil {
		return nil, fmt.Errorf("spark pods: %w", err)
	}
	out = append(out, spark...)
	if m.JupyterHub != nil {
		if err := EnsurePython(ctx); err != nil {
			return nil, err
		}
		hub, err := HubUserPodsPerProfile(ctx, m.JupyterHub, hubChart, userPrefix)
		if err != nil {
			return nil, fmt.Errorf("hub user pods: %w", err)
		}
		out = append(out, hub...)
	}
	return out, nil
}
