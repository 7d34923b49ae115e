package critpath

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sqletl/blueprint/internal/assembly"
)

func tpl(t *testing.T, body string) assembly.Template {
	t.Helper()
	var out assembly.Template
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("template: %v", err)
	}
	return out
}

func TestReferences(t *testing.T) {
	tests := []struct {
		name, resource string
		want           []string
	}{
		{"Ref", `{"Type":"T","Properties":{"A":{"Ref":"Bucket"}}}`, []string{"Bucket"}},
		{"Ref to a parameter or pseudo parameter is dropped", `{"Type":"T","Properties":{"A":{"Ref":"Param"},"B":{"Ref":"AWS::Region"}}}`, []string{}},
		{"GetAtt list", `{"Type":"T","Properties":{"A":{"Fn::GetAtt":["Role","Arn"]}}}`, []string{"Role"}},
		{"GetAtt string", `{"Type":"T","Properties":{"A":{"Fn::GetAtt":"Role.Arn"}}}`, []string{"Role"}},
		{"Sub string", `{"Type":"T","Properties":{"A":{"Fn::Sub":"arn:${AWS::Partition}:s3:::${Bucket}/${Role.Arn}/${!Literal}"}}}`, []string{"Bucket", "Role"}},
		{"Sub with variables", `{"Type":"T","Properties":{"A":{"Fn::Sub":["${Issuer}:sub ${Key}",{"Issuer":{"Fn::GetAtt":["Cluster","OpenIdConnectIssuerUrl"]}}]}}}`, []string{"Cluster", "Key"}},
		{"DependsOn string", `{"Type":"T","DependsOn":"Logs"}`, []string{"Logs"}},
		{"DependsOn list, duplicates once", `{"Type":"T","DependsOn":["Logs","Role"],"Properties":{"A":{"Ref":"Role"}}}`, []string{"Logs", "Role"}},
		{"nested in lists and Join", `{"Type":"T","Properties":{"A":[{"Fn::Join":["",[{"Ref":"Key"},"x"]]}]}}`, []string{"Key"}},
		{"a map with other keys is not an intrinsic", `{"Type":"T","Properties":{"A":{"Ref":"Key","Other":1}}}`, []string{}},
	}
	template := tpl(t, `{"Parameters":{"Param":{}},"Resources":{"Bucket":{"Type":"AWS::S3::Bucket"},"Role":{"Type":"AWS::IAM::Role"},
		"Cluster":{"Type":"AWS::EKS::Cluster"},"Key":{"Type":"AWS::KMS::Key"},"Logs":{"Type":"AWS::Logs::LogGroup"}}}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r assembly.Resource
			if err := json.Unmarshal([]byte(tt.resource), &r); err != nil {
				t.Fatal(err)
			}
			got, err := References(template, r)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("References = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("DependsOn of the wrong shape is an error", func(t *testing.T) {
		if _, err := References(template, assembly.Resource{DependsOn: 3.0}); err == nil {
			t.Error("want an error")
		}
	})
}

// opts gives every test type a round duration and no stack overhead or
// in-cluster phase, so expected schedules are easy to read.
func opts() Options {
	m := time.Minute
	return Options{
		Durations: Table{
			"Slow":                            {Create: 10 * m, Delete: 4 * m},
			"Mid":                             {Create: 3 * m, Delete: 2 * m},
			"Fast":                            {Create: 1 * m, Delete: 1 * m},
			"AWS::EC2::VPCEndpoint/Interface": {Create: 2 * m, Delete: 2 * m},
			"AWS::EC2::VPCEndpoint/Gateway":   {Create: 5 * time.Second, Delete: 5 * time.Second},
		},
		StackOverhead:    &Duration{},
		Releases:         []Release{},
		LoadBalancerWait: -1,
		BucketEmptying:   -1,
	}
}

func stack(t *testing.T, name string, deps []string, body string) *assembly.Stack {
	return &assembly.Stack{ID: name, Name: name, DependsOn: deps, Template: tpl(t, body)}
}

func pathIDs(r *Result) []string {
	var out []string
	for _, s := range r.Path {
		if s.Type == TypeStackBegin || s.Type == TypeStackEnd {
			continue
		}
		out = append(out, s.Stack+"/"+s.LogicalID)
	}
	return out
}

func TestUpLongestPath(t *testing.T) {
	// A → (Slow) and A → B → C (Mid, Fast, Fast): the Slow branch wins.
	asm := &assembly.Assembly{Stacks: []*assembly.Stack{stack(t, "s", nil, `{"Resources":{
		"A":{"Type":"Fast"},
		"S":{"Type":"Slow","Properties":{"X":{"Fn::GetAtt":["A","Arn"]}}},
		"B":{"Type":"Mid","Properties":{"X":{"Ref":"A"}}},
		"C":{"Type":"Fast","DependsOn":"B"},
		"D":{"Type":"Fast","Properties":{"X":{"Fn::Sub":"${C.Arn}"}}}}}`)}}
	r, err := Up(asm, opts())
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != 11*time.Minute {
		t.Errorf("total = %v, want 11m", r.Total)
	}
	if got, want := pathIDs(r), []string{"s/A", "s/S"}; !reflect.DeepEqual(got, want) {
		t.Errorf("path = %v, want %v", got, want)
	}
	if got := r.Steps["s/D"]; got.Start != 5*time.Minute || got.Finish != 6*time.Minute {
		t.Errorf("D scheduled %v–%v, want 5m–6m (after A, B, C)", got.Start, got.Finish)
	}
}

func TestUpStackDependencies(t *testing.T) {
	o := opts()
	o.StackOverhead = &Duration{Create: 30 * time.Second}
	asm := &assembly.Assembly{Stacks: []*assembly.Stack{
		stack(t, "net", nil, `{"Resources":{"Vpc":{"Type":"Mid"},"Nat":{"Type":"Mid","Properties":{"V":{"Ref":"Vpc"}}}}}`),
		stack(t, "data", nil, `{"Resources":{"Key":{"Type":"Fast"}}}`),
		stack(t, "eks", []string{"net", "data"}, `{"Resources":{"Cluster":{"Type":"Slow"}}}`),
	}}
	r, err := Up(asm, o)
	if err != nil {
		t.Fatal(err)
	}
	// net: 0:30 + 3 + 3 = 6:30; data in parallel ends 1:30; eks 6:30 + 0:30 + 10.
	if r.Total != 17*time.Minute {
		t.Errorf("total = %v, want 17m", r.Total)
	}
	if got, want := pathIDs(r), []string{"net/Vpc", "net/Nat", "eks/Cluster"}; !reflect.DeepEqual(got, want) {
		t.Errorf("path = %v, want %v", got, want)
	}
	spans := map[string]StackSpan{}
	for _, s := range r.Stacks {
		spans[s.Name] = s
	}
	if spans["data"].Start != 0 || spans["net"].Start != 0 {
		t.Errorf("independent stacks should start together: %+v", r.Stacks)
	}
	if spans["eks"].Start != spans["net"].Finish {
		t.Errorf("eks starts %v, want when net finishes (%v)", spans["eks"].Start, spans["net"].Finish)
	}

	t.Run("releases follow every stack, in their order", func(t *testing.T) {
		o := o
		o.Releases = []Release{{Name: "a", Install: time.Minute}, {Name: "b", Install: 2 * time.Minute, After: []string{"a"}}}
		r, err := Up(asm, o)
		if err != nil {
			t.Fatal(err)
		}
		if r.Total != 20*time.Minute {
			t.Errorf("total = %v, want 20m", r.Total)
		}
		if got := r.Path[len(r.Path)-1]; got.Type != TypeHelmRelease || got.LogicalID != "b" {
			t.Errorf("last step = %+v, want release b", got)
		}
	})
	t.Run("merging net into eks lets the cluster start on its own references", func(t *testing.T) {
		o := o
		o.MergeStacks = []Merge{{From: "net", Into: "eks"}}
		r, err := Up(asm, o)
		if err != nil {
			t.Fatal(err)
		}
		// eks waits for data (1:30), +0:30, then Cluster 10m; Nat ends 1:30+0:30+6 earlier.
		if r.Total != 12*time.Minute {
			t.Errorf("total = %v, want 12m", r.Total)
		}
	})
}

func TestImportsBecomeEdges(t *testing.T) {
	asm := &assembly.Assembly{Stacks: []*assembly.Stack{
		stack(t, "net", nil, `{"Resources":{"Vpc":{"Type":"Fast"},"Subnet":{"Type":"Fast","Properties":{"V":{"Ref":"Vpc"}}},"Endpoint":{"Type":"Slow"}},
			"Outputs":{"X":{"Value":{"Ref":"Subnet"},"Export":{"Name":"net:Subnet"}}}}`),
		stack(t, "eks", []string{"net"}, `{"Resources":{"Cluster":{"Type":"Mid","Properties":{"S":{"Fn::ImportValue":"net:Subnet"}}}}}`),
	}}
	o := opts()
	whole, err := Up(asm, o)
	if err != nil {
		t.Fatal(err)
	}
	o.StackEdges = ExportsOnly
	bound, err := Up(asm, o)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Total != 13*time.Minute || bound.Total != 10*time.Minute {
		t.Errorf("totals = %v (whole stacks), %v (exports only); want 13m, 10m", whole.Total, bound.Total)
	}
	if got := bound.Steps["eks/Cluster"].Start; got != 2*time.Minute {
		t.Errorf("with exports only, Cluster starts %v, want 2m (after Vpc, Subnet)", got)
	}
	asm.Stacks[1].Template.Resources["Cluster"] = assembly.Resource{Type: "Mid", Properties: json.RawMessage(`{"S":{"Fn::ImportValue":"nope"}}`)}
	if _, err := Up(asm, o); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown import: err = %v", err)
	}
}

// TestMoveResources models resources built in another stack: the
// "before" of constructs/egress, whose endpoints were in the network stack.
func TestMoveResources(t *testing.T) {
	asm := &assembly.Assembly{Stacks: []*assembly.Stack{
		stack(t, "net", nil, `{"Resources":{"Vpc":{"Type":"Fast"}},"Outputs":{"X":{"Value":{"Ref":"Vpc"},"Export":{"Name":"net:Vpc"}}}}`),
		stack(t, "eks", []string{"net"}, `{"Resources":{
			"Endpoint":{"Type":"Mid","Properties":{"V":{"Fn::ImportValue":"net:Vpc"}}},
			"Cluster":{"Type":"Slow","Properties":{"V":{"Fn::ImportValue":"net:Vpc"}}},
			"Nodes":{"Type":"Fast","DependsOn":["Endpoint"],"Properties":{"C":{"Ref":"Cluster"}}}}}`),
	}}
	m := time.Minute
	moved := opts()
	moved.MoveResources = []Move{{IDs: []string{"eks/Endpoint"}, Into: "net"}}
	tests := []struct {
		name                string
		o                   Options
		up, down            time.Duration
		clusterAt, endpoint time.Duration // up: cluster start; down: endpoint start
	}{
		// The endpoint is built beside the cluster; deleted once the nodes are.
		{"where it is", opts(), 12 * m, 6 * m, 1 * m, 1 * m},
		// In net, the cluster waits for it; deleted after the whole eks stack.
		{"moved into net", moved, 15 * m, 8 * m, 4 * m, 5 * m},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up, err := Up(asm, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			down, err := Down(asm, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if up.Total != tc.up || down.Total != tc.down {
				t.Errorf("up %v down %v, want %v %v", up.Total, down.Total, tc.up, tc.down)
			}
			if got := up.Steps["eks/Cluster"].Start; got != tc.clusterAt {
				t.Errorf("up: cluster starts %v, want %v", got, tc.clusterAt)
			}
			if got := down.Steps["eks/Endpoint"].Start; got != tc.endpoint {
				t.Errorf("down: endpoint deleted from %v, want %v", got, tc.endpoint)
			}
		})
	}
	bad := opts()
	bad.MoveResources = []Move{{IDs: []string{"eks/Endpoint"}, Into: "nope"}}
	if _, err := Up(asm, bad); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("move into an unknown stack: err = %v", err)
	}
}

func TestCycleRejected(t *testing.T) {
	asm := &assembly.Assembly{Stacks: []*assembly.Stack{stack(t, "s", nil, `{"Resources":{
		"A":{"Type":"Fast","Properties":{"X":{"Ref":"B"}}},
		"B":{"Type":"Fast","DependsOn":["C"]},
		"C":{"Type":"Fast","Properties":{"X":{"Fn::Sub":"${A}"}}},
		"D":{"Type":"Fast"}}}`)}}
	for name, f := range map[string]func(*assembly.Assembly, Options) (*Result, error){"up": Up, "down": Down} {
		_, err := f(asm, opts())
		if err == nil {
			t.Fatalf("%s: want a cycle error", name)
		}
		for _, n := range []string{"s/A", "s/B", "s/C"} {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("%s: error %q does not name %s", name, err, n)
			}
		}
		if strings.Contains(err.Error(), "s/D") {
			t.Errorf("%s: error %q names s/D, which is not on the cycle", name, err)
		}
	}
}

func TestDown(t *testing.T) {
	asm := &assembly.Assembly{Stacks: []*assembly.Stack{
		stack(t, "net", nil, `{"Resources":{"Vpc":{"Type":"Fast"},"Nat":{"Type":"Mid","Properties":{"V":{"Ref":"Vpc"}}}}}`),
		stack(t, "data", nil, `{"Resources":{"Key":{"Type":"Slow","DeletionPolicy":"Retain"}}}`),
		stack(t, "eks", []string{"net", "data"}, `{"Resources":{"Role":{"Type":"Fast"},"Cluster":{"Type":"Slow","Properties":{"R":{"Ref":"Role"}}}}}`),
	}}
	asm.Stacks[1].TerminationProtection = true
	o := opts()
	o.Releases = []Release{{Name: "a", Uninstall: time.Minute}, {Name: "b", Uninstall: 30 * time.Second, After: []string{"a"}}}
	o.LoadBalancerWait = time.Minute
	r, err := Down(asm, o)
	if err != nil {
		t.Fatal(err)
	}
	// b, a (1:30), LB (2:30), eks: Cluster 4 then Role 1 (7:30), net: Nat 2 then Vpc 1 (10:30).
	if r.Total != 10*time.Minute+30*time.Second {
		t.Errorf("total = %v, want 10m30s", r.Total)
	}
	if got, want := pathIDs(r), []string{"in-cluster/b", "in-cluster/a", "in-cluster/load-balancers", "eks/Cluster", "eks/Role", "net/Nat", "net/Vpc"}; !reflect.DeepEqual(got, want) {
		t.Errorf("path = %v, want %v", got, want)
	}
	for _, s := range r.Stacks {
		if s.Name == "data" {
			t.Errorf("termination-protected stack modelled as deleted: %+v", s)
		}
	}
	o.DeleteData = true
	r, err = Down(asm, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Steps["data/Key"]; got.Finish != got.Start {
		t.Errorf("retained key takes %v, want 0", got.Finish-got.Start)
	}
	if got, eks := r.Steps["data/Key"].Start, r.Steps["eks/Role"].Finish; got < eks {
		t.Errorf("data deleted from %v, before eks is gone (%v)", got, eks)
	}
}

func TestEdits(t *testing.T) {
	asm := &assembly.Assembly{Stacks: []*assembly.Stack{stack(t, "s", nil, `{"Resources":{
		"A":{"Type":"Slow"},"B":{"Type":"Fast","DependsOn":"A"},"C":{"Type":"Mid"}}}`)}}
	o := opts()
	o.DropEdges = []Edge{{From: "s/B", To: "s/A"}}
	o.AddEdges = []Edge{{From: "s/B", To: "s/C"}}
	r, err := Up(asm, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Steps["s/B"].Start; got != 3*time.Minute {
		t.Errorf("B starts %v, want 3m (after C only)", got)
	}
	// Down turns them around: B (which no longer needs A, and needs C)
	// is deleted first, C after it; A at once.
	d, err := Down(asm, o)
	if err != nil {
		t.Fatal(err)
	}
	if a, c, b := d.Steps["s/A"], d.Steps["s/C"], d.Steps["s/B"]; a.Start != 0 || c.Start != b.Finish {
		t.Errorf("down: A starts %v (want 0), C starts %v (want after B, %v)", a.Start, c.Start, b.Finish)
	}
	o.DropEdges = []Edge{{From: "s/C", To: "s/A"}}
	if _, err := Up(asm, o); err == nil {
		t.Error("dropping a missing edge: want an error")
	}
}

func TestKindAndUnknown(t *testing.T) {
	asm := &assembly.Assembly{Stacks: []*assembly.Stack{stack(t, "s", nil, `{"Resources":{
		"I":{"Type":"AWS::EC2::VPCEndpoint","Properties":{"VpcEndpointType":"Interface"}},
		"G":{"Type":"AWS::EC2::VPCEndpoint"},
		"D":{"Type":"AWS::EKS::Addon","Properties":{"AddonName":"coredns"}},
		"O":{"Type":"AWS::EKS::Addon","Properties":{"AddonName":"other"}},
		"X":{"Type":"AWS::Nothing::Known"}}}`)}}
	o := opts()
	o.Durations["AWS::EKS::Addon/coredns"] = Duration{Create: 50 * time.Second}
	o.Durations["AWS::EKS::Addon"] = Duration{Create: 40 * time.Second}
	o.Unknown = &Duration{Create: 7 * time.Second}
	r, err := Up(asm, o)
	if err != nil {
		t.Fatal(err)
	}
	for nid, want := range map[string]time.Duration{"s/I": 2 * time.Minute, "s/G": 5 * time.Second, "s/X": 7 * time.Second,
		"s/D": 50 * time.Second, "s/O": 40 * time.Second} {
		if s := r.Steps[nid]; s.Finish-s.Start != want {
			t.Errorf("%s takes %v, want %v", nid, s.Finish-s.Start, want)
		}
	}
	if !reflect.DeepEqual(r.Unknown, []string{"AWS::Nothing::Known"}) {
		t.Errorf("unknown = %v", r.Unknown)
	}
}

func TestWithControlPlane(t *testing.T) {
	base := DefaultTable()
	got := base.WithControlPlane(3 * time.Minute)
	if got[TypeEKSCluster].Create != 3*time.Minute || got[TypeEKSCluster].Delete != base[TypeEKSCluster].Delete {
		t.Errorf("cluster = %+v", got[TypeEKSCluster])
	}
	if base[TypeEKSCluster].Create != DefaultControlPlane.Typical {
		t.Errorf("the table's control plane %v is not the typical %v (or WithControlPlane changed it)", base[TypeEKSCluster].Create, DefaultControlPlane.Typical)
	}
	cp := DefaultControlPlane
	if !(cp.Low <= cp.Typical && cp.Typical <= cp.High) {
		t.Errorf("control plane range out of order: %+v", cp)
	}
}

func TestTableWith(t *testing.T) {
	s := time.Second
	base := Table{
		"odd":      {Create: 50 * s, Delete: 7 * s, Samples: []time.Duration{50 * s, 10 * s, 20 * s}},
		"even":     {Create: 40 * s, Samples: []time.Duration{40 * s, 10 * s, 20 * s, 30 * s}},
		"estimate": {Create: 90 * s},
	}
	tests := []struct {
		pick           Pick
		odd, even, est time.Duration
	}{
		{Slowest, 50 * s, 40 * s, 90 * s},
		{Median, 20 * s, 25 * s, 90 * s},
		{Fastest, 10 * s, 10 * s, 90 * s},
	}
	for _, tt := range tests {
		t.Run(string(tt.pick), func(t *testing.T) {
			got := base.With(tt.pick)
			if got["odd"].Create != tt.odd || got["even"].Create != tt.even || got["estimate"].Create != tt.est {
				t.Errorf("odd %v even %v estimate %v", got["odd"].Create, got["even"].Create, got["estimate"].Create)
			}
			if got["odd"].Delete != 7*s {
				t.Errorf("delete changed: %v", got["odd"].Delete)
			}
		})
	}
	if base["odd"].Create != 50*s || base["odd"].Samples[1] != 10*s {
		t.Errorf("With changed its receiver: %+v", base["odd"])
	}
}

// TestDefaultTableIsTheSlowestSample keeps each measured figure equal to
// the slowest of the samples it cites, so the report's "slowest" row is
// the table and a recalibration updates both.
func TestDefaultTableIsTheSlowestSample(t *testing.T) {
	var measured int
	for k, d := range DefaultTable() {
		if len(d.Samples) == 0 {
			continue
		}
		measured++
		if want := slices.Max(d.Samples); d.Create != want {
			t.Errorf("%s: create %v, slowest sample %v", k, d.Create, want)
		}
		for _, v := range d.Samples {
			if !strings.Contains(d.Source, fmtTerraform(v)) {
				t.Errorf("%s: sample %v (%q) is not in its source %q", k, v, fmtTerraform(v), d.Source)
			}
		}
	}
	if measured == 0 {
		t.Fatal("no measured kinds")
	}
}

// fmtTerraform writes d as the logs do ("2m10s", "35s").
func fmtTerraform(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%dm%ds", int(d.Minutes()), int(d.Seconds())%60)
}

func TestLoadBalancerWaitFollowsTheAssembly(t *testing.T) {
	tests := []struct {
		name, outputs string
		want          time.Duration
	}{
		{"no load balancer controller: down's wait returns on its first poll", `{}`, 0},
		{"with the controller's IRSA role output", `{"LoadBalancerControllerRoleArn":{"Value":"x"}}`, DefaultLoadBalancerWait},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asm := &assembly.Assembly{Stacks: []*assembly.Stack{stack(t, "eks", nil,
				`{"Resources":{"Cluster":{"Type":"Fast"}},"Outputs":`+tt.outputs+`}`)}}
			o := opts()
			o.LoadBalancerWait = 0 // the default
			r, err := Down(asm, o)
			if err != nil {
				t.Fatal(err)
			}
			s, ok := r.Steps["in-cluster/load-balancers"]
			if got := s.Finish - s.Start; (tt.want == 0 && ok) || (tt.want > 0 && got != tt.want) {
				t.Errorf("load balancer wait: modelled %v (%v), want %v", ok, got, tt.want)
			}
		})
	}
}

// The applied cut that made the control plane role's policy inline is
// modelled, for its "before", as the policy resource CDK made: after the
// role on up, with the cluster waiting for it; on down after the cluster
// and before the role. Cuts finds the role from the cluster's RoleArn.
func TestSplitInlinePolicies(t *testing.T) {
	asm := &assembly.Assembly{Stacks: []*assembly.Stack{stack(t, "s", nil, `{"Resources":{
		"Role":{"Type":"AWS::IAM::Role","Properties":{"Policies":[{"PolicyName":"kms"}]}},
		"Cluster":{"Type":"AWS::EKS::Cluster","Properties":{"RoleArn":{"Fn::GetAtt":["Role","Arn"]}}}}}`)}}
	o := opts()
	o.Durations["AWS::IAM::Role"] = Duration{Create: time.Minute, Delete: time.Minute}
	o.Durations["AWS::IAM::Policy"] = Duration{Create: 30 * time.Second, Delete: 20 * time.Second}
	o.Durations[TypeEKSCluster] = Duration{Create: 10 * time.Minute, Delete: 5 * time.Minute}
	var split []string
	for _, c := range Cuts(asm) {
		if c.Name == "control plane role's KMS policy inline" {
			split = c.Options.SplitInlinePolicies
		}
	}
	if !slices.Equal(split, []string{"s/Role"}) {
		t.Fatalf("cut's roles = %v, want [s/Role]", split)
	}

	now, err := Up(asm, o)
	if err != nil {
		t.Fatal(err)
	}
	o.SplitInlinePolicies = split
	before, err := Up(asm, o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := before.Total-now.Total, 30*time.Second; got != want {
		t.Errorf("up: the policy resource adds %v, want %v", got, want)
	}
	if c := before.Steps["s/Cluster"]; c.Start != 90*time.Second {
		t.Errorf("up before: cluster starts %v, want 1m30s (role, then its policy)", c.Start)
	}
	down, err := Down(asm, o)
	if err != nil {
		t.Fatal(err)
	}
	p, c, r := down.Steps["s/RolePolicy"], down.Steps["s/Cluster"], down.Steps["s/Role"]
	if p.Start != c.Finish || r.Start != p.Finish {
		t.Errorf("down before: cluster ends %v, policy %v–%v, role starts %v", c.Finish, p.Start, p.Finish, r.Start)
	}
}
