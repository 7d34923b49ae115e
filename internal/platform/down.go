package platform

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/internal/awsapi"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/deploy"
	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/stackreg"
	"github.com/sqletl/blueprint/internal/wait"
)

// RetainedAPI deletes what the data stack retains, for --delete-data only.
type RetainedAPI interface {
	DeleteDatabase(context.Context, *glue.DeleteDatabaseInput, ...func(*glue.Options)) (*glue.DeleteDatabaseOutput, error)
	ScheduleKeyDeletion(context.Context, *kms.ScheduleKeyDeletionInput, ...func(*kms.Options)) (*kms.ScheduleKeyDeletionOutput, error)
}

// ErrAborted is returned when the user declines a confirmation.
var ErrAborted = errors.New("aborted: nothing was deleted")

// DownOptions remove the platform.
type DownOptions struct {
	Config   *config.Config
	AWS      AWS
	Cluster  Cluster
	Releases Releases
	// Retained deletes the data stack's retained resources; needed only
	// with DeleteData.
	Retained RetainedAPI
	// ExternalCluster: see UpOptions.
	ExternalCluster bool
	// Registry lists the stacks; nil is stackreg.For(Config).
	Registry *stackreg.Registry
	// ExecutionRoleArn: see UpOptions.
	ExecutionRoleArn string
	// DeleteData also deletes the data lake, its key and the Glue database.
	DeleteData bool
	// Confirm asks a yes/no question; false aborts. With DeleteData it is
	// asked a second time, naming the data that will be lost.
	Confirm  func(question string) (bool, error)
	Progress Progress
	OnEvent  func(deploy.Event)
	Clock    wait.Clock
	Backoff  wait.Backoff
	// LoadBalancerTimeout bounds the wait for in-cluster load balancers. Default 15m.
	LoadBalancerTimeout time.Duration
	// SnapshotTimeout bounds the wait for the snapshots of users' volumes. Default 1h.
	SnapshotTimeout time.Duration
}

// DownResult reports what down did.
type DownResult struct {
	Deleted []string `json:"deletedStacks"`
	Emptied []string `json:"emptiedBuckets"`
	// Kept lists what stays, for the user to find later.
	Kept []string `json:"kept"`
	// Removed lists what Kubernetes and AWS created outside the stacks
	// that down deleted (load balancers, volumes, interfaces, ...).
	Removed []string `json:"removed,omitempty"`
	// Snapshots keep users' volumes (home directories, the hub database);
	// each is also in Kept. RestoreCommands bring them back.
	Snapshots       []KeptSnapshot `json:"snapshots,omitempty"`
	RestoreCommands []string       `json:"restoreCommands,omitempty"`
	// NothingToDo is true when no blueprint stack existed.
	NothingToDo bool `json:"nothingToDo"`
}

