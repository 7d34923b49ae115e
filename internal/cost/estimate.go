package cost

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/config"
)

// Estimate is the monthly cost of one configuration.
type Estimate struct {
	Region     string   `json:"region"`
	Currency   string   `json:"currency"`
	PricesDate string   `json:"pricesDate"`
	Sources    []string `json:"sources"`
	Usage      Usage    `json:"usage"`
	Lines      []Line   `json:"lines"`
	Total      Totals   `json:"total"`
	// Savings are the config changes that cut the most (Suggest).
	Savings []Saving `json:"savings,omitempty"`
	// Unavailable says why there is no estimate (no price table).
	Unavailable string `json:"unavailable,omitempty"`
}

// MarshalJSON leaves out the empty figures of an estimate that could not
// be made: a total of 0 would read as free.
func (e Estimate) MarshalJSON() ([]byte, error) {
	if e.Unavailable != "" {
		return json.Marshal(struct {
			Region      string `json:"region"`
			Unavailable string `json:"unavailable"`
		}{e.Region, e.Unavailable})
	}
	type plain Estimate
	return json.Marshal(plain(e))
}

// Line is one priced item: idle (nothing running but the platform) and
// with the sample jobs' schedules.
type Line struct {
	Name          string  `json:"name"`
	Detail        string  `json:"detail"`
	Idle          float64 `json:"idle"`
	WithSchedules float64 `json:"withSchedules"`
}

// Totals sum the lines.
type Totals struct {
	Idle          float64 `json:"idle"`
	WithSchedules float64 `json:"withSchedules"`
}

