package mototest_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sqletl/blueprint/internal/mototest"
)

func bucketNames(t *testing.T, c *s3.Client) []string {
	t.Helper()
	out, err := c.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	slices.Sort(names)
	return names
}

// One server: S3 keeps what it is given until Reset, and Athena returns the
// seeded rows (header first, as real Athena does for a SELECT).
func TestServer(t *testing.T) {
	start := time.Now()
	srv := mototest.Start(t)
	t.Logf("moto_server started in %v at %s", time.Since(start).Round(time.Millisecond), srv.URL)

	cfg := srv.AWSConfig(t)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })

	steps := []struct {
		name   string
		do     func(t *testing.T)
		wantS3 []string
	}{
		{"empty at start", func(*testing.T) {}, nil},
		{"create two buckets", func(t *testing.T) {
			for _, b := range []string{"b-two", "b-one"} {
				if _, err := s3c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
					t.Fatalf("CreateBucket %s: %v", b, err)
				}
			}
		}, []string{"b-one", "b-two"}},
		{"reset empties", func(t *testing.T) { srv.Reset(t) }, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do(t)
			if got := bucketNames(t, s3c); !slices.Equal(got, st.wantS3) {
				t.Fatalf("buckets = %v, want %v", got, st.wantS3)
			}
		})
	}

	// mototest.NoDefaultAMIs: the snapshots of moto's default AMIs made
	// every tag-filtered DescribeSnapshots cost 0.37 s of moto's CPU. If a
	// moto release renames the setting, this fails instead of the suite
	// silently slowing down.
	t.Run("no default AMIs or snapshots", func(t *testing.T) {
		c := ec2.NewFromConfig(cfg)
		imgs, err := c.DescribeImages(t.Context(), &ec2.DescribeImagesInput{})
		if err != nil {
			t.Fatal(err)
		}
		snaps, err := c.DescribeSnapshots(t.Context(), &ec2.DescribeSnapshotsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(imgs.Images) != 0 || len(snaps.Snapshots) != 0 {
			t.Errorf("moto holds %d images and %d snapshots at start, want none (%s)", len(imgs.Images), len(snaps.Snapshots), mototest.NoDefaultAMIs)
		}
	})

	t.Run("athena seeded results", func(t *testing.T) {
		srv.SeedAthenaResults(t, [][]string{{"1", "a"}, {"2", "b"}}, []string{"id", "name"})
		ath := athena.NewFromConfig(cfg)
		start, err := ath.StartQueryExecution(t.Context(), &athena.StartQueryExecutionInput{
			QueryString:         aws.String("SELECT id, name FROM t"),
			ResultConfiguration: &athenatypes.ResultConfiguration{OutputLocation: aws.String("s3://results/")},
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := ath.GetQueryResults(t.Context(), &athena.GetQueryResultsInput{QueryExecutionId: start.QueryExecutionId})
		if err != nil {
			t.Fatal(err)
		}
		var got [][]string
		for _, r := range res.ResultSet.Rows {
			var vals []string
			for _, d := range r.Data {
				vals = append(vals, aws.ToString(d.VarCharValue))
			}
			got = append(got, vals)
		}
		want := [][]string{{"id", "name"}, {"1", "a"}, {"2", "b"}}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("rows = %v, want %v", got, want)
		}
	})

	t.Run("environ", func(t *testing.T) {
		env := srv.Environ()
		for _, want := range []string{"AWS_ENDPOINT_URL=" + srv.URL, "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true"} {
			if !slices.Contains(env, want) {
				t.Errorf("Environ() lacks %q: %v", want, env)
			}
		}
	})
}
