// Package etl is the ETL-as-code loop: upload job files to the code bucket
// and apply their Argo WorkflowTemplates and CronWorkflows (Push), start and
// follow runs (Run, Watch, List, Logs, Schedule), lint job files, and run
// SQL in the Athena workgroup (Query). It takes small interfaces of the AWS
// and Kubernetes calls it makes and never prints.
package etl

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"path"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

// Argo's API group and the resources blueprint manages.
var (
	WorkflowTemplates = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflowtemplates"}
	CronWorkflows     = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "cronworkflows"}
	Workflows         = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}
)

const (
	// FieldManager owns the fields blueprint applies server-side.
	FieldManager = "blueprint"
	// MetadataSHA256 is the S3 user-metadata key holding a file's sha256.
	MetadataSHA256 = "blueprint-sha256"
	// ManifestName is the object, under the prefix, that records for each
	// uploaded key its sha256 and the ETag S3 gave it. With SSE-KMS an
	// ETag is not a content hash, and a listing carries no user metadata,
	// so one ListObjectsV2 plus this one object tells what changed without
	// a HeadObject per file: a key is unchanged when its listed ETag is the
	// one recorded (nobody overwrote it) and the recorded sha256 is the
	// local file's.
	ManifestName = ".blueprint-manifest.json"
	// DefaultPrefix is where job files go in the code bucket.
	DefaultPrefix = "jobs/"
)

// S3API is the S3 calls Push makes.
type S3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, opts ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
}

// PushOptions are the inputs of Push.
type PushOptions struct {
	Objects S3API
	Bucket  string
	// Prefix is prepended to every file's path; default DefaultPrefix.
	Prefix string
	// Source holds the job files (jobs.Samples or os.DirFS(dir)).
	Source fs.FS
	// Prune deletes objects under Prefix that Source no longer has.
	Prune bool
	// Kube, when set, receives the WorkflowTemplates and CronWorkflows
	// found in Source's YAML files, applied server-side.
	Kube dynamic.Interface
	// Namespace for the Argo objects; default "spark".
	Namespace string
	// KeepChanged installs files once (how up installs the samples): a
	// file whose object in the bucket is not what blueprint last uploaded
	// (the user edited or deleted it) is left alone and listed in Kept, and
	// an Argo object is applied only when its file was uploaded now or the
	// object does not exist yet, so a schedule the user changed or
	// suspended stays as it is.
	KeepChanged bool
}

// PushResult says what Push did. Paths are relative to Source.
type PushResult struct {
	Bucket    string   `json:"bucket"`
	Prefix    string   `json:"prefix"`
	Uploaded  []string `json:"uploaded"`
	Unchanged []string `json:"unchanged"`
	Deleted   []string `json:"deleted,omitempty"`
	// Kept lists files left as the user changed them (KeepChanged).
	Kept []string `json:"kept,omitempty"`
	// Applied lists the Argo objects as "Kind/name".
	Applied []string `json:"applied,omitempty"`
}

type manifestEntry struct {
	SHA256 string `json:"sha256"`
	ETag   string `json:"etag"`
}

type localFile struct {
	path string
	data []byte
	sum  string
}

