package config

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/sqletl/blueprint/internal/instancetypes"
)

// ValidationError lists every problem found in a config, each as
// "field.path: what is wrong; how to fix it".
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid config: " + e.Problems[0]
	}
	return fmt.Sprintf("invalid config (%d problems):\n  - %s", len(e.Problems), strings.Join(e.Problems, "\n  - "))
}

// IsValidation reports whether err is (or wraps) a ValidationError.
func IsValidation(err error) bool {
	var v *ValidationError
	return errors.As(err, &v)
}

var (
	nameRe         = regexp.MustCompile(`^[a-z][a-z0-9-]*[a-z0-9]$`)
	regionRe       = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)
	accountRe      = regexp.MustCompile(`^[0-9]{12}$`)
	instanceTypeRe = regexp.MustCompile(`^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.([0-9]*(nano|micro|small|medium|large|xlarge)|metal(-[0-9]+xl)?)$`)
	roleArnRe      = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
	glueDBRe       = regexp.MustCompile(`^[a-z0-9_]{1,255}$`)
	bucketRe       = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// maxNameLen keeps derived names (stacks, cluster, IAM roles, Glue database)
// within every service's limit.
const maxNameLen = 20

// logRetentionDays are the values CloudWatch Logs accepts.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// Validate checks a defaulted config and returns a *ValidationError naming
// every problem, or nil.
func (c *Config) Validate() error {
	v := &validator{}
	c.validateTop(v)
	c.validateNetwork(v)
	c.validateCluster(v)
	validateNodeGroup(v, "nodeGroups.onDemand", c.NodeGroups.OnDemand, false)
	validateNodeGroup(v, "nodeGroups.spot", c.NodeGroups.Spot, true)
	c.validateData(v)
	c.Platform.validate(v, c)
	c.CI.validate(v)
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

type validator struct{ problems []string }

func (v *validator) add(field, format string, args ...any) {
	v.problems = append(v.problems, field+": "+fmt.Sprintf(format, args...))
}

func (c *Config) validateTop(v *validator) {
	switch {
	case len(c.Name) > maxNameLen:
		v.add("name", "%q is %d characters; use at most %d so derived resource names fit", c.Name, len(c.Name), maxNameLen)
	case !nameRe.MatchString(c.Name) || strings.Contains(c.Name, "--"):
		v.add("name", "%q is not allowed; use lower-case letters, digits and single hyphens, starting with a letter (e.g. \"etl-dev\")", c.Name)
	}
	if !regionRe.MatchString(c.Region) {
		v.add("region", "%q is not an AWS region name; use one like \"us-east-1\" or \"eu-west-1\"", c.Region)
	}
	if c.Account != "" && !accountRe.MatchString(c.Account) {
		v.add("account", "%q is not a 12-digit AWS account ID; use the digits only, or remove the field to deploy to the credentials' account", c.Account)
	}
	for _, k := range sortedKeys(c.Tags) {
		switch {
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			v.add("tags."+k, "keys starting with \"aws:\" are reserved by AWS; rename the tag")
		case len(k) > 128 || k == "":
			v.add("tags."+k, "key is %d characters; use 1 to 128", len(k))
		case len(c.Tags[k]) > 256:
			v.add("tags."+k, "value is %d characters; use at most 256", len(c.Tags[k]))
		}
	}
}

func (c *Config) validateNetwork(v *validator) {
	n := c.Network
	if p, err := netip.ParsePrefix(n.VpcCidr); err != nil || !p.Addr().Is4() {
		v.add("network.vpcCidr", "%q is not an IPv4 CIDR; use one like \"10.0.0.0/16\"", n.VpcCidr)
	} else if p.Bits() < 16 || p.Bits() > 24 {
		v.add("network.vpcCidr", "prefix /%d is outside /16../24 (the VPC limits); use e.g. \"10.0.0.0/16\"", p.Bits())
	} else if p.Masked() != p {
		v.add("network.vpcCidr", "%q has host bits set; use the network address %q", n.VpcCidr, p.Masked().String())
	} else if public, _ := n.SubnetMasks(); public > maxSubnetBits && n.AzCount >= 2 && n.AzCount <= 6 {
		v.add("network.vpcCidr", "/%d is too small for public and private subnets in %d zones; use /%d or larger, or fewer zones",
			p.Bits(), n.AzCount, p.Bits()-(public-maxSubnetBits))
	}
	if n.AzCount < 2 || n.AzCount > 6 {
		v.add("network.azCount", "is %d; EKS needs subnets in at least 2 availability zones, use 2 to 6", n.AzCount)
	}
	if len(n.AvailabilityZones) != n.AzCount && n.AzCount >= 2 && n.AzCount <= 6 {
		v.add("network.availabilityZones", "lists %d zones but azCount is %d; make them agree or drop one of the two", len(n.AvailabilityZones), n.AzCount)
	}
	seen := map[string]bool{}
	for i, az := range n.AvailabilityZones {
		field := fmt.Sprintf("network.availabilityZones[%d]", i)
		if seen[az] {
			v.add(field, "%q is listed twice; each zone once", az)
		}
		seen[az] = true
		if !strings.HasPrefix(az, c.Region) || len(az) != len(c.Region)+1 || az[len(az)-1] < 'a' || az[len(az)-1] > 'z' {
			v.add(field, "%q is not a zone of region %q; use names like %q", az, c.Region, c.Region+"a")
		}
	}
	if n.NatGateways < 1 || n.NatGateways > max(n.AzCount, 1) {
		v.add("network.natGateways", "is %d; use 1 (lowest cost) up to azCount (%d, one per zone)", n.NatGateways, n.AzCount)
	}
	checkList(v, "network.interfaceEndpoints", n.InterfaceEndpoints, KnownInterfaceEndpoints)
}

func (c *Config) validateCluster(v *validator) {
	k := c.Cluster
	if !slices.Contains(SupportedKubernetesVersions, k.Version) {
		v.add("cluster.version", "%q is not supported; use one of %s", k.Version, strings.Join(SupportedKubernetesVersions, ", "))
	}
	if !k.PublicEndpoint() && len(k.EndpointPublicAccessCidrs) > 0 {
		v.add("cluster.endpointPublicAccessCidrs", "is set but endpointPublicAccess is false; remove the CIDRs or turn the public endpoint on")
	}
	for i, cidr := range k.EndpointPublicAccessCidrs {
		if p, err := netip.ParsePrefix(cidr); err != nil || !p.Addr().Is4() {
			v.add(fmt.Sprintf("cluster.endpointPublicAccessCidrs[%d]", i), "%q is not an IPv4 CIDR; use e.g. \"203.0.113.0/24\"", cidr)
		} else if p.Masked() != p {
			v.add(fmt.Sprintf("cluster.endpointPublicAccessCidrs[%d]", i), "%q has host bits set; use %q", cidr, p.Masked().String())
		}
	}
	if k.AdminRoleArn != "" && !roleArnRe.MatchString(k.AdminRoleArn) {
		v.add("cluster.adminRoleArn", "%q is not an IAM role ARN; use arn:aws:iam::<account>:role/<name>", k.AdminRoleArn)
	}
	checkList(v, "cluster.logTypes", k.LogTypes, ControlPlaneLogTypes)
	if !slices.Contains(logRetentionDays, k.LogRetentionDays) {
		v.add("cluster.logRetentionDays", "%d is not a CloudWatch Logs retention; use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...", k.LogRetentionDays)
	}
}

func validateNodeGroup(v *validator, field string, g NodeGroup, optional bool) {
	if !optional && !g.IsEnabled() {
		v.add(field+".enabled", "the on-demand node group runs system pods and cannot be disabled; remove the field")
	}
	if !g.IsEnabled() {
		return
	}
	switch {
	case len(g.InstanceTypes) == 0:
		v.add(field+".instanceTypes", "is empty; list at least one, e.g. [\"m6i.xlarge\"]")
	case len(g.InstanceTypes) > 20:
		v.add(field+".instanceTypes", "lists %d types; managed node groups take at most 20", len(g.InstanceTypes))
	case optional && len(g.InstanceTypes) < 2:
		v.add(field+".instanceTypes", "lists one type; list at least 2 of the same size so one Spot pool running out does not stop executors")
	}
	seen := map[string]bool{}
	for i, t := range g.InstanceTypes {
		f := fmt.Sprintf("%s.instanceTypes[%d]", field, i)
		if !instanceTypeRe.MatchString(t) {
			v.add(f, "%q is not an EC2 instance type; use family.size, e.g. \"m6i.xlarge\"", t)
		} else if err := instancetypes.CheckGroup([]string{t}); err != nil {
			v.add(f, "%s", err)
		}
		if seen[t] {
			v.add(f, "%q is listed twice; list each type once", t)
		}
		seen[t] = true
	}
	checkGroupShape(v, field+".instanceTypes", g.InstanceTypes)
	minSize, maxSize, desired := *g.MinSize, *g.MaxSize, *g.DesiredSize
	if minSize < 0 {
		v.add(field+".minSize", "is %d; use 0 or more", minSize)
	}
	if !optional && minSize < 1 {
		v.add(field+".minSize", "is %d; the on-demand group needs at least 1 node for system pods", minSize)
	}
	if maxSize < 1 {
		v.add(field+".maxSize", "is %d; use 1 or more", maxSize)
	} else if maxSize < minSize {
		v.add(field+".maxSize", "must be ≥ minSize (%d); raise maxSize or lower minSize", minSize)
	}
	// With min and max already in conflict, any desiredSize is out of
	// range; reporting it too would only repeat the problem.
	if maxSize >= minSize && (desired < minSize || desired > maxSize) {
		v.add(field+".desiredSize", "is %d; use a value between minSize (%d) and maxSize (%d)", desired, minSize, maxSize)
	}
	if g.DiskSizeGiB < 20 || g.DiskSizeGiB > 16384 {
		v.add(field+".diskSizeGiB", "is %d; use 20 to 16384", g.DiskSizeGiB)
	}
}

func (c *Config) validateData(v *validator) {
	if b := c.DataLake.ExistingBucket; b != "" {
		if !bucketRe.MatchString(b) || strings.Contains(b, "..") || strings.HasPrefix(b, "xn--") || isIPv4(b) {
			v.add("dataLake.existingBucket", "%q is not a valid S3 bucket name; use 3-63 lower-case letters, digits, '.' and '-' (the bare name, not s3://...)", b)
		}
	}
	if !glueDBRe.MatchString(c.DataLake.GlueDatabase) {
		v.add("dataLake.glueDatabase", "%q is not usable from Athena; use lower-case letters, digits and '_' (e.g. \"etl_lake\")", c.DataLake.GlueDatabase)
	}
	if c.Athena.BytesScannedCutoffPerQuery < MinBytesScannedCutoff {
		v.add("athena.bytesScannedCutoffPerQuery", "is %d; Athena's minimum is %d (10 MB)", c.Athena.BytesScannedCutoffPerQuery, MinBytesScannedCutoff)
	}
}

func checkList(v *validator, field string, got, known []string) {
	seen := map[string]bool{}
	for i, s := range got {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !slices.Contains(known, s) {
			v.add(f, "%q is not known; use one of %s", s, strings.Join(known, ", "))
		}
		if seen[s] {
			v.add(f, "%q is listed twice; list each once", s)
		}
		seen[s] = true
	}
}

func isIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
