package helmrelease

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The postStart command, run by a real sh against a temporary home: the
// image's Jupyter configuration and the samples are copied when absent and
// a file the user changed is left alone, on every start.
func TestHubPostStartCopiesWithoutOverwriting(t *testing.T) {
	root := t.TempDir()
	image, samples, home := filepath.Join(root, "opt-jupyter"), filepath.Join(root, "samples"), filepath.Join(root, "home")
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(image, "jupyter_notebook_config.py"), "image config")
	write(filepath.Join(image, "custom", "custom.js"), "image js")
	write(filepath.Join(samples, "nyc-taxi", "daily-summary.ipynb"), "sample")
	write(filepath.Join(home, ".jupyter", "custom", "custom.js"), "user js")
	write(filepath.Join(home, "samples", "nyc-taxi", "daily-summary.ipynb"), "user edit")

	cmd := hubCopySamples()
	script := strings.ReplaceAll(strings.ReplaceAll(cmd[2], imageJupyterConfig, image), samplesMountPath, samples)
	for range 2 {
		c := exec.Command(cmd[0], cmd[1], script)
		c.Env = append(os.Environ(), "HOME="+home)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	for p, want := range map[string]string{
		".jupyter/jupyter_notebook_config.py":  "image config",
		".jupyter/custom/custom.js":            "user js",
		"samples/nyc-taxi/daily-summary.ipynb": "user edit",
	} {
		got, err := os.ReadFile(filepath.Join(home, p))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q (%v), want %q", p, got, err, want)
		}
	}
}