// Push uploads the files of Source that differ from the bucket and applies
// the Argo objects. Re-running with nothing changed uploads nothing.
func Push(ctx context.Context, o PushOptions) (*PushResult, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if !strings.HasSuffix(o.Prefix, "/") {
		o.Prefix += "/"
	}
	if o.Namespace == "" {
		o.Namespace = "spark"
	}
	if o.Bucket == "" {
		return nil, errors.New("no code bucket: deploy the platform first (blueprint up) or pass --bucket")
	}
	files, err := readSource(o.Source)
	if err != nil {
		return nil, err
	}
	res := &PushResult{Bucket: o.Bucket, Prefix: o.Prefix, Uploaded: []string{}, Unchanged: []string{}}

	listed, err := listETags(ctx, o.Objects, o.Bucket, o.Prefix)
	if err != nil {
		return nil, err
	}
	manifestKey := o.Prefix + ManifestName
	recorded := map[string]manifestEntry{}
	if _, ok := listed[manifestKey]; ok {
		if recorded, err = readManifest(ctx, o.Objects, o.Bucket, manifestKey); err != nil {
			return nil, err
		}
	}

	next := map[string]manifestEntry{}
	uploaded := map[string]bool{}
	kept := map[string]bool{}
	for _, f := range files {
		key := o.Prefix + f.path
		rec, known := recorded[key]
		if known && rec.SHA256 == f.sum && listed[key] != "" && listed[key] == rec.ETag {
			res.Unchanged = append(res.Unchanged, f.path)
			next[key] = rec
			continue
		}
		// Changed by someone else: the object is not the one blueprint
		// last uploaded (edited: another ETag; deleted: gone), or it was
		// there before blueprint ever uploaded it.
		userChanged := (known && listed[key] != rec.ETag) || (!known && listed[key] != "")
		if o.KeepChanged && userChanged {
			res.Kept = append(res.Kept, f.path)
			kept[f.path] = true
			if known {
				next[key] = rec
			}
			continue
		}
		out, err := o.Objects.PutObject(ctx, &s3.PutObjectInput{
			Bucket:      &o.Bucket,
			Key:         &key,
			Body:        bytes.NewReader(f.data),
			ContentType: aws.String(contentType(f.path)),
			Metadata:    map[string]string{MetadataSHA256: f.sum},
		})
		if err != nil {
			return res, fmt.Errorf("uploading %s to s3://%s/%s: %w", f.path, o.Bucket, key, err)
		}
		res.Uploaded = append(res.Uploaded, f.path)
		uploaded[f.path] = true
		next[key] = manifestEntry{SHA256: f.sum, ETag: normETag(aws.ToString(out.ETag))}
	}

	if o.Prune {
		var stale []string
		for key := range listed {
			if _, keep := next[key]; !keep && key != manifestKey {
				stale = append(stale, key)
			}
		}
		slices.Sort(stale)
		if err := deleteKeys(ctx, o.Objects, o.Bucket, stale); err != nil {
			return res, err
		}
		for _, k := range stale {
			res.Deleted = append(res.Deleted, strings.TrimPrefix(k, o.Prefix))
		}
	}

	if len(res.Uploaded) > 0 || len(res.Deleted) > 0 || !sameKeys(recorded, next) {
		if err := writeManifest(ctx, o.Objects, o.Bucket, manifestKey, next); err != nil {
			return res, err
		}
	}

	if o.Kube != nil {
		var only func(ctx context.Context, path string, u *unstructured.Unstructured) (bool, error)
		if o.KeepChanged {
			only = func(ctx context.Context, path string, u *unstructured.Unstructured) (bool, error) {
				if uploaded[path] {
					return true, nil
				}
				if kept[path] {
					return false, nil
				}
				_, err := o.Kube.Resource(argoResource(u)).Namespace(o.Namespace).Get(ctx, u.GetName(), metav1.GetOptions{})
				if apierrors.IsNotFound(err) {
					return true, nil
				}
				return false, err
			}
		}
		applied, err := applyArgo(ctx, o.Kube, o.Namespace, o.Source, only)
		res.Applied = applied
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

func argoResource(u *unstructured.Unstructured) schema.GroupVersionResource {
	if u.GetKind() == "CronWorkflow" {
		return CronWorkflows
	}
	return WorkflowTemplates
}

// readSource reads every regular file of src, skipping hidden files and
// directories (.git, .ipynb_checkpoints, editor files), in path order.
func readSource(src fs.FS) ([]localFile, error) {
	if src == nil {
		return nil, errors.New("no job source given")
	}
	var files []localFile
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		files = append(files, localFile{path: p, data: data, sum: hex.EncodeToString(sum[:])})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading job files: %w", err)
	}
	return files, nil
}

func listETags(ctx context.Context, api S3API, bucket, prefix string) (map[string]string, error) {
	out := map[string]string{}
	p := s3.NewListObjectsV2Paginator(api, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, obj := range page.Contents {
			out[aws.ToString(obj.Key)] = normETag(aws.ToString(obj.ETag))
		}
	}
	return out, nil
}

func readManifest(ctx context.Context, api S3API, bucket, key string) (map[string]manifestEntry, error) {
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return nil, fmt.Errorf("reading s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("reading s3://%s/%s: %w", bucket, key, err)
	}
	m := map[string]manifestEntry{}
	if err := json.Unmarshal(data, &m); err != nil {
		// A damaged manifest only costs a full upload.
		return map[string]manifestEntry{}, nil
	}
	return m, nil
}

func writeManifest(ctx context.Context, api S3API, bucket, key string, m map[string]manifestEntry) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	_, err = api.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(data), ContentType: aws.String("application/json"),
	})
	if err != nil {
		return fmt.Errorf("writing s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

func deleteKeys(ctx context.Context, api S3API, bucket string, keys []string) error {
	for batch := range slices.Chunk(keys, 1000) {
		ids := make([]s3types.ObjectIdentifier, len(batch))
		for i := range batch {
			ids[i] = s3types.ObjectIdentifier{Key: &batch[i]}
		}
		out, err := api.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil {
			return fmt.Errorf("deleting %d objects from s3://%s: %w", len(batch), bucket, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("deleting s3://%s/%s: %s: %s (and %d more)", bucket, aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message), len(out.Errors)-1)
		}
	}
	return nil
}

func sameKeys(a, b map[string]manifestEntry) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func normETag(s string) string { return strings.Trim(s, `"`) }

func contentType(p string) string {
	switch path.Ext(p) {
	case ".ipynb", ".json":
		return "application/json"
	case ".sql", ".conf", ".md", ".txt":
		return "text/plain; charset=utf-8"
	case ".yaml", ".yml":
		return "application/yaml"
	case ".csv":
		return "text/csv"
	}
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// ArgoObjects returns the WorkflowTemplates and CronWorkflows in the YAML
// files of src (multi-document files allowed), in path order.
func ArgoObjects(src fs.FS) ([]*unstructured.Unstructured, error) {
	objs, err := argoObjects(src)
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		out[i] = o.obj
	}
	return out, err
}

type argoObject struct {
	path string
	obj  *unstructured.Unstructured
}

func argoObjects(src fs.FS) ([]argoObject, error) {
	var objs []argoObject
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") && d.IsDir() {
			return fs.SkipDir
		}
		if d.IsDir() || (path.Ext(p) != ".yaml" && path.Ext(p) != ".yml") {
			return nil
		}
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for i := 0; ; i++ {
			var m map[string]any
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return fmt.Errorf("%s: document %d: %w", p, i+1, err)
			}
			if m == nil {
				continue
			}
			u := &unstructured.Unstructured{Object: m}
			gv, _ := schema.ParseGroupVersion(u.GetAPIVersion())
			if gv.Group != WorkflowTemplates.Group || (u.GetKind() != "WorkflowTemplate" && u.GetKind() != "CronWorkflow") {
				continue
			}
			if u.GetName() == "" {
				return fmt.Errorf("%s: document %d: %s has no metadata.name (generateName cannot be applied)", p, i+1, u.GetKind())
			}
			objs = append(objs, argoObject{path: p, obj: u})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading Argo objects: %w", err)
	}
	return objs, nil
}

