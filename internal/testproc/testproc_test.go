package testproc

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDieWithParent starts this test binary as a parent that starts a
// sleeping child with DieWithParent and then is killed: the child must die
// with it.
func TestDieWithParent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Pdeathsig is Linux's")
	}
	if os.Getenv("TESTPROC_PARENT") == "1" {
		child := exec.Command("sleep", "60")
		DieWithParent(child)
		require.NoError(t, child.Start())
		os.Stdout.WriteString(strconv.Itoa(child.Process.Pid) + "\n")
		time.Sleep(time.Minute) // until killed
		return
	}
	parent := exec.Command(os.Args[0], "-test.run=^TestDieWithParent$")
	parent.Env = append(os.Environ(), "TESTPROC_PARENT=1")
	out, err := parent.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, parent.Start())
	var buf [32]byte
	n, err := out.Read(buf[:])
	require.NoError(t, err)
	pid, err := strconv.Atoi(string(buf[:n-1]))
	require.NoError(t, err, "parent said %q", buf[:n])
	require.NoError(t, parent.Process.Kill())
	parent.Wait()
	require.Eventually(t, func() bool {
		return syscall.Kill(pid, 0) != nil // ESRCH: gone
	}, 5*time.Second, 10*time.Millisecond, "the child outlived its parent")
}
