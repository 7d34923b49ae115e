// Package e2e runs blueprint's commands end to end, in-process, against a
// real AWS emulator (moto_server) and a real Kubernetes API server
// (internal/kubetest). Everything is the production code path: the CDK
// synth, the CloudFormation deployer, S3 uploads, Secrets Manager, the Helm
// SDK and client-go. Two documented departures from a real account:
//
//   - moto's CloudFormation cannot create EKS clusters, so the cluster
//     connection is overridden with --kubeconfig (pointing at the local API
//     server); up then skips the cluster stack, as it does for any user who
//     brings their own cluster.
//   - moto's CloudFormation does not implement AWS::SecretsManager::Secret
//     (it keeps a placeholder), so the test creates the generated login in
//     moto's Secrets Manager under the name the stack output reports, as
//     CloudFormation would have.
//
// Upstream Helm charts (Argo, JupyterHub, cluster-autoscaler) cannot be
// downloaded here, so the test config disables them; blueprint's own chart,
// the Argo CRDs, the login Secret and the sample jobs are installed for real.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/sqletl/blueprint/internal/cdkapp"
	"github.com/sqletl/blueprint/internal/cli"
	"github.com/sqletl/blueprint/internal/kubetest"
	"github.com/sqletl/blueprint/internal/mototest"
	"github.com/sqletl/blueprint/internal/ui"
)

var (
	moto *mototest.Server
	// kube is the bare API server the moto-only end-to-end tests share. It
	// starts with the first of them: the simulated-cluster shards
	// (hack/test.sh) each start a cluster of their own and never need it.
	kube kubetest.Lazy
)

func TestMain(m *testing.M) {
	code := mototest.RunShared(mototest.RunFunc(func() int { return kube.Run(m) }), &moto)
	// make e2e ends with what the simulated-cluster tests saw.
	if s := simSummary.String(); s != "" {
		fmt.Print(s)
	}
	cdkapp.Close() // the CDK's node child and its temporary directory
	os.Exit(code)
}

const testConfig = `name: e2e
region: us-east-1
platform:
  argoWorkflows: {enabled: false}
  jupyterHub: {enabled: false}
  clusterAutoscaler: {enabled: false}
  # Its Deployment never becomes ready without a kubelet, and Helm waits.
  sparkHistory: {enabled: false}
`

var (
	stackNetwork   = "e2e-network"
	stackData      = "e2e-data"
	stackAnalytics = "e2e-analytics"
	stackCluster   = "e2e-cluster"
)

// harness runs commands like a user would, one fresh process-like Factory
// per command.
type harness struct {
	t       testing.TB
	dir     string
	wrapAWS func(http.RoundTripper) http.RoundTripper
	cfn     *cloudformation.Client
	s3      *s3.Client
	secrets *secretsmanager.Client
	env     *kubetest.Env
	kube    kubernetes.Interface
	dyn     dynamic.Interface
}

// newHarness resets moto and uses env as the cluster. Each test needs its
// own API server: without a namespace controller, namespaces a previous
// down deleted stay Terminating for good.
func newHarness(t testing.TB, env *kubetest.Env) *harness {
	return newHarnessWithConfig(t, env, testConfig)
}

// newHarnessWithConfig is newHarness with another blueprint.yaml.
func newHarnessWithConfig(t testing.TB, env *kubetest.Env, config string) *harness {
	moto.Require(t)
	moto.Reset(t)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, kv := range moto.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := moto.AWSConfig(t)
	return &harness{
		t: t, dir: dir,
		cfn:     cloudformation.NewFromConfig(cfg),
		s3:      s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		secrets: secretsmanager.NewFromConfig(cfg),
		env:     env,
		kube:    kubernetes.NewForConfigOrDie(env.RESTConfig()),
		dyn:     dynamic.NewForConfigOrDie(env.RESTConfig()),
	}
}

