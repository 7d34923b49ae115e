// Package critpath models the wall time of `blueprint up` and `down` from a
// synthesized cloud assembly: a graph of every resource (stack-qualified
// logical ID) with typical CloudFormation durations per resource type
// (durations.go), edges from stack dependencies and from Ref, Fn::GetAtt,
// Fn::Sub and DependsOn inside each template, plus the Helm phase. The
// model's total is the graph's longest path; the path itself says which
// resources chain to it, which is where cuts pay off.
//
// The model mirrors blueprint's deployer: independent stacks deploy in
// parallel as soon as their dependencies complete, and CloudFormation
// creates a template's resources as soon as the resources they reference
// exist. It is a model, not a measurement: the figures are typical values
// with cited sources, so compare totals as before/after ratios.
package critpath

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sqletl/blueprint/internal/assembly"
)

// Pseudo resource types of nodes that are not template resources.
const (
	TypeStackBegin   = "CloudFormation::Stack(begin)"
	TypeStackEnd     = "CloudFormation::Stack(complete)"
	TypeHelmRelease  = "Helm::Release"
	TypeLoadBalancer = "blueprint::LoadBalancerWait"
	TypeEmptyBuckets = "blueprint::EmptyBuckets"
)

// PhaseStack names the pseudo stack of the in-cluster (Helm) phase.
const PhaseStack = "in-cluster"

// StackEdges says what a resource waits for in the stacks its stack
// depends on.
type StackEdges int

const (
	// WholeStacks: a stack starts once every stack it depends on is
	// complete. This is what blueprint's deployer and CloudFormation do.
	WholeStacks StackEdges = iota
	// ExportsOnly: a resource waits only for the resources whose exports
	// it imports. No deployer does this; it is the bound of what splitting
	// or merging stacks could gain.
	ExportsOnly
)

// Options are the model's parameters; zero fields take the defaults.
type Options struct {
	Durations     Table
	Unknown       *Duration
	StackOverhead *Duration
	// Releases of the in-cluster phase; nil takes DefaultReleases, an
	// empty non-nil slice models none.
	Releases []Release
	// LoadBalancerWait and BucketEmptying are down's steps before the
	// stacks are deleted; negative means none. A zero LoadBalancerWait is
	// DefaultLoadBalancerWait when the assembly has the load balancer
	// controller (its IRSA role output, which exists only with public
	// access) and none otherwise: without it nothing in the cluster makes
	// a load balancer, and down's wait returns on its first poll.
	LoadBalancerWait, BucketEmptying time.Duration
	StackEdges                       StackEdges
	// DeleteData also deletes termination-protected stacks on down (as
	// `down --delete-data`); otherwise they are kept and not modelled.
	DeleteData bool
	// AddEdges adds dependencies ("stack/LogicalID" → needs
	// "stack/LogicalID") and DropEdges removes them, for what-if models
	// of a construct change. Stacks are named by CloudFormation name.
	AddEdges, DropEdges []Edge
	// MergeStacks models moving every resource of one stack into another
	// (cross-stack imports between them become resource dependencies).
	MergeStacks []Merge
	// MoveResources models resources ("stack/LogicalID") built in another
	// stack: each waits for that stack's begin and holds back its
	// completion, and its imports from that stack become resource
	// dependencies; its references keep their edges.
	MoveResources []Move
	// SplitInlinePolicies models roles ("stack/LogicalID") whose inline
	// policies were a policy resource of their own, as CDK's DefaultPolicy
	// is: created after the role, and waited for by what needed the role;
	// deleted after those and before the role.
	SplitInlinePolicies []string
}

// Merge moves stack From's resources into stack Into.
type Merge struct{ From, Into string }

// Move puts the resources IDs ("stack/LogicalID") in stack Into.
type Move struct {
	IDs  []string
	Into string
}

// Edge is one dependency: From needs To first.
type Edge struct{ From, To string }

func (o Options) withDefaults() Options {
	if o.Durations == nil {
		o.Durations = DefaultTable()
	}
	if o.Unknown == nil {
		d := DefaultUnknown
		o.Unknown = &d
	}
	if o.StackOverhead == nil {
		d := DefaultStackOverhead
		o.StackOverhead = &d
	}
	if o.Releases == nil {
		o.Releases = DefaultReleases()
	}
	if o.BucketEmptying == 0 {
		o.BucketEmptying = DefaultBucketEmptying
	}
	return o
}

