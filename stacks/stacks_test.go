package stacks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sqletl/blueprint/constructs/catalog"
	"github.com/sqletl/blueprint/constructs/datalake"
	"github.com/sqletl/blueprint/constructs/encryption"
	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/cdkapp"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/eksversions"
	"github.com/sqletl/blueprint/internal/stackreg"
	"github.com/sqletl/blueprint/stacks"
)

func stackNames(asm *assembly.Assembly) []string {
	var out []string
	for _, s := range asm.Stacks {
		out = append(out, s.Name)
	}
	return out
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

func slicesWithout(s []string, v string) []string {
	var out []string
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

var update = flag.Bool("update", false, "rewrite golden files")

func synth(t *testing.T, yaml string) *assembly.Assembly {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	asm, err := cdkapp.Synth(context.Background(), cfg, filepath.Join(t.TempDir(), "cdk.out"))
	if err != nil {
		t.Fatalf("synth: %v", err) // a *SynthError lists every unsuppressed cdk-nag finding
	}
	return asm
}

// TestDefaultApp synthesizes the default config once and checks the whole app.
func TestDefaultApp(t *testing.T) {
	asm := synth(t, "")

	t.Run("stacks and their dependencies", func(t *testing.T) {
		deps := map[string]string{}
		for _, s := range asm.Stacks {
			deps[s.Name] = strings.Join(s.DependsOn, ",")
		}
		want := map[string]string{
			"blueprint-network": "", "blueprint-data": "",
			"blueprint-analytics": "Data", "blueprint-cluster": "Analytics,Data,Network",
		}
		if fmt.Sprint(deps) != fmt.Sprint(want) {
			t.Errorf("stack dependencies = %v, want %v", deps, want)
		}
		byID := map[string]string{}
		for _, s := range asm.Stacks {
			byID[s.ID] = s.Name
		}
		cfg, _ := config.Parse(nil)
		static := stacks.Dependencies(cfg)
		for _, s := range asm.Stacks {
			var got []string
			for _, d := range s.DependsOn {
				got = append(got, byID[d])
			}
			sort.Strings(got)
			want := append([]string(nil), static[s.Name]...)
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s: synthesized dependencies %v, stacks.Dependencies says %v", s.Name, got, want)
			}
		}
		if !asm.Stack("blueprint-data").TerminationProtection {
			t.Error("the data stack must have termination protection")
		}
		// The registry (read by up, down, status, critpath) describes
		// exactly the synthesized stacks: names, data-holding, outputs.
		reg := stackreg.For(cfg)
		if regNames, synthNames := sorted(reg.Names()), sorted(stackNames(asm)); fmt.Sprint(regNames) != fmt.Sprint(synthNames) {
			t.Errorf("registry stacks %v, synthesized %v", reg.Names(), stackNames(asm))
		}
		for _, s := range asm.Stacks {
			r, ok := reg.ByName(s.Name)
			if !ok {
				continue
			}
			if r.HoldsData != s.TerminationProtection {
				t.Errorf("%s: registry HoldsData=%v, synthesized termination protection %v", s.Name, r.HoldsData, s.TerminationProtection)
			}
			var outs []string
			for k := range s.Template.Outputs {
				if !strings.HasPrefix(k, "ExportsOutput") { // CDK's own cross-stack exports
					outs = append(outs, k)
				}
			}
			sort.Strings(outs)
			want := append([]string(nil), r.Outputs...)
			if s.Name == "blueprint-cluster" { // LBC role only with public access
				want = slicesWithout(want, stackreg.OutputLBCRole)
			}
			sort.Strings(want)
			if fmt.Sprint(outs) != fmt.Sprint(want) {
				t.Errorf("%s: synthesized outputs %v, registry says %v", s.Name, outs, want)
			}
		}
	})

	t.Run("no custom resources and no Lambda", func(t *testing.T) {
		forbidden := assertNoForbidden(asm)
		if len(forbidden) > 0 {
			t.Errorf("forbidden resources: %v", forbidden)
		}
	})

	t.Run("stateful logical IDs are pinned", func(t *testing.T) {
		data := asm.Stack("blueprint-data").Template.Resources
		for id, typ := range map[string]string{
			encryption.LogicalID:         "AWS::KMS::Key",
			datalake.DataLakeLogicalID:   "AWS::S3::Bucket",
			datalake.AccessLogsLogicalID: "AWS::S3::Bucket",
			catalog.LogicalID:            "AWS::Glue::Database",
		} {
			r, ok := data[id]
			if !ok || r.Type != typ {
				t.Errorf("%s (%s) missing from the data stack; renaming it would replace the resource", id, typ)
				continue
			}
			if r.DeletionPolicy != "Retain" {
				t.Errorf("%s: DeletionPolicy = %q, want Retain", id, r.DeletionPolicy)
			}
		}
	})

	t.Run("no warnings or errors from synthesis", func(t *testing.T) {
		for _, s := range asm.Stacks {
			for _, m := range s.Messages {
				if m.Level != "info" {
					t.Errorf("%s %s: %s", m.Level, m.Path, m.Text)
				}
			}
		}
	})

	t.Run("cdk-nag ran and left reasons for every suppression", func(t *testing.T) {
		reports, _ := filepath.Glob(filepath.Join(asm.Dir, "AwsSolutions-*-NagReport.csv"))
		if len(reports) != len(asm.Stacks) {
			t.Fatalf("nag reports = %d, want one per stack", len(reports))
		}
		for _, r := range reports {
			body, _ := os.ReadFile(r)
			for _, line := range strings.Split(string(body), "\n") {
				if strings.Contains(line, `"Non-Compliant"`) {
					t.Errorf("%s: %s", filepath.Base(r), line)
				}
				if strings.Contains(line, `"Suppressed"`) && strings.Contains(line, `"Suppressed",""`) {
					t.Errorf("suppression without a reason: %s", line)
				}
			}
		}
	})

	t.Run("cfn-lint", func(t *testing.T) {
		cfnLint(t, asm)
	})

	t.Run("no secrets in templates", func(t *testing.T) {
		secretish := regexp.MustCompile(`(?i)(AKIA[0-9A-Z]{16}|"SecretString"|"password"\s*:\s*"[^"]+"|aws_secret_access_key)`)
		for _, s := range asm.Stacks {
			body, _ := os.ReadFile(filepath.Join(asm.Dir, s.TemplateFile))
			if m := secretish.Find(body); m != nil {
				t.Errorf("%s contains %s", s.Name, m)
			}
		}
	})

	t.Run("versions pinned from the table, CNI before nodes", func(t *testing.T) {
		cfg, _ := config.Parse(nil)
		if !slices.Equal(eksversions.Minors(), config.SupportedKubernetesVersions) {
			t.Errorf("version table covers %v, config supports %v", eksversions.Minors(), config.SupportedKubernetesVersions)
		}
		res := asm.Stack("blueprint-cluster").Template.Resources
		want := stacks.AddonVersions(cfg.Cluster.Version)
		var cni string
		for id, r := range res {
			var p map[string]any
			_ = json.Unmarshal(r.Properties, &p)
			switch r.Type {
			case "AWS::EKS::Addon":
				if got, _ := p["AddonVersion"].(string); got == "" || got != want[p["AddonName"].(string)] {
					t.Errorf("%s AddonVersion = %q, want %q", p["AddonName"], got, want[p["AddonName"].(string)])
				}
				if p["AddonName"] == "vpc-cni" {
					cni = id
				}
			case "AWS::EKS::Nodegroup":
				if p["Version"] != cfg.Cluster.Version {
					t.Errorf("node group %s Version = %v, want %s", id, p["Version"], cfg.Cluster.Version)
				}
			}
		}
		for id, r := range res {
			if r.Type == "AWS::EKS::Nodegroup" && !strings.Contains(fmt.Sprint(r.DependsOn), cni) {
				t.Errorf("node group %s does not wait for the vpc-cni add-on %s: %v", id, cni, r.DependsOn)
			}
		}
	})

	t.Run("permissions boundary on every role", func(t *testing.T) {
		checkPermissionsBoundary(t, asm, "blueprint")
	})

	t.Run("golden summary", func(t *testing.T) {
		golden(t, "testdata/default.summary.golden", summary(asm))
	})

	t.Run("outputs the CLI reads", func(t *testing.T) {
		outputs := map[string]bool{}
		for _, s := range asm.Stacks {
			for k := range s.Template.Outputs {
				outputs[k] = true
			}
		}
		for _, k := range []string{stacks.OutputClusterName, stacks.OutputClusterEndpoint, stacks.OutputClusterCA,
			stacks.OutputDataLakeBucket, stacks.OutputCodeBucket, stacks.OutputLogsBucket, stacks.OutputKeyArn,
			stacks.OutputGlueDatabase, stacks.OutputAthenaWorkgroup, stacks.OutputLoginSecretArn,
			stacks.OutputArcJobRole, stacks.OutputNotebookRole, stacks.OutputArgoServerRole, stacks.OutputAutoscalerRole} {
			if !outputs[k] {
				t.Errorf("output %s missing", k)
			}
		}
	})
}

// TestConfigVariants: every supported shape of config synthesizes cleanly
// (cdk-nag errors fail synth) with no custom resources and no lookups.
func TestConfigVariants(t *testing.T) {
	tests := []struct {
		name, yaml string
		check      func(t *testing.T, asm *assembly.Assembly)
	}{
		{"account-bound, three zones, NAT per zone", `
name: etl-prod
region: eu-west-1
account: "123456789012"
network: {azCount: 3, natGateways: 3}
cluster: {adminRoleArn: "arn:aws:iam::123456789012:role/platform-admin", endpointPublicAccessCidrs: ["203.0.113.0/24"]}
tags: {team: data, env: prod}
`, func(t *testing.T, asm *assembly.Assembly) {
			if n := asm.ResourcesOfType(func(s string) bool { return s == "AWS::EC2::NatGateway" })["AWS::EC2::NatGateway"]; n != 3 {
				t.Errorf("NAT gateways = %d", n)
			}
			manifest, _ := os.ReadFile(filepath.Join(asm.Dir, "manifest.json"))
			if bytes.Contains(manifest, []byte("missing")) {
				t.Error("synthesis recorded a missing context lookup")
			}
		}},
		{"logs kept on down, 7-day retention", `
name: lg
cluster: {keepLogs: true, logRetentionDays: 7}
`, func(t *testing.T, asm *assembly.Assembly) {
			// Every log group the platform causes is its stack's (the names
			// down sweeps and plan lists), with the retention, retained.
			cfg, _ := config.Parse([]byte("name: lg\n"))
			reg := stackreg.For(cfg)
			for _, g := range stackreg.LogGroups(cfg) {
				found := false
				for _, r := range asm.Stack(reg.Stack(g.Stack).Name).Template.Resources {
					var p struct {
						LogGroupName    string
						RetentionInDays int
					}
					if r.Type != "AWS::Logs::LogGroup" || json.Unmarshal(r.Properties, &p) != nil || p.LogGroupName != g.Name {
						continue
					}
					found = true
					if p.RetentionInDays != 7 || r.DeletionPolicy != "Retain" {
						t.Errorf("%s: retention %d, DeletionPolicy %q; want 7 and Retain", g.Name, p.RetentionInDays, r.DeletionPolicy)
					}
				}
				if !found {
					t.Errorf("log group %s is not in stack %s", g.Name, reg.Stack(g.Stack).Name)
				}
			}
		}},
		{"existing data lake, spot off, private endpoint", `
name: lake
dataLake: {existingBucket: my-company-lake, glueDatabase: company_lake}
nodeGroups: {spot: {enabled: false}}
cluster: {endpointPublicAccess: false, logTypes: [api, audit]}
network: {interfaceEndpoints: [sts, ecr.api, ecr.dkr]}
`, func(t *testing.T, asm *assembly.Assembly) {
			data := asm.Stack("lake-data").Template.Resources
			if _, ok := data[datalake.DataLakeLogicalID]; ok {
				t.Error("a data lake bucket was created although an existing one is configured")
			}
			if n := asm.ResourcesOfType(func(s string) bool { return s == "AWS::EKS::Nodegroup" })["AWS::EKS::Nodegroup"]; n != 1 {
				t.Errorf("node groups = %d", n)
			}
		}},
		{"public access: load balancer controller role", `
name: pub
platform: {publicAccess: {enabled: true, domain: etl.example.com, certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"}}
`, func(t *testing.T, asm *assembly.Assembly) {
			cl := asm.Stack("pub-cluster")
			if _, ok := cl.Template.Outputs[stacks.OutputLBCRole]; !ok {
				t.Errorf("pub-cluster has no %s output", stacks.OutputLBCRole)
			}
			body, _ := os.ReadFile(filepath.Join(asm.Dir, cl.TemplateFile))
			if !bytes.Contains(body, []byte("system:serviceaccount:kube-system:aws-load-balancer-controller")) {
				t.Error("no IRSA trust for kube-system/aws-load-balancer-controller")
			}
			checkPermissionsBoundary(t, asm, "pub") // the load balancer controller's role too
			cfnLint(t, asm)
		}},
		{"CI deploy role for GitHub", `
name: etl
ci: {github: {repository: acme/etl}}
`, func(t *testing.T, asm *assembly.Assembly) {
			ci := asm.Stack("etl-ci")
			if ci == nil {
				t.Fatal("no etl-ci stack")
			}
			got := map[string]int{}
			for _, r := range ci.Template.Resources {
				got[r.Type]++
			}
			for typ, n := range map[string]int{"AWS::IAM::Role": 2, "AWS::IAM::OIDCProvider": 1, "AWS::EKS::AccessEntry": 1} {
				if got[typ] != n {
					t.Errorf("%s in etl-ci = %d, want %d (%v)", typ, got[typ], n, got)
				}
			}
			body, _ := os.ReadFile(filepath.Join(asm.Dir, ci.TemplateFile))
			for _, frag := range []string{"repo:acme/etl:environment:production", "etl/jupyterhub-login-??????", "cloudformation/*"} {
				if !bytes.Contains(body, []byte(frag)) {
					t.Errorf("etl-ci template lacks %q", frag)
				}
			}
			deps := stacks.Dependencies(mustConfig(t, "name: etl\nci: {github: {repository: acme/etl}}\n"))
			if fmt.Sprint(deps["etl-ci"]) != "[etl-data etl-analytics etl-cluster]" {
				t.Errorf("Dependencies(etl-ci) = %v", deps["etl-ci"])
			}
			for _, d := range []string{"Data", "Analytics", "Cluster"} {
				if !slicesContains(ci.DependsOn, d) {
					t.Errorf("synthesized etl-ci does not depend on %s: %v", d, ci.DependsOn)
				}
			}
			checkCIPolicies(t, asm)
			checkExecRoleCoversTemplates(t, asm)
			checkPermissionsBoundary(t, asm, "etl")
			cfnLint(t, asm)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			asm := synth(t, tc.yaml)
			if f := assertNoForbidden(asm); len(f) > 0 {
				t.Errorf("forbidden resources: %v", f)
			}
			tc.check(t, asm)
		})
	}
}

func assertNoForbidden(asm *assembly.Assembly) map[string]int {
	return asm.ResourcesOfType(func(typ string) bool {
		return strings.HasPrefix(typ, "Custom::") || typ == "AWS::CloudFormation::CustomResource" ||
			typ == "AWS::Lambda::Function" || typ == "AWS::Serverless::Function"
	})
}

// cfnLint runs the real cfn-lint over every template with the repository's
// .cfnlintrc.yaml: no errors and no warnings that are not ignored there.
func cfnLint(t *testing.T, asm *assembly.Assembly) {
	t.Helper()
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatalf("cfn-lint not found (it comes with the machine's Python: pip install cfn-lint): %v", err)
	}
	args := []string{"--config-file", "../.cfnlintrc.yaml", "--format", "parseable", "--"}
	for _, s := range asm.Stacks {
		args = append(args, filepath.Join(asm.Dir, s.TemplateFile))
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

// summary lists per stack: resource types with counts, parameters and
// outputs. It leaves out hashed logical IDs so it only changes on purpose.
func summary(asm *assembly.Assembly) string {
	var b strings.Builder
	for _, s := range asm.Stacks {
		fmt.Fprintf(&b, "%s (depends on: %s)\n", s.Name, strings.Join(s.DependsOn, ", "))
		counts := map[string]int{}
		for _, r := range s.Template.Resources {
			counts[r.Type]++
		}
		types := make([]string, 0, len(counts))
		for k := range counts {
			types = append(types, k)
		}
		sort.Strings(types)
		for _, k := range types {
			fmt.Fprintf(&b, "  %-40s %d\n", k, counts[k])
		}
		fmt.Fprintf(&b, "  parameters: %s\n", strings.Join(sortedKeys(s.Template.Parameters), ", "))
		fmt.Fprintf(&b, "  outputs: %s\n", strings.Join(sortedKeys(s.Template.Outputs), ", "))
	}
	return b.String()
}

func sortedKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if !strings.HasPrefix(k, "ExportsOutput") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./stacks -run TestDefaultApp -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (rerun with -update if intended):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// The rules .cfnlintrc.yaml ignores are exactly stacks.CfnLintIgnored (what
// `blueprint plan` ignores outside the repository).
func TestCfnLintIgnoreListsAgree(t *testing.T) {
	b, err := os.ReadFile("../.cfnlintrc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rc struct {
		IgnoreChecks []string `yaml:"ignore_checks"`
	}
	if err := yaml.Unmarshal(b, &rc); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range rc.IgnoreChecks {
		got[r] = true
		if _, ok := stacks.CfnLintIgnored[r]; !ok {
			t.Errorf(".cfnlintrc.yaml ignores %s but stacks.CfnLintIgnored does not", r)
		}
	}
	for r := range stacks.CfnLintIgnored {
		if !got[r] {
			t.Errorf("stacks.CfnLintIgnored has %s but .cfnlintrc.yaml does not", r)
		}
	}
}

func mustConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
