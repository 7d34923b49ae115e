package platform

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/deploy"
	"github.com/sqletl/blueprint/internal/stackreg"
)

// synth is a Synthesizer writing the stand-in templates as a cloud
// assembly (what deployStacks reads); extra adds resources to one stack's
// template, to force an update.
func (e *motoEnv) synth(extra map[stackreg.Role]bool) Synthesizer {
	return func(_ context.Context, _ *config.Config, dir string) (*assembly.Assembly, error) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		asm := &assembly.Assembly{Dir: dir}
		for _, s := range e.reg.Stacks() {
			body := e.template(s)
			if extra[s.Role] {
				body = []byte(strings.Replace(string(body), `"Resources":{`, `"Resources":{"Extra":{"Type":"AWS::SSM::Parameter","Properties":{"Name":"/`+s.Name+`/extra","Type":"String","Value":"x"}},`, 1))
			}
			file := s.Name + ".template.json"
			if err := os.WriteFile(filepath.Join(dir, file), body, 0o644); err != nil {
				return nil, err
			}
			st := &assembly.Stack{ID: string(s.Role), Name: s.Name, TemplateFile: file, TerminationProtection: s.HoldsData}
			for _, d := range s.DependsOn {
				st.DependsOn = append(st.DependsOn, string(d))
			}
			if s.Role == stackreg.Cluster {
				st.Template.Parameters = map[string]json.RawMessage{stackreg.DeployerParameter: json.RawMessage(`{"Type":"String","Default":""}`)}
			}
			asm.Stacks = append(asm.Stacks, st)
		}
		return asm, nil
	}
}

