package cdkapp

import (
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
