package cost_test

import (
	"encoding/json"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/cost"
	"github.com/sqletl/blueprint/internal/helmrelease"
	"github.com/sqletl/blueprint/internal/instancetypes"
	"github.com/sqletl/blueprint/jobs"
)

// sources are the real ones plan uses: the embedded sample jobs and the
// chart's executor placement.
var sources = cost.Sources{Jobs: jobs.Samples, ExecutorNodes: helmrelease.ExecutorNodes}

func estimate(t *testing.T, yaml string) *cost.Estimate {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return estimateCfg(t, cfg)
}

func estimateCfg(t *testing.T, cfg *config.Config) *cost.Estimate {
	t.Helper()
	p, err := cost.ForRegion(cfg.Region)
	if err != nil {
		t.Fatal(err)
	}
	q, err := cost.FromConfig(cfg, sources)
	if err != nil {
		t.Fatalf("quantities: %v", err)
	}
	e, err := cost.Compute(q, p, cost.DefaultUsage())
	if err != nil {
		t.Fatalf("compute: %v", err)
	}
	return e
}

func line(t *testing.T, e *cost.Estimate, name string) cost.Line {
	t.Helper()
	for _, l := range e.Lines {
		if l.Name == name {
			return l
		}
	}
	return cost.Line{Name: name} // absent: costs nothing
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.011 }

// Every instance type config validation accepts has a price in every
// tabulated region, so no accepted config leaves plan without an estimate.
func TestEveryInstanceTypeHasAPrice(t *testing.T) {
	for _, region := range cost.Regions() {
		p, _ := cost.ForRegion(region)
		for _, name := range instancetypes.Names() {
			if r, err := p.InstanceHour(name); err != nil || r <= 0 {
				t.Errorf("%s %s: %v, %v", region, name, r, err)
			}
		}
	}
	if _, err := cost.ForRegion(config.DefaultRegion); err != nil {
		t.Errorf("the default region: %v", err)
	}
	if _, err := cost.ForRegion("eu-west-1"); err == nil || !strings.Contains(err.Error(), "us-east-1") {
		t.Errorf("an untabulated region: %v, want an error naming the tabulated ones", err)
	}
}

// Changing one config field moves its own line, by what the price table
// says it should.
func TestConfigFieldMovesItsLine(t *testing.T) {
	p, _ := cost.ForRegion("us-east-1")
	u := cost.DefaultUsage()
	h := u.HoursPerMonth
	spotMean := 0.0
	for _, n := range config.DefaultSpotInstanceTypes {
		r, _ := p.InstanceHour(n)
		spotMean += r / float64(len(config.DefaultSpotInstanceTypes))
	}
	for _, tc := range []struct {
		name, yaml, line string
		idle             float64
	}{
		{"default endpoints: 8 × 2 zones", "", "Interface endpoints", 16*p.InterfaceEndpointHour*h + u.EndpointGB*p.InterfaceEndpointGB},
		{"three zones: 8 × 3 ENIs", "network: {azCount: 3}", "Interface endpoints", 24*p.InterfaceEndpointHour*h + u.EndpointGB*p.InterfaceEndpointGB},
		{"one endpoint", "network: {interfaceEndpoints: [sts]}", "Interface endpoints", 2*p.InterfaceEndpointHour*h + u.EndpointGB*p.InterfaceEndpointGB},
		{"no endpoints", "network: {interfaceEndpoints: []}", "Interface endpoints", 0},
		{"no endpoints: their traffic goes through NAT", "network: {interfaceEndpoints: []}", "NAT gateways", p.NATGatewayHour*h + (u.NATGBIdle+u.EndpointGB)*p.NATGatewayGB},
		{"two NAT gateways", "network: {natGateways: 2}", "NAT gateways", 2*p.NATGatewayHour*h + u.NATGBIdle*p.NATGatewayGB},
		{"two NAT gateways: two Elastic IPs", "network: {natGateways: 2}", "Public IPv4 addresses", 2 * p.PublicIPv4Hour * h},
		{"default on-demand nodes", "", "Nodes, onDemand", 2 * 0.192 * h},
		{"three on-demand nodes", "nodeGroups: {onDemand: {desiredSize: 3}}", "Nodes, onDemand", 3 * 0.192 * h},
		{"another on-demand type", "nodeGroups: {onDemand: {instanceTypes: [m6a.2xlarge]}}", "Nodes, onDemand", 2 * 0.0864 * 4 * h},
		{"two Spot nodes at the stated discount", "nodeGroups: {spot: {desiredSize: 2}}", "Nodes, spot", 2 * spotMean * (1 - u.SpotDiscount) * h},
		{"bigger root disks", "nodeGroups: {onDemand: {diskSizeGiB: 200}}", "EBS, node root volumes", 2 * 200 * p.EBSGp3GBMonth},
		{"bigger homes", "platform: {jupyterHub: {homeSizeGiB: 50}}", "EBS, JupyterHub database and homes", float64(1+u.NotebookUsers*50) * p.EBSGp3GBMonth},
		{"no hub, no hub volumes", "platform: {jupyterHub: {enabled: false}}", "EBS, JupyterHub database and homes", 0},
		{"one control-plane log type", "cluster: {logTypes: [audit]}", "EKS control-plane logs", u.ControlPlaneLogsGB["audit"] * (p.LogsIngestGB + p.LogsStoreGBMonth)},
		{"Container Insights follows the node count", "nodeGroups: {onDemand: {desiredSize: 4}}", "Container Insights", 4 * u.ContainerInsightsGBPerNodeMonth * p.LogsIngestGB},
		{"no public access, no load balancer", "", "Load balancer (public JupyterHub)", 0},
		{"public access: an ALB", `platform: {publicAccess: {enabled: true, domain: etl.example.com, certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"}}`,
			"Load balancer (public JupyterHub)", (p.ALBHour + u.ALBLCUs*p.ALBLCUHour + 2*p.PublicIPv4Hour) * h},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := line(t, estimate(t, tc.yaml), tc.line).Idle; !near(got, tc.idle) {
				t.Errorf("%s idle = %.2f, want %.2f", tc.line, got, tc.idle)
			}
		})
	}
}