type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func (h *harness) run(args ...string) result {
	h.t.Helper()
	ios, _, out, errOut := ui.Test()
	f := cli.NewFactory(ios)
	f.WrapAWSTransport = h.wrapAWS
	full := append([]string{"--config", filepath.Join(h.dir, "blueprint.yaml"), "--kubeconfig", h.env.KubeconfigPath}, args...)
	if args[0] == "up" || args[0] == "plan" || args[0] == "synth" {
		full = append(full, "--out", filepath.Join(h.dir, "cdk.out"))
	}
	start := time.Now()
	code := cli.Run(context.Background(), f, full)
	r := result{code: code, stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
	h.t.Logf("blueprint %s → exit %d in %s", strings.Join(args, " "), code, r.took.Round(time.Millisecond))
	return r
}

func (h *harness) mustRun(args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	if r.code != 0 {
		h.t.Fatalf("blueprint %s: exit %d\nstderr:\n%s\nstdout:\n%s", strings.Join(args, " "), r.code, r.stderr, r.stdout)
	}
	return r
}

func decode[T any](t testing.TB, r result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	return v
}

// upView is the part of `up -o json` the test reads.
type upView struct {
	Stacks []struct {
		Name    string `json:"name"`
		Changed bool   `json:"changed"`
		Skipped string `json:"skipped"`
	} `json:"stacks"`
	Outputs struct {
		DataLakeBucket, CodeBucket, LogsBucket, AccessLogsBucket, LoginSecretArn, GlueDatabase string
	} `json:"outputs"`
	Releases []struct {
		Name, Status string
	} `json:"releases"`
	Uploaded int `json:"jobFilesUploaded"`
}

func (h *harness) stackStatus(name string) string {
	out, err := h.cfn.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return "MISSING"
		}
		h.t.Fatalf("describe %s: %v", name, err)
	}
	return string(out.Stacks[0].StackStatus)
}

func (h *harness) output(stack, key string) string {
	out, err := h.cfn.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, o := range out.Stacks[0].Outputs {
		if aws.ToString(o.OutputKey) == key {
			return aws.ToString(o.OutputValue)
		}
	}
	h.t.Fatalf("stack %s has no output %s", stack, key)
	return ""
}

func (h *harness) bucketExists(name string) bool {
	_, err := h.s3.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(name)})
	return err == nil
}

func (h *harness) objectCount(bucket, prefix string) int {
	out, err := h.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		h.t.Fatalf("list s3://%s/%s: %v", bucket, prefix, err)
	}
	return int(aws.ToInt32(out.KeyCount))
}

// seedLogin creates the generated JupyterHub login under the name the
// analytics stack gives it (see the package comment). Idempotent.
func (h *harness) seedLogin() {
	const name = "e2e/jupyterhub-login"
	_, err := h.secrets.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(`{"username":"etl","password":"generatedInTest0aB3cD4eF5gH6iJ7k"}`),
	})
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		h.t.Fatalf("seeding the login secret: %v", err)
	}
}

// deleteWhatMotoCannot removes the VPC's endpoints, NAT gateways (the
// cluster stack's egress) and route tables (the network stack's): moto's
// CloudFormation does not implement their deletion,
// so without this its DeleteStack fails on the VPC's dependencies where
// CloudFormation would have deleted them first.
func (h *harness) deleteWhatMotoCannot() {
	ctx := context.Background()
	api := ec2.NewFromConfig(moto.AWSConfig(h.t))
	vpc := h.output(stackNetwork, "VpcId")
	filter := []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}
	eps, err := api.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: filter})
	if err != nil {
		h.t.Fatal(err)
	}
	var ids []string
	for _, e := range eps.VpcEndpoints {
		ids = append(ids, aws.ToString(e.VpcEndpointId))
	}
	if len(ids) > 0 {
		if _, err := api.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: ids}); err != nil {
			h.t.Fatal(err)
		}
	}
	nats, err := api.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: filter})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, n := range nats.NatGateways {
		if _, err := api.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: n.NatGatewayId}); err != nil {
			h.t.Fatal(err)
		}
	}
	rts, err := api.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: filter})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, rt := range rts.RouteTables {
		main := false
		for _, a := range rt.Associations {
			main = main || aws.ToBool(a.Main)
		}
		if main {
			continue
		}
		for _, a := range rt.Associations {
			if _, err := api.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: a.RouteTableAssociationId}); err != nil {
				h.t.Fatal(err)
			}
		}
		if _, err := api.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: rt.RouteTableId}); err != nil {
			h.t.Fatal(err)
		}
	}
}

