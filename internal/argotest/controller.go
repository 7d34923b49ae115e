// Package argotest runs Argo Workflows' own workflow-controller (built from
// the Go module proxy by hack/argo-controller.sh, v4.0.5) against a
// simulated cluster (internal/kubetest with Options.Cluster, kwok nodes from
// internal/simcluster) on which the argo-workflows chart is installed, and
// plays the parts kwok cannot: the kubelet ending a container with an exit
// code and log lines, and Argo's `wait` container reporting the
// WorkflowTaskResult (Executor).
//
// The controller runs exactly as the chart's Deployment says: its
// container's args (--configmap <the chart's ConfigMap>, --executor-image,
// --namespaced when singleNamespace is set, ...) and env (ARGO_NAMESPACE,
// LEADER_ELECTION_*), authenticated with a token of the Deployment's service
// account (TokenRequest), so the RBAC the chart grants it is what the API
// server enforces. The kwok pod of the Deployment runs nothing; this
// process stands in for it.
package argotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
)

// Environment variables read by this package.
const (
	// EnvController overrides the workflow-controller binary path
	// (default bin/workflow-controller next to go.mod).
	EnvController = "BLUEPRINT_WORKFLOW_CONTROLLER"
	// EnvRequire, when "1" (make test), turns a missing binary into a
	// failure instead of a skip.
	EnvRequire = "BLUEPRINT_REQUIRE_ARGO"
)

// ControllerComponent is the app.kubernetes.io/component label of the
// argo-workflows chart's controller Deployment.
const ControllerComponent = "workflow-controller"

// Binary returns the workflow-controller binary, skipping t (or failing it
// under BLUEPRINT_REQUIRE_ARGO=1) when it is not built.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := findBinary()
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%v (%s=1)", err, EnvRequire)
		}
		t.Skip(err)
	}
	return p
}

func findBinary() (string, error) {
	if p := os.Getenv(EnvController); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "bin", "workflow-controller")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("Argo's workflow-controller is not built (%s): run hack/argo-controller.sh", p)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory; set " + EnvController)
		}
		dir = parent
	}
}

// Controller is a running workflow-controller process.
type Controller struct {
	Bin string
	// Namespace is the chart's (the controller's ARGO_NAMESPACE and
	// kubeconfig namespace).
	Namespace string
	// Deployment, ServiceAccount, ConfigMap: what the chart installed.
	Deployment, ServiceAccount, ConfigMap string
	// Args and Env are the chart's, as the process gets them.
	Args, Env []string
	// Kubeconfig holds the service account's token.
	Kubeconfig string
	Log        string

	mu    sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{}
	runs  int
	start time.Time
}

// Start reads the chart's controller Deployment in namespace, mints a
// token for its service account and starts the binary with the
// Deployment's args and env. dir holds the kubeconfig and the log.
func Start(ctx context.Context, admin *rest.Config, bin, namespace, dir string) (*Controller, error) {
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return nil, err
	}
	deps, err := cs.AppsV1().Deployments(namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=" + ControllerComponent})
	if err != nil {
		return nil, err
	}
	if len(deps.Items) != 1 {
		return nil, fmt.Errorf("argotest: want one Deployment labelled app.kubernetes.io/component=%s in %s, found %d (is the argo-workflows release installed?)", ControllerComponent, namespace, len(deps.Items))
	}
	d := deps.Items[0]
	c := &Controller{Bin: bin, Namespace: namespace, Deployment: d.Name, ServiceAccount: d.Spec.Template.Spec.ServiceAccountName,
		Log: filepath.Join(dir, "workflow-controller.log")}
	if c.Args, c.Env, err = processOf(d); err != nil {
		return nil, err
	}
	for i, a := range c.Args {
		if a == "--configmap" && i+1 < len(c.Args) {
			c.ConfigMap = c.Args[i+1]
		}
	}
	if c.Kubeconfig, err = serviceAccountKubeconfig(ctx, cs, admin, namespace, c.ServiceAccount, nil, dir); err != nil {
		return nil, err
	}
	return c, c.run()
}

