package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validTemplate = `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: lib
spec:
  templates:
    - name: echo
      inputs:
        parameters:
          - name: msg
      retryStrategy:
        limit: "2"
      container:
        image: alpine:3.20
        command: [echo, "{{inputs.parameters.msg}}", "{{=sprig.upper(inputs.parameters.msg)}}"]
`

const usesLib = `apiVersion: v1
kind: ConfigMap
metadata:
  name: unrelated
---
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: every-hour
spec:
  schedules: ["0 * * * *"]
  workflowSpec:
    entrypoint: main
    templates:
      - name: main
        steps:
          - - name: say
              templateRef: {name: lib, template: echo}
              arguments:
                parameters: [{name: msg, value: hi}]
`

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunExitCodesAndJSON(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"lib.yaml":  validTemplate,
		"cron.yaml": usesLib,
		"bad.yaml":  strings.Replace(validTemplate, "      retryStrategy:", "      retrystrategy:", 1),
	})
	lib, cron, bad := filepath.Join(dir, "lib.yaml"), filepath.Join(dir, "cron.yaml"), filepath.Join(dir, "bad.yaml")

	if code, out, errs := runCLI(t, lib, cron); code != exitOK || out != "" {
		t.Fatalf("valid files: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// Without the library the templateRef cannot resolve.
	if code, out, _ := runCLI(t, cron); code != exitProblems || !strings.Contains(out, `couldn't find workflow template "lib"`) {
		t.Fatalf("unresolved templateRef: exit %d, stdout %q", code, out)
	}
	code, out, _ := runCLI(t, "--json", bad)
	if code != exitProblems {
		t.Fatalf("bad file: exit %d, want %d", code, exitProblems)
	}
	var problems []Problem
	if err := json.Unmarshal([]byte(out), &problems); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if len(problems) != 1 || problems[0].File != bad || problems[0].Kind != "WorkflowTemplate" || problems[0].Name != "lib" ||
		!strings.Contains(problems[0].Message, `unknown field "spec.templates[0].retrystrategy"`) {
		t.Fatalf("problems = %+v", problems)
	}
	// A directory is walked; lib.yaml and cron.yaml resolve each other.
	if code, out, _ := runCLI(t, "--json", dir); code != exitProblems || strings.Count(out, `"file"`) != 1 {
		t.Fatalf("directory: exit %d, stdout %q", code, out)
	}
	if code, out, _ := runCLI(t, "--json", lib); code != exitOK || strings.TrimSpace(out) != "[]" {
		t.Fatalf("clean --json: exit %d, stdout %q, want []", code, out)
	}
	if code, _, _ := runCLI(t); code != exitUsage {
		t.Fatalf("no args: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := runCLI(t, "--nope", lib); code != exitUsage {
		t.Fatalf("unknown flag: exit %d, want %d", code, exitUsage)
	}
}

func TestSplitDocumentsLines(t *testing.T) {
	docs := splitDocuments("# header\n---\na: 1\n---   # second\n\n# only a comment\n---\nb: 2\nc: 3\n...\n")
	if len(docs) != 2 {
		t.Fatalf("got %d documents, want 2: %+v", len(docs), docs)
	}
	if docs[0].line != 3 || docs[0].index != 1 || docs[1].line != 8 || docs[1].index != 2 {
		t.Fatalf("documents = %+v, want lines 3 and 8", docs)
	}
}

func TestHelmMarker(t *testing.T) {
	argo := []string{"{{inputs.parameters.x}}", "{{=sprig.trim(inputs.parameters.x)}}", "{{workflow.name}}", "{{item}}", "{{tasks.a.outputs.result}}"}
	for _, s := range argo {
		if m := helmMarker("x: " + s); m != "" {
			t.Errorf("helmMarker(%q) = %q, want none: Argo's own syntax", s, m)
		}
	}
	helm := []string{"{{ .Values.x }}", "{{- if .Values.a }}", "{{ include \"x\" . }}", "{{`{{workflow.name}}`}}", "{{/* comment */}}", "{{ $x := 1 }}"}
	for _, s := range helm {
		if m := helmMarker("x: " + s); m == "" {
			t.Errorf("helmMarker(%q) found nothing, want a Helm marker", s)
		}
	}
}

func TestAbsoluteLines(t *testing.T) {
	got := absoluteLines("error converting YAML to JSON: yaml: line 3: mapping values are not allowed", 10)
	if !strings.Contains(got, "line 12:") {
		t.Fatalf("got %q, want line 12", got)
	}
}
