//go:build !linux

package pdp

import "syscall"

// childAttrs: without Pdeathsig, the PDP is stopped by Stop (a killed
// hestami can leave it running until its socket directory is removed).
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
