package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/internal/ui"
)

// runCLI runs a whole command line the way Main does, on buffers.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ios, _, out, errOut := ui.Test()
	code = run(context.Background(), ios, args)
	return out.String(), errOut.String(), code
}

// parse runs args through a root holding only cmd (built with a runF), so
// flags are parsed and nothing else happens. It returns the exit code.
func parse(t *testing.T, f *Factory, cmd *cobra.Command, args ...string) (int, error) {
	t.Helper()
	root := newRootCommand(f)
	root.AddCommand(cmd)
	wrapArgErrors(root)
	root.SetArgs(args)
	_, err := root.ExecuteC()
	return ExitCode(err), err
}

func testFactory() (*Factory, *ui.IOStreams) {
	ios, _, _, _ := ui.Test()
	return NewFactory(ios), ios
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestGlobalFlags(t *testing.T) {
	tests := []struct {
		args []string
		want GlobalOptions
	}{
		{[]string{"config"},
			GlobalOptions{ConfigPath: "blueprint.yaml", Output: OutputText}},
		{[]string{"--config", "prod.yaml", "config"},
			GlobalOptions{ConfigPath: "prod.yaml", ConfigExplicit: true, Output: OutputText}},
		{[]string{"config", "-c", "blueprint.yaml"}, // explicit even when it names the default
			GlobalOptions{ConfigPath: "blueprint.yaml", ConfigExplicit: true, Output: OutputText}},
		{[]string{"config", "--region", "eu-west-1", "--profile", "etl"},
			GlobalOptions{ConfigPath: "blueprint.yaml", Region: "eu-west-1", Profile: "etl", Output: OutputText}},
		{[]string{"-o", "json", "config"},
			GlobalOptions{ConfigPath: "blueprint.yaml", Output: OutputJSON}},
		{[]string{"config", "--output=json", "--output", "text"},
			GlobalOptions{ConfigPath: "blueprint.yaml", Output: OutputText}},
		{[]string{"config", "-y", "-v", "--no-color"},
			GlobalOptions{ConfigPath: "blueprint.yaml", Output: OutputText, Yes: true, Verbose: true, NoColor: true}},
		{[]string{"--yes", "--verbose", "config"},
			GlobalOptions{ConfigPath: "blueprint.yaml", Output: OutputText, Yes: true, Verbose: true}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _ := testFactory()
			called := false
			cmd := newCmdConfig(f, func(*ConfigOptions) error { called = true; return nil })
			if code, err := parse(t, f, cmd, tt.args...); code != 0 {
				t.Fatalf("exit %d: %v", code, err)
			}
			if !called {
				t.Fatal("runF not called")
			}
			if *f.Globals != tt.want {
				t.Errorf("globals\n got %+v\nwant %+v", *f.Globals, tt.want)
			}
		})
	}
}

func TestBadCommandLinesAreUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want []string // fragments of the error, usually the flag's name
	}{
		{[]string{"--output", "yaml", "config"}, []string{"--output", `"yaml"`, `must be "text" or "json"`}},
		{[]string{"config", "-o", "table"}, []string{"--output"}},
		{[]string{"--config", "", "config"}, []string{"--config", "must not be empty"}},
		{[]string{"config", "--bogus"}, []string{"unknown flag: --bogus"}},
		{[]string{"version", "--force"}, []string{"unknown flag: --force"}},
		{[]string{"--yes=maybe", "version"}, []string{"--yes"}},
		{[]string{"config", "extra"}, []string{`unknown command "extra" for "blueprint config"`}},
		{[]string{"version", "1"}, []string{`unknown command "1"`}},
		{[]string{"deploy"}, []string{`unknown command "deploy" for "blueprint"`}},
		{[]string{"confg"}, []string{`did you mean "config"?`}},
		{[]string{"synth", "--out", ""}, []string{"--out must not be empty"}},
		{[]string{"synth", "--out"}, []string{"flag needs an argument: --out"}},
		{[]string{"init", "--path", "a.yaml", "--config", "b.yaml"}, []string{"--path", "--config", "different files"}},
		{[]string{"init", "--path", "-", "--force"}, []string{"--force", "--path -"}},
		{[]string{"init", "--path", ""}, []string{"--path must not be empty"}},
		{[]string{"completion", "bash", "extra"}, []string{`unknown command "extra"`}},
		{[]string{"up", "--yes", "--cfn-role-arn", "cdk-exec-role"}, []string{"--cfn-role-arn", "not an IAM role ARN"}},
		{[]string{"down", "--yes", "--cfn-role-arn", "arn:aws:iam::123456789012:user/me"}, []string{"--cfn-role-arn", "not an IAM role ARN"}},
		{[]string{"up", "--dry-run", "--cfn-role-arn", "arn:aws:iam::123456789012:role/x"}, []string{"--dry-run", "--cfn-role-arn"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Chdir(t.TempDir()) // init must not write anywhere real
			stdout, stderr, code := runCLI(t, tt.args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitUsage, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not mention %q:\n%s", w, stderr)
				}
			}
			if !strings.Contains(stderr, "--help' for usage.") {
				t.Errorf("no usage hint:\n%s", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout should be empty on error, got %q", stdout)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	validation := &config.ValidationError{Problems: []string{"network.azCount: is 1; use 2 to 6"}}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"usage", usageErrorf("--a and --b conflict"), 2},
		{"wrapped usage", fmt.Errorf("parsing: %w", &UsageError{Err: errors.New("x")}), 2},
		{"validation", validation, 3},
		{"wrapped validation", fmt.Errorf("blueprint.yaml: %w", validation), 3},
		{"declined", ErrCancelled, 130},
		{"interrupted", context.Canceled, 130},
		{"wrapped interrupt", fmt.Errorf("deploying stack %q: %w", "net", context.Canceled), 130},
		{"deadline is a failure, not a cancel", context.DeadlineExceeded, 1},
		// A failure and the parallel steps it stopped: the failure wins,
		// or its message would be hidden behind "Cancelled.".
		{"failure joined with the steps it stopped", errors.Join(errors.New("deleting stack net: DELETE_FAILED"), fmt.Errorf("waiting: %w", context.Canceled)), 1},
		{"wrapped join of a failure and a cancel", fmt.Errorf("down: %w", errors.Join(context.Canceled, errors.New("boom"))), 1},
		{"only cancellations joined", errors.Join(context.Canceled, fmt.Errorf("x: %w", context.Canceled)), 130},
		{"other", errors.New("boom"), 1},
		{"file exists", fs.ErrExist, 1},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("%s: ExitCode = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// Each error type, end to end through run: exit code and what reaches stderr.
func TestExitCodesFromCommands(t *testing.T) {
	f, ios := testFactory()
	errOut := ios.ErrOut.(interface{ String() string })
	for _, tt := range []struct {
		err    error
		code   int
		stderr string
	}{
		{ErrCancelled, 130, "Cancelled.\n"},
		{fmt.Errorf("waiting: %w", context.Canceled), 130, "Cancelled.\n"},
		{errors.New("stack failed"), 1, "Error: stack failed\n"},
		// down's confirmation declined (docs/exit-codes.md: 130).
		{errors.Join(platform.ErrAborted, nil), 130, "Cancelled: nothing was deleted.\n"},
		// A failure beside the cancel it caused is shown, exit 1.
		{errors.Join(errors.New("stack failed"), context.Canceled), 1, "Error: stack failed\ncontext canceled\n"},
		{&config.ValidationError{Problems: []string{"a: b; c"}}, 3, "Error: invalid config: a: b; c\n"},
	} {
		cmd := newCmdVersion(f, func(*VersionOptions) error { return tt.err })
		root := newRootCommand(f)
		root.AddCommand(cmd)
		root.SetArgs([]string{"version"})
		c, err := root.ExecuteC()
		printError(ios, c.CommandPath(), err)
		if got := ExitCode(err); got != tt.code {
			t.Errorf("%v: exit %d, want %d", tt.err, got, tt.code)
		}
		if got := errOut.String(); got != tt.stderr {
			t.Errorf("%v: stderr %q, want %q", tt.err, got, tt.stderr)
		}
		ios.ErrOut.(interface{ Reset() }).Reset()
	}
}

func TestHelpAndNoArgsExitZero(t *testing.T) {
	for _, args := range [][]string{nil, {"--help"}, {"help"}, {"synth", "--help"}, {"help", "init"}} {
		stdout, stderr, code := runCLI(t, args...)
		if code != 0 {
			t.Errorf("%q: exit %d; %s", args, code, stderr)
		}
		if !strings.Contains(stdout, "Usage:") {
			t.Errorf("%q: no usage on stdout:\n%s", args, stdout)
		}
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		stdout, stderr, code := runCLI(t, "completion", shell)
		if code != 0 || !strings.Contains(stdout, "blueprint") {
			t.Errorf("completion %s: exit %d, stdout %d bytes, stderr %s", shell, code, len(stdout), stderr)
		}
	}
}

func TestNoColor(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFile(t, ".", "blueprint.yaml", "network:\n  azCount: 1\n")

	// Colour on (a terminal without NO_COLOR): the error label is red.
	ios, _, _, errOut := ui.Test()
	ios.SetColorEnabled(true)
	if code := run(context.Background(), ios, []string{"config"}); code != ExitInvalidConfig {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasPrefix(errOut.String(), "\x1b[31mError:\x1b[0m ") {
		t.Errorf("want a red error label, got %q", errOut.String())
	}

	// --no-color turns it off.
	ios, _, _, errOut = ui.Test()
	ios.SetColorEnabled(true)
	run(context.Background(), ios, []string{"--no-color", "config"})
	if ios.ColorEnabled() || strings.Contains(errOut.String(), "\x1b[") {
		t.Errorf("--no-color left colour on: %q", errOut.String())
	}
}

func TestVerboseReachesIOStreams(t *testing.T) {
	f, ios := testFactory()
	cmd := newCmdVersion(f, func(*VersionOptions) error { return nil })
	if code, err := parse(t, f, cmd, "version", "--verbose"); code != 0 {
		t.Fatal(err)
	}
	if !ios.Verbose() {
		t.Error("--verbose did not reach the streams")
	}
}

// The config file is read only by commands that need it.
func TestConfigIsLoadedLazily(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFile(t, ".", "blueprint.yaml", "this is: [not valid\n")
	for _, args := range [][]string{{"version"}, {"--help"}, {"init", "--help"}, {"completion", "bash"}} {
		if _, stderr, code := runCLI(t, args...); code != 0 {
			t.Errorf("%q read the config: exit %d, %s", args, code, stderr)
		}
	}
	if _, _, code := runCLI(t, "config"); code != ExitInvalidConfig {
		t.Errorf("config: exit %d, want %d", code, ExitInvalidConfig)
	}
}

func TestConfigLoadedOnce(t *testing.T) {
	t.Chdir(t.TempDir())
	f, _ := testFactory()
	a, err := f.Config()
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, ".", "blueprint.yaml", "name: changed\n")
	if b, _ := f.Config(); b != a {
		t.Error("Config() is not memoised")
	}
}
