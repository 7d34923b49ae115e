// Package config holds blueprint's one typed configuration (blueprint.yaml):
// how it is loaded, defaulted and validated. Everything else receives a
// *Config that has already been through Load (or SetDefaults + Validate) and
// may trust it.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sqletl/blueprint/internal/textdist"
)

// DefaultFile is the config file looked for when --config is not given.
const DefaultFile = "blueprint.yaml"

// Config is the whole deployment description. Every field is optional; the
// documented defaults are filled in by SetDefaults.
type Config struct {
	// Name prefixes every stack and names the EKS cluster. Default "blueprint".
	Name string `yaml:"name" json:"name"`
	// Region is the AWS region. Default "us-east-1".
	Region string `yaml:"region" json:"region"`
	// Account pins the stacks to one AWS account (12 digits). Empty means the
	// account of the credentials used at deploy time (environment-agnostic).
	Account string `yaml:"account,omitempty" json:"account,omitempty"`
	// Tags are added to every resource that supports tags.
	Tags map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`

	Network    Network    `yaml:"network" json:"network"`
	Cluster    Cluster    `yaml:"cluster" json:"cluster"`
	NodeGroups NodeGroups `yaml:"nodeGroups" json:"nodeGroups"`
	DataLake   DataLake   `yaml:"dataLake" json:"dataLake"`
	Athena     Athena     `yaml:"athena" json:"athena"`
	Platform   Platform   `yaml:"platform" json:"platform"`
	CI         CI         `yaml:"ci" json:"ci"`
}

// Network describes the VPC.
type Network struct {
	// VpcCidr is the VPC's IPv4 range, /16 to /24. Default "10.0.0.0/16".
	VpcCidr string `yaml:"vpcCidr" json:"vpcCidr"`
	// AzCount is how many availability zones to span, 2 to 6 (EKS needs 2). Default 2.
	AzCount int `yaml:"azCount" json:"azCount"`
	// AvailabilityZones names the zones explicitly. Default: `up` asks the
	// account (DescribeAvailabilityZones: available zones that need no
	// opt-in, the first AzCount by name); offline synthesis uses
	// <region>a, <region>b, ... as placeholders.
	AvailabilityZones []string `yaml:"availabilityZones,omitempty" json:"availabilityZones,omitempty"`
	// NatGateways is 1 (cheap) up to AzCount (zone-redundant). Default 1.
	NatGateways int `yaml:"natGateways" json:"natGateways"`
	// InterfaceEndpoints are the VPC interface endpoints to create, by
	// service short name (e.g. "sts", "ecr.api"). Default: DefaultInterfaceEndpoints.
	InterfaceEndpoints []string `yaml:"interfaceEndpoints" json:"interfaceEndpoints"`

	// zonesDefaulted: AvailabilityZones were not configured; the names
	// SetDefaults filled in are placeholders for offline synthesis, and
	// `up` replaces them with the account's zones (platform.ResolveZones).
	zonesDefaulted bool
}

// ZonesDefaulted reports whether AvailabilityZones are SetDefaults'
// placeholders rather than the user's choice.
func (n Network) ZonesDefaulted() bool { return n.zonesDefaulted }

// WithZones returns a copy of c spanning zones (resolved from the account).
func (c *Config) WithZones(zones []string) *Config {
	out := *c
	out.Network.AvailabilityZones = append([]string(nil), zones...)
	out.Network.zonesDefaulted = false
	return &out
}

// Cluster describes the EKS control plane.
type Cluster struct {
	// Version is the Kubernetes minor version, one of SupportedKubernetesVersions. Default DefaultKubernetesVersion.
	Version string `yaml:"version" json:"version"`
	// EndpointPublicAccess turns the public API endpoint on. The private
	// endpoint is always on. Default true (the CLI installs Helm releases
	// from outside the VPC).
	EndpointPublicAccess *bool `yaml:"endpointPublicAccess" json:"endpointPublicAccess"`
	// EndpointPublicAccessCidrs limits the public endpoint. Default ["0.0.0.0/0"];
	// set it to your office or CI ranges.
	EndpointPublicAccessCidrs []string `yaml:"endpointPublicAccessCidrs" json:"endpointPublicAccessCidrs"`
	// AdminRoleArn is an IAM role that gets cluster-admin through an access
	// entry, in addition to the deploying principal. Optional.
	AdminRoleArn string `yaml:"adminRoleArn,omitempty" json:"adminRoleArn,omitempty"`
	// LogTypes are the control-plane log types sent to CloudWatch Logs.
	// Default: all five.
	LogTypes []string `yaml:"logTypes" json:"logTypes"`
	// LogRetentionDays for the control-plane log group. Default 30.
	LogRetentionDays int `yaml:"logRetentionDays" json:"logRetentionDays"`
	// KeepLogs keeps the platform's log groups (control plane, Container
	// Insights, VPC flow logs) when `down` deletes their stacks, as the data
	// lake is kept; `down --delete-data` deletes them. Default false.
	KeepLogs bool `yaml:"keepLogs" json:"keepLogs"`
}

// NodeGroups holds the two managed node groups.
type NodeGroups struct {
	// OnDemand runs system pods, Argo, JupyterHub and Spark drivers.
	OnDemand NodeGroup `yaml:"onDemand" json:"onDemand"`
	// Spot runs Spark executors.
	Spot NodeGroup `yaml:"spot" json:"spot"`
}

// NodeGroup sizes one managed node group.
type NodeGroup struct {
	// Enabled: the on-demand group is always on; the Spot group can be turned off.
	Enabled *bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// InstanceTypes, e.g. ["m6i.xlarge"]. Spot should list several of the same size.
	InstanceTypes []string `yaml:"instanceTypes" json:"instanceTypes"`
	MinSize       *int     `yaml:"minSize" json:"minSize"`
	MaxSize       *int     `yaml:"maxSize" json:"maxSize"`
	DesiredSize   *int     `yaml:"desiredSize" json:"desiredSize"`
	// DiskSizeGiB of each node's root volume. Default 100.
	DiskSizeGiB int `yaml:"diskSizeGiB" json:"diskSizeGiB"`
}

// DataLake describes where ETL output lives.
type DataLake struct {
	// ExistingBucket uses this bucket as the data lake instead of creating
	// one. The blueprint never deletes it.
	ExistingBucket string `yaml:"existingBucket,omitempty" json:"existingBucket,omitempty"`
	// GlueDatabase is the Glue catalog database name. Default: <name> with
	// '-' replaced by '_', suffixed "_lake".
	GlueDatabase string `yaml:"glueDatabase" json:"glueDatabase"`
}

// Athena describes the query workgroup.
type Athena struct {
	// BytesScannedCutoffPerQuery cancels queries that would scan more.
	// Minimum 10 MB (10485760). Default 10 GiB.
	BytesScannedCutoffPerQuery int64 `yaml:"bytesScannedCutoffPerQuery" json:"bytesScannedCutoffPerQuery"`
}

// IsEnabled reports whether the node group is created.
func (n NodeGroup) IsEnabled() bool { return n.Enabled == nil || *n.Enabled }

// PublicEndpoint reports whether the public API endpoint is on.
func (c Cluster) PublicEndpoint() bool {
	return c.EndpointPublicAccess == nil || *c.EndpointPublicAccess
}

// Override changes a decoded config before defaults are applied: the way
// command-line flags (--region) win over the file. Defaults that derive from
// an overridden field (the zone names from the region) then follow it.
type Override func(*Config)

// WithRegion overrides the region; empty leaves the file's value.
func WithRegion(region string) Override {
	return func(c *Config) {
		if region != "" {
			c.Region = region
		}
	}
}

// Load reads path, applies overrides, then defaults, and validates. A
// missing file at the default path is not an error (all fields are
// optional); a missing file that was named explicitly is.
func Load(path string, explicit bool, overrides ...Override) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) && !explicit {
			data = nil
		} else {
			return nil, fmt.Errorf("reading config: %w", err)
		}
	}
	cfg, err := Parse(data, overrides...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes YAML strictly (an unknown key or a value of the wrong type is
// an error naming its field path and line), applies overrides, defaults and
// validates. Every problem is reported at once in a *ValidationError.
func Parse(data []byte, overrides ...Override) (*Config, error) {
	cfg, decodeProblems, err := decode(data)
	if err != nil {
		return nil, err
	}
	for _, o := range overrides {
		o(cfg)
	}
	cfg.SetDefaults()
	problems := decodeProblems
	if err := cfg.Validate(); err != nil {
		var v *ValidationError
		if !errors.As(err, &v) {
			return nil, err
		}
		// A field that could not be decoded was left to its default; do not
		// also report what validation thinks of that default.
		for _, p := range v.Problems {
			if !relatedToAny(problemField(p), decodeProblems) {
				problems = append(problems, p)
			}
		}
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	return cfg, nil
}

// decode turns YAML into a Config. Syntax errors are returned as a
// *ValidationError (nothing else can be checked); unknown keys and values of
// the wrong shape come back as problems alongside a best-effort Config.
func decode(data []byte) (*Config, []string, error) {
	cfg := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) { // empty, or only comments
			return cfg, nil, nil
		}
		return nil, nil, &ValidationError{Problems: []string{syntaxProblem(err)}}
	}
	var problems []string
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		line := extra.Line
		if len(extra.Content) > 0 {
			line = extra.Content[0].Line
		}
		problems = append(problems, fmt.Sprintf("(file): a second YAML document begins near line %d; keep everything in one document (remove the \"---\")", line))
	} else if !errors.Is(err, io.EOF) {
		return nil, nil, &ValidationError{Problems: []string{syntaxProblem(err)}}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return cfg, problems, nil
	}
	w := &shapeChecker{lines: map[int]string{}}
	w.check(doc.Content[0], reflect.TypeOf(cfg).Elem(), "")
	problems = append(problems, w.problems...)
	if err := doc.Decode(cfg); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, nil, &ValidationError{Problems: []string{syntaxProblem(err)}}
		}
		// The shape check catches what the decoder would; report anything it
		// missed, by field path where the line tells us one.
		for _, msg := range te.Errors {
			line, rest := splitLine(msg)
			if w.reported[line] {
				continue
			}
			field := w.lines[line]
			if field == "" {
				field = "(file)"
			}
			problems = append(problems, fmt.Sprintf("%s: %s (line %d); check the value against `blueprint init` output", field, rest, line))
		}
	}
	return cfg, problems, nil
}

// shapeChecker walks the YAML tree alongside the Config type and reports,
// by field path and line, keys that are not fields and values of the wrong
// kind. It also records which field each line belongs to.
type shapeChecker struct {
	problems []string
	lines    map[int]string // line -> first field path on it
	reported map[int]bool   // lines that already have a problem
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func (w *shapeChecker) add(n *yaml.Node, field, format string, args ...any) {
	if field == "" {
		field = "(top level)"
	}
	w.problems = append(w.problems, field+": "+fmt.Sprintf(format, args...))
	if w.reported == nil {
		w.reported = map[int]bool{}
	}
	w.reported[n.Line] = true
}

func (w *shapeChecker) check(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if _, ok := w.lines[n.Line]; !ok && path != "" {
		w.lines[n.Line] = path
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if isNull(n) || reflect.PointerTo(t).Implements(unmarshalerType) || t.Kind() == reflect.Interface {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if !w.want(n, yaml.MappingNode, path, "write it as indented key: value lines") {
			return
		}
		fields := yamlFields(t)
		seen := map[string]int{}
		w.eachPair(n, func(key, val *yaml.Node) {
			if key.Value == "<<" { // merge key: the merged mappings are checked as this struct
				if val.Kind == yaml.SequenceNode {
					for _, m := range val.Content {
						w.check(m, t, path)
					}
				} else {
					w.check(val, t, path)
				}
				return
			}
			fp := join(path, key.Value)
			ft, ok := fields[key.Value]
			if !ok {
				w.add(key, fp, "unknown field (line %d); %s", key.Line, suggestField(key.Value, fields, path))
				return
			}
			if first, dup := seen[key.Value]; dup {
				w.add(key, fp, "is set twice (lines %d and %d); keep one", first, key.Line)
				return
			}
			seen[key.Value] = key.Line
			w.check(val, ft, fp)
		})
	case reflect.Map:
		if !w.want(n, yaml.MappingNode, path, "write it as indented key: value lines") {
			return
		}
		w.eachPair(n, func(key, val *yaml.Node) {
			w.check(val, t.Elem(), path+"."+key.Value)
		})
	case reflect.Slice, reflect.Array:
		if !w.want(n, yaml.SequenceNode, path, "write a list, e.g. [a, b] or one \"- item\" per line") {
			return
		}
		for i, item := range n.Content {
			w.check(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if !w.want(n, yaml.ScalarNode, path, "write a whole number") {
			return
		}
		if tag := n.ShortTag(); tag != "!!int" && !(tag == "!!float" && isWhole(n.Value)) {
			w.add(n, path, "%q is not a whole number (line %d); write digits without quotes, e.g. 2", n.Value, n.Line)
		}
	case reflect.Float32, reflect.Float64:
		if w.want(n, yaml.ScalarNode, path, "write a number") && n.ShortTag() != "!!int" && n.ShortTag() != "!!float" {
			w.add(n, path, "%q is not a number (line %d); write digits without quotes", n.Value, n.Line)
		}
	case reflect.Bool:
		if w.want(n, yaml.ScalarNode, path, "write true or false") && n.ShortTag() != "!!bool" && !isYAML11Bool(n) {
			w.add(n, path, "%q is not true or false (line %d); write true or false without quotes", n.Value, n.Line)
		}
	case reflect.String:
		w.want(n, yaml.ScalarNode, path, "write a single value (quote it if it contains ': ' or starts with [ or {)")
	}
}

// want reports a problem unless n is of the given kind.
func (w *shapeChecker) want(n *yaml.Node, kind yaml.Kind, path, fix string) bool {
	if n.Kind == kind {
		return true
	}
	w.add(n, path, "is %s (line %d); %s", describeNode(n), n.Line, fix)
	return false
}

func (w *shapeChecker) eachPair(n *yaml.Node, fn func(key, val *yaml.Node)) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i], n.Content[i+1])
	}
}

// yamlFields maps each yaml key of struct t to its field type, following
// ",inline" fields.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if slices.Contains(strings.Split(opts, ","), "inline") {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				maps.Copy(fields, yamlFields(ft))
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name) // the yaml package's default
		}
		fields[name] = f.Type
	}
	return fields
}

// suggestField says how to fix an unknown key: the field it most likely
// meant, else the fields allowed there.
func suggestField(key string, fields map[string]reflect.Type, path string) string {
	names := slices.Sorted(maps.Keys(fields))
	best, bestDist := "", 3
	for _, name := range names {
		if strings.EqualFold(name, key) {
			return fmt.Sprintf("did you mean %q? (keys are camelCase)", name)
		}
		if d := textdist.Distance(strings.ToLower(key), strings.ToLower(name)); d < bestDist {
			best, bestDist = name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	where := "here"
	if path == "" {
		where = "at the top level"
	} else {
		where = "under " + path
	}
	return fmt.Sprintf("remove it or use one of the fields allowed %s: %s", where, strings.Join(names, ", "))
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping of keys"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("the single value %q", n.Value)
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// isYAML11Bool mirrors the yaml package, which still accepts the YAML 1.1
// words (yes, no, on, off...) when decoding into a bool.
func isYAML11Bool(n *yaml.Node) bool {
	return n.Style == 0 && slices.Contains([]string{
		"y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "off", "Off", "OFF",
	}, n.Value)
}

func isWhole(s string) bool {
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f == math.Trunc(f)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// splitLine splits the yaml package's "line N: message".
func splitLine(msg string) (int, string) {
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		if _, rest, ok := strings.Cut(msg, ": "); ok {
			return line, rest
		}
	}
	return 0, msg
}

func syntaxProblem(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	return "(file): " + msg + "; fix the YAML syntax (indent with spaces, not tabs; quote values containing ': ')"
}

// problemField is the field path of a "field.path: message" problem.
func problemField(p string) string {
	f, _, _ := strings.Cut(p, ": ")
	return f
}

// relatedToAny reports whether field is, contains or is inside the field of
// one of problems.
func relatedToAny(field string, problems []string) bool {
	for _, p := range problems {
		other := problemField(p)
		if field == other || isUnder(field, other) || isUnder(other, field) {
			return true
		}
	}
	return false
}

func isUnder(field, parent string) bool {
	return strings.HasPrefix(field, parent+".") || strings.HasPrefix(field, parent+"[")
}
