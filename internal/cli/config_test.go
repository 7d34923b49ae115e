package cli

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sqletl/blueprint/internal/config"
)

func defaults(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestConfigFlags(t *testing.T) {
	f, ios := testFactory()
	var got *ConfigOptions
	cmd := newCmdConfig(f, func(o *ConfigOptions) error { got = o; return nil })
	if code, err := parse(t, f, cmd, "config", "-o", "json"); code != 0 {
		t.Fatal(err)
	}
	if got.IO != ios || got.Output != OutputJSON || got.Config == nil {
		t.Errorf("options: %+v", got)
	}
}

func TestConfigPrintsDefaults(t *testing.T) {
	t.Chdir(t.TempDir()) // no blueprint.yaml here
	stdout, stderr, code := runCLI(t, "config")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, err := config.Parse([]byte(stdout))
	if err != nil {
		t.Fatalf("printed YAML does not parse back: %v\n%s", err, stdout)
	}
	if !reflect.DeepEqual(got, defaults(t)) {
		t.Errorf("printed config is not the defaults:\n%s", stdout)
	}
	for _, line := range []string{"name: blueprint\n", "region: us-east-1\n", "  azCount: 2\n", `  version: "1.35"` + "\n", "  bytesScannedCutoffPerQuery: 10737418240\n"} {
		if !strings.Contains(stdout, line) {
			t.Errorf("YAML lacks %q:\n%s", line, stdout)
		}
	}
	if stderr != "" {
		t.Errorf("stderr: %q", stderr)
	}
}

func TestConfigJSONShape(t *testing.T) {
	t.Chdir(t.TempDir())
	stdout, stderr, code := runCLI(t, "config", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// account and tags are omitted when empty.
	want := []string{"athena", "ci", "cluster", "dataLake", "name", "network", "nodeGroups", "platform", "region"}
	if !slices.Equal(keys, want) {
		t.Errorf("top-level keys %v, want %v", keys, want)
	}
	at := func(path string) any {
		var v any = doc
		for _, k := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		}
		return v
	}
	for path, want := range map[string]any{
		"name":                              "blueprint",
		"network.vpcCidr":                   "10.0.0.0/16",
		"network.azCount":                   2.0,
		"cluster.version":                   "1.35",
		"cluster.endpointPublicAccess":      true,
		"nodeGroups.onDemand.desiredSize":   2.0,
		"nodeGroups.spot.minSize":           0.0, // zero, yet present: the pointer says it was set
		"nodeGroups.spot.enabled":           true,
		"dataLake.glueDatabase":             "blueprint_lake",
		"athena.bytesScannedCutoffPerQuery": 10737418240.0,
	} {
		if got := at(path); got != want {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
	// Unconfigured zones are chosen by up from the account, so the printed
	// config leaves them out rather than pinning placeholders.
	if zones := at("network.availabilityZones"); zones != nil {
		t.Errorf("network.availabilityZones = %v, want it left to up", zones)
	}

	var back config.Config
	if err := json.Unmarshal([]byte(stdout), &back); err != nil {
		t.Fatal(err)
	}
	back.SetDefaults() // the placeholder zones, left out of the output
	if !reflect.DeepEqual(&back, defaults(t)) {
		t.Error("JSON does not round-trip to the defaults")
	}
}

func TestConfigRegionFlagOverridesFile(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "etl.yaml", "name: etl\nregion: us-west-2\n")
	stdout, stderr, code := runCLI(t, "--config", path, "--region", "eu-west-1", "config", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var cfg config.Config
	if err := json.Unmarshal([]byte(stdout), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg.SetDefaults() // placeholder zones follow the overridden region
	if cfg.Name != "etl" || cfg.Region != "eu-west-1" || cfg.Network.AvailabilityZones[0] != "eu-west-1a" {
		t.Errorf("got name %s region %s zones %v", cfg.Name, cfg.Region, cfg.Network.AvailabilityZones)
	}

	// A bad --region is a config problem like any other.
	_, stderr, code = runCLI(t, "--config", path, "--region", "Frankfurt", "config")
	if code != ExitInvalidConfig || !strings.Contains(stderr, `region: "Frankfurt" is not an AWS region name`) {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
}

func TestConfigListsEveryProblem(t *testing.T) {
	path := writeFile(t, t.TempDir(), "bad.yaml", "network:\n  azCount: 1\n  vpcCIDR: x\nnodeGroups:\n  spot:\n    diskSizeGiB: 5\n")
	stdout, stderr, code := runCLI(t, "--config", path, "config")
	if code != ExitInvalidConfig {
		t.Errorf("exit %d, want %d", code, ExitInvalidConfig)
	}
	for _, want := range []string{
		path + ": invalid config (3 problems):",
		"  - network.vpcCIDR: unknown field (line 3)",
		"  - network.azCount: is 1;",
		"  - nodeGroups.spot.diskSizeGiB: is 5; use 20 to 16384",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if stdout != "" {
		t.Errorf("stdout: %q", stdout)
	}
}

func TestConfigExplicitFileMustExist(t *testing.T) {
	missing := t.TempDir() + "/nope.yaml"
	_, stderr, code := runCLI(t, "--config", missing, "config")
	if code != ExitError || !strings.Contains(stderr, "nope.yaml") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
}
