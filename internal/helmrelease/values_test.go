package helmrelease

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/outputs/outputstest"
	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/jobs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func parseConfig(t testing.TB, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const publicYAML = `
platform:
  publicAccess: {enabled: true, domain: etl.example.com, certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"}`

// Golden values of every release for the default config (and the public
// variant, which adds the Ingress and the load balancer controller).
func TestValuesGolden(t *testing.T) {
	for _, variant := range []struct{ name, yaml string }{{"default", ""}, {"public", publicYAML}} {
		cfg := parseConfig(t, variant.yaml)
		for _, s := range plannedSpecs(cfg) {
			if s.upstream == nil {
				continue // our chart's values are charts' golden tests' business
			}
			t.Run(variant.name+"/"+s.name, func(t *testing.T) {
				vals, err := s.values(cfg, outputstest.Sample())
				if err != nil {
					t.Fatal(err)
				}
				got, err := json.MarshalIndent(vals, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, '\n')
				golden := filepath.Join("testdata", variant.name, s.name+".values.json")
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("values differ from %s (run with -update if intended):\n%s", golden, got)
				}
			})
		}
	}
}

// No values map, of any release in any variant, carries the login or a
// token: the hub reads its login from the Secret by name.
func TestValuesHoldNoSecret(t *testing.T) {
	login := platform.Login{Username: "etl-admin", Password: "Zq8!pass-word-never-in-values"}
	for _, yaml := range []string{"", publicYAML} {
		cfg := parseConfig(t, yaml)
		for _, s := range allSpecs(cfg) {
			vals, err := s.values(cfg, outputstest.Sample())
			if err != nil {
				t.Fatal(err)
			}
			data, _ := json.Marshal(vals)
			text := string(data)
			for _, bad := range []string{login.Password, `"secretToken"`, `"apiToken"`, `"accessKey"`, `"secretKey"`, "secret-token"} {
				if strings.Contains(text, bad) {
					t.Errorf("%s values contain %q", s.name, bad)
				}
			}
		}
	}
	cfg := parseConfig(t, "")
	hub := mustHubValues(t, cfg, outputstest.Sample())
	refs := map[string]string{}
	for name, e := range hub.Hub.ExtraEnv {
		refs[name] = e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
	}
	if refs[loginPasswordEnvVar] != "jupyterhub-login/password" || refs[loginUsernameEnvVar] != "jupyterhub-login/username" {
		t.Errorf("hub login env does not reference the Secret: %v", refs)
	}
}

func TestValuesRequirements(t *testing.T) {
	cfg := parseConfig(t, "")
	out := outputstest.Sample()
	argo := argoWorkflowsValues(cfg, out)
	hub := mustHubValues(t, cfg, out)
	checks := []struct {
		name string
		ok   bool
	}{
		{"argo: client auth only", slices.Equal(argo.Server.AuthModes, []string{"client"})},
		{"argo: CRDs not from the chart", !argo.CRDs.Install},
		{"argo: workflows in spark as arcjob", slices.Equal(argo.Controller.WorkflowNamespaces, []string{"spark"}) &&
			argo.Workflow.ServiceAccount.Name == "arcjob" && !argo.Workflow.ServiceAccount.Create},
		{"argo: controller and server on demand", argo.Controller.NodeSelector["lifecycle"] == "OnDemand" && argo.Server.NodeSelector["lifecycle"] == "OnDemand"},
		{"argo: logs to the logs bucket via IRSA", argo.ArtifactRepository.ArchiveLogs && argo.ArtifactRepository.S3.Bucket == out.LogsBucket &&
			argo.ArtifactRepository.S3.UseSDKCreds && !argo.UseStaticCredentials},
		{"hub: arc image pinned", hub.SingleUser.Image.Name == "ghcr.io/tripl-ai/arc-jupyter" && hub.SingleUser.Image.Tag != "" && hub.SingleUser.Image.Tag != "latest"},
		{"hub: notebook service account", hub.SingleUser.ServiceAccountName == "notebook"},
		{"hub: persistent gp3 home", hub.SingleUser.Storage.Type == "dynamic" && hub.SingleUser.Storage.Dynamic.StorageClass == "gp3" && hub.SingleUser.Storage.Capacity == "10Gi"},
		{"hub: culling after an hour", hub.Cull.Enabled && hub.Cull.Timeout == 3600},
		{"hub: two profiles, small default", len(hub.SingleUser.ProfileList) == 2 && hub.SingleUser.ProfileList[0].Default},
		{"hub: private proxy", hub.Proxy.Service.Type == "ClusterIP" && !hub.Ingress.Enabled},
		{"hub: data lake env", hub.SingleUser.ExtraEnv["ETL_CONF_DATA_URL"] == "s3a://"+out.DataLakeBucket+"/sandbox/{username}" && hub.SingleUser.ExtraEnv["AWS_REGION"] == "us-east-1"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: not met", c.name)
		}
	}
	pub := mustHubValues(t, parseConfig(t, publicYAML), out)
	if !pub.Ingress.Enabled || pub.Ingress.Hosts[0] != "etl.example.com" ||
		pub.Ingress.Annotations["alb.ingress.kubernetes.io/certificate-arn"] == "" {
		t.Errorf("public ingress: %+v", pub.Ingress)
	}
}

