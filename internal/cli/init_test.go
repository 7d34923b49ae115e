package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqletl/blueprint/internal/config"
)

func TestInitFlags(t *testing.T) {
	tests := []struct {
		args []string
		want InitOptions
	}{
		{[]string{"init"}, InitOptions{Path: "blueprint.yaml", Output: OutputText}},
		{[]string{"init", "--path", "envs/prod.yaml"}, InitOptions{Path: "envs/prod.yaml", Output: OutputText}},
		{[]string{"--config", "dev.yaml", "init"}, InitOptions{Path: "dev.yaml", Output: OutputText}},
		{[]string{"init", "-c", "dev.yaml", "--path", "dev.yaml"}, InitOptions{Path: "dev.yaml", Output: OutputText}},
		{[]string{"init", "--force"}, InitOptions{Path: "blueprint.yaml", Force: true, Output: OutputText}},
		{[]string{"init", "--path", "-"}, InitOptions{Path: "-", Output: OutputText}},
		{[]string{"init", "-o", "json"}, InitOptions{Path: "blueprint.yaml", Output: OutputJSON}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, ios := testFactory()
			var got *InitOptions
			cmd := newCmdInit(f, func(o *InitOptions) error { got = o; return nil })
			if code, err := parse(t, f, cmd, tt.args...); code != 0 {
				t.Fatalf("exit %d: %v", code, err)
			}
			tt.want.IO = ios
			if *got != tt.want {
				t.Errorf("options\n got %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestInitWritesStarter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blueprint.yaml")

	stdout, stderr, code := runCLI(t, "init", "--path", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(path); string(got) != string(config.Starter()) {
		t.Error("file is not the starter")
	}
	if stdout != "" || !strings.Contains(stderr, "✓ Wrote "+path) {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}

	// The written file is what the other commands read.
	if _, stderr, code := runCLI(t, "--config", path, "config"); code != 0 {
		t.Errorf("config on the starter: exit %d: %s", code, stderr)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	path := writeFile(t, t.TempDir(), "blueprint.yaml", "name: mine\n")

	_, stderr, code := runCLI(t, "init", "--path", path)
	if code != ExitError {
		t.Errorf("exit %d, want %d", code, ExitError)
	}
	if !strings.Contains(stderr, path+" already exists; pass --force to overwrite it") {
		t.Errorf("stderr: %s", stderr)
	}
	if got, _ := os.ReadFile(path); string(got) != "name: mine\n" {
		t.Error("file was overwritten")
	}

	stdout, stderr, code := runCLI(t, "init", "--path", path, "--force", "-o", "json")
	if code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	var view map[string]any
	if err := json.Unmarshal([]byte(stdout), &view); err != nil {
		t.Fatalf("json: %v\n%s", err, stdout)
	}
	if view["path"] != path || view["overwritten"] != true || len(view) != 2 {
		t.Errorf("json view: %v", view)
	}
	if got, _ := os.ReadFile(path); string(got) != string(config.Starter()) {
		t.Error("--force did not overwrite")
	}
}

func TestInitDefaultsToConfigPath(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, stderr, code := runCLI(t, "init"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat("blueprint.yaml"); err != nil {
		t.Error("init without flags did not write blueprint.yaml")
	}
	_, stderr, code := runCLI(t, "--config", "other.yaml", "init")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat("other.yaml"); err != nil {
		t.Error("init did not follow --config")
	}
	if !strings.Contains(stderr, "blueprint config --config other.yaml") {
		t.Errorf("next-step hint should carry --config: %s", stderr)
	}
}

func TestInitToStdout(t *testing.T) {
	t.Chdir(t.TempDir())
	stdout, _, code := runCLI(t, "init", "--path", "-")
	if code != 0 || stdout != string(config.Starter()) {
		t.Errorf("exit %d, stdout is the starter: %v", code, stdout == string(config.Starter()))
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("--path - wrote files: %v", entries)
	}
}
