package platform

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/kube"
	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/stackreg"
)

// ClusterInspector summarises the cluster's nodes and version.
type ClusterInspector interface {
	Inspect(ctx context.Context, kube *rest.Config) (*ClusterSummary, error)
}

// ClusterSummary is the Kubernetes side of status (defined with the
// inspector in internal/kube, which must not import this package).
type ClusterSummary = kube.ClusterSummary

// NodeGroupCount counts nodes of one node group and capacity type.
type NodeGroupCount = kube.NodeGroupCount

// StatusOptions report what is deployed.
type StatusOptions struct {
	Config          *config.Config
	AWS             AWS
	Cluster         Cluster
	Inspector       ClusterInspector
	Releases        Releases
	ExternalCluster bool
	// Registry lists the stacks; nil is stackreg.For(Config).
	Registry *stackreg.Registry
}

// StatusResult is the status view.
type StatusResult struct {
	Name      string          `json:"name"`
	Region    string          `json:"region"`
	Stacks    []StackState    `json:"stacks"`
	Cluster   *ClusterSummary `json:"cluster,omitempty"`
	Endpoint  string          `json:"endpoint,omitempty"`
	Releases  []ReleaseStatus `json:"releases"`
	DataLake  string          `json:"dataLake,omitempty"`
	Workgroup string          `json:"athenaWorkgroup,omitempty"`
	// Problems lists what could not be inspected; status still reports the rest.
	Problems []string `json:"problems"`
}

// StackState is one stack's CloudFormation state.
type StackState struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Updated string `json:"updated,omitempty"`
}

// Run gathers the status. Missing parts are reported, not errors.
func (o *StatusOptions) Run(ctx context.Context) (*StatusResult, error) {
	res := &StatusResult{Name: o.Config.Name, Region: o.Config.Region, Releases: []ReleaseStatus{}, Problems: []string{}}
	reg := o.Registry
	if reg == nil {
		reg = stackreg.For(o.Config)
	}
	for _, name := range reg.Names() {
		st := StackState{Name: name, Status: "NOT_DEPLOYED"}
		out, err := o.AWS.Stacks.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
		switch {
		case outputs.IsStackMissing(err):
		case err != nil:
			return nil, fmt.Errorf("describing stack %q: %w", name, err)
		case len(out.Stacks) > 0:
			s := out.Stacks[0]
			st.Status = string(s.StackStatus)
			t := aws.ToTime(s.LastUpdatedTime)
			if t.IsZero() {
				t = aws.ToTime(s.CreationTime)
			}
			st.Updated = t.UTC().Format("2006-01-02 15:04:05Z")
		}
		res.Stacks = append(res.Stacks, st)
	}
	out, err := outputs.ReadRegistry(ctx, o.AWS.Stacks, reg)
	if err != nil {
		return nil, err
	}
	res.DataLake, res.Workgroup, res.Endpoint = out.DataLakeBucket, out.AthenaWorkgroup, out.ClusterEndpoint
	if !out.Deployed[reg.Stack(stackreg.Cluster).Name] && !o.ExternalCluster {
		return res, nil
	}
	kube, err := o.Cluster.Connect(ctx, out)
	if err != nil {
		res.Problems = append(res.Problems, "cluster: "+err.Error())
		return res, nil
	}
	if res.Endpoint == "" {
		res.Endpoint = kube.Host
	}
	if o.Inspector != nil {
		if res.Cluster, err = o.Inspector.Inspect(ctx, kube); err != nil {
			res.Problems = append(res.Problems, "nodes: "+err.Error())
		}
	}
	if rel, err := o.Releases.List(ctx, kube, o.Config); err != nil {
		res.Problems = append(res.Problems, "releases: "+err.Error())
	} else {
		res.Releases = rel
	}
	return res, nil
}