// The schedules add executor node-hours to the group executors run on:
// Spot by default, the on-demand group with Spot off.
func TestSchedulesAddExecutorNodes(t *testing.T) {
	u := cost.DefaultUsage()
	steps, err := cost.SampleSteps(jobs.Samples)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, yaml, group string
		spot              bool
	}{
		{"Spot on", "", "Nodes, spot", true},
		{"Spot off", "nodeGroups: {spot: {enabled: false}, onDemand: {maxSize: 12}}", "Nodes, onDemand", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			nodes, err := helmrelease.ExecutorNodes(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var nodeHours float64
			for _, s := range steps {
				nodeHours += s.RunsPerMonth * float64(nodes[s.Size]) * u.JobStepMinutes / 60
			}
			g := cfg.NodeGroups.OnDemand
			if tc.spot {
				g = cfg.NodeGroups.Spot
			}
			p, _ := cost.ForRegion("us-east-1")
			var rate float64
			for _, n := range g.InstanceTypes {
				r, _ := p.InstanceHour(n)
				rate += r / float64(len(g.InstanceTypes))
			}
			if tc.spot {
				rate *= 1 - u.SpotDiscount
			} else {
				rate, _ = p.InstanceHour(g.InstanceTypes[0]) // on-demand: the first listed type
			}
			l := line(t, estimateCfg(t, cfg), tc.group)
			if nodeHours <= 0 || !near(l.WithSchedules-l.Idle, nodeHours*rate) {
				t.Errorf("%s: schedules add %.2f, want %.0f node-hours × %.4f = %.2f", tc.group, l.WithSchedules-l.Idle, nodeHours, rate, nodeHours*rate)
			}
		})
	}
}

func TestSampleSteps(t *testing.T) {
	steps, err := cost.SampleSteps(jobs.Samples)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range steps {
		got[s.Job+"/"+s.Task] = s.Size
		if !near(s.RunsPerMonth, 365.0/12) { // both samples run daily
			t.Errorf("%s/%s runs %.2f times a month, want daily", s.Job, s.Task, s.RunsPerMonth)
		}
	}
	want := map[string]string{
		"scd2-contacts/initial-load": "small", "scd2-contacts/delta-load": "small", "scd2-contacts/merge": "medium",
		"nyc-taxi/daily-summary": "small",
	}
	if len(got) != len(want) {
		t.Errorf("steps = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: size %q, want %q", k, got[k], v)
		}
	}
}

func TestRunsPerMonth(t *testing.T) {
	const month = 365.0 / 12
	for _, tc := range []struct {
		schedule string
		want     float64
		err      bool
	}{
		{"30 2 * * *", month, false},
		{"0 */6 * * *", 4 * month, false},
		{"0,30 9-17 * * *", 18 * month, false},
		{"0 4 * * 1-5", month * 5 / 7, false},
		{"0 0 * * 0,7", month / 7, false},
		{"0 4 1 * *", 1, false},
		{"0 4 1 1 *", 1.0 / 12, false},
		{"0 4 * *", 0, true},
		{"0 4 * * MON", 0, true},
		{"61 4 * * *", 0, true},
	} {
		t.Run(tc.schedule, func(t *testing.T) {
			got, err := cost.RunsPerMonth(tc.schedule)
			if (err != nil) != tc.err || !near(got, tc.want) {
				t.Errorf("cost.RunsPerMonth = %.3f, %v; want %.3f, error %v", got, err, tc.want, tc.err)
			}
		})
	}
}

