package helmrelease

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sqletl/blueprint/charts"
	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/outputs"
	"github.com/sqletl/blueprint/internal/stackreg"
	"github.com/sqletl/blueprint/internal/workloads"
)

// toMap turns a typed values struct into the map Helm takes. Going through
// JSON gives the same types (float64, []any) Helm stores in a release, so
// the maps compare equal to a deployed release's config.
func toMap(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// onDemand places a pod on the on-demand node group.
func onDemand() map[string]string {
	return map[string]string{workloads.LifecycleLabel: workloads.LifecycleOnDemand}
}

const irsaAnnotation = "eks.amazonaws.com/role-arn"

func irsa(roleArn string) map[string]string {
	if roleArn == "" {
		return nil
	}
	return map[string]string{irsaAnnotation: roleArn}
}

// platformValues fills our chart's values from the stack outputs.
func platformValues(cfg *config.Config, out *outputs.Platform) (charts.PlatformValues, error) {
	v := charts.DefaultPlatformValues()
	// Shipped whether or not the hub is enabled: the jupyter namespace
	// exists either way, and a hub enabled later finds the samples.
	files, err := sampleNotebookFiles()
	if err != nil {
		return v, err
	}
	v.SampleNotebooks.Files = files
	v.Region = cfg.Region
	v.StorageClass.Tags = map[string]string{stackreg.DeploymentTag: cfg.Name}
	v.DataLake = charts.DataLake{Bucket: out.DataLakeBucket, KMSKeyARN: out.KeyArn}
	v.CodeBucket = out.CodeBucket
	v.LogsBucket = out.LogsBucket
	v.GlueDatabase = out.GlueDatabase
	if v.GlueDatabase == "" {
		v.GlueDatabase = cfg.DataLake.GlueDatabase
	}
	v.AthenaWorkgroup = out.AthenaWorkgroup
	v.SparkHistory.Enabled = cfg.Platform.SparkHistory.IsEnabled()
	v.Roles = charts.Roles{ArcJob: out.ArcJobRole, Notebook: out.NotebookRole, ArgoServer: out.ArgoServerRole, SparkHistory: out.SparkHistoryRole}
	if err := placeExecutors(&v, cfg); err != nil {
		return v, err
	}
	return v, nil
}

// ---- Argo Workflows (argo-helm argo-workflows) ----

type argoValues struct {
	CRDs                   argoCRDs         `json:"crds"`
	Workflow               argoWorkflow     `json:"workflow"`
	Controller             argoController   `json:"controller"`
	Server                 argoServer       `json:"server"`
	UseDefaultArtifactRepo bool             `json:"useDefaultArtifactRepo"`
	UseStaticCredentials   bool             `json:"useStaticCredentials"`
	ArtifactRepository     argoArtifactRepo `json:"artifactRepository"`
}

type argoCRDs struct {
	// Install is false: blueprint applies manifests.ArgoCRDs itself,
	// before any chart, so CRDs are never deleted with a release.
	Install bool `json:"install"`
}

type argoWorkflow struct {
	ServiceAccount argoServiceAccount `json:"serviceAccount"`
	RBAC           argoRBAC           `json:"rbac"`
}

type argoServiceAccount struct {
	Create bool   `json:"create"`
	Name   string `json:"name"`
}

type argoRBAC struct {
	Create bool `json:"create"`
}

type argoController struct {
	WorkflowNamespaces       []string             `json:"workflowNamespaces"`
	NodeSelector             map[string]string    `json:"nodeSelector"`
	RBAC                     argoRBAC             `json:"rbac"`
	ExtraArgs                []string             `json:"extraArgs"`
	ClusterWorkflowTemplates argoClusterTemplates `json:"clusterWorkflowTemplates"`
}

// argoClusterTemplates is off: blueprint ships a namespaced WorkflowTemplate
// (arc-job in spark) and no ClusterWorkflowTemplate, so neither Argo
// component gets the chart's cluster-wide clusterworkflowtemplates role.
// Without it both degrade as designed: Argo v4.0.6
// workflow/controller/controller.go createClusterWorkflowTemplateInformer
// and server/apiserver/argoserver.go (NewNullClusterWorkflowTemplate) ask
// rbacutil.HasAccessToClusterWorkflowTemplates first and skip the informer.
type argoClusterTemplates struct {
	Enabled bool `json:"enabled"`
}

// argoNamespacedArgs confine an Argo component to the workflow namespace.
// Argo v4.0.6 cmd/workflow-controller/main.go (and cmd/argo/commands/
// server.go): --managed-namespace is ignored unless --namespaced is set,
// and --namespaced alone would watch the installation namespace (argo),
// so both are needed. The component still reads its ConfigMap from its
// own namespace (config.NewController(namespace, ...)).
func argoNamespacedArgs(workflowNamespace string) []string {
	return []string{"--namespaced", "--managed-namespace=" + workflowNamespace}
}

type argoServer struct {
	// AuthModes is [client]: every request carries a Kubernetes bearer
	// token; no anonymous ("server") mode.
	AuthModes      []string           `json:"authModes"`
	ServiceType    string             `json:"serviceType"`
	ServiceAccount argoServiceAccount `json:"serviceAccount"`
	NodeSelector   map[string]string  `json:"nodeSelector"`
	// RBAC.Create is false, with the controller's: both chart roles are
	// ClusterRoles (the controller's creates pods in every namespace, the
	// server's reads every Secret). The platform chart grants each the
	// chart's rules in spark and argo only (templates/rbac-argo.yaml).
	RBAC                     argoRBAC             `json:"rbac"`
	ExtraArgs                []string             `json:"extraArgs"`
	ClusterWorkflowTemplates argoClusterTemplates `json:"clusterWorkflowTemplates"`
}

type argoArtifactRepo struct {
	ArchiveLogs bool   `json:"archiveLogs"`
	S3          argoS3 `json:"s3"`
}

type argoS3 struct {
	Bucket            string                `json:"bucket"`
	Endpoint          string                `json:"endpoint"`
	Region            string                `json:"region"`
	UseSDKCreds       bool                  `json:"useSDKCreds"`
	Insecure          bool                  `json:"insecure"`
	KeyFormat         string                `json:"keyFormat"`
	EncryptionOptions argoEncryptionOptions `json:"encryptionOptions"`
}

type argoEncryptionOptions struct {
	EnableEncryption bool `json:"enableEncryption"`
}

func argoWorkflowsValues(cfg *config.Config, out *outputs.Platform) argoValues {
	return argoValues{
		CRDs: argoCRDs{Install: false},
		// The platform chart creates the arcjob service account (IRSA) and
		// its RBAC, including workflowtaskresults for the v3.4+ executor.
		Workflow: argoWorkflow{
			ServiceAccount: argoServiceAccount{Create: false, Name: workloads.ArcJob.Name},
			RBAC:           argoRBAC{Create: false},
		},
		Controller: argoController{
			WorkflowNamespaces:       []string{workloads.ArcJob.Namespace},
			NodeSelector:             onDemand(),
			RBAC:                     argoRBAC{Create: false},
			ExtraArgs:                argoNamespacedArgs(workloads.ArcJob.Namespace),
			ClusterWorkflowTemplates: argoClusterTemplates{Enabled: false},
		},
		Server: argoServer{
			AuthModes:   []string{"client"},
			ServiceType: "ClusterIP",
			// argo-server (IRSA, reads archived logs) comes from the platform chart.
			ServiceAccount:           argoServiceAccount{Create: false, Name: workloads.ArgoServer.Name},
			NodeSelector:             onDemand(),
			RBAC:                     argoRBAC{Create: false},
			ExtraArgs:                argoNamespacedArgs(workloads.ArcJob.Namespace),
			ClusterWorkflowTemplates: argoClusterTemplates{Enabled: false},
		},
		// Logs and artifacts go to the logs bucket with the pods' IRSA
		// credentials (useSDKCreds), never static keys.
		UseDefaultArtifactRepo: true,
		UseStaticCredentials:   false,
		ArtifactRepository: argoArtifactRepo{
			ArchiveLogs: true,
			S3: argoS3{
				Bucket:            out.LogsBucket,
				Endpoint:          "s3." + cfg.Region + ".amazonaws.com",
				Region:            cfg.Region,
				UseSDKCreds:       true,
				KeyFormat:         "argo/{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}",
				EncryptionOptions: argoEncryptionOptions{EnableEncryption: true},
			},
		},
	}
}

// ---- JupyterHub (zero-to-jupyterhub) ----

// The hub login Secret, written by Apply from platform.Login. Values only
// name it.
const (
	loginSecretName     = "jupyterhub-login"
	loginUsernameKey    = "username"
	loginPasswordKey    = "password"
	loginUsernameEnvVar = "BLUEPRINT_LOGIN_USERNAME"
	loginPasswordEnvVar = "BLUEPRINT_LOGIN_PASSWORD"
)

// hubLoginConfig is the hub's authenticator: JupyterHub's built-in
// shared-password authenticator, for the one generated user, with the
// password read from the environment (from the Secret) at start-up.
//
// The user is an admin, so it logs in with admin_password: in JupyterHub
// 5.5.0 (jupyterhub/authenticators/shared.py, authenticate) a name in
// admin_users is checked against admin_password only, never
// user_password, and admin_password must be 32 characters or more and
// differ from user_password (_validate_admin_password), or the hub does
// not start. user_password stays unset: it would let anyone holding it log
// in as any allowed non-admin name, and there is none. The login secret
// (constructs/login) generates 32 letters and digits; Apply rejects a
// shorter password before installing anything.
const hubLoginConfig = `import os
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.admin_password = os.environ["` + loginPasswordEnvVar + `"]
c.Authenticator.allowed_users = {os.environ["` + loginUsernameEnvVar + `"]}
c.Authenticator.admin_users = {os.environ["` + loginUsernameEnvVar + `"]}
`

// MinLoginPasswordLength is JupyterHub 5.5.0's minimum admin_password
// length (SharedPasswordAuthenticator._ADMIN_PASSWORD_MIN_LENGTH).
const MinLoginPasswordLength = 32

type hubValues struct {
	Hub        hubHub        `json:"hub"`
	Proxy      hubProxy      `json:"proxy"`
	SingleUser hubSingleUser `json:"singleuser"`
	Cull       hubCull       `json:"cull"`
	Scheduling hubScheduling `json:"scheduling"`
	PrePuller  hubPrePuller  `json:"prePuller"`
	Ingress    hubIngress    `json:"ingress"`
}

type hubHub struct {
	NodeSelector map[string]string `json:"nodeSelector"`
	// ExtraEnv is a map, name → variable, as z2jh 4.4.0's values.yaml
	// declares it (hub.extraEnv: {}); a list there makes Helm warn "cannot
	// overwrite table with non table" on every render and install. The
	// chart's jupyterhub.extraEnv helper turns each entry into an EnvVar
	// named by its key (templates/_helpers.tpl).
	ExtraEnv    map[string]envVar `json:"extraEnv"`
	ExtraConfig map[string]string `json:"extraConfig"`
	DB          hubDB             `json:"db"`
}

type hubDB struct {
	Type string `json:"type"`
	PVC  hubPVC `json:"pvc"`
}

type hubPVC struct {
	StorageClassName string `json:"storageClassName"`
}

// envVar is a Kubernetes EnvVar with a secret reference (no literal
// value); its name is its key in hubHub.ExtraEnv.
type envVar struct {
	ValueFrom envVarSource `json:"valueFrom"`
}

type envVarSource struct {
	SecretKeyRef secretKeyRef `json:"secretKeyRef"`
}

type secretKeyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

type hubProxy struct {
	Service hubService `json:"service"`
	CHP     hubPod     `json:"chp"`
}

type hubService struct {
	Type string `json:"type"`
}

type hubPod struct {
	NodeSelector map[string]string `json:"nodeSelector"`
}

type hubSingleUser struct {
	Image              hubImage          `json:"image"`
	DefaultURL         string            `json:"defaultUrl"`
	ServiceAccountName string            `json:"serviceAccountName"`
	NodeSelector       map[string]string `json:"nodeSelector"`
	Storage            hubStorage        `json:"storage"`
	ExtraEnv           map[string]string `json:"extraEnv"`
	ProfileList        []hubProfile      `json:"profileList"`
	LifecycleHooks     hubLifecycle      `json:"lifecycleHooks"`
	CloudMetadata      hubCloudMetadata  `json:"cloudMetadata"`
	NetworkPolicy      hubNetworkPolicy  `json:"networkPolicy"`
}

// hubCloudMetadata is z2jh's singleuser.cloudMetadata. BlockWithIptables
// is false: z2jh 4.4.0 (files/hub/jupyterhub_config.py) then adds a
// privileged, root, NET_ADMIN init container, block-cloud-metadata, to
// every user pod, which the jupyter namespace's Pod Security "baseline"
// rejects, so no server could start. Notebooks authenticate with IRSA,
// not the node role, and z2jh's singleuser NetworkPolicy (on by default,
// egressAllowRules.cloudMetadataServer: false) still denies the metadata
// address: the VPC CNI enforces it (constructs/cluster, enableNetworkPolicy;
// singleUserNetworkPolicy).
type hubCloudMetadata struct {
	BlockWithIptables bool `json:"blockWithIptables"`
}

type hubLifecycle struct {
	PostStart hubHandler `json:"postStart"`
}

type hubHandler struct {
	Exec hubExec `json:"exec"`
}

type hubExec struct {
	Command []string `json:"command"`
}

// hubVolume is a Kubernetes Volume of the ConfigMap kind.
type hubVolume struct {
	Name      string           `json:"name"`
	ConfigMap *configMapVolume `json:"configMap,omitempty"`
}

type configMapVolume struct {
	Name  string      `json:"name"`
	Items []keyToPath `json:"items"`
}

type keyToPath struct {
	Key  string `json:"key"`
	Path string `json:"path"`
}

type hubVolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly"`
}

