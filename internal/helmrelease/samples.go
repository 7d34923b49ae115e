package helmrelease

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/sqletl/blueprint/charts"
	"github.com/sqletl/blueprint/jobs"
)

// Where the hub mounts the sample notebooks ConfigMap, and where in the
// home directory they are copied.
const (
	samplesVolume    = "sample-notebooks"
	samplesMountPath = "/opt/blueprint/samples"
	samplesHomeDir   = "samples"
)

// sampleNotebookFiles are the files JupyterHub users get in ~/samples: every
// notebook and SQL file of the sample jobs plus their README, read from the
// binary's copy of jobs/. Data, schemas and workflows stay out: notebooks
// read those from the code bucket, where `up` uploads them.
func sampleNotebookFiles() ([]charts.SampleFile, error) {
	var files []charts.SampleFile
	err := fs.WalkDir(jobs.Samples, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch path.Ext(p) {
		case ".ipynb", ".sql", ".md":
		default:
			return nil
		}
		data, err := fs.ReadFile(jobs.Samples, p)
		if err != nil {
			return err
		}
		files = append(files, charts.SampleFile{Key: sampleKey(p), Path: p, Content: string(data)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the sample notebooks: %w", err)
	}
	return files, nil
}

// sampleKey is p as a ConfigMap key: keys may not contain "/", so
// directories are joined with "__" (no sample file name contains it).
func sampleKey(p string) string { return strings.ReplaceAll(p, "/", "__") }

// hubSampleVolume mounts the ConfigMap with each key at its path, so the
// directory layout of jobs/ is kept.
func hubSampleVolume(configMap string, files []charts.SampleFile) hubVolume {
	items := make([]keyToPath, 0, len(files))
	for _, f := range files {
		items = append(items, keyToPath{Key: f.Key, Path: f.Path})
	}
	return hubVolume{Name: samplesVolume, ConfigMap: &configMapVolume{Name: configMap, Items: items}}
}

// The arc-jupyter image keeps its Jupyter configuration (custom.js/css,
// the notebook config with the pre-save hook that strips outputs) in
// /opt/.jupyter and copies it into the image's home at build time
// (tripl-ai/docker a3dc51f arc-jupyter/Dockerfile: COPY arc-jupyter/.jupyter
// /opt/.jupyter; cp -r /opt/.jupyter /home/${NB_USER}/.jupyter). The hub
// mounts a persistent home over it, so it is copied again on start.
const imageJupyterConfig = "/opt/.jupyter"

// hubCopySamples runs after each notebook server starts: copy the image's
// Jupyter configuration and the samples into the (persistent) home, never
// overwriting a file the user has (cp -n). -L because ConfigMap files are
// symlinks; the glob skips the volume's hidden ..data entries. A failed
// copy must not stop the server.
func hubCopySamples() []string {
	return []string{"sh", "-c",
		`if [ -d ` + imageJupyterConfig + ` ]; then mkdir -p "$HOME/.jupyter" && cp -Rn ` + imageJupyterConfig + `/. "$HOME/.jupyter/"; fi; ` +
			`mkdir -p "$HOME/` + samplesHomeDir + `" && cp -RLn ` + samplesMountPath + `/* "$HOME/` + samplesHomeDir + `/" || true`}
}
