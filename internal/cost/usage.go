package cost

// Usage is what the estimate assumes about everything the configuration
// does not fix: how much data flows and is stored, how long jobs run. The
// figures are stated in plan's output and JSON so a reader can redo the
// arithmetic with their own.
type Usage struct {
	// HoursPerMonth: AWS's own convention for monthly estimates.
	HoursPerMonth float64 `json:"hoursPerMonth"`
	// SpotDiscount is the fraction Spot saves on the on-demand price of
	// the group's types (their mean); AWS quotes "up to 90%".
	SpotDiscount float64 `json:"spotDiscount"`
	// NATGBIdle flows through the NAT gateways per month with nothing
	// running: node and add-on image pulls and updates, API calls without
	// an interface endpoint.
	NATGBIdle float64 `json:"natGBIdle"`
	// EndpointGB goes through the interface endpoints per month when they
	// exist, and through NAT when they do not.
	EndpointGB float64 `json:"endpointGB"`
	// FlowLogsGB of VPC flow log records per month (all traffic).
	FlowLogsGB float64 `json:"flowLogsGB"`
	// ControlPlaneLogsGB per month for each enabled control-plane log type.
	ControlPlaneLogsGB map[string]float64 `json:"controlPlaneLogsGB"`
	// ContainerInsightsGBPerNodeMonth of performance and container logs
	// the CloudWatch agent and Fluent Bit send for one node for a month.
	ContainerInsightsGBPerNodeMonth float64 `json:"containerInsightsGBPerNodeMonth"`
	// NotebookUsers each keep a home volume (platform.jupyterHub.homeSizeGiB).
	NotebookUsers int `json:"notebookUsers"`
	// DataLakeGB stored in S3 (data lake, code, logs buckets).
	DataLakeGB float64 `json:"dataLakeGB"`
	// AthenaTBPerMonth scanned by queries.
	AthenaTBPerMonth float64 `json:"athenaTBPerMonth"`
	// ALBLCUs: average load balancer capacity units of a public ALB.
	ALBLCUs float64 `json:"albLCUs"`
	// JobStepMinutes each Spark step keeps its executor nodes: the run
	// plus the cluster autoscaler's scale-down-unneeded-time (10 minutes
	// by default, cluster-autoscaler FAQ) before an empty node goes.
	JobStepMinutes float64 `json:"jobStepMinutes"`
	// ImagePullGB a new executor node pulls through NAT (the Arc image
	// comes from ghcr.io, not ECR).
	ImagePullGB float64 `json:"imagePullGB"`
}

// DefaultUsage is a small team's platform: two notebook users, 50 GB in
// the lake, the two sample pipelines daily.
func DefaultUsage() Usage {
	return Usage{
		HoursPerMonth: 730,
		SpotDiscount:  0.60,
		NATGBIdle:     10,
		EndpointGB:    20,
		FlowLogsGB:    5,
		ControlPlaneLogsGB: map[string]float64{
			"api": 1, "audit": 3, "authenticator": 0.5, "controllerManager": 0.5, "scheduler": 0.2,
		},
		ContainerInsightsGBPerNodeMonth: 3,
		NotebookUsers:                   2,
		DataLakeGB:                      50,
		AthenaTBPerMonth:                0.1,
		ALBLCUs:                         1,
		JobStepMinutes:                  20,
		ImagePullGB:                     1,
	}
}
