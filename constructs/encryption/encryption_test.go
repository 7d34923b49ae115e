package encryption_test

import (
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/encryption"
	"github.com/sqletl/blueprint/internal/cdktest"
)

func TestKey(t *testing.T) {
	stack := cdktest.Stack(t)
	encryption.New(stack, "Key", encryption.Props{})
	tpl, doc := cdktest.Template(t, stack)
	keys := cdktest.Resources(doc, "AWS::KMS::Key")
	key, ok := keys[encryption.LogicalID]
	if !ok || len(keys) != 1 {
		t.Fatalf("want exactly one key with pinned logical ID %q, got %v", encryption.LogicalID, keys)
	}
	if key["DeletionPolicy"] != "Retain" || key["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("key must be retained: %v", key)
	}
	p := cdktest.Props(key)
	if p["EnableKeyRotation"] != true || p["PendingWindowInDays"] != float64(30) {
		t.Errorf("key props %v; want rotation on and a 30-day pending window", p)
	}
	cdktest.Check(t, "no alias (aliases collide across deployments)", func() {
		tpl.ResourceCountIs(jsii.String("AWS::KMS::Alias"), jsii.Number(0))
	})
}
