package cli

import (
	"bytes"
	"context"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqletl/blueprint/internal/helmrelease"
	"github.com/sqletl/blueprint/internal/ui"
)

// `blueprint render` with the chart mirror (the flag, or the environment
// variable) renders every release of the config from the real upstream
// charts, and neither blueprint nor Helm prints a warning. The mirror is
// $BLUEPRINT_CHART_MIRROR (make test sets it); without one the test fails.
func TestRenderWithChartMirror(t *testing.T) {
	mirror := os.Getenv(helmrelease.MirrorEnv)
	if mirror == "" {
		t.Fatalf("$%s is not set; make test sets it to ../shared/upstream-charts", helmrelease.MirrorEnv)
	}
	public := `platform:
  publicAccess: {enabled: true, domain: etl.example.com, certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"}
`
	tests := []struct {
		name, config string
		viaEnv       bool
		releases     int
	}{
		{name: "flag, default config", releases: 4},
		{name: "environment, default config", viaEnv: true, releases: 4},
		{name: "flag, public access", config: public, releases: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"render", "--out", filepath.Join(dir, "m")}
			args = append(args, "--config", writeFile(t, dir, "blueprint.yaml", tt.config))
			if tt.viaEnv {
				t.Setenv(helmrelease.MirrorEnv, mirror)
			} else {
				t.Setenv(helmrelease.MirrorEnv, "")
				args = append(args, "--chart-mirror", mirror)
			}
			ios, _, stdout, stderr := ui.Test()
			var helmLog bytes.Buffer
			prev := log.Writer()
			log.SetOutput(&helmLog)
			code := run(context.Background(), ios, args)
			log.SetOutput(prev)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if helmLog.Len() > 0 {
				t.Errorf("Helm printed: %s", helmLog.String())
			}
			if strings.Contains(strings.ToLower(stderr.String()), "warn") || strings.Contains(stderr.String(), "skipped") {
				t.Errorf("stderr: %s", stderr)
			}
			if n := strings.Count(stdout.String(), ".yaml\n"); n != tt.releases {
				t.Errorf("rendered %d releases, want %d:\n%s", n, tt.releases, stdout)
			}
		})
	}
}
