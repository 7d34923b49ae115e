// Package helmrelease installs, upgrades, lists, renders and removes the
// in-cluster platform with the Helm SDK: blueprint's own chart (embedded)
// and the pinned upstream charts (versions.go), with values built from
// typed structs (values.go). It implements platform.Releases.
//
// Nothing here prints; the JupyterHub login only ever reaches a Kubernetes
// Secret, never Helm values or errors.
package helmrelease

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/charts"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/internal/wait"
	"github.com/sqletl/blueprint/internal/workloads"
)

// Release names and namespaces.
const (
	PlatformRelease               = "blueprint"
	ArgoWorkflowsRelease          = "argo-workflows"
	JupyterHubRelease             = "jupyterhub"
	ClusterAutoscalerRelease      = "cluster-autoscaler"
	LoadBalancerControllerRelease = "aws-load-balancer-controller"

	// platformNamespace holds our chart's release record; the chart itself
	// creates the spark, jupyter and argo namespaces.
	platformNamespace = workloads.NamespaceSystem
	hubNamespace      = workloads.NamespaceJupyter
)

// Releases implements platform.Releases with the Helm SDK.
type Releases struct {
	// CacheDir holds downloaded charts, repository indexes and registry
	// credentials. Default: <user cache dir>/blueprint/helm.
	CacheDir string
	// ChartMirror is a directory of <chart>-<version>.tgz archives read
	// before the chart repositories (air-gapped installs, offline tests);
	// "" reads the repositories only. A release's own
	// platform.<release>.chart takes precedence over it.
	ChartMirror string
	// Debug receives Helm's debug lines (never values). Nil discards them.
	Debug func(format string, v ...any)
	// Clock drives the wait for the CRDs to be established; nil is the wall clock.
	Clock wait.Clock
}

var _ platform.Releases = (*Releases)(nil)

// spec is one release blueprint manages.
type spec struct {
	name, namespace string
	// upstream is nil for blueprint's own chart.
	upstream *Upstream
	// field is the config path of the release's settings, e.g. "platform.argoWorkflows".
	field string
	// source is the configured chart location ("" = upstream repository).
	source string
	values func(*config.Config, *outputs.Platform) (map[string]any, error)
}

func ptrTo[T any](v T) *T { return &v }

// allSpecs lists every release blueprint may manage, in install order: our
// chart (namespaces, service accounts), the autoscaler, the load balancer
// controller (its webhooks before anything they serve), Argo, JupyterHub
// (whose Ingress, when public, needs the controller).
func allSpecs(cfg *config.Config) []spec {
	p := cfg.Platform
	return []spec{
		{name: PlatformRelease, namespace: platformNamespace, field: "",
			values: func(c *config.Config, o *outputs.Platform) (map[string]any, error) {
				v, err := platformValues(c, o)
				if err != nil {
					return nil, err
				}
				return v.ToMap()
			}},
		{name: ClusterAutoscalerRelease, namespace: workloads.ClusterAutoscaler.Namespace, upstream: ptrTo(clusterAutoscalerChart()),
			field: "platform.clusterAutoscaler", source: p.ClusterAutoscaler.Chart,
			values: func(c *config.Config, o *outputs.Platform) (map[string]any, error) {
				v, err := clusterAutoscalerValues(c, o)
				if err != nil {
					return nil, err
				}
				return toMap(v)
			}},
		{name: LoadBalancerControllerRelease, namespace: workloads.NamespaceSystem, upstream: ptrTo(loadBalancerControllerChart()),
			field: "platform.loadBalancerController", source: p.LoadBalancerController.Chart,
			values: func(c *config.Config, o *outputs.Platform) (map[string]any, error) {
				return toMap(loadBalancerControllerValues(c, o))
			}},
		{name: ArgoWorkflowsRelease, namespace: workloads.NamespaceArgo, upstream: ptrTo(argoWorkflowsChart()),
			field: "platform.argoWorkflows", source: p.ArgoWorkflows.Chart,
			values: func(c *config.Config, o *outputs.Platform) (map[string]any, error) {
				return toMap(argoWorkflowsValues(c, o))
			}},
		{name: JupyterHubRelease, namespace: hubNamespace, upstream: ptrTo(jupyterHubChart()),
			field: "platform.jupyterHub", source: p.JupyterHub.Chart,
			values: func(c *config.Config, o *outputs.Platform) (map[string]any, error) {
				v, err := jupyterHubValues(c, o)
				if err != nil {
					return nil, err
				}
				return toMap(v)
			}},
	}
}

