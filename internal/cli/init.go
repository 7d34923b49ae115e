package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/ui"
)

// InitOptions are the inputs of `blueprint init`.
type InitOptions struct {
	IO     *ui.IOStreams
	Output OutputFormat
	// Path is where the starter goes; "-" writes it to stdout.
	Path  string
	Force bool
}

func newCmdInit(f *Factory, runF func(*InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented starter blueprint.yaml",
		Long: `Write a starter blueprint.yaml that documents every field, set to its
default. As written it describes the same platform as an empty file.

An existing file is not overwritten unless --force is given.`,
		Example: `  blueprint init
  blueprint init --path envs/prod.yaml
  blueprint init --path - > blueprint.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			g := f.Globals
			opts.Output = g.Output
			switch {
			case !cmd.Flags().Changed("path"):
				opts.Path = g.ConfigPath // the file the other commands will read
			case g.ConfigExplicit && opts.Path != g.ConfigPath:
				return usageErrorf("--path %q and --config %q name different files; pass only one", opts.Path, g.ConfigPath)
			}
			if opts.Path == "" {
				return usageErrorf("--path must not be empty; give a file name, or - for stdout")
			}
			if opts.Path == "-" && opts.Force {
				return usageErrorf("--force has no effect with --path -; drop one of them")
			}
			if runF != nil {
				return runF(opts)
			}
			return initRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Path, "path", "", `file to write, or - for stdout (default: the --config path, "blueprint.yaml")`)
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite an existing file")
	return cmd
}

// initView is the --output json result of init.
type initView struct {
	Path        string `json:"path"`
	Overwritten bool   `json:"overwritten"`
}

func initRun(opts *InitOptions) error {
	if opts.Path == "-" {
		_, err := opts.IO.Out.Write(config.Starter())
		return err
	}
	existed := fileExists(opts.Path)
	if err := config.WriteStarter(opts.Path, opts.Force); err != nil {
		return err
	}
	if opts.Output == OutputJSON {
		return opts.IO.WriteJSON(initView{Path: opts.Path, Overwritten: existed})
	}
	p := opts.IO.Progress()
	p.Done("Wrote %s", opts.Path)
	p.Info("Next: edit it, check the result with %s, then run %s.",
		fmt.Sprintf("`blueprint config%s`", configFlag(opts.Path)),
		fmt.Sprintf("`blueprint plan%s`", configFlag(opts.Path)))
	return nil
}

// configFlag is the --config flag needed to read path, if it is not the default.
func configFlag(path string) string {
	if path == config.DefaultFile {
		return ""
	}
	return " --config " + path
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
