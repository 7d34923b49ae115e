// Package kubetest is a test harness that runs a real etcd + kube-apiserver
// on 127.0.0.1, so tests can talk to a genuine Kubernetes API (validation,
// RBAC, CRDs, server-side apply, ...) without a cluster or network access.
//
// There are no controllers (no kube-controller-manager, scheduler or
// kubelet): objects are stored and validated but nothing reconciles them.
// Pods never run, namespaces never finish terminating, and service accounts
// are not created automatically (the ServiceAccount admission plugin is
// disabled so pods are still accepted).
//
// # Binaries
//
// kube-apiserver is built from the Go module proxy by hack/kube-tools.sh
// into bin/kube-apiserver (found by walking up from the working directory to
// the directory holding go.mod, or from $BLUEPRINT_KUBE_APISERVER); the same
// script installs etcd (Debian's etcd-server) which is looked up on PATH (or
// $BLUEPRINT_ETCD). When either is missing, tests are skipped, unless
// BLUEPRINT_REQUIRE_KUBE=1 (as `make test` sets), in which case they fail and
// say to run hack/kube-tools.sh.
//
// # One server per test
//
//	func TestSomething(t *testing.T) {
//		env := kubetest.Start(t) // skipped or failed if binaries are missing; stopped by t.Cleanup
//		cs := kubernetes.NewForConfigOrDie(env.RESTConfig())
//		...
//	}
//
// # One server per test binary (package)
//
// Starting takes a few seconds, so a package with many tests should share
// one server through TestMain; each test then works in its own namespace:
//
//	var env *kubetest.Env
//
//	func TestMain(m *testing.M) { os.Exit(kubetest.RunShared(m, &env)) }
//
//	func TestSomething(t *testing.T) {
//		env.Require(t) // skips (or fails under BLUEPRINT_REQUIRE_KUBE=1) if unavailable
//		ns := env.CreateNamespace(t)
//		...
//	}
//
// `go test ./...` runs test binaries of different packages in parallel, each
// with its own server; every server uses its own free ports and temp dir.
package kubetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Environment variables read by this package.
const (
	// EnvAPIServer overrides the kube-apiserver binary path.
	EnvAPIServer = "BLUEPRINT_KUBE_APISERVER"
	// EnvEtcd overrides the etcd binary path.
	EnvEtcd = "BLUEPRINT_ETCD"
	// EnvRequire, when "1", turns "binaries missing" from a skip into a failure.
	EnvRequire = "BLUEPRINT_REQUIRE_KUBE"
)

// ServiceClusterIPRange is passed as --service-cluster-ip-range.
const ServiceClusterIPRange = "10.0.0.0/24"

// ErrNotInstalled is returned (wrapped) by Launch when kube-apiserver or etcd
// cannot be found.
var ErrNotInstalled = errors.New("kube-apiserver/etcd not installed; run hack/kube-tools.sh")

// Options configure Launch. The zero value is ready to use.
type Options struct {
	// APIServerPath and EtcdPath override binary discovery.
	APIServerPath string
	EtcdPath      string
	// StartTimeout bounds the whole startup (default 2 minutes).
	StartTimeout time.Duration
	// ExtraAPIServerArgs are appended to the kube-apiserver flags (later
	// flags win), e.g. "--feature-gates=...".
	ExtraAPIServerArgs []string
	// KeepDir leaves the temp dir (logs, certs, etcd data) after Stop.
	KeepDir bool
	// Cluster also runs kube-controller-manager, kube-scheduler and kwok
	// (see startCluster), and turns on the ServiceAccount admission plugin
	// as on EKS: a simulated cluster whose nodes the test creates.
	Cluster bool
}

// Env is a running etcd + kube-apiserver pair.
type Env struct {
	// Config authenticates as an admin (client certificate in group
	// system:masters). Treat it as read-only; RESTConfig returns a copy.
	Config *rest.Config
	// Kubeconfig is a kubeconfig with embedded credentials, also written to
	// KubeconfigPath, for kubectl, Helm and clientcmd.
	Kubeconfig     []byte
	KubeconfigPath string
	// Host is the API server URL, https://127.0.0.1:<port>.
	Host string
	// APIServerAddr and EtcdAddr are the 127.0.0.1:<port> listen addresses.
	APIServerAddr string
	EtcdAddr      string
	// Dir is the temp dir holding certs, etcd data and the logs.
	Dir string
	// APIServerLog and EtcdLog are the processes' combined stdout/stderr.
	APIServerLog string
	EtcdLog      string

	etcd, apiserver *process
	// Simulated cluster (Options.Cluster).
	controllerManager, scheduler, kwok *process
	mu                                 sync.Mutex
	extra                              []*process // StartScheduler
	keepDir                            bool
	stopOnce                           sync.Once
	stopErr                            error
	unavailable                        string // set by RunShared when the binaries are missing
}

