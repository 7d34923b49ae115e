package config

import (
	"strings"
	"testing"
	"time"
)

func TestPlatformDefaults(t *testing.T) {
	cfg, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Platform
	for name, r := range map[string]Release{
		"argoWorkflows": p.ArgoWorkflows, "jupyterHub": p.JupyterHub.Release,
		"clusterAutoscaler": p.ClusterAutoscaler, "loadBalancerController": p.LoadBalancerController,
	} {
		if !r.IsEnabled() || r.Chart != "" {
			t.Errorf("%s: enabled=%v chart=%q, want enabled from the pinned repository", name, r.IsEnabled(), r.Chart)
		}
	}
	if p.PublicAccess.Enabled {
		t.Error("public access is on by default")
	}
	if p.Timeout() != 15*time.Minute || p.JupyterHub.CullTimeoutMinutes != 60 || p.JupyterHub.HomeSizeGiB != 10 {
		t.Errorf("defaults: %+v", p)
	}
	if p.JupyterHub.Profiles.Small != (JupyterProfile{1, 4}) || p.JupyterHub.Profiles.Large != (JupyterProfile{2, 12}) {
		t.Errorf("profiles: %+v", p.JupyterHub.Profiles)
	}
}

func TestPlatformValid(t *testing.T) {
	tests := []struct{ name, yaml string }{
		{"public", `
platform:
  publicAccess: {enabled: true, domain: etl.example.com, certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"}`},
		{"chart sources", `
platform:
  argoWorkflows: {chart: "https://charts.internal.example.com/argo"}
  jupyterHub: {chart: "oci://registry.example.com/mirror/jupyterhub", cullTimeoutMinutes: 30}
  clusterAutoscaler: {chart: ./vendor/charts/cluster-autoscaler}
  loadBalancerController: {chart: /opt/charts/aws-load-balancer-controller-1.17.1.tgz}`},
		{"hub off", `
platform:
  jupyterHub: {enabled: false}
  helmTimeout: 45m`},
		{"govcloud certificate", `
region: us-gov-west-1
platform:
  publicAccess: {enabled: true, domain: hub.etl.example.gov, certificateArn: "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.yaml)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPlatformInvalid(t *testing.T) {
	const cert = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
	tests := []struct {
		name string
		yaml string
		want []string // each a substring of one problem, field first
	}{
		{"public without domain and certificate", `
platform: {publicAccess: {enabled: true}}`, []string{
			"platform.publicAccess.domain: is required",
			"platform.publicAccess.certificateArn: is required when public access is enabled; request an ACM certificate for the domain in us-east-1",
		}},
		{"domain with scheme", `
platform: {publicAccess: {enabled: true, domain: "https://etl.example.com", certificateArn: "` + cert + `"}}`, []string{
			`platform.publicAccess.domain: "https://etl.example.com" is not a DNS host name`,
		}},
		{"certificate is not ACM", `
platform: {publicAccess: {enabled: true, domain: etl.example.com, certificateArn: "arn:aws:iam::123456789012:server-certificate/x"}}`, []string{
			"platform.publicAccess.certificateArn: \"arn:aws:iam::123456789012:server-certificate/x\" is not an ACM certificate ARN",
		}},
		{"certificate in another region", `
region: eu-west-1
platform: {publicAccess: {enabled: true, domain: etl.example.com, certificateArn: "` + cert + `"}}`, []string{
			"platform.publicAccess.certificateArn: is in region us-east-1 but the platform is in eu-west-1",
		}},
		{"domain while disabled", `
platform: {publicAccess: {domain: etl.example.com}}`, []string{
			"platform.publicAccess.enabled: is false but domain or certificateArn is set",
		}},
		{"public without the controller or the hub", `
platform:
  publicAccess: {enabled: true, domain: etl.example.com, certificateArn: "` + cert + `"}
  loadBalancerController: {enabled: false}
  jupyterHub: {enabled: false}`, []string{
			"platform.loadBalancerController.enabled: is false but public access needs",
			"platform.publicAccess.enabled: is true but JupyterHub",
		}},
		{"bad chart sources", `
platform:
  argoWorkflows: {chart: "git://github.com/argoproj/argo-helm"}
  jupyterHub: {chart: "oci://registry.example.com"}
  clusterAutoscaler: {chart: "https://"}
  loadBalancerController: {chart: " ./charts/lbc"}`, []string{
			`platform.argoWorkflows.chart: scheme "git" is not supported`,
			`platform.jupyterHub.chart: "oci://registry.example.com" names a registry but no chart`,
			`platform.clusterAutoscaler.chart: "https://" is not a valid URL`,
			`platform.loadBalancerController.chart: " ./charts/lbc" has leading or trailing spaces`,
		}},
		{"helm timeout", `
platform: {helmTimeout: 15}`, []string{
			`platform.helmTimeout: "15" is not a duration; write it like "15m"`,
		}},
		{"helm timeout too short", `
platform: {helmTimeout: 10s}`, []string{
			"platform.helmTimeout: is 10s; use 1m to 2h",
		}},
		{"hub sizes", `
platform:
  jupyterHub:
    cullTimeoutMinutes: 1
    homeSizeGiB: -5
    profiles: {small: {cpu: 0.01}, large: {memoryGiB: 4096}}`, []string{
			"platform.jupyterHub.cullTimeoutMinutes: is 1; use 5 to 10080",
			"platform.jupyterHub.homeSizeGiB: is -5; use 1 to 16384",
			"platform.jupyterHub.profiles.small.cpu: is 0.01; use 0.1 to 64 CPUs",
			"platform.jupyterHub.profiles.large.memoryGiB: is 4096; use 1 to 512",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			if !IsValidation(err) {
				t.Fatalf("not a validation error: %v", err)
			}
			problems := err.(*ValidationError).Problems
			for _, want := range tt.want {
				found := false
				for _, p := range problems {
					found = found || strings.Contains(p, want)
				}
				if !found {
					t.Errorf("no problem containing %q in:\n  %s", want, strings.Join(problems, "\n  "))
				}
			}
			if len(problems) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n  %s", len(problems), len(tt.want), strings.Join(problems, "\n  "))
			}
		})
	}
}
