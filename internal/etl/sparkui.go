package etl

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// SparkHistoryPort is the local port the History Server links assume:
// `blueprint open spark-history --port 18080` serves them.
const SparkHistoryPort = 18080

// SparkHistoryURL is the History Server's page of one Spark application,
// through `blueprint open spark-history --port 18080`.
func SparkHistoryURL(appID string) string {
	return fmt.Sprintf("http://127.0.0.1:%d/history/%s/jobs/", SparkHistoryPort, appID)
}

// appIDRE finds the application id Arc puts in the MDC of every JSON log
// line: MDC.put("applicationId", spark.sparkContext.applicationId)
// (tripl-ai/arc 4.2.0 src/main/scala/ai/tripl/arc/ARC.scala), written under
// the line's "MDC" key by StandardJsonLogger.
var appIDRE = regexp.MustCompile(`"applicationId"\s*:\s*"([A-Za-z0-9_.-]+)"`)

// AppIDScanner passes logs through to W and collects the Spark
// application ids in them, in order of first appearance.
type AppIDScanner struct {
	W   io.Writer
	ids []string
	// partial holds an unterminated last line between writes.
	partial []byte
}

func (s *AppIDScanner) Write(p []byte) (int, error) {
	n, err := s.W.Write(p)
	buf := append(s.partial, p[:n]...)
	i := bytes.LastIndexByte(buf, '\n')
	s.scan(buf[:i+1])
	s.partial = slices.Clone(buf[i+1:])
	return n, err
}

func (s *AppIDScanner) scan(b []byte) {
	for _, m := range appIDRE.FindAllSubmatch(b, -1) {
		if id := string(m[1]); !slices.Contains(s.ids, id) {
			s.ids = append(s.ids, id)
		}
	}
}

// AppIDs returns the ids seen so far.
func (s *AppIDScanner) AppIDs() []string {
	s.scan(s.partial)
	s.partial = nil
	return slices.Clone(s.ids)
}

// EnsureEventLogDir makes s3a://<bucket>/<prefix>/ exist for Spark: the
// event log writer fails a job whose spark.eventLog.dir is not an existing
// directory (Spark 3.3 EventLogFileWriter.requireLogBaseDirAsDirectory calls
// getFileStatus), and S3A sees a prefix as a directory only when an object
// is under it. It puts the empty directory marker S3A itself writes
// ("<prefix>/") when the prefix has no object yet; re-running is a no-op.
func EnsureEventLogDir(ctx context.Context, api S3API, bucket, prefix string) (created bool, err error) {
	key := strings.TrimSuffix(prefix, "/") + "/"
	out, err := api.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &key, MaxKeys: aws.Int32(1)})
	if err != nil {
		return false, fmt.Errorf("listing s3://%s/%s: %w", bucket, key, err)
	}
	if len(out.Contents) > 0 {
		return false, nil
	}
	if _, err := api.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(nil)}); err != nil {
		return false, fmt.Errorf("creating the Spark event log directory s3://%s/%s: %w", bucket, key, err)
	}
	return true, nil
}
