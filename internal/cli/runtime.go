package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sqletl/blueprint/internal/awsapi"
	"github.com/sqletl/blueprint/internal/deploy"
	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/internal/ui"
)

// platformAWS builds the AWS clients the platform actions use. Nothing
// here calls AWS; the first call happens in the action's first step.
func (f *Factory) platformAWS(ctx context.Context) (platform.AWS, platform.RetainedAPI, error) {
	cfg, err := f.AWS(ctx)
	if err != nil {
		return platform.AWS{}, nil, err
	}
	return platform.AWS{
		Stacks:        cloudformation.NewFromConfig(cfg),
		Identity:      sts.NewFromConfig(cfg),
		Objects:       s3.NewFromConfig(cfg, f.s3Options),
		Secrets:       secretsmanager.NewFromConfig(cfg),
		LoadBalancers: awsapi.LoadBalancers{API: elbv2.NewFromConfig(cfg)},
		Clusters:      eks.NewFromConfig(cfg),
		Zones:         ec2.NewFromConfig(cfg),
		Leftovers: awsapi.Leftovers{EC2: ec2.NewFromConfig(cfg), ELB: elbv2.NewFromConfig(cfg),
			Logs: cloudwatchlogs.NewFromConfig(cfg)},
	}, retainedClients{glue.NewFromConfig(cfg), kms.NewFromConfig(cfg)}, nil
}

// pathStyleS3: a custom endpoint (AWS_ENDPOINT_URL, e.g. an emulator or a
// VPC endpoint) resolves bucket names in the path, not the host name.
func (f *Factory) pathStyleS3() bool {
	return os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
}

// s3Options: path-style addressing for custom endpoints, and no SDK log
// line when a response (such as a multipart object) carries no checksum
// to validate: progress output is blueprint's, not the SDK's.
func (f *Factory) s3Options(o *s3.Options) {
	o.UsePathStyle = f.pathStyleS3()
	o.DisableLogOutputChecksumValidationSkipped = true
}

// retainedClients joins the Glue and KMS calls of `down --delete-data`.
type retainedClients struct {
	glue *glue.Client
	kms  *kms.Client
}

func (r retainedClients) DeleteDatabase(ctx context.Context, in *glue.DeleteDatabaseInput, o ...func(*glue.Options)) (*glue.DeleteDatabaseOutput, error) {
	return r.glue.DeleteDatabase(ctx, in, o...)
}

func (r retainedClients) ScheduleKeyDeletion(ctx context.Context, in *kms.ScheduleKeyDeletionInput, o ...func(*kms.Options)) (*kms.ScheduleKeyDeletionOutput, error) {
	return r.kms.ScheduleKeyDeletion(ctx, in, o...)
}

// progressPrinter prints steps and stack events on stderr.
type progressPrinter struct{ p *ui.Progress }

func (pp progressPrinter) StepStarted(name string) { pp.p.Start("%s", name) }
func (pp progressPrinter) StepDone(name, detail string) {
	if detail != "" {
		pp.p.Done("%s: %s", name, detail)
		return
	}
	pp.p.Done("%s", name)
}
func (pp progressPrinter) Info(format string, args ...any) { pp.p.Info(format, args...) }

// event prints one resource event; failures always, the rest with --verbose
// or on a terminal.
func (pp progressPrinter) event(e deploy.Event) {
	line := fmt.Sprintf("  %-20s %-22s %-45s %s", e.Stack, e.Status, e.LogicalID, e.ResourceType)
	if e.Reason != "" && e.Failed() {
		line += ": " + e.Reason
	}
	if e.Failed() {
		pp.p.Warn("%s", line)
		return
	}
	if e.ResourceType == "" && e.LogicalID == e.Stack {
		// The deployer's own recovery of a failed stack (continuing a
		// rollback, retrying a delete): always said.
		pp.p.Info("stack %s: %s %s", e.Stack, strings.ToLower(strings.ReplaceAll(e.Status, "_", " ")), e.Reason)
		return
	}
	pp.p.Detail("%s", line)
}