type hubImage struct {
	Name string `json:"name"`
	Tag  string `json:"tag"`
}

type hubStorage struct {
	Type          string            `json:"type"`
	Capacity      string            `json:"capacity"`
	HomeMountPath string            `json:"homeMountPath"`
	Dynamic       hubDynamicStorage `json:"dynamic"`
	// ExtraVolumes carry the sample notebooks (z2jh mounts them next to home).
	ExtraVolumes      []hubVolume      `json:"extraVolumes"`
	ExtraVolumeMounts []hubVolumeMount `json:"extraVolumeMounts"`
}

type hubDynamicStorage struct {
	StorageClass string `json:"storageClass"`
}

type hubProfile struct {
	DisplayName         string          `json:"display_name"`
	Description         string          `json:"description"`
	Default             bool            `json:"default,omitempty"`
	KubespawnerOverride hubProfileSizes `json:"kubespawner_override"`
}

type hubProfileSizes struct {
	CPULimit     float64 `json:"cpu_limit"`
	CPUGuarantee float64 `json:"cpu_guarantee"`
	MemLimit     string  `json:"mem_limit"`
	MemGuarantee string  `json:"mem_guarantee"`
}

type hubCull struct {
	Enabled bool `json:"enabled"`
	Timeout int  `json:"timeout"`
	Every   int  `json:"every"`
}