// enabled reports whether cfg installs the release.
func (s spec) enabled(cfg *config.Config) bool {
	p := cfg.Platform
	switch s.name {
	case ArgoWorkflowsRelease:
		return p.ArgoWorkflows.IsEnabled()
	case JupyterHubRelease:
		return p.JupyterHub.IsEnabled()
	case ClusterAutoscalerRelease:
		return p.ClusterAutoscaler.IsEnabled()
	case LoadBalancerControllerRelease:
		return p.PublicAccess.Enabled && p.LoadBalancerController.IsEnabled()
	}
	return true
}

func plannedSpecs(cfg *config.Config) []spec {
	var out []spec
	for _, s := range allSpecs(cfg) {
		if s.enabled(cfg) {
			out = append(out, s)
		}
	}
	return out
}

// chartName and version as Planned and List report them.
func (s spec) chartAndVersion() (string, string) {
	if s.upstream == nil {
		return "blueprint-" + charts.PlatformDir, "embedded"
	}
	return s.upstream.Chart, s.upstream.Version
}

// Planned lists the releases Apply would install for cfg, offline.
func (r *Releases) Planned(cfg *config.Config) []platform.ReleaseStatus {
	var out []platform.ReleaseStatus
	for _, s := range plannedSpecs(cfg) {
		name, version := s.chartAndVersion()
		if s.upstream == nil {
			if ch, err := charts.Platform(); err == nil {
				name, version = ch.Metadata.Name, ch.Metadata.Version
			}
		}
		out = append(out, platform.ReleaseStatus{Name: s.name, Namespace: s.namespace, Chart: name, Version: version, Status: "planned"})
	}
	return out
}

// Apply installs or upgrades every planned release in the order of
// installPlan and returns once every one is ready. Argo's CRDs are applied
// first, the hub's login Secret right after blueprint's chart has created
// the jupyter namespace. A release whose chart version, values and
// rendered manifest are unchanged is left alone.
func (r *Releases) Apply(ctx context.Context, kube *rest.Config, cfg *config.Config, out *outputs.Platform, login platform.Login) error {
	specs := plannedSpecs(cfg)
	if cfg.Platform.JupyterHub.IsEnabled() && (login.Username == "" || login.Password == "") {
		return errors.New("the JupyterHub login is empty; it is read from the login secret in Secrets Manager (stack output LoginSecretArn)")
	}
	if n := len(login.Password); cfg.Platform.JupyterHub.IsEnabled() && n < MinLoginPasswordLength {
		return fmt.Errorf("the JupyterHub login password is %d characters; JupyterHub 5.5 needs at least %d for its admin login: set a longer password in the login secret (stack output LoginSecretArn) and run up again", n, MinLoginPasswordLength)
	}
	// Locate every chart before changing anything: an unreachable
	// repository fails the run up front.
	loaded := make([]*chart.Chart, len(specs))
	for i, s := range specs {
		ch, err := r.loadChart(s)
		if err != nil {
			return err
		}
		loaded[i] = ch
	}
	if err := r.applyCRDs(ctx, kube); err != nil {
		return err
	}
	timeout := cfg.Platform.Timeout()
	index := map[string]int{}
	for i, s := range specs {
		index[s.name] = i
	}
	return runPlan(ctx, installPlan(specs), func(ctx context.Context, step string) error {
		if step == PlatformReadyStep {
			return r.waitReady(kube, specs[index[PlatformRelease]], timeout)
		}
		i := index[step]
		s := specs[i]
		vals, err := s.values(cfg, out)
		if err != nil {
			return fmt.Errorf("release %s: building values: %w", s.name, err)
		}
		// blueprint's chart is not waited for here: PlatformReadyStep
		// waits for its workload beside the other releases.
		if err := r.installOrUpgrade(ctx, kube, s, loaded[i], vals, timeout, s.name != PlatformRelease); err != nil {
			return err
		}
		if s.name == PlatformRelease && login.Username != "" {
			return writeLoginSecret(ctx, kube, login)
		}
		return nil
	})
}

