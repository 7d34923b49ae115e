package kubetest

import (
	"context"
	_ "embed"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// kwokLogsCRD is kwok's Logs CRD (see the file's header). With it and
// --enable-crds=Logs, kwok's kubelet server answers the API server's
// containerLogs requests from the file a Logs object names for the pod,
// so a test can give a container the log lines it chooses.
//
//go:embed kwok_logs_crd.yaml
var kwokLogsCRD []byte

// Environment variables naming the simulated cluster's binaries (default:
// bin/<name> next to go.mod, linked there by hack/kube-tools.sh).
const (
	EnvScheduler         = "BLUEPRINT_KUBE_SCHEDULER"
	EnvControllerManager = "BLUEPRINT_KUBE_CONTROLLER_MANAGER"
	EnvKwok              = "BLUEPRINT_KWOK"
)

// KwokNodeAnnotation marks the nodes kwok plays the kubelet of; only nodes
// carrying it are managed, so a test can still create inert nodes.
const (
	KwokNodeAnnotation      = "kwok.x-k8s.io/node"
	KwokNodeAnnotationValue = "fake"
)

// PodCIDR is the range kwok hands pod IPs out of.
const PodCIDR = "10.64.0.1/16"

type clusterBinaries struct{ scheduler, controllerManager, kwok string }

func findClusterBinaries() (clusterBinaries, error) {
	var b clusterBinaries
	var err error
	if b.scheduler, err = findRepoBinary("kube-scheduler", "", EnvScheduler); err != nil {
		return b, err
	}
	if b.controllerManager, err = findRepoBinary("kube-controller-manager", "", EnvControllerManager); err != nil {
		return b, err
	}
	if b.kwok, err = findRepoBinary("kwok", "", EnvKwok); err != nil {
		return b, err
	}
	return b, nil
}

// startCluster runs what turns the API server into a cluster, as on EKS:
// kube-controller-manager (service accounts and their tokens, Deployments,
// StatefulSets, DaemonSets, Jobs, namespaces finishing deletion, garbage
// collection, PV binding), kube-scheduler, and kwok, which plays the
// kubelet of every node annotated with KwokNodeAnnotation: nodes become
// Ready, bound pods get an IP and become Running and Ready, Job pods
// complete. No container runs.
func (e *Env) startCluster(ctx context.Context, bins clusterBinaries, certs *pki) error {
	var err error
	common := []string{
		"--kubeconfig=" + e.KubeconfigPath,
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
	}
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	cmArgs := append(append([]string{}, common...),
		"--secure-port="+strconv.Itoa(ports[0]),
		"--authentication-skip-lookup=true",
		"--service-account-private-key-file="+certs.saKeyFile,
		"--root-ca-file="+certs.caCertFile,
		"--use-service-account-credentials=true",
		"--controllers=*",
		"--cluster-name=kubetest",
		"--concurrent-deployment-syncs=10",
		"--concurrent-replicaset-syncs=10",
		// kwok renews node leases; on a loaded 2-core machine a renewal can
		// be late, and a node marked NotReady would taint and evict.
		"--node-monitor-grace-period=2m",
	)
	e.controllerManager, err = startProcess("kube-controller-manager", filepath.Join(e.Dir, "kube-controller-manager.log"), nil, bins.controllerManager, cmArgs...)
	if err != nil {
		return err
	}
	schedArgs := append(append([]string{}, common...),
		"--secure-port="+strconv.Itoa(ports[1]),
		"--authentication-skip-lookup=true",
	)
	e.scheduler, err = startProcess("kube-scheduler", filepath.Join(e.Dir, "kube-scheduler.log"), nil, bins.scheduler, schedArgs...)
	if err != nil {
		return err
	}
	if err := applyKwokLogsCRD(ctx, e); err != nil {
		return err
	}
	// kwok's kubelet server: the API server reaches it for pod logs at the
	// node's InternalIP (--node-ip) and status.daemonEndpoints port
	// (--node-port), over HTTPS (kube-apiserver only speaks HTTPS to
	// kubelets; it does not verify the certificate without
	// --kubelet-certificate-authority).
	e.kwok, err = startProcess("kwok", filepath.Join(e.Dir, "kwok.log"), nil, bins.kwok,
		"--kubeconfig="+e.KubeconfigPath,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector="+KwokNodeAnnotation+"="+KwokNodeAnnotationValue,
		"--cidr="+PodCIDR,
		"--node-ip=127.0.0.1",
		// Heartbeats through Leases, as the kubelet does, not status patches.
		"--node-lease-duration-seconds=40",
		"--server-address="+net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[2])),
		"--node-port="+strconv.Itoa(ports[2]),
		"--tls-cert-file="+certs.servingCertFile,
		"--tls-private-key-file="+certs.servingKeyFile,
		"--enable-crds=Logs",
	)
	if err != nil {
		return err
	}
	// Ready when the controller manager has created the default
	// namespace's service account (the ServiceAccount admission plugin
	// needs it before any pod is accepted).
	cs, err := kubernetes.NewForConfig(e.RESTConfig())
	if err != nil {
		return err
	}
	err = poll(ctx, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil, err
	}, e.controllerManager, e.scheduler, e.kwok, e.apiserver)
	if err != nil {
		return startupErr("the simulated cluster (controller manager, scheduler, kwok)", err, e.controllerManager, e.scheduler, e.kwok)
	}
	return nil
}

func applyKwokLogsCRD(ctx context.Context, e *Env) error {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(kwokLogsCRD, &crd); err != nil {
		return fmt.Errorf("kubetest: kwok Logs CRD: %w", err)
	}
	cs, err := apiextensions.NewForConfig(e.RESTConfig())
	if err != nil {
		return err
	}
	_, err = cs.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, &crd, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("kubetest: creating kwok's Logs CRD: %w", err)
	}
	return poll(ctx, func(ctx context.Context) (bool, error) {
		got, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range got.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	}, e.apiserver)
}

func (e *Env) clusterProcesses() []*process {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*process{e.kwok, e.scheduler, e.controllerManager}, e.extra...)
}

// ClusterLogTails returns the last n lines of the controller manager's,
// scheduler's and kwok's logs.
func (e *Env) ClusterLogTails(n int) string {
	var s string
	for _, p := range e.clusterProcesses() {
		if p != nil {
			s += p.tail(n)
		}
	}
	return s
}

// StartScheduler runs one more kube-scheduler with the given
// KubeSchedulerConfiguration (YAML; its clientConnection.kubeconfig must
// point at this Env), as a chart's own scheduler Deployment would on a real
// cluster (e.g. JupyterHub's user scheduler): kwok plays the kubelet, so no
// pod of such a Deployment runs. It is stopped with the Env.
func (e *Env) StartScheduler(ctx context.Context, name string, config []byte) error {
	bin, err := findRepoBinary("kube-scheduler", "", EnvScheduler)
	if err != nil {
		return err
	}
	path := filepath.Join(e.Dir, name+"-config.yaml")
	if err := os.WriteFile(path, config, 0o600); err != nil {
		return err
	}
	ports, err := freePorts(1)
	if err != nil {
		return err
	}
	p, err := startProcess(name, filepath.Join(e.Dir, name+".log"), nil, bin,
		"--config="+path,
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(ports[0]),
		"--authentication-skip-lookup=true",
		"--leader-elect=false",
	)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.extra = append(e.extra, p)
	e.mu.Unlock()
	return nil
}
