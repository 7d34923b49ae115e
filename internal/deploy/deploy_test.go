package deploy_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sqletl/blueprint/internal/awsapi"
	"github.com/sqletl/blueprint/internal/deploy"
	"github.com/sqletl/blueprint/internal/mototest"
	"github.com/sqletl/blueprint/internal/wait"
)

var moto *mototest.Server

func TestMain(m *testing.M) { os.Exit(mototest.RunShared(m, &moto)) }

// fastBackoff keeps polling tight: moto completes stack operations at once.
var fastBackoff = wait.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Factor: 2}

func template(params ...string) []byte {
	var b strings.Builder
	b.WriteString(`{"Resources":{`)
	for i, p := range params {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"Param%d":{"Type":"AWS::SSM::Parameter","Properties":{"Name":"/bp/p%d","Type":"String","Value":%q}}`, i, i, p)
	}
	b.WriteString(`},"Outputs":{"First":{"Value":{"Ref":"Param0"}}}}`)
	return []byte(b.String())
}

func newDeployer(t *testing.T, api deploy.API) (*deploy.Deployer, *[]deploy.Event) {
	var mu sync.Mutex
	events := &[]deploy.Event{}
	return &deploy.Deployer{API: api, Backoff: fastBackoff, OnEvent: func(e deploy.Event) {
		mu.Lock()
		defer mu.Unlock()
		*events = append(*events, e)
	}}, events
}

func status(t *testing.T, api *cloudformation.Client, name string) types.StackStatus {
	t.Helper()
	out, err := api.DescribeStacks(t.Context(), &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		t.Fatalf("describe %s: %v", name, err)
	}
	return out.Stacks[0].StackStatus
}

// The deployer's life cycle against moto's CloudFormation: create, no-op,
// update through a change set, delete, delete again.
func TestDeployLifecycle(t *testing.T) {
	moto.Require(t)
	moto.Reset(t)
	api := cloudformation.NewFromConfig(moto.AWSConfig(t))
	d, _ := newDeployer(t, api)
	ctx := t.Context()
	const name = "bp-lifecycle"

	steps := []struct {
		desc        string
		tmpl        []byte
		tags        map[string]string
		wantChanged bool
	}{
		{"create", template("a"), map[string]string{"blueprint:deployment": "bp"}, true},
		{"same template: no change", template("a"), map[string]string{"blueprint:deployment": "bp"}, false},
		{"same template re-indented: no change", []byte(strings.ReplaceAll(string(template("a")), ",", ",\n  ")), map[string]string{"blueprint:deployment": "bp"}, false},
		{"new resource: change set", template("a", "b"), map[string]string{"blueprint:deployment": "bp"}, true},
		{"changed value: change set", template("a", "c"), map[string]string{"blueprint:deployment": "bp"}, true},
	}
	for _, s := range steps {
		res, err := d.Deploy(ctx, deploy.Stack{Name: name, Template: s.tmpl, Tags: s.tags})
		if err != nil {
			t.Fatalf("%s: %v", s.desc, err)
		}
		if res.Changed != s.wantChanged {
			t.Errorf("%s: Changed = %v, want %v", s.desc, res.Changed, s.wantChanged)
		}
		if st := status(t, api, name); st != types.StackStatusCreateComplete && st != types.StackStatusUpdateComplete {
			t.Errorf("%s: status %s", s.desc, st)
		}
	}
	deployed, err := api.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(name)})
	if err != nil || !strings.Contains(aws.ToString(deployed.TemplateBody), "Param1") {
		t.Fatalf("updated template not deployed: %v", err)
	}

	for i, want := range []bool{true, false} {
		deleted, err := d.Delete(ctx, name)
		if err != nil || deleted != want {
			t.Fatalf("delete #%d: deleted=%v err=%v, want %v", i+1, deleted, err, want)
		}
	}
}

// A stack created with termination protection is never deleted by Delete.
func TestDeleteRefusesProtectedStack(t *testing.T) {
	moto.Require(t)
	moto.Reset(t)
	api := cloudformation.NewFromConfig(moto.AWSConfig(t))
	d, _ := newDeployer(t, api)
	const name = "bp-data"
	if _, err := d.Deploy(t.Context(), deploy.Stack{Name: name, Template: template("data"), TerminationProtection: true}); err != nil {
		t.Fatal(err)
	}
	out, err := api.DescribeStacks(t.Context(), &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil || !aws.ToBool(out.Stacks[0].EnableTerminationProtection) {
		t.Fatalf("termination protection not set at create: %v", err)
	}
	_, err = d.Delete(t.Context(), name)
	if err == nil || !strings.Contains(err.Error(), "termination protection") {
		t.Fatalf("Delete of a protected stack: err = %v, want a refusal", err)
	}
	if st := status(t, api, name); st != types.StackStatusCreateComplete {
		t.Fatalf("protected stack touched: %s", st)
	}
}

// s3Store stages templates in a moto bucket, as up does with the code bucket.
type s3Store struct {
	api    *s3.Client
	bucket string
}

func (s s3Store) PutTemplate(ctx context.Context, stack string, body []byte) (string, error) {
	key := "cloudformation/" + stack + ".json"
	if _, err := s.api.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &key, Body: strings.NewReader(string(body))}); err != nil {
		return "", err
	}
	// The virtual-hosted form up uses for the code bucket; moto resolves it
	// against its own S3.
	return fmt.Sprintf("https://%s.s3.%s.amazonaws.com/%s", s.bucket, mototest.Region, key), nil
}

// Templates over the 51,200-byte inline limit go through S3.
func TestLargeTemplateIsStaged(t *testing.T) {
	moto.Require(t)
	moto.Reset(t)
	cfg := moto.AWSConfig(t)
	api := cloudformation.NewFromConfig(cfg)
	s3api := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3api.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("code")}); err != nil {
		t.Fatal(err)
	}
	big := make([]string, 40)
	for i := range big {
		big[i] = strings.Repeat("x", 1500)
	}
	body := template(big...)
	if len(body) <= deploy.MaxInlineTemplate {
		t.Fatalf("test template is only %d bytes", len(body))
	}
	d, _ := newDeployer(t, api)
	stack := deploy.Stack{Name: "bp-big", Template: body}
	if _, err := d.Deploy(t.Context(), stack); err == nil || !strings.Contains(err.Error(), "inline limit") {
		t.Fatalf("without a store: err = %v, want the inline-limit error", err)
	}
	stack.Templates = s3Store{api: s3api, bucket: "code"}
	if _, err := d.Deploy(t.Context(), stack); err != nil {
		t.Fatal(err)
	}
	if _, err := s3api.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("code"), Key: aws.String("cloudformation/bp-big.json")}); err != nil {
		t.Fatalf("template not staged: %v", err)
	}
	res, err := d.Deploy(t.Context(), stack)
	if err != nil || res.Changed {
		t.Fatalf("re-deploy of a staged template: changed=%v err=%v, want a no-op", res.Changed, err)
	}
}

// faultyTransport fails the first attempts of every request with the
// given HTTP status and AWS error code, then lets them through to moto.
type faultyTransport struct {
	next     http.RoundTripper
	status   int
	code     string
	failures int // per distinct request body

	mu       sync.Mutex
	seen     map[string]int
	injected atomic.Int64
}

func (f *faultyTransport) wrap(next http.RoundTripper) http.RoundTripper {
	f.next = next
	return f
}

func (f *faultyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body := ""
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body.Close()
		body = string(b)
		req.Body = io.NopCloser(strings.NewReader(body))
	}
	key := req.Method + " " + req.URL.String() + " " + body
	f.mu.Lock()
	n := f.seen[key]
	f.seen[key] = n + 1
	f.mu.Unlock()
	if n < f.failures {
		f.injected.Add(1)
		xml := fmt.Sprintf(`<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>injected by test</Message></Error><RequestId>x</RequestId></ErrorResponse>`, f.code)
		return &http.Response{
			StatusCode: f.status, Status: http.StatusText(f.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:  http.Header{"Content-Type": []string{"text/xml"}},
			Body:    io.NopCloser(strings.NewReader(xml)),
			Request: req,
		}, nil
	}
	return f.next.RoundTrip(req)
}

// Throttling and 5xx answers are retried by the SDK config awsapi.Load
// builds (the one every command uses): a deploy whose every call first
// fails twice still completes.
func TestTransportFaultsAreRetried(t *testing.T) {
	moto.Require(t)
	cases := []struct {
		name   string
		status int
		code   string
	}{
		{"throttling", http.StatusBadRequest, "Throttling"},
		{"service unavailable", http.StatusServiceUnavailable, "ServiceUnavailable"},
		{"internal error", http.StatusInternalServerError, "InternalFailure"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			moto.Reset(t)
			moto.Setenv(t)
			ft := &faultyTransport{status: c.status, code: c.code, failures: 2, seen: map[string]int{}}
			cfg, err := awsapi.Load(t.Context(), awsapi.Options{Region: mototest.Region, WrapTransport: ft.wrap})
			if err != nil {
				t.Fatal(err)
			}
			d, _ := newDeployer(t, cloudformation.NewFromConfig(cfg))
			res, err := d.Deploy(t.Context(), deploy.Stack{Name: "bp-faults", Template: template("a")})
			if err != nil {
				t.Fatalf("deploy under injected %s: %v", c.code, err)
			}
			if !res.Changed || ft.injected.Load() == 0 {
				t.Fatalf("changed=%v injected=%d: the faults were not exercised", res.Changed, ft.injected.Load())
			}
			t.Logf("%d injected %s answers retried", ft.injected.Load(), c.code)
		})
	}
}

// Without retries (MaxAttempts 1) the same faults surface: the retry test
// above is not passing by accident.
func TestTransportFaultsSurfaceWithoutRetries(t *testing.T) {
	moto.Require(t)
	moto.Reset(t)
	moto.Setenv(t)
	ft := &faultyTransport{status: http.StatusServiceUnavailable, code: "ServiceUnavailable", failures: 2, seen: map[string]int{}}
	cfg, err := awsapi.Load(t.Context(), awsapi.Options{Region: mototest.Region, MaxAttempts: 1, WrapTransport: ft.wrap})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := newDeployer(t, cloudformation.NewFromConfig(cfg))
	if _, err := d.Deploy(t.Context(), deploy.Stack{Name: "bp-faults", Template: template("a")}); err == nil {
		t.Fatal("deploy succeeded although every call failed and retries were off")
	}
}

// With RoleARN, CloudFormation is told to act as that service role.
func TestDeployWithServiceRole(t *testing.T) {
	moto.Require(t)
	moto.Reset(t)
	api := cloudformation.NewFromConfig(moto.AWSConfig(t))
	d, _ := newDeployer(t, api)
	d.RoleARN = "arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1"
	if _, err := d.Deploy(t.Context(), deploy.Stack{Name: "bp-role", Template: template("a")}); err != nil {
		t.Fatal(err)
	}
	out, err := api.DescribeStacks(t.Context(), &cloudformation.DescribeStacksInput{StackName: aws.String("bp-role")})
	if err != nil || aws.ToString(out.Stacks[0].RoleARN) != d.RoleARN {
		t.Fatalf("stack role = %v (err %v), want %s", out.Stacks[0].RoleARN, err, d.RoleARN)
	}
}
