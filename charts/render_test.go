package charts

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/sqletl/blueprint/internal/workloads"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current chart")

// kubeVersion is what the renders and lint assume; blueprint's default cluster version.
var kubeVersion = &chartutil.KubeVersion{Version: "v1.35.0", Major: "1", Minor: "35"}

// fixtures are the values files under testdata; "defaults" uses values.yaml alone.
var fixtures = []string{"defaults", "full", "custom"}

func fixtureValues(t *testing.T, name string) map[string]any {
	t.Helper()
	if name == "defaults" {
		return map[string]any{}
	}
	v, err := chartutil.ReadValuesFile(filepath.Join("testdata", name+".values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return v.AsMap()
}

// render renders the embedded platform chart offline, as `helm install --dry-run` does.
func render(t *testing.T, values map[string]any) (string, error) {
	t.Helper()
	c, err := Platform()
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(&action.Configuration{})
	install.DryRun = true
	install.ClientOnly = true
	install.ReleaseName = "platform"
	install.Namespace = "blueprint"
	install.KubeVersion = kubeVersion
	install.DisableHooks = true
	rel, err := install.Run(c, values)
	if err != nil {
		return "", err
	}
	return rel.Manifest, nil
}

func mustRender(t *testing.T, values map[string]any) string {
	t.Helper()
	out, err := render(t, values)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return out
}

func decodeObjects(t *testing.T, manifest string) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifest), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if err.Error() == "EOF" {
				return objs
			}
			t.Fatalf("decoding rendered manifest: %v", err)
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

func TestGolden(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			got := mustRender(t, fixtureValues(t, name))
			if again := mustRender(t, fixtureValues(t, name)); again != got {
				t.Fatal("two renders of the same values differ")
			}
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./charts -run TestGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("render differs from %s; if intended, refresh with -update\n%s", golden, firstDiff(string(want), got))
			}
		})
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, wl, gl)
		}
	}
	return ""
}

func TestLint(t *testing.T) {
	tests := []struct {
		name    string
		values  map[string]any
		wantErr string // "" means helm lint must report nothing at all
	}{
		{name: "defaults", values: fixtureValues(t, "defaults")},
		{name: "full", values: fixtureValues(t, "full")},
		{name: "custom", values: fixtureValues(t, "custom")},
		{name: "invalid", values: map[string]any{"retry": map[string]any{"retryPolicy": "Never"}}, wantErr: "/retry/retryPolicy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := lint.AllWithKubeVersion(PlatformDir, tt.values, "blueprint", kubeVersion)
			if tt.wantErr == "" {
				for _, m := range l.Messages {
					t.Errorf("helm lint: %s", m)
				}
				return
			}
			if l.HighestSeverity != support.ErrorSev || !strings.Contains(fmt.Sprint(l.Messages), tt.wantErr) {
				t.Errorf("helm lint did not report %q as an error: %v", tt.wantErr, l.Messages)
			}
		})
	}
}

func TestDefaultsMatchValuesYAML(t *testing.T) {
	file, err := chartutil.ReadValuesFile(filepath.Join(PlatformDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := file.AsMap()
	got, err := DefaultPlatformValues().ToMap()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultPlatformValues() differs from values.yaml:\n go:   %v\n yaml: %v", got, want)
	}
	c, err := Platform()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Values, want) {
		t.Error("embedded chart values differ from charts/platform/values.yaml")
	}
	if c.Metadata.Version != "0.1.0" || c.Metadata.APIVersion != "v2" {
		t.Errorf("chart %s apiVersion %s, want 0.1.0 v2", c.Metadata.Version, c.Metadata.APIVersion)
	}
	// Typed values render the same as the file: what blueprint passes is what values.yaml documents.
	if a, b := mustRender(t, got), mustRender(t, map[string]any{}); a != b {
		t.Errorf("render of DefaultPlatformValues differs from chart defaults:\n%s", firstDiff(b, a))
	}
}

