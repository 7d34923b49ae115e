package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/cdkapp"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/ui"
)

func TestSynthFlags(t *testing.T) {
	tests := []struct {
		args   []string
		out    string
		output OutputFormat
	}{
		{[]string{"synth"}, "cdk.out", OutputText},
		{[]string{"synth", "--out", "/tmp/assembly"}, "/tmp/assembly", OutputText},
		{[]string{"synth", "--out=build/cdk.out", "-o", "json"}, "build/cdk.out", OutputJSON},
		{[]string{"--output", "json", "synth"}, "cdk.out", OutputJSON},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, ios := testFactory()
			var got *SynthOptions
			cmd := newCmdSynth(f, func(o *SynthOptions) error { got = o; return nil })
			if code, err := parse(t, f, cmd, tt.args...); code != 0 {
				t.Fatalf("exit %d: %v", code, err)
			}
			if got.OutDir != tt.out || got.Output != tt.output || got.IO != ios {
				t.Errorf("options: %+v", got)
			}
			if got.Config == nil || got.Synth == nil || got.Now == nil {
				t.Error("providers not wired")
			}
		})
	}
}

func TestSynthRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"synth", "--out", ""}, {"synth", "stacks"}, {"synth", "--outdir", "x"}} {
		f, _ := testFactory()
		cmd := newCmdSynth(f, func(*SynthOptions) error { t.Error("runF called"); return nil })
		if code, err := parse(t, f, cmd, args...); code != ExitUsage {
			t.Errorf("%q: exit %d (%v), want %d", args, code, err, ExitUsage)
		}
	}
}

// fakeSynthOptions runs synth against a canned result and a clock that
// advances 12.34s per call.
func fakeSynthOptions(output OutputFormat) (*SynthOptions, *bytes.Buffer, *bytes.Buffer) {
	ios, _, out, errOut := ui.Test()
	clock := time.Unix(0, 0)
	opts := &SynthOptions{
		IO:     ios,
		Output: output,
		OutDir: "cdk.out",
		Config: func() (*config.Config, error) { return config.Parse(nil) },
		Synth: func(_ context.Context, cfg *config.Config, dir string) (*cdkapp.Result, error) {
			return &cdkapp.Result{Dir: dir, Stacks: []*assembly.Stack{
				{Name: "blueprint-network", TemplateFile: "blueprint-network.template.json", Resources: 41, TemplateSize: 31949},
				{Name: "blueprint-data", TemplateFile: "blueprint-data.template.json", Resources: 12, TemplateSize: 812},
				{Name: "blueprint-cluster", TemplateFile: "blueprint-cluster.template.json", Resources: 97, TemplateSize: 5 << 20,
					DependsOn: []string{"blueprint-network", "blueprint-data"},
					Messages:  []assembly.Message{{Level: "warning", Path: "/blueprint-cluster/Nodes", Text: "check me"}}},
			}}, nil
		},
		Now: func() time.Time { clock = clock.Add(12340 * time.Millisecond); return clock },
	}
	return opts, out, errOut
}

func TestSynthText(t *testing.T) {
	opts, stdout, stderr := fakeSynthOptions(OutputText)
	if err := synthRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"STACK              RESOURCES    TEMPLATE\n" +
		"blueprint-network         41    31.2 KiB\n" +
		"blueprint-data            12       812 B\n" +
		"blueprint-cluster         97     5.0 MiB\n" +
		"3 stacks in cdk.out, synthesized in 12.3s\n"
	if stdout.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	if want := "→ Synthesizing \"blueprint\" (us-east-1) into cdk.out\n✓ Synthesized 3 stacks\n! 1 synthesis warning; --verbose lists them\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

func TestSynthJSON(t *testing.T) {
	opts, stdout, _ := fakeSynthOptions(OutputJSON)
	if err := synthRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var view struct {
		OutDir     string `json:"outDir"`
		DurationMs int64  `json:"durationMs"`
		Stacks     []struct {
			Name          string   `json:"name"`
			Resources     int      `json:"resources"`
			TemplateBytes int64    `json:"templateBytes"`
			TemplateFile  string   `json:"templateFile"`
			DependsOn     []string `json:"dependsOn"`
			Messages      []struct {
				Level, Path, Text string
			} `json:"messages"`
		} `json:"stacks"`
	}
	dec := json.NewDecoder(strings.NewReader(stdout.String()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&view); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if view.OutDir != "cdk.out" || view.DurationMs != 12340 || len(view.Stacks) != 3 {
		t.Errorf("view: %+v", view)
	}
	if s := view.Stacks[2]; s.Name != "blueprint-cluster" || s.Resources != 97 || s.TemplateBytes != 5<<20 ||
		len(s.DependsOn) != 2 || len(s.Messages) != 1 || s.Messages[0].Level != "warning" {
		t.Errorf("stack: %+v", s)
	}
	if !strings.Contains(stdout.String(), `"dependsOn": []`) {
		t.Error("a stack without dependencies should show [] rather than null")
	}
}

func TestSynthStopsOnInvalidConfig(t *testing.T) {
	opts, stdout, _ := fakeSynthOptions(OutputText)
	opts.Config = func() (*config.Config, error) { return config.Parse([]byte("network:\n  azCount: 9\n")) }
	opts.Synth = func(context.Context, *config.Config, string) (*cdkapp.Result, error) {
		t.Error("synthesized an invalid config")
		return nil, nil
	}
	err := synthRun(context.Background(), opts)
	if ExitCode(err) != ExitInvalidConfig || stdout.Len() != 0 {
		t.Errorf("err %v (exit %d), stdout %q", err, ExitCode(err), stdout)
	}
}

func TestSynthWrapsFailure(t *testing.T) {
	opts, _, _ := fakeSynthOptions(OutputText)
	opts.Synth = func(ctx context.Context, _ *config.Config, _ string) (*cdkapp.Result, error) {
		return nil, context.Canceled
	}
	err := synthRun(context.Background(), opts)
	if !errors.Is(err, context.Canceled) || ExitCode(err) != ExitCancelled || !strings.HasPrefix(err.Error(), "synthesizing: ") {
		t.Errorf("got %v", err)
	}
}

func TestSynthVerboseListsWarnings(t *testing.T) {
	opts, _, stderr := fakeSynthOptions(OutputText)
	opts.IO.SetVerbose(true)
	if err := synthRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "  warning: /blueprint-cluster/Nodes: check me\n") || strings.Contains(stderr.String(), "--verbose lists") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// Synthesis errors (cdk-nag, construct validation) come with the assembly:
// it is still shown, then the error decides the exit code.
func TestSynthErrorsStillShowTheAssembly(t *testing.T) {
	opts, stdout, stderr := fakeSynthOptions(OutputText)
	inner := opts.Synth
	opts.Synth = func(ctx context.Context, cfg *config.Config, dir string) (*cdkapp.Result, error) {
		res, _ := inner(ctx, cfg, dir)
		return res, &cdkapp.SynthError{Errors: []assembly.Message{{Level: "error", Path: "/blueprint-data/Lake", Text: "AwsSolutions-S1"}}}
	}
	err := synthRun(context.Background(), opts)
	var se *cdkapp.SynthError
	if !errors.As(err, &se) || ExitCode(err) != ExitError {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(stdout.String(), "blueprint-cluster") || !strings.Contains(stderr.String(), "✗ Synthesized 3 stacks, with errors") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
}
