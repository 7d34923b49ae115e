// Command critpath prints the modelled `up` and `down` critical paths of a
// synthesized cloud assembly, and its template figures, as markdown (for
// hack/bench.sh and docs/performance.md) or JSON.
//
//	go run ./internal/critpath/cmd/critpath -assembly cdk.out
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/critpath"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "critpath:", err)
		os.Exit(1)
	}
}

func run(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("critpath", flag.ContinueOnError)
	dir := fs.String("assembly", "cdk.out", "synthesized cloud assembly directory")
	format := fs.String("format", "markdown", `"markdown" or "json"`)
	section := fs.String("section", "all", `"figures", "range", "model", "cuts", "durations" or "all"`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	asm, err := assembly.Read(*dir)
	if err != nil {
		return err
	}
	rep, err := critpath.NewReport(asm)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "markdown":
	default:
		return fmt.Errorf("unknown -format %q", *format)
	}
	all := *section == "all"
	if all || *section == "figures" {
		figures(w, rep.Figures)
	}
	if all || *section == "range" {
		ranges(w, rep)
	}
	if all || *section == "model" {
		model(w, rep.Up)
		model(w, rep.Down)
	}
	if all || *section == "cuts" {
		cuts(w, rep)
	}
	if all || *section == "durations" {
		durations(w)
	}
	return nil
}

