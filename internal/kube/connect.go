package kube

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sqletl/blueprint/internal/outputs"
)

// Cluster connects to the platform's cluster; it implements
// platform.Cluster.
type Cluster struct {
	// Kubeconfig, when set, names a kubeconfig used instead of the EKS
	// cluster in the stack outputs: the override for tests against a local
	// API server and for users who reach the cluster their own way.
	Kubeconfig string
	// Tokens makes EKS tokens; NewTokenGenerator(awsCfg) in the CLI. Not
	// used with Kubeconfig.
	Tokens TokenGetter

	mu      sync.Mutex
	sources map[string]*TokenSource // by cluster name, so reconnects reuse tokens
}

// Connect returns a client config for the cluster: from Kubeconfig when
// set, else from the cluster endpoint and CA in out, authenticated with an
// EKS token that is renewed as it expires.
func (c *Cluster) Connect(ctx context.Context, out *outputs.Platform) (*rest.Config, error) {
	if c.Kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("reading kubeconfig %s: %w", c.Kubeconfig, err)
		}
		return cfg, nil
	}
	if out == nil || out.ClusterEndpoint == "" || out.ClusterName == "" {
		return nil, errors.New("the EKS cluster is not deployed (the stack outputs have no cluster endpoint): run `blueprint up` first, or pass --kubeconfig to use another cluster")
	}
	ca, err := DecodeCA(out.ClusterCA)
	if err != nil {
		return nil, fmt.Errorf("cluster %q: %w", out.ClusterName, err)
	}
	if c.Tokens == nil {
		return nil, fmt.Errorf("cluster %q: no AWS credentials to make an EKS token with", out.ClusterName)
	}
	return &rest.Config{
		Host:            out.ClusterEndpoint,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		WrapTransport:   c.source(out.ClusterName).WrapTransport,
		UserAgent:       "blueprint",
	}, nil
}

func (c *Cluster) source(cluster string) *TokenSource {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sources == nil {
		c.sources = map[string]*TokenSource{}
	}
	if s, ok := c.sources[cluster]; ok {
		return s
	}
	s := NewTokenSource(c.Tokens, cluster, nil)
	c.sources[cluster] = s
	return s
}

// DecodeCA decodes the cluster CA as EKS reports it (base64 of PEM) and
// checks it holds a certificate.
func DecodeCA(b64 string) ([]byte, error) {
	if b64 == "" {
		return nil, errors.New("the stack outputs have no cluster CA; run `blueprint up` to complete the cluster stack")
	}
	ca, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("cluster CA is not base64: %w", err)
	}
	if block, _ := pem.Decode(ca); block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("cluster CA is not a PEM certificate")
	}
	return ca, nil
}
