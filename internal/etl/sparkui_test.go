package etl

import (
	"strings"
	"testing"
)

func TestAppIDScanner(t *testing.T) {
	// Lines as Arc's StandardJsonLogger writes them (MDC under "MDC"),
	// split across writes at awkward places, plus Spark's own log lines.
	logs := `24/02/26 10:00:00 INFO SparkContext: Running Spark version 3.3.4
{"event":"enter","MDC":{"applicationId":"spark-5f0c7a1e2b3d4c5e6f708192a3b4c5d6"},"stage":"DelimitedExtract"}
{"event":"exit","MDC":{"applicationId":"spark-5f0c7a1e2b3d4c5e6f708192a3b4c5d6"},"status":"success"}
{"event":"enter","MDC":{"applicationId":"local-1708941600000"}}`
	for _, chunk := range []int{1, 7, 64, len(logs)} {
		var out strings.Builder
		s := &AppIDScanner{W: &out}
		for i := 0; i < len(logs); i += chunk {
			if _, err := s.Write([]byte(logs[i:min(i+chunk, len(logs))])); err != nil {
				t.Fatal(err)
			}
		}
		got := s.AppIDs()
		if out.String() != logs {
			t.Errorf("chunk %d: logs not passed through unchanged", chunk)
		}
		if strings.Join(got, ",") != "spark-5f0c7a1e2b3d4c5e6f708192a3b4c5d6,local-1708941600000" {
			t.Errorf("chunk %d: ids %v", chunk, got)
		}
	}
	if u := SparkHistoryURL("spark-1"); u != "http://127.0.0.1:18080/history/spark-1/jobs/" {
		t.Errorf("url %s", u)
	}
}
