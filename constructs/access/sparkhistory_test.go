package access_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sqletl/blueprint/internal/cdktest"
	"github.com/sqletl/blueprint/internal/workloads"
)

// checkSparkHistoryReadOnly: the History Server's role lists and reads the
// event-log prefix and decrypts; it can write, delete or read nothing else.
func checkSparkHistoryReadOnly(t *testing.T, role any) {
	t.Helper()
	if role == nil {
		t.Fatal("no spark-history role")
	}
	allowed := map[string]bool{"s3:ListBucket": true, "s3:GetBucketLocation": true, "s3:GetObject": true, "kms:Decrypt": true, "kms:DescribeKey": true}
	sawList, sawGet := false, false
	for _, pol := range cdktest.Props(role.(map[string]any))["Policies"].([]any) {
		doc := pol.(map[string]any)["PolicyDocument"].(map[string]any)
		for _, st := range doc["Statement"].([]any) {
			s := st.(map[string]any)
			res, _ := json.Marshal(s["Resource"])
			for _, a := range asList(s["Action"]) {
				if !allowed[a.(string)] {
					t.Errorf("spark-history may %s", a)
				}
				switch a {
				case "s3:ListBucket":
					sawList = true
					cond, _ := json.Marshal(s["Condition"])
					if !strings.Contains(string(cond), `"s3:prefix":["`+workloads.SparkEventsPrefix+`","`+workloads.SparkEventsPrefix+`/*"]`) {
						t.Errorf("ListBucket not limited to the event-log prefix: %s", cond)
					}
				case "s3:GetObject":
					sawGet = true
					if !strings.Contains(string(res), `/`+workloads.SparkEventsPrefix+`/*`) {
						t.Errorf("GetObject on %s, want only the event-log prefix", res)
					}
				}
			}
		}
	}
	if !sawList || !sawGet {
		t.Errorf("spark-history cannot list (%v) or read (%v) the event logs", sawList, sawGet)
	}
}