// ApplyArgo server-side applies the Argo objects of src into namespace and
// returns them as "Kind/name".
func ApplyArgo(ctx context.Context, kube dynamic.Interface, namespace string, src fs.FS) ([]string, error) {
	return applyArgo(ctx, kube, namespace, src, nil)
}

// applyArgo applies the objects of src that only accepts (all when nil).
func applyArgo(ctx context.Context, kube dynamic.Interface, namespace string, src fs.FS,
	only func(ctx context.Context, path string, u *unstructured.Unstructured) (bool, error)) ([]string, error) {
	objs, err := argoObjects(src)
	if err != nil {
		return nil, err
	}
	var applied []string
	for _, o := range objs {
		u := o.obj
		gvr := argoResource(u)
		u.SetNamespace(namespace)
		if only != nil {
			ok, err := only(ctx, o.path, u)
			if err != nil {
				return applied, fmt.Errorf("reading %s %q in namespace %q: %w", u.GetKind(), u.GetName(), namespace, err)
			}
			if !ok {
				continue
			}
		}
		_, err := kube.Resource(gvr).Namespace(namespace).Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
		if err != nil {
			return applied, fmt.Errorf("applying %s %q in namespace %q: %w", u.GetKind(), u.GetName(), namespace, err)
		}
		applied = append(applied, u.GetKind()+"/"+u.GetName())
	}
	return applied, nil
}
