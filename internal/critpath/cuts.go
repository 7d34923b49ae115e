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

// Status says what became of a cut.
type Status string

const (
	// Applied: the code does it; the scenario models the code before it,
	// so the cut's "before" is the scenario and its "after" the baseline.
	Applied Status = "applied"
	// NotApplied: a change the code could make; the scenario models it.
	NotApplied Status = "not applied"
	// Rejected: a change the model likes that would be unsafe (the reason
	// is in Change).
	Rejected Status = "rejected"
	// Bound: no change; what no stack layout could beat.
	Bound Status = "bound"
)

// Scenario is a named what-if over the model's options.
type Scenario struct {
	Name, Change string
	Status       Status
	Options      Options
}

// Cuts returns the what-ifs that apply to asm: the applied cuts (modelled
// as the code before them), changes to constructs/, stacks/ or the
// in-cluster phase whose effect the model shows, and the bound.
func Cuts(asm *assembly.Assembly) []Scenario {
	var out []Scenario
	base := DefaultReleases()

	// Applied: blueprint's chart is not waited for in line
	// (helmrelease.installPlan). Before, every upstream release waited for
	// its workload too.
	inline := cloneReleases(base)
	for i := range inline {
		if inline[i].Name != ReleaseBlueprint && inline[i].Name != ReleaseBlueprintReady {
			inline[i].After = []string{ReleaseBlueprintReady}
		}
	}
	out = append(out, Scenario{Name: "blueprint's chart: its workload waited for beside the other releases", Status: Applied,
		Change: "helmrelease.installPlan applies blueprint's chart without --wait (the others need only its namespaces, service " +
			"accounts, RBAC, storage class and the login Secret) and waits for its Spark History Server (the Arc image pull) at the " +
			"same time as the upstream releases; before, every release waited for it",
		Options: Options{Releases: inline}})

	// Applied: JupyterHub pre-pulls nothing (values.go prePuller off).
	pull := cloneReleases(base)
	var hubNow time.Duration
	for i := range pull {
		if pull[i].Name == ReleaseJupyterHub {
			hubNow, pull[i].Install = pull[i].Install, 4*time.Minute
		}
	}
	out = append(out, Scenario{Name: "JupyterHub's image pulls off the critical path", Status: Applied,
		Change: "no hook pre-puller and no continuous puller (helmrelease values.go; z2jh 4.4.0 enables the hook by default, and its " +
			"hook-image-awaiter Job holds the install until the multi-GB Arc kernel image is on every node); a user's first server " +
			"pulls it instead. The JupyterHub release: 4:00 before (the earlier estimate, the pull included), " + mmss(hubNow) + " after",
		Options: Options{Releases: pull}})

	// Applied earlier: upstream releases concurrently.
	serial := cloneReleases(inline)
	prev := ReleaseBlueprintReady
	for i := range serial {
		if serial[i].Name != ReleaseBlueprint && serial[i].Name != ReleaseBlueprintReady {
			serial[i].After = []string{prev}
			prev = serial[i].Name
		}
	}
	out = append(out, Scenario{Name: "upstream releases installed at the same time", Status: Applied,
		Change:  "none needs another; before, Apply installed them one after the other (this row's before also waits for blueprint's workload in line)",
		Options: Options{Releases: serial}})

	network, cluster := stackWith(asm, "AWS::EC2::VPC"), stackWith(asm, TypeEKSCluster)
	if cluster != nil {
		if drop := beforeNodesEdges(cluster); len(drop) > 0 {
			out = append(out, Scenario{Name: "node groups start with vpc-cni and kube-proxy", Status: Rejected,
				Change: fmt.Sprintf("drop the node groups' DependsOn on the vpc-cni and kube-proxy add-ons (%d edges). Unsafe: nodes that "+
					"join before the CNI and its IRSA role exist fail with NodeCreationFailure: NetworkPluginNotReady (aws-samples/"+
					"sample-apex-skills, eks-build lessons learned, \"before_compute Is Mandatory\"), and the node role has no CNI policy", len(drop)),
				Options: Options{DropEdges: drop}})
		}
		if add, drop := helmBesideNodes(asm, cluster, base); len(add) > 0 {
			out = append(out, Scenario{Name: "Helm phase beside the node groups", Status: NotApplied,
				Change: "split the node groups and add-ons into a stack after the cluster stack, so up reads the cluster's outputs (endpoint, " +
					"IRSA roles) once the control plane and roles exist and installs the releases while nodes join; each release's pods " +
					"still wait for the on-demand nodes, CoreDNS and the EBS CSI driver. Costs a stack layout change (node groups and " +
					"add-ons replaced on existing deployments, registry, down order, CI role)",
				Options: Options{AddEdges: add, DropEdges: drop}})
		}
	}
	if network != nil && cluster != nil && network != cluster {
		if moved := egressResources(cluster); len(moved) > 0 {
			out = append(out, Scenario{Name: "NAT and interface endpoints built in the cluster stack", Status: Applied,
				Change: fmt.Sprintf("constructs/egress builds the NAT gateway, the private subnets' default routes and the interface "+
					"endpoints (%d resources) in %s, and every node group DependsOn the routes and endpoints; before, they were in %s, "+
					"so the control plane, which needs only the subnets, waited for the endpoints, and on down they waited for the "+
					"whole cluster stack's deletion instead of only the node groups'. The VPC, subnets and route tables stay in %s "+
					"(not replaced on existing deployments)", len(moved), cluster.Name, network.Name, network.Name),
				Options: Options{MoveResources: []Move{{IDs: moved, Into: network.Name}}}})
		}
		out = append(out, Scenario{Name: "bound: no stack boundaries", Status: Bound,
			Change:  "every resource waits only for the resources it references across stacks (node groups for egress through their DependsOn): no stack layout can do better",
			Options: Options{StackEdges: ExportsOnly}})
		if add, drop := helmBesideNodes(asm, cluster, base); len(add) > 0 {
			out = append(out, Scenario{Name: "floor: no stack boundaries and the Helm phase beside the node groups", Status: Bound,
				Change: "the two above together, keeping every dependency the platform needs (CNI before nodes; nodes, CoreDNS and " +
					"EBS CSI before pods): what remains is the chain control plane → vpc-cni → node group → CoreDNS → JupyterHub",
				Options: Options{StackEdges: ExportsOnly, AddEdges: add, DropEdges: drop}})
		}
	}
	if cluster != nil {
		if role, ok := controlPlaneRoleWithInlinePolicy(cluster); ok {
			out = append(out, Scenario{Name: "control plane role's KMS policy inline", Status: Applied,
				Change: "the control plane role carries its secrets-encryption KMS permissions as an inline policy (constructs/cluster), " +
					"so CloudFormation creates and propagates role and policy in one step before the cluster starts; before, they were " +
					"CDK's DefaultPolicy, a policy resource of its own that the cluster had to wait for after the role",
				Options: Options{SplitInlinePolicies: []string{role}}})
		}
		if e, ok := controlPlanePolicyEdge(cluster); ok {
			out = append(out, Scenario{Name: "fix: control plane waits for its role's policy", Status: NotApplied,
				Change: fmt.Sprintf("%s has no dependency on %s (the role's KMS permissions for secrets encryption), so CloudFormation "+
					"may create the cluster before the policy exists; a DependsOn makes it safe and costs this much", e.From, e.To),
				Options: Options{AddEdges: []Edge{e}}})
		}
	}
	return out
}

