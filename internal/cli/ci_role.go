package cli

import (
	"github.com/sqletl/blueprint/internal/stackreg"

	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/spf13/cobra"

	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/ui"
)

// OutputCIRoleArn is the output of the "<name>-ci" stack holding the deploy
// role's ARN (see constructs/cirole).
const OutputCIRoleArn = stackreg.OutputCIRoleArn

// CIRoleOptions are the inputs of `blueprint ci-role`.
type CIRoleOptions struct {
	IO     *ui.IOStreams
	Output OutputFormat
	// Stack is the CI stack's name, "<name>-ci".
	Stack func() (string, error)
	// Describe reads that stack.
	Describe func(ctx context.Context) (outputs.StackAPI, error)
}

// CIRole is what `ci-role` prints.
type CIRole struct {
	Stack   string `json:"stack"`
	RoleArn string `json:"roleArn"`
	// ExecutionRoleArn is the CloudFormation execution role CI passes
	// (up --cfn-role-arn); the only role the CI role may pass.
	ExecutionRoleArn string `json:"executionRoleArn,omitempty"`
	Region           string `json:"region,omitempty"`
}

func newCmdCIRole(f *Factory, runF func(*CIRoleOptions) error) *cobra.Command {
	opts := &CIRoleOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "ci-role",
		Short: "Show the IAM role CI assumes (through GitHub OIDC) to deploy",
		Long: `Print the ARN of the least-privilege deploy role for GitHub Actions, from
the "<name>-ci" stack. 'blueprint up' creates that stack when ci.github.repository
is set in blueprint.yaml; put the ARN in the workflow's role-to-assume
(docs/ci.md).`,
		Example: "  blueprint ci-role\n  blueprint ci-role -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			opts.Stack = func() (string, error) {
				cfg, err := f.Config()
				if err != nil {
					return "", err
				}
				return cfg.Name + "-ci", nil
			}
			opts.Describe = func(ctx context.Context) (outputs.StackAPI, error) {
				c, err := f.AWS(ctx)
				if err != nil {
					return nil, err
				}
				return cloudformation.NewFromConfig(c), nil
			}
			if runF != nil {
				return runF(opts)
			}
			return ciRoleRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func ciRoleRun(ctx context.Context, opts *CIRoleOptions) error {
	stack, err := opts.Stack()
	if err != nil {
		return err
	}
	api, err := opts.Describe(ctx)
	if err != nil {
		return err
	}
	out, err := api.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: &stack})
	if outputs.IsStackMissing(err) {
		return fmt.Errorf("no CI stack %q: set ci.github.repository in blueprint.yaml and run 'blueprint up'", stack)
	}
	if err != nil {
		return fmt.Errorf("describing stack %q: %w", stack, err)
	}
	res := CIRole{Stack: stack}
	for _, s := range out.Stacks {
		for _, o := range s.Outputs {
			switch aws.ToString(o.OutputKey) {
			case OutputCIRoleArn:
				res.RoleArn = aws.ToString(o.OutputValue)
			case stackreg.OutputCIExecRoleArn:
				res.ExecutionRoleArn = aws.ToString(o.OutputValue)
			}
		}
	}
	if res.RoleArn == "" {
		return errors.New("stack " + stack + " has no " + OutputCIRoleArn + " output; run 'blueprint up' to update it")
	}
	if opts.Output == OutputJSON {
		return opts.IO.WriteJSON(res)
	}
	fmt.Fprintln(opts.IO.Out, res.RoleArn)
	opts.IO.Progress().Info("Store it as the repository variable AWS_DEPLOY_ROLE_ARN (see docs/ci.md).")
	if res.ExecutionRoleArn != "" {
		opts.IO.Progress().Info("CloudFormation execution role, the variable AWS_CFN_EXEC_ROLE_ARN: %s", res.ExecutionRoleArn)
	}
	return nil
}
