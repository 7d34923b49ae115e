package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/ui"
)

func TestKubeconfigFlags(t *testing.T) {
	t.Setenv("KUBECONFIG", "/env/first"+string(filepath.ListSeparator)+"/env/second")
	tests := []struct {
		args     []string
		wantPath string
		wantSet  bool
		wantOut  OutputFormat
		wantCode int
		wantErr  string
	}{
		{[]string{"kubeconfig"}, "/env/first", false, OutputText, 0, ""},
		{[]string{"kubeconfig", "--kubeconfig-path", "/tmp/k", "--set-context"}, "/tmp/k", true, OutputText, 0, ""},
		{[]string{"kubeconfig", "-o", "json", "--profile", "prod"}, "/env/first", false, OutputJSON, 0, ""},
		{[]string{"kubeconfig", "--kubeconfig", "/tmp/other"}, "", false, "", ExitUsage, "--kubeconfig-path"},
		{[]string{"kubeconfig", "--kubeconfig-path", ""}, "", false, "", ExitUsage, "--kubeconfig-path must not be empty"},
		{[]string{"kubeconfig", "blueprint"}, "", false, "", ExitUsage, ""},
		{[]string{"kubeconfig", "--set-context=maybe"}, "", false, "", ExitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _ := testFactory()
			var got *KubeconfigOptions
			cmd := newCmdKubeconfig(f, func(o *KubeconfigOptions) error { got = o; return nil })
			code, err := parse(t, f, cmd, tt.args...)
			if code != tt.wantCode || (tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("exit %d (%v), want %d %q", code, err, tt.wantCode, tt.wantErr)
			}
			if tt.wantCode != 0 {
				return
			}
			if got.Path != tt.wantPath || got.SetContext != tt.wantSet || got.Output != tt.wantOut || got.Outputs == nil || got.Command == "" {
				t.Errorf("options %+v", got)
			}
			if slices.Contains(tt.args, "--profile") && got.Profile != "prod" {
				t.Errorf("profile %q", got.Profile)
			}
		})
	}
}

func TestDefaultKubeconfigPath(t *testing.T) {
	sep := string(filepath.ListSeparator)
	tests := []struct{ env, want string }{
		{"", clientcmd.RecommendedHomeFile},
		{"/a/config", "/a/config"},
		{sep + "/b" + sep + "/c", "/b"},
	}
	for _, tt := range tests {
		got := defaultKubeconfigPath(func(k string) string {
			if k == "KUBECONFIG" {
				return tt.env
			}
			return ""
		})
		if got != tt.want {
			t.Errorf("KUBECONFIG=%q: %q, want %q", tt.env, got, tt.want)
		}
	}
}

func testClusterCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubernetes"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestKubeconfigRun(t *testing.T) {
	deployed := &outputs.Platform{ClusterName: "blueprint", ClusterEndpoint: "https://ABC.eks.amazonaws.com", ClusterCA: testClusterCA(t)}
	other := "apiVersion: v1\nkind: Config\ncurrent-context: kind\nclusters:\n- name: kind\n  cluster: {server: 'https://kind'}\nusers:\n- name: kind\n  user: {token: abc}\ncontexts:\n- name: kind\n  context: {cluster: kind, user: kind}\n"
	tests := []struct {
		name        string
		existing    string
		setContext  bool
		output      OutputFormat
		out         *outputs.Platform
		outErr      error
		wantErr     string
		wantStdout  string
		wantStderr  string
		wantCurrent string
	}{
		{"new file", "", false, OutputText, deployed, nil, "",
			"Context \"blueprint.eu-west-1.eks\" for cluster \"blueprint\" written to PATH\nCurrent context: blueprint.eu-west-1.eks\n", "", "blueprint.eu-west-1.eks"},
		{"merge keeps current", other, false, OutputText, deployed, nil, "",
			"Context \"blueprint.eu-west-1.eks\" for cluster \"blueprint\" written to PATH\n", "kubectl config use-context blueprint.eu-west-1.eks", "kind"},
		{"merge --set-context, json", other, true, OutputJSON, deployed, nil, "",
			`{"cluster":"blueprint","context":"blueprint.eu-west-1.eks","currentContext":"blueprint.eu-west-1.eks","path":"PATH","server":"https://ABC.eks.amazonaws.com"}`, "", "blueprint.eu-west-1.eks"},
		{"not deployed", "", false, OutputText, &outputs.Platform{}, nil, "run `blueprint up`", "", "", ""},
		{"outputs fail", "", false, OutputText, nil, errors.New("describing stack: throttled"), "throttled", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config")
			if tt.existing != "" {
				if err := os.WriteFile(path, []byte(tt.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ios, _, stdout, stderr := ui.Test()
			opts := &KubeconfigOptions{IO: ios, Output: tt.output, Path: path, SetContext: tt.setContext, Command: "blueprint",
				Outputs: func(context.Context) (*outputs.Platform, string, error) { return tt.out, "eu-west-1", tt.outErr }}
			err := kubeconfigRun(t.Context(), opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if _, err := os.Stat(path); tt.existing == "" && err == nil {
					t.Error("file written after an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := strings.ReplaceAll(tt.wantStdout, "PATH", path)
			got := stdout.String()
			if tt.output == OutputJSON { // compared with sorted keys
				var v any
				if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(v)
				got = string(b)
			}
			if got != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q, want %q", stderr, tt.wantStderr)
			}
			cfg, err := clientcmd.LoadFromFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.CurrentContext != tt.wantCurrent {
				t.Errorf("current-context %q, want %q", cfg.CurrentContext, tt.wantCurrent)
			}
			exec := cfg.AuthInfos["blueprint.eu-west-1.eks"].Exec
			if exec == nil || exec.Command != "blueprint" || !slices.Equal(exec.Args, []string{"token", "--cluster-name", "blueprint", "--region", "eu-west-1"}) {
				t.Errorf("exec %+v", exec)
			}
		})
	}
}