// Node is one unit of work in the graph.
type Node struct {
	ID               string // "stack/LogicalID"
	Stack, LogicalID string
	Type             string
	Duration         time.Duration
	// Retained resources are left in place on delete (DeletionPolicy
	// Retain) and take no time.
	Retained bool
	// Unknown is true when the type was not in the table.
	Unknown bool
	Deps    []string
}

// Graph is the model's dependency graph.
type Graph struct {
	Direction string // "up" or "down"
	Nodes     map[string]*Node
}

// Step is one node of a schedule.
type Step struct {
	Stack     string        `json:"stack"`
	LogicalID string        `json:"logicalId"`
	Type      string        `json:"type"`
	Start     time.Duration `json:"start"`
	Finish    time.Duration `json:"finish"`
}

// StackSpan is when a stack (or the in-cluster phase) starts and finishes.
type StackSpan struct {
	Name   string        `json:"name"`
	Start  time.Duration `json:"start"`
	Finish time.Duration `json:"finish"`
}

// Result is a scheduled graph.
type Result struct {
	Direction string        `json:"direction"`
	Total     time.Duration `json:"total"`
	// Path is the critical path, first step first.
	Path []Step `json:"criticalPath"`
	// Stacks in order of finish.
	Stacks []StackSpan `json:"stacks"`
	// Nodes and Edges count the graph; Unknown lists types without a
	// table entry (they took the default).
	Nodes   int      `json:"nodes"`
	Edges   int      `json:"edges"`
	Unknown []string `json:"unknownTypes,omitempty"`
	// Steps has every node's schedule, by ID.
	Steps map[string]Step `json:"-"`
}

// Up models `blueprint up` for asm.
func Up(asm *assembly.Assembly, opts Options) (*Result, error) {
	g, err := BuildUp(asm, opts)
	if err != nil {
		return nil, err
	}
	return g.Schedule()
}

// Down models `blueprint down` for asm.
func Down(asm *assembly.Assembly, opts Options) (*Result, error) {
	g, err := BuildDown(asm, opts)
	if err != nil {
		return nil, err
	}
	return g.Schedule()
}

func id(stack, logical string) string { return stack + "/" + logical }

const (
	beginID = "(begin)"
	endID   = "(complete)"
)

// stackDeps returns, per stack name, the names of the stacks it depends on.
func stackDeps(asm *assembly.Assembly) (map[string][]string, error) {
	byID := map[string]string{}
	for _, s := range asm.Stacks {
		byID[s.ID] = s.Name
	}
	out := map[string][]string{}
	for _, s := range asm.Stacks {
		for _, d := range s.DependsOn {
			n, ok := byID[d]
			if !ok {
				return nil, fmt.Errorf("stack %s depends on unknown stack %s", s.Name, d)
			}
			out[s.Name] = append(out[s.Name], n)
		}
	}
	return out, nil
}

// layout is the assembly seen through the options: which stacks exist
// (after merges), what they depend on, and each resource's dependencies
// inside its stack.
type layout struct {
	stacks []string            // effective stacks, in assembly order
	deps   map[string][]string // effective stack → effective stacks it needs
	res    []resource
	// protected effective stacks (termination protection on any part).
	protected map[string]bool
}

type resource struct {
	id, stack, lid string // stack is the effective stack
	r              assembly.Resource
	deps           []string // node IDs of resources needed first
}

