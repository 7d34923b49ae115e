package helmrelease

import (
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"

	"github.com/sqletl/blueprint/charts"
	"github.com/sqletl/blueprint/internal/etl"
	"github.com/sqletl/blueprint/internal/outputs/outputstest"
)

// hubSetVars are variables JupyterHub itself puts in every single-user
// server's environment (jupyterhub 5.5.0 spawner.py Spawner.get_env).
var hubSetVars = []string{"JUPYTERHUB_USER", "JUPYTERHUB_API_URL", "JUPYTERHUB_SERVICE_PREFIX"}

// renderArcJobEnv renders blueprint's chart with the values Apply gives it
// and returns the environment of the arc-job template's containers, per
// template (size).
func renderArcJobEnv(t *testing.T) map[string]map[string]string {
	t.Helper()
	envs, _ := renderArcJob(t)
	return envs
}

// renderArcJob also returns each template's spark-submit arguments.
func renderArcJob(t *testing.T) (map[string]map[string]string, map[string][]string) {
	t.Helper()
	cfg := parseConfig(t, "")
	pv, err := platformValues(cfg, outputstest.Sample())
	if err != nil {
		t.Fatal(err)
	}
	vals, err := pv.ToMap()
	if err != nil {
		t.Fatal(err)
	}
	ch, err := charts.Platform()
	if err != nil {
		t.Fatal(err)
	}
	in := action.NewInstall(&action.Configuration{})
	in.DryRun, in.ClientOnly, in.ReleaseName, in.Namespace = true, true, "platform", "blueprint"
	kv, err := chartutil.ParseKubeVersion("v" + cfg.Cluster.Version + ".0")
	if err != nil {
		t.Fatal(err)
	}
	in.KubeVersion = kv
	rel, err := in.Run(ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	envs := map[string]map[string]string{}
	args := map[string][]string{}
	for _, doc := range strings.Split(rel.Manifest, "\n---") {
		var wt struct {
			Kind     string
			Metadata struct{ Name string }
			Spec     struct {
				Templates []struct {
					Name      string
					Container struct {
						Args []string
						Env  []struct{ Name, Value string }
					}
				}
			}
		}
		if err := yaml.Unmarshal([]byte(doc), &wt); err != nil {
			t.Fatal(err)
		}
		if wt.Kind != "WorkflowTemplate" || wt.Metadata.Name != "arc-job" {
			continue
		}
		for _, tpl := range wt.Spec.Templates {
			env := map[string]string{}
			for _, e := range tpl.Container.Env {
				env[e.Name] = e.Value
			}
			envs[tpl.Name] = env
			args[tpl.Name] = tpl.Container.Args
		}
	}
	if len(envs) == 0 {
		t.Fatal("the rendered chart has no arc-job WorkflowTemplate")
	}
	return envs, args
}

// A notebook session and a job use the same S3A (IRSA web identity,
// endpoint and region, SSE-KMS) and event-log settings: the arc-job
// template's --conf=spark.hadoop.fs.s3a.* / spark.eventLog.* arguments and
// the hub's JAVA_OPTS -D properties are the same set.
func TestNotebookSparkConfMatchesJob(t *testing.T) {
	_, args := renderArcJob(t)
	hub := mustHubValues(t, parseConfig(t, ""), outputstest.Sample())
	relevant := func(kv string) bool {
		return strings.HasPrefix(kv, "spark.hadoop.fs.s3a.") || strings.HasPrefix(kv, "spark.eventLog.")
	}
	var nb []string
	for _, o := range strings.Fields(hub.SingleUser.ExtraEnv["JAVA_OPTS"]) {
		if kv, ok := strings.CutPrefix(o, "-D"); ok && relevant(kv) {
			nb = append(nb, kv)
		}
	}
	slices.Sort(nb)
	for size, a := range args {
		var job []string
		for _, arg := range a {
			if kv, ok := strings.CutPrefix(arg, "--conf="); ok && relevant(kv) {
				job = append(job, kv)
			}
		}
		slices.Sort(job)
		if !slices.Equal(job, nb) {
			t.Errorf("arc-job %s and the notebook differ:\n job:      %v\n notebook: %v", size, job, nb)
		}
	}
	if !slices.ContainsFunc(nb, func(kv string) bool {
		return strings.HasPrefix(kv, "spark.eventLog.dir=s3a://"+outputstest.Sample().LogsBucket+"/spark-events/")
	}) {
		t.Errorf("notebook sessions do not write event logs to the logs bucket: %v", nb)
	}
}

func jobsDir(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "jobs")
}

