package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/deploy"
)

// StackMove is a kind of resource this up deletes from one stack and
// creates in another: blueprint's stack layout changed since the deployment
// was made (the NAT gateway and interface endpoints moved from the network
// stack to the cluster stack, constructs/egress). CloudFormation cannot move
// a resource, and the stacks deploy in dependency order, so for a while
// neither holds it.
type StackMove struct {
	Type  string   `json:"type"`
	Count int      `json:"count"`
	From  string   `json:"from"`
	To    []string `json:"to"`
}

func (m StackMove) String() string {
	return fmt.Sprintf("%d %s from %s to %s", m.Count, m.Type, m.From, strings.Join(m.To, ", "))
}

// egressTypes are what the private subnets reach the outside through.
var egressTypes = []string{"AWS::EC2::NatGateway", "AWS::EC2::VPCEndpoint"}

// MovesNotice says what the moves mean for a running platform, one line
// each; nil when nothing moves.
func MovesNotice(moves []StackMove) []string {
	var out []string
	egress := false
	for _, m := range moves {
		out = append(out, "Moving "+m.String()+": CloudFormation cannot move a resource, so the update of "+m.From+
			" deletes it and the update of "+strings.Join(m.To, ", ")+" creates it again")
		egress = egress || slices.Contains(egressTypes, m.Type)
	}
	if egress {
		out = append(out, "In between, the private subnets have no NAT gateway or interface endpoints (about 2 minutes; "+
			"running jobs keep reaching S3 through its gateway endpoint, image pulls and other AWS calls wait) and the "+
			"NAT gateway gets a new public IP (README, \"Upgrading\")")
	}
	return out
}

// stackMoves compares what is deployed with what up is about to deploy.
// deployed and next map a stack name to its resources (logical ID → type);
// stacks not deployed are absent from deployed. A resource leaves a stack
// when its logical ID (or type) is gone from the new template and arrives
// when it is new there; a type that leaves one stack while arriving in
// another moves.
func stackMoves(deployed, next map[string]map[string]string) []StackMove {
	left := map[string]map[string]int{}    // type → stack → count
	arrived := map[string]map[string]int{} // type → stack → count
	add := func(m map[string]map[string]int, typ, stack string) {
		if m[typ] == nil {
			m[typ] = map[string]int{}
		}
		m[typ][stack]++
	}
	for name, res := range next {
		// A new stack has nothing deployed: everything in it arrives.
		old := deployed[name]
		for lid, typ := range old {
			if t, ok := res[lid]; !ok || t != typ {
				add(left, typ, name)
			}
		}
		for lid, typ := range res {
			if t, ok := old[lid]; !ok || t != typ {
				add(arrived, typ, name)
			}
		}
	}
	var out []StackMove
	for typ, from := range left {
		for stack, n := range from {
			var to []string
			for dest := range arrived[typ] {
				if dest != stack {
					to = append(to, dest)
				}
			}
			if len(to) == 0 {
				continue
			}
			sort.Strings(to)
			out = append(out, StackMove{Type: typ, Count: n, From: stack, To: to})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].From != out[j].From {
			return out[i].From < out[j].From
		}
		return out[i].Type < out[j].Type
	})
	return out
}

// deployedResources reads the deployed template of each of asm's stacks
// that exists (logical ID → type).
func deployedResources(ctx context.Context, api StackAPI, asm *assembly.Assembly) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, s := range asm.Stacks {
		t, err := api.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(s.Name), TemplateStage: cfntypes.TemplateStageOriginal})
		if deploy.IsStackMissing(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading the deployed template of %q: %w", s.Name, err)
		}
		res, err := resourceTypes([]byte(aws.ToString(t.TemplateBody)))
		if err != nil {
			// YAML or otherwise not blueprint's: nothing to compare.
			continue
		}
		out[s.Name] = res
	}
	return out, nil
}

// templateResources reads the resources of the templates up deploys: the
// assembly's files, as deployStacks sends them.
func templateResources(asm *assembly.Assembly) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, s := range asm.Stacks {
		body, err := os.ReadFile(filepath.Join(asm.Dir, s.TemplateFile))
		if err != nil {
			return nil, err
		}
		if out[s.Name], err = resourceTypes(body); err != nil {
			return nil, fmt.Errorf("template of %s: %w", s.Name, err)
		}
	}
	return out, nil
}

// resourceTypes maps a JSON template's logical IDs to their types.
func resourceTypes(body []byte) (map[string]string, error) {
	var tpl assembly.Template
	if err := json.Unmarshal(body, &tpl); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for lid, r := range tpl.Resources {
		out[lid] = r.Type
	}
	return out, nil
}

// moves finds what this up moves between stacks and says so before any
// stack changes.
func (o *UpOptions) moves(ctx context.Context, asm *assembly.Assembly) ([]StackMove, error) {
	deploying := &assembly.Assembly{Dir: asm.Dir}
	for _, s := range asm.Stacks {
		if st, ok := o.registry().ByName(s.Name); ok && o.ExternalCluster && st.NeedsCluster {
			continue
		}
		deploying.Stacks = append(deploying.Stacks, s)
	}
	deployed, err := deployedResources(ctx, o.AWS.Stacks, deploying)
	if err != nil {
		return nil, err
	}
	next, err := templateResources(deploying)
	if err != nil {
		return nil, err
	}
	moves := stackMoves(deployed, next)
	for _, line := range MovesNotice(moves) {
		o.Progress.Info("%s", line)
	}
	return moves, nil
}
