package platform

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/eksversions"
)

// PlanKubernetes is what the synthesized cluster template pins: the
// control plane's and node groups' version, each add-on's version, and
// the zones.
type PlanKubernetes struct {
	Version    string            `json:"version"`
	NodeGroups map[string]string `json:"nodeGroups"` // logical ID → Version
	Addons     []PlanAddon       `json:"addons"`
	Zones      Zones             `json:"zones"`
}

// PlanAddon is one managed add-on as synthesized.
type PlanAddon struct {
	Name    string `json:"name"`
	Version string `json:"version"` // "" when EKS picks its default
	Source  string `json:"source"`
}

// planKubernetes reads the pins from the synthesized templates, so plan
// shows what up would deploy, and the sources from the version table.
func planKubernetes(asm *assembly.Assembly, zones Zones) *PlanKubernetes {
	k := &PlanKubernetes{NodeGroups: map[string]string{}, Zones: zones}
	for _, s := range asm.Stacks {
		for id, r := range s.Template.Resources {
			var p map[string]any
			_ = json.Unmarshal(r.Properties, &p)
			str := func(key string) string { v, _ := p[key].(string); return v }
			switch r.Type {
			case "AWS::EKS::Cluster":
				k.Version = str("Version")
			case "AWS::EKS::Nodegroup":
				k.NodeGroups[id] = str("Version")
			case "AWS::EKS::Addon":
				k.Addons = append(k.Addons, PlanAddon{Name: str("AddonName"), Version: str("AddonVersion")})
			}
		}
	}
	if k.Version == "" {
		return nil
	}
	table, _ := eksversions.Addons(k.Version)
	order := map[string]int{}
	for i, a := range table {
		order[a.Name] = i
	}
	for i := range k.Addons {
		for _, a := range table {
			if a.Name == k.Addons[i].Name {
				k.Addons[i].Source = a.Source
			}
		}
	}
	sort.Slice(k.Addons, func(i, j int) bool { return order[k.Addons[i].Name] < order[k.Addons[j].Name] })
	return k
}

// Print writes the Kubernetes section of plan's text output.
func (k *PlanKubernetes) Print(w io.Writer) {
	fmt.Fprintf(w, "  control plane   %s\n", k.Version)
	ids := make([]string, 0, len(k.NodeGroups))
	for id := range k.NodeGroups {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		v := k.NodeGroups[id]
		if v == "" {
			v = "(unpinned)"
		}
		fmt.Fprintf(w, "  node group      %s %s\n", v, strings.TrimSuffix(trimHash(id), "Nodes"))
	}
	for _, a := range k.Addons {
		v := a.Version
		if v == "" {
			v = "EKS default (no published version found; see internal/eksversions)"
		}
		fmt.Fprintf(w, "  add-on          %-32s %s\n", a.Name, v)
	}
	fmt.Fprintf(w, "  zones           %s\n", k.Zones)
}

// trimHash drops CDK's 8-hex-digit logical ID suffix.
func trimHash(id string) string {
	if len(id) > 8 {
		tail := id[len(id)-8:]
		if strings.Trim(tail, "0123456789ABCDEF") == "" {
			return id[:len(id)-8]
		}
	}
	return id
}