// Run removes the platform. Re-running after a partial failure continues;
// running it when nothing is deployed does nothing.
func (o *DownOptions) Run(ctx context.Context) (*DownResult, error) {
	if o.Progress == nil {
		o.Progress = NoProgress{}
	}
	res := &DownResult{}
	reg := o.registry()

	out, err := outputs.ReadRegistry(ctx, o.AWS.Stacks, reg)
	if err != nil {
		return res, err
	}
	leftovers, err := o.pendingLeftovers(ctx)
	if err != nil {
		return res, err
	}
	if len(out.Deployed) == 0 && !leftovers {
		res.NothingToDo = true
		return res, o.keepSnapshots(ctx, res)
	}
	// What down deletes: every registered stack, those holding data only
	// with --delete-data. A stack added to the registry is deleted too.
	var toDelete []string
	for _, s := range reg.Stacks() {
		if !s.HoldsData || o.DeleteData {
			toDelete = append(toDelete, s.Name)
		}
	}
	if !slices.ContainsFunc(toDelete, func(n string) bool { return out.Deployed[n] }) && !leftovers {
		res.NothingToDo = true
		res.Kept = o.kept(reg, out)
		return res, o.keepSnapshots(ctx, res)
	}
	if err := o.confirm(out); err != nil {
		return res, err
	}

	var kube *rest.Config
	steps := []Step{}
	if out.Deployed[reg.Stack(stackreg.Cluster).Name] || o.ExternalCluster {
		steps = append(steps,
			Step{Name: "Uninstall the in-cluster platform (load balancers first)", Run: func(ctx context.Context) error {
				var err error
				if kube, err = o.Cluster.Connect(ctx, out); err != nil {
					return err
				}
				return o.Releases.Uninstall(ctx, kube, o.Config)
			}},
			Step{Name: "Wait until the cluster's load balancers are gone", Run: func(ctx context.Context) error {
				return o.waitLoadBalancers(ctx, out)
			}},
		)
	}
	// Volumes the StorageClass keeps (Retain) hold users' home directories
	// and the hub database: their data goes into snapshots before any
	// volume is deleted, unless --delete-data.
	var safe map[string]string
	if o.AWS.Leftovers != nil && !o.DeleteData {
		steps = append(steps, Step{Name: "Snapshot users' volumes (home directories, hub database)", Run: func(ctx context.Context) error {
			var superseded []string
			var err error
			safe, superseded, err = o.snapshotVolumes(ctx)
			res.Removed = append(res.Removed, superseded...)
			return err
		}})
	}
	steps = append(steps, Step{Name: "Empty the job-code and logs buckets", Run: func(ctx context.Context) error {
		for _, b := range []string{out.CodeBucket, out.LogsBucket} {
			emptied, err := o.empty(ctx, b)
			if err != nil {
				return err
			}
			if emptied {
				res.Emptied = append(res.Emptied, b)
			}
		}
		return nil
	}})
	steps = append(steps, Step{Name: "Delete the stacks (dependents first)", Run: func(ctx context.Context) error {
		d := &deploy.Deployer{API: o.AWS.Stacks, RoleARN: o.ExecutionRoleArn, OnEvent: o.OnEvent, Clock: o.Clock, Backoff: o.Backoff}
		deps := reg.Dependencies()
		sub := map[string][]string{}
		for _, n := range toDelete {
			for _, dep := range deps[n] {
				if slices.Contains(toDelete, dep) {
					sub[n] = append(sub[n], dep)
				}
			}
		}
		// Reversed: a stack is deleted once every stack importing its
		// exports (the CI stack imports the others') is gone.
		var mu sync.Mutex
		return runGraph(ctx, toDelete, reverse(toDelete, sub), func(ctx context.Context, name string) error {
			s, _ := reg.ByName(name)
			if s.HoldsData {
				if err := o.prepareDataDeletion(ctx, d, name); err != nil {
					return err
				}
			}
			if s.Role == stackreg.Network && o.AWS.Leftovers != nil {
				// What controllers left in the VPC blocks its deletion.
				removed, _, _, err := (sweep{o: o, kinds: vpcKinds}).run(ctx, safe)
				if err != nil {
					return err
				}
				mu.Lock()
				res.Removed = append(res.Removed, removed...)
				mu.Unlock()
			}
			deleted, err := d.Delete(ctx, name)
			if err != nil {
				return fmt.Errorf("deleting stack %q: %w", name, err)
			}
			if deleted {
				mu.Lock()
				res.Deleted = append(res.Deleted, name)
				mu.Unlock()
			}
			return nil
		})
	}})
	if o.DeleteData {
		steps = append(steps, Step{Name: "Delete the retained data (bucket, Glue database, KMS key)", Run: func(ctx context.Context) error {
			return o.deleteRetained(ctx, out)
		}})
	}
	var leftKept []string
	if o.AWS.Leftovers != nil {
		steps = append(steps, Step{Name: "Remove what Kubernetes and AWS left outside the stacks", Run: func(ctx context.Context) error {
			removed, kept, snaps, err := (sweep{o: o, keepLogs: o.Config.Cluster.KeepLogs}).run(ctx, safe)
			res.Removed, leftKept = append(res.Removed, removed...), kept
			o.addSnapshots(res, snaps)
			return err
		}})
	}
	if err := runSteps(ctx, o.Progress, steps); err != nil {
		return res, err
	}
	kept := res.Kept
	res.Kept = nil
	if !o.DeleteData {
		res.Kept = o.kept(reg, out)
	}
	res.Kept = append(append(res.Kept, kept...), leftKept...)
	return res, nil
}

