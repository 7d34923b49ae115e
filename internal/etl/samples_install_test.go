package etl_test

import (
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sqletl/blueprint/internal/etl"
)

// TestSamplesNotOverwritten: up installs the samples once (KeepChanged).
// A file the user edited or deleted in the bucket is kept and reported; a
// schedule the user suspended or re-timed stays so; a file blueprint
// changed and the user did not is updated; and a push without
// KeepChanged (up --restore-samples) puts blueprint's files back. Real S3
// (moto) and the real API server with the Argo CRDs.
func TestSamplesNotOverwritten(t *testing.T) {
	dyn := argoClient(t)
	c, bucket := newBucket(t)
	ns := env.CreateNamespace(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"contacts/workflow.yaml": workflowTemplateYAML, "contacts/cron.yaml": cronWorkflowYAML,
		"contacts/merge.sql": "SELECT 1"})
	push := func(keep bool) *etl.PushResult {
		t.Helper()
		res, err := etl.Push(t.Context(), etl.PushOptions{Objects: c, Bucket: bucket, Source: os.DirFS(dir), Kube: dyn, Namespace: ns, KeepChanged: keep})
		if err != nil {
			t.Fatalf("Push: %v", err)
		}
		return res
	}
	object := func(key string) string {
		t.Helper()
		out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("jobs/" + key)})
		if err != nil {
			return ""
		}
		defer out.Body.Close()
		b, _ := io.ReadAll(out.Body)
		return string(b)
	}
	cron := func() (suspended bool, schedules []string) {
		t.Helper()
		u := mustGet(t, dyn, etl.CronWorkflows, ns, "contacts-nightly")
		suspended, _, _ = unstructured.NestedBool(u.Object, "spec", "suspend")
		schedules, _, _ = unstructured.NestedStringSlice(u.Object, "spec", "schedules")
		return suspended, schedules
	}

	if res := push(true); len(res.Uploaded) != 3 || len(res.Applied) != 2 || len(res.Kept) != 0 {
		t.Fatalf("first install: %+v", res)
	}

	// The user edits the SQL in the bucket, deletes the workflow file, and
	// suspends and re-times the schedule (as `argo cron suspend` and
	// `kubectl edit` would: another field manager).
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("jobs/contacts/merge.sql"), Body: strings.NewReader("SELECT 2 -- mine")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("jobs/contacts/workflow.yaml")}); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(etl.CronWorkflows).Namespace(ns).Patch(t.Context(), "contacts-nightly", types.MergePatchType,
		[]byte(`{"spec":{"suspend":true,"schedules":["30 5 * * *"]}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}

	// up again, same samples: everything the user did stays.
	res := push(true)
	if want := []string{"contacts/merge.sql", "contacts/workflow.yaml"}; !slices.Equal(res.Kept, want) || len(res.Uploaded) != 0 {
		t.Errorf("re-run: kept %v uploaded %v, want kept %v", res.Kept, res.Uploaded, want)
	}
	if got := object("contacts/merge.sql"); got != "SELECT 2 -- mine" {
		t.Errorf("the user's SQL was overwritten: %q", got)
	}
	if object("contacts/workflow.yaml") != "" {
		t.Error("the file the user deleted came back")
	}
	if s, sched := cron(); !s || !slices.Equal(sched, []string{"30 5 * * *"}) {
		t.Errorf("schedule after up: suspended=%v schedules=%v, want the user's (suspended, 30 5 * * *)", s, sched)
	}

	// A new blueprint version changes the schedule file the user did not
	// touch in the bucket: it is updated and applied, and still suspended.
	writeTree(t, dir, map[string]string{"contacts/cron.yaml": strings.Replace(cronWorkflowYAML, "0 2 * * *", "0 3 * * *", 1)})
	res = push(true)
	if !slices.Equal(res.Uploaded, []string{"contacts/cron.yaml"}) || !slices.Contains(res.Applied, "CronWorkflow/contacts-nightly") {
		t.Errorf("new sample version: uploaded %v applied %v", res.Uploaded, res.Applied)
	}
	if s, _ := cron(); !s {
		t.Error("the suspended schedule was resumed by an update of its sample")
	}

	// --restore-samples: blueprint's files back.
	res = push(false)
	if object("contacts/merge.sql") != "SELECT 1" || object("contacts/workflow.yaml") == "" || len(res.Kept) != 0 {
		t.Errorf("restore: kept %v, merge.sql %q", res.Kept, object("contacts/merge.sql"))
	}
}
