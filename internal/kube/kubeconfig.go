package kube

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ExecAPIVersion is the credential plugin API `blueprint token` speaks.
const ExecAPIVersion = "client.authentication.k8s.io/v1"

// KubeconfigOptions describe the kubeconfig entry of a cluster.
type KubeconfigOptions struct {
	ClusterName string
	Endpoint    string
	// CA is the cluster CA as EKS reports it: base64 of PEM.
	CA     string
	Region string
	// Profile is passed on to `blueprint token` when set.
	Profile string
	// Command is the blueprint executable the credential plugin runs;
	// default "blueprint" (looked up on PATH by kubectl).
	Command string
	// Name names the cluster, user and context; default
	// "<cluster>.<region>.eks".
	Name string
}

// ContextName is the name the entry is written under.
func (o KubeconfigOptions) ContextName() string {
	if o.Name != "" {
		return o.Name
	}
	return o.ClusterName + "." + o.Region + ".eks"
}

// BuildKubeconfig returns a kubeconfig with one cluster, user and context
// (all named ContextName) whose user runs `blueprint token` for a fresh
// token: the file holds no secret.
func BuildKubeconfig(o KubeconfigOptions) (*clientcmdapi.Config, error) {
	if o.ClusterName == "" || o.Endpoint == "" {
		return nil, errors.New("the EKS cluster is not deployed (the stack outputs have no cluster endpoint): run `blueprint up` first")
	}
	if o.Region == "" {
		return nil, fmt.Errorf("cluster %q: no region", o.ClusterName)
	}
	ca, err := DecodeCA(o.CA)
	if err != nil {
		return nil, fmt.Errorf("cluster %q: %w", o.ClusterName, err)
	}
	command := o.Command
	if command == "" {
		command = "blueprint"
	}
	args := []string{"token", "--cluster-name", o.ClusterName, "--region", o.Region}
	if o.Profile != "" {
		args = append(args, "--profile", o.Profile)
	}
	name := o.ContextName()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: o.Endpoint, CertificateAuthorityData: ca}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		APIVersion:      ExecAPIVersion,
		Command:         command,
		Args:            args,
		InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
		InstallHint:     "blueprint token makes the EKS token for this cluster; put the blueprint binary on PATH (see `blueprint kubeconfig --help`).",
	}}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	cfg.CurrentContext = name
	return cfg, nil
}

// MergeKubeconfig adds ours (from BuildKubeconfig) to existing: every
// other cluster, user and context is kept, ours replace entries of the same
// name. The current context becomes ours only when setCurrent is true or
// existing has none. existing is not modified.
func MergeKubeconfig(existing, ours *clientcmdapi.Config, setCurrent bool) *clientcmdapi.Config {
	merged := existing.DeepCopy()
	if merged == nil {
		merged = clientcmdapi.NewConfig()
	}
	for k, v := range ours.Clusters {
		merged.Clusters[k] = v.DeepCopy()
	}
	for k, v := range ours.AuthInfos {
		merged.AuthInfos[k] = v.DeepCopy()
	}
	for k, v := range ours.Contexts {
		merged.Contexts[k] = v.DeepCopy()
	}
	if setCurrent || merged.CurrentContext == "" {
		merged.CurrentContext = ours.CurrentContext
	}
	return merged
}

// WriteKubeconfig merges ours into the kubeconfig at path (created if
// missing) and writes it atomically with mode 0600. It returns the merged
// config.
func WriteKubeconfig(path string, ours *clientcmdapi.Config, setCurrent bool) (*clientcmdapi.Config, error) {
	existing, err := clientcmd.LoadFromFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		existing = clientcmdapi.NewConfig()
	case err != nil:
		return nil, fmt.Errorf("reading kubeconfig %s: %w", path, err)
	}
	merged := MergeKubeconfig(existing, ours, setCurrent)
	data, err := clientcmd.Write(*merged)
	if err != nil {
		return nil, fmt.Errorf("encoding kubeconfig: %w", err)
	}
	if err := writeFileAtomic(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return merged, nil
}

// writeFileAtomic writes data to a temp file beside path and renames it
// over path, so a reader never sees half a file. A symlinked path is
// written through to its target.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // no-op after the rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