// Every ${VAR} every sample notebook takes from the environment is set
// both by the arc-job template (rendered from the chart) and by the hub's
// single-user environment, so a sample runs as shipped in either place.
func TestSampleVariablesResolveInJobAndHub(t *testing.T) {
	needs, err := etl.EnvVariables([]string{jobsDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(needs) < 4 {
		t.Fatalf("found %d sample notebooks", len(needs))
	}
	jobEnvs := renderArcJobEnv(t)
	hub := mustHubValues(t, parseConfig(t, ""), outputstest.Sample())
	for nb, vars := range needs {
		for _, v := range vars {
			for size, env := range jobEnvs {
				if _, ok := env[v]; !ok {
					t.Errorf("%s uses ${%s}, which the arc-job template (%s) does not set", nb, v, size)
				}
			}
			if _, ok := hub.SingleUser.ExtraEnv[v]; !ok && !slices.Contains(hubSetVars, v) {
				t.Errorf("%s uses ${%s}, which JupyterHub's single-user environment does not set", nb, v)
			}
		}
	}
	// Same shape in both places: URLs without a trailing slash (samples
	// append "/path"), the hub's data under its own prefix of the same lake,
	// the same code bucket, database and workgroup.
	job, out := jobEnvs["small"], outputstest.Sample()
	env := hub.SingleUser.ExtraEnv
	for _, k := range []string{"ETL_CONF_CODE_URL", "ETL_CONF_GLUE_DATABASE", "ETL_CONF_ATHENA_WORKGROUP", "AWS_REGION"} {
		if env[k] != job[k] {
			t.Errorf("%s: hub %q, job %q", k, env[k], job[k])
		}
	}
	if job["ETL_CONF_DATA_URL"] != "s3a://"+out.DataLakeBucket || env["ETL_CONF_DATA_URL"] != job["ETL_CONF_DATA_URL"]+"/sandbox/{username}" {
		t.Errorf("ETL_CONF_DATA_URL: job %q, hub %q; want the hub under the job's lake, in sandbox/{username}", job["ETL_CONF_DATA_URL"], env["ETL_CONF_DATA_URL"])
	}
	for k, v := range map[string]string{"ETL_CONF_DATA_URL": env["ETL_CONF_DATA_URL"], "ETL_CONF_CODE_URL": env["ETL_CONF_CODE_URL"]} {
		if strings.HasSuffix(v, "/") {
			t.Errorf("hub %s %q ends in /", k, v)
		}
	}
	if job["ETL_CONF_TABLE_SUFFIX"] != "" || env["ETL_CONF_TABLE_SUFFIX"] == "" {
		t.Errorf("ETL_CONF_TABLE_SUFFIX: job %q (want empty), hub %q (want a suffix)", job["ETL_CONF_TABLE_SUFFIX"], env["ETL_CONF_TABLE_SUFFIX"])
	}
}

// The check is not vacuous: a variable the hub does not set is caught.
func TestSampleVariablesCheckCatchesGap(t *testing.T) {
	needs, err := etl.EnvVariables([]string{jobsDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, vars := range needs {
		found = found || slices.Contains(vars, "ETL_CONF_TABLE_SUFFIX")
	}
	if !found {
		t.Error("EnvVariables did not report ETL_CONF_TABLE_SUFFIX, which the registration stages use")
	}
	for _, vars := range needs {
		if slices.ContainsFunc(vars, func(v string) bool { return strings.HasSuffix(v, "_S3_URI") }) {
			t.Errorf("variables defined by ConfigExecute are not environment variables: %v", vars)
		}
	}
}
