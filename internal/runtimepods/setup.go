package runtimepods

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
)

// debianPython is Debian's interpreter, which sees the python3-* packages
// (a pyenv or virtualenv python3 earlier on PATH would not).
const debianPython = "/usr/bin/python3"

// pythonModules maps each module jupyterhub_config.py (and the parts of
// JupyterHub 5.5.0 it imports: jupyterhub.utils, jupyterhub.traitlets)
// needs to the Debian package that provides it.
var pythonModules = []struct{ module, pkg string }{
	{"traitlets", "python3-traitlets"},
	{"tornado", "python3-tornado"},
	{"pycurl", "python3-pycurl"}, // AsyncHTTPClient.configure("tornado.curl_httpclient...")
	{"yaml", "python3-yaml"},     // z2jh.py
	{"kubernetes", "python3-kubernetes"},
	{"sqlalchemy", "python3-sqlalchemy"}, // jupyterhub.utils
	{"idna", "python3-idna"},             // jupyterhub.utils
}

// EnsurePython makes sure Debian's python3 can import what HubUserPods
// runs, installing the missing packages with apt-get when running as root.
// It returns an error naming the packages otherwise.
func EnsurePython(ctx context.Context) error {
	var missing []string
	for _, m := range pythonModules {
		if exec.CommandContext(ctx, debianPython, "-c", "import "+m.module).Run() != nil {
			missing = append(missing, m.pkg)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("python modules missing; run: sudo apt-get install -y --no-install-recommends %v", missing)
	}
	args := append([]string{"install", "-y", "--no-install-recommends"}, missing...)
	cmd := exec.CommandContext(ctx, "apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("apt-get install %v: %w: %s", missing, err, lastLines(out.String(), 10))
	}
	return nil
}
