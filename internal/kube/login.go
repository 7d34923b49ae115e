package kube

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Where the logins live. The platform chart makes the argo-ui service
// account with a service-account-token Secret; `up` writes the hub login
// (from Secrets Manager) into jupyterhub-login.
const (
	ArgoUIServiceAccount = "argo-ui"
	JupyterLoginSecret   = "jupyterhub-login"
)

// Login is how to sign in to an app: a bearer token (Argo) or a username
// and password (JupyterHub).
type Login struct {
	Token              string
	Username, Password string
}

// String hides the secrets from any accidental %v.
func (l Login) String() string { return "Login{***}" }

// ReadLogin reads the app's login from its Kubernetes Secret. Call it
// only when the user asked to see the login.
func ReadLogin(ctx context.Context, cs kubernetes.Interface, app App) (Login, error) {
	switch app.Name {
	case "argo":
		tok, err := argoToken(ctx, cs, app.Namespace)
		return Login{Token: tok}, err
	case "jupyter":
		return jupyterLogin(ctx, cs, app.Namespace)
	}
	return Login{}, fmt.Errorf("%s has no login blueprint knows of", app.Product)
}

// argoToken returns the token of the argo-ui service account, which Argo's
// UI takes as "Bearer <token>".
func argoToken(ctx context.Context, cs kubernetes.Interface, ns string) (string, error) {
	list, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{
		FieldSelector: "type=" + string(corev1.SecretTypeServiceAccountToken),
	})
	if err != nil {
		return "", fmt.Errorf("listing Secrets in %s: %w", ns, err)
	}
	var found []corev1.Secret
	for _, s := range list.Items {
		if s.Annotations[corev1.ServiceAccountNameKey] == ArgoUIServiceAccount {
			found = append(found, s)
		}
	}
	if len(found) == 0 {
		return "", fmt.Errorf("no token Secret for service account %s/%s: is Argo installed? run blueprint status", ns, ArgoUIServiceAccount)
	}
	slices.SortFunc(found, func(a, b corev1.Secret) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	for _, s := range found {
		if tok := s.Data[corev1.ServiceAccountTokenKey]; len(tok) > 0 {
			return string(tok), nil
		}
	}
	return "", fmt.Errorf("secret %s/%s has no token yet (the cluster's token controller fills it in); try again in a moment", ns, found[0].Name)
}

func jupyterLogin(ctx context.Context, cs kubernetes.Interface, ns string) (Login, error) {
	s, err := cs.CoreV1().Secrets(ns).Get(ctx, JupyterLoginSecret, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Login{}, fmt.Errorf("secret %s/%s not found: is JupyterHub installed? run blueprint up", ns, JupyterLoginSecret)
	}
	if err != nil {
		return Login{}, fmt.Errorf("reading Secret %s/%s: %w", ns, JupyterLoginSecret, err)
	}
	l := Login{Username: string(s.Data["username"]), Password: string(s.Data["password"])}
	if l.Username == "" || l.Password == "" {
		return Login{}, fmt.Errorf("secret %s/%s lacks username or password: run blueprint up to rewrite it", ns, JupyterLoginSecret)
	}
	return l, nil
}