// PlatformReadyStep is the step of Apply that waits for the workload of
// blueprint's chart (the Spark History Server) to be ready.
const PlatformReadyStep = "blueprint-ready"

// planStep is one step of Apply: a release installed or upgraded (or
// PlatformReadyStep), after the steps it names.
type planStep struct {
	name  string
	after []string
}

// installPlan is the order Apply follows. blueprint's chart goes first and
// is not waited for: the other releases need only its objects (namespaces,
// service accounts, RBAC, the storage class) and the login Secret, which
// exist once it is applied, so the readiness of its workload (the Spark
// History Server, which pulls the Arc image) is waited for beside them.
// The load balancer controller goes next when enabled (its webhook must
// serve before any Ingress or Service is made). The rest need only those,
// not each other, so they install at the same time: the Helm phase takes
// as long as the slowest release, not the sum. critpath.DefaultReleases
// models this plan for the default configuration (a test keeps the two
// equal; docs/performance.md).
func installPlan(specs []spec) []planStep {
	var plan []planStep
	var first []string
	for _, s := range specs {
		if s.name == PlatformRelease {
			plan = append(plan, planStep{name: PlatformRelease}, planStep{name: PlatformReadyStep, after: []string{PlatformRelease}})
			first = append(first, PlatformRelease)
		}
	}
	for _, s := range specs {
		if s.name == LoadBalancerControllerRelease {
			plan = append(plan, planStep{name: s.name, after: slices.Clone(first)})
			first = append(first, s.name)
		}
	}
	for _, s := range specs {
		if s.name != PlatformRelease && s.name != LoadBalancerControllerRelease {
			plan = append(plan, planStep{name: s.name, after: slices.Clone(first)})
		}
	}
	return plan
}

