// Package cost estimates what a blueprint deployment costs per month, line
// by line, idle and with the sample job schedules, from a dated table of
// list prices per region and a stated usage. The quantities come from the
// synthesized templates and the typed config (quantities.go); nothing here
// calls AWS. It also names the config changes that save the most, each
// priced by estimating the changed config (savings.go).
package cost

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sqletl/blueprint/internal/instancetypes"
)

// Prices are the list prices (USD, Linux, on-demand) of one region.
type Prices struct {
	Region string `json:"region"`
	// Date the figures were read from Sources.
	Date    string   `json:"date"`
	Sources []string `json:"sources"`

	EKSClusterHour        float64 // per cluster in standard support
	NATGatewayHour        float64
	NATGatewayGB          float64 // data processed
	PublicIPv4Hour        float64 // every public IPv4 address (the NAT gateways' Elastic IPs, an ALB's)
	InterfaceEndpointHour float64 // per endpoint per zone (one ENI each)
	InterfaceEndpointGB   float64 // data processed, first PB
	ALBHour               float64
	ALBLCUHour            float64
	EBSGp3GBMonth         float64
	EBSSnapshotGBMonth    float64 // Standard-tier snapshots, billed by the blocks written
	LogsIngestGB          float64 // CloudWatch Logs custom logs, standard class
	VendedLogsGB          float64 // vended logs (VPC flow logs) to CloudWatch Logs, first 10 TB
	LogsStoreGBMonth      float64
	S3StandardGBMonth     float64 // first 50 TB
	AthenaTB              float64 // per TB scanned (10 MB minimum per query)
	KMSKeyMonth           float64
	SecretMonth           float64

	// EC2 is the hourly price of the .large size of each instance family.
	// Within these families the price is linear in vCPUs (xlarge = 2 ×
	// large, 2xlarge = 4 ×, 4xlarge = 8 ×), so the table is keyed by
	// family like internal/instancetypes and InstanceHour scales it.
	EC2 map[string]float64
}

// us-east-1 list prices, compiled 2026-11-30 from the AWS pricing pages in
// Sources. Cross-checked that day against published quotes:
//   - EKS $0.10 per cluster-hour in standard support (aws.amazon.com/blogs/
//     containers/amazon-eks-extended-support-for-kubernetes-versions-pricing);
//   - interface endpoints billed per endpoint per zone-hour, $0.01/GB for
//     the first PB (aws.amazon.com/privatelink/pricing);
//   - NAT gateway $0.045/hour and $0.045/GB in us-east-1
//     (basavytix.com/blog/aws-nat-gateway-pricing, cloudburn.io/blog/aws-nat-gateway-pricing);
//   - Athena $5 per TB scanned, 10 MB minimum (athena.guide/articles/athena-basics-pricing-model);
//   - ALB $0.008 per LCU-hour; CloudWatch Logs ingestion $0.50/GB;
//   - m5.large $0.096, m5.xlarge $0.192, c5.large $0.085
//     (kindatechnical.com/aws-eks/lesson-31-understanding-eks-pricing.html),
//     m7g.large $0.0816 (factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026).
//
// The other instance families' figures are AWS's on-demand Linux list
// prices as compiled; re-check them against Sources when updating Date.
var usEast1 = Prices{
	Region: "us-east-1",
	Date:   "2026-11-30",
	Sources: []string{
		"https://aws.amazon.com/eks/pricing/",
		"https://aws.amazon.com/ec2/pricing/on-demand/",
		"https://aws.amazon.com/vpc/pricing/",
		"https://aws.amazon.com/privatelink/pricing/",
		"https://aws.amazon.com/elasticloadbalancing/pricing/",
		"https://aws.amazon.com/ebs/pricing/",
		"https://aws.amazon.com/cloudwatch/pricing/",
		"https://aws.amazon.com/s3/pricing/",
		"https://aws.amazon.com/athena/pricing/",
		"https://aws.amazon.com/kms/pricing/",
		"https://aws.amazon.com/secrets-manager/pricing/",
	},
	EKSClusterHour:        0.10,
	NATGatewayHour:        0.045,
	NATGatewayGB:          0.045,
	PublicIPv4Hour:        0.005,
	InterfaceEndpointHour: 0.01,
	InterfaceEndpointGB:   0.01,
	ALBHour:               0.0225,
	ALBLCUHour:            0.008,
	EBSGp3GBMonth:         0.08,
	EBSSnapshotGBMonth:    0.05,
	LogsIngestGB:          0.50,
	VendedLogsGB:          0.50,
	LogsStoreGBMonth:      0.03,
	S3StandardGBMonth:     0.023,
	AthenaTB:              5.00,
	KMSKeyMonth:           1.00,
	SecretMonth:           0.40,
	EC2: map[string]float64{
		// General purpose.
		"m5": 0.096, "m5a": 0.086, "m5d": 0.113, "m6i": 0.096, "m6a": 0.0864, "m6id": 0.1187,
		"m7i": 0.1008, "m7a": 0.11592, "m6g": 0.077, "m6gd": 0.0904, "m7g": 0.0816, "m7gd": 0.1068, "m8g": 0.08976,
		// Memory optimised.
		"r5": 0.126, "r5a": 0.113, "r5d": 0.144, "r5n": 0.149, "r6i": 0.126, "r6a": 0.1134, "r6id": 0.1512,
		"r7i": 0.1323, "r7a": 0.1521, "r6g": 0.1008, "r6gd": 0.1152, "r7g": 0.1071, "r7gd": 0.1361, "r8g": 0.11782,
		// Compute optimised.
		"c5": 0.085, "c5a": 0.077, "c6i": 0.085, "c6a": 0.0765, "c7i": 0.08925, "c7a": 0.10264,
		"c6g": 0.068, "c7g": 0.0725, "c8g": 0.07976,
	},
}

// regions is every region with a price table.
var regions = map[string]Prices{
	usEast1.Region: usEast1,
}

// ForRegion returns region's prices, or an error naming the tabulated
// regions.
func ForRegion(region string) (Prices, error) {
	p, ok := regions[region]
	if !ok {
		return Prices{}, fmt.Errorf("no price table for region %s yet (tabulated: %s); add one to internal/cost/prices.go", region, strings.Join(Regions(), ", "))
	}
	return p, nil
}

// Regions lists the regions with a price table, sorted.
func Regions() []string { return slices.Sorted(maps.Keys(regions)) }

// InstanceHour is the on-demand hourly price of an instance type.
func (p Prices) InstanceHour(name string) (float64, error) {
	t, ok := instancetypes.Lookup(name)
	if !ok {
		return 0, fmt.Errorf("instance type %q is not in internal/instancetypes", name)
	}
	large, ok := p.EC2[t.Family()]
	if !ok {
		return 0, fmt.Errorf("no %s price for instance family %s; add it to internal/cost/prices.go", p.Region, t.Family())
	}
	return large * float64(t.VCPU) / 2, nil
}
