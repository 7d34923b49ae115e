package instancetypes

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sqletl/blueprint/internal/textdist"
)

// AMI types of EKS managed node groups (AWS::EKS::Nodegroup AmiType) for
// the standard Amazon Linux 2023 images, by architecture.
var amiTypes = map[Arch]string{
	AMD64: "AL2023_x86_64_STANDARD",
	ARM64: "AL2023_ARM_64_STANDARD",
}

// AMIType is the managed node group image for a list of types that
// CheckGroup accepted.
func AMIType(names []string) (string, error) {
	if err := CheckGroup(names); err != nil {
		return "", err
	}
	return amiTypes[MustLookup(names[0]).Arch], nil
}

// CheckGroup reports why names cannot share one managed node group: an
// unknown type (with the nearest known one), or types of more than one
// architecture or family kind (naming which types are which). One node
// group has one AMI, so one architecture.
func CheckGroup(names []string) error {
	if len(names) == 0 {
		return fmt.Errorf("no instance types")
	}
	var unknown []string
	byArch := map[Arch][]string{}
	byKind := map[Kind][]string{}
	for _, n := range names {
		t, ok := Lookup(n)
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q is not a supported type%s", n, suggest(n)))
			continue
		}
		byArch[t.Arch] = append(byArch[t.Arch], n)
		byKind[t.Kind] = append(byKind[t.Kind], n)
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%s (supported: %s families in large to 4xlarge)", strings.Join(unknown, "; "), strings.Join(Families(), ", "))
	}
	if len(byArch) > 1 {
		return fmt.Errorf("mixes architectures: %s; one node group runs one AMI, so list types of one architecture", describe(byArch))
	}
	if len(byKind) > 1 {
		return fmt.Errorf("mixes family kinds: %s; list types of one kind (e.g. all memory optimised)", describe(byKind))
	}
	return nil
}

func describe[K ~string](groups map[K][]string) string {
	keys := make([]K, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s (%s)", k, strings.Join(groups[k], ", ")))
	}
	return strings.Join(parts, " and ")
}

// suggest returns ", did you mean ...?" for the nearest supported type.
func suggest(name string) string {
	best, bestDist := "", 4
	for _, n := range Names() {
		if d := textdist.Distance(name, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// Families lists the supported families, sorted.
func Families() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range table {
		if f := t.Family(); !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}
