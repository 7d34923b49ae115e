package cost_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sqletl/blueprint/internal/cdkapp"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/cost"
)

// What plan prices is read from the real synthesized templates
// (cost.FromAssembly); the savings and the README figure re-price configs
// without a synth (cost.FromConfig). The two agree on every quantity a template
// holds, for the default and the cost-optimized example, so neither drifts.
func TestTemplatesAndConfigAgree(t *testing.T) {
	for _, tc := range []struct{ name, path string }{
		{"default", ""},
		{"cost-optimized", "../../examples/cost-optimized.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load(tc.path, tc.path != "")
			if err != nil {
				t.Fatal(err)
			}
			asm, err := cdkapp.Synth(context.Background(), cfg, filepath.Join(t.TempDir(), "cdk.out"))
			if err != nil {
				t.Fatalf("synth: %v", err)
			}
			fromCfg, err := cost.FromConfig(cfg, sources)
			if err != nil {
				t.Fatal(err)
			}
			fromTpl, err := cost.FromAssembly(asm, fromCfg)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(fromTpl, fromCfg) {
				t.Errorf("templates say\n  %+v\nconfig says\n  %+v", fromTpl, fromCfg)
			}
			if fromTpl.EndpointENIs != len(cfg.Network.InterfaceEndpoints)*cfg.Network.AzCount {
				t.Errorf("endpoint ENIs = %d, want %d endpoints × %d zones", fromTpl.EndpointENIs, len(cfg.Network.InterfaceEndpoints), cfg.Network.AzCount)
			}
		})
	}
}
