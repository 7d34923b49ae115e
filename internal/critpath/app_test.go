package critpath_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/cdkapp"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/critpath"
)

// TestDefaultApp models the real synthesized app and checks structural
// facts of the schedule, not totals (those follow the duration table).
func TestDefaultApp(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the whole app")
	}
	cfg, err := config.Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	asm, err := cdkapp.Synth(context.Background(), cfg, filepath.Join(t.TempDir(), "cdk.out"))
	if err != nil {
		t.Fatalf("synth: %v", err)
	}
	rep, err := critpath.NewReport(asm)
	if err != nil {
		t.Fatal(err)
	}
	up, down := rep.Up, rep.Down

	t.Run("figures", func(t *testing.T) {
		f := rep.Figures
		if f.Stacks != len(asm.Stacks) || f.CustomResources != 0 || f.LambdaFunctions != 0 || f.Resources == 0 {
			t.Errorf("figures = %+v", f)
		}
	})
	t.Run("every resource type has a duration", func(t *testing.T) {
		if len(up.Unknown) > 0 {
			t.Errorf("types missing from DefaultTable (add them with a source): %v", up.Unknown)
		}
	})

	steps := func(r *critpath.Result, typ string) []critpath.Step {
		var out []critpath.Step
		for _, s := range r.Steps {
			if s.Type == typ {
				out = append(out, s)
			}
		}
		return out
	}
	clusters := steps(up, "AWS::EKS::Cluster")
	if len(clusters) != 1 {
		t.Fatalf("%d EKS clusters", len(clusters))
	}
	cluster := clusters[0]

	t.Run("up: the EKS cluster is on the critical path", func(t *testing.T) {
		onPath := map[string]bool{}
		for _, s := range up.Path {
			onPath[s.Type] = true
		}
		for _, typ := range []string{"AWS::EKS::Cluster", "AWS::EKS::Nodegroup", critpath.TypeHelmRelease} {
			if !onPath[typ] {
				t.Errorf("no %s on the critical path %+v", typ, up.Path)
			}
		}
		last := up.Path[len(up.Path)-1]
		if up.Total != last.Finish || up.Total <= cluster.Finish-cluster.Start {
			t.Errorf("total %v: last step ends %v, cluster takes %v", up.Total, last.Finish, cluster.Finish-cluster.Start)
		}
		for i := 1; i < len(up.Path); i++ {
			if up.Path[i].Start < up.Path[i-1].Finish {
				t.Errorf("path step %d starts %v before step %d finishes %v", i, up.Path[i].Start, i-1, up.Path[i-1].Finish)
			}
		}
	})
	t.Run("up: node groups and node-bound add-ons start after the cluster", func(t *testing.T) {
		for _, ng := range steps(up, "AWS::EKS::Nodegroup") {
			if ng.Start < cluster.Finish {
				t.Errorf("node group %s starts %v, before the cluster is up (%v)", ng.LogicalID, ng.Start, cluster.Finish)
			}
		}
		for _, a := range steps(up, "AWS::EKS::Addon") {
			if a.Start < cluster.Finish {
				t.Errorf("add-on %s starts %v, before the cluster is up", a.LogicalID, a.Start)
			}
		}
	})
	t.Run("up: stacks follow their dependencies; releases follow every stack", func(t *testing.T) {
		span := map[string]critpath.StackSpan{}
		for _, s := range up.Stacks {
			span[s.Name] = s
		}
		for _, s := range asm.Stacks {
			for _, d := range s.DependsOn {
				if dep := asm.Stack(d); span[s.Name].Start < span[dep.Name].Finish {
					t.Errorf("%s starts %v before %s finishes %v", s.Name, span[s.Name].Start, dep.Name, span[dep.Name].Finish)
				}
			}
			if span[critpath.PhaseStack].Start < span[s.Name].Finish {
				t.Errorf("Helm phase starts before %s finishes", s.Name)
			}
		}
		roots := 0
		for _, s := range asm.Stacks {
			if len(s.DependsOn) == 0 && span[s.Name].Start == 0 {
				roots++
			}
		}
		if roots < 2 {
			t.Errorf("%d stacks start at 0, want the independent ones in parallel", roots)
		}
	})
	t.Run("down: in-cluster first, retained stacks kept, cluster before network", func(t *testing.T) {
		span := map[string]critpath.StackSpan{}
		for _, s := range down.Stacks {
			span[s.Name] = s
		}
		if down.Path[0].Stack != critpath.PhaseStack {
			t.Errorf("down starts with %+v, want the in-cluster uninstall", down.Path[0])
		}
		for _, s := range asm.Stacks {
			_, modelled := span[s.Name]
			if s.TerminationProtection == modelled {
				t.Errorf("stack %s (termination protection %v) modelled as deleted: %v", s.Name, s.TerminationProtection, modelled)
			}
			for _, d := range s.DependsOn {
				dep := asm.Stack(d)
				if _, ok := span[dep.Name]; ok && modelled && span[dep.Name].Start < span[s.Name].Finish {
					t.Errorf("%s deleted from %v, before its dependent %s is gone (%v)", dep.Name, span[dep.Name].Start, s.Name, span[s.Name].Finish)
				}
			}
		}
	})
	t.Run("every cut models both directions", func(t *testing.T) {
		if len(rep.Cuts) == 0 {
			t.Fatal("no cuts apply to the app")
		}
		for _, c := range rep.Cuts {
			if c.Up <= 0 || c.Down <= 0 || c.UpBefore <= 0 || c.DownBefore <= 0 {
				t.Errorf("cut %q: %+v", c.Name, c)
			}
			// An applied cut's before is the code without it: never faster.
			if c.Status == critpath.Applied && (c.UpBefore < c.Up || c.Up != up.Total) {
				t.Errorf("applied cut %q: up %v → %v, baseline %v", c.Name, c.UpBefore, c.Up, up.Total)
			}
		}
	})
	t.Run("range: low ≤ typical ≤ high, typical is the baseline", func(t *testing.T) {
		if len(rep.Range) != 3 {
			t.Fatalf("range %+v", rep.Range)
		}
		lo, typ, hi := rep.Range[0], rep.Range[1], rep.Range[2]
		if !(lo.Up <= typ.Up && typ.Up <= hi.Up) || typ.Up != up.Total || typ.Down != down.Total {
			t.Errorf("range %+v, baseline up %v down %v", rep.Range, up.Total, down.Total)
		}
		if rep.Overhead != up.Total-critpath.DefaultControlPlane.Typical {
			t.Errorf("overhead %v", rep.Overhead)
		}
	})
	t.Run("spread: the table is the slowest pick, faster figures never lengthen up, bounds never exceed today", func(t *testing.T) {
		var bounds int
		for _, c := range rep.Cuts {
			if c.Status == critpath.Bound {
				bounds++
			}
		}
		if len(rep.Spread) != len(critpath.Picks) || bounds == 0 {
			t.Fatalf("spread %+v (%d bounds)", rep.Spread, bounds)
		}
		if s := rep.Spread[0]; s.Pick != critpath.Slowest || s.Overhead != rep.Overhead {
			t.Errorf("slowest row %+v, overhead %v", s, rep.Overhead)
		}
		for i, r := range rep.Spread {
			if len(r.Bounds) != bounds {
				t.Errorf("%s: %d bounds, want %d", r.Pick, len(r.Bounds), bounds)
			}
			for j, b := range r.Bounds {
				if b.Overhead > r.Overhead {
					t.Errorf("%s: bound %q %v above today's %v", r.Pick, b.Name, b.Overhead, r.Overhead)
				}
				if i > 0 && b.Overhead > rep.Spread[i-1].Bounds[j].Overhead {
					t.Errorf("%s: bound %q %v longer than with %s figures", r.Pick, b.Name, b.Overhead, rep.Spread[i-1].Pick)
				}
			}
			if i > 0 && r.Overhead > rep.Spread[i-1].Overhead {
				t.Errorf("%s overhead %v longer than %s's %v", r.Pick, r.Overhead, rep.Spread[i-1].Pick, rep.Spread[i-1].Overhead)
			}
		}
		// The fastest pick must change the answer: the critical path
		// runs through measured steps (node group, vpc-cni).
		if last := rep.Spread[len(rep.Spread)-1]; last.Overhead >= rep.Overhead {
			t.Errorf("fastest figures leave the overhead at %v", last.Overhead)
		}
	})
	t.Run("up: node groups wait for the CNI add-on, node-bound add-ons for the on-demand nodes", func(t *testing.T) {
		// These waits are DependsOn in the synthesized template
		// (constructs/cluster/addons.go); the model reads them from there.
		var cni, coredns critpath.Step
		for _, s := range asm.Stacks {
			for lid, r := range s.Template.Resources {
				if r.Type != "AWS::EKS::Addon" {
					continue
				}
				switch {
				case strings.Contains(string(r.Properties), `"vpc-cni"`):
					cni = up.Steps[s.Name+"/"+lid]
				case strings.Contains(string(r.Properties), `"coredns"`):
					coredns = up.Steps[s.Name+"/"+lid]
				}
			}
		}
		for _, ng := range steps(up, "AWS::EKS::Nodegroup") {
			if ng.Start < cni.Finish {
				t.Errorf("node group %s starts %v, before vpc-cni is active (%v)", ng.LogicalID, ng.Start, cni.Finish)
			}
			if strings.Contains(ng.LogicalID, "OnDemand") && coredns.Start < ng.Finish {
				t.Errorf("coredns starts %v, before the on-demand nodes (%v)", coredns.Start, ng.Finish)
			}
		}
	})
	t.Run("down: interface endpoints and the NAT gateway wait only for what uses them", func(t *testing.T) {
		// In the template only the node groups reference (DependsOn) the
		// interface endpoints and the private default routes, and only
		// those routes reference the NAT gateway: their deletion starts
		// once those are deleted, beside the control plane's, not after
		// the whole stack (the network stack holds only the VPC).
		for _, s := range asm.Stacks {
			users := map[string][]string{}
			for lid, r := range s.Template.Resources {
				refs, err := critpath.References(s.Template, r)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range refs {
					users[d] = append(users[d], lid)
				}
			}
			for lid, r := range s.Template.Resources {
				nat := r.Type == "AWS::EC2::NatGateway"
				endpoint := r.Type == "AWS::EC2::VPCEndpoint" && strings.Contains(string(r.Properties), `"Interface"`)
				if !nat && !endpoint {
					continue
				}
				if s.Name != clusterStack(asm) {
					t.Errorf("%s/%s is in %s, not beside the node groups in the cluster stack", s.Name, lid, s.Name)
				}
				step := down.Steps[s.Name+"/"+lid]
				limit := down.Steps[s.Name+"/(begin)"].Finish
				for _, u := range users[lid] {
					ut := s.Template.Resources[u].Type
					if (endpoint && ut != "AWS::EKS::Nodegroup") || (nat && ut != "AWS::EC2::Route") {
						t.Errorf("%s is used by %s (%s); want only node groups (endpoints) or the private routes (NAT)", lid, u, ut)
					}
					limit = max(limit, down.Steps[s.Name+"/"+u].Finish)
				}
				if step.Start != limit {
					t.Errorf("%s/%s is deleted from %v, want right after what uses it (%v)", s.Name, lid, step.Start, limit)
				}
				if step.Start >= eksStep(down).Finish {
					t.Errorf("%s/%s is deleted from %v, after the control plane (%v)", s.Name, lid, step.Start, eksStep(down).Finish)
				}
			}
		}
	})
	t.Run("up: the control plane waits for the subnets only, the node groups for the egress", func(t *testing.T) {
		var lastEgress time.Duration
		for _, st := range up.Steps {
			switch st.Type {
			case "AWS::EC2::NatGateway", "AWS::EC2::VPCEndpoint", "AWS::EC2::Route":
				if st.Stack == clusterStack(asm) {
					lastEgress = max(lastEgress, st.Finish)
				}
			}
		}
		if lastEgress == 0 || cluster.Start >= lastEgress {
			t.Errorf("control plane starts %v, egress done %v: want the control plane not to wait for it", cluster.Start, lastEgress)
		}
		for _, ng := range steps(up, "AWS::EKS::Nodegroup") {
			if ng.Start < lastEgress {
				t.Errorf("node group %s starts %v, before the egress is done (%v)", ng.LogicalID, ng.Start, lastEgress)
			}
		}
	})
}

// clusterStack is the name of the stack holding the EKS cluster.
func clusterStack(asm *assembly.Assembly) string {
	for _, s := range asm.Stacks {
		for _, r := range s.Template.Resources {
			if r.Type == "AWS::EKS::Cluster" {
				return s.Name
			}
		}
	}
	return ""
}

// eksStep is the EKS cluster's step of r.
func eksStep(r *critpath.Result) critpath.Step {
	for _, s := range r.Steps {
		if s.Type == "AWS::EKS::Cluster" {
			return s
		}
	}
	return critpath.Step{}
}
