package cluster_test

import (
	"encoding/json"
	"testing"

	"golang.org/x/mod/semver"

	"github.com/sqletl/blueprint/internal/cdktest"
	"github.com/sqletl/blueprint/internal/eksversions"
)

// The vpc-cni add-on enforces NetworkPolicies: the synthesized add-on
// carries configurationValues {"enableNetworkPolicy": "true"} (Amazon EKS
// User Guide, "Configure your cluster for Kubernetes network policies",
// step 2), and every pinned vpc-cni build is at least the v1.14.0 the
// same page requires. No other add-on gets configuration values.
func TestVpcCniEnforcesNetworkPolicies(t *testing.T) {
	doc, _ := build(t, nil)
	var seen bool
	for _, a := range cdktest.Resources(doc, "AWS::EKS::Addon") {
		p := cdktest.Props(a)
		raw, has := p["ConfigurationValues"].(string)
		if p["AddonName"] != eksversions.VpcCni {
			if has {
				t.Errorf("%s has configuration values %s", p["AddonName"], raw)
			}
			continue
		}
		seen = true
		var cfg map[string]any
		if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
			t.Fatalf("vpc-cni ConfigurationValues %q: %v", raw, err)
		}
		// The add-on's schema types it as a string "true", not a boolean.
		if cfg["enableNetworkPolicy"] != "true" {
			t.Errorf("vpc-cni enableNetworkPolicy = %#v, want \"true\"", cfg["enableNetworkPolicy"])
		}
	}
	if !seen {
		t.Fatal("no vpc-cni add-on")
	}
	for _, m := range eksversions.Minors() {
		v := eksversions.AddonVersion(m, eksversions.VpcCni)
		if semver.Compare(semver.MajorMinor(v), "v1.14") < 0 {
			t.Errorf("%s: vpc-cni %s predates network policy support (v1.14.0-eksbuild.3)", m, v)
		}
	}
}
