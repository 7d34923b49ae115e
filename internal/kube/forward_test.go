package kube

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// objects to create in a test namespace.
type fixture struct {
	service   *corev1.Service
	pods      []podFixture
	endpoints []endpointFixture // one EndpointSlice when non-empty
}

type podFixture struct {
	name  string
	ready bool // Running and Ready (set through the status subresource)
}

type endpointFixture struct {
	pod   string
	ready *bool
}

func service(selector map[string]string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.ServiceSpec{Selector: selector, Ports: ports},
	}
}

var appLabels = map[string]string{"app": "web"}

func (f fixture) create(t *testing.T, cs kubernetes.Interface, ns string) {
	t.Helper()
	ctx := t.Context()
	if f.service != nil {
		if _, err := cs.CoreV1().Services(ns).Create(ctx, f.service, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range f.pods {
		pod, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: p.name, Labels: appLabels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "web", Image: "example.invalid/web:1",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8000}, {Name: "metrics", ContainerPort: 9090}},
			}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !p.ready {
			continue
		}
		pod.Status.Phase = corev1.PodRunning
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.endpoints) == 0 {
		return
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{GenerateName: "web-", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for i, e := range f.endpoints {
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{"10.1.0." + string(rune('1'+i))},
			Conditions: discoveryv1.EndpointConditions{Ready: e.ready},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: e.pod},
		})
	}
	if _, err := cs.DiscoveryV1().EndpointSlices(ns).Create(ctx, slice, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestResolveBackend(t *testing.T) {
	env.Require(t)
	cs := kubernetes.NewForConfigOrDie(env.RESTConfig())
	port := func(p int32, target intstr.IntOrString) corev1.ServicePort {
		return corev1.ServicePort{Name: "web", Port: p, TargetPort: target}
	}
	tests := []struct {
		name     string
		fixture  fixture
		wantPod  string
		wantPort int32
		wantErr  string
	}{
		{"no service", fixture{}, "", 0,
			"service NS/web not found: is Argo installed? run blueprint status"},
		{"service without the port", fixture{service: service(appLabels, port(8080, intstr.FromInt32(8080)))}, "", 0,
			"service NS/web has no port 2746"},
		{"selector, no pods", fixture{service: service(appLabels, port(2746, intstr.FromInt32(2746)))}, "", 0,
			"no ready pod behind service NS/web: is Argo installed? run blueprint status"},
		{"selector, pod not ready", fixture{service: service(appLabels, port(2746, intstr.FromInt32(2746))),
			pods: []podFixture{{"web-0", false}}}, "", 0,
			"no ready pod behind service NS/web: is Argo installed?"},
		{"selector, ready pod, numeric target", fixture{service: service(appLabels, port(2746, intstr.FromInt32(2746))),
			pods: []podFixture{{"web-0", false}, {"web-1", true}}}, "web-1", 2746, ""},
		{"selector, named target", fixture{service: service(appLabels, port(2746, intstr.FromString("http"))),
			pods: []podFixture{{"web-0", true}}}, "web-0", 8000, ""},
		{"no target port: the service port", fixture{service: service(appLabels, port(2746, intstr.IntOrString{})),
			pods: []podFixture{{"web-0", true}}}, "web-0", 2746, ""},
		{"named target missing on the pod", fixture{service: service(appLabels, port(2746, intstr.FromString("https"))),
			pods: []podFixture{{"web-0", true}}}, "", 0, `pod web-0 has no container port named "https"`},
		{"slice picks the ready endpoint", fixture{service: service(appLabels, port(2746, intstr.FromString("http"))),
			pods:      []podFixture{{"web-0", true}, {"web-1", true}},
			endpoints: []endpointFixture{{"web-0", ptr(false)}, {"web-1", ptr(true)}}}, "web-1", 8000, ""},
		{"slice, nil ready means ready", fixture{service: service(appLabels, port(2746, intstr.FromInt32(2746))),
			pods: []podFixture{{"web-0", true}}, endpoints: []endpointFixture{{"web-0", nil}}}, "web-0", 2746, ""},
		{"slice, no ready endpoint", fixture{service: service(appLabels, port(2746, intstr.FromInt32(2746))),
			pods: []podFixture{{"web-0", true}}, endpoints: []endpointFixture{{"web-0", ptr(false)}}}, "", 0,
			"no ready pod behind service NS/web"},
		{"slice names a deleted pod", fixture{service: service(appLabels, port(2746, intstr.FromInt32(2746))),
			endpoints: []endpointFixture{{"gone", ptr(true)}}}, "", 0, "no ready pod behind service NS/web"},
		{"service without selector or slices", fixture{service: service(nil, port(2746, intstr.FromInt32(2746))),
			pods: []podFixture{{"web-0", true}}}, "", 0, "no ready pod behind service NS/web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := env.CreateNamespace(t)
			tt.fixture.create(t, cs, ns)
			app := App{Name: "argo", Product: "Argo", Namespace: ns, Service: "web", Port: 2746}
			got, err := ResolveBackend(t.Context(), cs, app)
			if tt.wantErr != "" {
				if want := strings.ReplaceAll(tt.wantErr, "NS", ns); err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := (Backend{Namespace: ns, Pod: tt.wantPod, Port: tt.wantPort}); got != want {
				t.Errorf("backend %+v, want %+v", got, want)
			}
		})
	}
}

func TestApps(t *testing.T) {
	tests := []struct {
		name, ns, svc string
		port          int32
		url           string
	}{
		{"argo", "argo", "argo-server", 2746, "http://127.0.0.1:4000/"},
		{"jupyter", "jupyter", "proxy-public", 80, "http://127.0.0.1:4000/"},
		{"spark-history", "spark", "spark-history", 18080, "http://127.0.0.1:4000/"},
	}
	apps := Apps()
	if len(apps) != len(tests) {
		t.Errorf("%d apps", len(apps))
	}
	for _, tt := range tests {
		a := apps[tt.name]
		if a.Name != tt.name || a.Namespace != tt.ns || a.Service != tt.svc || a.Port != tt.port || a.URL(4000) != tt.url {
			t.Errorf("%s: %+v %s", tt.name, a, a.URL(4000))
		}
	}
}

// TestForwardReachesAPIServer: without a kubelet no tunnel can open, so
// this checks the request gets to the pod's portforward subresource and
// the API server's answer comes back as the error (the pod was never
// scheduled to a node).
func TestForwardReachesAPIServer(t *testing.T) {
	env.Require(t)
	cs := kubernetes.NewForConfigOrDie(env.RESTConfig())
	tests := []struct {
		name    string
		pod     string
		wantErr string
	}{
		{"unscheduled pod", "web-0", "does not have a host assigned"},
		{"missing pod", "nope", "not found"},
	}
	ns := env.CreateNamespace(t)
	fixture{pods: []podFixture{{"web-0", true}}}.create(t, cs, ns)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			err := Forward(ctx, ForwardOptions{
				Config:  env.RESTConfig(),
				Backend: Backend{Namespace: ns, Pod: tt.pod, Port: 8000},
				Ready:   func(int) { t.Error("ready without a kubelet") },
			})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "port-forwarding to pod "+ns+"/"+tt.pod) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