// Compute prices q.
func Compute(q Quantities, p Prices, u Usage) (*Estimate, error) {
	e := &Estimate{Region: p.Region, Currency: "USD", PricesDate: p.Date, Sources: p.Sources, Usage: u}
	h := u.HoursPerMonth
	add := func(name, detail string, idle, sched float64) {
		e.Lines = append(e.Lines, Line{Name: name, Detail: detail, Idle: cents(idle), WithSchedules: cents(idle + sched)})
	}

	add("EKS control plane", fmt.Sprintf("%d cluster × $%g/h", q.Clusters, p.EKSClusterHour),
		float64(q.Clusters)*p.EKSClusterHour*h, 0)

	// Executor node-hours the schedules add, and the nodes they start.
	var jobNodeHours, jobNodeStarts float64
	for _, s := range q.Steps {
		jobNodeStarts += s.RunsPerMonth * float64(s.ExecutorNodes)
		jobNodeHours += s.RunsPerMonth * float64(s.ExecutorNodes) * u.JobStepMinutes / 60
	}
	var idleNodes int
	for _, g := range q.NodeGroups {
		rate, how, err := nodeRate(g, p, u)
		if err != nil {
			return nil, err
		}
		idleNodes += g.Desired
		var sched float64
		detail := fmt.Sprintf("%d × %s", g.Desired, how)
		if g.Spot == q.ExecutorGroup.Spot && jobNodeHours > 0 {
			sched = jobNodeHours * rate
			detail += fmt.Sprintf("; schedules add %.0f node-hours", jobNodeHours)
		}
		add("Nodes, "+g.Name, detail, float64(g.Desired)*rate*h, sched)
	}
	var rootGiB int
	for _, g := range q.NodeGroups {
		rootGiB += g.Desired * g.DiskGiB
	}
	add("EBS, node root volumes", fmt.Sprintf("%d GiB gp3 × $%g/GB-month", rootGiB, p.EBSGp3GBMonth),
		float64(rootGiB)*p.EBSGp3GBMonth, jobNodeHours/h*float64(q.ExecutorGroup.DiskGiB)*p.EBSGp3GBMonth)
	hubGiB := q.HubDBGiB + u.NotebookUsers*q.HomeGiB
	add("EBS, JupyterHub database and homes", fmt.Sprintf("%d GiB hub database + %d users × %d GiB home, gp3", q.HubDBGiB, u.NotebookUsers, q.HomeGiB),
		float64(hubGiB)*p.EBSGp3GBMonth, 0)

	natGB := u.NATGBIdle
	if q.InterfaceEndpoints == 0 {
		natGB += u.EndpointGB // AWS API traffic goes out through NAT instead
	}
	add("NAT gateways", fmt.Sprintf("%d × $%g/h + %.0f GB × $%g/GB; schedules add %.0f GB of image pulls", q.NATGateways, p.NATGatewayHour, natGB, p.NATGatewayGB, jobNodeStarts*u.ImagePullGB),
		float64(q.NATGateways)*p.NATGatewayHour*h+natGB*p.NATGatewayGB, jobNodeStarts*u.ImagePullGB*p.NATGatewayGB)
	add("Public IPv4 addresses", fmt.Sprintf("%d (NAT gateways' Elastic IPs) × $%g/h", q.PublicIPv4, p.PublicIPv4Hour),
		float64(q.PublicIPv4)*p.PublicIPv4Hour*h, 0)
	endpoints := float64(q.EndpointENIs) * p.InterfaceEndpointHour * h
	if q.InterfaceEndpoints > 0 {
		endpoints += u.EndpointGB * p.InterfaceEndpointGB
	}
	detail := fmt.Sprintf("%d endpoints × %d zones = %d ENIs × $%g/h", q.InterfaceEndpoints, zonesOf(q), q.EndpointENIs, p.InterfaceEndpointHour)
	if q.InterfaceEndpoints > 0 {
		detail += fmt.Sprintf(" + %g GB × $%g/GB", u.EndpointGB, p.InterfaceEndpointGB)
	} else {
		detail += fmt.Sprintf(" (their %g GB go through NAT)", u.EndpointGB)
	}
	add("Interface endpoints", detail, endpoints, 0)
	if q.PublicALB {
		add("Load balancer (public JupyterHub)", fmt.Sprintf("1 ALB × $%g/h + %g LCU × $%g/h + %d public IPv4", p.ALBHour, u.ALBLCUs, p.ALBLCUHour, q.Zones),
			(p.ALBHour+u.ALBLCUs*p.ALBLCUHour+float64(q.Zones)*p.PublicIPv4Hour)*h, 0)
	}
	if q.ContainerInsights {
		add("Container Insights", fmt.Sprintf("%d nodes × %g GB/month of logs × $%g/GB", idleNodes, u.ContainerInsightsGBPerNodeMonth, p.LogsIngestGB),
			float64(idleNodes)*u.ContainerInsightsGBPerNodeMonth*p.LogsIngestGB,
			jobNodeHours/h*u.ContainerInsightsGBPerNodeMonth*p.LogsIngestGB)
	}
	var cpGB float64
	for _, t := range q.ControlPlaneLogs {
		cpGB += u.ControlPlaneLogsGB[t]
	}
	add("EKS control-plane logs", fmt.Sprintf("%d log types, %.1f GB × ($%g ingest + $%g/GB-month stored)", len(q.ControlPlaneLogs), cpGB, p.LogsIngestGB, p.LogsStoreGBMonth),
		cpGB*(p.LogsIngestGB+p.LogsStoreGBMonth), 0)
	add("VPC flow logs", fmt.Sprintf("%d flow log, %g GB × ($%g delivery + $%g/GB-month stored)", q.FlowLogs, u.FlowLogsGB, p.VendedLogsGB, p.LogsStoreGBMonth),
		float64(q.FlowLogs)*u.FlowLogsGB*(p.VendedLogsGB+p.LogsStoreGBMonth), 0)
	add("S3", fmt.Sprintf("%g GB Standard × $%g/GB-month", u.DataLakeGB, p.S3StandardGBMonth),
		u.DataLakeGB*p.S3StandardGBMonth, 0)
	add("Athena", fmt.Sprintf("%g TB scanned × $%g/TB", u.AthenaTBPerMonth, p.AthenaTB),
		u.AthenaTBPerMonth*p.AthenaTB, 0)
	add("KMS keys and secrets", fmt.Sprintf("%d key × $%g + %d secret × $%g", q.KMSKeys, p.KMSKeyMonth, q.Secrets, p.SecretMonth),
		float64(q.KMSKeys)*p.KMSKeyMonth+float64(q.Secrets)*p.SecretMonth, 0)

	for _, l := range e.Lines {
		e.Total.Idle += l.Idle
		e.Total.WithSchedules += l.WithSchedules
	}
	e.Total.Idle, e.Total.WithSchedules = cents(e.Total.Idle), cents(e.Total.WithSchedules)
	return e, nil
}