// processOf is the controller container's args and env, with the
// downward-API fields the chart uses resolved as the kubelet would.
func processOf(d appsv1.Deployment) (args, env []string, err error) {
	var ctr *corev1.Container
	for i := range d.Spec.Template.Spec.Containers {
		if d.Spec.Template.Spec.Containers[i].Name == "controller" || ctr == nil {
			ctr = &d.Spec.Template.Spec.Containers[i]
		}
	}
	if ctr == nil {
		return nil, nil, fmt.Errorf("argotest: Deployment %s has no container", d.Name)
	}
	args = append(append([]string{}, ctr.Command[min(len(ctr.Command), 1):]...), ctr.Args...)
	for _, e := range ctr.Env {
		switch {
		case e.ValueFrom == nil:
			env = append(env, e.Name+"="+e.Value)
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			env = append(env, e.Name+"="+d.Namespace)
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name":
			env = append(env, e.Name+"="+d.Name+"-simulated")
		default:
			return nil, nil, fmt.Errorf("argotest: env %s of Deployment %s: only values and metadata.name/namespace field refs are supported", e.Name, d.Name)
		}
	}
	return args, env, nil
}

// serviceAccountKubeconfig writes a kubeconfig for namespace/sa with a
// token from the TokenRequest API (bound to pod when given), as the
// kubelet projects one into a pod.
func serviceAccountKubeconfig(ctx context.Context, cs kubernetes.Interface, admin *rest.Config, namespace, sa string, pod *corev1.Pod, dir string) (string, error) {
	cfg, err := ServiceAccountConfig(ctx, cs, admin, namespace, sa, pod)
	if err != nil {
		return "", err
	}
	k := clientcmdapi.NewConfig()
	k.Clusters["sim"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	k.AuthInfos[sa] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	k.Contexts["sim"] = &clientcmdapi.Context{Cluster: "sim", AuthInfo: sa, Namespace: namespace}
	k.CurrentContext = "sim"
	data, err := clientcmd.Write(*k)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, sa+".kubeconfig")
	return p, os.WriteFile(p, data, 0o600)
}

// ServiceAccountConfig is a rest.Config authenticating as namespace/sa
// with a TokenRequest token (bound to pod when given, like the token the
// kubelet projects into the pod).
func ServiceAccountConfig(ctx context.Context, cs kubernetes.Interface, admin *rest.Config, namespace, sa string, pod *corev1.Pod) (*rest.Config, error) {
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3 * 3600)}}
	if pod != nil {
		tr.Spec.BoundObjectRef = &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID}
	}
	tok, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, sa, tr, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("argotest: token for service account %s/%s: %w", namespace, sa, err)
	}
	return &rest.Config{
		Host:            admin.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: admin.CAData},
		BearerToken:     tok.Status.Token,
		QPS:             50, Burst: 100,
	}, nil
}

func (c *Controller) run() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, err := os.OpenFile(c.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	c.runs++
	fmt.Fprintf(f, "==== argotest: start %d: %s %s\n", c.runs, c.Bin, strings.Join(c.Args, " "))
	cmd := exec.Command(c.Bin, append(append([]string{}, c.Args...), "--kubeconfig="+c.Kubeconfig)...)
	cmd.Env = append(append(os.Environ(), c.Env...), "KUBECONFIG="+c.Kubeconfig)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("argotest: starting %s: %w", c.Bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(done) }()
	c.cmd, c.done, c.start = cmd, done, time.Now()
	// Fail fast on a controller that exits at once (bad flags, RBAC it
	// cannot start without, its ConfigMap missing).
	select {
	case <-done:
		return fmt.Errorf("argotest: workflow-controller exited at once:\n%s", c.Tail(30))
	case <-time.After(2 * time.Second):
	}
	return nil
}

// Exited reports whether the process has ended.
func (c *Controller) Exited() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Stop ends the process (SIGTERM, then SIGKILL after 10s), as the kubelet
// ends a pod. Idempotent.
func (c *Controller) Stop() {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// Restart stops the controller and starts a new process (same args, a
// fresh token), like the Deployment replacing its pod.
func (c *Controller) Restart(ctx context.Context) error {
	c.Stop()
	return c.run()
}

// Tail returns the last n lines of the controller's log.
func (c *Controller) Tail(n int) string {
	data, _ := os.ReadFile(c.Log)
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
