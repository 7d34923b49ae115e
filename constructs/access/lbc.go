package access

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// The tag the AWS Load Balancer Controller puts on every load balancer,
// target group and security group it creates, with the cluster's name as
// value. Conditions on it confine the controller to its own resources.
const lbcClusterTag = "elbv2.k8s.aws/cluster"

// loadBalancerControllerStatements follow the AWS Load Balancer
// Controller's published IAM policy (v2.x), narrowed from "tagged by some
// cluster" to "tagged by this cluster": describe calls and listener/rule
// changes have no resource-level permissions; creating, changing and deleting
// load balancers, target groups and security groups is tied to the tag.
func loadBalancerControllerStatements(cluster *string) []awsiam.PolicyStatement {
	arn := func(service, resource string) string {
		return "arn:" + *awscdk.Aws_PARTITION() + ":" + service + ":" + *awscdk.Aws_REGION() + ":" + *awscdk.Aws_ACCOUNT_ID() + ":" + resource
	}
	ours := map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/" + lbcClusterTag: cluster}}
	taggingOurs := map[string]any{"StringEquals": map[string]any{"aws:RequestTag/" + lbcClusterTag: cluster}}
	elbResources := []string{
		arn("elasticloadbalancing", "targetgroup/*/*"),
		arn("elasticloadbalancing", "loadbalancer/net/*/*"),
		arn("elasticloadbalancing", "loadbalancer/app/*/*"),
	}
	securityGroups := arn("ec2", "security-group/*")
	st := func(sid string, actions []string, resources []string, cond map[string]any) awsiam.PolicyStatement {
		p := &awsiam.PolicyStatementProps{Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...)}
		if cond != nil {
			p.Conditions = &cond
		}
		return awsiam.NewPolicyStatement(p)
	}
	all := []string{"*"}
	return []awsiam.PolicyStatement{
		st("ServiceLinkedRole", []string{"iam:CreateServiceLinkedRole"}, all,
			map[string]any{"StringEquals": map[string]any{"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}),
		st("Describe", []string{
			"ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
			"ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
			"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
			"ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:DescribeRouteTables",
			"ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools",
			"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
			"elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
			"elasticloadbalancing:DescribeListenerAttributes", "elasticloadbalancing:DescribeSSLPolicies",
			"elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups",
			"elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth",
			"elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTrustStores",
			"elasticloadbalancing:DescribeCapacityReservation",
		}, all, nil),
		// The HTTPS listener's certificate (ACM), and the WAF/Shield lookups
		// the controller makes for every ALB it reconciles.
		st("CertificatesAndProtection", []string{
			"acm:ListCertificates", "acm:DescribeCertificate", "iam:ListServerCertificates", "iam:GetServerCertificate",
			"cognito-idp:DescribeUserPoolClient",
			"waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL",
			"wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
			"shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection",
		}, all, nil),
		st("CreateSecurityGroups", []string{"ec2:CreateSecurityGroup"}, all, nil),
		st("TagNewSecurityGroups", []string{"ec2:CreateTags"}, []string{securityGroups}, map[string]any{
			"StringEquals": map[string]any{"ec2:CreateAction": "CreateSecurityGroup", "aws:RequestTag/" + lbcClusterTag: cluster},
		}),
		st("TagOwnSecurityGroups", []string{"ec2:CreateTags", "ec2:DeleteTags"}, []string{securityGroups}, ours),
		// Ingress rules are also added to the cluster's node security group,
		// which the controller did not create (no tag): so no condition.
		st("SecurityGroupIngress", []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"}, all, nil),
		st("DeleteOwnSecurityGroups", []string{"ec2:DeleteSecurityGroup"}, all, ours),
		st("CreateLoadBalancers", []string{"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"}, all, taggingOurs),
		st("TagOnCreate", []string{"elasticloadbalancing:AddTags"}, elbResources, map[string]any{
			"StringEquals": map[string]any{
				"elasticloadbalancing:CreateAction": []string{"CreateTargetGroup", "CreateLoadBalancer"},
				"aws:RequestTag/" + lbcClusterTag:   cluster,
			},
		}),
		st("TagOwnLoadBalancers", []string{"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"}, elbResources, ours),
		st("TagListenersAndRules", []string{"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"}, []string{
			arn("elasticloadbalancing", "listener/net/*/*/*"), arn("elasticloadbalancing", "listener/app/*/*/*"),
			arn("elasticloadbalancing", "listener-rule/net/*/*/*"), arn("elasticloadbalancing", "listener-rule/app/*/*/*"),
		}, nil),
		st("ChangeOwnLoadBalancers", []string{
			"elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
			"elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets", "elasticloadbalancing:DeleteLoadBalancer",
			"elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes",
			"elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:ModifyListenerAttributes",
			"elasticloadbalancing:ModifyCapacityReservation", "elasticloadbalancing:ModifyIpPools",
		}, all, ours),
		st("Targets", []string{"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"},
			[]string{arn("elasticloadbalancing", "targetgroup/*/*")}, nil),
		st("ListenersAndRules", []string{
			"elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
			"elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule",
			"elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
			"elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
			"elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities",
		}, all, nil),
	}
}
