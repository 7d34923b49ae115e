// Package jobs carries the sample Arc ETL jobs: notebooks, SQL, schemas,
// sample data and the Argo workflows that run them. The binary embeds them
// so `blueprint jobs push` can upload them and JupyterHub can offer the
// notebooks; jobs/README.md describes the layout and the variables.
package jobs

import "embed"

// Samples holds every pipeline directory under jobs/, paths relative to
// jobs/ (e.g. "scd2-contacts/merge.ipynb").
//
//go:embed README.md scd2-contacts nyc-taxi
var Samples embed.FS