// nodeRate is a node's hourly price in group g. On-demand capacity is
// launched in the listed order (EKS managed node groups' "prioritized"
// allocation), so the first type is priced; Spot at the stated discount
// on the mean of the listed types.
func nodeRate(g NodeGroup, p Prices, u Usage) (float64, string, error) {
	if len(g.InstanceTypes) == 0 {
		return 0, "", fmt.Errorf("node group %s lists no instance types", g.Name)
	}
	if !g.Spot {
		r, err := p.InstanceHour(g.InstanceTypes[0])
		return r, fmt.Sprintf("%s on-demand at $%g/h", g.InstanceTypes[0], r), err
	}
	var sum float64
	for _, t := range g.InstanceTypes {
		r, err := p.InstanceHour(t)
		if err != nil {
			return 0, "", err
		}
		sum += r
	}
	r := sum / float64(len(g.InstanceTypes)) * (1 - u.SpotDiscount)
	return r, fmt.Sprintf("Spot (%s) at %.0f%% below on-demand, $%.4f/h", strings.Join(g.InstanceTypes, ", "), u.SpotDiscount*100, r), nil
}

func zonesOf(q Quantities) int {
	if q.InterfaceEndpoints == 0 {
		return 0
	}
	return q.EndpointENIs / q.InterfaceEndpoints
}

func cents(v float64) float64 { return math.Round(v*100) / 100 }

// Print writes plan's cost section.
func (e *Estimate) Print(w io.Writer) {
	if e.Unavailable != "" {
		fmt.Fprintf(w, "  not estimated: %s\n", e.Unavailable)
		return
	}
	fmt.Fprintf(w, "  %s list prices of %s, %s per month\n", e.Region, e.PricesDate, e.Currency)
	fmt.Fprintf(w, "  %-36s %10s %15s\n", "", "idle", "with schedules")
	for _, l := range e.Lines {
		fmt.Fprintf(w, "  %-36s %10.2f %15.2f  %s\n", l.Name, l.Idle, l.WithSchedules, l.Detail)
	}
	fmt.Fprintf(w, "  %-36s %10.2f %15.2f\n", "total", e.Total.Idle, e.Total.WithSchedules)
	u := e.Usage
	fmt.Fprintf(w, "  assumes: %g h/month; Spot %.0f%% below on-demand; %d notebook users; %g GB in S3; %g TB scanned by Athena;\n",
		u.HoursPerMonth, u.SpotDiscount*100, u.NotebookUsers, u.DataLakeGB, u.AthenaTBPerMonth)
	fmt.Fprintf(w, "    %g GB/month through NAT idle, %g GB to AWS APIs, %g GB of flow logs, %g GB of Container Insights logs per node;\n",
		u.NATGBIdle, u.EndpointGB, u.FlowLogsGB, u.ContainerInsightsGBPerNodeMonth)
	fmt.Fprintf(w, "    each scheduled Spark step keeps its executor nodes %g minutes and each new node pulls %g GB of images\n",
		u.JobStepMinutes, u.ImagePullGB)
	fmt.Fprintf(w, "  prices: %s\n", strings.Join(e.Sources, " "))
	if len(e.Savings) > 0 {
		fmt.Fprintln(w, "  biggest cuts (each priced by estimating the changed config):")
		for i, s := range e.Savings {
			fmt.Fprintf(w, "    %d. %s: %s saves $%.2f/month idle ($%.2f with schedules); trade-off: %s\n",
				i+1, s.Field, s.Value, s.Idle, s.WithSchedules, s.TradeOff)
		}
	}
}

// ForPlan estimates cfg with every quantity a template holds read from the
// synthesized assembly, and adds the three changes that cut the most. A
// region without a price table gives an Estimate that says so.
func ForPlan(cfg *config.Config, asm *assembly.Assembly, src Sources) (*Estimate, error) {
	p, err := ForRegion(cfg.Region)
	if err != nil {
		return &Estimate{Region: cfg.Region, Currency: "USD", Unavailable: err.Error()}, nil
	}
	u := DefaultUsage()
	q, err := FromConfig(cfg, src)
	if err != nil {
		return nil, err
	}
	if asm != nil {
		if q, err = FromAssembly(asm, q); err != nil {
			return nil, err
		}
	}
	e, err := Compute(q, p, u)
	if err != nil {
		return nil, err
	}
	if e.Savings, err = Suggest(cfg, src, p, u, 3); err != nil {
		return nil, err
	}
	return e, nil
}