func mmss(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

func figures(w io.Writer, f critpath.Figures) {
	fmt.Fprintf(w, "### Template figures\n\n| figure | value |\n|---|---|\n")
	fmt.Fprintf(w, "| stacks | %d |\n| resources | %d |\n| custom resources (must be 0) | %d |\n| Lambda functions (must be 0) | %d |\n| template bytes | %d |\n\n",
		f.Stacks, f.Resources, f.CustomResources, f.LambdaFunctions, f.TemplateBytes)
}

func model(w io.Writer, r *critpath.Result) {
	fmt.Fprintf(w, "### Modelled `%s`: %s (m:ss), %d nodes, %d edges\n\n", r.Direction, mmss(r.Total), r.Nodes, r.Edges)
	if len(r.Unknown) > 0 {
		fmt.Fprintf(w, "Types without a table entry (default used): %s\n\n", strings.Join(r.Unknown, ", "))
	}
	fmt.Fprintf(w, "Critical path:\n\n| # | stack | logical ID | type | start | finish |\n|---|---|---|---|---|---|\n")
	for i, s := range r.Path {
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s |\n", i+1, s.Stack, s.LogicalID, s.Type, mmss(s.Start), mmss(s.Finish))
	}
	fmt.Fprintf(w, "\nPer stack:\n\n| stack | start | finish |\n|---|---|---|\n")
	for _, s := range r.Stacks {
		fmt.Fprintf(w, "| %s | %s | %s |\n", s.Name, mmss(s.Start), mmss(s.Finish))
	}
	fmt.Fprintln(w)
}

func ranges(w io.Writer, rep *critpath.Report) {
	fmt.Fprintf(w, "### Modelled `up` and `down` by EKS control-plane time\n\n| control plane | `up` | `down` | blueprint beyond the control plane |\n|---|---|---|---|\n")
	for _, p := range rep.Range {
		fmt.Fprintf(w, "| %s %s | %s | %s | %s |\n", p.Name, mmss(p.ControlPlane), mmss(p.Up), mmss(p.Down), mmss(p.Up-p.ControlPlane))
	}
	goal := "within"
	if rep.Overhead > critpath.OverheadGoal {
		goal = "over by " + mmss(rep.Overhead-critpath.OverheadGoal)
	}
	fmt.Fprintf(w, "\nblueprint's own overhead at the typical control plane: %s (goal ≤ %s: %s)\n\n", mmss(rep.Overhead), mmss(critpath.OverheadGoal), goal)
	spread(w, rep)
}

// spread prints the overhead with the measured steps at each pick of
// their samples, today and at each bound.
func spread(w io.Writer, rep *critpath.Report) {
	if len(rep.Spread) == 0 {
		return
	}
	fmt.Fprintf(w, "### blueprint's overhead by the measured figures used\n\n"+
		"The control plane at its typical %s; every step with dated measurements (node group, add-ons, NAT gateway, "+
		"interface endpoints) at the slowest (the table), the median or the fastest of them; estimates unchanged.\n\n",
		mmss(critpath.DefaultControlPlane.Typical))
	fmt.Fprintf(w, "| figures | today")
	for _, b := range rep.Spread[0].Bounds {
		fmt.Fprintf(w, " | %s", b.Name)
	}
	fmt.Fprintf(w, " |\n|---|---%s|\n", strings.Repeat("|---", len(rep.Spread[0].Bounds)))
	mark := func(d time.Duration) string {
		if d <= critpath.OverheadGoal {
			return mmss(d) + " (≤ " + mmss(critpath.OverheadGoal) + ")"
		}
		return mmss(d)
	}
	for _, r := range rep.Spread {
		fmt.Fprintf(w, "| %s | %s", r.Pick, mark(r.Overhead))
		for _, b := range r.Bounds {
			fmt.Fprintf(w, " | %s", mark(b.Overhead))
		}
		fmt.Fprintln(w, " |")
	}
	fmt.Fprintln(w)
}

func cuts(w io.Writer, rep *critpath.Report) {
	fmt.Fprintf(w, "### Cuts (model, before → after)\n\nBaseline: `up` %s, `down` %s. An applied cut's \"after\" is the baseline.\n\n", mmss(rep.Up.Total), mmss(rep.Down.Total))
	fmt.Fprintf(w, "| cut | status | `up` before → after | Δ | `down` before → after | Δ |\n|---|---|---|---|---|---|\n")
	for _, c := range rep.Cuts {
		fmt.Fprintf(w, "| %s | %s | %s → %s | %s | %s → %s | %s |\n", c.Name, c.Status, mmss(c.UpBefore), mmss(c.Up), delta(c.Up-c.UpBefore),
			mmss(c.DownBefore), mmss(c.Down), delta(c.Down-c.DownBefore))
	}
	fmt.Fprintln(w)
	for _, c := range rep.Cuts {
		fmt.Fprintf(w, "- **%s** (%s): %s\n", c.Name, c.Status, c.Change)
	}
	fmt.Fprintln(w)
}

func delta(d time.Duration) string {
	if d < 0 {
		return "−" + mmss(-d)
	}
	return "+" + mmss(d)
}

func durations(w io.Writer) {
	cp := critpath.DefaultControlPlane
	fmt.Fprintf(w, "### Duration table\n\nEKS control plane: low %s, typical %s, high %s (the table uses the typical value). %s\n\n",
		mmss(cp.Low), mmss(cp.Typical), mmss(cp.High), cp.Source)
	t := critpath.DefaultTable()
	kinds := make([]string, 0, len(t))
	for k := range t {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "| kind | create | delete | source |\n|---|---|---|---|\n")
	for _, k := range kinds {
		d := t[k]
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", k, mmss(d.Create), mmss(d.Delete), d.Source)
	}
	u, o := critpath.DefaultUnknown, critpath.DefaultStackOverhead
	fmt.Fprintf(w, "| (any other type) | %s | %s | %s |\n| (per stack) | %s | %s | %s |\n\n", mmss(u.Create), mmss(u.Delete), u.Source, mmss(o.Create), mmss(o.Delete), o.Source)
	fmt.Fprintf(w, "| Helm release | install | uninstall | after |\n|---|---|---|---|\n")
	for _, r := range critpath.DefaultReleases() {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.Name, mmss(r.Install), mmss(r.Uninstall), strings.Join(r.After, ", "))
	}
	fmt.Fprintf(w, "\nDown also waits %s for in-cluster load balancers and %s to empty the buckets (estimates).\n\n",
		mmss(critpath.DefaultLoadBalancerWait), mmss(critpath.DefaultBucketEmptying))
}
