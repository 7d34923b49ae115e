package stackreg_test

import (
	"os/exec"
	"strings"
	"testing"
)

// Dependencies point down (STYLE.md item 13): the deployer, the stack
// registry and the outputs reader never pull in the CDK (jsii) or the
// stacks package, and internal/kube never imports internal/platform.
func TestLayers(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	forbidden := map[string][]string{
		"./internal/deploy":   {"aws-cdk-go", "jsii", "/stacks", "internal/platform"},
		"./internal/stackreg": {"aws-cdk-go", "jsii", "/stacks", "aws-sdk-go"},
		"./internal/outputs":  {"aws-cdk-go", "jsii", "/stacks"},
		"./internal/platform": {"aws-cdk-go", "jsii", "blueprint/stacks"},
		"./internal/kube":     {"internal/platform", "aws-cdk-go", "jsii"},
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command(goBin, "list", "-deps", "../../"+strings.TrimPrefix(pkg, "./")).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range bad {
				if strings.Contains(dep, b) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}