type hubScheduling struct {
	UserScheduler hubUserScheduler `json:"userScheduler"`
}

type hubUserScheduler struct {
	Enabled      bool              `json:"enabled"`
	NodeSelector map[string]string `json:"nodeSelector"`
}

type hubPrePuller struct {
	Hook       hubEnabled `json:"hook"`
	Continuous hubEnabled `json:"continuous"`
}

type hubEnabled struct {
	Enabled bool `json:"enabled"`
}

type hubIngress struct {
	Enabled          bool              `json:"enabled"`
	IngressClassName string            `json:"ingressClassName,omitempty"`
	Hosts            []string          `json:"hosts,omitempty"`
	PathType         string            `json:"pathType,omitempty"`
	Annotations      map[string]string `json:"annotations,omitempty"`
}

func jupyterHubValues(cfg *config.Config, out *outputs.Platform) (hubValues, error) {
	j := cfg.Platform.JupyterHub
	samples, err := sampleNotebookFiles()
	if err != nil {
		return hubValues{}, err
	}
	sampleConfigMap := charts.DefaultPlatformValues().SampleNotebooks.ConfigMap
	storageClass := charts.DefaultPlatformValues().StorageClass.Name
	env := map[string]string{
		"AWS_REGION":          cfg.Region,
		"AWS_DEFAULT_REGION":  cfg.Region,
		"ETL_CONF_AWS_REGION": cfg.Region,
		// The Arc kernel's Spark picks spark.* JVM properties up: S3A
		// authenticates with the pod's IRSA web identity token.
		"JAVA_OPTS": strings.Join(s3aJavaOpts(cfg.Region, out.KeyArn, eventLogBucket(cfg, out)), " "),
	}
	// The same ETL_CONF_* as the arc-job template (a test renders both),
	// so the samples run in the hub as shipped, except: the data lake URL
	// is the user's own prefix (KubeSpawner expands {username} in
	// environment values, jupyterhub/kubespawner spawner.py _expand_env)
	// and Glue tables get a suffix, so interactive runs never overwrite
	// what the scheduled jobs write.
	env["ETL_CONF_ENV"] = "test"
	env["ETL_CONF_TABLE_SUFFIX"] = hubTableSuffix
	if out.DataLakeBucket != "" {
		env["ETL_CONF_DATA_URL"] = "s3a://" + out.DataLakeBucket + "/" + hubSandboxPrefix + "/{username}"
	}
	if out.CodeBucket != "" {
		env["ETL_CONF_CODE_URL"] = "s3a://" + out.CodeBucket
	}
	if out.GlueDatabase != "" {
		env["ETL_CONF_GLUE_DATABASE"] = out.GlueDatabase
	}
	if out.AthenaWorkgroup != "" {
		env["ETL_CONF_ATHENA_WORKGROUP"] = out.AthenaWorkgroup
	}
	v := hubValues{
		Hub: hubHub{
			NodeSelector: onDemand(),
			ExtraEnv: map[string]envVar{
				loginUsernameEnvVar: {ValueFrom: envVarSource{SecretKeyRef: secretKeyRef{Name: loginSecretName, Key: loginUsernameKey}}},
				loginPasswordEnvVar: {ValueFrom: envVarSource{SecretKeyRef: secretKeyRef{Name: loginSecretName, Key: loginPasswordKey}}},
			},
			ExtraConfig: map[string]string{"blueprint-login": hubLoginConfig},
			DB:          hubDB{Type: "sqlite-pvc", PVC: hubPVC{StorageClassName: storageClass}},
		},
		// proxy.secretToken is left unset: z2jh generates and keeps it.
		Proxy: hubProxy{Service: hubService{Type: "ClusterIP"}, CHP: hubPod{NodeSelector: onDemand()}},
		SingleUser: hubSingleUser{
			Image:              hubImage{Name: arcJupyterImage, Tag: arcJupyterTag},
			DefaultURL:         "/lab",
			ServiceAccountName: workloads.Notebook.Name,
			NodeSelector:       onDemand(),
			Storage: hubStorage{
				Type:          "dynamic",
				Capacity:      strconv.Itoa(j.HomeSizeGiB) + "Gi",
				HomeMountPath: "/home/jovyan",
				Dynamic:       hubDynamicStorage{StorageClass: storageClass},
				// The platform chart (installed first) creates the ConfigMap.
				ExtraVolumes:      []hubVolume{hubSampleVolume(sampleConfigMap, samples)},
				ExtraVolumeMounts: []hubVolumeMount{{Name: samplesVolume, MountPath: samplesMountPath, ReadOnly: true}},
			},
			LifecycleHooks: hubLifecycle{PostStart: hubHandler{Exec: hubExec{Command: hubCopySamples()}}},
			CloudMetadata:  hubCloudMetadata{BlockWithIptables: false},
			NetworkPolicy:  singleUserNetworkPolicy(),
			ExtraEnv:       env,
			ProfileList: []hubProfile{
				profile("Small", "Arc notebook, %s CPU, %d GiB", j.Profiles.Small, true),
				profile("Large", "Arc notebook for bigger local Spark work, %s CPU, %d GiB", j.Profiles.Large, false),
			},
		},
		Cull:       hubCull{Enabled: true, Timeout: j.CullTimeoutMinutes * 60, Every: 300},
		Scheduling: hubScheduling{UserScheduler: hubUserScheduler{Enabled: true, NodeSelector: onDemand()}},
		// Pre-pulling the multi-GB image on every node would make each
		// install wait for it; the first start pulls it instead.
		PrePuller: hubPrePuller{Hook: hubEnabled{false}, Continuous: hubEnabled{false}},
	}
	if a := cfg.Platform.PublicAccess; a.Enabled {
		v.Ingress = hubIngress{
			Enabled:          true,
			IngressClassName: "alb",
			Hosts:            []string{a.Domain},
			PathType:         "Prefix",
			Annotations: map[string]string{
				"alb.ingress.kubernetes.io/scheme":           "internet-facing",
				"alb.ingress.kubernetes.io/target-type":      "ip",
				"alb.ingress.kubernetes.io/listen-ports":     `[{"HTTPS":443}]`,
				"alb.ingress.kubernetes.io/certificate-arn":  a.CertificateArn,
				"alb.ingress.kubernetes.io/ssl-policy":       "ELBSecurityPolicy-TLS13-1-2-2021-06",
				"alb.ingress.kubernetes.io/healthcheck-path": "/hub/health",
			},
		}
	}
	return v, nil
}

