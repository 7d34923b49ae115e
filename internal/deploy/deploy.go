// Package deploy deploys and deletes CloudFormation stacks with change
// sets: idempotent (an unchanged template is a fast no-op), resumable (a
// stack left in a failed or in-progress state is brought to a state that
// can be deployed), with per-resource progress events and, on failure,
// the first failing resource and its reason.
package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/aws/smithy-go"

	"github.com/sqletl/blueprint/internal/wait"
)

// MaxInlineTemplate is CloudFormation's limit for a template passed in the
// request; larger ones go through S3 (TemplateStore).
const MaxInlineTemplate = 51200

// API is the CloudFormation calls the deployer makes.
type API interface {
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	GetTemplate(context.Context, *cloudformation.GetTemplateInput, ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error)
	CreateStack(context.Context, *cloudformation.CreateStackInput, ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error)
	CreateChangeSet(context.Context, *cloudformation.CreateChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error)
	DescribeChangeSet(context.Context, *cloudformation.DescribeChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error)
	ExecuteChangeSet(context.Context, *cloudformation.ExecuteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error)
	DeleteChangeSet(context.Context, *cloudformation.DeleteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteChangeSetOutput, error)
	DescribeStackEvents(context.Context, *cloudformation.DescribeStackEventsInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error)
	DeleteStack(context.Context, *cloudformation.DeleteStackInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error)
	UpdateTerminationProtection(context.Context, *cloudformation.UpdateTerminationProtectionInput, ...func(*cloudformation.Options)) (*cloudformation.UpdateTerminationProtectionOutput, error)
	ContinueUpdateRollback(context.Context, *cloudformation.ContinueUpdateRollbackInput, ...func(*cloudformation.Options)) (*cloudformation.ContinueUpdateRollbackOutput, error)
}

// TemplateStore puts a template where CloudFormation can read it and
// returns its URL (used for templates over MaxInlineTemplate).
type TemplateStore interface {
	PutTemplate(ctx context.Context, stack string, body []byte) (url string, err error)
}

// Stack is what to deploy.
type Stack struct {
	Name       string
	Template   []byte
	Parameters map[string]string
	Tags       map[string]string
	// TerminationProtection is turned on (or off) to match.
	TerminationProtection bool
	// Templates stores a template too large to pass inline; may be nil.
	Templates TemplateStore
}

// Event is one resource status change, for progress output.
type Event struct {
	Stack, LogicalID, ResourceType, Status, Reason string
	Time                                           time.Time
}

// Failed reports whether the event is a failure.
func (e Event) Failed() bool { return strings.HasSuffix(e.Status, "_FAILED") }

// Deployer deploys stacks.
type Deployer struct {
	API API
	// RoleARN, when set, is the service role CloudFormation acts as for
	// every create, update and delete (so the caller, e.g. a CI role,
	// needs only iam:PassRole on it, not the rights to every resource).
	RoleARN string
	OnEvent func(Event)
	Clock   wait.Clock
	Backoff wait.Backoff
}

// Result says what a deploy did.
type Result struct {
	Stack   string
	Changed bool
}

// Error is a failed deploy or delete, naming the first failing resource.
type Error struct {
	Stack, Status string
	// FirstFailure is the earliest failed resource event, if any.
	FirstFailure *Event
	// Reason is the stack's StackStatusReason (e.g. an export in use).
	Reason string
	// Blockers are the resources a delete could not remove.
	Blockers []Event
	// Action, when set, is what a person must do: blueprint will not
	// guess (ActionNeeded reports it). Console links to the stack.
	Action, Console string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stack %q ended in %s", e.Stack, e.Status)
	switch {
	case len(e.Blockers) > 0:
		b.WriteString("; the delete was blocked by:")
		for _, f := range e.Blockers {
			fmt.Fprintf(&b, " %s (%s): %s;", f.LogicalID, f.ResourceType, f.Reason)
		}
	case e.FirstFailure != nil:
		f := e.FirstFailure
		fmt.Fprintf(&b, ": %s (%s) %s: %s", f.LogicalID, f.ResourceType, f.Status, f.Reason)
	case e.Reason != "":
		b.WriteString(": " + e.Reason)
	}
	if e.Action != "" {
		b.WriteString("\n  A person must act: " + e.Action)
	}
	if e.Console != "" {
		b.WriteString("\n  Console: " + e.Console)
	}
	return b.String()
}

