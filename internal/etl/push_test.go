package etl_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/sqletl/blueprint/internal/etl"
	"github.com/sqletl/blueprint/internal/kubetest"
	"github.com/sqletl/blueprint/internal/mototest"
	"github.com/sqletl/blueprint/internal/wait"
	"github.com/sqletl/blueprint/manifests"
)

var (
	env  *kubetest.Env
	moto *mototest.Server
)

func TestMain(m *testing.M) {
	os.Exit(mototest.RunShared(mototest.RunFunc(func() int { return kubetest.RunShared(m, &env) }), &moto))
}

const workflowTemplateYAML = `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: contacts
spec:
  entrypoint: main
  arguments:
    parameters:
    - name: ETL_CONF_DATE
      value: "2024-01-01"
    - name: ETL_CONF_ENV
      value: dev
  templates:
  - name: main
    container:
      image: ghcr.io/tripl-ai/arc:latest
      command: [bin/spark-submit]
      args: ["{{workflow.parameters.ETL_CONF_DATE}}"]
`

const cronWorkflowYAML = `# nightly run
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: contacts-nightly
spec:
  schedules: ["0 2 * * *"]
  workflowSpec:
    workflowTemplateRef:
      name: contacts
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-argo
data: {k: v}
`

// writeTree writes files (path → content) under dir; "" deletes.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if content == "" {
			if err := os.Remove(full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func newBucket(t *testing.T) (*s3.Client, string) {
	t.Helper()
	moto.Require(t)
	c := s3.NewFromConfig(moto.AWSConfig(t), func(o *s3.Options) { o.UsePathStyle = true })
	name := "code-" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 63 {
		name = name[:63]
	}
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	return c, name
}

func objectKeys(t *testing.T, c *s3.Client, bucket string) []string {
	t.Helper()
	out, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// Push against moto's S3 through a sequence of edits to a job directory:
// each step states exactly which files are uploaded, left alone or deleted.
func TestPushIncremental(t *testing.T) {
	c, bucket := newBucket(t)
	dir := t.TempDir()

	steps := []struct {
		name          string
		edit          map[string]string
		outOfBand     map[string]string // written straight to S3 (key → body) before pushing
		prune         bool
		wantUploaded  []string
		wantUnchanged []string
		wantDeleted   []string
	}{
		{
			name: "first push uploads everything",
			edit: map[string]string{
				"contacts/workflow.yaml": workflowTemplateYAML, "contacts/cron.yaml": cronWorkflowYAML,
				"contacts/merge.sql": "SELECT 1", "contacts/.ipynb_checkpoints/x.ipynb": "{}", ".hidden": "x",
			},
			wantUploaded: []string{"contacts/cron.yaml", "contacts/merge.sql", "contacts/workflow.yaml"},
		},
		{
			name:          "second push uploads nothing",
			wantUnchanged: []string{"contacts/cron.yaml", "contacts/merge.sql", "contacts/workflow.yaml"},
		},
		{
			name:          "a changed file uploads one object",
			edit:          map[string]string{"contacts/merge.sql": "SELECT 2"},
			wantUploaded:  []string{"contacts/merge.sql"},
			wantUnchanged: []string{"contacts/cron.yaml", "contacts/workflow.yaml"},
		},
		{
			name:          "an object overwritten in S3 is uploaded again",
			outOfBand:     map[string]string{"jobs/contacts/cron.yaml": "tampered"},
			wantUploaded:  []string{"contacts/cron.yaml"},
			wantUnchanged: []string{"contacts/merge.sql", "contacts/workflow.yaml"},
		},
		{
			name:          "a removed file stays without prune",
			edit:          map[string]string{"contacts/merge.sql": "", "taxi/agg.sql": "SELECT 3"},
			wantUploaded:  []string{"taxi/agg.sql"},
			wantUnchanged: []string{"contacts/cron.yaml", "contacts/workflow.yaml"},
		},
		{
			name:          "prune deletes it",
			prune:         true,
			wantUnchanged: []string{"contacts/cron.yaml", "contacts/workflow.yaml", "taxi/agg.sql"},
			wantDeleted:   []string{"contacts/merge.sql"},
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			writeTree(t, dir, st.edit)
			for k, body := range st.outOfBand {
				if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(k), Body: strings.NewReader(body)}); err != nil {
					t.Fatal(err)
				}
			}
			res, err := etl.Push(t.Context(), etl.PushOptions{Objects: c, Bucket: bucket, Source: os.DirFS(dir), Prune: st.prune})
			if err != nil {
				t.Fatalf("Push: %v", err)
			}
			for _, cmp := range []struct {
				what      string
				got, want []string
			}{{"uploaded", res.Uploaded, st.wantUploaded}, {"unchanged", res.Unchanged, st.wantUnchanged}, {"deleted", res.Deleted, st.wantDeleted}} {
				if !slices.Equal(cmp.got, cmp.want) && len(cmp.got)+len(cmp.want) > 0 {
					t.Errorf("%s = %v, want %v", cmp.what, cmp.got, cmp.want)
				}
			}
		})
	}

	t.Run("objects carry their sha256", func(t *testing.T) {
		want := sha256.Sum256([]byte(workflowTemplateYAML))
		head, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("jobs/contacts/workflow.yaml")})
		if err != nil {
			t.Fatal(err)
		}
		if got := head.Metadata[etl.MetadataSHA256]; got != hex.EncodeToString(want[:]) {
			t.Errorf("metadata %s = %q, want %x", etl.MetadataSHA256, got, want)
		}
		keys := objectKeys(t, c, bucket)
		wantKeys := []string{"jobs/" + etl.ManifestName, "jobs/contacts/cron.yaml", "jobs/contacts/workflow.yaml", "jobs/taxi/agg.sql"}
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("bucket holds %v, want %v", keys, wantKeys)
		}
	})
}

