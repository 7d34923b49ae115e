// Command blueprint stands up and runs a SQL ETL platform on Amazon EKS.
// Everything happens in internal/cli.
package main

import (
	"os"

	"github.com/sqletl/blueprint/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}
