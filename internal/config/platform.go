package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Platform configures the in-cluster software: blueprint's own chart
// (always installed) and the upstream Helm releases around it. The chart
// versions are pinned by blueprint; what can be changed here is where each
// chart is read from (for air-gapped installs), whether it is installed,
// and the JupyterHub and public access settings.
type Platform struct {
	// ArgoWorkflows runs the SQL ETL jobs (argo-helm's argo-workflows chart).
	ArgoWorkflows Release `yaml:"argoWorkflows" json:"argoWorkflows"`
	// JupyterHub serves Arc notebooks (the zero-to-jupyterhub chart).
	JupyterHub JupyterHub `yaml:"jupyterHub" json:"jupyterHub"`
	// ClusterAutoscaler scales the node groups, matching the cluster's minor version.
	ClusterAutoscaler Release `yaml:"clusterAutoscaler" json:"clusterAutoscaler"`
	// LoadBalancerController is the AWS Load Balancer Controller. It is
	// installed only when publicAccess is enabled.
	LoadBalancerController Release `yaml:"loadBalancerController" json:"loadBalancerController"`
	// SparkHistory runs the Spark History Server (blueprint's own chart)
	// and turns on Spark event logs in jobs and notebooks. Default true.
	SparkHistory Toggle `yaml:"sparkHistory" json:"sparkHistory"`
	// PublicAccess exposes JupyterHub through an internet-facing HTTPS ALB.
	// Off by default: nothing is reachable from outside the VPC.
	PublicAccess PublicAccess `yaml:"publicAccess" json:"publicAccess"`
	// HelmTimeout bounds each release's install, upgrade or uninstall,
	// including the wait for its pods. A Go duration. Default "15m".
	HelmTimeout string `yaml:"helmTimeout" json:"helmTimeout"`
}

// Release is one upstream Helm release.
type Release struct {
	// Enabled installs the release. Default true.
	Enabled *bool `yaml:"enabled" json:"enabled"`
	// Chart is where the chart is read from: a chart repository URL
	// (https://...), an OCI reference (oci://registry/path/name) or a local
	// directory or .tgz path. Empty: the upstream repository blueprint pins.
	// The version is always the pinned one (a local path is used as is).
	Chart string `yaml:"chart" json:"chart"`
}

// Toggle turns a part of blueprint's own chart on or off.
type Toggle struct {
	// Enabled: default true.
	Enabled *bool `yaml:"enabled" json:"enabled"`
}

// IsEnabled reports whether it is on.
func (t Toggle) IsEnabled() bool { return t.Enabled == nil || *t.Enabled }

// JupyterHub is the hub release and its user environment.
type JupyterHub struct {
	Release `yaml:",inline"`
	// CullTimeoutMinutes stops a notebook server idle for this long; its
	// home directory is kept. Default 60.
	CullTimeoutMinutes int `yaml:"cullTimeoutMinutes" json:"cullTimeoutMinutes"`
	// HomeSizeGiB is each user's persistent home volume (EBS gp3). Default 10.
	HomeSizeGiB int `yaml:"homeSizeGiB" json:"homeSizeGiB"`
	// Profiles are the server sizes a user picks from when starting.
	Profiles JupyterProfiles `yaml:"profiles" json:"profiles"`
}

// JupyterProfiles are the two server sizes.
type JupyterProfiles struct {
	// Small is the default. Default 1 CPU, 4 GiB.
	Small JupyterProfile `yaml:"small" json:"small"`
	// Large is for bigger local Spark work. Default 2 CPUs, 12 GiB.
	Large JupyterProfile `yaml:"large" json:"large"`
}

// JupyterProfile sizes one notebook server: the limits; half the CPU and
// all the memory are guaranteed.
type JupyterProfile struct {
	CPU       float64 `yaml:"cpu" json:"cpu"`
	MemoryGiB int     `yaml:"memoryGiB" json:"memoryGiB"`
}

