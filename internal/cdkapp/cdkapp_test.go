package cdkapp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without node on PATH synthesis stops with an error that says what to
// install, before jsii would panic.
func TestCheckNodeNamesTheFix(t *testing.T) {
	t.Setenv("JSII_NODE", "")
	t.Setenv("PATH", t.TempDir())
	err := CheckNode()
	if err == nil || !strings.Contains(err.Error(), "install Node.js") {
		t.Fatalf("CheckNode without node = %v, want an install hint", err)
	}
	t.Setenv("JSII_NODE", "/bin/sh")
	if err := CheckNode(); err != nil {
		t.Fatalf("JSII_NODE naming an executable: %v", err)
	}
}

// jsii's kernel unpacks itself into $TMPDIR when the first CDK object is
// made; Close (the CLI's Main defers it) must take that directory away.
func TestCloseRemovesTheKernelsTempDir(t *testing.T) {
	if err := CheckNode(); err != nil {
		t.Skip(err) // make test installs Node.js; without it no kernel can start
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	Close() // a kernel of an earlier test lives elsewhere
	kernelDirs := func() []string {
		m, _ := filepath.Glob(filepath.Join(tmp, "jsii-runtime.*"))
		return m
	}
	NewApp(filepath.Join(tmp, "cdk.out"))
	if len(kernelDirs()) == 0 {
		entries, _ := os.ReadDir(tmp)
		t.Fatalf("no jsii-runtime.* directory in $TMPDIR while the kernel runs (found %v): the test cannot see the leak", entries)
	}
	Close()
	if left := kernelDirs(); len(left) > 0 {
		t.Errorf("left behind after Close: %v", left)
	}
}
