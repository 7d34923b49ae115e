package cli

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/internal/kubetest"
	"github.com/sqletl/blueprint/internal/ui"
)

func TestOpenFlags(t *testing.T) {
	tests := []struct {
		args                         []string
		wantApp                      string
		wantPort                     int
		wantNoBrowser, wantShowLogin bool
		wantCode                     int
		wantErr                      string
	}{
		{[]string{"open", "argo"}, "argo", 0, false, false, 0, ""},
		{[]string{"open", "jupyter", "--port", "8888", "--no-browser", "--show-login"}, "jupyter", 8888, true, true, 0, ""},
		{[]string{"open", "-p", "2746", "argo"}, "argo", 2746, false, false, 0, ""},
		{[]string{"open"}, "", 0, false, false, ExitUsage, "accepts 1 arg"},
		{[]string{"open", "argo", "jupyter"}, "", 0, false, false, ExitUsage, "accepts 1 arg"},
		{[]string{"open", "spark-history", "--no-browser"}, "spark-history", 0, true, false, 0, ""},
		{[]string{"open", "spark-history", "--show-login"}, "", 0, false, false, ExitUsage, "spark-history has no login"},
		{[]string{"open", "grafana"}, "", 0, false, false, ExitUsage, `invalid argument "grafana"`},
		{[]string{"open", "argo", "--port", "-1"}, "", 0, false, false, ExitUsage, "--port must be between 1 and 65535"},
		{[]string{"open", "argo", "--port", "65536"}, "", 0, false, false, ExitUsage, "--port"},
		{[]string{"open", "argo", "--port", "http"}, "", 0, false, false, ExitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _ := testFactory()
			var got *OpenOptions
			cmd := newCmdOpen(f, func(o *OpenOptions) error { got = o; return nil })
			code, err := parse(t, f, cmd, tt.args...)
			if code != tt.wantCode || (tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("exit %d (%v), want %d %q", code, err, tt.wantCode, tt.wantErr)
			}
			if tt.wantCode != 0 {
				return
			}
			if got.App != tt.wantApp || got.Port != tt.wantPort || got.NoBrowser != tt.wantNoBrowser ||
				got.ShowLogin != tt.wantShowLogin || got.KubeConfig == nil {
				t.Errorf("options %+v", got)
			}
			if tt.wantNoBrowser && got.Browser != nil {
				t.Error("browser set with --no-browser")
			}
		})
	}
	f, _ := testFactory()
	if got := newCmdOpen(f, nil).ValidArgs; strings.Join(got, ",") != "argo,jupyter,spark-history" {
		t.Errorf("ValidArgs %v", got)
	}
}

func TestBrowserFor(t *testing.T) {
	found := func(string) (string, error) { return "/usr/bin/opener", nil }
	missing := func(string) (string, error) { return "", exec.ErrNotFound }
	tests := []struct {
		goos     string
		env      map[string]string
		lookPath func(string) (string, error)
		want     Browser
	}{
		{"linux", nil, found, nil},
		{"linux", map[string]string{"DISPLAY": ":0"}, found, commandBrowser{"/usr/bin/opener"}},
		{"linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, found, commandBrowser{"/usr/bin/opener"}},
		{"linux", map[string]string{"DISPLAY": ":0"}, missing, nil},
		{"darwin", nil, found, commandBrowser{"/usr/bin/opener"}},
		{"windows", map[string]string{"DISPLAY": ":0"}, found, nil},
	}
	for _, tt := range tests {
		got := browserFor(tt.goos, func(k string) string { return tt.env[k] }, tt.lookPath)
		if got != tt.want {
			t.Errorf("%s %v: %#v, want %#v", tt.goos, tt.env, got, tt.want)
		}
	}
}

func TestCommandBrowser(t *testing.T) {
	for _, tt := range []struct {
		command string
		wantErr bool
	}{{"true", false}, {"false", true}} {
		path, err := exec.LookPath(tt.command)
		if err != nil {
			t.Skip(err)
		}
		if err := (commandBrowser{path}).Open("http://127.0.0.1:1/"); (err != nil) != tt.wantErr {
			t.Errorf("%s: %v", tt.command, err)
		}
	}
}

func TestPrintOpen(t *testing.T) {
	res := OpenResult{App: "argo", URL: "http://127.0.0.1:4000/", Namespace: "argo", Service: "argo-server", Pod: "argo-server-0"}
	tests := []struct {
		name   string
		output OutputFormat
		login  *OpenLogin
		want   string
	}{
		{"url only", OutputText, nil, "http://127.0.0.1:4000/\n"},
		{"argo token", OutputText, &OpenLogin{Token: "eyJ.tok"}, "http://127.0.0.1:4000/\nToken: Bearer eyJ.tok\n"},
		{"jupyter password", OutputText, &OpenLogin{Username: "admin", Password: "pw"}, "http://127.0.0.1:4000/\nUsername: admin\nPassword: pw\n"},
		{"json", OutputJSON, nil,
			"{\n  \"app\": \"argo\",\n  \"url\": \"http://127.0.0.1:4000/\",\n  \"namespace\": \"argo\",\n  \"service\": \"argo-server\",\n  \"pod\": \"argo-server-0\"\n}\n"},
		{"json with login", OutputJSON, &OpenLogin{Username: "admin", Password: "pw"},
			"{\n  \"app\": \"argo\",\n  \"url\": \"http://127.0.0.1:4000/\",\n  \"namespace\": \"argo\",\n  \"service\": \"argo-server\",\n  \"pod\": \"argo-server-0\",\n  \"login\": {\n    \"username\": \"admin\",\n    \"password\": \"pw\"\n  }\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, _ := ui.Test()
			r := res
			r.Login = tt.login
			if err := printOpen(&OpenOptions{IO: ios, Output: tt.output}, r); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", out, tt.want)
			}
		})
	}
}