func newLayout(asm *assembly.Assembly, o Options) (*layout, error) {
	eff := map[string]string{}
	for _, s := range asm.Stacks {
		eff[s.Name] = s.Name
	}
	for _, m := range o.MergeStacks {
		if _, ok := eff[m.From]; !ok {
			return nil, fmt.Errorf("merge: no stack %q", m.From)
		}
		if _, ok := eff[m.Into]; !ok {
			return nil, fmt.Errorf("merge: no stack %q", m.Into)
		}
		for n, e := range eff {
			if e == m.From {
				eff[n] = eff[m.Into]
			}
		}
	}
	// moved: resource ID → the stack it is modelled in (before merges).
	moved := map[string]string{}
	for _, m := range o.MoveResources {
		if _, ok := eff[m.Into]; !ok {
			return nil, fmt.Errorf("move: no stack %q", m.Into)
		}
		for _, rid := range m.IDs {
			moved[rid] = m.Into
		}
	}
	stackOf := func(rid string) string {
		if s, ok := moved[rid]; ok {
			return eff[s]
		}
		return eff[strings.SplitN(rid, "/", 2)[0]]
	}
	sdeps, err := stackDeps(asm)
	if err != nil {
		return nil, err
	}
	exports, err := exportOwners(asm)
	if err != nil {
		return nil, err
	}
	l := &layout{deps: map[string][]string{}, protected: map[string]bool{}}
	seen := map[string]bool{}
	for _, s := range asm.Stacks {
		e := eff[s.Name]
		if !seen[e] {
			seen[e] = true
			l.stacks = append(l.stacks, e)
		}
		if s.TerminationProtection {
			l.protected[e] = true
		}
		if o.StackEdges == WholeStacks {
			for _, d := range sdeps[s.Name] {
				if ed := eff[d]; ed != e && !slices.Contains(l.deps[e], ed) {
					l.deps[e] = append(l.deps[e], ed)
				}
			}
		}
		lids := make([]string, 0, len(s.Template.Resources))
		for lid := range s.Template.Resources {
			lids = append(lids, lid)
		}
		sort.Strings(lids)
		for _, lid := range lids {
			r := s.Template.Resources[lid]
			refs, err := References(s.Template, r)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", s.Name, lid, err)
			}
			rn := resource{id: id(s.Name, lid), stack: stackOf(id(s.Name, lid)), lid: lid, r: r}
			for _, ref := range refs {
				rn.deps = append(rn.deps, id(s.Name, ref))
			}
			names, err := imports(r)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", s.Name, lid, err)
			}
			for _, name := range names {
				owners, ok := exports[name]
				if !ok {
					return nil, fmt.Errorf("%s/%s imports %q, which no stack exports", s.Name, lid, name)
				}
				for _, ow := range owners {
					// Within one (merged) stack, or when stack boundaries
					// are ignored, an import is a resource dependency.
					if o.StackEdges == ExportsOnly || stackOf(ow) == rn.stack {
						rn.deps = append(rn.deps, ow)
					}
				}
			}
			l.res = append(l.res, rn)
		}
	}
	return l, nil
}

// BuildUp returns the graph of up: per stack a begin node (stack overhead)
// after the stacks it depends on, its resources after begin and after the
// resources they reference, an end node after all of them; then the Helm
// releases after every stack.
func BuildUp(asm *assembly.Assembly, opts Options) (*Graph, error) {
	o := opts.withDefaults()
	l, err := newLayout(asm, o)
	if err != nil {
		return nil, err
	}
	g := &Graph{Direction: "up", Nodes: map[string]*Node{}}
	var ends []string
	for _, s := range l.stacks {
		begin := &Node{ID: id(s, beginID), Stack: s, LogicalID: beginID, Type: TypeStackBegin, Duration: o.StackOverhead.Create}
		for _, d := range l.deps[s] {
			begin.Deps = append(begin.Deps, id(d, endID))
		}
		g.Nodes[begin.ID] = begin
		end := &Node{ID: id(s, endID), Stack: s, LogicalID: endID, Type: TypeStackEnd}
		g.Nodes[end.ID] = end
		ends = append(ends, end.ID)
	}
	for _, rn := range l.res {
		d, known := o.Durations.lookup(rn.r, *o.Unknown)
		n := &Node{ID: rn.id, Stack: rn.stack, LogicalID: rn.lid, Type: rn.r.Type, Duration: d.Create, Unknown: !known,
			Deps: append([]string{id(rn.stack, beginID)}, rn.deps...)}
		g.Nodes[n.ID] = n
		end := g.Nodes[id(rn.stack, endID)]
		end.Deps = append(end.Deps, n.ID)
	}
	if err := g.addReleases(o.Releases, ends, true); err != nil {
		return nil, err
	}
	return g, g.edit(o)
}

