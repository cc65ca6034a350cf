// Package testproc helps tests start servers (redis-server, nginx, node)
// that never outlive the test process, even when it is killed before its
// cleanups run, as go test does to a test that times out.
package testproc

import "os/exec"

// DieWithParent makes the process that cmd starts get SIGKILL when the test
// process dies, where the system allows it (Linux); elsewhere it does
// nothing, and only the test's own cleanup stops the process. Call it
// before cmd.Start.
func DieWithParent(cmd *exec.Cmd) { dieWithParent(cmd) }
