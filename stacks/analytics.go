package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/sqletl/blueprint/constructs/analytics"
	"github.com/sqletl/blueprint/constructs/datalake"
	"github.com/sqletl/blueprint/constructs/login"
	"github.com/sqletl/blueprint/constructs/nag"
	"github.com/sqletl/blueprint/internal/config"
)

// AnalyticsStack holds what the platform can recreate: job code, logs,
// the Athena workgroup and the hub login. `down` empties its buckets.
type AnalyticsStack struct {
	Stack     awscdk.Stack
	Code      awss3.Bucket
	Logs      awss3.Bucket
	Workgroup *analytics.Workgroup
	Login     *login.Login
}

func newAnalyticsStack(scope constructs.Construct, id string, props *awscdk.StackProps, cfg *config.Config, data *DataStack) *AnalyticsStack {
	stack := awscdk.NewStack(scope, &id, props)
	key := data.Key.Key
	code := datalake.NewSecureBucket(stack, "CodeBucket", datalake.BucketProps{
		Key: key, AccessLogs: data.DataLake.AccessLogs, AccessLogPrefix: "code/", Versioned: true,
	})
	logs := datalake.NewSecureBucket(stack, "LogsBucket", datalake.BucketProps{
		Key: key, AccessLogs: data.DataLake.AccessLogs, AccessLogPrefix: "logs/", ExpireAfterDays: 90,
	})
	wg := analytics.New(stack, "Workgroup", analytics.Props{
		Name:                       cfg.Name + "-etl",
		Results:                    logs,
		Key:                        key,
		BytesScannedCutoffPerQuery: cfg.Athena.BytesScannedCutoffPerQuery,
	})
	hub := login.New(stack, "JupyterLogin", login.Props{Key: key, Name: LoginSecretName(cfg)})
	nag.Suppress(hub.Secret, nag.Rule{ID: "AwsSolutions-SMG4",
		Reason: "rotation needs a Lambda (blueprint ships none); rotate by re-running `blueprint up --rotate-login`"})

	output(stack, OutputCodeBucket, code.BucketName(), "Job code (notebooks, SQL, schemas)")
	output(stack, OutputLogsBucket, logs.BucketName(), "Spark event logs, Argo artifacts, Athena results")
	output(stack, OutputAthenaWorkgroup, wg.WorkGroup.Ref(), "Athena workgroup")
	output(stack, OutputAthenaResults, wg.ResultsLocation, "Athena query results location")
	output(stack, OutputLoginSecretArn, hub.Secret.SecretArn(), "Secrets Manager secret with the JupyterHub login")
	return &AnalyticsStack{Stack: stack, Code: code, Logs: logs, Workgroup: wg, Login: hub}
}
