//go:build !linux

package s3test

import "os/exec"

// setDeathSignal does nothing where there is no parent-death signal: Main stops the
// server.
func setDeathSignal(*exec.Cmd) {}
