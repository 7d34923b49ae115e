package cli

import (
	"strings"
	"testing"

	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/internal/ui"
)

// A check that did not run is marked "!", never "✓".
func TestPlanShowsCheckNotRun(t *testing.T) {
	ios, _, out, _ := ui.Test()
	printPlan(ios, &platform.PlanResult{Checks: []platform.Check{
		{Name: "cdk-nag AwsSolutions", Ran: true, Passed: true, Detail: "0 errors"},
		{Name: "cfn-lint", Detail: "not run: cfn-lint is not installed"},
		{Name: "no custom resources or Lambda", Ran: true, Detail: "1 found"},
	}})
	for _, want := range []string{"✓ cdk-nag AwsSolutions", "! cfn-lint: not run", "✗ no custom resources"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "✓ cfn-lint") {
		t.Error("a check that did not run is shown as passed")
	}
}
