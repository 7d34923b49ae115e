package cirole_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/cirole"
	"github.com/sqletl/blueprint/internal/cdktest"
)

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func TestCIRole(t *testing.T) {
	tests := []struct {
		name          string
		providerArn   string
		branch        string
		wantProviders int
		wantSub       string
	}{
		{"creates provider", "", "", 1, "repo:acme/etl:environment:production"},
		{"existing provider, other environment", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", "staging", 0, "repo:acme/etl:environment:staging"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack := cdktest.Stack(t)
			cirole.NewCIRole(stack, "CI", cirole.CIRoleProps{
				Repository: "acme/etl", Environment: tt.branch, Name: "etl", ClusterName: "etl",
				Stacks: []string{"etl-network", "etl-cluster"}, ReadStacks: []string{"etl-ci"},
				ExecutionRoleArn: "arn:aws:iam::123456789012:role/etl-cfn-exec",
				CodeBucket:       awss3.NewBucket(stack, jsii.String("Code"), nil), Key: awskms.NewKey(stack, jsii.String("Key"), nil),
				ProviderArn: tt.providerArn,
			})
			_, doc := cdktest.Template(t, stack)
			if got := len(cdktest.Resources(doc, "AWS::IAM::OIDCProvider")); got != tt.wantProviders {
				t.Errorf("OIDC providers = %d, want %d", got, tt.wantProviders)
			}
			roles := cdktest.Resources(doc, "AWS::IAM::Role")
			if len(roles) != 1 {
				t.Fatalf("roles = %d, want 1", len(roles))
			}
			for _, r := range roles {
				trust, _ := json.Marshal(cdktest.Props(r)["AssumeRolePolicyDocument"])
				for _, want := range []string{
					`"token.actions.githubusercontent.com:sub":"` + tt.wantSub + `"`,
					`"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"`,
					`"Action":"sts:AssumeRoleWithWebIdentity"`,
				} {
					if !strings.Contains(string(trust), want) {
						t.Errorf("trust policy lacks %s:\n%s", want, trust)
					}
				}
				if strings.Contains(string(trust), "StringLike") {
					t.Errorf("trust policy uses wildcards: %s", trust)
				}
				for _, pol := range cdktest.Props(r)["Policies"].([]any) {
					for _, st := range pol.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
						s := st.(map[string]any)
						if s["Effect"] == "Deny" {
							continue // denies may be broad
						}
						for _, a := range asList(s["Action"]) {
							act := a.(string)
							for _, res := range asList(s["Resource"]) {
								if res != "*" {
									continue
								}
								if act != "sts:GetCallerIdentity" && act != "cloudformation:ValidateTemplate" && act != "ec2:DescribeAvailabilityZones" {
									t.Errorf("%s on *", act)
								}
							}
							if act == "iam:PassRole" && s["Condition"] == nil {
								t.Error("iam:PassRole without an iam:PassedToService condition")
							}
							if strings.HasSuffix(act, ":*") {
								t.Errorf("wildcard action %s", act)
							}
						}
					}
				}
			}
		})
	}
}
