package helmrelease

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/ignore"
	"helm.sh/helm/v3/pkg/registry"

	"github.com/sqletl/blueprint/charts"
)

// ChartError says a release's chart could not be obtained, and which
// config field or flag points elsewhere.
type ChartError struct {
	Release, Field, Source string
	Err                    error
	// Mirror is the chart mirror searched first ("" when none was given).
	Mirror string
	// BadMirror is set when the mirror itself is at fault (missing
	// directory, wrong digest), not the repository.
	BadMirror bool
}

func (e *ChartError) Error() string {
	if e.BadMirror {
		return fmt.Sprintf("release %s: reading the chart mirror: %v", e.Release, e.Err)
	}
	hint := fmt.Sprintf("name a directory of <chart>-<version>.tgz archives with %s (or $%s)", MirrorFlag, MirrorEnv)
	if e.Mirror != "" {
		hint = fmt.Sprintf("add the chart's <chart>-<version>.tgz to the chart mirror %s, which does not hold it", e.Mirror)
	}
	return fmt.Sprintf("release %s: getting chart from %s: %v; make it reachable, set %s.chart to a mirror (https://...), an oci:// reference or a local chart directory, or %s",
		e.Release, e.Source, e.Err, e.Field, hint)
}

func (e *ChartError) Unwrap() error { return e.Err }

// MirrorFlag and MirrorEnv name the chart mirror in messages; the CLI
// reads them (Releases.ChartMirror).
const (
	MirrorFlag = "--chart-mirror"
	MirrorEnv  = "BLUEPRINT_CHART_MIRROR"
)

// MirrorSums is the optional digest list in a chart mirror, in sha256sum's
// format ("<hex>  <file>"). When present, every archive read from the
// mirror must be listed in it with a matching digest.
const MirrorSums = "SHA256SUMS"

// ArchiveName is a chart's file name in a mirror, as `helm package` and
// `helm pull` write it.
func (u Upstream) ArchiveName() string { return u.Chart + "-" + u.Version + ".tgz" }

// loadChart returns the release's chart: ours from the binary; an upstream
// one from the release's configured source (platform.<release>.chart)
// when set, else from the chart mirror when it holds
// <chart>-<version>.tgz, else from the pinned repository.
func (r *Releases) loadChart(s spec) (*chart.Chart, error) {
	if s.upstream == nil {
		return charts.Platform()
	}
	up := *s.upstream
	src := s.source
	fromMirror := false
	if src == "" && r.ChartMirror != "" {
		archive, err := r.mirrorArchive(up)
		if err != nil {
			return nil, &ChartError{Release: s.name, Field: s.field, Source: r.ChartMirror, Err: err, Mirror: r.ChartMirror, BadMirror: true}
		}
		if archive != "" {
			src, fromMirror = archive, true
		}
	}
	if src == "" {
		src = up.Repository
	}
	fail := func(err error) error {
		e := &ChartError{Release: s.name, Field: s.field, Source: src, Err: err}
		if s.source == "" {
			e.Mirror = r.ChartMirror
		}
		return e
	}
	path, err := r.locate(up, src)
	if err != nil {
		return nil, fail(err)
	}
	ch, err := loader.Load(path)
	if err != nil {
		return nil, fail(err)
	}
	if ch.Metadata.Name != up.Chart {
		return nil, fail(fmt.Errorf("found chart %q, want %q", ch.Metadata.Name, up.Chart))
	}
	if fromMirror {
		if ch.Metadata.Version != up.Version {
			return nil, fail(fmt.Errorf("%s holds chart version %s, want %s", src, ch.Metadata.Version, up.Version))
		}
		if err := applyHelmignore(ch); err != nil {
			return nil, fail(err)
		}
	}
	return ch, nil
}