// ActionNeeded reports whether err is a stack state blueprint does not
// resolve on its own.
func ActionNeeded(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Action != ""
}

// ConsoleURL links to a stack (by ID or name) in the CloudFormation console.
func ConsoleURL(stack string) string {
	region := "us-east-1"
	if parts := strings.Split(stack, ":"); len(parts) > 4 && strings.HasPrefix(stack, "arn:") {
		region = parts[3]
	}
	return fmt.Sprintf("https://%s.console.aws.amazon.com/cloudformation/home?region=%s#/stacks/stackinfo?stackId=%s",
		region, region, url.QueryEscape(stack))
}

func (d *Deployer) clock() wait.Clock {
	if d.Clock == nil {
		return wait.Real
	}
	return d.Clock
}

func (d *Deployer) roleARN() *string {
	if d.RoleARN == "" {
		return nil
	}
	return aws.String(d.RoleARN)
}

func (d *Deployer) emit(e Event) {
	if d.OnEvent != nil {
		d.OnEvent(e)
	}
}

// Deploy creates or updates s and waits until it is done.
func (d *Deployer) Deploy(ctx context.Context, s Stack) (Result, error) {
	res := Result{Stack: s.Name}
	current, err := d.settle(ctx, s.Name)
	if err != nil {
		return res, err
	}
	if current, err = d.recover(ctx, current); err != nil {
		return res, err
	}
	body, url, err := d.templateSource(ctx, s)
	if err != nil {
		return res, err
	}
	if current == nil {
		return d.create(ctx, s, body, url)
	}
	s.Parameters = keepDeployed(current, s)
	same, err := d.upToDate(ctx, current, s)
	if err != nil {
		return res, err
	}
	if same {
		return res, d.protect(ctx, current, s)
	}
	in := &cloudformation.CreateChangeSetInput{
		StackName:     aws.String(s.Name),
		ChangeSetName: aws.String(fmt.Sprintf("blueprint-%d", d.clock().Now().UnixMilli())),
		ChangeSetType: types.ChangeSetTypeUpdate,
		Capabilities:  capabilities,
		Parameters:    parameters(s.Parameters),
		Tags:          tags(s.Tags),
		Description:   aws.String("blueprint up"),
		RoleARN:       d.roleARN(),
		TemplateBody:  body,
		TemplateURL:   url,
	}
	started := d.clock().Now()
	cs, err := d.API.CreateChangeSet(ctx, in)
	if err != nil {
		return res, fmt.Errorf("creating change set for %q: %w", s.Name, err)
	}
	changes, err := d.waitChangeSet(ctx, s.Name, aws.ToString(cs.Id))
	if err != nil {
		return res, err
	}
	if !changes {
		_, _ = d.API.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: cs.Id, StackName: aws.String(s.Name)})
		current, err = d.describe(ctx, s.Name)
		if err != nil {
			return res, err
		}
		return res, d.protect(ctx, current, s)
	}
	if _, err := d.API.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{ChangeSetName: cs.Id, StackName: aws.String(s.Name)}); err != nil {
		return res, fmt.Errorf("executing change set for %q: %w", s.Name, err)
	}
	res.Changed = true
	final, err := d.waitStack(ctx, s.Name, started)
	if err != nil {
		return res, err
	}
	if !succeeded(final.StackStatus) {
		return res, d.failure(ctx, s.Name, final.StackStatus, started)
	}
	return res, d.protect(ctx, final, s)
}

