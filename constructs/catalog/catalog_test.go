package catalog_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/catalog"
	"github.com/sqletl/blueprint/internal/cdktest"
)

func TestDatabase(t *testing.T) {
	stack := cdktest.Stack(t)
	lake := awss3.Bucket_FromBucketName(stack, jsii.String("Lake"), jsii.String("lake-bucket"))
	c := catalog.New(stack, "Db", catalog.Props{Name: "etl_lake", Lake: lake})
	if c.Name != "etl_lake" {
		t.Errorf("Name = %q", c.Name)
	}
	_, doc := cdktest.Template(t, stack)
	db, ok := cdktest.Resources(doc, "AWS::Glue::Database")[catalog.LogicalID]
	if !ok {
		t.Fatalf("Glue database logical ID %q not pinned", catalog.LogicalID)
	}
	if db["DeletionPolicy"] != "Retain" {
		t.Error("database must be retained")
	}
	in := cdktest.Props(db)["DatabaseInput"].(map[string]any)
	if in["Name"] != "etl_lake" || in["LocationUri"] != "s3://lake-bucket/" {
		t.Errorf("DatabaseInput = %v", in)
	}
}
