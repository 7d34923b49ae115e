// Package manifests holds raw Kubernetes YAML that is not worth a chart,
// embedded so the binary carries it: today the Argo Workflows CRDs with
// their full schemas, so the API server validates WorkflowTemplates.
package manifests

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/sqletl/blueprint/internal/wait"
)

// ArgoVersion is the Argo Workflows release the CRDs in argo-crds/ come
// from (github.com/argoproj/argo-workflows/v4, manifests/base/crds/full).
// It stays v4.0.5 while the chart deploys v4.0.6: the Go module proxy
// serves the module only up to v4.0.5 (tools/argovalidate is pinned there
// too). internal/helmrelease's TestArgoCRDsMatchChart checks the only
// schema difference from v4.0.6's CRDs is the wider CronWorkflow schedule
// pattern (see internal/helmrelease/versions.go).
const ArgoVersion = "v4.0.5"

//go:embed argo-crds/*.yaml
var argoCRDs embed.FS

// ArgoCRDs returns the Argo Workflows CustomResourceDefinitions, in file
// name order, one object per YAML document.
func ArgoCRDs() ([]*unstructured.Unstructured, error) {
	files, err := fs.Glob(argoCRDs, "argo-crds/*.yaml")
	if err != nil {
		return nil, err
	}
	var objs []*unstructured.Unstructured
	for _, name := range files { // fs.Glob sorts
		data, err := argoCRDs.ReadFile(name)
		if err != nil {
			return nil, err
		}
		docs, err := decodeAll(data)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", path.Base(name), err)
		}
		objs = append(objs, docs...)
	}
	return objs, nil
}

// decodeAll splits multi-document YAML (or JSON) into objects, skipping
// empty documents.
func decodeAll(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for i := 0; ; i++ {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("document %d: apiVersion, kind and metadata.name are required", i+1)
		}
		objs = append(objs, u)
	}
}

// CRDClient is the part of the apiextensions clientset ApplyArgoCRDs uses
// (clientset.ApiextensionsV1().CustomResourceDefinitions()).
type CRDClient interface {
	Create(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition, opts metav1.CreateOptions) (*apiextensionsv1.CustomResourceDefinition, error)
	Update(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition, opts metav1.UpdateOptions) (*apiextensionsv1.CustomResourceDefinition, error)
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*apiextensionsv1.CustomResourceDefinition, error)
}

// ApplyArgoCRDs creates the Argo CRDs, or updates those that differ, and
// waits until every one is Established so custom resources can be created
// right after. It is idempotent. ctx bounds the whole call.
func ApplyArgoCRDs(ctx context.Context, client CRDClient, clk wait.Clock) error {
	objs, err := ArgoCRDs()
	if err != nil {
		return err
	}
	return ApplyCRDs(ctx, client, clk, objs)
}

// ApplyCRDs is ApplyArgoCRDs for the given CRD objects (a subset of
// ArgoCRDs, say).
func ApplyCRDs(ctx context.Context, client CRDClient, clk wait.Clock, objs []*unstructured.Unstructured) error {
	var pending []string
	for _, u := range objs {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &crd); err != nil {
			return fmt.Errorf("converting CRD %s: %w", u.GetName(), err)
		}
		ready, err := applyCRD(ctx, client, &crd)
		if err != nil {
			return fmt.Errorf("applying CRD %s: %w", crd.Name, err)
		}
		if !ready {
			pending = append(pending, crd.Name)
		}
	}
	for _, name := range pending {
		backoff := wait.Backoff{Initial: 100 * time.Millisecond, Max: 2 * time.Second, Factor: 2}
		err := wait.Until(ctx, "CRD "+name+" to be established", backoff, clk, func(ctx context.Context) (bool, error) {
			crd, err := client.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return established(crd), nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// applyCRD creates or updates crd and reports whether it is already
// Established (true only when it existed unchanged).
func applyCRD(ctx context.Context, client CRDClient, crd *apiextensionsv1.CustomResourceDefinition) (bool, error) {
	_, err := client.Create(ctx, crd, metav1.CreateOptions{FieldManager: "blueprint"})
	if !apierrors.IsAlreadyExists(err) {
		return false, err
	}
	current, err := client.Get(ctx, crd.Name, metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	// An unchanged CRD is left alone: rewriting a megabyte of schema makes
	// the API server rebuild its OpenAPI models for nothing.
	if equality.Semantic.DeepEqual(current.Spec, withDefaults(crd).Spec) {
		return established(current), nil
	}
	crd.ResourceVersion = current.ResourceVersion
	_, err = client.Update(ctx, crd, metav1.UpdateOptions{FieldManager: "blueprint"})
	return false, err
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established {
			return c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

// withDefaults returns a copy of crd with the API server's defaults
// applied, for comparing with what the server stored.
func withDefaults(crd *apiextensionsv1.CustomResourceDefinition) *apiextensionsv1.CustomResourceDefinition {
	c := crd.DeepCopy()
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(c)
	return c
}