// recover brings a stack left in a failed state to one that can be
// deployed: nil (create afresh) or a stack that can take a change set.
//
//	UPDATE_ROLLBACK_FAILED        continue the rollback; if it cannot
//	                              finish, a person must skip or fix resources
//	ROLLBACK_COMPLETE/_FAILED,    the first create failed: delete and create
//	REVIEW_IN_PROGRESS            afresh, even when termination-protected,
//	                              once the events prove it never completed
//	                              (so it never held data)
//	DELETE_FAILED                 retry the delete, then create afresh;
//	                              protected (data) stacks: a person decides
//	UPDATE_ROLLBACK_COMPLETE      deployable: the update is simply retried
func (d *Deployer) recover(ctx context.Context, current *types.Stack) (*types.Stack, error) {
	if current == nil {
		return nil, nil
	}
	name, id := aws.ToString(current.StackName), aws.ToString(current.StackId)
	protected := aws.ToBool(current.EnableTerminationProtection)
	switch current.StackStatus {
	case types.StackStatusUpdateRollbackFailed:
		return d.continueRollback(ctx, current)
	case types.StackStatusRollbackComplete, types.StackStatusRollbackFailed, types.StackStatusReviewInProgress:
		if protected {
			completed, err := d.everCompleted(ctx, id)
			if err != nil {
				return nil, err
			}
			if completed {
				return nil, &Error{Stack: name, Status: string(current.StackStatus), Reason: aws.ToString(current.StackStatusReason),
					Action:  "the stack once completed and may hold data; blueprint does not replace it. Inspect it and delete or repair it yourself",
					Console: ConsoleURL(id)}
			}
			// Never completed: its create failed, nothing was ever
			// written through it. Its retained resources stay (Retain).
			d.emit(Event{Stack: name, LogicalID: name, Status: "UNPROTECTING_FAILED_CREATE", Reason: "first create failed; it never held data", Time: d.clock().Now()})
			if err := d.Unprotect(ctx, id); err != nil {
				return nil, fmt.Errorf("turning off termination protection of %q (its first create failed): %w", name, err)
			}
			current.EnableTerminationProtection = aws.Bool(false)
		}
		d.emit(Event{Stack: name, LogicalID: name, Status: "DELETING_INCOMPLETE_CREATE", Time: d.clock().Now()})
		if _, err := d.deleteSettled(ctx, current); err != nil {
			return nil, err
		}
		return nil, nil
	case types.StackStatusDeleteFailed:
		if protected {
			return nil, &Error{Stack: name, Status: string(current.StackStatus), Reason: aws.ToString(current.StackStatusReason),
				Action:  "a delete of this termination-protected (data) stack failed part-way; check what is left of the data, then finish with `blueprint down --delete-data` or repair the stack",
				Console: ConsoleURL(id)}
		}
		d.emit(Event{Stack: name, LogicalID: name, Status: "RETRYING_FAILED_DELETE", Time: d.clock().Now()})
		if _, err := d.deleteSettled(ctx, current); err != nil {
			return nil, err
		}
		return nil, nil
	}
	return current, nil
}

// continueRollback finishes a rollback that failed (UPDATE_ROLLBACK_FAILED,
// often a resource changed or deleted outside CloudFormation meanwhile).
func (d *Deployer) continueRollback(ctx context.Context, current *types.Stack) (*types.Stack, error) {
	name, id := aws.ToString(current.StackName), aws.ToString(current.StackId)
	d.emit(Event{Stack: name, LogicalID: name, Status: "CONTINUING_UPDATE_ROLLBACK", Time: d.clock().Now()})
	started := d.clock().Now()
	if _, err := d.API.ContinueUpdateRollback(ctx, &cloudformation.ContinueUpdateRollbackInput{StackName: aws.String(id), RoleARN: d.roleARN()}); err != nil {
		return nil, fmt.Errorf("continuing the failed rollback of %q: %w", name, err)
	}
	final, err := d.waitStack(ctx, id, started)
	if err != nil {
		return nil, err
	}
	if final != nil && final.StackStatus == types.StackStatusUpdateRollbackComplete {
		return final, nil
	}
	e := d.failure(ctx, id, types.StackStatusUpdateRollbackFailed, started).(*Error)
	e.Stack = name
	skip := "<LogicalId>"
	if e.FirstFailure != nil {
		skip = e.FirstFailure.LogicalID
	}
	e.Action = fmt.Sprintf("the rollback cannot finish on its own. Fix the resource named above, or skip it: "+
		"aws cloudformation continue-update-rollback --stack-name %s --resources-to-skip %s; then run up again", name, skip)
	e.Console = ConsoleURL(id)
	return nil, e
}