// PublicAccess is the optional internet-facing entry point.
type PublicAccess struct {
	// Enabled installs the AWS Load Balancer Controller and an HTTPS
	// Ingress for JupyterHub. Default false.
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Domain is the host name JupyterHub is served on, e.g. "etl.example.com".
	// Point a DNS record at the ALB after `up`.
	Domain string `yaml:"domain,omitempty" json:"domain,omitempty"`
	// CertificateArn is an ACM certificate for Domain, in the config's region.
	CertificateArn string `yaml:"certificateArn,omitempty" json:"certificateArn,omitempty"`
}

// Platform defaults.
const (
	DefaultHelmTimeout        = "15m"
	DefaultCullTimeoutMinutes = 60
	DefaultHomeSizeGiB        = 10
	defaultSmallCPU           = 1.0
	defaultSmallMemoryGiB     = 4
	defaultLargeCPU           = 2.0
	defaultLargeMemoryGiB     = 12
)

// IsEnabled reports whether the release is installed.
func (r Release) IsEnabled() bool { return r.Enabled == nil || *r.Enabled }

// Timeout is HelmTimeout parsed; the default when it does not parse
// (Validate reports that).
func (p Platform) Timeout() time.Duration {
	d, err := time.ParseDuration(p.HelmTimeout)
	if err != nil || d <= 0 {
		d, _ = time.ParseDuration(DefaultHelmTimeout)
	}
	return d
}

func (p *Platform) setDefaults(_ *Config) {
	for _, r := range []*Release{&p.ArgoWorkflows, &p.JupyterHub.Release, &p.ClusterAutoscaler, &p.LoadBalancerController} {
		if r.Enabled == nil {
			r.Enabled = ptr(true)
		}
	}
	if p.SparkHistory.Enabled == nil {
		p.SparkHistory.Enabled = ptr(true)
	}
	j := &p.JupyterHub
	if j.CullTimeoutMinutes == 0 {
		j.CullTimeoutMinutes = DefaultCullTimeoutMinutes
	}
	if j.HomeSizeGiB == 0 {
		j.HomeSizeGiB = DefaultHomeSizeGiB
	}
	setProfileDefaults(&j.Profiles.Small, defaultSmallCPU, defaultSmallMemoryGiB)
	setProfileDefaults(&j.Profiles.Large, defaultLargeCPU, defaultLargeMemoryGiB)
	if p.HelmTimeout == "" {
		p.HelmTimeout = DefaultHelmTimeout
	}
}

func setProfileDefaults(p *JupyterProfile, cpu float64, memGiB int) {
	if p.CPU == 0 {
		p.CPU = cpu
	}
	if p.MemoryGiB == 0 {
		p.MemoryGiB = memGiB
	}
}

var (
	// A DNS host name: labels of letters, digits and inner hyphens, at least two labels.
	domainRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
	acmArnRe = regexp.MustCompile(`^arn:aws(-[a-z]+)*:acm:([a-z0-9-]+):[0-9]{12}:certificate/[0-9a-f-]{36}$`)
)

// Bounds of the platform settings.
const (
	minHelmTimeout  = time.Minute
	maxHelmTimeout  = 2 * time.Hour
	maxCullMinutes  = 7 * 24 * 60
	minCullMinutes  = 5
	maxHomeSizeGiB  = 16384
	maxProfileCPU   = 64
	maxProfileMemGi = 512
)