// TestIdentities checks the rendered namespaces and service accounts are
// exactly the ones internal/workloads names (and IRSA trusts).
func TestIdentities(t *testing.T) {
	v := DefaultPlatformValues()
	v.Roles = Roles{
		ArcJob:       "arn:aws:iam::123456789012:role/arc",
		Notebook:     "arn:aws:iam::123456789012:role/nb",
		ArgoServer:   "arn:aws:iam::123456789012:role/argo",
		SparkHistory: "arn:aws:iam::123456789012:role/history",
	}
	m, err := v.ToMap()
	if err != nil {
		t.Fatal(err)
	}
	objs := decodeObjects(t, mustRender(t, m))
	namespaces := map[string]bool{}
	roleARN := map[workloads.ServiceAccount]string{}
	for _, o := range objs {
		switch o.GetKind() {
		case "Namespace":
			namespaces[o.GetName()] = true
		case "ServiceAccount":
			roleARN[workloads.ServiceAccount{Namespace: o.GetNamespace(), Name: o.GetName()}] = o.GetAnnotations()["eks.amazonaws.com/role-arn"]
		}
		if o.GetKind() != "Namespace" && o.GetNamespace() == "" && !clusterScoped[o.GetKind()] {
			t.Errorf("%s %s has no namespace; every namespaced object names its own", o.GetKind(), o.GetName())
		}
	}
	for _, ns := range []string{workloads.NamespaceSpark, workloads.NamespaceJupyter, workloads.NamespaceArgo} {
		if !namespaces[ns] {
			t.Errorf("namespace %q not rendered", ns)
		}
	}
	tests := []struct {
		sa   workloads.ServiceAccount
		want string
	}{
		{workloads.ArcJob, v.Roles.ArcJob},
		{workloads.Notebook, v.Roles.Notebook},
		{workloads.ArgoServer, v.Roles.ArgoServer},
		{workloads.SparkHistory, v.Roles.SparkHistory},
		{workloads.ServiceAccount{Namespace: workloads.NamespaceArgo, Name: "argo-ui"}, ""},
	}
	for _, tt := range tests {
		got, ok := roleARN[tt.sa]
		if !ok {
			t.Errorf("service account %s not rendered", tt.sa.Subject())
		} else if got != tt.want {
			t.Errorf("%s role-arn = %q, want %q", tt.sa.Subject(), got, tt.want)
		}
	}
	if len(roleARN) != len(tests) {
		t.Errorf("rendered %d service accounts, want %d: %v", len(roleARN), len(tests), roleARN)
	}
}

var clusterScoped = map[string]bool{"ClusterRole": true, "ClusterRoleBinding": true, "StorageClass": true}

func TestEmptyRoleOmitsAnnotation(t *testing.T) {
	out := mustRender(t, map[string]any{})
	if strings.Contains(out, "eks.amazonaws.com/role-arn") {
		t.Error("role-arn annotation rendered for empty role ARNs")
	}
}

