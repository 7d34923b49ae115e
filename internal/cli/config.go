package cli

import (
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/ui"
)

// ConfigOptions are the inputs of `blueprint config`.
type ConfigOptions struct {
	IO     *ui.IOStreams
	Output OutputFormat
	Config func() (*config.Config, error)
}

func newCmdConfig(f *Factory, runF func(*ConfigOptions) error) *cobra.Command {
	opts := &ConfigOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the resolved configuration",
		Long: `Validate the config file and print it with every default filled in and
--region applied: exactly what the other commands will use. Text output is
YAML; --output json gives JSON. Invalid configs list every problem and exit 3.`,
		Example: `  blueprint config
  blueprint config --config envs/prod.yaml --region eu-west-1 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			opts.Config = f.Config
			if runF != nil {
				return runF(opts)
			}
			return configRun(opts)
		},
	}
	return cmd
}

func configRun(opts *ConfigOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if opts.Output == OutputJSON {
		return opts.IO.WriteJSON(cfg)
	}
	enc := yaml.NewEncoder(opts.IO.Out)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return err
	}
	return enc.Close()
}
