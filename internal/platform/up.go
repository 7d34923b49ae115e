package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/deploy"
	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/stackreg"
	"github.com/sqletl/blueprint/internal/wait"
)

// UpOptions deploy the platform.
type UpOptions struct {
	Config *config.Config
	// AssemblyDir receives the synthesized templates, kept for review.
	AssemblyDir string
	Synth       Synthesizer
	AWS         AWS
	Cluster     Cluster
	Releases    Releases
	// Jobs uploads the sample jobs; nil skips that step.
	Jobs JobUploader
	// RestoreSamples re-installs the samples over the user's changes
	// (--restore-samples); by default changed files are kept.
	RestoreSamples bool
	// EventLogs prepares the Spark event-log directory before the Helm
	// releases (platform.sparkHistory); nil skips it.
	EventLogs EventLogPreparer
	// Volumes binds users' volumes restored from down's snapshots to their
	// claims before the hub creates them (restore.go); nil skips it.
	Volumes VolumeBinder
	// ExternalCluster: the cluster connection was overridden (--kubeconfig),
	// so the EKS stack is not deployed and the platform is installed into
	// that cluster instead.
	ExternalCluster bool
	// Registry lists the stacks; nil is stackreg.For(Config).
	Registry *stackreg.Registry
	// ExecutionRoleArn is the CloudFormation service role stacks are
	// deployed and deleted with (--cfn-role-arn); empty uses the caller.
	ExecutionRoleArn string
	Progress         Progress
	OnEvent          func(deploy.Event)
	Clock            wait.Clock
	Backoff          wait.Backoff

	// upgrade is what the version check found (upgrade.go).
	upgrade *ClusterUpgrade
}

// UpResult reports what up did.
type UpResult struct {
	Account  string            `json:"account"`
	Region   string            `json:"region"`
	Stacks   []StackResult     `json:"stacks"`
	Outputs  *outputs.Platform `json:"outputs"`
	Releases []ReleaseStatus   `json:"releases"`
	Uploaded int               `json:"jobFilesUploaded"`
	// SamplesKept lists sample files kept as the user changed them.
	SamplesKept []string `json:"samplesKept,omitempty"`
	// DeployerPrincipal is the cluster stack's DeployerPrincipalArn.
	DeployerPrincipal string   `json:"deployerPrincipal,omitempty"`
	NextSteps         []string `json:"nextSteps"`
	// RestoredVolumes lists the claims given back their data from a snapshot.
	RestoredVolumes []string `json:"restoredVolumes,omitempty"`
	// Cluster is the Kubernetes version check, Zones the zones used (upgrade.go, zones.go).
	Cluster *ClusterUpgrade `json:"clusterVersion,omitempty"`
	Zones   *Zones          `json:"zones,omitempty"`
	// Moves lists resources deleted from one stack and created in another
	// (moves.go): a layout change since the deployment was made.
	Moves    []StackMove        `json:"stackMoves,omitempty"`
	Assembly *assembly.Assembly `json:"-"`
}

// StackResult is one stack's deploy.
type StackResult struct {
	Name    string `json:"name"`
	Changed bool   `json:"changed"`
	Skipped string `json:"skipped,omitempty"`
}