// BuildDown returns the graph of down: the Helm releases uninstalled in
// reverse order, the load balancer wait and the bucket emptying first; then
// each stack, once every stack depending on it is deleted, deletes its
// resources in reverse reference order, retained ones taking no time.
// Termination-protected stacks are kept unless DeleteData.
func BuildDown(asm *assembly.Assembly, opts Options) (*Graph, error) {
	o := opts.withDefaults()
	l, err := newLayout(asm, o)
	if err != nil {
		return nil, err
	}
	g := &Graph{Direction: "down", Nodes: map[string]*Node{}}
	if o.LoadBalancerWait == 0 && hasLoadBalancerController(asm) {
		o.LoadBalancerWait = DefaultLoadBalancerWait
	}
	deleted := map[string]bool{}
	for _, s := range l.stacks {
		deleted[s] = !l.protected[s] || o.DeleteData
	}
	// Reverse the stack graph over the deleted stacks.
	dependents := map[string][]string{}
	for _, n := range l.stacks {
		for _, d := range l.deps[n] {
			if deleted[n] && deleted[d] {
				dependents[d] = append(dependents[d], n)
			}
		}
	}

	if err := g.addReleases(o.Releases, nil, false); err != nil {
		return nil, err
	}
	var preludeDeps []string
	for _, r := range o.Releases {
		preludeDeps = append(preludeDeps, id(PhaseStack, r.Name))
	}
	if o.LoadBalancerWait > 0 {
		n := &Node{ID: id(PhaseStack, "load-balancers"), Stack: PhaseStack, LogicalID: "load-balancers", Type: TypeLoadBalancer,
			Duration: o.LoadBalancerWait, Deps: preludeDeps}
		g.Nodes[n.ID] = n
		preludeDeps = []string{n.ID}
	}
	if o.BucketEmptying > 0 {
		n := &Node{ID: id(PhaseStack, "empty-buckets"), Stack: PhaseStack, LogicalID: "empty-buckets", Type: TypeEmptyBuckets,
			Duration: o.BucketEmptying, Deps: preludeDeps}
		g.Nodes[n.ID] = n
		preludeDeps = []string{n.ID}
	}

	for _, s := range l.stacks {
		if !deleted[s] {
			continue
		}
		begin := &Node{ID: id(s, beginID), Stack: s, LogicalID: beginID, Type: TypeStackBegin, Duration: o.StackOverhead.Delete}
		begin.Deps = append(begin.Deps, preludeDeps...)
		for _, d := range dependents[s] {
			begin.Deps = append(begin.Deps, id(d, endID))
		}
		g.Nodes[begin.ID] = begin
		g.Nodes[id(s, endID)] = &Node{ID: id(s, endID), Stack: s, LogicalID: endID, Type: TypeStackEnd}
	}
	// A resource is deleted after every resource referencing it.
	referencedBy := map[string][]string{}
	stackOf := map[string]string{}
	for _, rn := range l.res {
		stackOf[rn.id] = rn.stack
		for _, d := range rn.deps {
			referencedBy[d] = append(referencedBy[d], rn.id)
		}
	}
	for _, rn := range l.res {
		if !deleted[rn.stack] {
			continue
		}
		d, known := o.Durations.lookup(rn.r, *o.Unknown)
		n := &Node{ID: rn.id, Stack: rn.stack, LogicalID: rn.lid, Type: rn.r.Type, Duration: d.Delete, Unknown: !known,
			Deps: []string{id(rn.stack, beginID)}}
		if rn.r.DeletionPolicy == "Retain" || rn.r.DeletionPolicy == "RetainExceptOnCreate" {
			n.Retained, n.Duration = true, 0
		}
		for _, by := range referencedBy[rn.id] {
			// Resources of kept stacks stay; with ExportsOnly an importer in
			// another deleted stack is deleted first.
			if deleted[stackOf[by]] {
				n.Deps = append(n.Deps, by)
			}
		}
		g.Nodes[n.ID] = n
		end := g.Nodes[id(rn.stack, endID)]
		end.Deps = append(end.Deps, n.ID)
	}
	return g, g.edit(o.forDown())
}

// hasLoadBalancerController reports whether a stack outputs the load
// balancer controller's IRSA role (stackreg.OutputLBCRole).
func hasLoadBalancerController(asm *assembly.Assembly) bool {
	for _, s := range asm.Stacks {
		if _, ok := s.Template.Outputs[outputLBCRole]; ok {
			return true
		}
	}
	return false
}

// outputLBCRole is stackreg.OutputLBCRole (critpath reads templates only
// and imports no registry).
const outputLBCRole = "LoadBalancerControllerRoleArn"

// forDown turns the what-if edges around for down: up's "A needs B first"
// is down's "B is deleted after A", as CloudFormation deletes in reverse
// dependency order. Edges of the in-cluster phase describe up's steps
// only and are left out.
func (o Options) forDown() Options {
	rev := func(es []Edge) []Edge {
		var out []Edge
		for _, e := range es {
			if strings.HasPrefix(e.From, PhaseStack+"/") || strings.HasPrefix(e.To, PhaseStack+"/") {
				continue
			}
			out = append(out, Edge{From: e.To, To: e.From})
		}
		return out
	}
	o.AddEdges, o.DropEdges = rev(o.AddEdges), rev(o.DropEdges)
	return o
}