func TestPushErrors(t *testing.T) {
	c, bucket := newBucket(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.sql": "SELECT 1"})
	tests := []struct {
		name    string
		opts    etl.PushOptions
		wantErr string
	}{
		{"no bucket", etl.PushOptions{Objects: c, Source: os.DirFS(dir)}, "no code bucket"},
		{"missing bucket", etl.PushOptions{Objects: c, Bucket: "does-not-exist", Source: os.DirFS(dir)}, "NoSuchBucket"},
		{"missing source dir", etl.PushOptions{Objects: c, Bucket: bucket, Source: os.DirFS(filepath.Join(dir, "nope"))}, "reading job files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := etl.Push(t.Context(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// ArgoObjects picks the WorkflowTemplates and CronWorkflows out of the
// YAML files and names the file and document of a bad one.
func TestArgoObjects(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		want    []string
		wantErr string
	}{
		{"template and cron, other kinds ignored", map[string]string{"a/w.yaml": workflowTemplateYAML, "a/c.yml": cronWorkflowYAML, "a/x.sql": "kind: WorkflowTemplate"},
			[]string{"CronWorkflow/contacts-nightly", "WorkflowTemplate/contacts"}, ""},
		{"no yaml", map[string]string{"a.sql": "SELECT 1"}, nil, ""},
		{"syntax error", map[string]string{"w.yaml": "---\nkind: x\n---\nkind: [unclosed"}, nil, "w.yaml: document 2"},
		{"generateName only", map[string]string{"w.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {generateName: x-}\n"}, nil, "has no metadata.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.files)
			objs, err := etl.ArgoObjects(os.DirFS(dir))
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
				got = append(got, o.GetKind()+"/"+o.GetName())
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("objects = %v, want %v", got, tt.want)
			}
		})
	}
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// argoClient returns a dynamic client for the shared API server with
// Argo's CRDs (the files blueprint installs) created and established, once
// per test binary.
func argoClient(t *testing.T) dynamic.Interface {
	t.Helper()
	env.Require(t)
	dyn, err := dynamic.NewForConfig(env.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	crdsOnce.Do(func() {
		start := time.Now()
		crdsErr = installArgoCRDs(dyn)
		t.Logf("Argo CRDs ready in %v", time.Since(start).Round(time.Millisecond))
	})
	if crdsErr != nil {
		t.Fatal(crdsErr)
	}
	return dyn
}

var argoCRDNames = []string{"workflowtemplates.argoproj.io", "cronworkflows.argoproj.io", "workflows.argoproj.io"}

var (
	crdsOnce sync.Once
	crdsErr  error
)

func installArgoCRDs(dyn dynamic.Interface) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	crds, err := manifests.ArgoCRDs()
	if err != nil {
		return err
	}
	for _, crd := range crds {
		// Only the kinds blueprint reads and writes: each CRD costs the
		// API server seconds of schema work.
		if !slices.Contains(argoCRDNames, crd.GetName()) {
			continue
		}
		// Create, not server-side apply: field tracking of a schema this
		// large costs the API server tens of seconds.
		if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create CRD %s: %w", crd.GetName(), err)
		}
	}
	for _, name := range argoCRDNames {
		err := wait.Until(ctx, "CRD "+name, wait.Backoff{Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond, Factor: 2}, nil,
			func(ctx context.Context) (bool, error) {
				got, err := dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					return false, err
				}
				conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
				for _, c := range conds {
					m, _ := c.(map[string]any)
					if m["type"] == "Established" && m["status"] == "True" {
						return true, nil
					}
				}
				return false, nil
			})
		if err != nil {
			return err
		}
	}
	return nil
}