// Steps lists up's steps in order (for --dry-run and plan).
func (o *UpOptions) Steps(res *UpResult) []Step {
	var (
		asm  *assembly.Assembly
		out  *outputs.Platform
		kube *rest.Config
	)
	steps := []Step{
		{Name: "Check AWS identity and region", Run: func(ctx context.Context) error {
			return o.preflight(ctx, res)
		}},
		{Name: "Resolve the availability zones (DescribeAvailabilityZones)", Run: func(ctx context.Context) error {
			z, err := o.resolveZones(ctx)
			if err != nil {
				return err
			}
			res.Zones = &z
			o.Progress.Info("Zones: %s", z)
			return nil
		}},
		{Name: "Check the deployed Kubernetes version (no downgrade, one minor at a time)", Run: func(ctx context.Context) error {
			var err error
			if o.upgrade, err = o.checkClusterVersion(ctx); err != nil {
				return err
			}
			res.Cluster = o.upgrade
			o.Progress.Info("Kubernetes: %s", o.upgrade.Detail())
			return nil
		}},
		{Name: "Synthesize the CDK app", Run: func(ctx context.Context) error {
			var err error
			asm, err = o.Synth(ctx, o.Config, o.AssemblyDir)
			res.Assembly = asm
			return err
		}},
		{Name: "Deploy the stacks (independent ones in parallel)", Run: func(ctx context.Context) error {
			var err error
			if res.Moves, err = o.moves(ctx, asm); err != nil {
				return err
			}
			res.Stacks, err = o.deployStacks(ctx, asm, res.DeployerPrincipal)
			return err
		}},
		{Name: "Read the stack outputs", Run: func(ctx context.Context) error {
			var err error
			out, err = outputs.ReadRegistry(ctx, o.AWS.Stacks, o.registry())
			res.Outputs = out
			return err
		}},
		{Name: "Connect to the cluster", Run: func(ctx context.Context) error {
			var err error
			kube, err = o.Cluster.Connect(ctx, out)
			return err
		}},
		{Name: "Restore users' volumes from the snapshots down kept", Run: func(ctx context.Context) error {
			if o.Volumes == nil || o.AWS.Leftovers == nil || !o.Config.Platform.JupyterHub.IsEnabled() {
				return nil
			}
			var err error
			res.RestoredVolumes, err = o.restoreVolumes(ctx, kube)
			return err
		}},
		{Name: "Install the in-cluster platform (Helm) and wait until ready", Run: func(ctx context.Context) error {
			login, err := o.readLogin(ctx, out)
			if err != nil {
				return err
			}
			if o.EventLogs != nil && o.Config.Platform.SparkHistory.IsEnabled() {
				if err := o.EventLogs.PrepareEventLogs(ctx, out); err != nil {
					return err
				}
			}
			if err := o.Releases.Apply(ctx, kube, o.Config, out, login); err != nil {
				return err
			}
			res.Releases, err = o.Releases.List(ctx, kube, o.Config)
			return err
		}},
	}
	if o.Jobs != nil {
		steps = append(steps, Step{Name: "Upload the sample jobs", Run: func(ctx context.Context) error {
			r, err := o.Jobs.Push(ctx, kube, out, o.RestoreSamples)
			res.Uploaded, res.SamplesKept = r.Uploaded, r.Kept
			if len(r.Kept) > 0 {
				o.Progress.Info("Kept %d sample file(s) you changed (up --restore-samples puts blueprint's back): %s", len(r.Kept), strings.Join(r.Kept, ", "))
			}
			return err
		}})
	}
	return steps
}

// Run deploys everything, step by step.
func (o *UpOptions) Run(ctx context.Context) (*UpResult, error) {
	if o.Progress == nil {
		o.Progress = NoProgress{}
	}
	res := &UpResult{Region: o.Config.Region}
	if err := runSteps(ctx, o.Progress, o.Steps(res)); err != nil {
		return res, err
	}
	res.NextSteps = []string{
		"blueprint open jupyter --show-login   # JupyterHub through a port-forward, with the login",
		"blueprint open argo --show-login      # Argo Workflows UI, with a token",
		"blueprint jobs run scd2-contacts --watch",
		"blueprint query \"SHOW TABLES\"",
	}
	return res, nil
}

func (o *UpOptions) preflight(ctx context.Context, res *UpResult) error {
	id, err := o.AWS.Identity.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("no usable AWS credentials (run `aws sso login`, set AWS_PROFILE or pass --profile): %w", err)
	}
	res.Account = aws.ToString(id.Account)
	if o.Config.Account != "" && o.Config.Account != res.Account {
		return fmt.Errorf("config account is %s but the credentials are for %s; use credentials for %s or change `account`",
			o.Config.Account, res.Account, o.Config.Account)
	}
	if o.ExternalCluster {
		return nil // the cluster stack is not deployed
	}
	cluster := o.registry().Stack(stackreg.Cluster).Name
	deployed, err := deployedParameter(ctx, o.AWS.Stacks, cluster, stackreg.DeployerParameter)
	if err != nil {
		return err
	}
	res.DeployerPrincipal, err = deployerPrincipal(deployerInput{
		Caller: aws.ToString(id.Arn), ExecutionRole: o.ExecutionRoleArn, AdminRole: o.Config.Cluster.AdminRoleArn, Deployed: deployed,
	})
	return err
}

