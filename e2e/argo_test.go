package e2e

// The sample ETL jobs run through Argo's own workflow controller on the
// simulated cluster. After `up` installs every release from the real charts,
// internal/argotest starts Argo's workflow-controller (v4.0.5, built by
// hack/argo-controller.sh; the chart deploys v4.0.6, which the module proxy
// does not serve) with the argo-workflows Deployment's args, env and
// ConfigMap, as its service account. kwok moves the workflow pods through
// their phases; argotest.Executor plays the kubelet ending the main
// container (exit code, log lines the test picks) and Argo's `wait`
// container writing the WorkflowTaskResult as arcjob. Everything else is
// blueprint's own commands: jobs push, run (--watch), list, logs, schedule.
//
// One departure: the arc-job template's retry backoff (1m, ×2) is shortened
// to 2s, ×2 before the retry case, keeping the chart's limit and policy, so
// three retries take seconds, not minutes.

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/sqletl/blueprint/internal/argotest"
	"github.com/sqletl/blueprint/internal/cli"
	"github.com/sqletl/blueprint/internal/etl"
	"github.com/sqletl/blueprint/internal/simcluster"
)

// argoPlan decides how each workflow pod's main container ends.
type argoPlan struct {
	mu   sync.Mutex
	fail map[string]bool // step → exits 1
	hold map[string]bool // step → keeps running
}

var attemptSuffix = regexp.MustCompile(`\(\d+\)$`)

// stepOf is the DAG task of an Argo node name ("<workflow>.<task>(<n>)").
func stepOf(r argotest.PodRecord) string {
	return attemptSuffix.ReplaceAllString(strings.TrimPrefix(r.Node, r.Workflow+"."), "")
}

func stepLog(step string) []string {
	return []string{"arc: " + step + " started", "arc: " + step + " finished"}
}

func (p *argoPlan) set(m *map[string]bool, step string, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if *m == nil {
		*m = map[string]bool{}
	}
	(*m)[step] = on
}

func (p *argoPlan) decide(pod *corev1.Pod, seen []argotest.PodRecord) (argotest.Outcome, bool) {
	var me argotest.PodRecord
	for _, r := range seen {
		if r.UID == pod.UID {
			me = r
		}
	}
	step := stepOf(me)
	p.mu.Lock()
	fail, hold := p.fail[step], p.hold[step]
	p.mu.Unlock()
	if hold {
		return argotest.Outcome{}, false
	}
	// scd2-contacts' loads: each ends only once both run, which proves
	// they run in parallel.
	if step == "initial-load" || step == "delta-load" {
		running := 0
		for _, r := range seen {
			if s := stepOf(r); r.Workflow == me.Workflow && (s == "initial-load" || s == "delta-load") && !r.Running.IsZero() {
				running++
			}
		}
		if running < 2 {
			return argotest.Outcome{}, false
		}
	}
	if fail {
		return argotest.Outcome{ExitCode: 1, Log: append(stepLog(step)[:1], "arc: simulated failure"), Message: "simulated failure"}, true
	}
	return argotest.Outcome{Log: stepLog(step)}, true
}

type argoRun struct {
	s    *simulated
	ctrl *argotest.Controller
	exec *argotest.Executor
	plan *argoPlan
}

func (a *argoRun) records(workflow string) []argotest.PodRecord {
	var out []argotest.PodRecord
	for _, r := range a.exec.Records() {
		if r.Workflow == workflow {
			out = append(out, r)
		}
	}
	return out
}

// waitFor polls cond every 500ms up to d.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (a *argoRun) listRuns(t *testing.T, ns string) []etl.WorkflowSummary {
	t.Helper()
	return decode[[]etl.WorkflowSummary](t, a.s.mustRun("jobs", "list", "-n", ns, "-o", "json"))
}

