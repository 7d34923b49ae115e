package kube

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sqletl/blueprint/internal/kubetest"
	"github.com/sqletl/blueprint/internal/outputs"
)

var env *kubetest.Env

func TestMain(m *testing.M) {
	if os.Getenv(pluginEnv) == "1" {
		os.Exit(tokenPlugin(os.Args[1:]))
	}
	os.Exit(kubetest.RunShared(m, &env))
}

// offlineAWS signs with static credentials: presigning makes no call.
func offlineAWS() aws.Config {
	return aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "secret", "")}
}

func testCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubernetes"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestConnectFromOutputs(t *testing.T) {
	ca := testCA(t)
	keyPEM := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}))
	tests := []struct {
		name    string
		out     *outputs.Platform
		wantErr string
	}{
		{"deployed", &outputs.Platform{ClusterName: "blueprint", ClusterEndpoint: "https://ABC.gr7.eu-west-1.eks.amazonaws.com", ClusterCA: ca}, ""},
		{"nil outputs", nil, "run `blueprint up`"},
		{"not deployed", &outputs.Platform{}, "the EKS cluster is not deployed"},
		{"no endpoint", &outputs.Platform{ClusterName: "blueprint", ClusterCA: ca}, "run `blueprint up`"},
		{"no CA", &outputs.Platform{ClusterName: "blueprint", ClusterEndpoint: "https://x"}, "no cluster CA"},
		{"CA not base64", &outputs.Platform{ClusterName: "blueprint", ClusterEndpoint: "https://x", ClusterCA: "%%%"}, "not base64"},
		{"CA not a certificate", &outputs.Platform{ClusterName: "blueprint", ClusterEndpoint: "https://x", ClusterCA: keyPEM}, "not a PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Cluster{Tokens: NewTokenGenerator(offlineAWS())}
			cfg, err := c.Connect(t.Context(), tt.out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := base64.StdEncoding.DecodeString(ca)
			if cfg.Host != tt.out.ClusterEndpoint || string(cfg.CAData) != string(want) || cfg.WrapTransport == nil {
				t.Errorf("rest.Config: host %q, CA %d bytes, WrapTransport set %v", cfg.Host, len(cfg.CAData), cfg.WrapTransport != nil)
			}
			if cfg.BearerToken != "" || cfg.Insecure {
				t.Error("static token or insecure TLS in rest.Config")
			}
		})
	}
}

// TestConnectTalksTLSWithToken: the config trusts exactly the cluster CA
// and sends a token for the cluster on every request.
func TestConnectTalksTLSWithToken(t *testing.T) {
	var auth []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[]}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the "other CA" case fails handshakes on purpose
	srv.StartTLS()
	defer srv.Close()
	ca := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	tests := []struct {
		name, ca string
		wantErr  bool
	}{
		{"cluster CA", ca, false},
		{"other CA", testCA(t), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth = nil
			c := &Cluster{Tokens: NewTokenGenerator(offlineAWS())}
			cfg, err := c.Connect(t.Context(), &outputs.Platform{ClusterName: "etl", ClusterEndpoint: srv.URL, ClusterCA: tt.ca})
			if err != nil {
				t.Fatal(err)
			}
			cs := kubernetes.NewForConfigOrDie(cfg)
			for range 2 {
				_, err = cs.CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{})
			}
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "certificate") {
					t.Errorf("err = %v, want a certificate error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(auth) != 2 || auth[0] != auth[1] {
				t.Fatalf("Authorization headers %d, equal %v", len(auth), len(auth) == 2 && auth[0] == auth[1])
			}
			raw, err := DecodeToken(strings.TrimPrefix(auth[0], "Bearer "))
			if err != nil || !strings.Contains(raw, "Action=GetCallerIdentity") {
				t.Errorf("token %v: %.60s", err, raw)
			}
		})
	}
}

func TestConnectExternalKubeconfig(t *testing.T) {
	env.Require(t)
	ns := env.CreateNamespace(t)
	tests := []struct {
		name    string
		path    string
		wantErr string
	}{
		{"kubetest", env.KubeconfigPath, ""},
		{"missing file", filepath.Join(t.TempDir(), "nope"), "reading kubeconfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// No outputs and no AWS: the kubeconfig is all it needs.
			c := &Cluster{Kubeconfig: tt.path}
			cfg, err := c.Connect(t.Context(), &outputs.Platform{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			list, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, n := range list.Items {
				found = found || n.Name == ns
			}
			if !found {
				t.Errorf("namespace %s not listed", ns)
			}
		})
	}
}
