package kubetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// findBinaries resolves the kube-apiserver and etcd paths; errors wrap
// ErrNotInstalled.
func findBinaries(opts Options) (apiserver, etcd string, err error) {
	apiserver, err = findAPIServer(opts.APIServerPath)
	if err != nil {
		return "", "", err
	}
	etcd, err = findEtcd(opts.EtcdPath)
	if err != nil {
		return "", "", err
	}
	return apiserver, etcd, nil
}

func findAPIServer(explicit string) (string, error) {
	return findRepoBinary("kube-apiserver", explicit, EnvAPIServer)
}

// findRepoBinary finds a binary hack/kube-tools.sh links into bin/: the
// explicit path, else $envVar, else bin/<name> next to the nearest go.mod
// walking up from the working directory.
func findRepoBinary(name, explicit, envVar string) (string, error) {
	if explicit == "" && envVar != "" {
		explicit = os.Getenv(envVar)
	}
	if explicit != "" {
		if isExecutable(explicit) {
			return explicit, nil
		}
		return "", fmt.Errorf("%w: %s %q (from options or $%s) is not an executable file", ErrNotInstalled, name, explicit, envVar)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	var looked []string
	// Walk up to every directory holding a go.mod; the repo root has bin/.
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			candidate := filepath.Join(dir, "bin", name)
			if isExecutable(candidate) {
				return candidate, nil
			}
			looked = append(looked, candidate)
		}
		if parent := filepath.Dir(dir); parent == dir {
			break
		}
	}
	if len(looked) == 0 {
		return "", fmt.Errorf("%w: no go.mod above %s to find bin/%s; set $%s", ErrNotInstalled, wd, name, envVar)
	}
	return "", fmt.Errorf("%w: %s not found at %v (or $%s)", ErrNotInstalled, name, looked, envVar)
}

func findEtcd(explicit string) (string, error) {
	if explicit == "" {
		explicit = os.Getenv(EnvEtcd)
	}
	if explicit != "" {
		if isExecutable(explicit) {
			return explicit, nil
		}
		return "", fmt.Errorf("%w: etcd %q (from options or $%s) is not an executable file", ErrNotInstalled, explicit, EnvEtcd)
	}
	if p, err := exec.LookPath("etcd"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/bin/etcd", "/usr/local/bin/etcd"} {
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: etcd not found on PATH (or $%s)", ErrNotInstalled, EnvEtcd)
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// required reports whether BLUEPRINT_REQUIRE_KUBE=1.
func required() bool { return os.Getenv(EnvRequire) == "1" }

// skipOrFail skips the test because the binaries are missing, or fails it
// when BLUEPRINT_REQUIRE_KUBE=1.
func skipOrFail(t testing.TB, reason string) {
	t.Helper()
	if required() {
		t.Fatalf("kubetest: %s\n%s=1, so this is a failure: run hack/kube-tools.sh to build bin/kube-apiserver and install etcd", reason, EnvRequire)
	}
	t.Skipf("kubetest: %s (set %s=1 to fail instead)", reason, EnvRequire)
}

// Start launches an Env for t and stops it in t.Cleanup. If kube-apiserver
// or etcd is missing, t is skipped, or failed when BLUEPRINT_REQUIRE_KUBE=1.
// On test failure the tails of both logs are logged.
func Start(t testing.TB) *Env { t.Helper(); return StartWithOptions(t, Options{}) }

// StartWithOptions is Start with Options.
func StartWithOptions(t testing.TB, opts Options) *Env {
	t.Helper()
	env, err := Launch(t.Context(), opts)
	if errors.Is(err, ErrNotInstalled) {
		skipOrFail(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kubetest logs (test failed):\n%s", env.LogTails(40))
		}
		if err := env.Stop(); err != nil {
			t.Errorf("kubetest: stop: %v", err)
		}
	})
	return env
}
