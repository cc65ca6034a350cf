// Package refserver starts the reference SockJS server for tests: the npm
// sockjs 0.3.24 server in testdata/sockjs-node, the one the official protocol
// suite was written against, serving the same services as examples/echo.
//
// It needs node and the packages of testdata/sockjs-node/package-lock.json
// (make test installs them). When they are missing, Start skips the test,
// unless the environment variable SOCKJS_REFERENCE is "require", as make test
// sets it, in which case it fails the test.
package refserver

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosockjs/sockjs/internal/testproc"
)

// Options are the sockjs options of the reference server's services; zero
// fields keep the server's defaults (response limit 4096 bytes on /echo,
// heartbeat 25 s, disconnect delay 5 s).
type Options struct {
	ResponseLimit   int
	HeartbeatDelay  time.Duration
	DisconnectDelay time.Duration
}

// Dir returns the directory of the reference server, testdata/sockjs-node.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "sockjs-node")
}

// Node returns the path of the node executable. When there is none, it skips
// the test, or fails it if SOCKJS_REFERENCE is "require".
func Node(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable(t, fmt.Sprintf("node unavailable: %v", err))
	}
	return node
}

// unavailable skips the test for want of msg, or fails it if
// SOCKJS_REFERENCE is "require".
func unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("SOCKJS_REFERENCE") == "require" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Start starts the reference server on a loopback port and returns its base
// URL, such as "http://127.0.0.1:40123". The server is stopped, by its PID,
// when the test ends; it also exits if the test process dies, when its
// standard input closes.
func Start(t testing.TB, opts Options) string {
	t.Helper()
	dir := Dir()
	node := Node(t)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "sockjs", "package.json")); err != nil {
		unavailable(t, fmt.Sprintf("reference server unavailable (%v): run make test, or npm ci in %s", err, dir))
	}
	args := []string{filepath.Join(dir, "server.js"), "--addr", "127.0.0.1:0"}
	if opts.ResponseLimit > 0 {
		args = append(args, "--response-limit", strconv.Itoa(opts.ResponseLimit))
	}
	if opts.HeartbeatDelay > 0 {
		args = append(args, "--heartbeat-ms", strconv.FormatInt(opts.HeartbeatDelay.Milliseconds(), 10))
	}
	if opts.DisconnectDelay > 0 {
		args = append(args, "--disconnect-ms", strconv.FormatInt(opts.DisconnectDelay.Milliseconds(), 10))
	}
	cmd := exec.Command(node, args...)
	testproc.DieWithParent(cmd)
	cmd.Dir = dir
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the reference server: %v", err)
	}
	exited := make(chan struct{})
	var stopping atomic.Bool
	go func() {
		err := cmd.Wait()
		if !stopping.Load() {
			// Wait has copied all of stderr.
			t.Errorf("the reference server exited during the test (%v): %s", err, stderr.String())
		}
		close(exited)
	}()
	t.Cleanup(func() {
		stopping.Store(true)
		stdin.Close()
		cmd.Process.Kill()
		<-exited
	})

	line := make(chan string, 1)
	go func() {
		br := bufio.NewReader(stdout)
		l, _ := br.ReadString('\n')
		line <- l
		io.Copy(io.Discard, br)
	}()
	select {
	case l := <-line:
		base, ok := strings.CutPrefix(strings.TrimSpace(l), "listening on ")
		if !ok {
			t.Fatalf("reference server said %q; stderr: %s", l, stderr.String())
		}
		return base
	case <-exited:
		t.Fatalf("reference server exited: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("reference server did not start within 30s; stderr: %s", stderr.String())
	}
	return ""
}
