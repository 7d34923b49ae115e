package ui

import (
	"strings"
	"testing"
	"time"
)

func TestColorWanted(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	tests := []struct {
		name     string
		terminal bool
		getenv   func(string) string
		want     bool
	}{
		{"terminal", true, env("TERM", "xterm-256color"), true},
		{"not a terminal", false, env(), false},
		{"NO_COLOR set", true, env("NO_COLOR", "1"), false},
		{"NO_COLOR set to anything", true, env("NO_COLOR", "false"), false},
		{"NO_COLOR empty counts as unset", true, env("NO_COLOR", ""), true},
		{"dumb terminal", true, env("TERM", "dumb"), false},
	}
	for _, tt := range tests {
		if got := ColorWanted(tt.terminal, tt.getenv); got != tt.want {
			t.Errorf("%s: ColorWanted = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestProgressPlain(t *testing.T) {
	ios, _, out, errOut := Test()
	p := ios.Progress()
	p.Start("Synthesizing into %s", "cdk.out")
	p.Done("Synthesized %d stacks", 4)
	p.Warn("Spot is off")
	p.Fail("Deploying %q", "x")
	p.Info("Next: blueprint plan")
	p.Detail("hidden without --verbose")

	want := "→ Synthesizing into cdk.out\n✓ Synthesized 4 stacks\n! Spot is off\n✗ Deploying \"x\"\nNext: blueprint plan\n"
	if errOut.String() != want {
		t.Errorf("stderr:\n%q\nwant\n%q", errOut.String(), want)
	}
	if out.Len() != 0 {
		t.Errorf("progress wrote to stdout: %q", out.String())
	}
}

func TestProgressColorAndVerbose(t *testing.T) {
	ios, _, _, errOut := Test()
	ios.SetColorEnabled(true)
	ios.SetVerbose(true)
	p := ios.Progress()
	p.Done("ok")
	p.Detail("100%% of %d", 3)
	want := "\x1b[32m✓\x1b[0m ok\n  \x1b[2m100% of 3\x1b[0m\n"
	if errOut.String() != want {
		t.Errorf("got %q\nwant %q", errOut.String(), want)
	}
}

func TestWriteJSON(t *testing.T) {
	ios, _, out, _ := Test()
	if err := ios.WriteJSON(map[string]any{"a": "<b>", "n": 1}); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"a\": \"<b>\",\n  \"n\": 1\n}\n"; out.String() != want {
		t.Errorf("got %q want %q", out.String(), want)
	}
}

func TestBytesAndDuration(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 31949: "31.2 KiB", 5 << 20: "5.0 MiB", 1536: "1.5 KiB", 10 << 30: "10.0 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		850 * time.Millisecond: "850ms", 12340 * time.Millisecond: "12.3s", 245 * time.Second: "4m05s",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestConfirm(t *testing.T) {
	for answer, want := range map[string]bool{"y\n": true, "yes\n": true, "YES\n": true, "\n": false, "n\n": false, "maybe\n": false, "y": true} {
		s, in, _, errOut := Test()
		in.WriteString(answer)
		got, err := s.Confirm("Delete?")
		if err != nil || got != want {
			t.Errorf("answer %q: got %v, %v; want %v", answer, got, err, want)
		}
		if !strings.Contains(errOut.String(), "Delete? [y/N]") {
			t.Errorf("question not on stderr: %q", errOut.String())
		}
	}
}
