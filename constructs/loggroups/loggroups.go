// Package loggroups creates, ahead of the AWS service that writes to them,
// the CloudWatch log groups a service would otherwise create itself on its
// first write: with no retention (kept for ever) and outside any stack, so
// nothing deletes them. Created by a stack, they get the configured
// retention and go with the stack, or stay when the user keeps logs with
// the data.
package loggroups

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Group is one log group: ID is its stable construct ID, Name the name the
// service writes to.
type Group struct {
	ID, Name string
}

// Props configures the groups.
type Props struct {
	// Groups to create. Required.
	Groups []Group
	// RetentionDays, one of CloudWatch Logs' allowed values. Default 30.
	RetentionDays int
	// Keep retains the groups when their stack is deleted (DeletionPolicy
	// Retain); otherwise they are deleted with it.
	Keep bool
}

// LogGroups are the created groups, by Group.ID.
type LogGroups struct {
	Groups map[string]awslogs.CfnLogGroup
	order  []string
}

// New creates the groups under a construct named id.
func New(scope constructs.Construct, id string, props Props) *LogGroups {
	if props.RetentionDays == 0 {
		props.RetentionDays = 30
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	out := &LogGroups{Groups: map[string]awslogs.CfnLogGroup{}}
	for _, g := range props.Groups {
		lg := awslogs.NewCfnLogGroup(c, jsii.String(g.ID), &awslogs.CfnLogGroupProps{
			LogGroupName:    jsii.String(g.Name),
			RetentionInDays: jsii.Number(float64(props.RetentionDays)),
		})
		lg.ApplyRemovalPolicy(RemovalPolicy(props.Keep), nil)
		out.Groups[g.ID] = lg
		out.order = append(out.order, g.ID)
	}
	return out
}

// RemovalPolicy is what happens to a log group when its stack is deleted.
func RemovalPolicy(keep bool) awscdk.RemovalPolicy {
	if keep {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

// Dependables returns the groups, for a resource that must wait for them.
func (l *LogGroups) Dependables() []constructs.IDependable {
	out := make([]constructs.IDependable, 0, len(l.Groups))
	for _, id := range l.order {
		out = append(out, l.Groups[id])
	}
	return out
}