func profile(name, desc string, p config.JupyterProfile, def bool) hubProfile {
	cpu := strconv.FormatFloat(p.CPU, 'f', -1, 64)
	return hubProfile{
		DisplayName: name,
		Description: fmt.Sprintf(desc, cpu, p.MemoryGiB),
		Default:     def,
		KubespawnerOverride: hubProfileSizes{
			CPULimit: p.CPU, CPUGuarantee: p.CPU / 2,
			MemLimit: fmt.Sprintf("%dG", p.MemoryGiB), MemGuarantee: fmt.Sprintf("%dG", p.MemoryGiB),
		},
	}
}

// Interactive runs write under s3a://<lake>/sandbox/<user> and register
// Glue tables with this suffix.
const (
	hubSandboxPrefix = "sandbox"
	hubTableSuffix   = "_sandbox"
)

// eventLogBucket is where notebook sessions write Spark event logs; empty
// (no event logs) with platform.sparkHistory off.
func eventLogBucket(cfg *config.Config, out *outputs.Platform) string {
	if !cfg.Platform.SparkHistory.IsEnabled() {
		return ""
	}
	return out.LogsBucket
}

// s3aJavaOpts are the Spark settings of notebook sessions: the same S3A
// settings as the arc-job template (a test compares them) and event logs
// to the logs bucket for the Spark History Server.
func s3aJavaOpts(region, kmsKeyArn, logsBucket string) []string {
	opts := []string{
		"-XX:MaxRAMPercentage=75",
		"-Dspark.hadoop.fs.s3a.impl=org.apache.hadoop.fs.s3a.S3AFileSystem",
		"-Dspark.hadoop.fs.s3a.aws.credentials.provider=com.amazonaws.auth.WebIdentityTokenCredentialsProvider",
		"-Dspark.hadoop.fs.s3a.endpoint=s3." + region + ".amazonaws.com",
		"-Dspark.hadoop.fs.s3a.endpoint.region=" + region,
		"-Dspark.hadoop.fs.s3a.server-side-encryption-algorithm=SSE-KMS",
		"-Dspark.hadoop.fs.s3a.fast.upload=true",
	}
	if kmsKeyArn != "" {
		opts = append(opts, "-Dspark.hadoop.fs.s3a.server-side-encryption.key="+kmsKeyArn)
	}
	if logsBucket != "" {
		opts = append(opts,
			"-Dspark.eventLog.enabled=true",
			"-Dspark.eventLog.dir=s3a://"+logsBucket+"/"+charts.SparkEventsPrefix+"/",
			"-Dspark.eventLog.rolling.enabled=true")
	}
	return opts
}

