package e2e

// The whole in-cluster platform on a simulated EKS cluster: moto for AWS,
// and a real kube-apiserver (Pod Security and ServiceAccount admission on),
// kube-scheduler and kube-controller-manager, with kwok playing the kubelet
// of one node per desired node of every node group in the synthesized
// cluster template (internal/simcluster). Every release is installed from
// the real upstream chart (the chart mirror) with Helm's --wait, which now
// waits for pods that the scheduler placed and kwok made Ready.
//
// `make e2e` runs only these tests (-run TestSimulated) and ends with the
// table simSummary prints.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/helmrelease"
	"github.com/sqletl/blueprint/internal/kubetest"
	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/internal/runtimepods"
	"github.com/sqletl/blueprint/internal/simcluster"
	"github.com/sqletl/blueprint/internal/upstreamtest"
)

// simSummary collects what the simulated-cluster tests saw, for the table
// TestMain prints at the end of `make e2e`.
var simSummary summary

type summary struct {
	mu            sync.Mutex
	releases      [][]string // run, release, status, ready workloads
	placement     map[string]map[string]int
	unschedulable []string
	rejected      []string
	rbac          [2]int                    // passed, failed
	runtime       map[string]map[string]int // run → node group → run-time pods bound
	extra         []string
}

func (s *summary) addRelease(run, name, status, ready string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releases = append(s.releases, []string{run, name, status, ready})
}

func (s *summary) addPlacement(run string, p simcluster.Placement) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.placement == nil {
		s.placement = map[string]map[string]int{}
	}
	s.placement[run] = p.PerGroup
	for _, u := range p.Unschedulable {
		s.unschedulable = append(s.unschedulable, run+": "+u)
	}
	for _, r := range p.Rejected {
		s.rejected = append(s.rejected, run+": "+r)
	}
}

func (s *summary) addRuntime(run, group string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runtime == nil {
		s.runtime = map[string]map[string]int{}
	}
	if s.runtime[run] == nil {
		s.runtime[run] = map[string]int{}
	}
	s.runtime[run][group]++
}

func (s *summary) addUnschedulable(run, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unschedulable = append(s.unschedulable, run+": "+what)
}

func (s *summary) addRejected(run, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected = append(s.rejected, run+": "+what)
}

func (s *summary) addRBAC(passed, failed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rbac[0] += passed
	s.rbac[1] += failed
}

func (s *summary) addLine(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extra = append(s.extra, line)
}