// RESTConfig returns a copy of the admin rest.Config.
func (e *Env) RESTConfig() *rest.Config { return rest.CopyConfig(e.Config) }

// Environ returns environment entries pointing tools such as kubectl and
// helm at this server (KUBECONFIG=...).
func (e *Env) Environ() []string { return []string{"KUBECONFIG=" + e.KubeconfigPath} }

// LogTails returns the last n lines of both processes' logs.
func (e *Env) LogTails(n int) string {
	var b strings.Builder
	for _, p := range append(e.clusterProcesses(), e.apiserver, e.etcd) {
		if p != nil {
			b.WriteString(p.tail(n))
		}
	}
	return b.String()
}

// Launch starts etcd and kube-apiserver and waits until /readyz succeeds.
// ctx bounds the startup only; the processes run until Stop. Missing
// binaries give an error wrapping ErrNotInstalled. Prefer Start in tests.
func Launch(ctx context.Context, opts Options) (*Env, error) {
	apiserverBin, etcdBin, err := findBinaries(opts)
	if err != nil {
		return nil, err
	}
	var cluster *clusterBinaries
	if opts.Cluster {
		b, err := findClusterBinaries()
		if err != nil {
			return nil, err
		}
		cluster = &b
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Free ports are picked by binding :0 and releasing them, so another
	// process can grab one in between; retry the (rare) collision.
	const attempts = 3
	for i := 1; ; i++ {
		env, err := launchOnce(ctx, opts, apiserverBin, etcdBin, cluster)
		if err == nil || i == attempts || !errors.Is(err, errAddrInUse) {
			return env, err
		}
	}
}

func launchOnce(ctx context.Context, opts Options, apiserverBin, etcdBin string, cluster *clusterBinaries) (_ *Env, err error) {
	dir, err := os.MkdirTemp("", "kubetest-")
	if err != nil {
		return nil, err
	}
	env := &Env{Dir: dir, keepDir: opts.KeepDir}
	defer func() {
		if err != nil {
			_ = env.Stop()
		}
	}()

	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClientPort, etcdPeerPort, apiPort := ports[0], ports[1], ports[2]
	env.EtcdAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(etcdClientPort))
	env.APIServerAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(apiPort))
	env.Host = "https://" + env.APIServerAddr
	env.EtcdLog = filepath.Join(dir, "etcd.log")
	env.APIServerLog = filepath.Join(dir, "kube-apiserver.log")

	pkiDir := filepath.Join(dir, "pki")
	if err := os.Mkdir(pkiDir, 0o700); err != nil {
		return nil, err
	}
	certs, err := newPKI(pkiDir, net.IPv4(10, 0, 0, 1))
	if err != nil {
		return nil, fmt.Errorf("kubetest: generate certificates: %w", err)
	}

	// etcd
	etcdURL := "http://" + env.EtcdAddr
	peerURL := "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(etcdPeerPort))
	var etcdEnv []string
	if runtime.GOARCH != "amd64" {
		// etcd 3.4 refuses to start on most other architectures without this.
		etcdEnv = append(etcdEnv, "ETCD_UNSUPPORTED_ARCH="+runtime.GOARCH)
	}
	env.etcd, err = startProcess("etcd", env.EtcdLog, etcdEnv, etcdBin,
		"--name=kubetest",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=kubetest="+peerURL,
		"--initial-cluster-state=new",
		"--logger=zap",
		"--log-outputs=stderr",
	)
	if err != nil {
		return nil, err
	}
	if err := waitEtcd(ctx, env.etcd, etcdURL); err != nil {
		return nil, startupErr("etcd", err, env.etcd)
	}

	// kube-apiserver
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(apiPort),
		"--tls-cert-file=" + certs.servingCertFile,
		"--tls-private-key-file=" + certs.servingKeyFile,
		"--client-ca-file=" + certs.caCertFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + certs.saPubFile,
		"--service-account-signing-key-file=" + certs.saKeyFile,
		"--service-cluster-ip-range=" + ServiceClusterIPRange,
		"--allow-privileged=true",
		// The lease reconciler would publish 127.0.0.1 as the endpoint of
		// the "kubernetes" service, which endpoint validation rejects.
		"--endpoint-reconciler-type=none",
		"--profiling=false",
	}
	if cluster == nil {
		// No controller-manager creates "default" service accounts, so
		// the ServiceAccount admission plugin would reject every pod.
		// With Cluster it stays on, as on EKS (PodSecurity is on either way:
		// it is enabled by default since Kubernetes 1.25).
		args = append(args, "--disable-admission-plugins=ServiceAccount")
	}
	args = append(args, opts.ExtraAPIServerArgs...)
	env.apiserver, err = startProcess("kube-apiserver", env.APIServerLog, nil, apiserverBin, args...)
	if err != nil {
		return nil, err
	}

	env.Config = &rest.Config{
		Host: env.Host,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   certs.caCertPEM,
			CertData: certs.adminCertPEM,
			KeyData:  certs.adminKeyPEM,
		},
		QPS:   100,
		Burst: 200,
	}
	if err := waitReady(ctx, env.apiserver, env.etcd, env.Config); err != nil {
		return nil, startupErr("kube-apiserver", err, env.apiserver, env.etcd)
	}

	env.Kubeconfig, err = kubeconfig(env.Config)
	if err != nil {
		return nil, err
	}
	env.KubeconfigPath = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(env.KubeconfigPath, env.Kubeconfig, 0o600); err != nil {
		return nil, err
	}
	if cluster != nil {
		if err := env.startCluster(ctx, *cluster, certs); err != nil {
			return nil, err
		}
	}
	return env, nil
}