var (
	workflowTemplates = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflowtemplates"}
	cronWorkflows     = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "cronworkflows"}
)

// helmRevisions lists the stored revisions of a Helm release (Helm's
// "secret" driver keeps one Secret per revision).
func (h *harness) helmRevisions(release string) []string {
	list, err := h.kube.CoreV1().Secrets("").List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm,name=" + release})
	if err != nil {
		h.t.Fatal(err)
	}
	var revs []string
	for _, s := range list.Items {
		revs = append(revs, s.Labels["version"]+"/"+s.Labels["status"])
	}
	return revs
}

// statusView is the part of `status -o json` the test reads.
type statusView struct {
	Stacks []struct {
		Name, Status string
	} `json:"stacks"`
	Releases []struct{ Name, Status string } `json:"releases"`
	DataLake string                          `json:"dataLake"`
}

// The whole life cycle: up → status → up (no changes) → down → down.
func TestLifecycle(t *testing.T) {
	h := newHarness(t, kube.Require(t))
	ctx := context.Background()

	// The first up deploys the stacks and stops where moto falls short of
	// CloudFormation (the generated secret); a re-run continues from there.
	first := h.run("up", "-o", "json")
	if first.code == 0 {
		h.t.Log("first up completed without seeding the secret")
	} else if !strings.Contains(first.stderr, "login secret") {
		t.Fatalf("first up failed for another reason: exit %d\n%s", first.code, first.stderr)
	}
	for _, s := range []string{stackNetwork, stackData, stackAnalytics} {
		if st := h.stackStatus(s); st != "CREATE_COMPLETE" {
			t.Fatalf("after up, %s is %s", s, st)
		}
	}
	h.seedLogin()

	up := decode[upView](t, h.mustRun("up", "-o", "json"))
	// Stacks: three deployed and unchanged on this re-run, the cluster skipped.
	for _, s := range up.Stacks {
		switch {
		case s.Name == stackCluster && s.Skipped == "":
			t.Errorf("cluster stack not skipped under --kubeconfig")
		case s.Name != stackCluster && s.Changed:
			t.Errorf("re-run after a partial up redeployed %s", s.Name)
		}
	}
	if st := h.stackStatus(stackCluster); st != "MISSING" {
		t.Errorf("cluster stack is %s, want not deployed", st)
	}
	// Buckets and objects in moto.
	o := up.Outputs
	for _, b := range []string{o.DataLakeBucket, o.CodeBucket, o.LogsBucket, o.AccessLogsBucket} {
		if b == "" || !h.bucketExists(b) {
			t.Errorf("bucket %q missing after up", b)
		}
	}
	if n := h.objectCount(o.CodeBucket, "jobs/"); n == 0 || up.Uploaded == 0 {
		t.Errorf("sample jobs not uploaded: %d objects, %d reported", n, up.Uploaded)
	}
	// The platform in the API server.
	for _, ns := range []string{"spark", "jupyter", "argo"} {
		if _, err := h.kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
			t.Errorf("namespace %s: %v", ns, err)
		}
	}
	if _, err := h.dyn.Resource(workflowTemplates).Namespace("spark").Get(ctx, "arc-job", metav1.GetOptions{}); err != nil {
		t.Errorf("WorkflowTemplate spark/arc-job: %v", err)
	}
	if l, err := h.dyn.Resource(cronWorkflows).Namespace("spark").List(ctx, metav1.ListOptions{}); err != nil || len(l.Items) == 0 {
		t.Errorf("sample CronWorkflows not applied: %v", err)
	}
	if _, err := h.kube.CoreV1().Secrets("jupyter").Get(ctx, "jupyterhub-login", metav1.GetOptions{}); err != nil {
		t.Errorf("hub login Secret: %v", err)
	}
	if cm, err := h.kube.CoreV1().ConfigMaps("jupyter").Get(ctx, "sample-notebooks", metav1.GetOptions{}); err != nil || cm.Data["nyc-taxi__daily-summary.ipynb"] == "" {
		t.Errorf("sample notebooks for the hub: %v", err)
	}
	if revs := h.helmRevisions("blueprint"); len(revs) != 1 || revs[0] != "1/deployed" {
		t.Errorf("helm release blueprint revisions = %v, want [1/deployed]", revs)
	}
	if strings.Contains(h.run("up").stdout+h.run("status").stdout, "generatedInTest0aB3cD4eF5gH6iJ7k") {
		t.Fatal("the login password was printed")
	}

	// status sees the same.
	status := decode[statusView](t, h.mustRun("status", "-o", "json"))
	if status.DataLake != o.DataLakeBucket || len(status.Releases) == 0 || status.Releases[0].Status != "deployed" {
		t.Errorf("status = %+v", status)
	}

	// up again on an unchanged config: nothing changes.
	again := h.mustRun("up", "-o", "json")
	noop := decode[upView](t, again)
	for _, s := range noop.Stacks {
		if s.Changed {
			t.Errorf("no-op up changed %s", s.Name)
		}
	}
	if noop.Uploaded != 0 {
		t.Errorf("no-op up uploaded %d job files", noop.Uploaded)
	}
	if revs := h.helmRevisions("blueprint"); len(revs) != 1 {
		t.Errorf("no-op up made a new Helm revision: %v", revs)
	}
	t.Logf("FIGURE no-op up re-run: %s", again.took.Round(time.Millisecond))

	// down: everything but the data.
	h.deleteWhatMotoCannot()
	down := h.mustRun("down", "--yes")
	if !strings.Contains(down.stdout, "Kept") {
		t.Errorf("down did not say what it kept:\n%s", down.stdout)
	}
	for s, want := range map[string]string{stackNetwork: "MISSING", stackAnalytics: "MISSING", stackData: "CREATE_COMPLETE"} {
		if got := h.stackStatus(s); got != want {
			t.Errorf("after down, %s is %s, want %s", s, got, want)
		}
	}
	if !h.bucketExists(o.DataLakeBucket) {
		t.Error("down deleted the data lake bucket without --delete-data")
	}
	if h.bucketExists(o.CodeBucket) {
		t.Error("down left the job-code bucket")
	}
	if revs := h.helmRevisions("blueprint"); len(revs) != 0 {
		t.Errorf("helm release left after down: %v", revs)
	}

	// down again: a no-op that still keeps the data.
	again = h.mustRun("down", "--yes")
	if !strings.Contains(again.stdout, "Nothing to remove") || h.stackStatus(stackData) != "CREATE_COMPLETE" {
		t.Errorf("second down:\n%s", again.stdout)
	}
}

