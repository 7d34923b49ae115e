package deploy_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/sqletl/blueprint/internal/deploy"
)

// stateFaults sits between the SDK and moto and puts a real moto stack in
// a CloudFormation state moto cannot reach (moto 5.2's stacks never fail,
// roll back or fail to delete, and it has neither ContinueUpdateRollback
// nor UpdateTerminationProtection). Per stack it can:
//
//   - report another StackStatus in DescribeStacks (status);
//   - add resource events to DescribeStackEvents, newest first (events),
//     and report the stack's own CREATE_COMPLETE as CREATE_FAILED
//     (createFailed: a first create that failed);
//   - answer an action itself (hook), e.g. ContinueUpdateRollback;
//   - keep termination protection the way CloudFormation does.
//
// Everything else is moto's real answer.
type stateFaults struct {
	next http.RoundTripper

	mu           sync.Mutex
	status       map[string]types.StackStatus
	events       map[string][]string
	createFailed map[string]bool
	protected    map[string]bool
	calls        []string // "Action stack"
	hook         func(action, stack string) (answer string, handled bool)
}

func newStateFaults() *stateFaults {
	return &stateFaults{status: map[string]types.StackStatus{}, events: map[string][]string{},
		createFailed: map[string]bool{}, protected: map[string]bool{}}
}

func (f *stateFaults) wrap(next http.RoundTripper) http.RoundTripper { f.next = next; return f }

func (f *stateFaults) set(stack string, st types.StackStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st == "" {
		delete(f.status, stack)
		return
	}
	f.status[stack] = st
}

// failEvent adds a failed resource event, timestamped now.
func (f *stateFaults) failEvent(stack, logicalID, typ, status, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events[stack] = append([]string{fmt.Sprintf(`<member><StackId>%s</StackId><EventId>%d</EventId><StackName>%s</StackName>`+
		`<LogicalResourceId>%s</LogicalResourceId><PhysicalResourceId>%s</PhysicalResourceId><ResourceType>%s</ResourceType>`+
		`<Timestamp>%s</Timestamp><ResourceStatus>%s</ResourceStatus><ResourceStatusReason>%s</ResourceStatusReason></member>`,
		stack, time.Now().UnixNano(), stack, logicalID, logicalID, typ, time.Now().UTC().Format(time.RFC3339Nano), status, reason)}, f.events[stack]...)
}

func (f *stateFaults) count(call string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == call {
			n++
		}
	}
	return n
}

var (
	statusRe     = regexp.MustCompile(`<StackStatus>\w+</StackStatus>`)
	protectionRe = regexp.MustCompile(`<EnableTerminationProtection>\w*</EnableTerminationProtection>`)
)

func (f *stateFaults) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Method != http.MethodPost {
		return f.next.RoundTrip(req)
	}
	body, _ := io.ReadAll(req.Body)
	req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	action, stack := form.Get("Action"), stackName(form.Get("StackName"))

	f.mu.Lock()
	f.calls = append(f.calls, action+" "+stack)
	hook := f.hook
	f.mu.Unlock()
	if hook != nil {
		if answer, ok := hook(action, stack); ok {
			return reply(req, answer), nil
		}
	}
	switch action {
	case "CreateStack":
		f.mu.Lock()
		f.protected[stack] = form.Get("EnableTerminationProtection") == "true"
		f.mu.Unlock()
	case "UpdateTerminationProtection":
		f.mu.Lock()
		f.protected[stack] = form.Get("EnableTerminationProtection") == "true"
		f.mu.Unlock()
		return reply(req, "<UpdateTerminationProtectionResponse><UpdateTerminationProtectionResult/></UpdateTerminationProtectionResponse>"), nil
	case "DescribeStacks", "DescribeStackEvents":
		resp, err := f.next.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			return resp, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		f.mu.Lock()
		if action == "DescribeStacks" {
			if st, ok := f.status[stack]; ok {
				b = statusRe.ReplaceAll(b, []byte("<StackStatus>"+st+"</StackStatus>"))
			}
			b = protectionRe.ReplaceAll(b, nil)
			tag := "<StackName>" + stack + "</StackName>"
			b = bytes.Replace(b, []byte(tag), []byte(fmt.Sprintf("%s<EnableTerminationProtection>%t</EnableTerminationProtection>", tag, f.protected[stack])), 1)
		} else {
			if f.createFailed[stack] {
				b = regexp.MustCompile(`(<ResourceType>AWS::CloudFormation::Stack</ResourceType>\s*(?:<[^>]+>[^<]*</[^>]+>\s*)*?<ResourceStatus>)CREATE_COMPLETE`).
					ReplaceAll(b, []byte("${1}CREATE_FAILED"))
			}
			b = bytes.Replace(b, []byte("<StackEvents>"), []byte("<StackEvents>"+strings.Join(f.events[stack], "")), 1)
		}
		f.mu.Unlock()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
		return resp, nil
	}
	return f.next.RoundTrip(req)
}

