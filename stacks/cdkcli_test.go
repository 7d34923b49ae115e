package stacks_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCDKCLIMatchesBlueprintSynth runs the pinned CDK CLI through cdk.json
// (plain `cdk synth`, as a CI pipeline or a CDK user would) with no AWS
// credentials, and checks it writes the very templates `blueprint synth` does.
func TestCDKCLIMatchesBlueprintSynth(t *testing.T) {
	cdk, err := filepath.Abs("../node_modules/.bin/cdk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cdk); err != nil {
		if os.Getenv("BLUEPRINT_REQUIRE_CDK_CLI") == "1" {
			t.Fatalf("the pinned CDK CLI is missing: run `npm ci` (%v)", err)
		}
		t.Skip("the pinned CDK CLI is not installed; run `npm ci`")
	}
	asm := synth(t, "")

	// An explicit, empty config: the defaults, whatever blueprint.yaml the checkout has.
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "cli.out")
	cmd := exec.Command(cdk, "synth", "--quiet", "--output", out, "--context", "config="+empty)
	cmd.Dir = ".."
	cmd.Env = withoutAWSCredentials(os.Environ())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cdk synth: %v\n%s", err, b)
	}
	for _, s := range asm.Stacks {
		want, _ := os.ReadFile(filepath.Join(asm.Dir, s.TemplateFile))
		got, err := os.ReadFile(filepath.Join(out, s.TemplateFile))
		if err != nil {
			t.Errorf("cdk synth did not write %s: %v", s.TemplateFile, err)
			continue
		}
		if !bytes.Equal(want, got) {
			t.Errorf("%s differs between `cdk synth` and blueprint's synth", s.TemplateFile)
		}
	}
}

func withoutAWSCredentials(env []string) []string {
	credential := func(kv string) bool {
		for _, name := range []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_PROFILE="} {
			if strings.HasPrefix(kv, name) {
				return true
			}
		}
		return false
	}
	return append(slices.DeleteFunc(slices.Clone(env), credential), "AWS_EC2_METADATA_DISABLED=true")
}