// faults answers chosen AWS requests with an error instead of passing them
// to moto.
type faults struct {
	next http.RoundTripper
	// fail decides per request: 0 passes it on, else the HTTP status to answer.
	fail     func(req *http.Request, body string) (status int, code string)
	injected atomic.Int64
	mu       sync.Mutex
}

func (f *faults) wrap(next http.RoundTripper) http.RoundTripper { f.next = next; return f }

func (f *faults) RoundTrip(req *http.Request) (*http.Response, error) {
	body := ""
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body.Close()
		body = string(b)
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	f.mu.Lock()
	status, code := f.fail(req, body)
	f.mu.Unlock()
	if status == 0 {
		return f.next.RoundTrip(req)
	}
	f.injected.Add(1)
	if ct := req.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/x-amz-json") || strings.HasPrefix(req.URL.Path, "/clusters") {
		// JSON-protocol services (Secrets Manager, Glue, Athena) and EKS's
		// REST-JSON API answer errors as JSON with __type and the
		// X-Amzn-ErrorType header, as AWS does; the others, XML.
		js := fmt.Sprintf(`{"__type":%q,"message":"injected by test"}`, code)
		return &http.Response{
			StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": []string{"application/x-amz-json-1.1"}, "X-Amzn-Errortype": []string{code}},
			Body:   io.NopCloser(strings.NewReader(js)), Request: req,
		}, nil
	}
	xml := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by test</Message><RequestId>x</RequestId></Error>`, code)
	if !strings.Contains(req.URL.Path, "/") || req.Method == http.MethodPost {
		xml = fmt.Sprintf(`<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>injected by test</Message></Error><RequestId>x</RequestId></ErrorResponse>`, code)
	}
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": []string{"text/xml"}}, Body: io.NopCloser(strings.NewReader(xml)), Request: req,
	}, nil
}

// Throttling and 5xx on every few AWS calls are retried: up completes.
// A hard failure in the middle of up (uploads refused) leaves a state a
// plain re-run completes. down without --delete-data keeps the data lake.
func TestFaults(t *testing.T) {
	moto.Require(t)
	h := newHarness(t, kubetest.Start(t))
	// Seed the stacks' state first (so the login exists), then fail hard.
	if r := h.run("up"); r.code != 0 && !strings.Contains(r.stderr, "login secret") {
		t.Fatalf("first up: %s", r.stderr)
	}
	h.seedLogin()

	// 1. Hard failure mid-way: S3 refuses the job uploads.
	f := &faults{fail: func(req *http.Request, body string) (int, string) {
		if req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/jobs/") {
			return http.StatusForbidden, "AccessDenied"
		}
		return 0, ""
	}}
	h.wrapAWS = f.wrap
	r := h.run("up")
	if r.code != cli.ExitError || !strings.Contains(r.stderr, "sample jobs") {
		t.Fatalf("up with uploads refused: exit %d, want %d naming the step\n%s", r.code, cli.ExitError, r.stderr)
	}
	out := h.output(stackAnalytics, "CodeBucketName")
	if n := h.objectCount(out, "jobs/"); n != 0 {
		t.Fatalf("%d job objects despite the refusal", n)
	}

	// 2. Re-run under throttling and 5xx on every third call: completes.
	var calls atomic.Int64
	f = &faults{fail: func(req *http.Request, body string) (int, string) {
		switch calls.Add(1) % 6 {
		case 1:
			return http.StatusBadRequest, "Throttling"
		case 4:
			return http.StatusServiceUnavailable, "ServiceUnavailable"
		}
		return 0, ""
	}}
	h.wrapAWS = f.wrap
	up := decode[upView](t, h.mustRun("up", "-o", "json"))
	if f.injected.Load() == 0 || up.Uploaded == 0 || h.objectCount(out, "jobs/") == 0 {
		t.Fatalf("re-run: injected=%d uploaded=%d", f.injected.Load(), up.Uploaded)
	}
	t.Logf("re-run completed through %d injected throttling/5xx answers", f.injected.Load())
	h.wrapAWS = nil

	// 3. down keeps the data lake; only --delete-data (with --yes, no
	// terminal) would remove it.
	h.deleteWhatMotoCannot()
	h.mustRun("down", "--yes")
	if !h.bucketExists(up.Outputs.DataLakeBucket) || h.stackStatus(stackData) != "CREATE_COMPLETE" {
		t.Fatal("down removed the data without --delete-data")
	}
	if _, err := h.kube.CoreV1().Secrets("jupyter").Get(context.Background(), "jupyterhub-login", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("hub login Secret after down: %v", err)
	}
}

// BenchmarkUpNoop times `up` on a deployed, unchanged platform: synth,
// template comparison of every stack, Helm's no-op check, the job upload
// check. hack/bench.sh runs it (make bench).
func BenchmarkUpNoop(b *testing.B) {
	h := newHarness(b, kube.Require(b))
	if r := h.run("up"); r.code != 0 {
		h.seedLogin() // see the package comment
		h.mustRun("up")
	}
	b.ResetTimer()
	for range b.N {
		h.mustRun("up")
	}
}