func reply(req *http.Request, body string) *http.Response {
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": []string{"text/xml"}}, Body: io.NopCloser(strings.NewReader(body)), Request: req}
}

func stackName(s string) string {
	if _, rest, ok := strings.Cut(s, ":stack/"); ok {
		name, _, _ := strings.Cut(rest, "/")
		return name
	}
	return s
}

// TestStackFailureStates drives the deployer through every failed state a
// stack can be left in, each injected on a real moto stack.
func TestStackFailureStates(t *testing.T) {
	moto.Require(t)
	type env struct {
		f   *stateFaults
		api *cloudformation.Client
		d   *deploy.Deployer
		evs *[]deploy.Event
	}
	setup := func(t *testing.T, name string, protected bool) env {
		moto.Reset(t)
		f := newStateFaults()
		cfg := moto.AWSConfig(t)
		cfg.HTTPClient = &http.Client{Transport: f.wrap(http.DefaultTransport)}
		api := cloudformation.NewFromConfig(cfg)
		d, evs := newDeployer(t, api)
		if _, err := d.Deploy(t.Context(), deploy.Stack{Name: name, Template: template("a"), TerminationProtection: protected}); err != nil {
			t.Fatal(err)
		}
		return env{f, api, d, evs}
	}
	deployedValue := func(t *testing.T, api *cloudformation.Client, name string) string {
		out, err := api.GetTemplate(t.Context(), &cloudformation.GetTemplateInput{StackName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.TemplateBody)
	}

	t.Run("UPDATE_ROLLBACK_FAILED: rollback continued, then the update", func(t *testing.T) {
		const name = "bp-urf"
		e := setup(t, name, false)
		e.f.set(name, types.StackStatusUpdateRollbackFailed)
		e.f.hook = func(action, stack string) (string, bool) {
			switch action {
			case "ContinueUpdateRollback":
				e.f.set(stack, types.StackStatusUpdateRollbackComplete)
				return "<ContinueUpdateRollbackResponse><ContinueUpdateRollbackResult/></ContinueUpdateRollbackResponse>", true
			case "ExecuteChangeSet":
				e.f.set(stack, "")
			}
			return "", false
		}
		res, err := e.d.Deploy(t.Context(), deploy.Stack{Name: name, Template: template("b")})
		if err != nil || !res.Changed {
			t.Fatalf("deploy: changed=%v err=%v", res.Changed, err)
		}
		if e.f.count("ContinueUpdateRollback "+name) != 1 || !strings.Contains(deployedValue(t, e.api, name), `"b"`) {
			t.Errorf("calls %v; template %s", e.f.calls, deployedValue(t, e.api, name))
		}
	})

	t.Run("UPDATE_ROLLBACK_FAILED that cannot finish: a person must act", func(t *testing.T) {
		const name = "bp-stuck"
		e := setup(t, name, false)
		e.f.set(name, types.StackStatusUpdateRollbackFailed)
		e.f.hook = func(action, stack string) (string, bool) {
			if action == "ContinueUpdateRollback" {
				e.f.failEvent(stack, "Param0", "AWS::SSM::Parameter", "UPDATE_FAILED", "Resource was deleted outside CloudFormation")
				return "<ContinueUpdateRollbackResponse><ContinueUpdateRollbackResult/></ContinueUpdateRollbackResponse>", true
			}
			return "", false
		}
		_, err := e.d.Deploy(t.Context(), deploy.Stack{Name: name, Template: template("b")})
		if !deploy.ActionNeeded(err) {
			t.Fatalf("err = %v, want one a person must act on", err)
		}
		for _, want := range []string{"--resources-to-skip Param0", "Resource was deleted outside CloudFormation", "console.aws.amazon.com/cloudformation"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
		if n := e.f.count("CreateChangeSet " + name); n != 0 {
			t.Errorf("a change set was created on a stack that cannot take one")
		}
	})

	t.Run("UPDATE_ROLLBACK_COMPLETE after a failed update: the update is retried", func(t *testing.T) {
		const name = "bp-urc"
		e := setup(t, name, false)
		e.f.set(name, types.StackStatusUpdateRollbackComplete)
		e.f.hook = func(action, stack string) (string, bool) {
			if action == "ExecuteChangeSet" {
				e.f.set(stack, "")
			}
			return "", false
		}
		res, err := e.d.Deploy(t.Context(), deploy.Stack{Name: name, Template: template("b")})
		if err != nil || !res.Changed || !strings.Contains(deployedValue(t, e.api, name), `"b"`) {
			t.Fatalf("changed=%v err=%v", res.Changed, err)
		}
	})

	deleteFailing := func(e env, name string, failures int) {
		e.f.hook = func(action, stack string) (string, bool) {
			if action != "DeleteStack" || failures == 0 {
				if action == "DeleteStack" {
					e.f.set(stack, "")
				}
				return "", false
			}
			failures--
			e.f.set(stack, types.StackStatusDeleteFailed)
			e.f.failEvent(stack, "Code", "AWS::S3::Bucket", "DELETE_FAILED", "The bucket you tried to delete is not empty")
			return "<DeleteStackResponse/>", true
		}
	}

	t.Run("DELETE_FAILED once: retried and deleted", func(t *testing.T) {
		const name = "bp-df1"
		e := setup(t, name, false)
		deleteFailing(e, name, 1)
		deleted, err := e.d.Delete(t.Context(), name)
		if err != nil || !deleted || e.f.count("DeleteStack "+name) != 2 {
			t.Fatalf("deleted=%v err=%v calls=%v", deleted, err, e.f.calls)
		}
	})

	t.Run("DELETE_FAILED for good: the blocking resources named; a re-run retries", func(t *testing.T) {
		const name = "bp-df"
		e := setup(t, name, false)
		deleteFailing(e, name, 2)
		_, err := e.d.Delete(t.Context(), name)
		if err == nil || !strings.Contains(err.Error(), "Code (AWS::S3::Bucket): The bucket you tried to delete is not empty") ||
			!strings.Contains(err.Error(), "console.aws.amazon.com") {
			t.Fatalf("err = %v, want the blocking bucket named with the console link", err)
		}
		// The bucket emptied meanwhile: the next delete (down re-run) goes through.
		deleted, err := e.d.Delete(t.Context(), name)
		if err != nil || !deleted {
			t.Fatalf("retry: deleted=%v err=%v", deleted, err)
		}
	})

	t.Run("DELETE_FAILED stack on up: deleted and created afresh", func(t *testing.T) {
		const name = "bp-dfup"
		e := setup(t, name, false)
		e.f.set(name, types.StackStatusDeleteFailed)
		e.f.hook = func(action, stack string) (string, bool) {
			if action == "DeleteStack" {
				e.f.set(stack, "")
			}
			return "", false
		}
		res, err := e.d.Deploy(t.Context(), deploy.Stack{Name: name, Template: template("b")})
		if err != nil || !res.Changed || e.f.count("CreateStack "+name) != 2 {
			t.Fatalf("changed=%v err=%v calls=%v", res.Changed, err, e.f.calls)
		}
	})

	t.Run("DELETE_FAILED data stack on up: a person must act", func(t *testing.T) {
		const name = "bp-dfdata"
		e := setup(t, name, true)
		e.f.set(name, types.StackStatusDeleteFailed)
		_, err := e.d.Deploy(t.Context(), deploy.Stack{Name: name, Template: template("a"), TerminationProtection: true})
		if !deploy.ActionNeeded(err) || e.f.count("DeleteStack "+name) != 0 {
			t.Fatalf("err = %v, deletes %d: want a stop, nothing deleted", err, e.f.count("DeleteStack "+name))
		}
	})

	for _, st := range []types.StackStatus{types.StackStatusRollbackComplete, types.StackStatusRollbackFailed} {
		t.Run(string(st)+" data stack whose first create failed: replaced", func(t *testing.T) {
			const name = "bp-data"
			e := setup(t, name, true)
			before := stackID(t, e.api, name)
			e.f.set(name, st)
			e.f.createFailed[name] = true // its events: the create never completed
			e.f.hook = func(action, stack string) (string, bool) {
				if action == "DeleteStack" {
					e.f.set(stack, "")
					e.f.createFailed[stack] = false
				}
				return "", false
			}
			res, err := e.d.Deploy(t.Context(), deploy.Stack{Name: name, Template: template("a"), TerminationProtection: true})
			if err != nil || !res.Changed {
				t.Fatalf("changed=%v err=%v", res.Changed, err)
			}
			if after := stackID(t, e.api, name); after == before {
				t.Error("the failed stack was not replaced")
			}
			order := strings.Join(e.f.calls, "\n")
			if i, j := strings.Index(order, "UpdateTerminationProtection"), strings.Index(order, "DeleteStack"); i < 0 || j < i {
				t.Errorf("want protection off, then the delete:\n%s", order)
			}
			if !e.f.protected[name] {
				t.Error("the new data stack is not termination-protected")
			}
		})
	}

	t.Run("ROLLBACK_COMPLETE data stack that once completed: never replaced", func(t *testing.T) {
		const name = "bp-data"
		e := setup(t, name, true)
		e.f.set(name, types.StackStatusRollbackComplete) // events still show CREATE_COMPLETE
		_, err := e.d.Deploy(t.Context(), deploy.Stack{Name: name, Template: template("a"), TerminationProtection: true})
		if !deploy.ActionNeeded(err) || e.f.count("DeleteStack "+name) != 0 || e.f.count("UpdateTerminationProtection "+name) != 0 {
			t.Fatalf("err = %v; calls %v: want a stop and nothing touched", err, e.f.calls)
		}
	})

	t.Run("ROLLBACK_FAILED unprotected stack: deleted and created", func(t *testing.T) {
		const name = "bp-rbf"
		e := setup(t, name, false)
		e.f.set(name, types.StackStatusRollbackFailed)
		e.f.hook = func(action, stack string) (string, bool) {
			if action == "DeleteStack" {
				e.f.set(stack, "")
			}
			return "", false
		}
		if res, err := e.d.Deploy(t.Context(), deploy.Stack{Name: name, Template: template("b")}); err != nil || !res.Changed {
			t.Fatalf("changed=%v err=%v", res.Changed, err)
		}
	})
}

func stackID(t *testing.T, api *cloudformation.Client, name string) string {
	t.Helper()
	out, err := api.DescribeStacks(t.Context(), &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Stacks[0].StackId)
}
