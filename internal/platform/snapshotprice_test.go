package platform

import (
	"strings"
	"testing"

	"github.com/sqletl/blueprint/internal/awsapi"
)

// A kept snapshot is priced by its deployment's region from the price
// table; a region without one gets no figure rather than us-east-1's.
func TestKeptSnapshotPricedByRegion(t *testing.T) {
	snap := awsapi.Resource{Kind: awsapi.KindSnapshot, ID: "snap-1", SizeGiB: 10,
		Tags: map[string]string{TagClaim: "jupyter/claim-alice"}}
	for _, tt := range []struct {
		region    string
		wantUSD   float64
		wantPrice bool
	}{
		{"us-east-1", 0.5, true},
		{"eu-west-1", 0, false},
	} {
		k := keptSnapshot(snap, tt.region)
		if k.MonthlyUSD != tt.wantUSD || k.User != "alice" {
			t.Errorf("%s: %+v, want $%.2f/month for alice", tt.region, k, tt.wantUSD)
		}
		if got := strings.Contains(k.String(), "$"); got != tt.wantPrice {
			t.Errorf("%s: %q shows a price = %v, want %v", tt.region, k.String(), got, tt.wantPrice)
		}
		price, source, ok := SnapshotPrice(tt.region)
		if ok != tt.wantPrice || (ok && (price != 0.05 || !strings.Contains(source, tt.region))) {
			t.Errorf("SnapshotPrice(%s) = %v, %q, %v", tt.region, price, source, ok)
		}
	}
}
