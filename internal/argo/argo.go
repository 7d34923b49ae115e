// Package argo runs Argo Workflows' own offline validation on workflow
// files. The validator (tools/argovalidate, built by hack/argovalidate.sh into
// bin/argovalidate) is a separate program in its own Go module, so Argo's
// dependency graph stays out of blueprint's; this package finds it and runs
// it. Callers: the charts tests and `blueprint jobs lint`.
package argo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Environment variables read by this package.
const (
	// EnvBinary overrides the path of the argovalidate binary.
	EnvBinary = "BLUEPRINT_ARGOVALIDATE"
	// EnvRequire, when "1", makes tests fail instead of skip when the binary is missing.
	EnvRequire = "BLUEPRINT_REQUIRE_ARGO"
)

// ErrNotInstalled is returned (wrapped) when the argovalidate binary cannot be found.
var ErrNotInstalled = errors.New("argovalidate not installed; run hack/argovalidate.sh")

// Problem is one validation finding in a workflow file.
type Problem struct {
	File    string // path as given to ValidateFiles, or the name given to ValidateBytes
	Kind    string // Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow; "" when unknown
	Name    string // metadata.name (or generateName); "" when unknown
	Message string // Argo's message, or the strict decoder's ("unknown field ...")
	Line    int    // line where the document starts; 0 when the problem is about the whole file
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Kind != "" {
		b.WriteString(p.Kind)
		if p.Name != "" {
			b.WriteString("/" + p.Name)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidateFiles validates the Argo objects in paths together, so a
// templateRef in one file resolves against a WorkflowTemplate in another.
// Every document is decoded strictly into Argo's types (unknown fields are
// problems) and checked by Argo's workflow/validate package; a file with no
// Argo object, a Helm template or an unreadable path is also a problem. The
// error is non-nil only when the validator could not run; a missing binary
// gives an error wrapping ErrNotInstalled.
func ValidateFiles(ctx context.Context, paths ...string) ([]Problem, error) {
	if len(paths) == 0 {
		return nil, errors.New("argo: ValidateFiles needs at least one path")
	}
	bin, err := findBinary()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--json", "--"}, paths...)
	return run(ctx, bin, args)
}

// ValidateBytes validates one file's content; name is used in problems and
// its base name for the temporary file, so ".yaml" or ".json" should end it.
func ValidateBytes(ctx context.Context, name string, data []byte) ([]Problem, error) {
	bin, err := findBinary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "argovalidate-")
	if err != nil {
		return nil, fmt.Errorf("argo: creating temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	base := filepath.Base(name)
	if base == "." || base == string(filepath.Separator) || base == "" {
		base = "input.yaml"
	}
	path := filepath.Join(dir, base)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("argo: writing temporary file: %w", err)
	}
	problems, err := run(ctx, bin, []string{"--json", "--", path})
	for i := range problems {
		if problems[i].File == path {
			problems[i].File = name
		}
	}
	return problems, err
}

// wireProblem is argovalidate's --json form of a problem.
type wireProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Message string `json:"message"`
}

// run executes argovalidate; exit status 0 means valid, 1 problems (JSON on
// stdout), anything else a failure of the tool itself.
func run(ctx context.Context, bin string, args []string) ([]Problem, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && exitErr.ExitCode() == 1:
	default:
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("argo: running %s: %w", bin, ctxErr)
		}
		return nil, fmt.Errorf("argo: running %s %s: %w: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	var wire []wireProblem
	if err := json.Unmarshal(stdout.Bytes(), &wire); err != nil {
		return nil, fmt.Errorf("argo: reading %s output: %w (stderr: %s)", bin, err, strings.TrimSpace(stderr.String()))
	}
	if len(wire) == 0 && cmd.ProcessState.ExitCode() == 1 {
		return nil, fmt.Errorf("argo: %s exited 1 but reported no problems: %s", bin, strings.TrimSpace(stderr.String()))
	}
	problems := make([]Problem, len(wire))
	for i, w := range wire {
		problems[i] = Problem{File: w.File, Kind: w.Kind, Name: w.Name, Message: w.Message, Line: w.Line}
	}
	return problems, nil
}