// recordingBrowser records what would be opened.
type recordingBrowser struct{ urls []string }

func (b *recordingBrowser) Open(url string) error { b.urls = append(b.urls, url); return nil }

// TestOpenRun runs `open` against a real API server in namespaces argo and
// jupyter. Without a kubelet no tunnel opens: a resolvable pod gets as far
// as the API server's refusal (the pod has no node).
func TestOpenRun(t *testing.T) {
	env := kubetest.Start(t)
	cs := kubernetes.NewForConfigOrDie(env.RESTConfig())
	ctx := t.Context()
	for _, ns := range []string{"argo", "jupyter"} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// JupyterHub: proxy-public → a Ready proxy pod, and the login Secret.
	sel := map[string]string{"component": "proxy"}
	if _, err := cs.CoreV1().Services("jupyter").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "proxy-public"},
		Spec:       corev1.ServiceSpec{Selector: sel, Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod, err := cs.CoreV1().Pods("jupyter").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "proxy-0", Labels: sel},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "chp", Image: "example.invalid/chp:1",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8000}}}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status.Phase = corev1.PodRunning
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	if _, err := cs.CoreV1().Pods("jupyter").UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Secrets("jupyter").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "jupyterhub-login"},
		StringData: map[string]string{"username": "admin", "password": "hunter2"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Argo: the service exists, no pod is ready.
	if _, err := cs.CoreV1().Services("argo").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "argo-server"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "argo-server"},
			Ports: []corev1.ServicePort{{Name: "web", Port: 2746, TargetPort: intstr.FromInt32(2746)}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		app       string
		showLogin bool
		kubeErr   error
		wantErr   string
	}{
		{"argo without a ready pod", "argo", false, nil, "no ready pod behind service argo/argo-server: is Argo installed? run blueprint status"},
		{"jupyter reaches the API server", "jupyter", false, nil, "port-forwarding to pod jupyter/proxy-0 port 8000"},
		{"jupyter --show-login prints nothing before the port listens", "jupyter", true, nil, "does not have a host assigned"},
		{"no cluster connection", "jupyter", false, errors.New("no cluster connection: pass --kubeconfig"), "no cluster connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := ui.Test()
			b := &recordingBrowser{}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			err := openRun(ctx, &OpenOptions{IO: ios, App: tt.app, ShowLogin: tt.showLogin, Browser: b,
				KubeConfig: func(context.Context) (*rest.Config, error) { return env.RESTConfig(), tt.kubeErr }})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if len(b.urls) != 0 || out.Len() != 0 {
				t.Errorf("printed or opened before the port listened: %q %v", out, b.urls)
			}
			if strings.Contains(errOut.String(), "hunter2") || strings.Contains(err.Error(), "hunter2") {
				t.Error("password leaked")
			}
		})
	}
}
