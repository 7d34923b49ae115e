// Package upstreamtest finds the pinned upstream artefacts the tests run
// for real: the chart mirror (<chart>-<version>.tgz, see
// ../shared/upstream-charts/README.md) and upstream sources (JupyterHub
// 5.5.0's Python package, ../shared/upstream-src). make test names both in
// the environment; a plain `go test` finds the shared folders above the
// clone, as the Makefile does. Tests fail, never skip, when one is missing.
package upstreamtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The environment variables make test sets. ChartsEnv is also blueprint's
// own (helmrelease.MirrorEnv, the --chart-mirror flag's default).
const (
	ChartsEnv  = "BLUEPRINT_CHART_MIRROR"
	SourcesEnv = "BLUEPRINT_UPSTREAM_SRC"
)

// JupyterHubArchive is JupyterHub's source archive in the sources folder.
const JupyterHubArchive = "jupyterhub-5.5.0-src.tgz"

// Charts is the chart mirror: $BLUEPRINT_CHART_MIRROR, else the nearest
// shared/upstream-charts above the working directory.
func Charts() (string, error) { return find(ChartsEnv, "upstream-charts") }

// Sources is the folder of upstream sources: $BLUEPRINT_UPSTREAM_SRC, else
// the nearest shared/upstream-src above the working directory.
func Sources() (string, error) { return find(SourcesEnv, "upstream-src") }

// JupyterHubSource is the path of JupyterHub 5.5.0's source archive.
func JupyterHubSource() (string, error) {
	dir, err := Sources()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, JupyterHubArchive), nil
}

// MustCharts is Charts for tests: a missing mirror fails the test.
func MustCharts(t testing.TB) string {
	t.Helper()
	dir, err := Charts()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// MustJupyterHubSource is JupyterHubSource for tests.
func MustJupyterHubSource(t testing.TB) string {
	t.Helper()
	p, err := JupyterHubSource()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func find(env, name string) (string, error) {
	if d := os.Getenv(env); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		d := filepath.Join(dir, "shared", name)
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no %s: set $%s (none in a shared/%s above %s; make test sets it)", name, env, name, wd)
		}
	}
}
