// Package cdktest holds helpers for CDK assertion tests of blueprint's
// constructs: a fresh app and stack in a fixed environment, and template
// access through the CDK's own assertions module.
package cdktest

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// Main runs a package's tests, then ends jsii's kernel (the CDK's node
// child), which removes the directory it unpacked itself into under
// $TMPDIR: without it every test binary that made a CDK object left one
// (2.2 MB) behind. Call it from the package's TestMain.
func Main(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// Stack returns a stack in us-east-1 of a new app writing to a temp dir.
func Stack(t testing.TB) awscdk.Stack {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	return awscdk.NewStack(app, jsii.String("Test"), &awscdk.StackProps{
		Env: &awscdk.Environment{Region: jsii.String("us-east-1")},
	})
}

// Template synthesizes stack and returns the assertions view and the
// template as plain JSON for checks the assertions API cannot express.
func Template(t testing.TB, stack awscdk.Stack) (assertions.Template, map[string]any) {
	t.Helper()
	tpl := assertions.Template_FromStack(stack, nil)
	raw, err := json.Marshal(tpl.ToJSON())
	if err != nil {
		t.Fatalf("template to JSON: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("template JSON: %v", err)
	}
	return tpl, doc
}

// Resources returns the template's resources of type typ, by logical ID.
func Resources(doc map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	res, _ := doc["Resources"].(map[string]any)
	for id, r := range res {
		m, _ := r.(map[string]any)
		if m["Type"] == typ {
			out[id] = m
		}
	}
	return out
}

// Props returns a resource's Properties.
func Props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// Obj is shorthand for building expected property maps.
type Obj = map[string]any

// Check runs an assertions call (which throws, as a Go panic, on a
// mismatch) and turns a failure into a test error naming what.
func Check(t testing.TB, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assertion()
}
