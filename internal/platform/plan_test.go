package platform

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqletl/blueprint/internal/assembly"
)

// A check whose tool is missing did not run: not passed, "ran": false in
// JSON, and not a failed plan either.
func TestPlanCheckNotRun(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no cfn-lint
	o := &PlanOptions{}
	c := o.cfnLint(t.Context(), &assembly.Assembly{Dir: t.TempDir()})
	if c.Ran || c.Passed || c.Failed() || !strings.Contains(c.Detail, "not run") {
		t.Fatalf("check = %+v, want not run, not passed, not failed", c)
	}
	b, _ := json.Marshal(c)
	if !strings.Contains(string(b), `"ran":false`) || !strings.Contains(string(b), `"passed":false`) {
		t.Errorf("JSON = %s", b)
	}

	// With a cfn-lint that runs and finds nothing, it ran and passed.
	o.CfnLint = filepath.Join("/bin", "true")
	if c := o.cfnLint(t.Context(), &assembly.Assembly{Dir: t.TempDir()}); !c.Ran || !c.Passed {
		t.Errorf("check with a working cfn-lint = %+v", c)
	}
}
