package helmrelease

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/internal/outputs/outputstest"
	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/internal/upstreamtest"
)

// hubLoginConfigBefore is the hub login blueprint rendered before defect 1
// was fixed: the user is in admin_users but only user_password is set.
const hubLoginConfigBefore = `import os
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["` + loginPasswordEnvVar + `"]
c.Authenticator.allowed_users = {os.environ["` + loginUsernameEnvVar + `"]}
c.Authenticator.admin_users = {os.environ["` + loginUsernameEnvVar + `"]}
`

// generatedLogin makes the login the way the Secrets Manager secret does
// (constructs/login: username "admin", GenerateSecretString with
// PasswordLength 32 and ExcludePunctuation, i.e. 32 letters and digits).
func generatedLogin(t *testing.T) platform.Login {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 32)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			t.Fatal(err)
		}
		b[i] = alphabet[n.Int64()]
	}
	return platform.Login{Username: "admin", Password: string(b)}
}

// jupyterHubSource extracts JupyterHub 5.5.0's Python package and returns
// the directory to put on PYTHONPATH, and the Python with the Debian
// packages its README names (hack/jupyterhub-deps.sh installs them).
func jupyterHubSource(t *testing.T) (pythonPath, python string) {
	t.Helper()
	archive := upstreamtest.MustJupyterHubSource(t)
	f, err := os.Open(archive)
	if err != nil {
		t.Fatalf("JupyterHub's source: %v (make test sets $%s to ../shared/upstream-src)", err, upstreamtest.SourcesEnv)
	}
	defer f.Close()
	out := t.TempDir()
	if err := untar(f, out); err != nil {
		t.Fatalf("extracting %s: %v", archive, err)
	}
	// Debian's interpreter: its dist-packages hold python3-tornado & co.
	python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		if python, err = exec.LookPath("python3"); err != nil {
			t.Fatal("python3 is not installed; run hack/jupyterhub-deps.sh")
		}
	}
	return out, python
}

func untar(r io.Reader, dst string) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if filepath.IsAbs(name) || strings.HasPrefix(name, "..") {
			return fmt.Errorf("unsafe path %q in archive", h.Name)
		}
		path := filepath.Join(dst, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				return err
			}
		}
	}
}

// loginScript runs the hub's extraConfig as z2jh 4.4.0's
// files/hub/jupyterhub_config.py does (each entry exec'd with the config
// object c, in key order), checks the authenticator class it selects is
// the shared-password one (JupyterHub 5.5.0 registers "shared-password"
// as jupyterhub.authenticators.shared:SharedPasswordAuthenticator), builds
// it from that config, and logs in through get_authenticated_user, the
// call the hub's login handler makes. It prints the result as JSON, or
// {"error": ...} when the configuration is refused.
const loginScript = `
import asyncio, json, sys
from traitlets.config import Config
from jupyterhub.authenticators.shared import SharedPasswordAuthenticator

req = json.load(sys.stdin)
c = Config()
for code in req["extraConfig"]:
    exec(code, {"c": c})
if c.JupyterHub.authenticator_class != "shared-password":
    print(json.dumps({"error": "authenticator_class is %r" % c.JupyterHub.authenticator_class}))
    sys.exit(0)
try:
    auth = SharedPasswordAuthenticator(config=c)
except Exception as e:
    print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
    sys.exit(0)
user = asyncio.run(auth.get_authenticated_user(None, {"username": req["username"], "password": req["password"]}))
print(json.dumps({"user": user}))
`

type loginResult struct {
	User *struct {
		Name  string `json:"name"`
		Admin bool   `json:"admin"`
	} `json:"user"`
	Error string `json:"error"`
}

