package etl

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
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