// as returns the env's AWS clients with the credentials of an assumed-role
// session of role (moto's STS issues them; GetCallerIdentity then answers
// arn:aws:sts::<account>:assumed-role/<role>/<session>).
func (e *motoEnv) as(role string) AWS {
	e.t.Helper()
	out, err := sts.NewFromConfig(e.cfg).AssumeRole(e.t.Context(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/" + role), RoleSessionName: aws.String("alice"),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	c := e.cfg.Copy()
	c.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(out.Credentials.AccessKeyId),
		aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	a := e.aws()
	a.Identity = sts.NewFromConfig(c)
	return a
}

func (e *motoEnv) up(a AWS, cfnRole string, extra map[stackreg.Role]bool) (*UpResult, error) {
	e.t.Helper()
	if _, err := secretsmanager.NewFromConfig(e.cfg).CreateSecret(e.t.Context(), &secretsmanager.CreateSecretInput{
		Name: aws.String(stackreg.LoginSecretName(e.conf)), SecretString: aws.String(`{"username":"etl","password":"p"}`),
	}); err != nil && !strings.Contains(err.Error(), "already exists") {
		e.t.Fatal(err)
	}
	c := &noCluster{}
	o := &UpOptions{Config: e.conf, AssemblyDir: filepath.Join(e.t.TempDir(), "cdk.out"), Synth: e.synth(extra), AWS: a,
		Cluster: c, Releases: c, Registry: e.reg, ExecutionRoleArn: cfnRole, Backoff: fast}
	return o.Run(e.t.Context())
}

func (e *motoEnv) parameter(stack, key string) string {
	e.t.Helper()
	v, err := deployedParameter(e.t.Context(), e.cfn, stack, key)
	if err != nil || v == nil {
		e.t.Fatalf("stack %s: %v (exists: %v)", stack, err, v != nil)
	}
	return *v
}

// TestDeployerAccessKept: the cluster stack's DeployerPrincipalArn is kept
// by up, set to the caller when a --cfn-role-arn role creates the cluster,
// and every combination EKS would reject is stopped before any change.
func TestDeployerAccessKept(t *testing.T) {
	const (
		x       = "arn:aws:iam::123456789012:role/platform-admins"
		cfnExec = "arn:aws:iam::123456789012:role/cfn-exec"
		people  = "arn:aws:iam::123456789012:role/people"
	)

	t.Run("deployed value kept through up and an update", func(t *testing.T) {
		e := newMotoEnv(t, "name: dep\n", stackreg.For)
		e.deployAll()
		// As `cdk deploy --parameters dep-cluster:DeployerPrincipalArn=X`.
		cl := e.reg.Stack(stackreg.Cluster)
		if _, err := e.deployer().Deploy(t.Context(), deploy.Stack{Name: cl.Name, Template: e.template(cl), Tags: StackTags(e.conf),
			Parameters: map[string]string{stackreg.DeployerParameter: x}}); err != nil {
			t.Fatal(err)
		}
		if got := e.parameter(cl.Name, stackreg.DeployerParameter); got != x {
			t.Fatalf("seeded parameter = %q", got)
		}
		for _, extra := range []map[stackreg.Role]bool{nil, {stackreg.Cluster: true}} {
			res, err := e.up(e.aws(), "", extra)
			if err != nil {
				t.Fatalf("up: %v", err)
			}
			if got := e.parameter(cl.Name, stackreg.DeployerParameter); got != x || res.DeployerPrincipal != x {
				t.Errorf("after up (template changed: %v), DeployerPrincipalArn = %q (reported %q), want %q", extra != nil, got, res.DeployerPrincipal, x)
			}
		}
		// adminRoleArn naming the same principal would be a second access
		// entry: stopped before any change.
		e.conf.Cluster.AdminRoleArn = x
		if _, err := e.up(e.aws(), "", nil); err == nil || !strings.Contains(err.Error(), "cluster.adminRoleArn") {
			t.Errorf("adminRoleArn = deployed parameter: err = %v, want one naming cluster.adminRoleArn", err)
		}
	})

	t.Run("cfn role grants the caller's role", func(t *testing.T) {
		e := newMotoEnv(t, "name: cfn\n", stackreg.For)
		res, err := e.up(e.as("people"), cfnExec, nil)
		if err != nil {
			t.Fatalf("up --cfn-role-arn: %v", err)
		}
		if got := e.parameter("cfn-cluster", stackreg.DeployerParameter); got != people || res.DeployerPrincipal != people {
			t.Errorf("DeployerPrincipalArn = %q, want the caller's role %q", got, people)
		}
	})

	t.Run("caller creates the cluster: no second entry", func(t *testing.T) {
		e := newMotoEnv(t, "name: own\n", stackreg.For)
		if _, err := e.up(e.as("people"), "", nil); err != nil {
			t.Fatal(err)
		}
		if got := e.parameter("own-cluster", stackreg.DeployerParameter); got != "" {
			t.Errorf("DeployerPrincipalArn = %q, want empty (the creator has access from EKS)", got)
		}
	})

	refused := []struct {
		name, admin, caller, cfnRole, want string
	}{
		{"cfn role with no human principal", "", "cfn-exec", cfnExec, "set cluster.adminRoleArn"},
		{"adminRoleArn is the creating caller", people, "people", "", "cluster.adminRoleArn " + people + " is the principal creating the cluster"},
		{"adminRoleArn is the cfn role", cfnExec, "people", cfnExec, "cluster.adminRoleArn " + cfnExec + " is the principal creating the cluster"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			e := newMotoEnv(t, "name: ref\n", stackreg.For)
			e.conf.Cluster.AdminRoleArn = tc.admin
			_, err := e.up(e.as(tc.caller), tc.cfnRole, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Check AWS identity") {
				t.Fatalf("err = %v, want the preflight to stop with %q", err, tc.want)
			}
			for _, s := range e.reg.Names() {
				if e.exists(s) {
					t.Errorf("stack %s exists: up changed AWS before refusing", s)
				}
			}
		})
	}

	t.Run("adminRoleArn set: nobody else added", func(t *testing.T) {
		e := newMotoEnv(t, "name: adm\n", stackreg.For)
		e.conf.Cluster.AdminRoleArn = x
		if _, err := e.up(e.as("people"), cfnExec, nil); err != nil {
			t.Fatal(err)
		}
		if got := e.parameter("adm-cluster", stackreg.DeployerParameter); got != "" {
			t.Errorf("DeployerPrincipalArn = %q, want empty (adminRoleArn has access)", got)
		}
	})
}

func TestCallerPrincipal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"arn:aws:sts::123456789012:assumed-role/people/alice", "arn:aws:iam::123456789012:role/people"},
		{"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com", "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123"},
		{"arn:aws-cn:sts::123456789012:assumed-role/r/s", "arn:aws-cn:iam::123456789012:role/r"},
		{"arn:aws:iam::123456789012:user/ops/bob", "arn:aws:iam::123456789012:user/ops/bob"},
		{"arn:aws:iam::123456789012:root", ""},
		{"arn:aws:sts::123456789012:federated-user/bob", ""},
		{"garbage", ""},
	}
	for _, tc := range tests {
		got, ok := callerPrincipal(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("callerPrincipal(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	if !sameRole("arn:aws:iam::1:role/path/to/r", "arn:aws:iam::1:role/r") || sameRole("arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b") {
		t.Error("sameRole must ignore the role path only")
	}
}
