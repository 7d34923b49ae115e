package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/internal/awsapi"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/deploy"
	"github.com/sqletl/blueprint/internal/mototest"
	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/stackreg"
	"github.com/sqletl/blueprint/internal/wait"
)

// These tests run the actions against a real moto_server. moto's
// CloudFormation cannot create an EKS cluster and does not implement some
// of CloudFormation's rules and states; where a test needs one, a fault
// injector (cfnRules) in the HTTP path applies it, documented there. The
// stacks' templates are small stand-ins generated from the registry: the
// same names, outputs and cross-stack imports (Fn::ImportValue) as the CDK
// app's, with resources moto can create.

var moto *mototest.Server

func TestMain(m *testing.M) { os.Exit(mototest.RunShared(m, &moto)) }

var fast = wait.Backoff{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond, Factor: 2}

// motoEnv is one test's view of moto: the SDK clients (through the rules
// injector) and the stacks' stand-in templates.
type motoEnv struct {
	t     *testing.T
	cfg   aws.Config
	rules *cfnRules
	reg   *stackreg.Registry
	conf  *config.Config
	cfn   *cloudformation.Client
	s3    *s3.Client
	glue  *glue.Client
	kms   *kms.Client
	ec2   *ec2.Client
	elb   *elbv2.Client
	logs  *cloudwatchlogs.Client
}

func newMotoEnv(t *testing.T, yaml string, reg func(*config.Config) *stackreg.Registry) *motoEnv {
	t.Helper()
	moto.Require(t)
	moto.Reset(t)
	conf, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	conf.Region = mototest.Region
	e := &motoEnv{t: t, conf: conf, reg: reg(conf)}
	e.rules = &cfnRules{next: http.DefaultTransport, env: e}
	e.cfg = moto.AWSConfig(t)
	e.cfg.HTTPClient = &http.Client{Transport: e.rules}
	e.cfn = cloudformation.NewFromConfig(e.cfg)
	e.s3 = s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	e.glue = glue.NewFromConfig(e.cfg)
	e.kms = kms.NewFromConfig(e.cfg)
	e.ec2 = ec2.NewFromConfig(e.cfg)
	e.elb = elbv2.NewFromConfig(e.cfg)
	e.logs = cloudwatchlogs.NewFromConfig(e.cfg)
	return e
}

func (e *motoEnv) aws() AWS {
	return AWS{Stacks: e.cfn, Identity: sts.NewFromConfig(e.cfg), Objects: e.s3, Secrets: secretsmanager.NewFromConfig(e.cfg),
		Leftovers: awsapi.Leftovers{EC2: e.ec2, ELB: e.elb, Logs: e.logs}}
}

func (e *motoEnv) deployer() *deploy.Deployer {
	return &deploy.Deployer{API: e.cfn, Backoff: fast}
}

