package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A config error still ends jsii's kernel: nothing is left in $TMPDIR
// (before, os.Exit skipped the deferred Close and left jsii's 2.2 MB
// runtime directory behind on every failed `cdk synth`). The program runs
// in a child (this test binary again), since $TMPDIR must be set before
// the packages' init starts the kernel.
func TestBadConfigLeavesNothingBehind(t *testing.T) {
	if os.Getenv("BLUEPRINT_CDK_TEST_CHILD") == "1" {
		os.Exit(run())
	}
	tmp := t.TempDir()
	bad := filepath.Join(t.TempDir(), "blueprint.yaml")
	if err := os.WriteFile(bad, []byte("region: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBadConfigLeavesNothingBehind$")
	cmd.Env = append(os.Environ(), "BLUEPRINT_CDK_TEST_CHILD=1", "TMPDIR="+tmp, "BLUEPRINT_CONFIG="+bad)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1; stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), bad) || !strings.Contains(stderr.String(), "fix the YAML syntax") {
		t.Errorf("stderr does not name the file and the fix:\n%s", stderr.String())
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left in $TMPDIR: %s", e.Name())
	}
}
