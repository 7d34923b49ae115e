package stackreg_test

import (
	"fmt"
	"testing"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/stackreg"
)

func TestRegistry(t *testing.T) {
	tests := []struct {
		name, yaml string
		names      string
		ci         bool
	}{
		{"default", "", "[blueprint-network blueprint-data blueprint-analytics blueprint-cluster]", false},
		{"with CI", "name: etl\nci: {github: {repository: acme/etl}}\n", "[etl-network etl-data etl-analytics etl-cluster etl-ci]", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			reg := stackreg.For(cfg)
			if got := fmt.Sprint(reg.Names()); got != tc.names {
				t.Errorf("names = %s, want %s", got, tc.names)
			}
			if _, ok := reg.Lookup(stackreg.CI); ok != tc.ci {
				t.Errorf("CI registered = %v", ok)
			}
			if !reg.Stack(stackreg.Data).HoldsData || reg.Stack(stackreg.Cluster).HoldsData {
				t.Error("only the data stack holds data")
			}
			if s, ok := reg.OutputOwner(stackreg.OutputCodeBucket); !ok || s.Role != stackreg.Analytics {
				t.Errorf("code bucket owner = %v", s.Role)
			}
			// Every stack comes after its dependencies.
			seen := map[string]bool{}
			deps := reg.Dependencies()
			for _, n := range reg.Names() {
				for _, d := range deps[n] {
					if !seen[d] {
						t.Errorf("%s listed before its dependency %s", n, d)
					}
				}
				seen[n] = true
			}
		})
	}
}

func TestRegistryAdd(t *testing.T) {
	cfg, _ := config.Parse(nil)
	tests := []struct {
		name    string
		s       stackreg.Stack
		wantErr bool
	}{
		{"new role", stackreg.Stack{Role: "monitoring", Name: "blueprint-monitoring", DependsOn: []stackreg.Role{stackreg.Cluster}}, false},
		{"duplicate role", stackreg.Stack{Role: stackreg.Data, Name: "x"}, true},
		{"unknown dependency", stackreg.Stack{Role: "m", Name: "m", DependsOn: []stackreg.Role{"nope"}}, true},
		{"no name", stackreg.Stack{Role: "m"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg, err := stackreg.For(cfg).Add(tc.s)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && reg.Names()[len(reg.Names())-1] != tc.s.Name {
				t.Errorf("added stack not last: %v", reg.Names())
			}
		})
	}
}
