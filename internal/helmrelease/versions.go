package helmrelease

// Every upstream chart and image blueprint installs, pinned here and only
// here. Bumping one is a one-line change plus a refreshed golden file
// (go test ./internal/helmrelease -run Values -update).

// Upstream is one pinned upstream chart.
type Upstream struct {
	// Chart is the chart's name in its repository.
	Chart string
	// Repository is the chart repository URL (an index.yaml lives there).
	Repository string
	// Version is the chart version; AppVersion the software it deploys.
	Version, AppVersion string
}

// Argo Workflows: argo-helm's chart 1.0.18 deploys v4.0.6, which fixes
// CVE-2026-54526 (GHSA-48p8-g2fx-3wwm) in v4.0.5 / chart 1.0.13 (argo-helm
// tag argo-workflows-1.0.18, charts/argo-workflows/Chart.yaml).
//
// Two other pins stay on v4.0.5, on purpose: the Go module proxy serves
// github.com/argoproj/argo-workflows/v4 only up to v4.0.5, so Argo's own
// validator (tools/argovalidate, bin/argovalidate) is built from v4.0.5,
// and manifests.ArgoCRDs are the v4.0.5 module's CRDs
// (manifests.ArgoVersion). TestArgoCRDsMatchChart compares them with the
// CRDs chart 1.0.18 ships (files/crds/full): the only schema difference
// is CronWorkflow's spec.schedules pattern, which v4.0.6 widens to allow
// letters (day and month names, "MON-FRI"); v4.0.5's pattern is the
// stricter one, so every CronWorkflow the CRDs admit, v4.0.6 runs.
func argoWorkflowsChart() Upstream {
	return Upstream{
		Chart:      "argo-workflows",
		Repository: "https://argoproj.github.io/argo-helm",
		Version:    "1.0.18",
		AppVersion: "v4.0.6",
	}
}

// JupyterHub: zero-to-jupyterhub 4.4.0 (2026-06-10, JupyterHub 5.5.0, a
// security release; docs/source/changelog.md of
// jupyterhub/zero-to-jupyterhub-k8s).
func jupyterHubChart() Upstream {
	return Upstream{
		Chart:      "jupyterhub",
		Repository: "https://hub.jupyter.org/helm-chart/",
		Version:    "4.4.0",
		AppVersion: "5.5.0",
	}
}

// cluster-autoscaler: chart 9.59.0 from kubernetes/autoscaler (its default
// image is v1.35.0); blueprint always sets the image tag for the cluster's
// minor version (autoscalerImageTag).
func clusterAutoscalerChart() Upstream {
	return Upstream{
		Chart:      "cluster-autoscaler",
		Repository: "https://kubernetes.github.io/autoscaler",
		Version:    "9.59.0",
		AppVersion: "1.35.0",
	}
}

// AWS Load Balancer Controller: eks-charts' chart 1.17.1 deploys
// controller v2.17.1 (the chart's minor.patch follow the controller's, see
// awsdocs/amazon-eks-user-guide#1010).
func loadBalancerControllerChart() Upstream {
	return Upstream{
		Chart:      "aws-load-balancer-controller",
		Repository: "https://aws.github.io/eks-charts",
		Version:    "1.17.1",
		AppVersion: "v2.17.1",
	}
}

// autoscalerImage is cluster-autoscaler's image repository.
const autoscalerImage = "registry.k8s.io/autoscaling/cluster-autoscaler"

// autoscalerImageTag is the cluster-autoscaler release for a Kubernetes
// minor version: the autoscaler must match the cluster's minor. Latest
// patches of kubernetes/autoscaler releases cluster-autoscaler-1.34.5,
// -1.35.2 and -1.36.1 (2026-07-23). One case per
// config.SupportedKubernetesVersions (a test checks).
func autoscalerImageTag(minor string) (string, bool) {
	switch minor {
	case "1.34":
		return "v1.34.5", true
	case "1.35":
		return "v1.35.2", true
	case "1.36":
		return "v1.36.1", true
	}
	return "", false
}

// The Arc kernel notebook image: Arc Jupyter 3.12.1 on Scala 2.12 /
// Hadoop 3.2.0, image 1.5.0, the tag the AWS sample this platform derives
// from runs (aws-samples/sql-based-etl-on-amazon-eks,
// spark-on-eks/source/app_resources/jupyter-values.yaml).
const (
	arcJupyterImage = "ghcr.io/tripl-ai/arc-jupyter"
	arcJupyterTag   = "arc-jupyter_3.12.1_scala_2.12_hadoop_3.2.0_1.5.0"
)
