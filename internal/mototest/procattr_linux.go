package mototest

import "syscall"

// sysProcAttr puts the child in its own process group (so Stop can signal
// the whole group) and asks the kernel to SIGKILL it if the test binary dies
// without running Stop.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