// The README's figure for the default's idle cost is the computed one.
func TestREADMEStatesDefaultIdleCost(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`default configuration\s+costs about\s+\$([0-9,]+)\s+a month idle`).FindSubmatch(b)
	if m == nil {
		t.Fatal("README.md does not state the default's idle cost as \"default configuration costs about $N a month idle\"")
	}
	stated, _ := strconv.Atoi(strings.ReplaceAll(string(m[1]), ",", ""))
	if got := int(math.Round(estimate(t, "").Total.Idle)); got != stated {
		t.Errorf("README states $%d a month idle; the default config's estimate is $%d: update the README", stated, got)
	}
}

// examples/cost-optimized.yaml loads, validates, keeps every feature of
// the default and costs at most half of it idle.
func TestCostOptimizedExampleHalvesIdle(t *testing.T) {
	cfg, err := config.Load("../../examples/cost-optimized.yaml", true)
	if err != nil {
		t.Fatal(err)
	}
	def, _ := config.Parse(nil)
	features := func(c *config.Config) map[string]bool {
		p := c.Platform
		return map[string]bool{
			"argoWorkflows": p.ArgoWorkflows.IsEnabled(), "jupyterHub": p.JupyterHub.IsEnabled(),
			"clusterAutoscaler": p.ClusterAutoscaler.IsEnabled(), "sparkHistory": p.SparkHistory.IsEnabled(),
			"spot": c.NodeGroups.Spot.IsEnabled(), "publicEndpoint": c.Cluster.PublicEndpoint(),
			"allControlPlaneLogs": len(c.Cluster.LogTypes) == len(config.ControlPlaneLogTypes),
		}
	}
	want, got := features(def), features(cfg)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %v in the example, %v by default; the example must keep every feature", k, got[k], v)
		}
	}
	base, opt := estimateCfg(t, def), estimateCfg(t, cfg)
	if opt.Total.Idle > base.Total.Idle/2 {
		t.Errorf("cost-optimized idle = $%.2f, more than half the default's $%.2f", opt.Total.Idle, base.Total.Idle)
	}
	t.Logf("idle: default $%.2f, cost-optimized $%.2f", base.Total.Idle, opt.Total.Idle)
}

// Each suggested saving is the difference between the estimates of the
// config with and without the change, written as a user would.
func TestSuggestRepricesTheChangedConfig(t *testing.T) {
	cfg, _ := config.Parse(nil)
	p, _ := cost.ForRegion("us-east-1")
	got, err := cost.Suggest(cfg, sources, p, cost.DefaultUsage(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d suggestions, want 3: %+v", len(got), got)
	}
	asYAML := map[string]string{
		"network.interfaceEndpoints":        "network: {interfaceEndpoints: %s}",
		"nodeGroups.onDemand.desiredSize":   "nodeGroups: {onDemand: {desiredSize: %s}}",
		"nodeGroups.onDemand.instanceTypes": "nodeGroups: {onDemand: {instanceTypes: %s}}",
		"cluster.logTypes":                  "cluster: {logTypes: %s}",
		"nodeGroups.onDemand.diskSizeGiB":   "nodeGroups: {onDemand: {diskSizeGiB: %s}}",
	}
	base := estimate(t, "")
	for i, s := range got {
		if i > 0 && s.Idle > got[i-1].Idle {
			t.Errorf("not sorted by saving: %+v", got)
		}
		if s.TradeOff == "" {
			t.Errorf("%s: no trade-off", s.Field)
		}
		tmpl, ok := asYAML[s.Field]
		if !ok {
			t.Errorf("unexpected suggestion %s", s.Field)
			continue
		}
		changed := estimate(t, strings.Replace(tmpl, "%s", s.Value, 1))
		if want := base.Total.Idle - changed.Total.Idle; !near(s.Idle, want) {
			t.Errorf("%s: %s saves $%.2f, but the estimates differ by $%.2f", s.Field, s.Value, s.Idle, want)
		}
	}
}

// Without a price table, JSON says why and carries no figures: a total of
// 0 would read as free.
func TestUnavailableEstimateJSON(t *testing.T) {
	b, err := json.Marshal(&cost.Estimate{Region: "eu-west-1", Unavailable: "no price table"})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != `{"region":"eu-west-1","unavailable":"no price table"}` {
		t.Errorf("JSON = %s", got)
	}
	b, _ = json.Marshal(estimate(t, ""))
	if !strings.Contains(string(b), `"total":{"idle":`) || !strings.Contains(string(b), `"lines":[`) {
		t.Errorf("JSON of an estimate lacks its lines or total: %s", b)
	}
}