func TestSimulatedArgo(t *testing.T) {
	bin := argotest.Binary(t)
	// The chart mirror as blueprint reads it (BLUEPRINT_CHART_MIRROR): at
	// the pinned versions, with each chart's .helmignore applied.
	t.Setenv("BLUEPRINT_CHART_MIRROR", chartMirror(t))
	s := startSimulated(t, "argo", "name: e2e\nregion: us-east-1\n")
	up := s.up()
	ctx := context.Background()

	ctrl, err := argotest.Start(ctx, s.env.RESTConfig(), bin, "argo", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("workflow-controller log:\n%s", ctrl.Tail(80))
		}
		ctrl.Stop()
	})
	t.Logf("workflow-controller as %s/%s: %s", ctrl.Namespace, ctrl.ServiceAccount, strings.Join(ctrl.Args, " "))
	if ctrl.ConfigMap == "" {
		t.Fatalf("the chart's controller args name no --configmap: %v", ctrl.Args)
	}
	plan := &argoPlan{}
	x := &argotest.Executor{Admin: s.env.RESTConfig(), Namespace: etl.DefaultNamespace, LogDir: t.TempDir(), Decide: plan.decide}
	xctx, stop := context.WithCancel(ctx)
	xdone := make(chan struct{})
	go func() { x.Run(xctx); close(xdone) }()
	t.Cleanup(func() {
		stop()
		<-xdone
		for _, e := range x.Errors() {
			t.Errorf("executor (kubelet/wait as arcjob): %s", e)
		}
	})
	a := &argoRun{s: s, ctrl: ctrl, exec: x, plan: plan}
	var rows [][]string
	addRow := func(job, phase string, pods []argotest.PodRecord, took time.Duration) {
		retries := 0
		for _, r := range pods {
			if m := attemptSuffix.FindString(r.Node); m != "" && m != "(0)" {
				retries++
			}
		}
		rows = append(rows, []string{job, phase, fmt.Sprint(len(pods)), fmt.Sprint(retries), took.Round(100 * time.Millisecond).String()})
	}
	t.Cleanup(func() {
		if len(rows) > 0 {
			simSummary.addLine("\nsample jobs through Argo's workflow-controller " + "(v4.0.5, the chart's config and RBAC)\n" +
				simcluster.Table([]string{"job", "final phase", "pods", "retries", "wall time"}, rows))
		}
	})

	s.mustRun("jobs", "push", filepath.Join("..", "jobs"))
	arcJob, err := s.dyn.Resource(workflowTemplates).Namespace("spark").Get(ctx, "arc-job", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	arcImage := templateImage(t, arcJob)
	var scd2Run string

	t.Run("scd2-contacts", func(t *testing.T) {
		r := s.mustRun("jobs", "run", "scd2-contacts", "--watch", "--timeout", "5m", "-o", "json")
		sum := decode[etl.WorkflowSummary](t, r)
		scd2Run = sum.Name
		pods := a.records(sum.Name)
		addRow("scd2-contacts", sum.Phase, pods, r.took)
		if sum.Phase != etl.PhaseSucceeded {
			t.Fatalf("phase %s: %s", sum.Phase, sum.Message)
		}
		by := map[string]argotest.PodRecord{}
		for _, p := range pods {
			by[stepOf(p)] = p
		}
		if len(pods) != 3 || len(by) != 3 {
			t.Fatalf("pods %v, want one each of initial-load, delta-load, merge", pods)
		}
		il, dl, mg := by["initial-load"], by["delta-load"], by["merge"]
		if il.Running.After(dl.Finished) || dl.Running.After(il.Finished) {
			t.Errorf("loads did not run in parallel: initial %s–%s, delta %s–%s", il.Running, il.Finished, dl.Running, dl.Finished)
		}
		if mg.FirstSeen.Before(il.Finished) || mg.FirstSeen.Before(dl.Finished) {
			t.Errorf("merge pod appeared at %s, before both loads finished (%s, %s)", mg.FirstSeen, il.Finished, dl.Finished)
		}
		for step, p := range by {
			s.checkJobPod(t, p, arcImage, up.Outputs.CodeBucket, "jobs/scd2-contacts/"+step+".ipynb")
		}
	})

	t.Run("nyc-taxi", func(t *testing.T) {
		r := s.mustRun("jobs", "run", "nyc-taxi", "--watch", "--timeout", "5m", "-o", "json")
		sum := decode[etl.WorkflowSummary](t, r)
		pods := a.records(sum.Name)
		addRow("nyc-taxi", sum.Phase, pods, r.took)
		if sum.Phase != etl.PhaseSucceeded || len(pods) != 1 {
			t.Fatalf("phase %s (%s), %d pods", sum.Phase, sum.Message, len(pods))
		}
		s.checkJobPod(t, pods[0], arcImage, up.Outputs.CodeBucket, "jobs/nyc-taxi/daily-summary.ipynb")
	})

	t.Run("retries then fails naming the step", func(t *testing.T) {
		limit := shortenBackoff(t, s, "2s", 2)
		plan.set(&plan.fail, "daily-summary", true)
		defer plan.set(&plan.fail, "daily-summary", false)
		r := s.run("jobs", "run", "nyc-taxi", "--watch", "--timeout", "5m")
		name := strings.Fields(r.stdout + " x")[0]
		pods := a.records(name)
		addRow("nyc-taxi (failing step)", "Failed", pods, r.took)
		if r.code != cli.ExitError {
			t.Fatalf("exit %d, want %d\n%s", r.code, cli.ExitError, r.stderr)
		}
		want := fmt.Sprintf("step daily-summary failed after %d attempts: main: Error (exit code 1)", limit+1)
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
		if len(pods) != limit+1 {
			t.Fatalf("%d pods, want %d (retryStrategy.limit %d + 1)", len(pods), limit+1, limit)
		}
		// Backoff 2s ×2: Argo waits 2s, 4s, 8s after each failure (its
		// timestamps are whole seconds, hence 1s of slack).
		for i := 1; i < len(pods); i++ {
			gap := pods[i].FirstSeen.Sub(pods[i-1].Finished)
			if min := time.Duration(1<<(i-1))*2*time.Second - time.Second; gap < min {
				t.Errorf("attempt %d started %s after attempt %d failed, want ≥ %s", i, gap, i-1, min)
			}
		}
	})

	t.Run("list and logs", func(t *testing.T) {
		runs := a.listRuns(t, "spark")
		phases := map[string]int{}
		for _, w := range runs {
			phases[w.Phase]++
			if w.Phase == etl.PhaseSucceeded && w.Duration == "" {
				t.Errorf("%s: no duration", w.Name)
			}
		}
		if phases[etl.PhaseSucceeded] < 2 || phases[etl.PhaseFailed] < 1 {
			t.Errorf("jobs list phases = %v, want ≥2 Succeeded and ≥1 Failed: %+v", phases, runs)
		}
		table := s.mustRun("jobs", "list").stdout
		if !strings.Contains(table, "DURATION") || !strings.Contains(table, scd2Run) {
			t.Errorf("jobs list:\n%s", table)
		}
		if scd2Run == "" {
			t.Skip("no scd2-contacts run")
		}
		out := s.mustRun("jobs", "logs", scd2Run).stdout
		for _, p := range a.records(scd2Run) {
			for _, l := range append([]string{"==> " + p.Pod + " <=="}, stepLog(stepOf(p))...) {
				if !strings.Contains(out, l) {
					t.Errorf("jobs logs lacks %q:\n%s", l, out)
				}
			}
		}
	})

	t.Run("controller restarted mid-run", func(t *testing.T) {
		plan.set(&plan.hold, "daily-summary", true)
		name := decode[map[string]string](t, s.mustRun("jobs", "run", "nyc-taxi", "-o", "json"))["name"]
		waitFor(t, "the pod to run", 2*time.Minute, func() bool {
			ps := a.records(name)
			return len(ps) == 1 && !ps[0].Running.IsZero()
		})
		start := time.Now()
		ctrl.Stop()
		// The step ends while no controller runs.
		plan.set(&plan.hold, "daily-summary", false)
		waitFor(t, "the pod to end", time.Minute, func() bool { return !a.records(name)[0].Finished.IsZero() })
		if err := ctrl.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the run to succeed after the restart", 3*time.Minute, func() bool {
			for _, w := range a.listRuns(t, "spark") {
				if w.Name == name {
					return w.Phase == etl.PhaseSucceeded
				}
			}
			return false
		})
		addRow("nyc-taxi (controller restarted)", etl.PhaseSucceeded, a.records(name), time.Since(start))
	})

	t.Run("schedule fires, suspend and resume", func(t *testing.T) {
		fired := func() []etl.WorkflowSummary {
			var out []etl.WorkflowSummary
			list, err := s.dyn.Resource(etl.Workflows).Namespace("spark").List(ctx, metav1.ListOptions{LabelSelector: etl.LabelCronWorkflow + "=nyc-taxi"})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range list.Items {
				phase, _, _ := unstructured.NestedString(w.Object, "status", "phase")
				out = append(out, etl.WorkflowSummary{Name: w.GetName(), Phase: phase})
			}
			return out
		}
		start := time.Now()
		s.mustRun("jobs", "schedule", "nyc-taxi", "--cron", "* * * * *")
		waitFor(t, "the CronWorkflow to fire and its run to succeed", 150*time.Second, func() bool {
			runs := fired()
			return len(runs) > 0 && runs[0].Phase == etl.PhaseSucceeded
		})
		first := fired()
		addRow("nyc-taxi (CronWorkflow)", etl.PhaseSucceeded, a.records(first[0].Name), time.Since(start))

		s.mustRun("jobs", "schedule", "nyc-taxi", "--suspend")
		// Past the next minute boundary: a suspended CronWorkflow starts nothing.
		next := time.Now().Truncate(time.Minute).Add(time.Minute + 15*time.Second)
		time.Sleep(time.Until(next))
		if n := len(fired()); n != len(first) {
			t.Errorf("suspended CronWorkflow started %d runs", n-len(first))
		}
		s.mustRun("jobs", "schedule", "nyc-taxi", "--resume")
		waitFor(t, "the resumed CronWorkflow to fire", 100*time.Second, func() bool { return len(fired()) > len(first) })
		s.mustRun("jobs", "schedule", "nyc-taxi", "--suspend")
	})

	t.Run("namespace outside the platform", func(t *testing.T) {
		// The chart runs the controller cluster-wide (singleNamespace:
		// false, no --namespaced): every namespace is watched, but only
		// spark has arcjob. jobs run says so before submitting.
		if _, err := s.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tmpl, err := s.dyn.Resource(workflowTemplates).Namespace("spark").Get(ctx, "nyc-taxi", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cp := &unstructured.Unstructured{Object: map[string]any{"apiVersion": tmpl.GetAPIVersion(), "kind": tmpl.GetKind(),
			"metadata": map[string]any{"name": "nyc-taxi", "namespace": "other"}, "spec": tmpl.Object["spec"]}}
		if _, err := s.dyn.Resource(workflowTemplates).Namespace("other").Create(ctx, cp, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		r := s.run("jobs", "run", "nyc-taxi", "-n", "other", "--watch")
		if r.code == 0 || !strings.Contains(r.stderr, `service account "arcjob", which namespace "other" does not have`) {
			t.Errorf("jobs run -n other: exit %d\n%s", r.code, r.stderr)
		}

		// No controller picks the workflow up (the same as a namespace a
		// --namespaced controller does not watch): reported, not hung.
		ctrl.Stop()
		r = s.run("jobs", "run", "nyc-taxi", "--watch", "--pickup-timeout", "15s")
		if r.code == 0 || !strings.Contains(r.stderr, "no Argo workflow controller started the workflow") {
			t.Errorf("jobs run with no controller: exit %d\n%s", r.code, r.stderr)
		}
		if r.took > time.Minute {
			t.Errorf("took %s to report it", r.took)
		}
		if err := ctrl.Restart(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// templateImage is the arc-job template's container image (the chart's).
func templateImage(t *testing.T, tmpl *unstructured.Unstructured) string {
	ts, _, _ := unstructured.NestedSlice(tmpl.Object, "spec", "templates")
	for _, x := range ts {
		if img, _, _ := unstructured.NestedString(x.(map[string]any), "container", "image"); img != "" {
			return img
		}
	}
	t.Fatal("arc-job has no container image")
	return ""
}

// shortenBackoff sets every arc-job template's retry backoff to duration,
// ×factor, no cap (see the file comment) and returns the chart's limit.
func shortenBackoff(t *testing.T, s *simulated, duration string, factor int) int {
	ctx := context.Background()
	tmpl, err := s.dyn.Resource(workflowTemplates).Namespace("spark").Get(ctx, "arc-job", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ts, _, _ := unstructured.NestedSlice(tmpl.Object, "spec", "templates")
	limit := -1
	for _, x := range ts {
		m := x.(map[string]any)
		rs, ok := m["retryStrategy"].(map[string]any)
		if !ok {
			continue
		}
		switch l := rs["limit"].(type) {
		case int64:
			limit = int(l)
		case float64:
			limit = int(l)
		case string:
			fmt.Sscan(l, &limit)
		}
		rs["backoff"] = map[string]any{"duration": duration, "factor": int64(factor)}
	}
	if limit < 1 {
		t.Fatalf("arc-job has no retryStrategy.limit: %v", ts)
	}
	if err := unstructured.SetNestedSlice(tmpl.Object, ts, "spec", "templates"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.dyn.Resource(workflowTemplates).Namespace("spark").Update(ctx, tmpl, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	return limit
}

// checkJobPod: the pod Argo made from arc-job has the template's image,
// spark-submit with the job's configUri in the code bucket, the
// environment, the arcjob account and the on-demand node selector, and
// runs on an on-demand node.
func (s *simulated) checkJobPod(t *testing.T, p argotest.PodRecord, image, codeBucket, job string) {
	t.Helper()
	var main *corev1.Container
	for i := range p.Spec.Containers {
		if p.Spec.Containers[i].Name == "main" {
			main = &p.Spec.Containers[i]
		}
	}
	if main == nil {
		t.Fatalf("pod %s has no main container", p.Pod)
	}
	if main.Image != image {
		t.Errorf("%s: image %s, want %s", p.Pod, main.Image, image)
	}
	cmd := strings.Join(append(append([]string{}, main.Command...), main.Args...), " ")
	for _, want := range []string{"/opt/spark/bin/spark-submit", "--etl.config.uri=$(ETL_CONF_CODE_URL)/" + job, "--etl.config.environment=production", "local:///opt/spark/jars/arc.jar"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("%s: command lacks %q: %s", p.Pod, want, cmd)
		}
	}
	env := map[string]string{}
	for _, e := range main.Env {
		env[e.Name] = e.Value
	}
	if env["ETL_CONF_CODE_URL"] != "s3a://"+codeBucket || env["ETL_CONF_ENV"] != "production" || env["AWS_REGION"] != "us-east-1" {
		t.Errorf("%s: env %v", p.Pod, env)
	}
	if p.Spec.ServiceAccountName != "arcjob" {
		t.Errorf("%s: service account %q", p.Pod, p.Spec.ServiceAccountName)
	}
	if p.Spec.NodeSelector["lifecycle"] != "OnDemand" {
		t.Errorf("%s: node selector %v", p.Pod, p.Spec.NodeSelector)
	}
	node, err := s.kube.CoreV1().Nodes().Get(context.Background(), p.NodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("%s: node %q: %v", p.Pod, p.NodeName, err)
	}
	if node.Labels["lifecycle"] != "OnDemand" {
		t.Errorf("%s ran on %s (labels %v), not an on-demand node", p.Pod, node.Name, node.Labels)
	}
}
