package kube

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func saTokenSecret(name, sa, token string) *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{corev1.ServiceAccountNameKey: sa}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}
	if token != "" {
		s.Data = map[string][]byte{corev1.ServiceAccountTokenKey: []byte(token)}
	}
	return s
}

func opaque(name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: data}
	return s
}

func TestReadLogin(t *testing.T) {
	env.Require(t)
	cs := kubernetes.NewForConfigOrDie(env.RESTConfig())
	tests := []struct {
		name    string
		app     string
		secrets []*corev1.Secret
		want    Login
		wantErr string
	}{
		{"argo: no Secret", "argo", nil, Login{}, "no token Secret for service account NS/argo-ui: is Argo installed? run blueprint status"},
		{"argo: only other service accounts", "argo", []*corev1.Secret{
			saTokenSecret("argo-server-token", "argo-server", "other"),
			opaque("argo-ui", map[string]string{"token": "opaque is not a token Secret"}),
		}, Login{}, "no token Secret for service account NS/argo-ui"},
		{"argo: token not filled in yet", "argo", []*corev1.Secret{saTokenSecret("argo-ui.service-account-token", "argo-ui", "")},
			Login{}, "has no token yet"},
		{"argo: token", "argo", []*corev1.Secret{
			saTokenSecret("argo-server-token", "argo-server", "other"),
			saTokenSecret("argo-ui.service-account-token", "argo-ui", "eyJhbGciOi.ui"),
		}, Login{Token: "eyJhbGciOi.ui"}, ""},
		{"jupyter: no Secret", "jupyter", nil, Login{}, "secret NS/jupyterhub-login not found: is JupyterHub installed?"},
		{"jupyter: no password", "jupyter", []*corev1.Secret{opaque("jupyterhub-login", map[string]string{"username": "admin"})},
			Login{}, "lacks username or password"},
		{"jupyter: login", "jupyter", []*corev1.Secret{opaque("jupyterhub-login", map[string]string{"username": "admin", "password": "s3cret!"})},
			Login{Username: "admin", Password: "s3cret!"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := env.CreateNamespace(t)
			for _, s := range tt.secrets {
				if _, err := cs.CoreV1().Secrets(ns).Create(t.Context(), s, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			app := Apps()[tt.app]
			app.Namespace = ns
			got, err := ReadLogin(t.Context(), cs, app)
			if tt.wantErr != "" {
				if want := strings.ReplaceAll(tt.wantErr, "NS", ns); err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("login differs") // not printed: it holds the secrets
			}
			if s := got.String(); strings.Contains(s, "s3cret") || strings.Contains(s, "eyJ") {
				t.Errorf("Login.String shows secrets: %s", s)
			}
		})
	}
}
