// Package encryption builds the customer-managed KMS key that encrypts the
// data lake, job code, logs, Athena results, the login secret and the
// cluster's Kubernetes secrets.
package encryption

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Props configures the key.
type Props struct {
	// Description shown in the KMS console. Default "blueprint data key".
	Description string
	// PendingWindowDays before a scheduled deletion takes effect. Default 30.
	PendingWindowDays int
}

// Key is the data key. Its logical ID is pinned (LogicalID) because
// replacing it would make everything it encrypted unreadable.
type Key struct {
	Key awskms.Key
}

// LogicalID is the key's CloudFormation logical ID; a test pins it.
const LogicalID = "DataKey"

// New builds the key: rotation on, retained when the stack is deleted, and
// no alias, so two deployments in one account never collide on a name.
func New(scope constructs.Construct, id string, props Props) *Key {
	if props.Description == "" {
		props.Description = "blueprint data key"
	}
	if props.PendingWindowDays == 0 {
		props.PendingWindowDays = 30
	}
	k := awskms.NewKey(scope, jsii.String(id), &awskms.KeyProps{
		Description:       jsii.String(props.Description),
		EnableKeyRotation: jsii.Bool(true),
		PendingWindow:     awscdk.Duration_Days(jsii.Number(float64(props.PendingWindowDays))),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	k.Node().DefaultChild().(awscdk.CfnResource).OverrideLogicalId(jsii.String(LogicalID))
	return &Key{Key: k}
}