// Stop kills kube-apiserver and etcd (and their process groups) and removes
// the temp dir. It is idempotent and safe to call concurrently.
func (e *Env) Stop() error {
	e.stopOnce.Do(func() {
		var errs []error
		for _, p := range e.clusterProcesses() {
			errs = append(errs, p.stop(10*time.Second))
		}
		// apiserver first, so it does not log etcd connection errors.
		errs = append(errs, e.apiserver.stop(15*time.Second))
		errs = append(errs, e.etcd.stop(10*time.Second))
		if e.Dir != "" && !e.keepDir {
			errs = append(errs, os.RemoveAll(e.Dir))
		}
		e.stopErr = errors.Join(errs...)
	})
	return e.stopErr
}

func startupErr(what string, err error, procs ...*process) error {
	msg := fmt.Errorf("kubetest: %s did not become ready: %w", what, err)
	for _, p := range procs {
		if p.exited() && strings.Contains(p.tail(200), "address already in use") {
			msg = fmt.Errorf("%w (%w)", msg, errAddrInUse)
			break
		}
	}
	return withTails(msg, 40, procs...)
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close() // hold all until the end so they are distinct
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// poll calls check with exponential backoff (50ms doubling up to 1s) until it
// returns true or an error, ctx ends, or one of the processes exits.
func poll(ctx context.Context, check func(context.Context) (bool, error), procs ...*process) error {
	delay := 50 * time.Millisecond
	timer := time.NewTimer(0)
	defer timer.Stop()
	var lastErr error
	for {
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("%w; last error: %v", ctx.Err(), lastErr)
			}
			return ctx.Err()
		case <-timer.C:
		}
		for _, p := range procs {
			if p.exited() {
				return p.exitError()
			}
		}
		ok, err := check(ctx)
		if ok {
			return nil
		}
		lastErr = err
		timer.Reset(delay)
		delay = min(delay*2, time.Second)
	}
}

func waitEtcd(ctx context.Context, etcd *process, url string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	return poll(ctx, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/health", nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Errorf("GET /health: %s", resp.Status)
		}
		return true, nil
	}, etcd)
}

func waitReady(ctx context.Context, apiserver, etcd *process, cfg *rest.Config) error {
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	client.Timeout = 5 * time.Second
	return poll(ctx, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Host+"/readyz?verbose", nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			var body strings.Builder
			data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			for _, l := range strings.Split(string(data), "\n") {
				if strings.HasPrefix(l, "[-]") { // failing checks only
					body.WriteString(l + "; ")
				}
			}
			return false, fmt.Errorf("GET /readyz: %s: %s", resp.Status, body.String())
		}
		return true, nil
	}, apiserver, etcd)
}

func kubeconfig(cfg *rest.Config) ([]byte, error) {
	const name = "kubetest"
	c := clientcmdapi.NewConfig()
	c.Clusters[name] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
	}
	c.AuthInfos[name] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
	}
	c.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name, Namespace: "default"}
	c.CurrentContext = name
	return clientcmd.Write(*c)
}
