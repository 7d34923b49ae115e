package kubetest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// process is one child (etcd or kube-apiserver) whose stdout and stderr go to
// a log file in the Env's temp dir.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done is closed
}

func startProcess(name, logPath string, extraEnv []string, bin string, args ...string) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.Stdin = nil
	cmd.SysProcAttr = sysProcAttr()
	// A clean environment: the children must not pick up e.g. ETCD_* or
	// KUBECONFIG from the developer's shell.
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}, extraEnv...)
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, logFile: f, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has already exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, waits up to grace, then SIGKILLs
// the group. It is safe to call on an exited process.
func (p *process) stop(grace time.Duration) error {
	if p == nil {
		return nil
	}
	pgid := p.cmd.Process.Pid // Setpgid: the child leads its own group
	if !p.exited() {
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
	}
	// Reap anything the child left behind in its group.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return nil
}

// exitError describes how the process ended, for startup failures.
func (p *process) exitError() error {
	if !p.exited() {
		return nil
	}
	if p.waitErr == nil {
		return fmt.Errorf("%s exited with status 0", p.name)
	}
	return fmt.Errorf("%s exited: %w", p.name, p.waitErr)
}

// tail returns the last n lines of the process's log, prefixed for display.
func (p *process) tail(n int) string {
	return tailFile(p.logPath, n, p.name)
}

func tailFile(path string, n int, prefix string) string {
	const maxBytes = 64 << 10
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no %s log: %v)", prefix, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > maxBytes {
		_, _ = f.Seek(st.Size()-maxBytes, io.SeekStart)
	}
	data, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "--- last %d lines of %s (%s) ---\n", len(lines), prefix, path)
	for _, l := range lines {
		b.WriteString(prefix)
		b.WriteString("| ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// withTails wraps err with the log tails of the given processes.
func withTails(err error, lines int, procs ...*process) error {
	var b strings.Builder
	for _, p := range procs {
		if p != nil {
			b.WriteString("\n")
			b.WriteString(p.tail(lines))
		}
	}
	return &startError{err: err, logs: b.String()}
}

type startError struct {
	err  error
	logs string
}

func (e *startError) Error() string { return e.err.Error() + e.logs }
func (e *startError) Unwrap() error { return e.err }

var errAddrInUse = errors.New("address already in use")