// vpcKinds are what must go before the VPC can.
var vpcKinds = []string{awsapi.KindLoadBalancer, awsapi.KindTargetGroup, awsapi.KindVolume, awsapi.KindNetworkInterface, awsapi.KindSecurityGroup}

// pendingLeftovers reports whether anything outside the stacks is left for
// down to delete (snapshots only with --delete-data).
func (o *DownOptions) pendingLeftovers(ctx context.Context) (bool, error) {
	if o.AWS.Leftovers == nil {
		return false, nil
	}
	found, err := o.AWS.Leftovers.Find(ctx, Owner(o.Config))
	if err != nil {
		return false, err
	}
	for _, r := range found {
		if r.Stack() != "" || (r.Kind == awsapi.KindSnapshot && !o.DeleteData) {
			continue
		}
		if r.Kind == awsapi.KindLogGroup && o.Config.Cluster.KeepLogs && !o.DeleteData {
			continue
		}
		return true, nil
	}
	return false, nil
}

// keepSnapshots adds the kept snapshots to res (a run with nothing else to do).
func (o *DownOptions) keepSnapshots(ctx context.Context, res *DownResult) error {
	if o.AWS.Leftovers == nil || o.DeleteData {
		return nil
	}
	found, err := o.AWS.Leftovers.Find(ctx, Owner(o.Config))
	if err != nil {
		return err
	}
	var snaps []KeptSnapshot
	for _, r := range found {
		if r.Kind == awsapi.KindSnapshot {
			snaps = append(snaps, keptSnapshot(r, o.Config.Region))
		} else if r.Kind == awsapi.KindLogGroup && o.Config.Cluster.KeepLogs {
			res.Kept = append(res.Kept, r.String()+": kept with the data (logs are kept on down); deleted by --delete-data")
		}
	}
	o.addSnapshots(res, snaps)
	return nil
}

func (o *DownOptions) addSnapshots(res *DownResult, snaps []KeptSnapshot) {
	for _, k := range snaps {
		res.Snapshots = append(res.Snapshots, k)
		res.Kept = append(res.Kept, k.String())
		res.RestoreCommands = append(res.RestoreCommands, RestoreCommands(o.Config, k)...)
	}
}

func (o *DownOptions) confirm(out *outputs.Platform) error {
	if o.Confirm == nil {
		return fmt.Errorf("down needs confirmation: pass --yes")
	}
	q := fmt.Sprintf("Delete blueprint %q in %s (cluster, in-cluster platform, job code and logs)? The data lake, its KMS key and the Glue database are kept, and users' volumes (home directories, hub database) are kept as snapshots.", o.Config.Name, o.Config.Region)
	if o.DeleteData {
		q = fmt.Sprintf("Delete blueprint %q in %s, including all data?", o.Config.Name, o.Config.Region)
	}
	ok, err := o.Confirm(q)
	if err != nil || !ok {
		return errors.Join(ErrAborted, err)
	}
	if o.DeleteData {
		lake := out.DataLakeBucket
		if o.Config.DataLake.ExistingBucket != "" {
			lake = "(none: " + lake + " is yours and is kept)"
		}
		ok, err := o.Confirm(fmt.Sprintf("--delete-data: permanently delete data lake bucket %s, Glue database %s, users' volumes and their snapshots (home directories, hub database), and schedule KMS key deletion? This cannot be undone.", lake, out.GlueDatabase))
		if err != nil || !ok {
			return errors.Join(ErrAborted, err)
		}
	}
	return nil
}

func (o *DownOptions) registry() *stackreg.Registry {
	if o.Registry != nil {
		return o.Registry
	}
	return stackreg.For(o.Config)
}

