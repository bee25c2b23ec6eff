package pdp

import "syscall"

// childAttrs: the PDP must not outlive hestami, even when hestami is killed.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM, Setpgid: true}
}