// template is a stand-in for the registry stack s: every output of the
// registry exported as "<stack>:<key>", one import of each dependency's
// first export, and for the data stack, retained buckets and a key like
// the real one's.
func (e *motoEnv) template(s stackreg.Stack) []byte {
	res := map[string]any{
		"Marker": map[string]any{"Type": "AWS::SSM::Parameter", "Properties": map[string]any{
			"Name": "/" + s.Name + "/marker", "Type": "String", "Value": s.Name}},
	}
	values := map[string]any{}
	switch s.Role {
	case stackreg.Data:
		for id, key := range map[string]string{"Lake": stackreg.OutputDataLakeBucket, "AccessLogs": stackreg.OutputAccessLogsBucket} {
			res[id] = map[string]any{"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
			values[key] = map[string]any{"Ref": id}
		}
		res["Key"] = map[string]any{"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
			// A JSON string: moto 5.2 cannot describe a key whose policy
			// came as an object.
			"Properties": map[string]any{"KeyPolicy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}`}}
		values[stackreg.OutputKeyArn] = map[string]any{"Fn::GetAtt": []string{"Key", "Arn"}}
		values[stackreg.OutputGlueDatabase] = strings.ReplaceAll(e.conf.Name, "-", "_") + "_lake"
	case stackreg.Analytics:
		for id, key := range map[string]string{"Code": stackreg.OutputCodeBucket, "Logs": stackreg.OutputLogsBucket} {
			res[id] = map[string]any{"Type": "AWS::S3::Bucket"}
			values[key] = map[string]any{"Ref": id}
		}
	}
	for i, d := range s.DependsOn {
		dep := e.reg.Stack(d)
		res[fmt.Sprintf("Import%d", i)] = map[string]any{"Type": "AWS::SSM::Parameter", "Properties": map[string]any{
			"Name": fmt.Sprintf("/%s/import%d", s.Name, i), "Type": "String",
			"Value": map[string]any{"Fn::ImportValue": dep.Name + ":" + dep.Outputs[0]}}}
	}
	outs := map[string]any{}
	for _, k := range s.Outputs {
		v, ok := values[k]
		if !ok {
			v = s.Name + "-" + k
		}
		outs[k] = map[string]any{"Value": v, "Export": map[string]any{"Name": s.Name + ":" + k}}
	}
	tpl := map[string]any{"Resources": res, "Outputs": outs}
	if s.Role == stackreg.Cluster {
		tpl["Parameters"] = map[string]any{stackreg.DeployerParameter: map[string]any{"Type": "String", "Default": ""}}
	}
	b, err := json.Marshal(tpl)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// deployAll creates every registered stack as `up` would (dependencies
// first; the data stack termination-protected).
func (e *motoEnv) deployAll() {
	e.t.Helper()
	d := e.deployer()
	for _, s := range e.reg.Stacks() {
		if _, err := d.Deploy(e.t.Context(), deploy.Stack{Name: s.Name, Template: e.template(s), TerminationProtection: s.HoldsData,
			Tags: StackTags(e.conf)}); err != nil {
			e.t.Fatalf("deploying %s: %v", s.Name, err)
		}
	}
}

func (e *motoEnv) exists(stack string) bool {
	e.t.Helper()
	out, err := e.cfn.DescribeStacks(e.t.Context(), &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if deploy.IsStackMissing(err) {
		return false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return len(out.Stacks) > 0 && out.Stacks[0].StackStatus != "DELETE_COMPLETE"
}

// cfnRules sits between the SDK and moto and applies CloudFormation rules
// moto lacks:
//
//   - an export cannot be deleted while another stack imports it. Real
//     CloudFormation accepts the DeleteStack call, then leaves the stack
//     in its previous state with StackStatusReason "Export X cannot be
//     deleted as it is in use by Y" (seen in aws/aws-cdk#604 and
//     boto/boto3#4192). moto deletes it anyway; here the call is accepted
//     and not passed on, so the stack stays, as in CloudFormation.
//   - a parameter an update leaves out takes its template default
//     (CloudFormation's rule unless UsePreviousValue is set; moto 5.2
//     keeps the previous value instead, which would hide a reset): the
//     default is added to CreateChangeSet's parameters.
//   - termination protection (moto 5.2 neither stores nor enforces it,
//     and has no UpdateTerminationProtection): the flag is kept here, from
//     CreateStack's EnableTerminationProtection and
//     UpdateTerminationProtection, shown in DescribeStacks, and DeleteStack
//     of a protected stack fails with CloudFormation's ValidationError
//     "Stack [X] cannot be deleted while TerminationProtection is enabled".
//
// It also records the order of deletions.
type cfnRules struct {
	next http.RoundTripper
	env  *motoEnv

	protected map[string]bool

	mu      sync.Mutex
	deletes []string // stacks whose deletion reached moto, in order
	refused []string // deletions refused for an export in use
	// hook, when set, may answer a request itself (fault injection of a
	// stack state); it gets the parsed form.
	hook func(action string, form url.Values) *http.Response
}

func (r *cfnRules) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Method != http.MethodPost || !strings.Contains(req.Header.Get("Content-Type"), "x-www-form-urlencoded") {
		return r.next.RoundTrip(req)
	}
	body, _ := io.ReadAll(req.Body)
	req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	action := form.Get("Action")
	if r.hook != nil {
		if resp := r.hook(action, form); resp != nil {
			resp.Request = req
			return resp, nil
		}
	}
	name := stackName(form.Get("StackName"))
	if action == "CreateChangeSet" && form.Get("ChangeSetType") != "CREATE" {
		if added := withDefaults(form); added != nil {
			body = []byte(added.Encode())
			req.Body = io.NopCloser(bytes.NewReader(body))
			req.ContentLength = int64(len(body))
			req.Header.Del("Content-Length")
		}
	}
	switch action {
	case "CreateStack":
		r.setProtected(name, form.Get("EnableTerminationProtection") == "true")
	case "UpdateTerminationProtection":
		r.setProtected(name, form.Get("EnableTerminationProtection") == "true")
		return xmlResponse(req, http.StatusOK, `<UpdateTerminationProtectionResponse><UpdateTerminationProtectionResult><StackId>`+
			form.Get("StackName")+`</StackId></UpdateTerminationProtectionResult></UpdateTerminationProtectionResponse>`), nil
	case "DescribeStacks":
		resp, err := r.next.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusOK || name == "" {
			return resp, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		b = protectionRe.ReplaceAll(b, nil)
		tag := "<StackName>" + name + "</StackName>"
		b = bytes.Replace(b, []byte(tag), []byte(fmt.Sprintf("%s<EnableTerminationProtection>%t</EnableTerminationProtection>", tag, r.isProtected(name))), 1)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
		return resp, nil
	}
	if action == "DeleteStack" {
		if r.isProtected(name) {
			return xmlResponse(req, http.StatusBadRequest, `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack [`+
				name+`] cannot be deleted while TerminationProtection is enabled</Message></Error><RequestId>x</RequestId></ErrorResponse>`), nil
		}
		if by := r.importers(req.Context(), name); len(by) > 0 {
			r.mu.Lock()
			r.refused = append(r.refused, name+" (in use by "+strings.Join(by, ", ")+")")
			r.mu.Unlock()
			return xmlResponse(req, http.StatusOK, `<DeleteStackResponse><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></DeleteStackResponse>`), nil
		}
		r.mu.Lock()
		r.deletes = append(r.deletes, name)
		r.mu.Unlock()
	}
	return r.next.RoundTrip(req)
}

// withDefaults adds to a CreateChangeSet form every template parameter
// with a default that the form neither sets nor marks UsePreviousValue;
// nil when nothing is added.
func withDefaults(form url.Values) url.Values {
	var tpl struct {
		Parameters map[string]struct{ Default *string }
	}
	if json.Unmarshal([]byte(form.Get("TemplateBody")), &tpl) != nil {
		return nil
	}
	given := map[string]bool{}
	n := 0
	for ; form.Has(fmt.Sprintf("Parameters.member.%d.ParameterKey", n+1)); n++ {
		given[form.Get(fmt.Sprintf("Parameters.member.%d.ParameterKey", n+1))] = true
	}
	added := false
	for k, p := range tpl.Parameters {
		if given[k] || p.Default == nil {
			continue
		}
		n++
		form.Set(fmt.Sprintf("Parameters.member.%d.ParameterKey", n), k)
		form.Set(fmt.Sprintf("Parameters.member.%d.ParameterValue", n), *p.Default)
		added = true
	}
	if !added {
		return nil
	}
	return form
}

// protectionRe matches moto's own flag, which UpdateTerminationProtection
// cannot change there.
var protectionRe = regexp.MustCompile(`<EnableTerminationProtection>\w*</EnableTerminationProtection>`)

func (r *cfnRules) setProtected(name string, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.protected == nil {
		r.protected = map[string]bool{}
	}
	r.protected[name] = on
}

func (r *cfnRules) isProtected(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.protected[name]
}

// importers lists the live stacks that import name's exports (in these
// templates, every registered dependent).
func (r *cfnRules) importers(ctx context.Context, name string) []string {
	s, ok := r.env.reg.ByName(name)
	if !ok {
		return nil
	}
	raw := cloudformation.NewFromConfig(moto.AWSConfig(r.env.t)) // straight to moto
	var by []string
	for _, other := range r.env.reg.Stacks() {
		for _, d := range other.DependsOn {
			if d != s.Role {
				continue
			}
			out, err := raw.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(other.Name)})
			if err == nil && len(out.Stacks) > 0 && out.Stacks[0].StackStatus != "DELETE_COMPLETE" {
				by = append(by, other.Name)
			}
		}
	}
	return by
}

// stackName takes a stack name or ID (arn:...:stack/<name>/<uuid>).
func stackName(s string) string {
	if _, rest, ok := strings.Cut(s, ":stack/"); ok {
		name, _, _ := strings.Cut(rest, "/")
		return name
	}
	return s
}

func xmlResponse(req *http.Request, status int, body string) *http.Response {
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": []string{"text/xml"}}, Body: io.NopCloser(strings.NewReader(body)), Request: req,
	}
}

// noCluster stands in for the Kubernetes side, which these tests do not
// exercise (e2e does, against a real API server): it records calls.
type noCluster struct {
	mu    sync.Mutex
	calls []string
}

func (c *noCluster) Connect(context.Context, *outputs.Platform) (*rest.Config, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, "connect")
	return &rest.Config{Host: "https://cluster.invalid"}, nil
}

func (c *noCluster) Apply(context.Context, *rest.Config, *config.Config, *outputs.Platform, Login) error {
	return nil
}

func (c *noCluster) Uninstall(context.Context, *rest.Config, *config.Config) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, "uninstall")
	return nil
}

func (c *noCluster) List(context.Context, *rest.Config, *config.Config) ([]ReleaseStatus, error) {
	return nil, nil
}

func (c *noCluster) Planned(*config.Config) []ReleaseStatus { return nil }

func yes(string) (bool, error) { return true, nil }
