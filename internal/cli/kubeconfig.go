package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sqletl/blueprint/internal/kube"
	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/ui"
)

// KubeconfigOptions are the inputs of `blueprint kubeconfig`.
type KubeconfigOptions struct {
	IO     *ui.IOStreams
	Output OutputFormat
	// Path is the kubeconfig to merge into (--kubeconfig-path; default
	// the first file of $KUBECONFIG, else ~/.kube/config).
	Path       string
	SetContext bool
	// Profile is passed on to `blueprint token` in the kubeconfig.
	Profile string
	// Command is the blueprint executable the kubeconfig runs.
	Command string
	// Outputs reads the deployed stacks' outputs and the config's region.
	Outputs func(ctx context.Context) (*outputs.Platform, string, error)
}

// KubeconfigResult is the --output json view.
type KubeconfigResult struct {
	Path           string `json:"path"`
	Context        string `json:"context"`
	Cluster        string `json:"cluster"`
	Server         string `json:"server"`
	CurrentContext string `json:"currentContext"`
}

func newCmdKubeconfig(f *Factory, runF func(*KubeconfigOptions) error) *cobra.Command {
	opts := &KubeconfigOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Write or merge a kubeconfig entry for the EKS cluster",
		Long: `Add the blueprint's EKS cluster to a kubeconfig file, for kubectl, Helm and
k9s. Other clusters, users and contexts in the file are kept; an entry of the
same name is replaced. The file is written atomically with mode 0600.

The entry holds no secret: its user runs 'blueprint token' (with --profile if
given) to make a fresh EKS token with your AWS credentials whenever needed, so
the blueprint binary must stay on PATH.

The current context changes only with --set-context or when the file has none.`,
		Example: `  blueprint kubeconfig
  blueprint kubeconfig --set-context
  blueprint kubeconfig --kubeconfig-path ./etl.kubeconfig -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.Globals.Kubeconfig != "" {
				return usageErrorf("--kubeconfig names a cluster to use instead of the EKS one; to choose the file to write, use --kubeconfig-path")
			}
			if cmd.Flags().Changed("kubeconfig-path") && opts.Path == "" {
				return usageErrorf("--kubeconfig-path must not be empty")
			}
			if opts.Path == "" {
				opts.Path = defaultKubeconfigPath(os.Getenv)
			}
			opts.Output, opts.Profile, opts.Outputs = f.Globals.Output, f.Globals.Profile, f.stackOutputs
			opts.Command = blueprintCommand()
			if runF != nil {
				return runF(opts)
			}
			return kubeconfigRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Path, "kubeconfig-path", "", "kubeconfig file to merge into (default: first file of $KUBECONFIG, else ~/.kube/config)")
	cmd.Flags().BoolVar(&opts.SetContext, "set-context", false, "make the cluster the current context")
	return cmd
}

func kubeconfigRun(ctx context.Context, opts *KubeconfigOptions) error {
	out, region, err := opts.Outputs(ctx)
	if err != nil {
		return err
	}
	entry, err := kube.BuildKubeconfig(kube.KubeconfigOptions{
		ClusterName: out.ClusterName, Endpoint: out.ClusterEndpoint, CA: out.ClusterCA,
		Region: region, Profile: opts.Profile, Command: opts.Command,
	})
	if err != nil {
		return err
	}
	merged, err := kube.WriteKubeconfig(opts.Path, entry, opts.SetContext)
	if err != nil {
		return err
	}
	res := KubeconfigResult{Path: opts.Path, Context: entry.CurrentContext, Cluster: out.ClusterName,
		Server: out.ClusterEndpoint, CurrentContext: merged.CurrentContext}
	if opts.Output == OutputJSON {
		return opts.IO.WriteJSON(res)
	}
	fmt.Fprintf(opts.IO.Out, "Context %q for cluster %q written to %s\n", res.Context, res.Cluster, res.Path)
	if res.CurrentContext == res.Context {
		fmt.Fprintf(opts.IO.Out, "Current context: %s\n", res.CurrentContext)
	} else {
		opts.IO.Progress().Info("current context is still %q; use --set-context or: kubectl config use-context %s", res.CurrentContext, res.Context)
	}
	return nil
}

// defaultKubeconfigPath is where kubectl looks first: the first file of
// $KUBECONFIG, else ~/.kube/config.
func defaultKubeconfigPath(getenv func(string) string) string {
	for _, p := range filepath.SplitList(getenv(clientcmd.RecommendedConfigPathEnvVar)) {
		if p != "" {
			return p
		}
	}
	return clientcmd.RecommendedHomeFile
}

// blueprintCommand is how the kubeconfig runs blueprint: by name when
// this binary is the one on PATH (survives upgrades), else by its path.
func blueprintCommand() string {
	self, err := os.Executable()
	if err != nil {
		return "blueprint"
	}
	if onPath, err := exec.LookPath("blueprint"); err == nil && sameFile(onPath, self) {
		return "blueprint"
	}
	return self
}

func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// stackOutputs reads the deployed stacks' outputs and the config's region.
func (f *Factory) stackOutputs(ctx context.Context) (*outputs.Platform, string, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, "", err
	}
	awsCfg, err := f.AWS(ctx)
	if err != nil {
		return nil, "", err
	}
	out, err := outputs.Read(ctx, cloudformation.NewFromConfig(awsCfg), cfg)
	if err != nil {
		return nil, "", err
	}
	return out, cfg.Region, nil
}
