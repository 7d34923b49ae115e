package cli

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sqletl/blueprint/internal/kube"
	"github.com/sqletl/blueprint/internal/ui"
)

func TestTokenFlags(t *testing.T) {
	tests := []struct {
		args        []string
		wantCluster string
		wantRegion  string
		wantCode    int
	}{
		{[]string{"token", "--cluster-name", "etl"}, "etl", "", 0},
		{[]string{"token", "--cluster-name=etl", "--region", "eu-west-1"}, "etl", "eu-west-1", 0},
		{[]string{"--region", "us-east-2", "token", "--cluster-name", "blueprint"}, "blueprint", "us-east-2", 0},
		{[]string{"token"}, "", "", ExitUsage},
		{[]string{"token", "--cluster-name", ""}, "", "", ExitUsage},
		{[]string{"token", "etl"}, "", "", ExitUsage},
		{[]string{"token", "--cluster", "etl"}, "", "", ExitUsage},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _ := testFactory()
			var got *TokenOptions
			cmd := newCmdToken(f, func(o *TokenOptions) error { got = o; return nil })
			code, err := parse(t, f, cmd, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.wantCode)
			}
			if tt.wantCode != 0 {
				if got != nil {
					t.Error("runF called")
				}
				return
			}
			if got.ClusterName != tt.wantCluster || got.Region != tt.wantRegion || got.Token == nil {
				t.Errorf("options %+v", got)
			}
		})
	}
	f, _ := testFactory()
	_, err := parse(t, f, newCmdToken(f, nil), "token")
	if err == nil || !strings.Contains(err.Error(), "--cluster-name is required") {
		t.Errorf("missing flag: %v", err)
	}
}

// TestTokenCommand runs the whole command with static credentials from
// the environment: presigning needs no network.
func TestTokenCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	cfgFile := writeFile(t, dir, "blueprint.yaml", "name: etl\nregion: ap-southeast-2\n")
	tests := []struct {
		args       []string
		wantRegion string
	}{
		{[]string{"token", "--cluster-name", "etl", "--region", "eu-west-1"}, "eu-west-1"},
		{[]string{"token", "--cluster-name", "etl", "--config", cfgFile}, "ap-southeast-2"},
	}
	for _, tt := range tests {
		t.Run(tt.wantRegion, func(t *testing.T) {
			ios, _, out, _ := ui.Test()
			f := NewFactory(ios)
			if code, err := parse(t, f, newCmdToken(f, nil), tt.args...); code != 0 {
				t.Fatalf("exit %d: %v", code, err)
			}
			var cred struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Status     struct {
					Token               string    `json:"token"`
					ExpirationTimestamp time.Time `json:"expirationTimestamp"`
				} `json:"status"`
			}
			if err := json.Unmarshal(out.Bytes(), &cred); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if cred.APIVersion != "client.authentication.k8s.io/v1" || cred.Kind != "ExecCredential" {
				t.Errorf("type %s %s", cred.APIVersion, cred.Kind)
			}
			if d := time.Until(cred.Status.ExpirationTimestamp); d < 13*time.Minute || d > 14*time.Minute {
				t.Errorf("expires in %v", d)
			}
			raw, err := kube.DecodeToken(cred.Status.Token)
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if cr := u.Query().Get("X-Amz-Credential"); !strings.Contains(cr, "/"+tt.wantRegion+"/sts/") {
				t.Errorf("credential scope %q, want region %s", cr, tt.wantRegion)
			}
		})
	}
}
