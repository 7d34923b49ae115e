package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/sqletl/blueprint/internal/cdkapp"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/ui"
)

// SynthOptions are the inputs of `blueprint synth`.
type SynthOptions struct {
	IO     *ui.IOStreams
	Output OutputFormat
	Config func() (*config.Config, error)
	// OutDir receives the cloud assembly.
	OutDir string
	// Synth and Now are the work and the clock; tests replace them.
	Synth func(ctx context.Context, cfg *config.Config, outDir string) (*cdkapp.Result, error)
	Now   func() time.Time
}

func newCmdSynth(f *Factory, runF func(*SynthOptions) error) *cobra.Command {
	opts := &SynthOptions{IO: f.IOStreams, Synth: cdkapp.Synth, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "synth",
		Short: "Synthesize the CloudFormation templates without deploying",
		Long: `Validate the config and synthesize the CDK app into a cloud assembly
(CloudFormation templates plus assets), without AWS credentials and without
deploying anything. Prints each stack with its resource count and template
size, and the time taken.`,
		Example: `  blueprint synth
  blueprint synth --out /tmp/assembly -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			opts.Config = f.Config
			if opts.OutDir == "" {
				return usageErrorf("--out must not be empty; give a directory for the cloud assembly")
			}
			if runF != nil {
				return runF(opts)
			}
			return synthRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.OutDir, "out", "cdk.out", "directory to write the cloud assembly to")
	return cmd
}

// synthView is the --output json result of synth.
type synthView struct {
	OutDir     string          `json:"outDir"`
	DurationMs int64           `json:"durationMs"`
	Stacks     []synthStackRow `json:"stacks"`
}

type synthStackRow struct {
	Name          string        `json:"name"`
	Resources     int           `json:"resources"`
	TemplateBytes int64         `json:"templateBytes"`
	TemplateFile  string        `json:"templateFile"`
	DependsOn     []string      `json:"dependsOn"`
	Messages      []messageView `json:"messages"`
}

type messageView struct {
	Level string `json:"level"`
	Path  string `json:"path"`
	Text  string `json:"text"`
}

func synthRun(ctx context.Context, opts *SynthOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	p := opts.IO.Progress()
	p.Start("Synthesizing %q (%s) into %s", cfg.Name, cfg.Region, opts.OutDir)
	start := opts.Now()
	res, synthErr := opts.Synth(ctx, cfg, opts.OutDir)
	if res == nil {
		if synthErr == nil {
			synthErr = fmt.Errorf("no cloud assembly was produced")
		}
		return fmt.Errorf("synthesizing: %w", synthErr)
	}
	// With a *cdkapp.SynthError the assembly is still shown, then the error returned.
	elapsed := opts.Now().Sub(start)
	view := newSynthView(res, opts.OutDir, elapsed)
	warnings := 0
	for _, s := range view.Stacks {
		for _, m := range s.Messages {
			if m.Level == "warning" {
				warnings++
				p.Detail("warning: %s: %s", m.Path, m.Text)
			}
		}
	}
	if synthErr != nil {
		p.Fail("Synthesized %d stacks, with errors", len(view.Stacks))
	} else {
		p.Done("Synthesized %d stacks", len(view.Stacks))
	}
	if warnings > 0 && !opts.IO.Verbose() {
		p.Warn("%d synthesis %s; --verbose lists them", warnings, plural(warnings, "warning", "warnings"))
	}

	if opts.Output == OutputJSON {
		err = opts.IO.WriteJSON(view)
	} else {
		err = writeSynthTable(opts.IO.Out, view, elapsed)
	}
	if synthErr != nil {
		return fmt.Errorf("synthesizing: %w", synthErr)
	}
	return err
}

func newSynthView(res *cdkapp.Result, outDir string, elapsed time.Duration) synthView {
	view := synthView{OutDir: res.Dir, DurationMs: elapsed.Milliseconds(), Stacks: []synthStackRow{}}
	if view.OutDir == "" {
		view.OutDir = outDir
	}
	for _, s := range res.Stacks {
		row := synthStackRow{
			Name: s.Name, Resources: s.Resources, TemplateBytes: s.TemplateSize,
			TemplateFile: s.TemplateFile, DependsOn: s.DependsOn, Messages: []messageView{},
		}
		if row.DependsOn == nil {
			row.DependsOn = []string{}
		}
		for _, m := range s.Messages {
			row.Messages = append(row.Messages, messageView{Level: m.Level, Path: m.Path, Text: m.Text})
		}
		view.Stacks = append(view.Stacks, row)
	}
	return view
}

// writeSynthTable writes names left-aligned and numbers right-aligned.
func writeSynthTable(w io.Writer, view synthView, elapsed time.Duration) error {
	width := len("STACK")
	for _, s := range view.Stacks {
		width = max(width, len(s.Name))
	}
	fmt.Fprintf(w, "%-*s  %9s  %10s\n", width, "STACK", "RESOURCES", "TEMPLATE")
	for _, s := range view.Stacks {
		fmt.Fprintf(w, "%-*s  %9d  %10s\n", width, s.Name, s.Resources, ui.Bytes(s.TemplateBytes))
	}
	_, err := fmt.Fprintf(w, "%d stacks in %s, synthesized in %s\n", len(view.Stacks), view.OutDir, ui.Duration(elapsed))
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
