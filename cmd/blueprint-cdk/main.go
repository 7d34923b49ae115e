// Command blueprint-cdk is the CDK app program that cdk.json runs, so plain
// `cdk synth` and `cdk deploy` build the same stacks as `blueprint`.
// The config file is `-c config=FILE`, else $BLUEPRINT_CONFIG, else
// blueprint.yaml (optional: all fields have defaults).
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/stacks"
)

func main() { os.Exit(run()) }

// run is main without os.Exit, so jsii.Close always runs: it ends the
// CDK's node child and removes the directory jsii unpacked itself into
// under $TMPDIR, which an os.Exit past a deferred Close left behind.
func run() int {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	path, explicit := config.DefaultFile, false
	if v, ok := app.Node().TryGetContext(jsii.String("config")).(string); ok && v != "" {
		path, explicit = v, true
	} else if v := os.Getenv("BLUEPRINT_CONFIG"); v != "" {
		path, explicit = v, true
	}
	cfg, err := config.Load(path, explicit)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stacks.Build(app, cfg)
	app.Synth(nil)
	return 0
}
