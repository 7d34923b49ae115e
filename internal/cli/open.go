package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/sqletl/blueprint/internal/kube"
	"github.com/sqletl/blueprint/internal/ui"
)

// OpenOptions are the inputs of `blueprint open`.
type OpenOptions struct {
	IO     *ui.IOStreams
	Output OutputFormat
	// App is "argo" or "jupyter".
	App       string
	Port      int
	NoBrowser bool
	ShowLogin bool
	// KubeConfig connects to the cluster (Factory.KubeConfig).
	KubeConfig func(ctx context.Context) (*rest.Config, error)
	// Browser opens a URL; nil when there is no display to open it on.
	Browser Browser
}

// OpenResult is the --output json view, written once the port listens.
type OpenResult struct {
	App       string     `json:"app"`
	URL       string     `json:"url"`
	Namespace string     `json:"namespace"`
	Service   string     `json:"service"`
	Pod       string     `json:"pod"`
	Login     *OpenLogin `json:"login,omitempty"`
}

// OpenLogin is the login, present only with --show-login.
type OpenLogin struct {
	Token    string `json:"token,omitempty"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// Browser opens URLs.
type Browser interface {
	Open(url string) error
}

func newCmdOpen(f *Factory, runF func(*OpenOptions) error) *cobra.Command {
	opts := &OpenOptions{IO: f.IOStreams}
	apps := slices.Sorted(func(yield func(string) bool) {
		for name := range kube.Apps() {
			if !yield(name) {
				return
			}
		}
	})
	cmd := &cobra.Command{
		Use:   "open argo|jupyter|spark-history",
		Short: "Reach Argo, JupyterHub or the Spark History Server through a port-forward",
		Long: `Forward a local port on 127.0.0.1 to Argo's server, JupyterHub's proxy or the
Spark History Server (the Spark UI of finished jobs and notebook sessions) through
the Kubernetes API (nothing is exposed on the internet), print the local URL
and open it in a browser when there is a display. Runs until interrupted.

--show-login also prints how to sign in: the Argo token of the argo-ui
service account, or the JupyterHub username and password. They are never
printed otherwise.`,
		Example: `  blueprint open jupyter
  blueprint open argo --show-login
  blueprint open jupyter --port 8888 --no-browser
  blueprint open spark-history`,
		ValidArgs: apps,
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Port < 0 || opts.Port > 65535 {
				return usageErrorf("--port must be between 1 and 65535 (or 0 for a free port), not %d", opts.Port)
			}
			if opts.ShowLogin && kube.Apps()[args[0]].NoLogin {
				return usageErrorf("%s has no login; drop --show-login", args[0])
			}
			opts.App, opts.Output, opts.KubeConfig = args[0], f.Globals.Output, f.KubeConfig
			if !opts.NoBrowser {
				opts.Browser = systemBrowser(os.Getenv, exec.LookPath)
			}
			if runF != nil {
				return runF(opts)
			}
			return openRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVarP(&opts.Port, "port", "p", 0, "local port (default: a free one)")
	cmd.Flags().BoolVar(&opts.NoBrowser, "no-browser", false, "only print the URL")
	cmd.Flags().BoolVar(&opts.ShowLogin, "show-login", false, "print the login (Argo token, JupyterHub password)")
	return cmd
}

func openRun(ctx context.Context, opts *OpenOptions) error {
	app, ok := kube.Apps()[opts.App]
	if !ok {
		return usageErrorf("unknown app %q: use argo, jupyter or spark-history", opts.App)
	}

	cfg, err := opts.KubeConfig(ctx)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	backend, err := kube.ResolveBackend(ctx, cs, app)
	if err != nil {
		return err
	}
	var login *OpenLogin
	if opts.ShowLogin {
		l, err := kube.ReadLogin(ctx, cs, app)
		if err != nil {
			return err
		}
		login = &OpenLogin{Token: l.Token, Username: l.Username, Password: l.Password}
	}
	p := opts.IO.Progress()
	fw := kube.ForwardOptions{Config: cfg, Backend: backend, LocalPort: opts.Port}
	if opts.IO.Verbose() {
		fw.ErrOut = opts.IO.ErrOut
	}
	var printErr error
	fw.Ready = func(port int) {
		res := OpenResult{App: app.Name, URL: app.URL(port), Namespace: app.Namespace, Service: app.Service, Pod: backend.Pod, Login: login}
		printErr = printOpen(opts, res)
		p.Done("Forwarding 127.0.0.1:%d to %s/%s (pod %s, port %d); press Ctrl-C to stop",
			port, app.Namespace, app.Service, backend.Pod, backend.Port)
		if login == nil && !app.NoLogin {
			p.Info("blueprint open %s --show-login prints the login", app.Name)
		}
		if opts.Browser != nil {
			if err := opts.Browser.Open(res.URL); err != nil {
				p.Warn("could not open a browser (%v); open %s yourself", err, res.URL)
			}
		}
	}
	if err := kube.Forward(ctx, fw); err != nil {
		return err
	}
	return printErr
}

func printOpen(opts *OpenOptions, res OpenResult) error {
	if opts.Output == OutputJSON {
		return opts.IO.WriteJSON(res)
	}
	w := opts.IO.Out
	fmt.Fprintln(w, res.URL)
	switch l := res.Login; {
	case l == nil:
	case l.Token != "":
		fmt.Fprintf(w, "Token: Bearer %s\n", l.Token)
	default:
		fmt.Fprintf(w, "Username: %s\nPassword: %s\n", l.Username, l.Password)
	}
	return nil
}

// commandBrowser opens URLs with a desktop helper (xdg-open, open),
// passing the URL as one argument.
type commandBrowser struct{ command string }

func (b commandBrowser) Open(url string) error {
	cmd := exec.Command(b.command, url)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", b.command, err, out)
	}
	return nil
}

// systemBrowser returns the platform's URL opener, or nil when there is
// no display (SSH session, CI, container) or no opener installed.
func systemBrowser(getenv func(string) string, lookPath func(string) (string, error)) Browser {
	return browserFor(runtime.GOOS, getenv, lookPath)
}

func browserFor(goos string, getenv func(string) string, lookPath func(string) (string, error)) Browser {
	var command string
	switch goos {
	case "darwin":
		command = "open"
	case "linux", "freebsd", "openbsd", "netbsd":
		if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
			return nil
		}
		command = "xdg-open"
	default:
		return nil
	}
	path, err := lookPath(command)
	if err != nil {
		return nil
	}
	return commandBrowser{command: path}
}