// TestWorkflowTemplate checks what the golden files cannot say by
// themselves: every size has a retryStrategy, drivers on on-demand nodes,
// executors on Spot, S3A web identity and SSE-KMS.
func TestWorkflowTemplate(t *testing.T) {
	values := fixtureValues(t, "full")
	objs := decodeObjects(t, mustRender(t, values))
	var wt *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "WorkflowTemplate" {
			wt = o
		}
	}
	if wt == nil || wt.GetName() != "arc-job" || wt.GetNamespace() != workloads.NamespaceSpark {
		t.Fatalf("WorkflowTemplate spark/arc-job not rendered")
	}
	if sa, _, _ := unstructured.NestedString(wt.Object, "spec", "serviceAccountName"); sa != workloads.ArcJob.Name {
		t.Errorf("serviceAccountName = %q, want %q", sa, workloads.ArcJob.Name)
	}
	templates, _, _ := unstructured.NestedSlice(wt.Object, "spec", "templates")
	byName := map[string]map[string]any{}
	for _, tpl := range templates {
		m := tpl.(map[string]any)
		byName[m["name"].(string)] = m
	}
	for _, size := range []string{"small", "medium", "large", "local"} {
		t.Run(size, func(t *testing.T) {
			tpl, ok := byName[size]
			if !ok {
				t.Fatalf("template %q missing", size)
			}
			limit, _, _ := unstructured.NestedFieldNoCopy(tpl, "retryStrategy", "limit")
			policy, _, _ := unstructured.NestedString(tpl, "retryStrategy", "retryPolicy")
			duration, _, _ := unstructured.NestedString(tpl, "retryStrategy", "backoff", "duration")
			if fmt.Sprint(limit) != "5" || policy != "OnError" || duration != "30s" {
				t.Errorf("retryStrategy limit=%v policy=%q backoff.duration=%q, want 5 OnError 30s", limit, policy, duration)
			}
			sel, _, _ := unstructured.NestedStringMap(tpl, "nodeSelector")
			if sel[workloads.LifecycleLabel] != workloads.LifecycleOnDemand {
				t.Errorf("driver nodeSelector = %v, want %s=%s", sel, workloads.LifecycleLabel, workloads.LifecycleOnDemand)
			}
			args, _, _ := unstructured.NestedStringSlice(tpl, "container", "args")
			joined := strings.Join(args, "\n")
			want := []string{
				"--conf=spark.hadoop.fs.s3a.aws.credentials.provider=com.amazonaws.auth.WebIdentityTokenCredentialsProvider",
				"--conf=spark.hadoop.fs.s3a.server-side-encryption-algorithm=SSE-KMS",
				"--conf=spark.hadoop.fs.s3a.server-side-encryption.key=arn:aws:kms:eu-west-1:123456789012:key/0c6b2f0e-1b7a-4d3e-9a55-2f9d8c1e4b7a",
				"--etl.config.uri={{inputs.parameters.jobFile}}",
			}
			if size == "local" {
				want = append(want, "--master=local[4]")
			} else {
				want = append(want,
					"--conf=spark.kubernetes.executor.node.selector.lifecycle=Ec2Spot",
					"--conf=spark.kubernetes.authenticate.executor.serviceAccountName=arcjob")
			}
			for _, w := range want {
				if !strings.Contains(joined, w) {
					t.Errorf("args lack %q", w)
				}
			}
			if size == "local" && strings.Contains(joined, "spark.executor.instances") {
				t.Error("local size configures executors")
			}
		})
	}
	// Pod memory is the heap plus Spark's overhead, max(384Mi, 10%).
	mem, _, _ := unstructured.NestedString(byName["large"], "container", "resources", "requests", "memory")
	if mem != "18022Mi" { // 16g = 16384Mi + 1638Mi
		t.Errorf("large driver memory request = %q, want 18022Mi", mem)
	}
	mem, _, _ = unstructured.NestedString(byName["small"], "container", "resources", "requests", "memory")
	if mem != "1408Mi" { // 1g = 1024Mi + 384Mi
		t.Errorf("small driver memory request = %q, want 1408Mi", mem)
	}
}

