package argo

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// findBinary resolves argovalidate: $BLUEPRINT_ARGOVALIDATE, else
// bin/argovalidate in the nearest directory above the working directory that
// holds a go.mod (the repo root, also from a package directory under go
// test), else PATH. Errors wrap ErrNotInstalled.
func findBinary() (string, error) {
	if explicit := os.Getenv(EnvBinary); explicit != "" {
		if isExecutable(explicit) {
			return explicit, nil
		}
		return "", fmt.Errorf("%w: $%s=%q is not an executable file", ErrNotInstalled, EnvBinary, explicit)
	}
	var looked []string
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				candidate := filepath.Join(dir, "bin", "argovalidate")
				if isExecutable(candidate) {
					return candidate, nil
				}
				looked = append(looked, candidate)
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if p, err := exec.LookPath("argovalidate"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: not found at %v, on PATH, or in $%s", ErrNotInstalled, looked, EnvBinary)
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}