// addReleases adds the Helm releases: on up after deps (the stacks) and
// each after its After list; on down uninstalled in reverse: a release
// after those that were installed after it.
func (g *Graph) addReleases(rs []Release, deps []string, install bool) error {
	names := map[string]bool{}
	for _, r := range rs {
		if names[r.Name] {
			return fmt.Errorf("release %q listed twice", r.Name)
		}
		names[r.Name] = true
	}
	for _, r := range rs {
		n := &Node{ID: id(PhaseStack, r.Name), Stack: PhaseStack, LogicalID: r.Name, Type: TypeHelmRelease}
		if install {
			n.Duration = r.Install
			n.Deps = append(n.Deps, deps...)
			for _, a := range r.After {
				if !names[a] {
					return fmt.Errorf("release %q is after unknown release %q", r.Name, a)
				}
				n.Deps = append(n.Deps, id(PhaseStack, a))
			}
		} else {
			n.Duration = r.Uninstall
			for _, other := range rs {
				for _, a := range other.After {
					if a == r.Name {
						n.Deps = append(n.Deps, id(PhaseStack, other.Name))
					}
				}
			}
		}
		g.Nodes[n.ID] = n
	}
	return nil
}

// edit applies the what-if edges.
func (g *Graph) edit(o Options) error {
	for _, e := range o.DropEdges {
		n, ok := g.Nodes[e.From]
		if !ok {
			return fmt.Errorf("drop edge: no node %q", e.From)
		}
		kept := n.Deps[:0]
		found := false
		for _, d := range n.Deps {
			if d == e.To {
				found = true
				continue
			}
			kept = append(kept, d)
		}
		if !found {
			return fmt.Errorf("drop edge: %q does not depend on %q", e.From, e.To)
		}
		n.Deps = kept
	}
	for _, e := range o.AddEdges {
		n, ok := g.Nodes[e.From]
		if !ok {
			return fmt.Errorf("add edge: no node %q", e.From)
		}
		if _, ok := g.Nodes[e.To]; !ok {
			return fmt.Errorf("add edge: no node %q", e.To)
		}
		n.Deps = append(n.Deps, e.To)
	}
	for _, role := range o.SplitInlinePolicies {
		r, ok := g.Nodes[role]
		if !ok {
			return fmt.Errorf("split inline policies: no node %q", role)
		}
		pol, _ := o.Durations.lookup(assembly.Resource{Type: "AWS::IAM::Policy"}, *o.Unknown)
		p := &Node{ID: role + "Policy", Stack: r.Stack, LogicalID: r.LogicalID + "Policy", Type: "AWS::IAM::Policy"}
		end := id(r.Stack, endID)
		if g.Direction == "up" {
			p.Duration, p.Deps = pol.Create, []string{role}
			for _, n := range g.Nodes {
				if n.ID != end && slices.Contains(n.Deps, role) {
					n.Deps = append(n.Deps, p.ID)
				}
			}
		} else {
			p.Duration, p.Deps = pol.Delete, slices.Clone(r.Deps)
			r.Deps = append(r.Deps, p.ID)
		}
		g.Nodes[p.ID] = p
		if e, ok := g.Nodes[end]; ok {
			e.Deps = append(e.Deps, p.ID)
		}
	}
	return nil
}

// exportOwners maps each export name to the resources its output's value
// references, as node IDs.
func exportOwners(asm *assembly.Assembly) (map[string][]string, error) {
	out := map[string][]string{}
	for _, s := range asm.Stacks {
		for key, raw := range s.Template.Outputs {
			var o struct {
				Value  any `json:"Value"`
				Export *struct {
					Name any `json:"Name"`
				} `json:"Export"`
			}
			if err := json.Unmarshal(raw, &o); err != nil {
				return nil, fmt.Errorf("%s output %s: %w", s.Name, key, err)
			}
			if o.Export == nil {
				continue
			}
			name, ok := o.Export.Name.(string)
			if !ok {
				continue // a computed export name; the CDK writes literals
			}
			var owners []string
			walkRefs(o.Value, func(ref string) {
				if _, ok := s.Template.Resources[ref]; ok {
					owners = append(owners, id(s.Name, ref))
				}
			})
			if len(owners) == 0 {
				owners = []string{id(s.Name, beginID)} // a constant or pseudo parameter
			}
			out[name] = owners
		}
	}
	return out, nil
}

