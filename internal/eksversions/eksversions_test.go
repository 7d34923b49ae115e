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

// Every supported minor pins every add-on blueprint installs, in creation
// order (vpc-cni first: the node groups wait for it), each with an EKS
// add-on version string and a source that names that version, a URL and
// the date it was read. A missing (minor, add-on) pair fails here.
func TestTable(t *testing.T) {
	versionRe := regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+$`)
	dateRe := regexp.MustCompile(`read [0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	if len(Minors()) == 0 {
		t.Fatal("no minors")
	}
	if Installed[0] != VpcCni {
		t.Errorf("vpc-cni must come first: %v", Installed)
	}
	for _, m := range Minors() {
		addons, ok := Addons(m)
		if !ok {
			t.Fatalf("%s: no add-ons", m)
		}
		var names []string
		for _, a := range addons {
			names = append(names, a.Name)
		}
		if !slices.Equal(names, Installed) {
			t.Errorf("%s lists %v, want %v", m, names, Installed)
		}
		for _, name := range Installed {
			i := slices.IndexFunc(addons, func(a Addon) bool { return a.Name == name })
			if i < 0 {
				t.Errorf("%s %s: missing", m, name)
				continue
			}
			a := addons[i]
			if !a.Pinned() || !versionRe.MatchString(a.Version) {
				t.Errorf("%s %s: %q is not a pinned EKS add-on version", m, name, a.Version)
			}
			if !strings.Contains(a.Source, a.Version) || !strings.Contains(a.Source, "https://") || !dateRe.MatchString(a.Source) {
				t.Errorf("%s %s: source must name %s, a URL and the date read: %q", m, name, a.Version, a.Source)
			}
			if AddonVersion(m, name) != a.Version {
				t.Errorf("AddonVersion(%s, %s) = %q", m, name, AddonVersion(m, name))
			}
			// kube-proxy follows the Kubernetes minor it runs with.
			if name == KubeProxy && !strings.HasPrefix(a.Version, "v"+m+".") {
				t.Errorf("%s: kube-proxy %s is for another minor", m, a.Version)
			}
		}
	}
	if AddonVersion("1.20", VpcCni) != "" {
		t.Error("an unsupported minor has no pins")
	}
}
