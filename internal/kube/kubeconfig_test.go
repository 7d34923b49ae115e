package kube

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// pluginEnv makes the test binary act as `blueprint token` (see TestMain),
// so kubeconfigs can be tested with client-go running the real plugin
// protocol.
const pluginEnv = "BLUEPRINT_KUBE_TEST_TOKEN_PLUGIN"

// tokenPlugin is `blueprint token --cluster-name N --region R` with
// offline credentials.
func tokenPlugin(args []string) int {
	if len(args) < 5 || args[0] != "token" || args[1] != "--cluster-name" || args[3] != "--region" {
		fmt.Fprintf(os.Stderr, "unexpected plugin args %q\n", args)
		return 2
	}
	cfg := offlineAWS()
	cfg.Region = args[4]
	tok, err := NewTokenGenerator(cfg).Get(context.Background(), args[2])
	if err == nil {
		var b []byte
		if b, err = ExecCredential(tok); err == nil {
			_, err = os.Stdout.Write(b)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func TestBuildKubeconfig(t *testing.T) {
	ca := testCA(t)
	tests := []struct {
		name     string
		opts     KubeconfigOptions
		wantName string
		wantArgs []string
		wantCmd  string
		wantErr  string
	}{
		{"defaults", KubeconfigOptions{ClusterName: "blueprint", Endpoint: "https://eks", CA: ca, Region: "eu-west-1"},
			"blueprint.eu-west-1.eks", []string{"token", "--cluster-name", "blueprint", "--region", "eu-west-1"}, "blueprint", ""},
		{"profile, command and name", KubeconfigOptions{ClusterName: "etl", Endpoint: "https://eks", CA: ca, Region: "us-east-2",
			Profile: "prod", Command: "/usr/local/bin/blueprint", Name: "etl-prod"},
			"etl-prod", []string{"token", "--cluster-name", "etl", "--region", "us-east-2", "--profile", "prod"}, "/usr/local/bin/blueprint", ""},
		{"not deployed", KubeconfigOptions{Region: "eu-west-1"}, "", nil, "", "run `blueprint up`"},
		{"no region", KubeconfigOptions{ClusterName: "etl", Endpoint: "https://eks", CA: ca}, "", nil, "", "no region"},
		{"bad CA", KubeconfigOptions{ClusterName: "etl", Endpoint: "https://eks", CA: "bm9wZQ==", Region: "eu-west-1"}, "", nil, "", "not a PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := BuildKubeconfig(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.CurrentContext != tt.wantName || cfg.Contexts[tt.wantName] == nil ||
				cfg.Contexts[tt.wantName].Cluster != tt.wantName || cfg.Contexts[tt.wantName].AuthInfo != tt.wantName {
				t.Fatalf("context: %+v", cfg.Contexts)
			}
			exec := cfg.AuthInfos[tt.wantName].Exec
			if exec.APIVersion != "client.authentication.k8s.io/v1" || exec.Command != tt.wantCmd || !slices.Equal(exec.Args, tt.wantArgs) {
				t.Errorf("exec: %+v", exec)
			}
			if c := cfg.Clusters[tt.wantName]; c.Server != tt.opts.Endpoint || !strings.HasPrefix(string(c.CertificateAuthorityData), "-----BEGIN CERTIFICATE") {
				t.Errorf("cluster: %+v", c)
			}
			// The file must load and validate as kubectl would.
			data, err := clientcmd.Write(*cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := clientcmd.RESTConfigFromKubeConfig(data); err != nil {
				t.Errorf("kubeconfig does not load: %v", err)
			}
			if strings.Contains(string(data), "token:") {
				t.Error("kubeconfig holds a token")
			}
		})
	}
}

func namedConfig(current string, names ...string) *clientcmdapi.Config {
	c := clientcmdapi.NewConfig()
	for _, n := range names {
		c.Clusters[n] = &clientcmdapi.Cluster{Server: "https://" + n}
		c.AuthInfos[n] = &clientcmdapi.AuthInfo{Token: "tok-" + n}
		c.Contexts[n] = &clientcmdapi.Context{Cluster: n, AuthInfo: n}
	}
	c.CurrentContext = current
	return c
}

func keys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}

func TestMergeKubeconfig(t *testing.T) {
	ours, err := BuildKubeconfig(KubeconfigOptions{ClusterName: "blueprint", Endpoint: "https://new", CA: testCA(t), Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	const name = "blueprint.eu-west-1.eks"
	tests := []struct {
		name        string
		existing    *clientcmdapi.Config
		setCurrent  bool
		wantNames   []string
		wantCurrent string
	}{
		{"nil", nil, false, []string{name}, name},
		{"empty", clientcmdapi.NewConfig(), false, []string{name}, name},
		{"others, no current", namedConfig("", "kind", "minikube"), false, []string{name, "kind", "minikube"}, name},
		{"others, current kept", namedConfig("kind", "kind"), false, []string{name, "kind"}, "kind"},
		{"others, --set-context", namedConfig("kind", "kind"), true, []string{name, "kind"}, name},
		{"ours replaced", namedConfig("kind", "kind", name), false, []string{name, "kind"}, "kind"},
		{"ours already current", namedConfig(name, "kind", name), false, []string{name, "kind"}, name},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before *clientcmdapi.Config
			if tt.existing != nil {
				before = tt.existing.DeepCopy()
			}
			got := MergeKubeconfig(tt.existing, ours, tt.setCurrent)
			if !slices.Equal(keys(got.Contexts), tt.wantNames) || !slices.Equal(keys(got.Clusters), tt.wantNames) ||
				!slices.Equal(keys(got.AuthInfos), tt.wantNames) {
				t.Errorf("names: contexts %v clusters %v users %v, want %v", keys(got.Contexts), keys(got.Clusters), keys(got.AuthInfos), tt.wantNames)
			}
			if got.CurrentContext != tt.wantCurrent {
				t.Errorf("current-context %q, want %q", got.CurrentContext, tt.wantCurrent)
			}
			if got.Clusters[name].Server != "https://new" || got.AuthInfos[name].Token != "" || got.AuthInfos[name].Exec == nil {
				t.Errorf("our entry not replaced: %+v %+v", got.Clusters[name], got.AuthInfos[name])
			}
			if tt.existing != nil {
				for _, n := range keys(tt.existing.Contexts) {
					if n != name && got.AuthInfos[n].Token != "tok-"+n {
						t.Errorf("other user %q changed", n)
					}
				}
				if !reflect.DeepEqual(tt.existing, before) {
					t.Error("existing config modified")
				}
			}
		})
	}
}

func TestWriteKubeconfig(t *testing.T) {
	ours, err := BuildKubeconfig(KubeconfigOptions{ClusterName: "blueprint", Endpoint: "https://new", CA: testCA(t), Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		existing    string // file content; "-" for no file
		mode        os.FileMode
		wantErr     string
		wantCurrent string
		wantKept    string
	}{
		{"new file in new dir", "-", 0, "", "blueprint.eu-west-1.eks", ""},
		{"merged into a world-readable file", "apiVersion: v1\nkind: Config\ncurrent-context: kind\nclusters:\n- name: kind\n  cluster: {server: 'https://kind'}\nusers:\n- name: kind\n  user: {token: abc}\ncontexts:\n- name: kind\n  context: {cluster: kind, user: kind}\n",
			0o644, "", "kind", "kind"},
		{"broken file left alone", "clusters: [[[", 0o600, "reading kubeconfig", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "home", ".kube", "config")
			if tt.existing != "-" {
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(tt.existing), tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			_, err := WriteKubeconfig(path, ours, false)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if b, _ := os.ReadFile(path); string(b) != tt.existing {
					t.Error("file changed after an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", fi.Mode().Perm())
			}
			got, err := clientcmd.LoadFromFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got.CurrentContext != tt.wantCurrent || got.Contexts["blueprint.eu-west-1.eks"] == nil {
				t.Errorf("current %q, contexts %v", got.CurrentContext, keys(got.Contexts))
			}
			if tt.wantKept != "" && got.AuthInfos[tt.wantKept].Token != "abc" {
				t.Errorf("user %q lost", tt.wantKept)
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Errorf("temp files left: %v", entries)
			}
		})
	}
}

// TestKubeconfigRunsTokenPlugin: client-go, reading the written
// kubeconfig, runs the credential plugin and sends its token over TLS
// verified with the cluster CA.
func TestKubeconfigRunsTokenPlugin(t *testing.T) {
	var auth string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[]}`))
	}))
	defer srv.Close()
	t.Setenv(pluginEnv, "1")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ours, err := BuildKubeconfig(KubeconfigOptions{
		ClusterName: "etl", Endpoint: srv.URL, Region: "eu-west-1", Command: self,
		CA: base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})),
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config")
	if _, err := WriteKubeconfig(path, ours, false); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	raw, err := DecodeToken(strings.TrimPrefix(auth, "Bearer "))
	if err != nil {
		t.Fatalf("Authorization %.30q: %v", auth, err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if q := u.Query(); q.Get("Action") != "GetCallerIdentity" || !strings.Contains(q.Get("X-Amz-Credential"), "/eu-west-1/sts/") {
		t.Errorf("presigned URL %s", raw)
	}
}

func TestExecCredential(t *testing.T) {
	exp := time.Date(2030, 5, 6, 7, 8, 9, 0, time.FixedZone("x", 3600))
	b, err := ExecCredential(Token{Value: "k8s-aws-v1.abc", Expiration: exp})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1", "spec": map[string]any{"interactive": false},
		"status": map[string]any{"token": "k8s-aws-v1.abc", "expirationTimestamp": "2030-05-06T06:08:09Z"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ExecCredential:\n got %s\nwant %v", b, want)
	}
}
