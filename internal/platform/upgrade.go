package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/eksversions"
)

// ClusterVersionAPI reads the deployed control plane's Kubernetes version.
type ClusterVersionAPI interface {
	DescribeCluster(context.Context, *eks.DescribeClusterInput, ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
}

// ClusterUpgrade is what `up` found when it compared the deployed cluster
// with cluster.version.
type ClusterUpgrade struct {
	Deployed string // "" when no cluster exists yet
	Target   string
	Change   eksversions.Change
}

// checkClusterVersion reads the deployed cluster's version and refuses,
// before any stack is touched, a downgrade or a skip of more than one
// minor: EKS would refuse them too, but only halfway through a deploy.
func (o *UpOptions) checkClusterVersion(ctx context.Context) (*ClusterUpgrade, error) {
	u := &ClusterUpgrade{Target: o.Config.Cluster.Version, Change: eksversions.Create}
	if o.ExternalCluster || o.AWS.Clusters == nil {
		return u, nil
	}
	out, err := o.AWS.Clusters.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(o.Config.Name)})
	var notFound *ekstypes.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		return u, nil
	case err != nil:
		return nil, fmt.Errorf("reading the version of cluster %q: %w", o.Config.Name, err)
	}
	u.Deployed = aws.ToString(out.Cluster.Version)
	u.Change, err = eksversions.CheckUpgrade(u.Deployed, u.Target)
	if err != nil {
		// A config problem found against the account: exit code 3,
		// nothing was changed.
		return nil, &config.ValidationError{Problems: []string{"cluster.version: " + err.Error()}}
	}
	return u, nil
}

// Detail is the step's one-line outcome.
func (u *ClusterUpgrade) Detail() string {
	switch u.Change {
	case eksversions.Same:
		return "Kubernetes " + u.Deployed + ", unchanged"
	case eksversions.Upgrade:
		return fmt.Sprintf("upgrade %s → %s: control plane, then add-ons, then node groups", u.Deployed, u.Target)
	}
	return "no cluster yet; creating Kubernetes " + u.Target
}

// UpgradeStage is one template of a staged cluster upgrade.
type UpgradeStage struct {
	Name     string
	Template []byte
}

// UpgradeStages splits a one-minor upgrade of the cluster stack into the
// order the upgrade runs: the control plane alone (every add-on and node
// group keeps its deployed version), then the add-ons, then the node
// groups (the final template, deployed by the caller). CloudFormation
// alone would update the add-ons and node groups in dependency order,
// which runs the node groups (they wait for vpc-cni and kube-proxy) before
// coredns, EBS CSI and CloudWatch. Kubernetes' skew policy allows either
// order (kubelet and kube-proxy within three minors of each other, neither
// newer than the API server); this one keeps every node group roll to one
// pass, onto nodes whose add-ons are already at the new version.
//
// deployed is the cluster stack's current template (GetTemplate); a
// version property the deployed resource lacks is removed for the stage.
func UpgradeStages(final, deployed []byte) ([]UpgradeStage, error) {
	var old template
	if err := json.Unmarshal(deployed, &old); err != nil {
		return nil, fmt.Errorf("deployed cluster template: %w", err)
	}
	controlPlane, err := withDeployedVersions(final, old, "AWS::EKS::Addon", "AWS::EKS::Nodegroup")
	if err != nil {
		return nil, err
	}
	addons, err := withDeployedVersions(final, old, "AWS::EKS::Nodegroup")
	if err != nil {
		return nil, err
	}
	return []UpgradeStage{{"control plane", controlPlane}, {"add-ons", addons}}, nil
}

type template struct {
	Resources map[string]struct {
		Type       string         `json:"Type"`
		Properties map[string]any `json:"Properties"`
	} `json:"Resources"`
}

// versionProps are the properties that carry a version, by resource type.
var versionProps = map[string][]string{
	"AWS::EKS::Addon":     {"AddonVersion"},
	"AWS::EKS::Nodegroup": {"Version", "ReleaseVersion"},
}

// withDeployedVersions returns final with the version properties of the
// given resource types set back to what old has.
func withDeployedVersions(final []byte, old template, types ...string) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(final, &doc); err != nil {
		return nil, fmt.Errorf("cluster template: %w", err)
	}
	resources, _ := doc["Resources"].(map[string]any)
	for id, raw := range resources {
		r, _ := raw.(map[string]any)
		typ, _ := r["Type"].(string)
		if !slices.Contains(types, typ) {
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		if props == nil {
			continue
		}
		was := old.Resources[id].Properties
		for _, p := range versionProps[typ] {
			if v, ok := was[p]; ok {
				props[p] = v
			} else {
				delete(props, p)
			}
		}
	}
	return json.Marshal(doc)
}

// deployedTemplate reads a stack's current template body.
func (o *UpOptions) deployedTemplate(ctx context.Context, stack string) ([]byte, error) {
	out, err := o.AWS.Stacks.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(stack)})
	if err != nil {
		return nil, fmt.Errorf("reading the deployed template of %q: %w", stack, err)
	}
	return []byte(aws.ToString(out.TemplateBody)), nil
}

// upgradeClusterInStages deploys the cluster stack's upgrade stages
// before the caller deploys its final template; a no-op unless
// checkClusterVersion found a one-minor upgrade.
func (o *UpOptions) upgradeClusterInStages(ctx context.Context, stack string, final []byte, deployStage func(body []byte) error) error {
	if o.upgrade == nil || o.upgrade.Change != eksversions.Upgrade {
		return nil
	}
	deployed, err := o.deployedTemplate(ctx, stack)
	if err != nil {
		return err
	}
	stages, err := UpgradeStages(final, deployed)
	if err != nil {
		return err
	}
	for _, s := range stages {
		o.Progress.Info("Upgrading %s to Kubernetes %s: %s", stack, o.upgrade.Target, s.Name)
		if err := deployStage(s.Template); err != nil {
			return fmt.Errorf("upgrading the %s: %w", s.Name, err)
		}
	}
	o.Progress.Info("Upgrading %s to Kubernetes %s: node groups", stack, o.upgrade.Target)
	return nil
}