// runPlan runs every step once the steps it comes after have succeeded,
// as many at a time as the plan allows. A step whose predecessor failed is
// not run; the errors of every failed step are joined.
func runPlan(ctx context.Context, plan []planStep, run func(ctx context.Context, step string) error) error {
	done := make(map[string]chan struct{}, len(plan))
	for _, p := range plan {
		done[p.name] = make(chan struct{})
	}
	ok := make(map[string]bool, len(plan))
	errs := make([]error, len(plan))
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for i, p := range plan {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[p.name])
			for _, a := range p.after {
				<-done[a]
				mu.Lock()
				good := ok[a]
				mu.Unlock()
				if !good {
					return
				}
			}
			if errs[i] = run(ctx, p.name); errs[i] == nil {
				mu.Lock()
				ok[p.name] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// waitReady waits until the resources of the release's last revision are
// ready, as `helm install --wait` would have (Helm's own kube.Client.Wait,
// helm v3.22.0 pkg/kube/interface.go).
func (r *Releases) waitReady(kube *rest.Config, s spec, timeout time.Duration) error {
	c, err := r.actionConfig(kube, s.namespace)
	if err != nil {
		return err
	}
	rel, err := c.Releases.Last(s.name)
	if err != nil {
		return fmt.Errorf("reading release %s: %w", s.name, err)
	}
	res, err := c.KubeClient.Build(strings.NewReader(rel.Manifest), false)
	if err != nil {
		return fmt.Errorf("release %s: reading its manifest: %w", s.name, err)
	}
	if err := c.KubeClient.Wait(res, timeout); err != nil {
		return fmt.Errorf("release %s: waiting for its workload to be ready: %w", s.name, err)
	}
	return nil
}

// installOrUpgrade is the one code path for both: upgrade the release, or
// install it when Helm has no record of it.
func (r *Releases) installOrUpgrade(ctx context.Context, kube *rest.Config, s spec, ch *chart.Chart, vals map[string]any, timeout time.Duration, wait bool) error {
	c, err := r.actionConfig(kube, s.namespace)
	if err != nil {
		return err
	}
	last, err := c.Releases.Last(s.name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		in := action.NewInstall(c)
		in.ReleaseName, in.Namespace = s.name, s.namespace
		in.Wait, in.Timeout = wait, timeout
		if _, err := in.RunWithContext(ctx, ch, vals); err != nil {
			return fmt.Errorf("installing release %s: %w", s.name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading release %s: %w", s.name, err)
	}
	if last.Info.Status.IsPending() {
		// An interrupted run left the release locked: Helm refuses to
		// upgrade a pending release (helm v3.22.0 pkg/action/upgrade.go
		// prepareUpgrade: "if lastRelease.Info.Status.IsPending() { return
		// nil, nil, errPending }"). Recover this release alone.
		if last, err = r.recoverPending(c, s, last, timeout); err != nil {
			return err
		}
		if last == nil {
			return r.installOrUpgrade(ctx, kube, s, ch, vals, timeout, wait)
		}
	}
	// A failed release needs nothing first: Helm upgrades a release whose
	// last revision failed (prepareUpgrade falls back to it when there is
	// no deployed revision, "lastRelease.Info.Status == release.StatusFailed").
	if last.Info.Status == release.StatusDeployed {
		same, err := r.unchanged(c, s, ch, vals, last)
		if err != nil {
			return err
		}
		if same {
			return nil
		}
	}
	up := action.NewUpgrade(c)
	up.Namespace = s.namespace
	up.Wait, up.Timeout = wait, timeout
	up.MaxHistory = maxHistory
	if _, err := up.RunWithContext(ctx, s.name, ch, vals); err != nil {
		return fmt.Errorf("upgrading release %s: %w", s.name, err)
	}
	return nil
}

// recoverPending unlocks a release an interrupted run left pending: an
// upgrade or rollback is rolled back to the last deployed revision (what
// `helm rollback` does; Rollback itself does not refuse pending releases,
// pkg/action/rollback.go prepareRollback); an install that never finished
// has nothing to roll back to, so that release alone is uninstalled and
// installed again. It returns the release now last, or nil when it was
// removed.
func (r *Releases) recoverPending(c *action.Configuration, s spec, last *release.Release, timeout time.Duration) (*release.Release, error) {
	if last.Info.Status != release.StatusPendingInstall {
		if good, err := c.Releases.Deployed(s.name); err == nil && good.Version != last.Version {
			rb := action.NewRollback(c)
			rb.Version, rb.Wait, rb.Timeout, rb.MaxHistory = good.Version, true, timeout, maxHistory
			if err := rb.Run(s.name); err != nil {
				return nil, fmt.Errorf("release %s was left %s by an interrupted run; rolling it back to revision %d: %w (helm -n %s rollback %s %d retries it)",
					s.name, last.Info.Status, good.Version, err, s.namespace, s.name, good.Version)
			}
			return c.Releases.Last(s.name)
		}
	}
	un := action.NewUninstall(c)
	un.Wait, un.Timeout = true, timeout
	if _, err := un.Run(s.name); err != nil {
		return nil, fmt.Errorf("release %s was left %s by an interrupted install and has no revision to roll back to; uninstalling it: %w (helm -n %s uninstall %s, then run up again)",
			s.name, last.Info.Status, err, s.namespace, s.name)
	}
	return nil, nil
}

// maxHistory keeps a few revisions for `helm rollback`.
const maxHistory = 5

// unchanged reports whether upgrading would change nothing: same chart
// and version, same values, same rendered manifest.
func (r *Releases) unchanged(c *action.Configuration, s spec, ch *chart.Chart, vals map[string]any, last *release.Release) (bool, error) {
	if last.Chart == nil || last.Chart.Metadata == nil ||
		last.Chart.Metadata.Name != ch.Metadata.Name || last.Chart.Metadata.Version != ch.Metadata.Version {
		return false, nil
	}
	stored, err := toMap(last.Config)
	if err != nil {
		return false, nil
	}
	if !reflect.DeepEqual(stored, vals) {
		return false, nil
	}
	dry := action.NewUpgrade(c)
	dry.Namespace = s.namespace
	dry.DryRun = true
	// "server" lets the chart's `lookup` see the cluster, as the real
	// upgrade would: z2jh keeps its generated hub secrets by looking up the
	// existing Secret, so a client-only render makes new random ones and
	// every up would upgrade (and restart) the hub (seen on the simulated
	// cluster, TestSimulatedPlatform).
	dry.DryRunOption = "server"
	// Only the manifest text is compared; validating it against the
	// server's OpenAPI schema (megabytes with the Argo CRDs) adds nothing.
	dry.DisableOpenAPIValidation = true
	rendered, err := dry.Run(s.name, ch, vals)
	if err != nil {
		return false, fmt.Errorf("rendering release %s: %w", s.name, err)
	}
	return rendered.Manifest == last.Manifest, nil
}

// Uninstall removes every release blueprint manages (enabled or not, so a
// release turned off after install is removed too), in reverse install
// order: JupyterHub and its Ingress first, waiting until they are gone so
// the load balancer controller can delete the ALB, then the controller,
// the others, and blueprint's chart. Missing releases are skipped.
func (r *Releases) Uninstall(ctx context.Context, kube *rest.Config, cfg *config.Config) error {
	specs := allSpecs(cfg)
	slices.Reverse(specs)
	timeout := cfg.Platform.Timeout()
	for _, s := range specs {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := r.actionConfig(kube, s.namespace)
		if err != nil {
			return err
		}
		un := action.NewUninstall(c)
		un.IgnoreNotFound = true
		un.Timeout = timeout
		// Waiting for deletion matters where a controller must clean up
		// outside the cluster (the ALB behind the hub's Ingress).
		un.Wait = s.name == JupyterHubRelease && cfg.Platform.PublicAccess.Enabled
		if _, err := un.Run(s.name); err != nil && !errors.Is(err, driver.ErrReleaseNotFound) {
			return fmt.Errorf("uninstalling release %s: %w", s.name, err)
		}
		if s.name == JupyterHubRelease {
			if err := deleteLoginSecret(ctx, kube); err != nil {
				return err
			}
		}
	}
	return nil
}

// List reports the installed releases blueprint manages.
func (r *Releases) List(ctx context.Context, kube *rest.Config, cfg *config.Config) ([]platform.ReleaseStatus, error) {
	var out []platform.ReleaseStatus
	for _, s := range allSpecs(cfg) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := r.actionConfig(kube, s.namespace)
		if err != nil {
			return nil, err
		}
		last, err := c.Releases.Last(s.name)
		if errors.Is(err, driver.ErrReleaseNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading release %s: %w", s.name, err)
		}
		st := platform.ReleaseStatus{Name: s.name, Namespace: s.namespace, Status: last.Info.Status.String()}
		if last.Chart != nil && last.Chart.Metadata != nil {
			st.Chart, st.Version = last.Chart.Metadata.Name, last.Chart.Metadata.Version
		}
		out = append(out, st)
	}
	return out, nil
}

// Revision is the current revision of a release, 0 when it is not installed.
func (r *Releases) Revision(kube *rest.Config, name string, cfg *config.Config) (int, error) {
	for _, s := range allSpecs(cfg) {
		if s.name != name {
			continue
		}
		c, err := r.actionConfig(kube, s.namespace)
		if err != nil {
			return 0, err
		}
		last, err := c.Releases.Last(name)
		if errors.Is(err, driver.ErrReleaseNotFound) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		return last.Version, nil
	}
	return 0, fmt.Errorf("%q is not a blueprint release", name)
}

func (r *Releases) cacheDir() (string, error) {
	if r.CacheDir != "" {
		return r.CacheDir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache directory for Helm charts: %w", err)
	}
	return filepath.Join(dir, "blueprint", "helm"), nil
}
