package stackreg

import "github.com/sqletl/blueprint/internal/config"

// LogGroup is a CloudWatch log group a deployment's stack creates before
// the AWS service that writes to it would (which would create it with no
// retention, outside any stack).
type LogGroup struct {
	Name string `json:"name"`
	// Stack is the role of the stack that creates it.
	Stack Role `json:"stack"`
	// For says what writes to it.
	For string `json:"for"`
}

// LogGroupPrefix holds every log group name blueprint chooses itself
// (the EKS and Container Insights names are AWS's).
func LogGroupPrefix(cfg *config.Config) string { return "/blueprint/" + cfg.Name + "/" }

// FlowLogGroup is the network stack's VPC flow log group.
func FlowLogGroup(cfg *config.Config) string { return LogGroupPrefix(cfg) + "vpc-flow-logs" }

// LogGroups lists the log groups of cfg's deployment: EKS's control-plane
// group (Amazon EKS User Guide, "Send control plane logs to CloudWatch
// Logs": /aws/eks/<cluster>/cluster), Container Insights' (Amazon
// CloudWatch User Guide: /aws/containerinsights/<cluster>/application,
// host, dataplane from Fluent Bit, performance from the CloudWatch agent)
// and the VPC flow logs. The cluster is named after the deployment.
func LogGroups(cfg *config.Config) []LogGroup {
	out := []LogGroup{
		{Name: FlowLogGroup(cfg), Stack: Network, For: "VPC flow logs (all traffic)"},
		{Name: "/aws/eks/" + cfg.Name + "/cluster", Stack: Cluster, For: "EKS control-plane logs"},
	}
	for _, g := range []string{"application", "dataplane", "host", "performance"} {
		out = append(out, LogGroup{Name: "/aws/containerinsights/" + cfg.Name + "/" + g, Stack: Cluster, For: "Container Insights " + g})
	}
	return out
}
