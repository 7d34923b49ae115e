package upstreamtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	root := t.TempDir()
	clone := filepath.Join(root, "work", "clone", "internal", "pkg")
	charts := filepath.Join(root, "work", "shared", "upstream-charts")
	for _, d := range []string{clone, charts} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(clone)
	for _, tc := range []struct {
		name, env, want, wantErr string
		find                     func() (string, error)
	}{
		{name: "charts above the clone", find: Charts, want: charts},
		{name: "environment first", env: "/elsewhere", find: Charts, want: "/elsewhere"},
		{name: "no sources anywhere", find: Sources, wantErr: "set $" + SourcesEnv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(ChartsEnv, tc.env)
			t.Setenv(SourcesEnv, "")
			got, err := tc.find()
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case got != tc.want:
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}
