package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sqletl/blueprint/internal/awsapi"
	"github.com/sqletl/blueprint/internal/kube"
	"github.com/sqletl/blueprint/internal/ui"
)

// TokenOptions are the inputs of `blueprint token`.
type TokenOptions struct {
	IO          *ui.IOStreams
	ClusterName string
	// Region is --region; empty falls back to the config's.
	Region string
	// Token makes the EKS token (Factory.eksToken).
	Token func(ctx context.Context, cluster, region string) (kube.Token, error)
}

func newCmdToken(f *Factory, runF func(*TokenOptions) error) *cobra.Command {
	opts := &TokenOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "token --cluster-name NAME [--region REGION]",
		Short: "Print an EKS token as a kubectl credential (used by the kubeconfig)",
		Long: `Print a short-lived EKS bearer token for the cluster as a
client.authentication.k8s.io/v1 ExecCredential on stdout. The kubeconfig
written by 'blueprint kubeconfig' runs this command for kubectl, Helm and
other clients; it is the Go equivalent of 'aws eks get-token'.

The token is a presigned sts:GetCallerIdentity request made with your AWS
credentials (--profile or the SDK's usual lookup); generating it makes no
AWS call. It is valid for 15 minutes and reported as expiring after 14.`,
		Example: `  blueprint token --cluster-name blueprint --region eu-west-1`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.ClusterName == "" {
				return usageErrorf("--cluster-name is required: the EKS cluster to make a token for")
			}
			opts.Region, opts.Token = f.Globals.Region, f.eksToken
			if runF != nil {
				return runF(opts)
			}
			return tokenRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.ClusterName, "cluster-name", "", "name of the EKS cluster")
	return cmd
}

func tokenRun(ctx context.Context, opts *TokenOptions) error {
	tok, err := opts.Token(ctx, opts.ClusterName, opts.Region)
	if err != nil {
		return err
	}
	b, err := kube.ExecCredential(tok)
	if err != nil {
		return err
	}
	_, err = opts.IO.Out.Write(b)
	return err
}

// eksToken signs with --profile in region (the config's when empty). The
// config file is read only without --region: kubectl runs this in any
// directory, and the kubeconfig always passes --region.
func (f *Factory) eksToken(ctx context.Context, cluster, region string) (kube.Token, error) {
	if region == "" {
		cfg, err := f.Config()
		if err != nil {
			return kube.Token{}, err
		}
		region = cfg.Region
	}
	awsCfg, err := awsapi.Load(ctx, awsapi.Options{Region: region, Profile: f.Globals.Profile})
	if err != nil {
		return kube.Token{}, err
	}
	return kube.NewTokenGenerator(awsCfg).Get(ctx, cluster)
}
