package config

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// problems parses yml and returns the validation problems, failing the test
// if the error is anything else.
func problems(t *testing.T, yml string) []string {
	t.Helper()
	_, err := Parse([]byte(yml))
	if err == nil {
		return nil
	}
	var v *ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("Parse: want a *ValidationError, got %T: %v", err, err)
	}
	return v.Problems
}

// findProblem returns the problem whose field path is exactly field.
func findProblem(ps []string, field string) (string, bool) {
	for _, p := range ps {
		if problemField(p) == field {
			return p, true
		}
	}
	return "", false
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		field string // exact field path the problem names
		fix   string // fragment of what is wrong / how to fix it
	}{
		// network
		{"vpc cidr not a cidr", "network:\n  vpcCidr: 10.0.0/16\n",
			"network.vpcCidr", `is not an IPv4 CIDR; use one like "10.0.0.0/16"`},
		{"vpc cidr ipv6", "network:\n  vpcCidr: fd00::/56\n",
			"network.vpcCidr", "is not an IPv4 CIDR"},
		{"vpc too small for six zones", "network:\n  vpcCidr: 10.0.0.0/24\n  azCount: 6\n",
			"network.vpcCidr", "is too small for public and private subnets in 6 zones; use /23 or larger"},
		{"vpc cidr host bits", "network:\n  vpcCidr: 10.0.3.7/16\n",
			"network.vpcCidr", `has host bits set; use the network address "10.0.0.0/16"`},
		{"vpc cidr /8", "network:\n  vpcCidr: 10.0.0.0/8\n",
			"network.vpcCidr", "prefix /8 is outside /16../24"},
		{"vpc cidr /28", "network:\n  vpcCidr: 10.0.0.0/28\n",
			"network.vpcCidr", "prefix /28 is outside /16../24"},
		{"az count 1", "network:\n  azCount: 1\n",
			"network.azCount", "is 1; EKS needs subnets in at least 2 availability zones, use 2 to 6"},
		{"az count 7", "network:\n  azCount: 7\n",
			"network.azCount", "is 7; EKS needs subnets in at least 2 availability zones, use 2 to 6"},
		{"az in wrong region", "region: eu-west-1\nnetwork:\n  availabilityZones: [eu-west-1a, us-east-1b]\n",
			"network.availabilityZones[1]", `"us-east-1b" is not a zone of region "eu-west-1"; use names like "eu-west-1a"`},
		{"az not a zone name", "network:\n  availabilityZones: [us-east-1a, use1-az2]\n",
			"network.availabilityZones[1]", "is not a zone of region"},
		{"az list vs count", "network:\n  azCount: 3\n  availabilityZones: [us-east-1a, us-east-1b]\n",
			"network.availabilityZones", "lists 2 zones but azCount is 3; make them agree"},
		{"az listed twice", "network:\n  availabilityZones: [us-east-1a, us-east-1a]\n",
			"network.availabilityZones[1]", "is listed twice"},
		{"nat gateways above azs", "network:\n  natGateways: 3\n",
			"network.natGateways", "is 3; use 1 (lowest cost) up to azCount (2, one per zone)"},
		{"nat gateways negative", "network:\n  natGateways: -1\n",
			"network.natGateways", "use 1 (lowest cost) up to azCount"},
		{"unknown interface endpoint", "network:\n  interfaceEndpoints: [sts, s3]\n",
			"network.interfaceEndpoints[1]", `"s3" is not known; use one of sts, ecr.api`},

		// cluster
		{"unsupported eks version", "cluster:\n  version: \"1.29\"\n",
			"cluster.version", `"1.29" is not supported; use one of 1.34, 1.35, 1.36`},
		{"eks version with patch", "cluster:\n  version: 1.35.2\n",
			"cluster.version", "use one of"},
		{"admin role is a user", "cluster:\n  adminRoleArn: arn:aws:iam::123456789012:user/bob\n",
			"cluster.adminRoleArn", "is not an IAM role ARN; use arn:aws:iam::<account>:role/<name>"},
		{"admin role bad account", "cluster:\n  adminRoleArn: arn:aws:iam::1234:role/admin\n",
			"cluster.adminRoleArn", "is not an IAM role ARN"},
		{"public cidrs while public endpoint off", "cluster:\n  endpointPublicAccess: false\n  endpointPublicAccessCidrs: [203.0.113.0/24]\n",
			"cluster.endpointPublicAccessCidrs", "endpointPublicAccess is false; remove the CIDRs or turn the public endpoint on"},
		{"public cidr host bits", "cluster:\n  endpointPublicAccessCidrs: [203.0.113.9/24]\n",
			"cluster.endpointPublicAccessCidrs[0]", `has host bits set; use "203.0.113.0/24"`},
		{"public cidr garbage", "cluster:\n  endpointPublicAccessCidrs: [office]\n",
			"cluster.endpointPublicAccessCidrs[0]", `is not an IPv4 CIDR; use e.g. "203.0.113.0/24"`},
		{"unknown log type", "cluster:\n  logTypes: [api, kubelet]\n",
			"cluster.logTypes[1]", `"kubelet" is not known; use one of api, audit`},
		{"bad log retention", "cluster:\n  logRetentionDays: 10\n",
			"cluster.logRetentionDays", "10 is not a CloudWatch Logs retention; use one of 1, 3, 5, 7, 14, 30"},

		// ci
		{"ci repository not owner/name", "ci:\n  github:\n    repository: etl\n",
			"ci.github.repository", `is "etl"; use the GitHub owner/name`},
		{"ci environment with a slash", "ci:\n  github:\n    repository: acme/etl\n    environment: prod/eu\n",
			"ci.github.environment", `is "prod/eu"; use a GitHub environment name such as production`},
		{"ci provider without repository", "ci:\n  github:\n    providerArn: arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com\n",
			"ci.github.providerArn", "ci.github.repository is empty"},
		{"ci provider not GitHub's", "ci:\n  github:\n    repository: acme/etl\n    providerArn: arn:aws:iam::123456789012:oidc-provider/example.com\n",
			"ci.github.providerArn", "token.actions.githubusercontent.com OIDC provider"},

		// node groups
		{"instance type format", "nodeGroups:\n  onDemand:\n    instanceTypes: [m6i-xlarge]\n",
			"nodeGroups.onDemand.instanceTypes[0]", `is not an EC2 instance type; use family.size, e.g. "m6i.xlarge"`},
		{"instance type no size", "nodeGroups:\n  spot:\n    instanceTypes: [r5.xlarge, r5a]\n",
			"nodeGroups.spot.instanceTypes[1]", "use family.size"},
		{"instance type not in the table", "nodeGroups:\n  onDemand:\n    instanceTypes: [m6ix.xlarge]\n",
			"nodeGroups.onDemand.instanceTypes[0]", `"m6ix.xlarge" is not a supported type; did you mean "m6i.xlarge"?`},
		{"instance types mixing architectures", "nodeGroups:\n  spot:\n    instanceTypes: [r6i.xlarge, r7g.xlarge, r5.xlarge]\n",
			"nodeGroups.spot.instanceTypes", "mixes architectures: amd64 (r6i.xlarge, r5.xlarge) and arm64 (r7g.xlarge)"},
		{"instance types mixing kinds", "nodeGroups:\n  onDemand:\n    instanceTypes: [m6i.xlarge, c6i.xlarge]\n",
			"nodeGroups.onDemand.instanceTypes", "mixes family kinds: compute optimised (c6i.xlarge) and general purpose (m6i.xlarge)"},
		{"instance type listed twice", "nodeGroups:\n  spot:\n    instanceTypes: [r5.xlarge, r5.xlarge]\n",
			"nodeGroups.spot.instanceTypes[1]", "is listed twice"},
		{"on-demand no instance types", "nodeGroups:\n  onDemand:\n    instanceTypes: []\n",
			"nodeGroups.onDemand.instanceTypes", `is empty; list at least one, e.g. ["m6i.xlarge"]`},
		{"spot with one type", "nodeGroups:\n  spot:\n    instanceTypes: [r5.xlarge]\n",
			"nodeGroups.spot.instanceTypes", "lists one type; list at least 2 of the same size"},
		{"spot max below min", "nodeGroups:\n  spot:\n    minSize: 2\n    maxSize: 1\n",
			"nodeGroups.spot.maxSize", "must be ≥ minSize (2)"},
		{"spot max zero", "nodeGroups:\n  spot:\n    maxSize: 0\n",
			"nodeGroups.spot.maxSize", "is 0; use 1 or more"},
		{"spot min negative", "nodeGroups:\n  spot:\n    minSize: -1\n",
			"nodeGroups.spot.minSize", "is -1; use 0 or more"},
		{"desired above max", "nodeGroups:\n  onDemand:\n    desiredSize: 9\n",
			"nodeGroups.onDemand.desiredSize", "is 9; use a value between minSize (1) and maxSize (4)"},
		{"desired below min", "nodeGroups:\n  spot:\n    minSize: 3\n    desiredSize: 1\n",
			"nodeGroups.spot.desiredSize", "is 1; use a value between minSize (3) and maxSize (10)"},
		{"on-demand min zero", "nodeGroups:\n  onDemand:\n    minSize: 0\n",
			"nodeGroups.onDemand.minSize", "is 0; the on-demand group needs at least 1 node for system pods"},
		{"disabling on-demand", "nodeGroups:\n  onDemand:\n    enabled: false\n",
			"nodeGroups.onDemand.enabled", "cannot be disabled; remove the field"},
		{"disk size 5", "nodeGroups:\n  spot:\n    diskSizeGiB: 5\n",
			"nodeGroups.spot.diskSizeGiB", "is 5; use 20 to 16384"},
		{"disk size huge", "nodeGroups:\n  onDemand:\n    diskSizeGiB: 20000\n",
			"nodeGroups.onDemand.diskSizeGiB", "use 20 to 16384"},

		// data lake and Athena
		{"bucket as s3 url", "dataLake:\n  existingBucket: s3://x\n",
			"dataLake.existingBucket", "is not a valid S3 bucket name; use 3-63 lower-case letters, digits, '.' and '-' (the bare name, not s3://...)"},
		{"bucket is an ip address", "dataLake:\n  existingBucket: 192.168.10.5\n",
			"dataLake.existingBucket", "is not a valid S3 bucket name"},
		{"bucket upper case", "dataLake:\n  existingBucket: My_Lake\n",
			"dataLake.existingBucket", "lower-case letters"},
		{"bucket too short", "dataLake:\n  existingBucket: ab\n",
			"dataLake.existingBucket", "3-63"},
		{"bucket double dot", "dataLake:\n  existingBucket: my..lake\n",
			"dataLake.existingBucket", "is not a valid S3 bucket name"},
		{"glue database with hyphen", "dataLake:\n  glueDatabase: etl-lake\n",
			"dataLake.glueDatabase", `is not usable from Athena; use lower-case letters, digits and '_' (e.g. "etl_lake")`},
		{"glue database upper case", "dataLake:\n  glueDatabase: ETL\n",
			"dataLake.glueDatabase", "lower-case letters, digits and '_'"},
		{"athena cutoff too small", "athena:\n  bytesScannedCutoffPerQuery: 1000000\n",
			"athena.bytesScannedCutoffPerQuery", "is 1000000; Athena's minimum is 10485760 (10 MB)"},
		{"athena cutoff negative", "athena:\n  bytesScannedCutoffPerQuery: -1\n",
			"athena.bytesScannedCutoffPerQuery", "Athena's minimum is 10485760"},

		// top level
		{"account too short", "account: \"12345\"\n",
			"account", "is not a 12-digit AWS account ID; use the digits only"},
		{"account with dashes", "account: 1234-5678-9012\n",
			"account", "12-digit"},
		{"region without dashes", "region: useast1\n",
			"region", `is not an AWS region name; use one like "us-east-1"`},
		{"region upper case", "region: US-EAST-1\n",
			"region", "is not an AWS region name"},
		{"name upper case", "name: ETL\n",
			"name", `use lower-case letters, digits and single hyphens, starting with a letter (e.g. "etl-dev")`},
		{"name double hyphen", "name: etl--dev\n",
			"name", "single hyphens"},
		{"name too long", "name: a-very-long-platform-name\n",
			"name", "is 25 characters; use at most 20"},
		{"reserved aws tag", "tags:\n  aws:createdBy: me\n",
			"tags.aws:createdBy", `keys starting with "aws:" are reserved by AWS; rename the tag`},
		{"reserved AWS tag upper case", "tags:\n  AWS:team: x\n",
			"tags.AWS:team", "reserved by AWS"},
		{"tag value too long", "tags:\n  team: " + strings.Repeat("x", 257) + "\n",
			"tags.team", "value is 257 characters; use at most 256"},

		// YAML shape: unknown keys name the key path and line
		{"unknown top-level key", "name: etl\nregoin: us-east-1\n",
			"regoin", `unknown field (line 2); did you mean "region"?`},
		{"unknown top-level key, no near match", "name: etl\nvpc: {}\n",
			"vpc", "unknown field (line 2); remove it or use one of the fields allowed at the top level: account, athena, ci, cluster"},
		{"unknown nested key", "network:\n  azCount: 2\n  subnets: 3\n",
			"network.subnets", "unknown field (line 3); remove it or use one of the fields allowed under network: availabilityZones, azCount"},
		{"nested key wrong case", "network:\n  vpcCIDR: 10.0.0.0/16\n",
			"network.vpcCIDR", `unknown field (line 2); did you mean "vpcCidr"? (keys are camelCase)`},
		{"deeply nested typo", "nodeGroups:\n  spot:\n    minSize: 0\n    maxsize: 4\n",
			"nodeGroups.spot.maxsize", `unknown field (line 4); did you mean "maxSize"?`},
		{"key set twice", "network:\n  azCount: 2\n  azCount: 3\n",
			"network.azCount", "is set twice (lines 2 and 3); keep one"},

		// YAML shape: wrong types
		{"string for int", "network:\n  azCount: two\n",
			"network.azCount", `"two" is not a whole number (line 2); write digits without quotes`},
		{"quoted int", "nodeGroups:\n  spot:\n    maxSize: \"4\"\n",
			"nodeGroups.spot.maxSize", `"4" is not a whole number (line 3)`},
		{"scalar for list", "network:\n  interfaceEndpoints: sts\n",
			"network.interfaceEndpoints", `is the single value "sts" (line 2); write a list`},
		{"list for mapping", "cluster:\n  - version: \"1.35\"\n",
			"cluster", "is a list (line 2); write it as indented key: value lines"},
		{"scalar for mapping", "athena: 100\n",
			"athena", `is the single value "100" (line 1); write it as indented key: value lines`},
		{"list for string", "name: [etl]\n",
			"name", "is a list (line 1); write a single value"},
		{"bad bool", "cluster:\n  endpointPublicAccess: sometimes\n",
			"cluster.endpointPublicAccess", `"sometimes" is not true or false (line 2); write true or false`},
		{"whole file is a list", "- name: etl\n",
			"(top level)", "is a list (line 1); write it as indented key: value lines"},

		// YAML syntax
		{"syntax error", "name: [etl\n",
			"(file)", "fix the YAML syntax"},
		{"tab indentation", "network:\n\tazCount: 2\n",
			"(file)", "fix the YAML syntax"},
		{"two documents", "name: etl\n---\nname: other\n",
			"(file)", `a second YAML document begins near line 3; keep everything in one document`},
	}
	if len(tests) < 25 {
		t.Fatalf("only %d cases", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problems(t, tt.yaml)
			p, ok := findProblem(ps, tt.field)
			if !ok {
				t.Fatalf("no problem for field %q; got:\n  %s", tt.field, strings.Join(ps, "\n  "))
			}
			if !strings.Contains(p, tt.fix) {
				t.Errorf("problem for %s does not say how to fix it:\n got: %s\nwant: …%s…", tt.field, p, tt.fix)
			}
			// Every problem keeps the "field.path: what is wrong; how to fix it" form.
			for _, p := range ps {
				field, rest, ok := strings.Cut(p, ": ")
				if !ok || field == "" || !strings.Contains(rest, "; ") {
					t.Errorf("problem not in `field.path: what is wrong; how to fix it` form: %q", p)
				}
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	yml := `
name: Bad_Name
region: eu-west-1
network:
  vpcCidr: 10.0.0.0/8
  azCount: 7
  interfaceEndpoints: [sts, nope]
  natGatewys: 2
cluster:
  version: "1.20"
nodeGroups:
  spot:
    minSize: 2
    maxSize: 1
    desiredSize: 1
athena:
  bytesScannedCutoffPerQuery: 5
`
	ps := problems(t, yml)
	want := []string{
		"network.natGatewys", // decode problems come first
		"name",
		"network.vpcCidr",
		"network.azCount",
		"network.interfaceEndpoints[1]",
		"cluster.version",
		"nodeGroups.spot.maxSize",
		"athena.bytesScannedCutoffPerQuery",
	}
	var got []string
	for _, p := range ps {
		got = append(got, problemField(p))
	}
	if !slices.Equal(got, want) {
		t.Errorf("fields with problems:\n got %q\nwant %q", got, want)
	}

	_, err := Parse([]byte(yml))
	msg := err.Error()
	if !strings.HasPrefix(msg, "invalid config (8 problems):\n  - ") {
		t.Errorf("Error() should count and list the problems, got:\n%s", msg)
	}
	if !IsValidation(err) {
		t.Error("IsValidation = false")
	}
}

func TestParseDoesNotDoubleReportUndecodableField(t *testing.T) {
	// azCount cannot be decoded, so it is defaulted; validation must not then
	// complain about the zones list disagreeing with a count the user never wrote.
	ps := problems(t, "network:\n  azCount: three\n  availabilityZones: [us-east-1a, us-east-1b, us-east-1c]\n")
	if len(ps) != 1 || problemField(ps[0]) != "network.azCount" {
		t.Errorf("want one problem for network.azCount, got %q", ps)
	}
}

func TestSingleProblemMessage(t *testing.T) {
	_, err := Parse([]byte("network:\n  azCount: 1\n"))
	want := "invalid config: network.azCount: is 1; EKS needs subnets in at least 2 availability zones, use 2 to 6"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

// The documented defaults, written out literally so a changed constant shows up here.
func wantDefaults() *Config {
	return &Config{
		Name:   "blueprint",
		Region: "us-east-1",
		CI:     CI{GitHub: GitHubCI{Branch: "main", Environment: "production"}},
		Network: Network{
			VpcCidr:            "10.0.0.0/16",
			AzCount:            2,
			AvailabilityZones:  []string{"us-east-1a", "us-east-1b"},
			NatGateways:        1,
			InterfaceEndpoints: []string{"sts", "ecr.api", "ecr.dkr", "logs", "athena", "kms", "glue", "secretsmanager"},
		},
		Cluster: Cluster{
			Version:                   "1.35",
			EndpointPublicAccess:      ptr(true),
			EndpointPublicAccessCidrs: []string{"0.0.0.0/0"},
			LogTypes:                  []string{"api", "audit", "authenticator", "controllerManager", "scheduler"},
			LogRetentionDays:          30,
		},
		NodeGroups: NodeGroups{
			OnDemand: NodeGroup{
				Enabled:       ptr(true),
				InstanceTypes: []string{"m6i.xlarge"},
				MinSize:       ptr(1),
				MaxSize:       ptr(4),
				DesiredSize:   ptr(2),
				DiskSizeGiB:   100,
			},
			Spot: NodeGroup{
				Enabled:       ptr(true),
				InstanceTypes: []string{"r5.xlarge", "r5a.xlarge", "r5d.xlarge", "r6i.xlarge", "r6a.xlarge", "r7i.xlarge"},
				MinSize:       ptr(0),
				MaxSize:       ptr(10),
				DesiredSize:   ptr(0),
				DiskSizeGiB:   100,
			},
		},
		DataLake: DataLake{GlueDatabase: "blueprint_lake"},
		Athena:   Athena{BytesScannedCutoffPerQuery: 10 << 30},
	}
}

func TestEmptyFileGivesDefaults(t *testing.T) {
	for _, in := range []string{"", "\n\n", "# only a comment\n", "---\n", "~\n", "{}\n"} {
		cfg, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if !cfg.Network.ZonesDefaulted() {
			t.Errorf("Parse(%q): default zones not marked as placeholders for up to resolve", in)
		}
		want := wantDefaults()
		// Platform defaults belong to the platform section; compare the rest field by field.
		want.Platform = cfg.Platform
		checkDefaults(t, cfg, want)
	}
}

func checkDefaults(t *testing.T, got, want *Config) {
	t.Helper()
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	var walk func(path string, g, w reflect.Value)
	walk = func(path string, g, w reflect.Value) {
		if g.Kind() == reflect.Struct {
			for i := range g.NumField() {
				if !g.Type().Field(i).IsExported() {
					continue // internal state, checked where it matters
				}
				walk(path+"."+g.Type().Field(i).Name, g.Field(i), w.Field(i))
			}
			return
		}
		if !reflect.DeepEqual(g.Interface(), w.Interface()) {
			t.Errorf("default %s = %v, want %v", path[1:], show(g), show(w))
		}
	}
	walk("", gv, wv)
}

func show(v reflect.Value) any {
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		return v.Elem().Interface()
	}
	return v.Interface()
}

func TestDerivedDefaults(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(*Config) bool
	}{
		{"glue database follows name", "name: etl-dev\n",
			func(c *Config) bool { return c.DataLake.GlueDatabase == "etl_dev_lake" }},
		{"zones follow region", "region: eu-west-1\n",
			func(c *Config) bool {
				return slices.Equal(c.Network.AvailabilityZones, []string{"eu-west-1a", "eu-west-1b"})
			}},
		{"zones follow azCount", "network:\n  azCount: 3\n",
			func(c *Config) bool {
				return slices.Equal(c.Network.AvailabilityZones, []string{"us-east-1a", "us-east-1b", "us-east-1c"})
			}},
		{"configured zones are not placeholders", "network:\n  availabilityZones: [us-east-1c, us-east-1d]\n",
			func(c *Config) bool { return !c.Network.ZonesDefaulted() }},
		{"azCount follows zones", "network:\n  availabilityZones: [us-east-1d, us-east-1f, us-east-1a]\n",
			func(c *Config) bool { return c.Network.AzCount == 3 }},
		{"spot max and desired follow a large min", "nodeGroups:\n  spot:\n    minSize: 12\n",
			func(c *Config) bool { return *c.NodeGroups.Spot.MaxSize == 12 && *c.NodeGroups.Spot.DesiredSize == 12 }},
		{"desired clamps to a small max", "nodeGroups:\n  onDemand:\n    maxSize: 1\n",
			func(c *Config) bool {
				return *c.NodeGroups.OnDemand.DesiredSize == 1 && *c.NodeGroups.OnDemand.MinSize == 1
			}},
		{"no public cidrs without a public endpoint", "cluster:\n  endpointPublicAccess: false\n",
			func(c *Config) bool {
				return !c.Cluster.PublicEndpoint() && len(c.Cluster.EndpointPublicAccessCidrs) == 0
			}},
		{"an empty endpoint list stays empty", "network:\n  interfaceEndpoints: []\n",
			func(c *Config) bool {
				return c.Network.InterfaceEndpoints != nil && len(c.Network.InterfaceEndpoints) == 0
			}},
		{"disabled spot stays disabled", "nodeGroups:\n  spot:\n    enabled: false\n",
			func(c *Config) bool { return !c.NodeGroups.Spot.IsEnabled() && c.NodeGroups.OnDemand.IsEnabled() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(cfg) {
				t.Errorf("unexpected defaults: %+v", cfg)
			}
		})
	}
}

func TestRegionOverrideAppliesBeforeDefaults(t *testing.T) {
	cfg, err := Parse([]byte("name: etl\n"), WithRegion("eu-central-1"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-central-1" || cfg.Network.AvailabilityZones[0] != "eu-central-1a" {
		t.Errorf("override not applied before defaults: region %s, zones %v", cfg.Region, cfg.Network.AvailabilityZones)
	}

	// Empty leaves the file alone.
	cfg, err = Parse([]byte("region: ap-south-1\n"), WithRegion(""))
	if err != nil || cfg.Region != "ap-south-1" {
		t.Errorf("WithRegion(\"\") changed the region: %v %v", cfg, err)
	}

	// Zones named in the file do not follow the override; that is reported.
	_, err = Parse([]byte("network:\n  availabilityZones: [us-east-1a, us-east-1b]\n"), WithRegion("eu-west-1"))
	if p, ok := findProblem(problemsOf(err), "network.availabilityZones[0]"); !ok || !strings.Contains(p, `region "eu-west-1"`) {
		t.Errorf("want a zone/region mismatch, got %v", err)
	}
}

func problemsOf(err error) []string {
	var v *ValidationError
	if errors.As(err, &v) {
		return v.Problems
	}
	return nil
}

func TestSetDefaultsIsIdempotent(t *testing.T) {
	inputs := []string{
		"",
		"name: etl-dev\nregion: eu-west-1\n",
		"network:\n  azCount: 3\n  natGateways: 3\n",
		"network:\n  availabilityZones: [us-east-1a, us-east-1c]\n",
		"cluster:\n  endpointPublicAccess: false\n",
		"nodeGroups:\n  spot:\n    minSize: 12\n  onDemand:\n    maxSize: 1\n",
		"nodeGroups:\n  spot:\n    enabled: false\n",
		"network:\n  interfaceEndpoints: []\n",
	}
	for _, in := range inputs {
		once, _, err := decode([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		twice, _, _ := decode([]byte(in))
		once.SetDefaults()
		twice.SetDefaults()
		twice.SetDefaults()
		if !reflect.DeepEqual(once, twice) {
			t.Errorf("SetDefaults twice differs from once for %q:\n once  %+v\n twice %+v", in, once, twice)
		}
		if err := twice.Validate(); err != nil {
			t.Errorf("%q: defaulted twice no longer valid: %v", in, err)
		}
	}
}

func TestValidConfigsPass(t *testing.T) {
	full := `
name: etl-prod
region: eu-west-1
account: "123456789012"
tags:
  team: data-platform
  cost-center: "4711"
network:
  vpcCidr: 172.20.0.0/20
  azCount: 3
  availabilityZones: [eu-west-1a, eu-west-1b, eu-west-1c]
  natGateways: 3
  interfaceEndpoints: [sts, ecr.api, ecr.dkr, logs, ssm, eks-auth]
cluster:
  version: "1.36"
  endpointPublicAccess: true
  endpointPublicAccessCidrs: [203.0.113.0/24, 198.51.100.17/32]
  adminRoleArn: arn:aws:iam::123456789012:role/platform/admins
  logTypes: [api, audit]
  logRetentionDays: 365
nodeGroups:
  onDemand:
    instanceTypes: [m7i.2xlarge, m6i.2xlarge]
    minSize: 2
    maxSize: 6
    desiredSize: 3
    diskSizeGiB: 200
  spot:
    enabled: true
    instanceTypes: [r6i.2xlarge, r6a.2xlarge, r7i.2xlarge, r5.2xlarge]
    minSize: 0
    maxSize: 40
    desiredSize: 0
    diskSizeGiB: 300
dataLake:
  existingBucket: acme.etl-prod.lake
  glueDatabase: acme_lake
athena:
  bytesScannedCutoffPerQuery: 10485760
`
	cfg, err := Parse([]byte(full))
	if err != nil {
		t.Fatalf("full config rejected: %v", err)
	}
	if cfg.Account != "123456789012" || cfg.Tags["cost-center"] != "4711" || cfg.Network.NatGateways != 3 ||
		*cfg.NodeGroups.Spot.MaxSize != 40 || cfg.DataLake.ExistingBucket != "acme.etl-prod.lake" ||
		cfg.Cluster.AdminRoleArn == "" || cfg.Athena.BytesScannedCutoffPerQuery != 10485760 {
		t.Errorf("full config decoded wrongly: %+v", cfg)
	}

	others := map[string]string{
		"private endpoint only":  "cluster:\n  endpointPublicAccess: false\n",
		"no spot":                "nodeGroups:\n  spot:\n    enabled: false\n    instanceTypes: [r5.xlarge]\n",
		"no interface endpoints": "network:\n  interfaceEndpoints: []\n",
		"unquoted version":       "cluster:\n  version: 1.34\n",
		"yaml 1.1 booleans":      "cluster:\n  endpointPublicAccess: yes\n",
		"govcloud":               "region: us-gov-west-1\n",
		"six zones":              "network:\n  azCount: 6\n  natGateways: 6\n",
		"anchors and merge keys": `
nodeGroups:
  onDemand: &big
    diskSizeGiB: 250
  spot:
    <<: *big
    minSize: 1
`,
	}
	for name, yml := range others {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(yml)); err != nil {
				t.Errorf("rejected: %v", err)
			}
		})
	}

	cfg, err = Parse([]byte(others["anchors and merge keys"]))
	if err == nil && cfg.NodeGroups.Spot.DiskSizeGiB != 250 {
		t.Errorf("merge key not applied: spot disk %d", cfg.NodeGroups.Spot.DiskSizeGiB)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()

	t.Run("missing default file gives defaults", func(t *testing.T) {
		cfg, err := Load(filepath.Join(dir, "blueprint.yaml"), false)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Name != "blueprint" {
			t.Errorf("name %q", cfg.Name)
		}
	})

	t.Run("missing explicit file is an error", func(t *testing.T) {
		_, err := Load(filepath.Join(dir, "nope.yaml"), true)
		if err == nil || IsValidation(err) || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("want a not-exist error, got %v", err)
		}
	})

	t.Run("problems are prefixed with the file", func(t *testing.T) {
		path := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(path, []byte("network:\n  azCount: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path, true)
		if !IsValidation(err) || !strings.HasPrefix(err.Error(), path+": invalid config: network.azCount:") {
			t.Errorf("got %v", err)
		}
	})

	t.Run("overrides apply", func(t *testing.T) {
		cfg, err := Load(filepath.Join(dir, "absent.yaml"), false, WithRegion("ap-northeast-1"))
		if err != nil || cfg.Network.AvailabilityZones[1] != "ap-northeast-1b" {
			t.Errorf("got %v, %v", cfg, err)
		}
	})
}

func TestSubnetMasksFitTheVPC(t *testing.T) {
	tests := []struct {
		cidr                 string
		azs, public, private int
	}{
		{"10.0.0.0/16", 2, 20, 18}, {"10.0.0.0/16", 3, 20, 18}, {"10.0.0.0/16", 4, 21, 19},
		{"10.0.0.0/16", 6, 21, 19}, {"10.0.0.0/22", 2, 26, 24}, {"10.0.0.0/24", 3, 28, 26},
	}
	for _, tc := range tests {
		n := Network{VpcCidr: tc.cidr, AzCount: tc.azs}
		pub, priv := n.SubnetMasks()
		if pub != tc.public || priv != tc.private {
			t.Errorf("%s over %d zones: /%d, /%d; want /%d, /%d", tc.cidr, tc.azs, pub, priv, tc.public, tc.private)
		}
		bits := netip.MustParsePrefix(tc.cidr).Bits()
		used := float64(tc.azs)/float64(int(1)<<(pub-bits)) + float64(tc.azs)/float64(int(1)<<(priv-bits))
		if used > 1 {
			t.Errorf("%s over %d zones uses %.2f of the VPC", tc.cidr, tc.azs, used)
		}
	}
}