func (s *summary) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.releases) == 0 && len(s.placement) == 0 && len(s.extra) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n== simulated EKS cluster ==\n")
	if len(s.releases) == 0 && len(s.placement) == 0 {
		// A process that ran only the Argo jobs (hack/test.sh runs each
		// simulated test as its own process) has only its own lines.
		for _, l := range s.extra {
			b.WriteString(l + "\n")
		}
		return b.String()
	}
	b.WriteString("\nreleases\n")
	b.WriteString(simcluster.Table([]string{"run", "release", "status", "workloads ready"}, s.releases))
	b.WriteString("\npods admitted and placed, per node group\n")
	var rows [][]string
	runs := map[string]map[string]bool{}
	for _, m := range []map[string]map[string]int{s.placement, s.runtime} {
		for r, groups := range m {
			if runs[r] == nil {
				runs[r] = map[string]bool{}
			}
			for g := range groups {
				runs[r][g] = true
			}
		}
	}
	for _, r := range slices.Sorted(maps.Keys(runs)) {
		for _, g := range slices.Sorted(maps.Keys(runs[r])) {
			rows = append(rows, []string{r, g, fmt.Sprint(s.placement[r][g]), fmt.Sprint(s.runtime[r][g])})
		}
	}
	b.WriteString(simcluster.Table([]string{"run", "node group", "platform pods", "run-time pods"}, rows))
	fmt.Fprintf(&b, "\nunschedulable pods: %d\n", len(s.unschedulable))
	for _, u := range s.unschedulable {
		b.WriteString("  " + u + "\n")
	}
	fmt.Fprintf(&b, "admission rejections: %d\n", len(s.rejected))
	for _, r := range s.rejected {
		b.WriteString("  " + r + "\n")
	}
	fmt.Fprintf(&b, "RBAC checks: %d passed, %d failed\n", s.rbac[0], s.rbac[1])
	for _, l := range s.extra {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// chartMirror is the directory of pinned upstream chart archives. The
// simulated-cluster tests need the real charts, so a missing mirror fails
// them (make test and make e2e never skip them).
func chartMirror(t testing.TB) string { return upstreamtest.MustCharts(t) }

// platformNamespaces are where blueprint's releases run.
var platformNamespaces = []string{"kube-system", "argo", "jupyter", "spark"}

// simulated is one run of the platform on a simulated cluster.
type simulated struct {
	*harness
	name    string
	cluster *simcluster.Cluster
}

// startSimulated synthesizes config, starts a simulated cluster whose
// nodes are the synthesized node groups, and returns the harness for it.
func startSimulated(t *testing.T, name, cfgYAML string) *simulated {
	t.Helper()
	// Every upstream chart comes from the mirror (blueprint's --chart-mirror).
	t.Setenv("BLUEPRINT_CHART_MIRROR", chartMirror(t))
	env := kubetest.StartWithOptions(t, kubetest.Options{Cluster: true})
	h := newHarnessWithConfig(t, env, cfgYAML)
	h.mustRun("synth")
	tmpl, err := os.ReadFile(filepath.Join(h.dir, "cdk.out", "Cluster.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	groups, err := simcluster.FromTemplate(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	// The zones up will use: the account's own, as up resolves them.
	cfg, err := config.Parse([]byte(cfgYAML))
	if err != nil {
		t.Fatal(err)
	}
	zones, err := platform.ResolveZones(t.Context(), ec2.NewFromConfig(moto.AWSConfig(t)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var zoneNames []string
	for _, z := range zones.Zones {
		zoneNames = append(zoneNames, z.Name)
	}
	cluster, err := simcluster.New(t.Context(), env, groups, zoneNames)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("simulated cluster logs:\n%s", env.ClusterLogTails(60))
		}
		cluster.Stop()
	})
	return &simulated{harness: h, name: name, cluster: cluster}
}

// upUntilDone runs up, seeds the login secret moto's CloudFormation cannot
// create (see the package comment) and runs up again.
func (s *simulated) up() upView {
	s.t.Helper()
	if first := s.run("up", "-o", "json"); first.code == 0 {
		return decode[upView](s.t, first)
	} else if !strings.Contains(first.stderr, "login secret") {
		s.t.Fatalf("first up failed: exit %d\n%s", first.code, first.stderr)
	}
	s.seedLogin()
	return decode[upView](s.t, s.mustRun("up", "-o", "json"))
}

// checkPlatform asserts every workload is available on its node group,
// nothing is unschedulable or refused, and records the run.
func (s *simulated) checkPlatform(ctx context.Context, up upView) {
	t := s.t
	wl, err := s.cluster.Workloads(ctx, platformNamespaces...)
	if err != nil {
		t.Fatal(err)
	}
	byNS := map[string][2]int{}
	for _, w := range wl {
		c := byNS[w.Namespace]
		c[1]++
		if w.Available() {
			c[0]++
		} else {
			t.Errorf("%s %s/%s: %d of %d available", w.Kind, w.Namespace, w.Name, w.Ready, w.Want)
		}
		byNS[w.Namespace] = c
	}
	nsOf := map[string]string{"blueprint": "spark", "argo-workflows": "argo", "jupyterhub": "jupyter",
		"cluster-autoscaler": "kube-system", "aws-load-balancer-controller": "kube-system"}
	for _, r := range up.Releases {
		c := byNS[nsOf[r.Name]]
		simSummary.addRelease(s.name, r.Name, r.Status, fmt.Sprintf("%d/%d in %s", c[0], c[1], nsOf[r.Name]))
		if r.Status != "deployed" {
			t.Errorf("release %s is %s", r.Name, r.Status)
		}
	}
	bad, err := s.cluster.Misplaced(ctx, platformNamespaces...)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("misplaced: %s", b)
	}
	// RBAC, judged by the API server, for every service account the
	// releases just installed (the checks of TestRBAC).
	passed, _, failures, err := helmrelease.CheckRBAC(ctx, s.kube)
	if err != nil {
		t.Fatal(err)
	}
	simSummary.addRBAC(passed, len(failures))
	for _, f := range failures {
		t.Errorf("RBAC: %s", f)
	}
	p, err := s.cluster.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	simSummary.addPlacement(s.name, p)
	for _, u := range p.Unschedulable {
		t.Errorf("unschedulable: %s", u)
	}
	for _, r := range p.Rejected {
		t.Errorf("refused by admission: %s", r)
	}
}

// waitNamespacesGone waits for the namespace controller to finish deleting.
func (s *simulated) waitNamespacesGone(ctx context.Context, names ...string) {
	s.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for _, ns := range names {
		for {
			_, err := s.kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				break
			}
			if time.Now().After(deadline) {
				s.t.Errorf("namespace %s still exists 3 minutes after down (err %v)", ns, err)
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
}

// TestSimulatedPlatform runs the default config on the simulated cluster.
// Each configuration is a top-level test of its own, so hack/test.sh runs
// them side by side, each in its own process with its own cluster and moto.
func TestSimulatedPlatform(t *testing.T) {
	runPlatform(t, "default", "name: e2e\nregion: us-east-1\n")
}

// TestSimulatedPlatformSpotDisabled runs with Spot off: executors share the
// on-demand group, which must be able to grow to the large size's 8
// executors, one per node, plus the platform's 2 nodes and one for the
// driver (with the default maxSize of 4, render and up refuse the config and
// name this fix).
func TestSimulatedPlatformSpotDisabled(t *testing.T) {
	runPlatform(t, "spot-disabled", "name: e2e\nregion: us-east-1\nnodeGroups:\n  spot:\n    enabled: false\n  onDemand:\n    maxSize: 11\n")
}

// runPlatform brings one configuration up on a simulated cluster, checks
// every workload and run-time pod, re-runs up, and takes it down.
func runPlatform(t *testing.T, name, config string) {
	ctx := context.Background()
	s := startSimulated(t, name, config)
	up := s.up()
	s.checkPlatform(ctx, up)
	s.submitRuntimePods(ctx)

	// A re-run changes nothing, with one upstream exception: z2jh
	// 4.4.0 computes the hub's and proxy's checksum/secret and
	// checksum/auth-token annotations by rendering the Secret
	// template a second time, and at install, when there is no
	// Secret to look up yet, that second render draws new random
	// values (templates/hub/_helpers-passwords.tpl "randHex",
	// templates/hub/deployment.yaml and proxy/deployment.yaml
	// `include ... | sha256sum`). The first re-run after install
	// therefore sees the checksums of the stored secrets and
	// upgrades jupyterhub once; after that the renders agree, as
	// the third up checks. Any other difference fails.
	again := decode[upView](t, s.mustRun("up", "-o", "json"))
	for _, st := range again.Stacks {
		if st.Changed {
			t.Errorf("second up changed stack %s", st.Name)
		}
	}
	revisions := map[string]int{}
	for _, r := range platformReleaseNames(again) {
		revs := s.helmRevisions(r)
		revisions[r] = len(revs)
		if len(revs) == 1 {
			continue
		}
		diff := s.revisionDiff(r)
		if r != "jupyterhub" || len(revs) != 2 || !onlyChecksums(diff) {
			t.Errorf("second up made a new revision of %s: %v\n%s", r, revs, diff)
		}
	}
	s.mustRun("up", "-o", "json")
	for _, r := range platformReleaseNames(again) {
		if revs := s.helmRevisions(r); len(revs) != revisions[r] {
			t.Errorf("third up made a new revision of %s: %v\n%s", r, revs, s.revisionDiff(r))
		}
	}

	s.deleteWhatMotoCannot()
	s.mustRun("down", "--yes")
	s.waitNamespacesGone(ctx, "argo", "jupyter", "spark")
	for _, r := range platformReleaseNames(up) {
		if revs := s.helmRevisions(r); len(revs) != 0 {
			t.Errorf("release %s left after down: %v", r, revs)
		}
	}
}

func platformReleaseNames(u upView) []string {
	var out []string
	for _, r := range u.Releases {
		out = append(out, r.Name)
	}
	return out
}

// submitRuntimePods builds the pods the platform creates at run time
// (internal/runtimepods: KubeSpawner's user servers from the rendered hub
// configuration, Argo's driver pod and Spark's executors of each arc-job
// size) and submits them: each must be admitted and bound to a node of its
// intended group within a bounded time. The hub's user scheduler runs as a
// second kube-scheduler with the chart's own configuration.
func (s *simulated) submitRuntimePods(ctx context.Context) {
	t := s.t
	dir := filepath.Join(s.dir, "rendered")
	s.mustRun("render", "--out", dir)
	read := func(release string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, release+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	hub := read("jupyterhub")
	schedCfg, _, err := runtimepods.UserScheduler(hub, s.env.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.env.StartScheduler(ctx, "user-scheduler", schedCfg); err != nil {
		t.Fatal(err)
	}
	built, err := runtimepods.All(ctx, runtimepods.Manifests{Platform: read("blueprint"), JupyterHub: hub, Argo: read("argo-workflows")},
		filepath.Join(chartMirror(t), "jupyterhub-4.4.0.tgz"), "user")
	if err != nil {
		t.Fatal(err)
	}
	// One batch per creator's unit (a Spark job's driver and executors, a
	// user's server), deleted before the next so each batch sees the
	// cluster's free capacity, as consecutive runs would.
	batches := map[string][]runtimepods.Built{}
	var order []string
	for _, b := range built {
		key := b.What
		if b.Creator == "argo" || b.Creator == "spark" {
			key = "spark " + sizeOf(b.What)
		}
		if _, ok := batches[key]; !ok {
			order = append(order, key)
		}
		batches[key] = append(batches[key], b)
	}
	for _, key := range order {
		for _, b := range batches[key] {
			pod := b.Pod
			r, err := s.cluster.Submit(ctx, &pod, b.Claims, 90*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			node, err := s.kube.CoreV1().Nodes().Get(ctx, r.Node, metav1.GetOptions{})
			lifecycle := ""
			if err == nil {
				lifecycle = node.Labels["lifecycle"]
			}
			switch {
			case r.Rejected != "":
				simSummary.addRejected(s.name, b.What+": "+r.Rejected)
				t.Errorf("%s (%s): refused by admission: %s", b.What, b.Creator, r.Rejected)
			case r.Unschedulable != "":
				simSummary.addUnschedulable(s.name, b.What+": "+r.Unschedulable)
				t.Errorf("%s (%s): not scheduled: %s", b.What, b.Creator, r.Unschedulable)
			case b.WantLifecycle != "" && lifecycle != b.WantLifecycle:
				t.Errorf("%s: on node %s (lifecycle=%s), want lifecycle=%s", b.What, r.Node, lifecycle, b.WantLifecycle)
			default:
				t.Logf("%s (%s): admitted, bound to %s (%s)", b.What, b.Creator, r.Node, r.Group)
				simSummary.addRuntime(s.name, r.Group)
			}
		}
		for _, b := range batches[key] {
			_ = s.kube.CoreV1().Pods(b.Pod.Namespace).Delete(ctx, b.Pod.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
		}
	}
}

func sizeOf(what string) string {
	for _, size := range []string{"small", "medium", "large", "local"} {
		if strings.Contains(what, size) {
			return size
		}
	}
	return what
}

// revisionDiff says what changed between a release's first two revisions
// (Helm's secret driver: base64 of gzipped JSON), to explain an upgrade a
// no-op up should not have made.
func (s *simulated) revisionDiff(release string) string {
	list, err := s.kube.CoreV1().Secrets("").List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm,name=" + release})
	if err != nil {
		return err.Error()
	}
	type rel struct {
		Manifest string         `json:"manifest"`
		Config   map[string]any `json:"config"`
		Version  int            `json:"version"`
	}
	var rels []rel
	for _, sec := range list.Items {
		raw, err := base64.StdEncoding.DecodeString(string(sec.Data["release"]))
		if err != nil {
			return err.Error()
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return err.Error()
		}
		var r rel
		if err := json.NewDecoder(zr).Decode(&r); err != nil {
			return err.Error()
		}
		rels = append(rels, r)
	}
	if len(rels) < 2 {
		return ""
	}
	sort.Slice(rels, func(i, j int) bool { return rels[i].Version < rels[j].Version })
	a, b := strings.Split(rels[0].Manifest, "\n"), strings.Split(rels[1].Manifest, "\n")
	var out []string
	if !reflect.DeepEqual(rels[0].Config, rels[1].Config) {
		ca, _ := json.Marshal(rels[0].Config)
		cb, _ := json.Marshal(rels[1].Config)
		out = append(out, "values differ:\n  "+string(ca)+"\n  "+string(cb))
	}
	for i := 0; i < min(len(a), len(b)) && len(out) < 12; i++ {
		if a[i] != b[i] {
			out = append(out, fmt.Sprintf("manifest line %d: %q → %q", i, a[i], b[i]))
		}
	}
	return strings.Join(out, "\n")
}

// onlyChecksums reports whether a revisionDiff changed nothing but
// checksum/ annotations.
func onlyChecksums(diff string) bool {
	if diff == "" {
		return false
	}
	for _, line := range strings.Split(diff, "\n") {
		if !strings.Contains(line, "checksum/") {
			return false
		}
	}
	return true
}