// The autoscaler has an image for every supported Kubernetes version, of
// the same minor.
func TestAutoscalerImageMatchesMinor(t *testing.T) {
	for _, v := range config.SupportedKubernetesVersions {
		cfg := parseConfig(t, "cluster: {version: \""+v+"\"}")
		vals, err := clusterAutoscalerValues(cfg, outputstest.Sample())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(vals.Image.Tag, "v"+v+".") {
			t.Errorf("Kubernetes %s gets cluster-autoscaler %s", v, vals.Image.Tag)
		}
		if vals.RBAC.ServiceAccount.Name != "cluster-autoscaler" || vals.RBAC.ServiceAccount.Annotations[irsaAnnotation] == "" {
			t.Errorf("service account: %+v", vals.RBAC.ServiceAccount)
		}
	}
	if _, ok := autoscalerImageTag("1.20"); ok {
		t.Error("an unsupported version has an image")
	}
}

func TestPlanned(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"default", "", []string{"blueprint", "cluster-autoscaler", "argo-workflows", "jupyterhub"}},
		{"public", publicYAML, []string{"blueprint", "cluster-autoscaler", "aws-load-balancer-controller", "argo-workflows", "jupyterhub"}},
		{"own chart only", "platform: {argoWorkflows: {enabled: false}, jupyterHub: {enabled: false}, clusterAutoscaler: {enabled: false}}", []string{"blueprint"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range (&Releases{}).Planned(parseConfig(t, tt.yaml)) {
				got = append(got, r.Name)
				if r.Namespace == "" || r.Chart == "" || r.Version == "" || r.Status != "planned" {
					t.Errorf("incomplete: %+v", r)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("planned %v, want %v", got, tt.want)
			}
		})
	}
}

func mustHubValues(t *testing.T, cfg *config.Config, out *outputs.Platform) hubValues {
	t.Helper()
	v, err := jupyterHubValues(cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Every sample notebook reaches JupyterHub: the platform chart's ConfigMap
// carries it under a valid key, the hub mounts that key at the file's path
// under jobs/, and copies the mount into the home without overwriting.
func TestSampleNotebooksReachTheHub(t *testing.T) {
	cfg := parseConfig(t, "")
	pv, err := platformValues(cfg, outputstest.Sample())
	if err != nil {
		t.Fatal(err)
	}
	hub := mustHubValues(t, cfg, outputstest.Sample())
	inConfigMap := map[string]string{}
	for _, f := range pv.SampleNotebooks.Files {
		if strings.Contains(f.Key, "/") || f.Content == "" {
			t.Errorf("ConfigMap entry %q: key with / or empty content", f.Key)
		}
		inConfigMap[f.Key] = f.Path
	}
	vols := hub.SingleUser.Storage.ExtraVolumes
	if len(vols) != 1 || vols[0].ConfigMap == nil || vols[0].ConfigMap.Name != pv.SampleNotebooks.ConfigMap {
		t.Fatalf("hub volumes %+v do not mount ConfigMap %s", vols, pv.SampleNotebooks.ConfigMap)
	}
	mounted := map[string]string{}
	for _, it := range vols[0].ConfigMap.Items {
		mounted[it.Key] = it.Path
	}
	if fmt.Sprint(mounted) != fmt.Sprint(inConfigMap) {
		t.Errorf("hub mounts %v, ConfigMap holds %v", mounted, inConfigMap)
	}
	var notebooks int
	err = fs.WalkDir(jobs.Samples, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".ipynb") {
			notebooks++
			if mounted[sampleKey(p)] != p {
				t.Errorf("notebook %s is not mounted at its path (%v)", p, mounted[sampleKey(p)])
			}
		}
		return err
	})
	if err != nil || notebooks < 4 {
		t.Fatalf("walked %d notebooks: %v", notebooks, err)
	}
	m := hub.SingleUser.Storage.ExtraVolumeMounts
	if len(m) != 1 || m[0].Name != vols[0].Name || !m[0].ReadOnly {
		t.Errorf("volume mounts %+v", m)
	}
	cmd := strings.Join(hub.SingleUser.LifecycleHooks.PostStart.Exec.Command, " ")
	for _, want := range []string{"cp -RLn " + m[0].MountPath + "/*", `"$HOME/samples/"`, "|| true"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("postStart %q lacks %q", cmd, want)
		}
	}
}
