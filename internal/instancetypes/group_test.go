package instancetypes

import (
	"strings"
	"testing"
)

func TestCheckGroupAndAMIType(t *testing.T) {
	tests := []struct {
		name    string
		types   []string
		wantAMI string
		wantErr []string // fragments of the error
	}{
		{"x86 general", []string{"m6i.xlarge"}, "AL2023_x86_64_STANDARD", nil},
		{"x86 memory, several families", []string{"r5.xlarge", "r5a.xlarge", "r6i.xlarge", "r7i.xlarge"}, "AL2023_x86_64_STANDARD", nil},
		{"graviton", []string{"m7g.xlarge", "m6gd.2xlarge"}, "AL2023_ARM_64_STANDARD", nil},
		{"graviton compute", []string{"c7g.large", "c8g.large"}, "AL2023_ARM_64_STANDARD", nil},
		{"mixed arch names each side", []string{"r6i.xlarge", "r7g.xlarge", "r5.xlarge"}, "",
			[]string{"mixes architectures", "amd64 (r6i.xlarge, r5.xlarge)", "arm64 (r7g.xlarge)"}},
		{"mixed kinds", []string{"m6i.xlarge", "r6i.xlarge"}, "",
			[]string{"mixes family kinds", "general purpose (m6i.xlarge)", "memory optimised (r6i.xlarge)"}},
		{"unknown with suggestion", []string{"m6i.xlarg"}, "", []string{`"m6i.xlarg" is not a supported type`, `did you mean "m6i.xlarge"?`}},
		{"size outside the table", []string{"m6i.8xlarge"}, "", []string{`"m6i.8xlarge" is not a supported type`, "large to 4xlarge"}},
		{"empty", nil, "", []string{"no instance types"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ami, err := AMIType(tc.types)
			if len(tc.wantErr) == 0 {
				if err != nil || ami != tc.wantAMI {
					t.Fatalf("AMIType(%v) = %q, %v; want %q", tc.types, ami, err, tc.wantAMI)
				}
				return
			}
			if err == nil {
				t.Fatalf("AMIType(%v) = %q, want an error", tc.types, ami)
			}
			for _, frag := range tc.wantErr {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("error %q lacks %q", err, frag)
				}
			}
		})
	}
}

// The kinds follow EC2's naming (docs.aws.amazon.com/ec2/latest/instancetypes:
// m = general purpose, r = memory optimised, c = compute optimised) and
// the memory per vCPU the table was built from.
func TestKindMatchesFamilyLetter(t *testing.T) {
	want := map[byte]Kind{'m': General, 'r': Memory, 'c': Compute}
	for _, n := range Names() {
		ty := MustLookup(n)
		if k := want[n[0]]; ty.Kind != k {
			t.Errorf("%s: kind %q, want %q", n, ty.Kind, k)
		}
	}
}
