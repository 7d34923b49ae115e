package platform

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/sqletl/blueprint/internal/deploy"
	"github.com/sqletl/blueprint/internal/stackreg"
)

// Who gets cluster-admin. EKS gives it to the principal that creates the
// cluster (BootstrapClusterCreatorAdminPermissions), to cluster.adminRoleArn
// (an access entry in the template), and to the cluster stack's
// DeployerPrincipalArn parameter (another access entry). EKS allows one
// access entry per principal, and rejects a second one only when
// CloudFormation creates it, after the cluster (about 15 minutes). So the
// parameter is decided before any change:
//
//   - a value already deployed (e.g. by `cdk deploy --parameters`) is kept;
//     up never resets it;
//   - on a new cluster created as the caller (no --cfn-role-arn), the caller
//     is the creator and already has access: the parameter stays empty;
//   - on a new cluster created by --cfn-role-arn's role, the caller (an
//     assumed-role session maps to its role) is granted, unless
//     cluster.adminRoleArn is set; with no human principal to grant, up
//     stops with the fix;
//   - cluster.adminRoleArn equal to the creator, or to the deployed
//     parameter, would be that second entry: up stops with the fix.

// deployerInput is what decides DeployerPrincipalArn.
type deployerInput struct {
	// Caller is the STS caller ARN.
	Caller string
	// ExecutionRole is --cfn-role-arn ("" deploys as the caller).
	ExecutionRole string
	// AdminRole is cluster.adminRoleArn.
	AdminRole string
	// Deployed is the cluster stack's current value; nil when the cluster
	// stack does not exist yet.
	Deployed *string
}

// deployerPrincipal returns the DeployerPrincipalArn to deploy.
func deployerPrincipal(in deployerInput) (string, error) {
	if in.Deployed != nil {
		d := *in.Deployed
		if d != "" && sameRole(d, in.AdminRole) {
			return "", fmt.Errorf("cluster.adminRoleArn %s already has cluster-admin through the deployed %s parameter, and EKS allows one access entry per principal; "+
				"remove cluster.adminRoleArn from the config (its access stays)", in.AdminRole, stackreg.DeployerParameter)
		}
		return d, nil
	}
	caller, human := callerPrincipal(in.Caller)
	creator := in.ExecutionRole
	if creator == "" {
		creator = caller
	}
	if in.AdminRole != "" && sameRole(in.AdminRole, creator) {
		how := "the caller creates the cluster"
		if in.ExecutionRole != "" {
			how = "--cfn-role-arn creates the cluster"
		}
		return "", fmt.Errorf("cluster.adminRoleArn %s is the principal creating the cluster (%s), which EKS already makes cluster-admin; "+
			"a second access entry for it fails after the cluster is created. Remove cluster.adminRoleArn, or deploy as another principal", in.AdminRole, how)
	}
	if in.ExecutionRole == "" || in.AdminRole != "" {
		return "", nil
	}
	if !human || sameRole(caller, in.ExecutionRole) {
		return "", fmt.Errorf("--cfn-role-arn: the cluster would be created by %s and nobody else would get cluster access (the caller %s cannot be granted); "+
			"set cluster.adminRoleArn to the role people use, or run up as that role", in.ExecutionRole, in.Caller)
	}
	return caller, nil
}

// callerPrincipal maps an STS caller ARN to the IAM principal an access
// entry names: an assumed-role session to its role, a user to itself. The
// root user and federated users cannot be granted (ok false).
func callerPrincipal(arn string) (principal string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return "", false
	}
	partition, account, resource := parts[1], parts[4], parts[5]
	switch {
	case parts[2] == "sts" && strings.HasPrefix(resource, "assumed-role/"):
		role, _, _ := strings.Cut(strings.TrimPrefix(resource, "assumed-role/"), "/")
		if role == "" {
			return "", false
		}
		// STS drops the role's path; EKS access entries name the role
		// the same way (its name is unique in the account).
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, role), true
	case parts[2] == "iam" && (strings.HasPrefix(resource, "user/") || strings.HasPrefix(resource, "role/")):
		return arn, true
	}
	return "", false
}

// sameRole compares two principal ARNs, ignoring a role's path (STS
// reports roles without it).
func sameRole(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	norm := func(s string) string {
		if i := strings.Index(s, ":role/"); i >= 0 {
			name := s[strings.LastIndex(s, "/")+1:]
			return s[:i] + ":role/" + name
		}
		return s
	}
	return norm(a) == norm(b)
}

// deployedParameter reads a parameter of a deployed stack; nil when the
// stack does not exist.
func deployedParameter(ctx context.Context, api StackAPI, stack, key string) (*string, error) {
	out, err := api.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if deploy.IsStackMissing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describing stack %q: %w", stack, err)
	}
	switch {
	case len(out.Stacks) == 0:
		return nil, nil
	case out.Stacks[0].StackStatus == "DELETE_COMPLETE", out.Stacks[0].StackStatus == "ROLLBACK_COMPLETE",
		out.Stacks[0].StackStatus == "REVIEW_IN_PROGRESS":
		// Gone, or a first create that failed: the deployer creates it
		// afresh, so it is a new cluster.
		return nil, nil
	}
	v := ""
	for _, p := range out.Stacks[0].Parameters {
		if aws.ToString(p.ParameterKey) == key {
			v = aws.ToString(p.ParameterValue)
		}
	}
	return &v, nil
}