// everCompleted reports whether the stack ever reached CREATE_COMPLETE or
// UPDATE_COMPLETE, from its whole event history.
func (d *Deployer) everCompleted(ctx context.Context, id string) (bool, error) {
	in := &cloudformation.DescribeStackEventsInput{StackName: aws.String(id)}
	for {
		out, err := d.API.DescribeStackEvents(ctx, in)
		if err != nil {
			return false, fmt.Errorf("reading the events of %q: %w", id, err)
		}
		for _, e := range out.StackEvents {
			if aws.ToString(e.ResourceType) == "AWS::CloudFormation::Stack" && aws.ToString(e.PhysicalResourceId) == id &&
				(e.ResourceStatus == types.ResourceStatusCreateComplete || e.ResourceStatus == types.ResourceStatusUpdateComplete) {
				return true, nil
			}
		}
		if out.NextToken == nil {
			return false, nil
		}
		in.NextToken = out.NextToken
	}
}

var capabilities = []types.Capability{types.CapabilityCapabilityIam, types.CapabilityCapabilityNamedIam}

// create makes a new stack. CreateStack rather than a change set: it sets
// termination protection from the start, so the data stack is never
// unprotected, even for a moment.
func (d *Deployer) create(ctx context.Context, s Stack, body, url *string) (Result, error) {
	res := Result{Stack: s.Name, Changed: true}
	started := d.clock().Now()
	out, err := d.API.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:                   aws.String(s.Name),
		Capabilities:                capabilities,
		Parameters:                  parameters(s.Parameters),
		Tags:                        tags(s.Tags),
		TemplateBody:                body,
		TemplateURL:                 url,
		EnableTerminationProtection: aws.Bool(s.TerminationProtection),
		OnFailure:                   types.OnFailureRollback,
		RoleARN:                     d.roleARN(),
	})
	if err != nil {
		return res, fmt.Errorf("creating stack %q: %w", s.Name, err)
	}
	final, err := d.waitStack(ctx, aws.ToString(out.StackId), started)
	if err != nil {
		return res, err
	}
	if final == nil || !succeeded(final.StackStatus) {
		status := types.StackStatusDeleteComplete
		if final != nil {
			status = final.StackStatus
		}
		return res, d.failure(ctx, aws.ToString(out.StackId), status, started)
	}
	return res, nil
}

// templateSource passes the template inline, or through s.Templates when
// it is over CloudFormation's inline limit.
func (d *Deployer) templateSource(ctx context.Context, s Stack) (body, url *string, err error) {
	if len(s.Template) <= MaxInlineTemplate {
		return aws.String(string(s.Template)), nil, nil
	}
	if s.Templates == nil {
		return nil, nil, fmt.Errorf("stack %q: template is %d bytes, over CloudFormation's inline limit of %d, and no bucket is available to stage it", s.Name, len(s.Template), MaxInlineTemplate)
	}
	u, err := s.Templates.PutTemplate(ctx, s.Name, s.Template)
	if err != nil {
		return nil, nil, fmt.Errorf("staging template of %q: %w", s.Name, err)
	}
	return nil, aws.String(u), nil
}

// Delete deletes the stack and waits. Deleting a stack that does not exist
// is not an error (deleted=false). A delete that fails (DELETE_FAILED) is
// retried once, as some blockers clear by themselves (an ENI still
// detaching); if it fails again the error names every resource that
// blocked it.
func (d *Deployer) Delete(ctx context.Context, name string) (deleted bool, err error) {
	current, err := d.settle(ctx, name)
	if err != nil || current == nil {
		return false, err
	}
	return d.deleteSettled(ctx, current)
}

func (d *Deployer) deleteSettled(ctx context.Context, current *types.Stack) (bool, error) {
	name := aws.ToString(current.StackName)
	if aws.ToBool(current.EnableTerminationProtection) {
		return false, fmt.Errorf("stack %q has termination protection; it holds data blueprint keeps unless told otherwise", name)
	}
	// Stack IDs stay valid after deletion, unlike names, so polling by ID
	// sees the final DELETE_COMPLETE.
	id := aws.ToString(current.StackId)
	for attempt := 1; ; attempt++ {
		started := d.clock().Now()
		if _, err := d.API.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(id), RoleARN: d.roleARN()}); err != nil {
			return false, fmt.Errorf("deleting stack %q: %w", name, err)
		}
		final, err := d.waitStack(ctx, id, started)
		if err != nil {
			return false, err
		}
		if final == nil || final.StackStatus == types.StackStatusDeleteComplete {
			return true, nil
		}
		if final.StackStatus == types.StackStatusDeleteFailed && attempt < 2 {
			d.emit(Event{Stack: name, LogicalID: name, Status: "RETRYING_FAILED_DELETE", Time: d.clock().Now()})
			continue
		}
		e := d.failure(ctx, id, final.StackStatus, started).(*Error)
		e.Stack, e.Reason, e.Console = name, aws.ToString(final.StackStatusReason), ConsoleURL(id)
		if events, err := d.events(ctx, id, started); err == nil {
			seen := map[string]bool{}
			for _, ev := range events {
				if ev.Status == string(types.ResourceStatusDeleteFailed) && ev.LogicalID != name && !seen[ev.LogicalID] {
					seen[ev.LogicalID] = true
					e.Blockers = append(e.Blockers, ev)
				}
			}
		}
		return false, e
	}
}

