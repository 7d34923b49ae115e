package access_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/access"
	"github.com/sqletl/blueprint/constructs/irsa"
	"github.com/sqletl/blueprint/internal/cdktest"
	"github.com/sqletl/blueprint/internal/workloads"
)

func TestRoles(t *testing.T) {
	stack := cdktest.Stack(t)
	bucket := func(id string) awss3.IBucket {
		return awss3.NewBucket(stack, jsii.String(id), nil)
	}
	access.New(stack, "Access", access.Props{
		Provider:    irsa.Provider{Arn: jsii.String("arn:aws:iam::123456789012:oidc-provider/x"), Issuer: jsii.String("oidc.example/id/1")},
		ClusterName: jsii.String("etl"),
		DataLake:    bucket("Lake"), Code: bucket("Code"), Logs: bucket("Logs"),
		Key:          awskms.NewKey(stack, jsii.String("Key"), nil),
		GlueDatabase: "etl_lake",
		Workgroup:    jsii.String("etl-etl"),
	})
	_, doc := cdktest.Template(t, stack)
	roles := cdktest.Resources(doc, "AWS::IAM::Role")
	subjects := map[string]string{}
	for id, r := range roles {
		b, _ := json.Marshal(cdktest.Props(r)["AssumeRolePolicyDocument"])
		for _, sa := range []workloads.ServiceAccount{workloads.ArcJob, workloads.Notebook, workloads.ArgoServer, workloads.ClusterAutoscaler, workloads.SparkHistory} {
			if strings.Contains(string(b), sa.Subject()) {
				subjects[sa.Subject()] = id
			}
		}
	}
	if len(roles) != 5 || len(subjects) != 5 {
		t.Fatalf("want 5 roles, one per service account; got %d roles for %v", len(roles), subjects)
	}
	checkSparkHistoryReadOnly(t, roles[subjects[workloads.SparkHistory.Subject()]])

	// Least privilege: no S3, KMS, Glue or Athena action on "*".
	for id, r := range roles {
		for _, pol := range cdktest.Props(r)["Policies"].([]any) {
			doc := pol.(map[string]any)["PolicyDocument"].(map[string]any)
			for _, st := range doc["Statement"].([]any) {
				s := st.(map[string]any)
				actions := asList(s["Action"])
				resources := asList(s["Resource"])
				for _, a := range actions {
					scoped := strings.HasPrefix(a.(string), "s3:") || strings.HasPrefix(a.(string), "kms:") ||
						strings.HasPrefix(a.(string), "glue:") || strings.HasPrefix(a.(string), "athena:")
					for _, res := range resources {
						if scoped && res == "*" {
							t.Errorf("%s: %s on *", id, a)
						}
					}
				}
				if containsAny(actions, "autoscaling:SetDesiredCapacity") && s["Condition"] == nil {
					t.Errorf("%s: scaling is not limited to this cluster's groups", id)
				}
			}
		}
	}

	arc := roles[subjects[workloads.ArcJob.Subject()]]
	policy, _ := json.Marshal(cdktest.Props(arc)["Policies"])
	for _, want := range []string{"glue:CreateTable", "database/etl_lake", "table/etl_lake/*", "workgroup/etl-etl", "athena:StartQueryExecution", "kms:GenerateDataKey"} {
		if !strings.Contains(string(policy), want) {
			t.Errorf("arcjob policy lacks %s", want)
		}
	}
	if strings.Contains(string(policy), `"ReadWriteCode"`) {
		t.Error("ETL jobs must only read job code")
	}
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func containsAny(l []any, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

// With public access the Load Balancer Controller gets a role whose every
// create, change and delete of load balancers, target groups and security
// groups is tied to this cluster's tag.
func TestLoadBalancerControllerRole(t *testing.T) {
	for _, enabled := range []bool{false, true} {
		stack := cdktest.Stack(t)
		bucket := func(id string) awss3.IBucket { return awss3.NewBucket(stack, jsii.String(id), nil) }
		roles := access.New(stack, "Access", access.Props{
			Provider:    irsa.Provider{Arn: jsii.String("arn:aws:iam::123456789012:oidc-provider/x"), Issuer: jsii.String("oidc.example/id/1")},
			ClusterName: jsii.String("etl"),
			DataLake:    bucket("Lake"), Code: bucket("Code"), Logs: bucket("Logs"),
			Key:          awskms.NewKey(stack, jsii.String("Key"), nil),
			GlueDatabase: "etl_lake", Workgroup: jsii.String("etl-etl"),
			LoadBalancerController: enabled,
		})
		if (roles.LoadBalancerController != nil) != enabled {
			t.Fatalf("enabled=%v: role = %v", enabled, roles.LoadBalancerController)
		}
		_, doc := cdktest.Template(t, stack)
		var lbc map[string]any
		for _, r := range cdktest.Resources(doc, "AWS::IAM::Role") {
			b, _ := json.Marshal(cdktest.Props(r)["AssumeRolePolicyDocument"])
			if strings.Contains(string(b), workloads.LoadBalancerController.Subject()) {
				lbc = r
			}
		}
		if (lbc != nil) != enabled {
			t.Fatalf("enabled=%v: role in template = %v", enabled, lbc != nil)
		}
		if !enabled {
			continue
		}
		guarded := []string{"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:DeleteLoadBalancer",
			"elasticloadbalancing:DeleteTargetGroup", "ec2:DeleteSecurityGroup", "elasticloadbalancing:ModifyLoadBalancerAttributes"}
		seen := map[string]bool{}
		for _, pol := range cdktest.Props(lbc)["Policies"].([]any) {
			doc := pol.(map[string]any)["PolicyDocument"].(map[string]any)
			for _, st := range doc["Statement"].([]any) {
				s := st.(map[string]any)
				cond, _ := json.Marshal(s["Condition"])
				for _, a := range asList(s["Action"]) {
					for _, g := range guarded {
						if a == g {
							seen[g] = true
							if !strings.Contains(string(cond), `"aws:ResourceTag/elbv2.k8s.aws/cluster":"etl"`) &&
								!strings.Contains(string(cond), `"aws:RequestTag/elbv2.k8s.aws/cluster":"etl"`) {
								t.Errorf("%s is not limited to this cluster's tag: %s", g, cond)
							}
						}
					}
				}
			}
		}
		if len(seen) != len(guarded) {
			t.Errorf("guarded actions granted: %v, want all of %v", seen, guarded)
		}
	}
}