// Schedule computes every node's earliest start and finish (each node
// starts when its last dependency finishes) and the critical path. A
// dependency cycle is an error naming the nodes on it.
func (g *Graph) Schedule() (*Result, error) {
	ids := make([]string, 0, len(g.Nodes))
	indegree := map[string]int{}
	users := map[string][]string{}
	edges := 0
	for nid, n := range g.Nodes {
		ids = append(ids, nid)
		seen := map[string]bool{}
		for _, d := range n.Deps {
			if _, ok := g.Nodes[d]; !ok {
				return nil, fmt.Errorf("%s depends on unknown %s", nid, d)
			}
			if seen[d] {
				continue
			}
			seen[d] = true
			indegree[nid]++
			users[d] = append(users[d], nid)
			edges++
		}
	}
	sort.Strings(ids)
	var ready []string
	for _, nid := range ids {
		if indegree[nid] == 0 {
			ready = append(ready, nid)
		}
	}
	start := map[string]time.Duration{}
	finish := map[string]time.Duration{}
	done := 0
	for len(ready) > 0 {
		nid := ready[0]
		ready = ready[1:]
		done++
		n := g.Nodes[nid]
		var s time.Duration
		for _, d := range n.Deps {
			if finish[d] > s {
				s = finish[d]
			}
		}
		start[nid], finish[nid] = s, s+n.Duration
		for _, u := range users[nid] {
			indegree[u]--
			if indegree[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if done != len(ids) {
		return nil, fmt.Errorf("dependency cycle among: %s", strings.Join(g.cycle(indegree), " → "))
	}

	res := &Result{Direction: g.Direction, Nodes: len(ids), Edges: edges, Steps: map[string]Step{}}
	unknown := map[string]bool{}
	last := ""
	for _, nid := range ids {
		n := g.Nodes[nid]
		res.Steps[nid] = Step{Stack: n.Stack, LogicalID: n.LogicalID, Type: n.Type, Start: start[nid], Finish: finish[nid]}
		if n.Unknown {
			unknown[n.Type] = true
		}
		if last == "" || finish[nid] > finish[last] {
			last = nid
		}
	}
	for t := range unknown {
		res.Unknown = append(res.Unknown, t)
	}
	sort.Strings(res.Unknown)
	if last == "" {
		return res, nil
	}
	res.Total = finish[last]
	// Walk back along the dependency that finished last (ties: by ID).
	for cur := last; cur != ""; {
		n := g.Nodes[cur]
		if n.Duration > 0 || n.Type == TypeStackEnd || len(res.Path) == 0 {
			res.Path = append(res.Path, res.Steps[cur])
		}
		next := ""
		deps := append([]string(nil), n.Deps...)
		sort.Strings(deps)
		for _, d := range deps {
			if next == "" || finish[d] > finish[next] {
				next = d
			}
		}
		cur = next
	}
	for i, j := 0, len(res.Path)-1; i < j; i, j = i+1, j-1 {
		res.Path[i], res.Path[j] = res.Path[j], res.Path[i]
	}
	res.Stacks = spans(res.Steps)
	return res, nil
}

// spans groups node schedules by stack.
func spans(steps map[string]Step) []StackSpan {
	by := map[string]*StackSpan{}
	for _, s := range steps {
		sp, ok := by[s.Stack]
		if !ok {
			sp = &StackSpan{Name: s.Stack, Start: s.Start, Finish: s.Finish}
			by[s.Stack] = sp
		}
		sp.Start = min(sp.Start, s.Start)
		sp.Finish = max(sp.Finish, s.Finish)
	}
	out := make([]StackSpan, 0, len(by))
	for _, sp := range by {
		out = append(out, *sp)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Finish != out[j].Finish {
			return out[i].Finish < out[j].Finish
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// cycle returns one cycle among the nodes left with unmet dependencies.
func (g *Graph) cycle(indegree map[string]int) []string {
	var left []string
	for nid, d := range indegree {
		if d > 0 {
			left = append(left, nid)
		}
	}
	sort.Strings(left)
	inLeft := map[string]bool{}
	for _, n := range left {
		inLeft[n] = true
	}
	// Follow unmet dependencies from the first node until one repeats.
	pos := map[string]int{}
	var path []string
	for cur := left[0]; ; {
		if i, ok := pos[cur]; ok {
			return append(path[i:], cur)
		}
		pos[cur] = len(path)
		path = append(path, cur)
		next := ""
		deps := append([]string(nil), g.Nodes[cur].Deps...)
		sort.Strings(deps)
		for _, d := range deps {
			if inLeft[d] {
				next = d
				break
			}
		}
		if next == "" {
			return path
		}
		cur = next
	}
}