func (o *DownOptions) kept(reg *stackreg.Registry, out *outputs.Platform) []string {
	var k []string
	for _, s := range reg.Stacks() {
		if s.HoldsData && out.Deployed[s.Name] {
			k = append(k, "stack "+s.Name+" (termination-protected)")
		}
	}
	if out.DataLakeBucket != "" {
		k = append(k, "data lake bucket "+out.DataLakeBucket)
	}
	if out.AccessLogsBucket != "" {
		k = append(k, "access-log bucket "+out.AccessLogsBucket)
	}
	if out.GlueDatabase != "" {
		k = append(k, "Glue database "+out.GlueDatabase)
	}
	if out.KeyArn != "" {
		k = append(k, "KMS key "+out.KeyArn)
	}
	return k
}

func (o *DownOptions) waitLoadBalancers(ctx context.Context, out *outputs.Platform) error {
	if o.AWS.LoadBalancers == nil || out.ClusterName == "" {
		return nil
	}
	timeout := o.LoadBalancerTimeout
	if timeout == 0 {
		timeout = 15 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return wait.Until(ctx, "load balancers of cluster "+out.ClusterName, o.Backoff, o.Clock, func(ctx context.Context) (bool, error) {
		lbs, err := o.AWS.LoadBalancers.ClusterLoadBalancers(ctx, out.ClusterName)
		return len(lbs) == 0, err
	})
}

// empty deletes every object version in bucket; a bucket that does not
// exist is already empty.
func (o *DownOptions) empty(ctx context.Context, bucket string) (bool, error) {
	if bucket == "" {
		return false, nil
	}
	if _, err := o.AWS.Objects.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("checking bucket %s: %w", bucket, err)
	}
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)}
	for {
		page, err := o.AWS.Objects.ListObjectVersions(ctx, in)
		if err != nil {
			return false, fmt.Errorf("listing %s: %w", bucket, err)
		}
		var ids []s3types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if len(ids) > 0 {
			if _, err := o.AWS.Objects.DeleteObjects(ctx, &s3.DeleteObjectsInput{
				Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)},
			}); err != nil {
				return false, fmt.Errorf("emptying %s: %w", bucket, err)
			}
		}
		if !aws.ToBool(page.IsTruncated) {
			return true, nil
		}
		in.KeyMarker, in.VersionIdMarker = page.NextKeyMarker, page.NextVersionIdMarker
	}
}

func (o *DownOptions) prepareDataDeletion(ctx context.Context, d *deploy.Deployer, stack string) error {
	if err := d.Unprotect(ctx, stack); err != nil {
		return fmt.Errorf("turning off termination protection: %w", err)
	}
	return nil
}

// deleteRetained removes what the data stack retained. A bucket the user
// brought (dataLake.existingBucket) is never touched.
func (o *DownOptions) deleteRetained(ctx context.Context, out *outputs.Platform) error {
	buckets := []string{out.AccessLogsBucket}
	if o.Config.DataLake.ExistingBucket == "" {
		buckets = append(buckets, out.DataLakeBucket)
	}
	for _, b := range buckets {
		if _, err := o.empty(ctx, b); err != nil {
			return err
		}
		if b == "" {
			continue
		}
		if _, err := o.AWS.Objects.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b)}); err != nil && !isNotFound(err) {
			return fmt.Errorf("deleting bucket %s: %w", b, err)
		}
	}
	if o.Retained == nil {
		return fmt.Errorf("no Glue/KMS client to delete the retained database and key")
	}
	if out.GlueDatabase != "" {
		if _, err := o.Retained.DeleteDatabase(ctx, &glue.DeleteDatabaseInput{Name: aws.String(out.GlueDatabase)}); err != nil && !isNotFound(err) {
			return fmt.Errorf("deleting Glue database %s: %w", out.GlueDatabase, err)
		}
	}
	if out.KeyArn != "" {
		// KMS takes the key ID or ARN; the ID also suits emulators that
		// look keys up by ID only (moto 5.2).
		keyID := out.KeyArn
		if _, id, ok := strings.Cut(keyID, ":key/"); ok {
			keyID = id
		}
		if _, err := o.Retained.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyID), PendingWindowInDays: aws.Int32(30)}); err != nil && !isNotFound(err) {
			return fmt.Errorf("scheduling deletion of KMS key: %w", err)
		}
	}
	return nil
}

func isNotFound(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "NotFound", "NoSuchBucket", "EntityNotFoundException", "NotFoundException", "KMSInvalidStateException":
		return true
	}
	return false
}
