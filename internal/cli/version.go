package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/sqletl/blueprint/internal/ui"
)

// version is set when releasing:
//
//	go build -ldflags "-X github.com/sqletl/blueprint/internal/cli.version=v1.2.3"
//
// Otherwise the module version or VCS revision from the build info is used.
var version string

// VersionOptions are the inputs of `blueprint version`.
type VersionOptions struct {
	IO     *ui.IOStreams
	Output OutputFormat
	Info   VersionInfo
}

// VersionInfo describes this binary; it is also the --output json view.
type VersionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

func newCmdVersion(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "version",
		Short: "Print blueprint's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			opts.Info = buildVersion()
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
}

func versionRun(opts *VersionOptions) error {
	if opts.Output == OutputJSON {
		return opts.IO.WriteJSON(opts.Info)
	}
	i := opts.Info
	commit := ""
	if i.Commit != "" {
		commit = ", commit " + i.Commit
	}
	_, err := fmt.Fprintf(opts.IO.Out, "blueprint %s (%s%s, %s)\n", i.Version, i.GoVersion, commit, i.Platform)
	return err
}

func buildVersion() VersionInfo {
	info := VersionInfo{
		Version:   version,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return withDevVersion(info)
	}
	if info.Version == "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value[:min(len(s.Value), 12)]
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && info.Commit != "" {
		info.Commit += "-dirty"
	}
	return withDevVersion(info)
}

func withDevVersion(i VersionInfo) VersionInfo {
	if i.Version == "" {
		i.Version = "dev"
	}
	return i
}
