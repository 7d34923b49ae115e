package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/helmrelease"
	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/ui"
)

// RenderOptions are the inputs of `blueprint render`.
type RenderOptions struct {
	IO     *ui.IOStreams
	Output OutputFormat
	Config func() (*config.Config, error)
	// OutDir receives one <release>.yaml per release.
	OutDir string
	// Render does the work; tests replace it.
	Render func(ctx context.Context, cfg *config.Config, out *outputs.Platform, dir string) ([]helmrelease.Rendered, error)
}

func newCmdRender(f *Factory, runF func(*RenderOptions) error) *cobra.Command {
	opts := &RenderOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Write the Kubernetes manifests of every Helm release, without a cluster",
		Long: `Render every Helm release blueprint installs into a directory, one
<release>.yaml each, without a cluster or AWS credentials. blueprint's own
chart is in the binary and always renders; an upstream chart (Argo Workflows,
JupyterHub, cluster-autoscaler, ...) renders from platform.<release>.chart
when set, else from the chart mirror (--chart-mirror) when it holds the
pinned <chart>-<version>.tgz, else from its repository; when none is
reachable it is listed as skipped with the reason.

Values that come from deployed stacks (bucket names, role ARNs) are left
empty.`,
		Example: `  blueprint render
  blueprint render --chart-mirror ../upstream-charts
  blueprint render --out /tmp/manifests -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			opts.Config = f.Config
			if opts.Render == nil {
				opts.Render = f.helmReleases().Render
			}
			if opts.OutDir == "" {
				return usageErrorf("--out must not be empty; give a directory for the manifests")
			}
			if runF != nil {
				return runF(opts)
			}
			return renderRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.OutDir, "out", "manifests.out", "directory to write <release>.yaml files to")
	return cmd
}

// renderView is the --output json result of render.
type renderView struct {
	OutDir   string                 `json:"outDir"`
	Releases []helmrelease.Rendered `json:"releases"`
}

func renderRun(ctx context.Context, opts *RenderOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	p := opts.IO.Progress()
	p.Start("Rendering the Helm releases of %q into %s", cfg.Name, opts.OutDir)
	// Offline: no stack outputs; the values that come from them stay empty.
	results, err := opts.Render(ctx, cfg, &outputs.Platform{}, opts.OutDir)
	if err != nil {
		p.Fail("Rendering failed")
		return fmt.Errorf("rendering: %w", err)
	}
	written := 0
	for _, r := range results {
		if r.Skipped != "" {
			p.Warn("skipped %s: %s", r.Release, r.Skipped)
			continue
		}
		written++
	}
	p.Done("Rendered %d of %d releases", written, len(results))
	if opts.Output == OutputJSON {
		return opts.IO.WriteJSON(renderView{OutDir: opts.OutDir, Releases: results})
	}
	for _, r := range results {
		if r.Skipped == "" {
			fmt.Fprintf(opts.IO.Out, "%s\t%s\n", r.Release, r.File)
		} else {
			fmt.Fprintf(opts.IO.Out, "%s\tskipped\n", r.Release)
		}
	}
	return nil
}
