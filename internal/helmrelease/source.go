package helmrelease

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/registry"

	"github.com/sqletl/blueprint/charts"
)

// ChartError says a release's chart could not be obtained, and which
// config field points elsewhere.
type ChartError struct {
	Release, Field, Source string
	Err                    error
}

func (e *ChartError) Error() string {
	return fmt.Sprintf("release %s: getting chart from %s: %v; make it reachable, or set %s.chart to a mirror (https://...), an oci:// reference or a local chart directory",
		e.Release, e.Source, e.Err, e.Field)
}

func (e *ChartError) Unwrap() error { return e.Err }

// loadChart returns the release's chart: ours from the binary, an upstream
// one from the configured source (repository, OCI or local path) at the
// pinned version.
func (r *Releases) loadChart(s spec) (*chart.Chart, error) {
	if s.upstream == nil {
		return charts.Platform()
	}
	up := *s.upstream
	src := s.source
	if src == "" {
		src = up.Repository
	}
	fail := func(err error) error { return &ChartError{Release: s.name, Field: s.field, Source: src, Err: err} }
	path, err := r.locate(up, src)
	if err != nil {
		return nil, fail(err)
	}
	ch, err := loader.Load(path)
	if err != nil {
		return nil, fail(err)
	}
	if ch.Metadata.Name != up.Chart {
		return nil, fail(fmt.Errorf("found chart %q, want %q", ch.Metadata.Name, up.Chart))
	}
	return ch, nil
}

// locate downloads (or finds) the chart and returns its local path.
func (r *Releases) locate(up Upstream, src string) (string, error) {
	isURL := strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://")
	if !isURL && !registry.IsOCI(src) {
		if _, err := os.Stat(src); err != nil {
			return "", err
		}
		return src, nil
	}
	cache, err := r.cacheDir()
	if err != nil {
		return "", err
	}
	settings := cli.New()
	settings.RepositoryCache = filepath.Join(cache, "repository")
	settings.RepositoryConfig = filepath.Join(cache, "repositories.yaml")
	settings.RegistryConfig = filepath.Join(cache, "registry", "config.json")
	if err := os.MkdirAll(settings.RepositoryCache, 0o755); err != nil {
		return "", err
	}
	// An Install carries the ChartPathOptions (and their registry client);
	// it is only used to locate the chart.
	opts := action.NewInstall(&action.Configuration{})
	opts.Version = up.Version
	name := up.Chart
	if registry.IsOCI(src) {
		rc, err := registry.NewClient(registry.ClientOptCredentialsFile(settings.RegistryConfig), registry.ClientOptWriter(io.Discard))
		if err != nil {
			return "", err
		}
		opts.SetRegistryClient(rc)
		name = src
	} else {
		opts.RepoURL = src
	}
	return opts.LocateChart(name, settings)
}
