package cli

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqletl/blueprint/internal/cost"
	"github.com/sqletl/blueprint/internal/ui"
)

// `blueprint plan -o json | jq .cost` gives every line's monthly figures
// and the totals, idle and with the schedules, priced from the real
// synthesized templates: a config field changed in the file moves its line.
func TestPlanJSONHasCost(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "blueprint.yaml")
	if err := os.WriteFile(cfgPath, []byte("nodeGroups:\n  onDemand:\n    desiredSize: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ios, _, out, errOut := ui.Test()
	f := NewFactory(ios)
	if code := Run(context.Background(), f, []string{"--config", cfgPath, "plan", "-o", "json", "--out", filepath.Join(dir, "cdk.out")}); code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, errOut.String())
	}
	var res struct {
		Cost *cost.Estimate `json:"cost"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	e := res.Cost
	if e == nil || e.Unavailable != "" || len(e.Lines) == 0 {
		t.Fatalf("cost = %+v", e)
	}
	p, _ := cost.ForRegion("us-east-1")
	rate, _ := p.InstanceHour("m6i.xlarge")
	var idle, sched float64
	for _, l := range e.Lines {
		idle += l.Idle
		sched += l.WithSchedules
		if l.WithSchedules < l.Idle {
			t.Errorf("%s: with schedules %.2f < idle %.2f", l.Name, l.WithSchedules, l.Idle)
		}
		if l.Name == "Nodes, onDemand" && math.Abs(l.Idle-3*rate*e.Usage.HoursPerMonth) > 0.01 {
			t.Errorf("on-demand nodes = %.2f, want 3 × %.3f × %g h", l.Idle, rate, e.Usage.HoursPerMonth)
		}
		if l.Name == "Interface endpoints" && !strings.Contains(l.Detail, "8 endpoints × 2 zones = 16 ENIs") {
			t.Errorf("endpoints line: %q", l.Detail)
		}
	}
	if math.Abs(idle-e.Total.Idle) > 0.01 || math.Abs(sched-e.Total.WithSchedules) > 0.01 || e.Total.WithSchedules <= e.Total.Idle {
		t.Errorf("totals %+v; lines sum to %.2f idle, %.2f with schedules", e.Total, idle, sched)
	}
	if len(e.Savings) != 3 || e.PricesDate == "" || len(e.Sources) == 0 {
		t.Errorf("savings %+v, date %q, sources %v", e.Savings, e.PricesDate, e.Sources)
	}
}

// The text output has the cost section, its total and the cuts.
func TestPlanPrintsCost(t *testing.T) {
	ios, _, out, _ := ui.Test()
	printPlanCost(ios, &cost.Estimate{Region: "us-east-1", Currency: "USD", PricesDate: "2026-11-30",
		Lines:   []cost.Line{{Name: "EKS control plane", Detail: "1 cluster", Idle: 73, WithSchedules: 73}},
		Total:   cost.Totals{Idle: 73, WithSchedules: 73},
		Savings: []cost.Saving{{Field: "network.interfaceEndpoints", Value: "[]", Idle: 117, WithSchedules: 117, TradeOff: "NAT"}}})
	for _, want := range []string{"Estimated monthly cost", "EKS control plane", "total", "1. network.interfaceEndpoints: [] saves $117.00/month idle"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
