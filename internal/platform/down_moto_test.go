package platform

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/stackreg"
)

const ciConfig = "name: dwn\nci: {github: {repository: acme/etl}}\n"

func (e *motoEnv) down(deleteData bool, confirm func(string) (bool, error)) (*DownResult, *noCluster, error) {
	c := &noCluster{}
	o := &DownOptions{Config: e.conf, AWS: e.aws(), Cluster: c, Releases: c, Retained: retained{e.glue, e.kms},
		Registry: e.reg, DeleteData: deleteData, Confirm: confirm, Backoff: fast}
	res, err := o.Run(e.t.Context())
	return res, c, err
}

type retained struct {
	g *glue.Client
	k *kms.Client
}

func (r retained) DeleteDatabase(ctx context.Context, in *glue.DeleteDatabaseInput, o ...func(*glue.Options)) (*glue.DeleteDatabaseOutput, error) {
	return r.g.DeleteDatabase(ctx, in, o...)
}

func (r retained) ScheduleKeyDeletion(ctx context.Context, in *kms.ScheduleKeyDeletionInput, o ...func(*kms.Options)) (*kms.ScheduleKeyDeletionOutput, error) {
	return r.k.ScheduleKeyDeletion(ctx, in, o...)
}

// TestDownWithCIStack: with ci.github.repository set, up deploys five
// stacks and the CI stack imports the others' exports. down deletes
// the CI stack first, then the rest (the data stack only with
// --delete-data); a re-run is a no-op.
func TestDownWithCIStack(t *testing.T) {
	e := newMotoEnv(t, ciConfig, stackreg.For)
	if got := e.reg.Names(); len(got) != 5 || got[4] != "dwn-ci" {
		t.Fatalf("registry = %v, want five stacks ending with dwn-ci", got)
	}
	up, err := e.up(e.aws(), "", nil)
	if err != nil || len(up.Stacks) != 5 {
		t.Fatalf("up: %v (%d stacks)", err, len(up.Stacks))
	}

	res, cl, err := e.down(false, yes)
	if err != nil {
		t.Fatalf("down: %v (refused deletions: %v)", err, e.rules.refused)
	}
	if len(e.rules.refused) > 0 {
		t.Errorf("deletions CloudFormation would refuse (export in use): %v", e.rules.refused)
	}
	if i := slices.Index(e.rules.deletes, "dwn-ci"); i != 0 {
		t.Errorf("deletion order %v: the CI stack must go first", e.rules.deletes)
	}
	for _, s := range []string{"dwn-ci", "dwn-cluster", "dwn-analytics", "dwn-network"} {
		if e.exists(s) {
			t.Errorf("%s still exists after down", s)
		}
	}
	if !e.exists("dwn-data") {
		t.Error("down without --delete-data deleted the data stack")
	}
	if !slices.Equal(cl.calls, []string{"connect", "uninstall"}) {
		t.Errorf("cluster calls = %v, want the platform uninstalled before the stacks", cl.calls)
	}
	if len(res.Deleted) != 4 || !slices.ContainsFunc(res.Kept, func(k string) bool { return strings.Contains(k, "dwn-data") }) {
		t.Errorf("result = %+v", res)
	}

	// A re-run: nothing to remove, the data kept.
	e.rules.deletes = nil
	again, _, err := e.down(false, func(string) (bool, error) { t.Error("re-run asked for confirmation"); return false, nil })
	if err != nil || !again.NothingToDo || len(e.rules.deletes) != 0 {
		t.Errorf("re-run: err=%v result=%+v deletes=%v", err, again, e.rules.deletes)
	}

	// --delete-data removes the last one.
	if _, _, err := e.down(true, yes); err != nil {
		t.Fatalf("down --delete-data: %v", err)
	}
	if e.exists("dwn-data") {
		t.Error("data stack left after --delete-data")
	}
	if again, _, err := e.down(true, yes); err != nil || !again.NothingToDo {
		t.Errorf("re-run after --delete-data: err=%v result=%+v", err, again)
	}
}

