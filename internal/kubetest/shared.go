package kubetest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// RunShared starts one Env for a whole test binary, stores it in *env, runs
// the tests and stops the Env. Call it from TestMain:
//
//	var env *kubetest.Env
//
//	func TestMain(m *testing.M) { os.Exit(kubetest.RunShared(m, &env)) }
//
// and begin each test with env.Require(t). If the binaries are missing and
// BLUEPRINT_REQUIRE_KUBE is not "1", *env is set to a placeholder whose
// Require skips, so the package's other tests still run; with
// BLUEPRINT_REQUIRE_KUBE=1, or on any other startup error, RunShared prints
// the error and returns 1 without running the tests.
//
// The server is started even when -run selects no test that needs it.
func RunShared(m *testing.M, env **Env, opts ...Options) int {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if !flag.Parsed() {
		flag.Parse() // so the tests' flags (-v, -run, ...) are valid before m.Run
	}
	e, err := Launch(context.Background(), o)
	switch {
	case errors.Is(err, ErrNotInstalled) && !required():
		*env = &Env{unavailable: err.Error()}
		return m.Run()
	case err != nil:
		fmt.Fprintf(os.Stderr, "kubetest: %v\n", err)
		if errors.Is(err, ErrNotInstalled) {
			fmt.Fprintf(os.Stderr, "kubetest: %s=1: run hack/kube-tools.sh to build bin/kube-apiserver and install etcd\n", EnvRequire)
		}
		return 1
	}
	*env = e
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "kubetest logs (tests failed):\n%s", e.LogTails(40))
	}
	if err := e.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "kubetest: stop: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Require skips t (or fails it under BLUEPRINT_REQUIRE_KUBE=1) when the Env
// set up by RunShared is unavailable, and returns e.
func (e *Env) Require(t testing.TB) *Env {
	t.Helper()
	if e == nil {
		t.Fatal("kubetest: Env is nil; call kubetest.RunShared from TestMain or use kubetest.Start")
	}
	if e.unavailable != "" {
		skipOrFail(t, e.unavailable)
	}
	return e
}

// CreateNamespace creates a namespace with a generated name ("test-xxxxx")
// so tests sharing one server do not collide, and returns its name. Without
// a controller-manager a deleted namespace never finishes terminating, so it
// is left in place; the server and its data go away with Stop.
func (e *Env) CreateNamespace(t testing.TB) string {
	t.Helper()
	cs, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := cs.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("kubetest: create namespace: %v", err)
	}
	return ns.Name
}

// FinishTerminatingNamespaces does the last step of kube-controller-manager's
// namespace controller, which this harness does not run: every namespace
// being deleted has its "kubernetes" finalizer removed and is waited for
// until it is gone, so it can be created again. Callers must have deleted
// the namespace's contents (a Helm uninstall does); anything left stays in
// etcd and reappears if the namespace is recreated.
func (e *Env) FinishTerminatingNamespaces(t testing.TB) {
	t.Helper()
	cs, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	list, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("kubetest: list namespaces: %v", err)
	}
	for _, ns := range list.Items {
		if ns.DeletionTimestamp == nil {
			continue
		}
		ns.Spec.Finalizers = nil
		if _, err := cs.CoreV1().Namespaces().Finalize(ctx, &ns, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Fatalf("kubetest: finalize namespace %s: %v", ns.Name, err)
		}
		for i := 0; ; i++ {
			_, err := cs.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				break
			}
			if i == 100 {
				t.Fatalf("kubetest: namespace %s still there after finalizing: %v", ns.Name, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// Lazy is an Env shared by a whole test binary that is started by the
// first test that asks for it (Require), not before the tests: a binary
// whose selected tests never need it, such as each simulated-cluster shard
// of e2e (hack/test.sh), which starts a cluster of its own, never runs an
// idle API server and etcd beside its cluster. Run it from TestMain:
//
//	var kube kubetest.Lazy
//
//	func TestMain(m *testing.M) { os.Exit(kube.Run(m)) }
type Lazy struct {
	once sync.Once
	env  *Env
	err  error
}

// Require starts the Env on first use and returns it; it skips t (fails it
// under BLUEPRINT_REQUIRE_KUBE=1) when the binaries are missing, and fails
// it on any other startup error.
func (l *Lazy) Require(t testing.TB) *Env {
	t.Helper()
	l.once.Do(func() { l.env, l.err = Launch(context.Background(), Options{}) })
	switch {
	case errors.Is(l.err, ErrNotInstalled):
		skipOrFail(t, l.err.Error())
	case l.err != nil:
		t.Fatalf("kubetest: %v", l.err)
	}
	return l.env
}

// Run runs the tests, then stops the Env if a test started it.
func (l *Lazy) Run(m Runner) int {
	if !flag.Parsed() {
		flag.Parse()
	}
	code := m.Run()
	l.once.Do(func() {}) // no start after this
	if l.env == nil {
		return code
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "kubetest logs (tests failed):\n%s", l.env.LogTails(40))
	}
	if err := l.env.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "kubetest: stop: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Runner runs the tests and returns the exit code; *testing.M is one.
type Runner interface{ Run() int }