// Unprotect turns termination protection off (before --delete-data).
func (d *Deployer) Unprotect(ctx context.Context, name string) error {
	_, err := d.API.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{
		StackName: aws.String(name), EnableTerminationProtection: aws.Bool(false),
	})
	if IsStackMissing(err) {
		return nil
	}
	return err
}

func (d *Deployer) describe(ctx context.Context, name string) (*types.Stack, error) {
	out, err := d.API.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if IsStackMissing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describing stack %q: %w", name, err)
	}
	if len(out.Stacks) == 0 || out.Stacks[0].StackStatus == types.StackStatusDeleteComplete {
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// settle returns the stack once no operation is in progress on it (nil if
// it does not exist), so a re-run after an interrupted `up` can continue.
func (d *Deployer) settle(ctx context.Context, name string) (*types.Stack, error) {
	var st *types.Stack
	err := wait.Until(ctx, "stack "+name+" to settle", d.Backoff, d.clock(), func(ctx context.Context) (bool, error) {
		var err error
		st, err = d.describe(ctx, name)
		if err != nil || st == nil {
			return true, err
		}
		return !inProgress(st.StackStatus) || st.StackStatus == types.StackStatusReviewInProgress, nil
	})
	return st, err
}

// upToDate reports whether the deployed template, parameters and tags
// equal s: then there is nothing to do and no change set is created.
func (d *Deployer) upToDate(ctx context.Context, current *types.Stack, s Stack) (bool, error) {
	if !succeeded(current.StackStatus) {
		return false, nil
	}
	if !maps.Equal(paramMap(current.Parameters), nonEmpty(s.Parameters)) || !maps.Equal(tagMap(current.Tags), s.Tags) {
		return false, nil
	}
	out, err := d.API.GetTemplate(ctx, &cloudformation.GetTemplateInput{
		StackName: current.StackId, TemplateStage: types.TemplateStageOriginal,
	})
	if err != nil {
		return false, fmt.Errorf("reading deployed template of %q: %w", s.Name, err)
	}
	return sameJSON([]byte(aws.ToString(out.TemplateBody)), s.Template), nil
}

func (d *Deployer) protect(ctx context.Context, current *types.Stack, s Stack) error {
	if current == nil || aws.ToBool(current.EnableTerminationProtection) == s.TerminationProtection {
		return nil
	}
	_, err := d.API.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{
		StackName: aws.String(s.Name), EnableTerminationProtection: aws.Bool(s.TerminationProtection),
	})
	if err != nil {
		return fmt.Errorf("setting termination protection of %q: %w", s.Name, err)
	}
	return nil
}

// waitChangeSet waits for the change set to be ready; false means it holds
// no changes.
func (d *Deployer) waitChangeSet(ctx context.Context, stack, id string) (bool, error) {
	var changes bool
	err := wait.Until(ctx, "change set of "+stack, d.Backoff, d.clock(), func(ctx context.Context) (bool, error) {
		out, err := d.API.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: aws.String(id), StackName: aws.String(stack)})
		if err != nil {
			return false, fmt.Errorf("describing change set of %q: %w", stack, err)
		}
		switch out.Status {
		case types.ChangeSetStatusCreateComplete:
			changes = true
			return true, nil
		case types.ChangeSetStatusFailed:
			reason := aws.ToString(out.StatusReason)
			if strings.Contains(reason, "didn't contain changes") || strings.Contains(reason, "No updates are to be performed") {
				return true, nil
			}
			return false, fmt.Errorf("change set of %q failed: %s", stack, reason)
		}
		return false, nil
	})
	return changes, err
}

