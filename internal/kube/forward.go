package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

// App is a web UI of the platform that `blueprint open` reaches.
type App struct {
	// Name is what the user types: "argo" or "jupyter".
	Name string
	// Product names it in messages.
	Product string
	// Namespace and Service locate it; Port is the service port.
	Namespace, Service string
	Port               int32
	// Scheme and Path make the local URL.
	Scheme, Path string
	// NoLogin: the app has no login to show (--show-login is an error).
	NoLogin bool
}

// Apps lists what `blueprint open` can open, by name. Both are served
// over plain HTTP inside the cluster; the port-forward is the only way in.
func Apps() map[string]App {
	return map[string]App{
		"argo": {Name: "argo", Product: "Argo", Namespace: "argo", Service: "argo-server", Port: 2746,
			Scheme: "http", Path: "/"},
		"jupyter": {Name: "jupyter", Product: "JupyterHub", Namespace: "jupyter", Service: "proxy-public", Port: 80,
			Scheme: "http", Path: "/"},
		// charts/platform/templates/spark-history.yaml; read-only, no login.
		SparkHistoryApp: {Name: SparkHistoryApp, Product: "the Spark History Server", Namespace: "spark", Service: "spark-history", Port: 18080,
			Scheme: "http", Path: "/", NoLogin: true},
	}
}

// SparkHistoryApp is the name `blueprint open` knows the History Server by.
const SparkHistoryApp = "spark-history"

// URL is the app's address once forwarded to localPort on 127.0.0.1.
func (a App) URL(localPort int) string {
	return fmt.Sprintf("%s://127.0.0.1:%d%s", a.Scheme, localPort, a.Path)
}

// Backend is the pod and port a service port leads to.
type Backend struct {
	Namespace, Pod string
	Port           int32
}

// ResolveBackend finds a Ready pod behind the app's service and the pod
// port its service port targets: from the service's EndpointSlices, or
// from its selector when it has none.
func ResolveBackend(ctx context.Context, cs kubernetes.Interface, app App) (Backend, error) {
	svcName := app.Namespace + "/" + app.Service
	notInstalled := fmt.Sprintf("is %s installed? run blueprint status", app.Product)
	svc, err := cs.CoreV1().Services(app.Namespace).Get(ctx, app.Service, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Backend{}, fmt.Errorf("service %s not found: %s", svcName, notInstalled)
	}
	if err != nil {
		return Backend{}, fmt.Errorf("reading service %s: %w", svcName, err)
	}
	i := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == app.Port })
	if i < 0 {
		return Backend{}, fmt.Errorf("service %s has no port %d: is it %s's service?", svcName, app.Port, app.Product)
	}
	svcPort := svc.Spec.Ports[i]

	slicesList, err := cs.DiscoveryV1().EndpointSlices(app.Namespace).List(ctx, metav1.ListOptions{
		LabelSelector: labels.Set{discoveryv1.LabelServiceName: app.Service}.String(),
	})
	if err != nil {
		return Backend{}, fmt.Errorf("listing endpoints of service %s: %w", svcName, err)
	}
	var pods []string
	if len(slicesList.Items) > 0 {
		pods = readyPodsInSlices(slicesList.Items)
	} else if len(svc.Spec.Selector) > 0 {
		// No EndpointSlices (no controller made them): pods by selector.
		list, err := cs.CoreV1().Pods(app.Namespace).List(ctx, metav1.ListOptions{
			LabelSelector: labels.SelectorFromSet(svc.Spec.Selector).String(),
		})
		if err != nil {
			return Backend{}, fmt.Errorf("listing pods of service %s: %w", svcName, err)
		}
		for _, p := range list.Items {
			if podReady(&p) {
				pods = append(pods, p.Name)
			}
		}
		slices.Sort(pods)
	}
	for _, name := range pods {
		pod, err := cs.CoreV1().Pods(app.Namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue // gone since the endpoints were updated
		}
		if err != nil {
			return Backend{}, fmt.Errorf("reading pod %s/%s: %w", app.Namespace, name, err)
		}
		if !podReady(pod) {
			continue
		}
		port, err := targetPort(pod, svcPort)
		if err != nil {
			return Backend{}, fmt.Errorf("service %s: %w", svcName, err)
		}
		return Backend{Namespace: app.Namespace, Pod: name, Port: port}, nil
	}
	return Backend{}, fmt.Errorf("no ready pod behind service %s: %s", svcName, notInstalled)
}

