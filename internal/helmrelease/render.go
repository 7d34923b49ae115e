package helmrelease

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/outputs"
)

// Rendered is one release's result of Render.
type Rendered struct {
	Release string `json:"release"`
	// File is the manifest written, empty when skipped.
	File string `json:"file,omitempty"`
	// Skipped says why no manifest was written (an unreachable upstream chart).
	Skipped string `json:"skipped,omitempty"`
}

// Render writes each planned release's manifests to dir/<release>.yaml,
// without a cluster. blueprint's own chart always renders (it is in the
// binary); an upstream chart that cannot be fetched is skipped with the
// reason, not an error. A chart mirror that is itself wrong (no such
// directory, an archive whose digest does not match) is an error.
func (r *Releases) Render(ctx context.Context, cfg *config.Config, out *outputs.Platform, dir string) ([]Rendered, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	var results []Rendered
	for _, s := range plannedSpecs(cfg) {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		ch, err := r.loadChart(s)
		var chartErr *ChartError
		if errors.As(err, &chartErr) && !chartErr.BadMirror {
			results = append(results, Rendered{Release: s.name, Skipped: chartErr.Error()})
			continue
		}
		if err != nil {
			return results, err
		}
		vals, err := s.values(cfg, out)
		if err != nil {
			return results, fmt.Errorf("release %s: building values: %w", s.name, err)
		}
		in := action.NewInstall(&action.Configuration{})
		in.ReleaseName, in.Namespace = s.name, s.namespace
		in.DryRun, in.ClientOnly, in.Replace = true, true, true
		kv, err := chartutil.ParseKubeVersion("v" + cfg.Cluster.Version + ".0")
		if err != nil {
			return results, err
		}
		in.KubeVersion = kv
		rel, err := in.RunWithContext(ctx, ch, vals)
		if err != nil {
			return results, fmt.Errorf("rendering release %s: %w", s.name, err)
		}
		var b strings.Builder
		b.WriteString(rel.Manifest)
		for _, h := range rel.Hooks {
			fmt.Fprintf(&b, "\n---\n# Source: %s\n%s\n", h.Path, h.Manifest)
		}
		file := filepath.Join(dir, s.name+".yaml")
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			return results, err
		}
		results = append(results, Rendered{Release: s.name, File: file})
	}
	return results, nil
}
