package helmrelease

import (
	"context"
	"fmt"

	"helm.sh/helm/v3/pkg/action"
	corev1 "k8s.io/api/core/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/internal/wait"
	"github.com/sqletl/blueprint/manifests"
)

// restGetter is the genericclioptions.RESTClientGetter Helm's kube client
// needs, over a rest.Config instead of a kubeconfig file.
type restGetter struct {
	config    *rest.Config
	namespace string
}

func (g restGetter) ToRESTConfig() (*rest.Config, error) { return rest.CopyConfig(g.config), nil }

func (g restGetter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(rest.CopyConfig(g.config))
	if err != nil {
		return nil, err
	}
	return memory.NewMemCacheClient(dc), nil
}

func (g restGetter) ToRESTMapper() (meta.RESTMapper, error) {
	dc, err := g.ToDiscoveryClient()
	if err != nil {
		return nil, err
	}
	return restmapper.NewShortcutExpander(restmapper.NewDeferredDiscoveryRESTMapper(dc), dc, nil), nil
}

// ToRawKubeConfigLoader only answers Namespace(), which Helm uses for
// objects that do not name theirs.
func (g restGetter) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	return clientcmd.NewDefaultClientConfig(*clientcmdapi.NewConfig(),
		&clientcmd.ConfigOverrides{Context: clientcmdapi.Context{Namespace: g.namespace}})
}

// actionConfig is Helm's per-namespace configuration, storing releases as
// Secrets in that namespace.
func (r *Releases) actionConfig(kube *rest.Config, namespace string) (*action.Configuration, error) {
	c := new(action.Configuration)
	if err := c.Init(restGetter{config: kube, namespace: namespace}, namespace, helmDriver, r.debug); err != nil {
		return nil, fmt.Errorf("setting up Helm for namespace %s: %w", namespace, err)
	}
	return c, nil
}

func (r *Releases) debug(format string, v ...any) {
	if r.Debug != nil {
		r.Debug(format, v...)
	}
}

// helmDriver stores release records as Kubernetes Secrets (Helm's default).
const helmDriver = "secret"

// fieldManager owns what blueprint applies server-side.
const fieldManager = "blueprint"

// applyCRDs applies Argo's CRDs (creating or updating only what differs)
// and waits until the API server serves each of them (Established).
func (r *Releases) applyCRDs(ctx context.Context, kube *rest.Config) error {
	cs, err := apiextensions.NewForConfig(kube)
	if err != nil {
		return err
	}
	if err := manifests.ApplyArgoCRDs(ctx, cs.ApiextensionsV1().CustomResourceDefinitions(), r.clock()); err != nil {
		return fmt.Errorf("applying the Argo CRDs: %w", err)
	}
	return nil
}

func (r *Releases) clock() wait.Clock {
	if r.Clock != nil {
		return r.Clock
	}
	return wait.Real
}

// writeLoginSecret creates or updates the Secret the hub reads its login
// from. The password goes only into the Secret's data.
func writeLoginSecret(ctx context.Context, kube *rest.Config, login platform.Login) error {
	cs, err := kubernetes.NewForConfig(kube)
	if err != nil {
		return err
	}
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: loginSecretName, Namespace: hubNamespace,
			Labels: map[string]string{"app.kubernetes.io/managed-by": fieldManager, "app.kubernetes.io/part-of": "blueprint"},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{loginUsernameKey: []byte(login.Username), loginPasswordKey: []byte(login.Password)},
	}
	secrets := cs.CoreV1().Secrets(hubNamespace)
	got, err := secrets.Get(ctx, loginSecretName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = secrets.Create(ctx, want, metav1.CreateOptions{FieldManager: fieldManager})
	case err == nil:
		if string(got.Data[loginUsernameKey]) == login.Username && string(got.Data[loginPasswordKey]) == login.Password {
			return nil
		}
		got.Data = want.Data
		_, err = secrets.Update(ctx, got, metav1.UpdateOptions{FieldManager: fieldManager})
	}
	if err != nil {
		// The API error names the object, never its data.
		return fmt.Errorf("writing Secret %s/%s: %w", hubNamespace, loginSecretName, err)
	}
	return nil
}

func deleteLoginSecret(ctx context.Context, kube *rest.Config) error {
	cs, err := kubernetes.NewForConfig(kube)
	if err != nil {
		return err
	}
	err = cs.CoreV1().Secrets(hubNamespace).Delete(ctx, loginSecretName, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting Secret %s/%s: %w", hubNamespace, loginSecretName, err)
	}
	return nil
}