// readyPodsInSlices lists the pods of ready endpoints, sorted and
// deduplicated. A nil Ready condition means ready (the API's contract).
func readyPodsInSlices(items []discoveryv1.EndpointSlice) []string {
	var pods []string
	for _, s := range items {
		for _, ep := range s.Endpoints {
			if ep.TargetRef == nil || ep.TargetRef.Kind != "Pod" {
				continue
			}
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			pods = append(pods, ep.TargetRef.Name)
		}
	}
	slices.Sort(pods)
	return slices.Compact(pods)
}

func podReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// targetPort resolves a service port's targetPort on a pod: a number as
// is, a name through the pod's container ports, unset as the service port.
func targetPort(pod *corev1.Pod, sp corev1.ServicePort) (int32, error) {
	switch {
	case sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "":
		for _, c := range pod.Spec.Containers {
			for _, p := range c.Ports {
				if p.Name == sp.TargetPort.StrVal {
					return p.ContainerPort, nil
				}
			}
		}
		return 0, fmt.Errorf("pod %s has no container port named %q", pod.Name, sp.TargetPort.StrVal)
	case sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal != 0:
		return sp.TargetPort.IntVal, nil
	}
	return sp.Port, nil
}

// ForwardOptions configure Forward.
type ForwardOptions struct {
	Config  *rest.Config
	Backend Backend
	// LocalPort to listen on; 0 picks a free one.
	LocalPort int
	// Address to listen on; default 127.0.0.1, never all interfaces by
	// default since the UIs trust whoever reaches them.
	Address string
	// Ready is called once the local port listens, with its number.
	Ready func(localPort int)
	// ErrOut receives per-connection forwarding errors; nil discards them.
	ErrOut io.Writer
}

// Forward forwards a local port to the backend through the Kubernetes API
// (WebSocket, falling back to SPDY for older API servers) until ctx ends,
// which is the normal way to stop (nil is returned). It fails when the
// tunnel cannot be opened or is lost.
func Forward(ctx context.Context, o ForwardOptions) error {
	b := o.Backend
	cs, err := kubernetes.NewForConfig(o.Config)
	if err != nil {
		return err
	}
	u := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(b.Namespace).Name(b.Pod).SubResource("portforward").URL()
	transport, upgrader, err := spdy.RoundTripperFor(o.Config)
	if err != nil {
		return err
	}
	var dialer httpstream.Dialer = spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, u)
	ws, err := portforward.NewSPDYOverWebsocketDialer(u, o.Config)
	if err != nil {
		return err
	}
	dialer = portforward.NewFallbackDialer(ws, dialer, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})

	addr := o.Address
	if addr == "" {
		addr = "127.0.0.1"
	}
	errOut := o.ErrOut
	if errOut == nil {
		errOut = io.Discard
	}
	stop, ready := make(chan struct{}), make(chan struct{})
	fw, err := portforward.NewOnAddresses(dialer, []string{addr},
		[]string{strconv.Itoa(o.LocalPort) + ":" + strconv.Itoa(int(b.Port))}, stop, ready, io.Discard, errOut)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- fw.ForwardPorts() }()
	what := fmt.Sprintf("port-forwarding to pod %s/%s port %d", b.Namespace, b.Pod, b.Port)

	select {
	case <-ready:
	case err := <-done:
		return fmt.Errorf("%s: %w", what, errOrClosed(err))
	case <-ctx.Done():
		close(stop)
		<-done
		return ctx.Err()
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		close(stop)
		<-done
		return fmt.Errorf("%s: no local port: %v", what, err)
	}
	if o.Ready != nil {
		o.Ready(int(ports[0].Local))
	}
	select {
	case err := <-done:
		return fmt.Errorf("%s: %w", what, errOrClosed(err))
	case <-ctx.Done():
		close(stop)
		<-done
		return nil
	}
}

func errOrClosed(err error) error {
	if err == nil {
		return errors.New("the connection closed")
	}
	return err
}
