// Package cdkapp synthesizes blueprint's CDK app in-process (through jsii)
// into a cloud assembly directory: the same app, built by stacks.Build,
// that cdk.json's program synthesizes for `cdk synth` and `cdk deploy`.
package cdkapp

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/stacks"
)

// Result is a synthesized cloud assembly.
type Result = assembly.Assembly

// SynthError lists the error annotations (cdk-nag findings, construct
// validation) that make an assembly undeployable.
type SynthError struct {
	Errors []assembly.Message
}

func (e *SynthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "synthesis found %d error(s):", len(e.Errors))
	for _, m := range e.Errors {
		fmt.Fprintf(&b, "\n  - %s: %s", m.Path, m.Text)
	}
	return b.String()
}

// Synth builds the app for cfg, writes the assembly to outDir (replacing
// what was there) and reads it back. Error annotations are returned as a
// *SynthError together with the assembly, so callers can still show it.
func Synth(ctx context.Context, cfg *config.Config, outDir string) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := CheckNode(); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(outDir); err != nil {
		return nil, fmt.Errorf("clearing %s: %w", outDir, err)
	}
	app := NewApp(outDir)
	stacks.Build(app, cfg)
	app.Synth(nil)
	asm, err := assembly.Read(outDir)
	if err != nil {
		return nil, err
	}
	if errs := asm.Errors(); len(errs) > 0 {
		return asm, &SynthError{Errors: errs}
	}
	return asm, nil
}

// Close ends jsii's kernel, the node child process the CDK runs in, and
// removes the temporary directory it unpacked itself into: without it every
// synth left a jsii-runtime.* directory (2.2 MB) behind in $TMPDIR. A later
// synth in the same process starts a new kernel. Safe to call when none ran.
func Close() { jsii.Close() }

// CheckNode fails clearly when Node.js is missing: jsii runs the CDK's
// JavaScript in a node child process, and without one it dies with a panic
// deep in the runtime. $JSII_NODE names another node binary, as jsii reads it.
func CheckNode() error {
	node := os.Getenv("JSII_NODE")
	if node == "" {
		node = "node"
	}
	if _, err := exec.LookPath(node); err != nil {
		return fmt.Errorf("Node.js is needed to synthesize the CDK app (the CDK runs in node through jsii) but %q is not on PATH: install Node.js 20 or newer (https://nodejs.org, or your package manager's nodejs), or set JSII_NODE", node)
	}
	return nil
}

// CrossStackReferencesFlag is set to "strong" explicitly (CDK's default):
// a stack's exports cannot be removed while another stack imports them.
const CrossStackReferencesFlag = "@aws-cdk/core:defaultCrossStackReferences"

// NewApp returns an app writing to outDir with blueprint's fixed context:
// nothing comes from the environment, so synthesis is deterministic.
func NewApp(outDir string) awscdk.App {
	return awscdk.NewApp(&awscdk.AppProps{
		Outdir: jsii.String(outDir),
		// No timestamps or version strings that would change between runs.
		AnalyticsReporting: jsii.Bool(false),
		Context:            &map[string]any{CrossStackReferencesFlag: "strong"},
	})
}