// A stack added to the registry is deleted by down, before the stacks it
// imports from, with no change to down.
func TestDownHandlesRegisteredStack(t *testing.T) {
	withExtra := func(cfg *config.Config) *stackreg.Registry {
		reg, err := stackreg.For(cfg).Add(stackreg.Stack{Role: "monitoring", Name: cfg.Name + "-monitoring",
			DependsOn: []stackreg.Role{stackreg.Analytics, stackreg.Network}, Outputs: []string{"DashboardName"}})
		if err != nil {
			t.Fatal(err)
		}
		return reg
	}
	e := newMotoEnv(t, "name: reg\n", withExtra)
	e.deployAll()
	if !e.exists("reg-monitoring") {
		t.Fatal("the added stack was not deployed")
	}
	if _, _, err := e.down(false, yes); err != nil {
		t.Fatalf("down: %v (refused: %v)", err, e.rules.refused)
	}
	if e.exists("reg-monitoring") || e.exists("reg-analytics") || e.exists("reg-network") {
		t.Errorf("stacks left after down; deletions %v, refused %v", e.rules.deletes, e.rules.refused)
	}
	mon, an := slices.Index(e.rules.deletes, "reg-monitoring"), slices.Index(e.rules.deletes, "reg-analytics")
	if mon < 0 || mon > an {
		t.Errorf("deletion order %v: the added stack must go before analytics", e.rules.deletes)
	}
}

// TestDownDeleteData: --delete-data confirmed twice leaves no bucket, no
// key (scheduled for deletion), no Glue database and no stack. Declining
// the second confirmation deletes nothing.
func TestDownDeleteData(t *testing.T) {
	e := newMotoEnv(t, "name: dd\n", stackreg.For)
	e.deployAll()
	ctx := t.Context()
	out, err := outputs.ReadRegistry(ctx, e.cfn, e.reg)
	if err != nil {
		t.Fatal(err)
	}
	// moto's CloudFormation has no AWS::Glue::Database; create it where
	// the stack would have, under the name the output reports.
	if _, err := e.glue.CreateDatabase(ctx, &glue.CreateDatabaseInput{DatabaseInput: &gluetypes.DatabaseInput{Name: aws.String(out.GlueDatabase)}}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{out.DataLakeBucket, out.CodeBucket} {
		if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("x/part-0.parquet"), Body: strings.NewReader("data")}); err != nil {
			t.Fatal(err)
		}
	}

	// Second confirmation declined: nothing is deleted.
	var asked []string
	_, _, err = e.down(true, func(q string) (bool, error) { asked = append(asked, q); return len(asked) == 1, nil })
	if !errors.Is(err, ErrAborted) || len(asked) != 2 || !strings.Contains(asked[1], out.DataLakeBucket) {
		t.Fatalf("declined second confirmation: err=%v questions=%q", err, asked)
	}
	for _, s := range e.reg.Names() {
		if !e.exists(s) {
			t.Errorf("stack %s deleted although the second confirmation was declined", s)
		}
	}
	if !bucketExists(e, out.DataLakeBucket) || !bucketExists(e, out.CodeBucket) {
		t.Error("a bucket was deleted although the second confirmation was declined")
	}

	// Confirmed twice: everything goes.
	if _, _, err := e.down(true, yes); err != nil {
		t.Fatalf("down --delete-data: %v", err)
	}
	for _, s := range e.reg.Names() {
		if e.exists(s) {
			t.Errorf("stack %s left", s)
		}
	}
	for _, b := range []string{out.DataLakeBucket, out.AccessLogsBucket, out.CodeBucket, out.LogsBucket} {
		if bucketExists(e, b) {
			t.Errorf("bucket %s left", b)
		}
	}
	if _, err := e.glue.GetDatabase(ctx, &glue.GetDatabaseInput{Name: aws.String(out.GlueDatabase)}); !isNotFound(err) {
		t.Errorf("Glue database %s: %v, want not found", out.GlueDatabase, err)
	}
	_, keyID, _ := strings.Cut(out.KeyArn, ":key/")
	key, err := e.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err != nil || key.KeyMetadata.KeyState != "PendingDeletion" {
		t.Errorf("KMS key: %v %+v, want PendingDeletion", err, key)
	}
}

func bucketExists(e *motoEnv, b string) bool {
	_, err := e.s3.HeadBucket(e.t.Context(), &s3.HeadBucketInput{Bucket: aws.String(b)})
	return err == nil
}