func cloneReleases(rs []Release) []Release {
	out := make([]Release, len(rs))
	for i, r := range rs {
		out[i] = r
		out[i].After = append([]string(nil), r.After...)
	}
	return out
}

// beforeNodesEdges are the node groups' dependencies on add-ons.
func beforeNodesEdges(s *assembly.Stack) []Edge {
	var out []Edge
	for _, lid := range sortedIDs(s.Template.Resources) {
		r := s.Template.Resources[lid]
		if r.Type != "AWS::EKS::Nodegroup" {
			continue
		}
		refs, err := References(s.Template, r)
		if err != nil {
			continue
		}
		for _, d := range refs {
			if s.Template.Resources[d].Type == "AWS::EKS::Addon" {
				out = append(out, Edge{From: id(s.Name, lid), To: id(s.Name, d)})
			}
		}
	}
	return out
}

// helmBesideNodes models the in-cluster phase starting once the cluster
// stack's control plane, roles and access entries exist instead of after
// the whole stack; every step but blueprint's objects also waits for the
// on-demand nodes and the add-ons pods need (CoreDNS, EBS CSI).
func helmBesideNodes(asm *assembly.Assembly, cluster *assembly.Stack, rs []Release) (add, drop []Edge) {
	var api, pods []string
	for _, lid := range sortedIDs(cluster.Template.Resources) {
		r := cluster.Template.Resources[lid]
		switch kind(r) {
		case TypeEKSCluster, "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::OIDCProvider", "AWS::EKS::AccessEntry":
			api = append(api, id(cluster.Name, lid))
		case "AWS::EKS::Addon/coredns", "AWS::EKS::Addon/aws-ebs-csi-driver":
			pods = append(pods, id(cluster.Name, lid))
		case "AWS::EKS::Nodegroup":
			if strings.Contains(lid, "OnDemand") {
				pods = append(pods, id(cluster.Name, lid))
			}
		}
	}
	if len(api) == 0 || len(pods) == 0 {
		return nil, nil
	}
	end := id(cluster.Name, endID)
	for _, s := range asm.Stacks {
		// Stacks after the cluster stack (the CI stack) keep their edge.
		if slices.Contains(s.DependsOn, cluster.ID) {
			return nil, nil
		}
	}
	for _, r := range rs {
		n := id(PhaseStack, r.Name)
		drop = append(drop, Edge{From: n, To: end})
		for _, a := range api {
			add = append(add, Edge{From: n, To: a})
		}
		if r.Name != ReleaseBlueprint {
			for _, p := range pods {
				add = append(add, Edge{From: n, To: p})
			}
		}
	}
	return add, drop
}

