// Package mototest runs a real moto_server (the AWS API emulator) for tests:
// S3, Athena, CloudFormation and the rest answer on a local port, and SDK
// clients reach it through an aws.Config or the standard AWS_* environment,
// the same path production code uses. Nothing here fakes an AWS call.
package mototest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sqletl/blueprint/internal/wait"
)

const (
	// EnvRequire set to "1" turns a missing moto_server into a failure.
	EnvRequire = "BLUEPRINT_REQUIRE_MOTO"
	// EnvBinary names the moto_server executable explicitly.
	EnvBinary = "BLUEPRINT_MOTO_SERVER"

	// Region and AccountID are what moto answers for with the fake credentials.
	Region    = "us-east-1"
	AccountID = "123456789012"

	accessKeyID     = "testing"
	secretAccessKey = "testing"
	startTimeout    = 60 * time.Second
)

// ErrNotInstalled is wrapped by errors about a missing moto_server.
var ErrNotInstalled = errors.New("moto_server not installed")

// Server is one running moto_server.
type Server struct {
	// URL is the endpoint, e.g. http://127.0.0.1:41234.
	URL string

	cmd         *exec.Cmd
	logPath     string
	done        chan struct{}
	unavailable string // set by RunShared when moto_server is missing
}

// Start launches a moto_server for t and stops it in t.Cleanup. If
// moto_server is not installed t is skipped, or failed when
// BLUEPRINT_REQUIRE_MOTO=1.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Launch(t.Context())
	if errors.Is(err, ErrNotInstalled) {
		skipOrFail(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("moto_server log (test failed):\n%s", s.logTail(40))
		}
		s.Stop()
	})
	return s
}

// RunShared starts one Server for a whole test binary, stores it in *srv,
// runs the tests and stops it. Call it from TestMain:
//
//	var moto *mototest.Server
//
//	func TestMain(m *testing.M) { os.Exit(mototest.RunShared(m, &moto)) }
//
// and begin each test with moto.Require(t). When moto_server is missing
// (and BLUEPRINT_REQUIRE_MOTO is not "1") *srv is a placeholder whose
// Require skips, so the package's other tests still run.
//
// m is usually the *testing.M; any Runner lets it nest with kubetest:
//
//	func TestMain(m *testing.M) {
//		os.Exit(mototest.RunShared(mototest.RunFunc(func() int { return kubetest.RunShared(m, &env) }), &moto))
//	}
func RunShared(m Runner, srv **Server) int {
	s, err := Launch(context.Background())
	switch {
	case errors.Is(err, ErrNotInstalled) && !required():
		*srv = &Server{unavailable: err.Error()}
		return m.Run()
	case err != nil:
		fmt.Fprintf(os.Stderr, "mototest: %v\n", err)
		return 1
	}
	*srv = s
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "moto_server log (tests failed):\n%s", s.logTail(40))
	}
	s.Stop()
	return code
}

// Runner runs the tests and returns the exit code; *testing.M is one.
type Runner interface{ Run() int }

// RunFunc adapts a function to Runner.
type RunFunc func() int

// Run calls f.
func (f RunFunc) Run() int { return f() }

// Require skips t (or fails it under BLUEPRINT_REQUIRE_MOTO=1) when the
// Server set up by RunShared is unavailable, and returns s.
func (s *Server) Require(t testing.TB) *Server {
	t.Helper()
	if s == nil {
		t.Fatal("mototest: Server is nil; call mototest.RunShared from TestMain or use mototest.Start")
	}
	if s.unavailable != "" {
		skipOrFail(t, s.unavailable)
	}
	return s
}