// TestSchemaRejects checks values.schema.json turns bad values into an
// error naming the field, through the same path Helm uses to render.
func TestSchemaRejects(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(v *PlatformValues)
		raw   func(m map[string]any) // for what typed values cannot express
		field string
	}{
		{name: "region", edit: func(v *PlatformValues) { v.Region = "US East" }, field: "/region"},
		{name: "role arn", edit: func(v *PlatformValues) { v.Roles.ArcJob = "arcjob-role" }, field: "/roles/arcJob"},
		{name: "kms key", edit: func(v *PlatformValues) { v.DataLake.KMSKeyARN = "alias/aws/s3" }, field: "/dataLake/kmsKeyArn"},
		{name: "bucket", edit: func(v *PlatformValues) { v.CodeBucket = "s3://code" }, field: "/codeBucket"},
		{name: "unpinned image", edit: func(v *PlatformValues) { v.Images.Arc = "ghcr.io/tripl-ai/arc:latest" }, field: "/images/arc"},
		{name: "untagged image", edit: func(v *PlatformValues) { v.Images.Arc = "ghcr.io/tripl-ai/arc" }, field: "/images/arc"},
		{name: "memory unit", edit: func(v *PlatformValues) { v.JobSizes.Medium.Driver.Memory = "4Gi" }, field: "/jobSizes/medium/driver/memory"},
		{name: "no executors", edit: func(v *PlatformValues) { v.JobSizes.Large.Executor.Instances = 0 }, field: "/jobSizes/large/executor/instances"},
		{name: "zero cpu", edit: func(v *PlatformValues) { v.JobSizes.Local.Driver.CPU = 0 }, field: "/jobSizes/local/driver/cpu"},
		{name: "retry policy", edit: func(v *PlatformValues) { v.Retry.RetryPolicy = "Sometimes" }, field: "/retry/retryPolicy"},
		{name: "retry limit", edit: func(v *PlatformValues) { v.Retry.Limit = -1 }, field: "/retry/limit"},
		{name: "backoff duration", edit: func(v *PlatformValues) { v.Retry.Backoff.Duration = "" }, field: "/retry/backoff/duration"},
		{name: "empty selector", raw: func(m map[string]any) { m["nodeSelectors"].(map[string]any)["spot"] = map[string]any{"lifecycle": nil} }, field: "/nodeSelectors/spot"},
		{name: "reclaim policy", edit: func(v *PlatformValues) { v.StorageClass.ReclaimPolicy = "Recycle" }, field: "/storageClass/reclaimPolicy"},
		{name: "unknown top-level key", raw: func(m map[string]any) { m["secretToken"] = "x" }, field: "secretToken"},
		{name: "unknown nested key", raw: func(m map[string]any) { m["roles"].(map[string]any)["admin"] = "x" }, field: "admin"},
		{name: "missing roles", raw: func(m map[string]any) { m["roles"] = nil }, field: "roles"},
		{name: "missing local size", raw: func(m map[string]any) { m["jobSizes"].(map[string]any)["local"] = nil }, field: "local"},
		{name: "executor on local", raw: func(m map[string]any) {
			m["jobSizes"].(map[string]any)["local"].(map[string]any)["executor"] = map[string]any{"cpu": 1, "memory": "1g", "instances": 1}
		}, field: "executor"},
		{name: "sample key with slash", edit: func(v *PlatformValues) {
			v.SampleNotebooks.Files = []SampleFile{{Key: "a/b.ipynb", Path: "a/b.ipynb", Content: "{}"}}
		}, field: "/sampleNotebooks/files/0/key"},
		{name: "sample path escapes", edit: func(v *PlatformValues) {
			v.SampleNotebooks.Files = []SampleFile{{Key: "b.ipynb", Path: "../b.ipynb", Content: "{}"}}
		}, field: "/sampleNotebooks/files/0/path"},
		{name: "limit as object", raw: func(m map[string]any) { m["retry"].(map[string]any)["limit"] = map[string]any{"n": 3} }, field: "/retry/limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := DefaultPlatformValues()
			if tt.edit != nil {
				tt.edit(&v)
			}
			m, err := v.ToMap()
			if err != nil {
				t.Fatal(err)
			}
			if tt.raw != nil {
				tt.raw(m)
			}
			_, err = render(t, m)
			if err == nil {
				t.Fatal("render accepted invalid values")
			}
			if !strings.Contains(err.Error(), "schema") || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error does not name %q as a schema violation:\n%v", tt.field, err)
			}
		})
	}
}

