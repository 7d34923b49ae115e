// Package catalog builds the Glue Data Catalog database that ETL jobs
// register their tables in and Athena queries.
package catalog

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// LogicalID of the database, pinned: replacing it drops every table definition.
const LogicalID = "GlueDatabase"

// Props configures the database.
type Props struct {
	// Name of the Glue database. Required (lower case, digits, '_').
	Name string
	// Lake is where tables live by default.
	Lake awss3.IBucket
	// Description; default names the blueprint.
	Description string
}

// Catalog is the built database.
type Catalog struct {
	Database awsglue.CfnDatabase
	// Name is the database name, for IAM ARNs and outputs.
	Name string
}

// New builds the database, retained when its stack is deleted.
func New(scope constructs.Construct, id string, props Props) *Catalog {
	if props.Description == "" {
		props.Description = "Tables written by blueprint ETL jobs"
	}
	db := awsglue.NewCfnDatabase(scope, jsii.String(id), &awsglue.CfnDatabaseProps{
		CatalogId: awscdk.Aws_ACCOUNT_ID(),
		DatabaseInput: &awsglue.CfnDatabase_DatabaseInputProperty{
			Name:        jsii.String(props.Name),
			Description: jsii.String(props.Description),
			LocationUri: jsii.String("s3://" + *props.Lake.BucketName() + "/"),
		},
	})
	db.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	db.OverrideLogicalId(jsii.String(LogicalID))
	return &Catalog{Database: db, Name: props.Name}
}