// Launch starts moto_server on a free loopback port and waits until it
// answers. The caller must Stop it.
func Launch(ctx context.Context) (*Server, error) {
	bin, err := findBinary()
	if err != nil {
		return nil, err
	}
	// The port is picked by the kernel and released just before moto binds
	// it; a lost race shows as an early exit, so try a few ports.
	var lastErr error
	for range 3 {
		s, err := launchOnce(ctx, bin)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func launchOnce(ctx context.Context, bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	log, err := os.CreateTemp("", "moto-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	// moto must not see the developer's real credentials or endpoints.
	cmd.Env = append(cleanEnv(os.Environ()), NoDefaultAMIs)
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	s := &Server{
		URL:     "http://127.0.0.1:" + strconv.Itoa(port),
		cmd:     cmd,
		logPath: log.Name(),
		done:    make(chan struct{}),
	}
	go func() { _ = cmd.Wait(); log.Close(); close(s.done) }()

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	err = wait.Until(ctx, "moto_server at "+s.URL, wait.Backoff{Initial: 50 * time.Millisecond, Max: 250 * time.Millisecond, Factor: 1.5}, nil,
		func(ctx context.Context) (bool, error) {
			select {
			case <-s.done:
				return false, fmt.Errorf("moto_server exited during startup:\n%s", s.logTail(20))
			default:
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/moto-api/data.json", nil)
			resp, err := client.Do(req)
			if err != nil {
				return false, nil
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, nil
		})
	if err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop ends the moto_server process group and removes its log. It is safe
// to call more than once.
func (s *Server) Stop() {
	if s == nil || s.cmd == nil {
		return
	}
	pgid := s.cmd.Process.Pid // Setpgid: moto leads its own group
	select {
	case <-s.done:
	default:
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-s.done
		}
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	_ = os.Remove(s.logPath)
}

// AWSConfig returns an SDK config that sends every service to the server
// with static fake credentials in Region.
func (s *Server) AWSConfig(t testing.TB) aws.Config {
	t.Helper()
	cfg, err := awsconfig.LoadDefaultConfig(t.Context(),
		awsconfig.WithRegion(Region),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, "")),
		awsconfig.WithBaseEndpoint(s.URL),
		// Ignore the developer's ~/.aws: a profile there must not change
		// what the test talks to.
		awsconfig.WithSharedConfigFiles([]string{}),
		awsconfig.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		t.Fatalf("mototest: aws config: %v", err)
	}
	return cfg
}

// Environ returns the environment variables that point the AWS SDKs and
// CLI at the server, for t.Setenv or a child process's Env.
func (s *Server) Environ() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.URL,
		"AWS_ACCESS_KEY_ID=" + accessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + secretAccessKey,
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Setenv applies Environ to the test process for the duration of t (so code
// that calls awsapi.Load reaches the server), and clears AWS_PROFILE.
func (s *Server) Setenv(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, kv := range s.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Reset drops every resource in every moto backend, so tests sharing one
// server can start clean.
func (s *Server) Reset(t testing.TB) {
	t.Helper()
	s.post(t, "/moto-api/reset", nil, http.StatusOK)
}

// SeedAthenaResults queues one result set for the next Athena query whose
// results are read (moto does not run SQL). Like real Athena for a SELECT,
// the first row returned is the header row holding the column names.
func (s *Server) SeedAthenaResults(t testing.TB, rows [][]string, columns []string) {
	t.Helper()
	type datum struct {
		VarCharValue *string `json:",omitempty"`
	}
	type row struct{ Data []datum }
	toRow := func(vals []string) row {
		r := row{Data: make([]datum, len(vals))}
		for i := range vals {
			r.Data[i] = datum{VarCharValue: &vals[i]}
		}
		return r
	}
	all := []row{toRow(columns)}
	for _, r := range rows {
		if len(r) != len(columns) {
			t.Fatalf("mototest: SeedAthenaResults: row %v has %d values, want %d columns", r, len(r), len(columns))
		}
		all = append(all, toRow(r))
	}
	info := make([]map[string]any, len(columns))
	for i, c := range columns {
		info[i] = map[string]any{
			"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": c, "Label": c,
			"Type": "varchar", "Precision": 2147483647, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": true,
		}
	}
	body := map[string]any{
		"account_id": AccountID,
		"region":     Region,
		"results":    []any{map[string]any{"rows": all, "column_info": info}},
	}
	s.post(t, "/moto-api/static/athena/query-results", body, http.StatusCreated)
}

func (s *Server) post(t testing.TB, path string, body any, want int) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("mototest: POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("mototest: POST %s: status %d, want %d: %s", path, resp.StatusCode, want, msg)
	}
}

func (s *Server) logTail(n int) string {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(no moto log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "moto| " + strings.Join(lines, "\nmoto| ") + "\n"
}

// findBinary resolves moto_server: $BLUEPRINT_MOTO_SERVER, else PATH. A
// pyenv shim is resolved to the real script, which saves the shim's own
// second or so of startup.
func findBinary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: $%s=%q: %v", ErrNotInstalled, EnvBinary, p, err)
		}
		return p, nil
	}
	p, err := exec.LookPath("moto_server")
	if err != nil {
		return "", fmt.Errorf("%w: not on PATH (pip install 'moto[server]', or set $%s)", ErrNotInstalled, EnvBinary)
	}
	if filepath.Base(filepath.Dir(p)) == "shims" {
		if out, err := exec.Command("pyenv", "which", "moto_server").Output(); err == nil {
			if real := strings.TrimSpace(string(out)); real != "" {
				return real, nil
			}
		}
	}
	return p, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// NoDefaultAMIs is moto's setting that leaves out its default public AMIs
// (moto/settings.py ec2_load_default_amis), and with them the 1,177
// snapshots of their block devices in every region. moto filters
// DescribeSnapshots in Python over every snapshot it holds, so with them
// each of down's tag-filtered snapshot queries (awsapi.Leftovers.Find)
// took 0.37 s of CPU: 95 of moto's 137 CPU-seconds in internal/platform's
// tests, which went from 56 s to 21 s without them (a cProfile of
// moto_server, docs/performance.md). Nothing blueprint deploys reads an
// AMI: EKS managed node groups pick theirs by AMI type.
const NoDefaultAMIs = "MOTO_EC2_LOAD_DEFAULT_AMIS=false"

// cleanEnv drops AWS_* so moto's own boto3 use is not redirected.
func cleanEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}

func required() bool { return os.Getenv(EnvRequire) == "1" }

func skipOrFail(t testing.TB, reason string) {
	t.Helper()
	if required() {
		t.Fatalf("mototest: %s\n%s=1, so this is a failure", reason, EnvRequire)
	}
	t.Skipf("mototest: %s (set %s=1 to fail instead)", reason, EnvRequire)
}