// deployStacks deploys the assembly's stacks in dependency order, those
// without a dependency between them at the same time.
func (o *UpOptions) deployStacks(ctx context.Context, asm *assembly.Assembly, deployer string) ([]StackResult, error) {
	d := &deploy.Deployer{API: o.AWS.Stacks, RoleARN: o.ExecutionRoleArn, OnEvent: o.OnEvent, Clock: o.Clock, Backoff: o.Backoff}
	names, deps := stackGraph(asm)
	reg := o.registry()
	var mu sync.Mutex
	results := map[string]StackResult{}
	err := runGraph(ctx, names, deps, func(ctx context.Context, name string) error {
		if s, ok := reg.ByName(name); ok && o.ExternalCluster && s.NeedsCluster {
			// The CI stack's access entry needs the EKS cluster too.
			mu.Lock()
			results[name] = StackResult{Name: name, Skipped: "cluster connection overridden (--kubeconfig)"}
			mu.Unlock()
			return nil
		}
		st := asm.Stack(name)
		body, err := minified(filepath.Join(asm.Dir, st.TemplateFile))
		if err != nil {
			return err
		}
		var params map[string]string
		if _, ok := st.Template.Parameters[stackreg.DeployerParameter]; ok {
			params = map[string]string{stackreg.DeployerParameter: deployer}
		}
		stack := func(body []byte) deploy.Stack {
			return deploy.Stack{
				Name:                  name,
				Template:              body,
				Parameters:            params,
				Tags:                  StackTags(o.Config),
				TerminationProtection: st.TerminationProtection,
				Templates:             &codeBucketStore{o: o},
			}
		}
		if s, ok := reg.ByName(name); ok && s.Role == stackreg.Cluster {
			if err := o.upgradeClusterInStages(ctx, name, body, func(b []byte) error { _, err := d.Deploy(ctx, stack(b)); return err }); err != nil {
				return fmt.Errorf("deploying stack %q: %w", name, err)
			}
		}
		r, err := d.Deploy(ctx, stack(body))
		if err != nil {
			return fmt.Errorf("deploying stack %q: %w", name, err)
		}
		mu.Lock()
		results[name] = StackResult{Name: name, Changed: r.Changed}
		mu.Unlock()
		return nil
	})
	out := make([]StackResult, 0, len(names))
	for _, n := range names {
		if r, ok := results[n]; ok {
			out = append(out, r)
		}
	}
	return out, err
}

func (o *UpOptions) registry() *stackreg.Registry {
	if o.Registry != nil {
		return o.Registry
	}
	return stackreg.For(o.Config)
}

// StackTags are set on every stack; CloudFormation propagates them to the
// stacks' resources.
func StackTags(cfg *config.Config) map[string]string {
	t := map[string]string{stackreg.DeploymentTag: cfg.Name}
	for k, v := range cfg.Tags {
		t[k] = v
	}
	return t
}

// stackGraph returns the assembly's stack names in order and, per stack,
// the names of the stacks it depends on.
func stackGraph(asm *assembly.Assembly) ([]string, map[string][]string) {
	byID := map[string]string{}
	for _, s := range asm.Stacks {
		byID[s.ID] = s.Name
	}
	var names []string
	deps := map[string][]string{}
	for _, s := range asm.Stacks {
		names = append(names, s.Name)
		for _, d := range s.DependsOn {
			deps[s.Name] = append(deps[s.Name], byID[d])
		}
	}
	return names, deps
}

func minified(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("template %s: %w", path, err)
	}
	return buf.Bytes(), nil
}

// codeBucketStore stages large templates in the blueprint's code bucket.
// Only the cluster stack's template needs it, and that stack depends on the
// analytics stack that creates the bucket, so no bootstrap bucket is needed.
type codeBucketStore struct{ o *UpOptions }

func (c *codeBucketStore) PutTemplate(ctx context.Context, stack string, body []byte) (string, error) {
	reg := c.o.registry()
	out, err := outputs.ReadRegistry(ctx, c.o.AWS.Stacks, reg)
	if err != nil {
		return "", err
	}
	if out.CodeBucket == "" {
		owner, _ := reg.OutputOwner(stackreg.OutputCodeBucket)
		return "", fmt.Errorf("the code bucket (stack %s) is not deployed yet", owner.Name)
	}
	key := "cloudformation/" + stack + ".json"
	if _, err := c.o.AWS.Objects.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(out.CodeBucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String("application/json"),
	}); err != nil {
		return "", err
	}
	return fmt.Sprintf("https://%s.s3.%s.amazonaws.com/%s", out.CodeBucket, c.o.Config.Region, key), nil
}

func (o *UpOptions) readLogin(ctx context.Context, out *outputs.Platform) (Login, error) {
	// By name, which the analytics stack fixes per deployment.
	name := stackreg.LoginSecretName(o.Config)
	owner, _ := o.registry().OutputOwner(stackreg.OutputLoginSecretArn)
	v, err := o.AWS.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		return Login{}, fmt.Errorf("reading the JupyterHub login secret %q (stack %s): %w", name, owner.Name, err)
	}
	var l struct{ Username, Password string }
	if err := json.Unmarshal([]byte(aws.ToString(v.SecretString)), &l); err != nil || l.Password == "" {
		// Never include the value in the error.
		return Login{}, fmt.Errorf("the JupyterHub login secret is not JSON with username and password")
	}
	return Login{Username: l.Username, Password: l.Password}, nil
}
