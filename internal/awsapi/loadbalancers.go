package awsapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// LoadBalancerAPI is the ELBv2 calls ClusterLoadBalancers makes.
type LoadBalancerAPI interface {
	DescribeLoadBalancers(context.Context, *elbv2.DescribeLoadBalancersInput, ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error)
	DescribeTags(context.Context, *elbv2.DescribeTagsInput, ...func(*elbv2.Options)) (*elbv2.DescribeTagsOutput, error)
}

// LoadBalancers finds the load balancers Kubernetes controllers created
// for one cluster, by the ownership tags they set: the AWS Load Balancer
// Controller's elbv2.k8s.aws/cluster, and the in-tree service
// controller's kubernetes.io/cluster/<name>=owned. Load balancers of other
// clusters or made by hand are never matched.
type LoadBalancers struct{ API LoadBalancerAPI }

// ClusterLoadBalancers returns the ARNs of cluster's load balancers.
func (l LoadBalancers) ClusterLoadBalancers(ctx context.Context, cluster string) ([]string, error) {
	var arns []string
	p := elbv2.NewDescribeLoadBalancersPaginator(l.API, &elbv2.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing load balancers: %w", err)
		}
		for _, lb := range page.LoadBalancers {
			arns = append(arns, aws.ToString(lb.LoadBalancerArn))
		}
	}
	var owned []string
	for i := 0; i < len(arns); i += 20 { // DescribeTags takes 20 ARNs at a time
		batch := arns[i:min(i+20, len(arns))]
		out, err := l.API.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: batch})
		if err != nil {
			return nil, fmt.Errorf("reading load balancer tags: %w", err)
		}
		for _, d := range out.TagDescriptions {
			for _, t := range d.Tags {
				k, v := aws.ToString(t.Key), aws.ToString(t.Value)
				if (k == "elbv2.k8s.aws/cluster" && v == cluster) || (k == "kubernetes.io/cluster/"+cluster && v == "owned") {
					owned = append(owned, aws.ToString(d.ResourceArn))
					break
				}
			}
		}
	}
	return owned, nil
}
