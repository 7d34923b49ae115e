package manifests

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestArgoCRDs(t *testing.T) {
	objs, err := ArgoCRDs()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		if o.GetAPIVersion() != "apiextensions.k8s.io/v1" || o.GetKind() != "CustomResourceDefinition" {
			t.Errorf("%s is %s %s, want apiextensions.k8s.io/v1 CustomResourceDefinition", o.GetName(), o.GetAPIVersion(), o.GetKind())
		}
		if g, _, _ := unstructured.NestedString(o.Object, "spec", "group"); g != "argoproj.io" {
			t.Errorf("%s: group %q", o.GetName(), g)
		}
		names = append(names, o.GetName())
	}
	want := []string{
		"clusterworkflowtemplates.argoproj.io",
		"cronworkflows.argoproj.io",
		"workflowartifactgctasks.argoproj.io",
		"workfloweventbindings.argoproj.io",
		"workflows.argoproj.io",
		"workflowtaskresults.argoproj.io",
		"workflowtasksets.argoproj.io",
		"workflowtemplates.argoproj.io",
	}
	if !slices.Equal(names, want) {
		t.Errorf("CRDs = %v, want %v", names, want)
	}
	// Full schemas, not the minimal ones that preserve any spec.
	for _, o := range objs {
		if o.GetName() != "workflowtemplates.argoproj.io" {
			continue
		}
		versions, _, _ := unstructured.NestedSlice(o.Object, "spec", "versions")
		if len(versions) != 1 {
			t.Fatalf("workflowtemplates: %d versions", len(versions))
		}
		v := versions[0].(map[string]any)
		_, found, _ := unstructured.NestedMap(v, "schema", "openAPIV3Schema", "properties", "spec", "properties", "templates", "items", "properties", "retryStrategy")
		if !found {
			t.Error("workflowtemplates CRD has no schema for spec.templates[].retryStrategy; minimal CRDs copied?")
		}
	}
}

func TestDecodeAll(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "multi-doc with empties", in: "---\n# c\n---\napiVersion: v1\nkind: A\nmetadata: {name: a}\n---\n\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n", want: []string{"a", "b"}},
		{name: "json", in: `{"apiVersion":"v1","kind":"A","metadata":{"name":"j"}}`, want: []string{"j"}},
		{name: "empty", in: "", want: nil},
		{name: "missing kind", in: "apiVersion: v1\nmetadata: {name: a}\n", wantErr: "document 1: apiVersion, kind"},
		{name: "bad yaml", in: "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\nkind: [\n", wantErr: "document 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := decodeAll([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.GetName())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCRDProvenance checks the copies against the checksums recorded in
// argo-crds/README.md and, when the Argo module is in the local module
// cache, byte for byte against the module.
func TestCRDProvenance(t *testing.T) {
	readme, err := os.ReadFile("argo-crds/README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("argo-workflows/v4@"+ArgoVersion)) {
		t.Errorf("README.md does not name argo-workflows/v4@%s", ArgoVersion)
	}
	recorded := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && len(f[0]) == 64 {
			recorded[f[1]] = f[0]
		}
	}
	files, _ := filepath.Glob("argo-crds/*.yaml")
	if len(files) == 0 || len(recorded) != len(files) {
		t.Fatalf("README.md records %d checksums for %d files", len(recorded), len(files))
	}
	modDir := filepath.Join(modCache(), "github.com/argoproj/argo-workflows/v4@"+ArgoVersion, "manifests/base/crds/full")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != recorded[filepath.Base(f)] {
			t.Errorf("%s: sha256 %s, README.md records %q", f, got, recorded[filepath.Base(f)])
		}
		orig, err := os.ReadFile(filepath.Join(modDir, filepath.Base(f)))
		if err != nil {
			continue // module not downloaded here; the checksums still hold
		}
		if !bytes.Equal(orig, data) {
			t.Errorf("%s differs from the module's copy in %s", f, modDir)
		}
	}
}

func modCache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if p := os.Getenv("GOPATH"); p != "" {
		return filepath.Join(filepath.SplitList(p)[0], "pkg", "mod")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, "go", "pkg", "mod")
}
