package platform

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sqletl/blueprint/internal/config"
)

// ZoneAPI lists the account's availability zones.
type ZoneAPI interface {
	DescribeAvailabilityZones(context.Context, *ec2.DescribeAvailabilityZonesInput, ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error)
}

// Zone is one availability zone: its name differs between accounts
// (us-east-1a is not the same place everywhere, and some accounts have no
// us-west-1a at all), its ID does not.
type Zone struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// Zones is how the zones were chosen.
type Zones struct {
	Zones []Zone `json:"zones"`
	// How: "configured", "resolved" (from the account) or "placeholder"
	// (offline, resolved by up).
	How string `json:"how"`
}

func (z Zones) String() string {
	parts := make([]string, 0, len(z.Zones))
	for _, zone := range z.Zones {
		if zone.ID != "" {
			parts = append(parts, zone.Name+" ("+zone.ID+")")
		} else {
			parts = append(parts, zone.Name)
		}
	}
	s := strings.Join(parts, ", ")
	switch z.How {
	case "placeholder":
		return s + " as placeholders; up uses the account's first available zones that need no opt-in (DescribeAvailabilityZones)"
	case "configured":
		return s + " (network.availabilityZones; up checks they exist)"
	}
	return s + " (from DescribeAvailabilityZones)"
}

// PlannedZones describes the zones offline: configured, or placeholders.
func PlannedZones(cfg *config.Config) Zones {
	z := Zones{How: "configured"}
	if cfg.Network.ZonesDefaulted() {
		z.How = "placeholder"
	}
	for _, n := range cfg.Network.AvailabilityZones {
		z.Zones = append(z.Zones, Zone{Name: n})
	}
	return z
}

// ResolveZones picks the zones the VPC spans from the account's own list:
// zones that are available and need no opt-in (local and wavelength zones
// are not availability zones). Configured zones must be among them; the
// error names the ones that are. Unconfigured, the first AzCount by name
// are used, which for accounts that have <region>a and b keeps what
// earlier versions deployed.
func ResolveZones(ctx context.Context, api ZoneAPI, cfg *config.Config) (Zones, error) {
	out, err := api.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{
		Filters: []ec2types.Filter{
			{Name: aws.String("region-name"), Values: []string{cfg.Region}},
			{Name: aws.String("state"), Values: []string{"available"}},
			{Name: aws.String("opt-in-status"), Values: []string{"opt-in-not-required"}},
			{Name: aws.String("zone-type"), Values: []string{"availability-zone"}},
		},
	})
	if err != nil {
		return Zones{}, fmt.Errorf("listing the availability zones of %s: %w", cfg.Region, err)
	}
	var available []Zone
	for _, z := range out.AvailabilityZones {
		// Filter again: a filter the endpoint ignores must not widen the choice.
		if aws.ToString(z.RegionName) != cfg.Region || z.State != ec2types.AvailabilityZoneStateAvailable ||
			(z.OptInStatus != "" && z.OptInStatus != ec2types.AvailabilityZoneOptInStatusOptInNotRequired) ||
			(z.ZoneType != nil && aws.ToString(z.ZoneType) != "availability-zone") {
			continue
		}
		available = append(available, Zone{Name: aws.ToString(z.ZoneName), ID: aws.ToString(z.ZoneId)})
	}
	slices.SortFunc(available, func(a, b Zone) int { return strings.Compare(a.Name, b.Name) })
	list := func() string {
		parts := make([]string, len(available))
		for i, z := range available {
			parts[i] = z.Name + " (" + z.ID + ")"
		}
		if len(parts) == 0 {
			return "none"
		}
		return strings.Join(parts, ", ")
	}
	n := cfg.Network
	if !n.ZonesDefaulted() {
		res := Zones{How: "configured"}
		var problems []string
		for i, name := range n.AvailabilityZones {
			j := slices.IndexFunc(available, func(z Zone) bool { return z.Name == name })
			if j < 0 {
				problems = append(problems, fmt.Sprintf("network.availabilityZones[%d]: %q is not an available zone of this account in %s; use zones it has: %s",
					i, name, cfg.Region, list()))
				continue
			}
			res.Zones = append(res.Zones, available[j])
		}
		if len(problems) > 0 {
			return Zones{}, &config.ValidationError{Problems: problems}
		}
		return res, nil
	}
	if len(available) < n.AzCount {
		return Zones{}, &config.ValidationError{Problems: []string{fmt.Sprintf(
			"network.azCount: is %d but %s has %d available zones in this account (%s); lower azCount", n.AzCount, cfg.Region, len(available), list())}}
	}
	return Zones{Zones: available[:n.AzCount], How: "resolved"}, nil
}

// resolveZones is up's step: the config gets the account's zones.
func (o *UpOptions) resolveZones(ctx context.Context) (Zones, error) {
	if o.AWS.Zones == nil {
		return PlannedZones(o.Config), nil
	}
	z, err := ResolveZones(ctx, o.AWS.Zones, o.Config)
	if err != nil {
		return z, err
	}
	names := make([]string, len(z.Zones))
	for i, zone := range z.Zones {
		names[i] = zone.Name
	}
	o.Config = o.Config.WithZones(names)
	return z, nil
}