// waitStack polls until the stack's operation ends, emitting each new
// resource event on the way. It returns nil when the stack is gone.
func (d *Deployer) waitStack(ctx context.Context, stack string, since time.Time) (*types.Stack, error) {
	seen := map[string]bool{}
	var final *types.Stack
	err := wait.Until(ctx, "stack "+stack, d.Backoff, d.clock(), func(ctx context.Context) (bool, error) {
		if events, err := d.events(ctx, stack, since); err == nil {
			for _, e := range events {
				key := e.LogicalID + e.Status + e.Time.String()
				if !seen[key] {
					seen[key] = true
					d.emit(e)
				}
			}
		}
		st, err := d.describe(ctx, stack)
		if err != nil || st == nil {
			final = st
			return true, err
		}
		final = st
		return !inProgress(st.StackStatus), nil
	})
	return final, err
}

// events returns the stack's events since a time, oldest first.
func (d *Deployer) events(ctx context.Context, stack string, since time.Time) ([]Event, error) {
	out, err := d.API.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stack)})
	if err != nil {
		return nil, err
	}
	var evs []Event
	for _, e := range out.StackEvents { // newest first
		t := aws.ToTime(e.Timestamp)
		if t.Before(since.Add(-time.Second)) {
			break
		}
		evs = append(evs, Event{
			Stack: stack, LogicalID: aws.ToString(e.LogicalResourceId), ResourceType: aws.ToString(e.ResourceType),
			Status: string(e.ResourceStatus), Reason: aws.ToString(e.ResourceStatusReason), Time: t,
		})
	}
	slices.Reverse(evs)
	return evs, nil
}

func (d *Deployer) failure(ctx context.Context, stack string, status types.StackStatus, since time.Time) error {
	e := &Error{Stack: stack, Status: string(status), Console: ConsoleURL(stack)}
	if events, err := d.events(ctx, stack, since); err == nil {
		for _, ev := range events {
			if ev.Failed() && ev.Reason != "" && !strings.Contains(ev.Reason, "Resource creation cancelled") {
				ev := ev
				e.FirstFailure = &ev
				break
			}
		}
	}
	return e
}

func inProgress(s types.StackStatus) bool { return strings.HasSuffix(string(s), "_IN_PROGRESS") }

func succeeded(s types.StackStatus) bool {
	return (strings.HasSuffix(string(s), "_COMPLETE")) && !strings.Contains(string(s), "ROLLBACK") && s != types.StackStatusDeleteComplete
}

// keepDeployed returns s's parameters plus the deployed value of every
// parameter s leaves out that its template still declares: an update never
// silently resets a parameter to its default (e.g. one set with
// `cdk deploy --parameters`). Masked (NoEcho) values cannot be read back
// and are left to the caller.
func keepDeployed(current *types.Stack, s Stack) map[string]string {
	var tpl struct {
		Parameters map[string]json.RawMessage `json:"Parameters"`
	}
	_ = json.Unmarshal(s.Template, &tpl)
	out := maps.Clone(s.Parameters)
	if out == nil {
		out = map[string]string{}
	}
	for _, p := range current.Parameters {
		k, v := aws.ToString(p.ParameterKey), aws.ToString(p.ParameterValue)
		if _, given := s.Parameters[k]; given || v == "" || v == "****" {
			continue
		}
		if _, declared := tpl.Parameters[k]; declared {
			out[k] = v
		}
	}
	return out
}

func parameters(m map[string]string) []types.Parameter {
	var out []types.Parameter
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] != "" {
			out = append(out, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(m[k])})
		}
	}
	return out
}

func tags(m map[string]string) []types.Tag {
	var out []types.Tag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func nonEmpty(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

func paramMap(ps []types.Parameter) map[string]string {
	out := map[string]string{}
	for _, p := range ps {
		if v := aws.ToString(p.ParameterValue); v != "" {
			out[aws.ToString(p.ParameterKey)] = v
		}
	}
	return out
}

func tagMap(ts []types.Tag) map[string]string {
	out := map[string]string{}
	for _, t := range ts {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// sameJSON compares two templates as JSON values, ignoring formatting.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// IsError reports whether err is a failed stack operation.
func IsError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// IsStackMissing reports whether err is CloudFormation's "Stack with id X
// does not exist" (a ValidationError, with no dedicated error type).
func IsStackMissing(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" &&
		strings.Contains(strings.ToLower(apiErr.ErrorMessage()), "does not exist")
}