// hubLogin logs in through JupyterHub's own SharedPasswordAuthenticator
// with the hub configuration the chart renders from extraConfig and the
// environment the hub Deployment gets from hub.extraEnv (the login
// Secret's keys), typing typed.
func hubLogin(t *testing.T, extraConfig map[string]any, extraEnv map[string]any, secret, typed platform.Login) loginResult {
	t.Helper()
	pythonPath, python := jupyterHubSource(t)
	keys := make([]string, 0, len(extraConfig))
	for k := range extraConfig {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var code []string
	for _, k := range keys {
		code = append(code, extraConfig[k].(string))
	}
	secretData := map[string]string{loginUsernameKey: secret.Username, loginPasswordKey: secret.Password}
	env := []string{"PYTHONPATH=" + pythonPath, "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for name, v := range extraEnv {
		ref, _ := v.(map[string]any)["valueFrom"].(map[string]any)["secretKeyRef"].(map[string]any)
		if ref["name"] != loginSecretName {
			t.Fatalf("hub env %s reads Secret %v, not %s", name, ref["name"], loginSecretName)
		}
		env = append(env, name+"="+secretData[ref["key"].(string)])
	}
	req, _ := json.Marshal(map[string]any{"extraConfig": code, "username": typed.Username, "password": typed.Password})
	cmd := exec.Command(python, "-c", loginScript)
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running JupyterHub's authenticator: %v\n%s(hack/jupyterhub-deps.sh installs the Debian packages it needs)", err, stderr.String())
	}
	var res loginResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("authenticator output %q: %v", out, err)
	}
	return res
}

// Defect 1: the login `blueprint open jupyter --show-login` prints (the
// login Secret's username and password, kube.ReadLogin) signs in to
// JupyterHub 5.5.0, judged by its own SharedPasswordAuthenticator with the
// configuration the z2jh chart renders from blueprint's values; the
// configuration blueprint rendered before the fix refuses it.
func TestHubLogin(t *testing.T) {
	vals := hubChartValues(t, "")
	hub, _ := vals["hub"].(map[string]any)
	extraConfig, _ := hub["extraConfig"].(map[string]any)
	extraEnv, _ := hub["extraEnv"].(map[string]any)
	if len(extraConfig) == 0 || len(extraEnv) == 0 {
		t.Fatalf("the rendered hub has no extraConfig or extraEnv: %v", hub)
	}
	login := generatedLogin(t)
	wrong := login
	wrong.Password = strings.ToLower(login.Password[:16]) + login.Password[16:] + "x"
	other := login
	other.Username = "someone-else"

	tests := []struct {
		name        string
		extraConfig map[string]any
		typed       platform.Login
		wantAdmin   bool // a successful admin login; false = refused
	}{
		{"rendered config, --show-login's login", extraConfig, login, true},
		{"rendered config, wrong password", extraConfig, wrong, false},
		{"rendered config, another user name", extraConfig, other, false},
		{"config before the fix, --show-login's login", map[string]any{"blueprint-login": hubLoginConfigBefore}, login, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := hubLogin(t, tt.extraConfig, extraEnv, login, tt.typed)
			if res.Error != "" {
				t.Fatalf("JupyterHub refused the configuration: %s", res.Error)
			}
			switch {
			case tt.wantAdmin && (res.User == nil || res.User.Name != tt.typed.Username || !res.User.Admin):
				t.Errorf("login as %s failed: %+v", tt.typed.Username, res.User)
			case !tt.wantAdmin && res.User != nil:
				t.Errorf("login as %s succeeded, want refused: %+v", tt.typed.Username, res.User)
			}
		})
	}
}

// A login password JupyterHub 5.5 would refuse as admin_password (fewer
// than 32 characters) stops Apply before it touches the cluster, and the
// error does not show the password.
func TestApplyRejectsShortLoginPassword(t *testing.T) {
	r := &Releases{CacheDir: t.TempDir()}
	kube := &rest.Config{Host: "https://127.0.0.1:1"}
	err := r.Apply(context.Background(), kube, parseConfig(t, ""), outputstest.Sample(), platform.Login{Username: "admin", Password: "short-secret-31-characters-long"})
	if err == nil || !strings.Contains(err.Error(), "at least 32") || strings.Contains(err.Error(), "short-secret") {
		t.Errorf("err = %v, want the 32-character minimum, without the password", err)
	}
}
