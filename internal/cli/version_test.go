package cli

import (
	"encoding/json"
	"regexp"
	"runtime"
	"testing"
)

func TestVersionText(t *testing.T) {
	stdout, _, code := runCLI(t, "version")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	re := regexp.MustCompile(`^blueprint \S+ \(go1\.[^,]+(, commit [0-9a-f]+(-dirty)?)?, ` + runtime.GOOS + `/` + runtime.GOARCH + `\)\n$`)
	if !re.MatchString(stdout) {
		t.Errorf("stdout %q", stdout)
	}
}

func TestVersionJSON(t *testing.T) {
	stdout, _, code := runCLI(t, "version", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatal(err)
	}
	if v["version"] == "" || v["goVersion"] != runtime.Version() || v["platform"] != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("json: %v", v)
	}
}

func TestVersionFlags(t *testing.T) {
	f, _ := testFactory()
	var got *VersionOptions
	cmd := newCmdVersion(f, func(o *VersionOptions) error { got = o; return nil })
	if code, err := parse(t, f, cmd, "version", "--output", "json"); code != 0 {
		t.Fatal(err)
	}
	if got.Output != OutputJSON || got.Info.Version == "" {
		t.Errorf("options: %+v", got)
	}
}