// Literal tokens and secrets the old AWS sample (and copy-paste in general)
// put into charts; none may appear in anything we render or ship as values.
var secretPatterns = []struct {
	name string
	re   *regexp.Regexp
}{
	{"sample login password", regexp.MustCompile(`Welcome@2020`)},
	{"literal secretToken", regexp.MustCompile(`(?i)secret_?token["']?\s*[:=]\s*["']?[A-Za-z0-9+/=_-]{8,}`)},
	{"AWS secret key name", regexp.MustCompile(`(?i)aws_secret_access_key`)},
	{"AWS access key id", regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{"literal password", regexp.MustCompile(`(?i)password["']?\s*[:=]\s*["']?[^"'\s{}<>]{3,}`)},
	{"literal API/auth token", regexp.MustCompile(`(?i)(api|auth|access)_?token["']?\s*[:=]\s*["']?[A-Za-z0-9+/=_-]{8,}`)},
	{"64-hex token", regexp.MustCompile(`(^|[^0-9a-fA-F:])[0-9a-fA-F]{64}([^0-9a-fA-F]|$)`)},
	{"private key", regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)},
}

func findSecrets(text string) []string {
	var found []string
	for _, p := range secretPatterns {
		if loc := p.re.FindStringIndex(text); loc != nil {
			found = append(found, fmt.Sprintf("%s: %q", p.name, text[loc[0]:loc[1]]))
		}
	}
	return found
}

func TestSecretPatternsFire(t *testing.T) {
	tests := []string{
		"password: Welcome@2020",
		"  proxy:\n    secretToken: 'b1946ac92492d2347c6235b4d2611184b1946ac9'",
		"aws_secret_access_key = x",
		"id: AKIAIOSFODNN7EXAMPLE",
		`{"password": "hunter22"}`,
		"hub:\n  config:\n    apiToken: abcdefgh12345678",
		"token: 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
		"-----BEGIN RSA PRIVATE KEY-----",
	}
	for _, text := range tests {
		if len(findSecrets(text)) == 0 {
			t.Errorf("no pattern catches %q", text)
		}
	}
	clean := []string{
		"image: ghcr.io/tripl-ai/arc@sha256:4f5c2d8e9a1b3c7d6e0f2a4b8c9d1e3f5a7b9c0d2e4f6a8b0c1d3e5f7a9b2c4d",
		"password: {{ .Values.x }}",
		"type: kubernetes.io/service-account-token",
	}
	for _, text := range clean {
		if f := findSecrets(text); len(f) != 0 {
			t.Errorf("false positive on %q: %v", text, f)
		}
	}
}

// TestNoSecrets greps every rendered manifest, values file and golden file.
func TestNoSecrets(t *testing.T) {
	texts := map[string]string{}
	for _, name := range fixtures {
		texts["render of "+name] = mustRender(t, fixtureValues(t, name))
	}
	files, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(PlatformDir, "values.yaml"), filepath.Join(PlatformDir, "values.schema.json"))
	tpls, _ := filepath.Glob(filepath.Join(PlatformDir, "templates", "*"))
	files = append(files, tpls...)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts[f] = string(data)
	}
	for where, text := range texts {
		for _, f := range findSecrets(text) {
			t.Errorf("%s: %s", where, f)
		}
	}
	// The argo-ui token Secret is filled in by Kubernetes, never by us.
	for _, o := range decodeObjects(t, texts["render of full"]) {
		if o.GetKind() == "Secret" {
			if _, ok := o.Object["data"]; ok {
				t.Errorf("Secret %s carries data", o.GetName())
			}
			if _, ok := o.Object["stringData"]; ok {
				t.Errorf("Secret %s carries stringData", o.GetName())
			}
		}
	}
	if !bytes.Contains([]byte(texts["render of full"]), []byte("kubernetes.io/service-account-token")) {
		t.Error("argo-ui service account token Secret not rendered")
	}
}