// Push applies the WorkflowTemplate and CronWorkflow of the job files into
// the API server (validated by Argo's CRD schemas), owned by the
// "blueprint" field manager; re-applying unchanged files changes nothing.
func TestPushAppliesArgo(t *testing.T) {
	dyn := argoClient(t)
	c, bucket := newBucket(t)
	ns := env.CreateNamespace(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"contacts/workflow.yaml": workflowTemplateYAML, "contacts/cron.yaml": cronWorkflowYAML})

	push := func() *etl.PushResult {
		t.Helper()
		res, err := etl.Push(t.Context(), etl.PushOptions{Objects: c, Bucket: bucket, Source: os.DirFS(dir), Kube: dyn, Namespace: ns})
		if err != nil {
			t.Fatalf("Push: %v", err)
		}
		return res
	}
	start := time.Now()
	res := push()
	t.Logf("first push with apply: %v", time.Since(start).Round(time.Millisecond))
	if want := []string{"CronWorkflow/contacts-nightly", "WorkflowTemplate/contacts"}; !slices.Equal(res.Applied, want) {
		t.Fatalf("applied = %v, want %v", res.Applied, want)
	}
	versions := map[string]string{}
	for _, obj := range []struct {
		gvr  schema.GroupVersionResource
		name string
	}{{etl.WorkflowTemplates, "contacts"}, {etl.CronWorkflows, "contacts-nightly"}} {
		got, err := dyn.Resource(obj.gvr).Namespace(ns).Get(t.Context(), obj.name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s %s not in the API server: %v", obj.gvr.Resource, obj.name, err)
		}
		if mf := got.GetManagedFields(); len(mf) == 0 || mf[0].Manager != etl.FieldManager {
			t.Errorf("%s managed by %+v, want %q", obj.name, mf, etl.FieldManager)
		}
		versions[obj.name] = got.GetResourceVersion()
	}
	sched, _, _ := unstructured.NestedStringSlice(mustGet(t, dyn, etl.CronWorkflows, ns, "contacts-nightly").Object, "spec", "schedules")
	if !slices.Equal(sched, []string{"0 2 * * *"}) {
		t.Errorf("schedules = %v", sched)
	}

	push()
	for name, rv := range versions {
		gvr := etl.WorkflowTemplates
		if name == "contacts-nightly" {
			gvr = etl.CronWorkflows
		}
		if got := mustGet(t, dyn, gvr, ns, name).GetResourceVersion(); got != rv {
			t.Errorf("%s changed by a no-op push: resourceVersion %s → %s", name, rv, got)
		}
	}

	// A WorkflowTemplate the CRD schema rejects fails the push, naming it.
	writeTree(t, dir, map[string]string{"contacts/workflow.yaml": strings.Replace(workflowTemplateYAML, "entrypoint: main", "entrypoint: [main]", 1)})
	_, err := etl.Push(t.Context(), etl.PushOptions{Objects: c, Bucket: bucket, Source: os.DirFS(dir), Kube: dyn, Namespace: ns})
	if err == nil || !strings.Contains(err.Error(), `WorkflowTemplate "contacts"`) {
		t.Fatalf("err = %v, want a rejection of WorkflowTemplate \"contacts\"", err)
	}
}

func mustGet(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	t.Helper()
	got, err := dyn.Resource(gvr).Namespace(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s %s: %v", gvr.Resource, name, err)
	}
	return got
}

func osDirFS(dir string) fs.FS { return os.DirFS(dir) }

// Against moto: the event-log directory marker is created once, and not
// again when the prefix already holds objects.
func TestEnsureEventLogDir(t *testing.T) {
	c, bucket := newBucket(t)
	for i, want := range []bool{true, false} {
		created, err := etl.EnsureEventLogDir(t.Context(), c, bucket, "spark-events")
		if err != nil {
			t.Fatal(err)
		}
		if created != want {
			t.Errorf("run %d: created = %v, want %v", i+1, created, want)
		}
	}
	if keys := objectKeys(t, c, bucket); strings.Join(keys, ",") != "spark-events/" {
		t.Errorf("keys %v, want the one marker", keys)
	}
}