func stackWith(asm *assembly.Assembly, typ string) *assembly.Stack {
	for _, s := range asm.Stacks {
		for _, r := range s.Template.Resources {
			if r.Type == typ {
				return s
			}
		}
	}
	return nil
}

// egressResources are the cluster stack's egress (constructs/egress): NAT
// gateways with their addresses, the default routes through them, and the
// interface endpoints with the security groups they use, as node IDs.
func egressResources(cluster *assembly.Stack) []string {
	set := map[string]bool{}
	// with adds lid and what it references of type typ.
	with := func(lid string, r assembly.Resource, typ string) {
		set[lid] = true
		refs, _ := References(cluster.Template, r)
		for _, d := range refs {
			if cluster.Template.Resources[d].Type == typ {
				set[d] = true
			}
		}
	}
	for lid, r := range cluster.Template.Resources {
		switch kind(r) {
		case "AWS::EC2::NatGateway":
			with(lid, r, "AWS::EC2::EIP")
		case "AWS::EC2::VPCEndpoint/Interface":
			with(lid, r, "AWS::EC2::SecurityGroup")
		case "AWS::EC2::Route":
			var p struct {
				NatGatewayId any `json:"NatGatewayId"`
			}
			if json.Unmarshal(r.Properties, &p) == nil && p.NatGatewayId != nil {
				set[lid] = true
			}
		}
	}
	var out []string
	for lid := range set {
		out = append(out, id(cluster.Name, lid))
	}
	sort.Strings(out)
	return out
}

// controlPlaneRoleWithInlinePolicy finds the role the EKS cluster's
// RoleArn names, when it has inline policies, as a node ID.
func controlPlaneRoleWithInlinePolicy(s *assembly.Stack) (string, bool) {
	for _, clid := range sortedIDs(s.Template.Resources) {
		c := s.Template.Resources[clid]
		if c.Type != TypeEKSCluster {
			continue
		}
		var p struct {
			RoleArn struct {
				GetAtt []string `json:"Fn::GetAtt"`
			} `json:"RoleArn"`
		}
		if json.Unmarshal(c.Properties, &p) != nil || len(p.RoleArn.GetAtt) != 2 {
			continue
		}
		role, ok := s.Template.Resources[p.RoleArn.GetAtt[0]]
		if !ok || role.Type != "AWS::IAM::Role" {
			continue
		}
		var rp struct {
			Policies []json.RawMessage `json:"Policies"`
		}
		if json.Unmarshal(role.Properties, &rp) == nil && len(rp.Policies) > 0 {
			return id(s.Name, p.RoleArn.GetAtt[0]), true
		}
	}
	return "", false
}

// controlPlanePolicyEdge finds an IAM policy attached to the EKS cluster's
// role that the cluster does not wait for.
func controlPlanePolicyEdge(s *assembly.Stack) (Edge, bool) {
	for _, clid := range sortedIDs(s.Template.Resources) {
		c := s.Template.Resources[clid]
		if c.Type != "AWS::EKS::Cluster" {
			continue
		}
		crefs, err := References(s.Template, c)
		if err != nil {
			continue
		}
		for _, plid := range sortedIDs(s.Template.Resources) {
			p := s.Template.Resources[plid]
			if p.Type != "AWS::IAM::Policy" {
				continue
			}
			prefs, err := References(s.Template, p)
			if err != nil {
				continue
			}
			// The policy references a role the cluster references, and the
			// cluster does not reference the policy.
			if overlaps(prefs, crefs) && !contains(crefs, plid) {
				return Edge{From: id(s.Name, clid), To: id(s.Name, plid)}, true
			}
		}
	}
	return Edge{}, false
}

func sortedIDs(m map[string]assembly.Resource) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func mmss(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}