// locate downloads (or finds) the chart and returns its local path.
func (r *Releases) locate(up Upstream, src string) (string, error) {
	isURL := strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://")
	if !isURL && !registry.IsOCI(src) {
		if _, err := os.Stat(src); err != nil {
			return "", err
		}
		return src, nil
	}
	cache, err := r.cacheDir()
	if err != nil {
		return "", err
	}
	settings := cli.New()
	settings.RepositoryCache = filepath.Join(cache, "repository")
	settings.RepositoryConfig = filepath.Join(cache, "repositories.yaml")
	settings.RegistryConfig = filepath.Join(cache, "registry", "config.json")
	if err := os.MkdirAll(settings.RepositoryCache, 0o755); err != nil {
		return "", err
	}
	// An Install carries the ChartPathOptions (and their registry client);
	// it is only used to locate the chart.
	opts := action.NewInstall(&action.Configuration{})
	opts.Version = up.Version
	name := up.Chart
	if registry.IsOCI(src) {
		rc, err := registry.NewClient(registry.ClientOptCredentialsFile(settings.RegistryConfig), registry.ClientOptWriter(io.Discard))
		if err != nil {
			return "", err
		}
		opts.SetRegistryClient(rc)
		name = src
	} else {
		opts.RepoURL = src
	}
	return opts.LocateChart(name, settings)
}

// mirrorArchive returns the path of the pinned chart in the mirror, or ""
// when the mirror does not hold it. A mirror directory that does not exist
// and an archive whose digest does not match the mirror's SHA256SUMS are
// errors.
func (r *Releases) mirrorArchive(up Upstream) (string, error) {
	dir := r.ChartMirror
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("chart mirror %s (%s, $%s) is not a directory; give a directory of <chart>-<version>.tgz archives", dir, MirrorFlag, MirrorEnv)
	}
	path := filepath.Join(dir, up.ArchiveName())
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	sums, err := readSums(filepath.Join(dir, MirrorSums))
	if errors.Is(err, os.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return "", err
	}
	want, ok := sums[up.ArchiveName()]
	if !ok {
		return "", fmt.Errorf("%s is not listed in %s; add its sha256sum line", path, filepath.Join(dir, MirrorSums))
	}
	got, err := fileSHA256(path)
	if err != nil {
		return "", err
	}
	if got != want {
		return "", fmt.Errorf("%s has SHA-256 %s but %s lists %s; the archive is not the one the mirror was made with", path, got, MirrorSums, want)
	}
	return path, nil
}

// readSums parses sha256sum output: "<hex>  <name>" (or "<hex> *<name>").
func readSums(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok {
			continue
		}
		sums[strings.TrimPrefix(strings.TrimSpace(name), "*")] = strings.ToLower(sum)
	}
	return sums, sc.Err()
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// applyHelmignore drops the files the chart's own .helmignore excludes.
// `helm package` applies it, but Helm does not when it loads an archive
// (pkg/chart/loader), so an archive packed by other means, as a mirror's
// may be, can carry files the published chart does not: the load balancer
// controller's crds/kustomization.yaml, which Helm would then try to
// install as a CRD and fail.
func applyHelmignore(ch *chart.Chart) error {
	var rules *ignore.Rules
	for _, f := range ch.Files {
		if f.Name == ignore.HelmIgnore {
			r, err := ignore.Parse(strings.NewReader(string(f.Data)))
			if err != nil {
				return fmt.Errorf("parsing the chart's %s: %w", ignore.HelmIgnore, err)
			}
			rules = r
		}
	}
	if rules == nil {
		return nil
	}
	keep := func(name string) bool { return !rules.Ignore(name, fileInfo(name)) }
	files := ch.Files[:0]
	for _, f := range ch.Files {
		if keep(f.Name) {
			files = append(files, f)
		}
	}
	ch.Files = files
	templates := ch.Templates[:0]
	for _, f := range ch.Templates {
		if keep(f.Name) {
			templates = append(templates, f)
		}
	}
	ch.Templates = templates
	return nil
}

// fileInfo is the os.FileInfo of a regular file, which ignore.Rules asks for.
type fileInfo string

func (f fileInfo) Name() string       { return filepath.Base(string(f)) }
func (f fileInfo) Size() int64        { return 0 }
func (f fileInfo) Mode() os.FileMode  { return 0o644 }
func (f fileInfo) ModTime() time.Time { return time.Time{} }
func (f fileInfo) IsDir() bool        { return false }
func (f fileInfo) Sys() any           { return nil }