// ---- cluster-autoscaler ----

type autoscalerValues struct {
	FullnameOverride string              `json:"fullnameOverride"`
	CloudProvider    string              `json:"cloudProvider"`
	AWSRegion        string              `json:"awsRegion"`
	AutoDiscovery    autoscalerDiscovery `json:"autoDiscovery"`
	Image            autoscalerImageRef  `json:"image"`
	RBAC             autoscalerRBAC      `json:"rbac"`
	NodeSelector     map[string]string   `json:"nodeSelector"`
	ExtraArgs        map[string]string   `json:"extraArgs"`
}

type autoscalerDiscovery struct {
	ClusterName string `json:"clusterName"`
}

type autoscalerImageRef struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
}

type autoscalerRBAC struct {
	ServiceAccount autoscalerSA `json:"serviceAccount"`
}

type autoscalerSA struct {
	Create      bool              `json:"create"`
	Name        string            `json:"name"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func clusterAutoscalerValues(cfg *config.Config, out *outputs.Platform) (autoscalerValues, error) {
	tag, ok := autoscalerImageTag(cfg.Cluster.Version)
	if !ok {
		return autoscalerValues{}, fmt.Errorf("no cluster-autoscaler image is pinned for Kubernetes %s; set cluster.version to one of %s",
			cfg.Cluster.Version, strings.Join(config.SupportedKubernetesVersions, ", "))
	}
	clusterName := out.ClusterName
	if clusterName == "" {
		clusterName = cfg.Name
	}
	return autoscalerValues{
		FullnameOverride: workloads.ClusterAutoscaler.Name,
		CloudProvider:    "aws",
		AWSRegion:        cfg.Region,
		AutoDiscovery:    autoscalerDiscovery{ClusterName: clusterName},
		Image:            autoscalerImageRef{Repository: autoscalerImage, Tag: tag},
		RBAC: autoscalerRBAC{ServiceAccount: autoscalerSA{
			Create: true, Name: workloads.ClusterAutoscaler.Name, Annotations: irsa(out.AutoscalerRole),
		}},
		NodeSelector: onDemand(),
		ExtraArgs: map[string]string{
			"balance-similar-node-groups":   "true",
			"skip-nodes-with-system-pods":   "false",
			"skip-nodes-with-local-storage": "false",
			"expander":                      "least-waste",
		},
	}, nil
}

// ---- AWS Load Balancer Controller ----

type lbcValues struct {
	ClusterName    string            `json:"clusterName"`
	Region         string            `json:"region"`
	VpcID          string            `json:"vpcId,omitempty"`
	ReplicaCount   int               `json:"replicaCount"`
	ServiceAccount autoscalerSA      `json:"serviceAccount"`
	NodeSelector   map[string]string `json:"nodeSelector"`
}

func loadBalancerControllerValues(cfg *config.Config, out *outputs.Platform) lbcValues {
	clusterName := out.ClusterName
	if clusterName == "" {
		clusterName = cfg.Name
	}
	return lbcValues{
		ClusterName:  clusterName,
		Region:       cfg.Region,
		VpcID:        out.VpcID,
		ReplicaCount: 2,
		// The chart creates the service account, annotated with the IRSA
		// role the cluster stack makes when public access is configured.
		ServiceAccount: autoscalerSA{Create: true, Name: workloads.LoadBalancerController.Name, Annotations: irsa(out.LBCRole)},
		NodeSelector:   onDemand(),
	}
}
