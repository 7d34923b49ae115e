package platform

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/mototest"
)

// Zones come from the account (moto's EC2 models each region's real zone
// names and IDs), not from <region>a, <region>b.
func TestResolveZones(t *testing.T) {
	moto := mototest.Start(t).Require(t)
	tests := []struct {
		name, yaml string
		wantHow    string
		want       []string // zone names; IDs are checked to be present
		wantErr    []string
	}{
		{"default us-east-1", "region: us-east-1\n", "resolved", []string{"us-east-1a", "us-east-1b"}, nil},
		// ap-northeast-1 has no "b" zone in many accounts (and in moto):
		// the old <region>a, <region>b default failed there.
		{"default ap-northeast-1", "region: ap-northeast-1\n", "resolved", []string{"ap-northeast-1a", "ap-northeast-1c"}, nil},
		{"configured and present", "region: us-east-1\nnetwork:\n  availabilityZones: [us-east-1c, us-east-1d]\n", "configured", []string{"us-east-1c", "us-east-1d"}, nil},
		{"configured, absent", "region: ap-northeast-1\nnetwork:\n  availabilityZones: [ap-northeast-1a, ap-northeast-1b]\n", "", nil,
			[]string{`network.availabilityZones[1]: "ap-northeast-1b" is not an available zone of this account in ap-northeast-1; use zones it has: ap-northeast-1a (apne1-az4), ap-northeast-1c (apne1-az1), ap-northeast-1d (apne1-az2)`}},
		{"more zones than the region has", "region: us-west-1\nnetwork:\n  azCount: 3\n  natGateways: 1\n", "", nil,
			[]string{"network.azCount: is 3 but us-west-1 has 2 available zones in this account (us-west-1a (usw1-az3), us-west-1b (usw1-az1)); lower azCount"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			awsCfg := moto.AWSConfig(t)
			api := ec2.NewFromConfig(awsCfg, func(o *ec2.Options) { o.Region = cfg.Region })
			z, err := ResolveZones(t.Context(), api, cfg)
			if len(tc.wantErr) > 0 {
				if !config.IsValidation(err) {
					t.Fatalf("err = %v, want a validation error", err)
				}
				for _, frag := range tc.wantErr {
					if !strings.Contains(err.Error(), frag) {
						t.Errorf("error %q lacks %q", err, frag)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, zone := range z.Zones {
				names = append(names, zone.Name)
				if zone.ID == "" {
					t.Errorf("zone %s has no ID", zone.Name)
				}
			}
			if z.How != tc.wantHow || strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("zones = %+v, want %v (%s)", z, tc.want, tc.wantHow)
			}
		})
	}
}

func TestPlannedZones(t *testing.T) {
	def, _ := config.Parse([]byte("region: eu-west-1\n"))
	if z := PlannedZones(def); z.How != "placeholder" || !strings.Contains(z.String(), "eu-west-1a, eu-west-1b as placeholders; up uses the account's") {
		t.Errorf("default zones: %s", z)
	}
	set, _ := config.Parse([]byte("region: eu-west-1\nnetwork:\n  availabilityZones: [eu-west-1b, eu-west-1c]\n"))
	if z := PlannedZones(set); z.How != "configured" || !strings.HasPrefix(z.String(), "eu-west-1b, eu-west-1c (network.availabilityZones") {
		t.Errorf("configured zones: %s", z)
	}
	if resolved := set.WithZones([]string{"eu-west-1a", "eu-west-1c"}); resolved.Network.ZonesDefaulted() || set.Network.AvailabilityZones[0] != "eu-west-1b" {
		t.Error("WithZones must copy")
	}
}
