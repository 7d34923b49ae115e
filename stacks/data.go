package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/catalog"
	"github.com/sqletl/blueprint/constructs/datalake"
	"github.com/sqletl/blueprint/constructs/encryption"
	"github.com/sqletl/blueprint/constructs/nag"
	"github.com/sqletl/blueprint/internal/config"
)

// DataStack holds everything stateful. It has termination protection and
// every resource is retained, so neither `cdk destroy` nor a mistaken
// stack deletion can take the data lake with it.
type DataStack struct {
	Stack    awscdk.Stack
	Key      *encryption.Key
	DataLake *datalake.DataLake
	Catalog  *catalog.Catalog
}

func newDataStack(scope constructs.Construct, id string, props *awscdk.StackProps, cfg *config.Config) *DataStack {
	props.TerminationProtection = jsii.Bool(true)
	stack := awscdk.NewStack(scope, &id, props)
	key := encryption.New(stack, "DataKey", encryption.Props{Description: "blueprint " + cfg.Name + " data key"})
	lake := datalake.New(stack, "DataLake", datalake.Props{Key: key.Key, ExistingBucketName: cfg.DataLake.ExistingBucket})
	nag.Suppress(lake.AccessLogs, nag.Rule{ID: "AwsSolutions-S1",
		Reason: "this is the server access log target; logging it into itself would loop"})
	cat := catalog.New(stack, "GlueDatabase", catalog.Props{Name: cfg.DataLake.GlueDatabase, Lake: lake.Bucket})

	output(stack, OutputKeyArn, key.Key.KeyArn(), "KMS key encrypting the platform's data")
	output(stack, OutputDataLakeBucket, lake.Bucket.BucketName(), "Data lake bucket")
	output(stack, OutputAccessLogsBucket, lake.AccessLogs.BucketName(), "Server access logs of the blueprint's buckets")
	output(stack, OutputGlueDatabase, cat.Database.Ref(), "Glue database of the lake's tables")
	return &DataStack{Stack: stack, Key: key, DataLake: lake, Catalog: cat}
}