func (p *Platform) validate(v *validator, c *Config) {
	validateChartSource(v, "platform.argoWorkflows.chart", p.ArgoWorkflows.Chart)
	validateChartSource(v, "platform.jupyterHub.chart", p.JupyterHub.Chart)
	validateChartSource(v, "platform.clusterAutoscaler.chart", p.ClusterAutoscaler.Chart)
	validateChartSource(v, "platform.loadBalancerController.chart", p.LoadBalancerController.Chart)

	if d, err := time.ParseDuration(p.HelmTimeout); err != nil {
		v.add("platform.helmTimeout", "%q is not a duration; write it like \"15m\" or \"1h\"", p.HelmTimeout)
	} else if d < minHelmTimeout || d > maxHelmTimeout {
		v.add("platform.helmTimeout", "is %s; use 1m to 2h (pulling images on new nodes takes minutes)", d)
	}

	j := p.JupyterHub
	if j.CullTimeoutMinutes < minCullMinutes || j.CullTimeoutMinutes > maxCullMinutes {
		v.add("platform.jupyterHub.cullTimeoutMinutes", "is %d; use %d to %d (a week)", j.CullTimeoutMinutes, minCullMinutes, maxCullMinutes)
	}
	if j.HomeSizeGiB < 1 || j.HomeSizeGiB > maxHomeSizeGiB {
		v.add("platform.jupyterHub.homeSizeGiB", "is %d; use 1 to %d (the EBS gp3 limits)", j.HomeSizeGiB, maxHomeSizeGiB)
	}
	validateProfile(v, "platform.jupyterHub.profiles.small", j.Profiles.Small)
	validateProfile(v, "platform.jupyterHub.profiles.large", j.Profiles.Large)

	a := p.PublicAccess
	if !a.Enabled {
		if a.Domain != "" || a.CertificateArn != "" {
			v.add("platform.publicAccess.enabled", "is false but domain or certificateArn is set; set enabled: true to expose JupyterHub, or remove them")
		}
		return
	}
	switch {
	case a.Domain == "":
		v.add("platform.publicAccess.domain", "is required when public access is enabled; set the host name to serve JupyterHub on, e.g. \"etl.example.com\"")
	case !domainRe.MatchString(a.Domain) || len(a.Domain) > 253:
		v.add("platform.publicAccess.domain", "%q is not a DNS host name; use lower-case labels separated by dots, e.g. \"etl.example.com\" (no scheme or path)", a.Domain)
	}
	if a.CertificateArn == "" {
		v.add("platform.publicAccess.certificateArn", "is required when public access is enabled; request an ACM certificate for the domain in %s and give its ARN", c.Region)
	} else if m := acmArnRe.FindStringSubmatch(a.CertificateArn); m == nil {
		v.add("platform.publicAccess.certificateArn", "%q is not an ACM certificate ARN; use arn:aws:acm:<region>:<account>:certificate/<id>", a.CertificateArn)
	} else if m[2] != c.Region {
		v.add("platform.publicAccess.certificateArn", "is in region %s but the platform is in %s; an ALB can only use a certificate from its own region", m[2], c.Region)
	}
	if !p.LoadBalancerController.IsEnabled() {
		v.add("platform.loadBalancerController.enabled", "is false but public access needs the AWS Load Balancer Controller; enable it or turn publicAccess off")
	}
	if !j.IsEnabled() {
		v.add("platform.publicAccess.enabled", "is true but JupyterHub, the only thing it exposes, is disabled; enable platform.jupyterHub or turn public access off")
	}
}

// validateChartSource accepts "", an http(s) repository URL, an oci://
// reference or a local path.
func validateChartSource(v *validator, field, src string) {
	if src == "" {
		return
	}
	scheme, _, hasScheme := strings.Cut(src, "://")
	if !hasScheme {
		if strings.TrimSpace(src) != src {
			v.add(field, "%q has leading or trailing spaces; remove them", src)
		}
		return // a local directory or archive, checked when it is loaded
	}
	u, err := url.Parse(src)
	switch {
	case scheme != "http" && scheme != "https" && scheme != "oci":
		v.add(field, "scheme %q is not supported; use a chart repository (https://...), an OCI reference (oci://...) or a local path", scheme)
	case err != nil || u.Host == "":
		v.add(field, "%q is not a valid URL; use e.g. \"https://charts.example.com\" or \"oci://registry.example.com/charts/name\"", src)
	case scheme == "oci" && strings.Trim(u.Path, "/") == "":
		v.add(field, "%q names a registry but no chart; use oci://<registry>/<path>/<chart name>", src)
	case u.RawQuery != "" || u.Fragment != "":
		v.add(field, "%q has a query or fragment; give the repository or chart location only", src)
	}
}

func validateProfile(v *validator, field string, p JupyterProfile) {
	if p.CPU < 0.1 || p.CPU > maxProfileCPU {
		v.add(field+".cpu", "is %s; use 0.1 to %d CPUs", fmt.Sprint(p.CPU), maxProfileCPU)
	}
	if p.MemoryGiB < 1 || p.MemoryGiB > maxProfileMemGi {
		v.add(field+".memoryGiB", "is %d; use 1 to %d (the Arc kernel needs at least 1 GiB)", p.MemoryGiB, maxProfileMemGi)
	}
}
