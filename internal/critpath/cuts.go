package critpath

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/sqletl/blueprint/internal/assembly"
)

// Scenario is a named what-if over the model's options.
type Scenario struct {
	Name, Change string
	Options      Options
}

// Cuts returns the what-ifs that apply to asm: changes to constructs/,
// stacks/ or the in-cluster phase whose effect the model shows, a
// correctness fix with its cost, and the sensitivity of the total to the
// EKS control plane's creation time, which dominates.
func Cuts(asm *assembly.Assembly) []Scenario {
	var out []Scenario
	// Every release needs blueprint's own chart (namespaces, service
	// accounts, the login Secret) first; none needs another upstream one.
	parallel := DefaultReleases()
	first := parallel[0].Name
	for i := range parallel {
		parallel[i].After = nil
		if i > 0 {
			parallel[i].After = []string{first}
		}
	}
	// (Applied: Apply now installs them concurrently, so DefaultReleases
	// already models this; parallel stays for the scenarios below.)

	network, cluster := stackWith(asm, "AWS::EC2::VPC"), stackWith(asm, "AWS::EKS::Cluster")
	if network != nil && cluster != nil && network != cluster {
		egress := egressEdges(network, cluster)
		out = append(out, Scenario{Name: "network merged into the cluster stack",
			Change: fmt.Sprintf("build the network construct in %s (stacks.Build) instead of its own stack, and make each node group "+
				"DependsOn the NAT routes and interface endpoints (%d edges): the control plane then starts once its subnets exist "+
				"instead of after the whole network stack", cluster.Name, len(egress)),
			Options: Options{MergeStacks: []Merge{{From: network.Name, Into: cluster.Name}}, AddEdges: egress}})
		out = append(out, Scenario{Name: "both cuts",
			Change:  "the two cuts above together",
			Options: Options{Releases: parallel, MergeStacks: []Merge{{From: network.Name, Into: cluster.Name}}, AddEdges: egress}})
		out = append(out, Scenario{Name: "bound: no stack boundaries",
			Change:  "every resource waits only for the resources it references across stacks, node groups for egress, releases in parallel: no stack layout can do better",
			Options: Options{StackEdges: ExportsOnly, Releases: parallel, AddEdges: egress}})
	}
	if cluster != nil {
		if e, ok := controlPlanePolicyEdge(cluster); ok {
			out = append(out, Scenario{Name: "fix: control plane waits for its role's policy",
				Change: fmt.Sprintf("%s has no dependency on %s (the role's KMS permissions for secrets encryption), so CloudFormation "+
					"may create the cluster before the policy exists; a DependsOn makes it safe and costs this much", e.From, e.To),
				Options: Options{AddEdges: []Edge{e}}})
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"sensitivity: EKS control plane 10:00 (AWS docs, low end)", 10 * time.Minute},
		{"sensitivity: EKS control plane 16:11 (us-west-1, measured)", 971 * time.Second},
	} {
		t := DefaultTable()
		c := t["AWS::EKS::Cluster"]
		c.Create = d.v
		t["AWS::EKS::Cluster"] = c
		out = append(out, Scenario{Name: d.name, Change: "the baseline with only the EKS cluster's creation time changed", Options: Options{Durations: t}})
	}
	return out
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

// egressEdges makes every node group of cluster wait for network's NAT
// routes and interface endpoints: nodes need them to pull images and join.
func egressEdges(network, cluster *assembly.Stack) []Edge {
	var egress []string
	for lid, r := range network.Template.Resources {
		switch kind(r) {
		case "AWS::EC2::VPCEndpoint/Interface":
			egress = append(egress, id(network.Name, lid))
		case "AWS::EC2::Route":
			var p struct {
				NatGatewayId any `json:"NatGatewayId"`
			}
			if json.Unmarshal(r.Properties, &p) == nil && p.NatGatewayId != nil {
				egress = append(egress, id(network.Name, lid))
			}
		}
	}
	sort.Strings(egress)
	var out []Edge
	for _, lid := range sortedIDs(cluster.Template.Resources) {
		if cluster.Template.Resources[lid].Type != "AWS::EKS::Nodegroup" {
			continue
		}
		for _, e := range egress {
			out = append(out, Edge{From: id(cluster.Name, lid), To: e})
		}
	}
	return out
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
