package eksversions

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestCheckUpgrade(t *testing.T) {
	tests := []struct {
		deployed, target string
		want             Change
		wantErr          string
	}{
		{"", "1.35", Create, ""},
		{"1.35", "1.35", Same, ""},
		{"1.34", "1.35", Upgrade, ""},
		{"1.35", "1.36", Upgrade, ""},
		{"1.34", "1.36", 0, `is 1.36 but the deployed cluster runs 1.34; EKS upgrades one minor version at a time, set "1.35"`},
		{"1.36", "1.35", 0, `is 1.35 but the deployed cluster runs 1.36; EKS cannot downgrade, set "1.36"`},
		{"1.35", "2.0", 0, "cannot compare"},
		{"junk", "1.35", 0, "cannot compare"},
	}
	for _, tc := range tests {
		got, err := CheckUpgrade(tc.deployed, tc.target)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("CheckUpgrade(%q, %q) error = %v, want %q", tc.deployed, tc.target, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CheckUpgrade(%q, %q) = %v, %v; want %v", tc.deployed, tc.target, got, err, tc.want)
		}
	}
}

// Every minor lists the same add-ons in the same order, each pin is an EKS
// add-on version string, and each entry says where it comes from.
func TestTable(t *testing.T) {
	versionRe := regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+$`)
	var names []string
	for _, m := range Minors() {
		addons, _ := Addons(m)
		var these []string
		for _, a := range addons {
			these = append(these, a.Name)
			if a.Pinned() && !versionRe.MatchString(a.Version) {
				t.Errorf("%s %s: %q is not an EKS add-on version", m, a.Name, a.Version)
			}
			if a.Source == "" {
				t.Errorf("%s %s: no source", m, a.Name)
			}
			// kube-proxy follows the Kubernetes minor it runs with.
			if a.Name == KubeProxy && a.Pinned() && !strings.HasPrefix(a.Version, "v"+m+".") {
				t.Errorf("%s: kube-proxy %s is for another minor", m, a.Version)
			}
		}
		if names == nil {
			names = these
		} else if !slices.Equal(names, these) {
			t.Errorf("%s lists %v, others %v", m, these, names)
		}
	}
	if !slices.Contains(names, VpcCni) || names[0] != VpcCni {
		t.Errorf("vpc-cni must come first: %v", names)
	}
}
