package redis_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gosockjs/sockjs/internal/testproc"
	goredis "github.com/redis/go-redis/v9"
)

// server is a redis-server started for a test on a loopback port. By
// default it persists every write (appendonly, appendfsync always), so
// that a kill and a start on the same directory lose nothing.
type server struct {
	t    testing.TB
	port int
	dir  string
	args []string
	cmd  *exec.Cmd
}

// needRedis skips t if redis-server is missing, or fails it if
// SOCKJS_REQUIRE_REDIS is set.
func needRedis(t testing.TB) {
	t.Helper()
	for _, cmd := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(cmd); err != nil {
			if os.Getenv("SOCKJS_REQUIRE_REDIS") != "" {
				t.Fatalf("%s not found", cmd)
			}
			t.Skipf("%s not found", cmd)
		}
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServer starts redis-server with extra arguments.
func startServer(t testing.TB, args ...string) *server {
	t.Helper()
	needRedis(t)
	s := &server{t: t, port: freePort(t), dir: t.TempDir()}
	s.args = append([]string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--loglevel", "warning",
		"--logfile", filepath.Join(s.dir, "redis.log")}, args...)
	s.start()
	t.Cleanup(func() {
		s.signal(syscall.SIGTERM)
		if t.Failed() {
			s.dumpLog()
		}
	})
	return s
}

func (s *server) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// start starts the server (again, on the same port and directory).
func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", s.args...)
	testproc.DieWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.ping()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.dumpLog()
			s.t.Fatalf("redis-server on %d did not start: %v", s.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ping checks that the server answers and has loaded its data.
func (s *server) ping() error {
	c, err := net.DialTimeout("tcp", s.addr(), time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(c, "PING\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING: %q", line)
	}
	return nil
}

// kill kills the server with SIGKILL: no goodbye, no final save.
func (s *server) kill() { s.signal(syscall.SIGKILL) }

func (s *server) signal(sig syscall.Signal) {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(sig)
	s.cmd.Wait()
	s.cmd = nil
}

func (s *server) dumpLog() {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	s.t.Logf("redis-server %d log (tail):\n%s", s.port, b)
}

// newClient returns a client of addr, closed at the end of the test.
func newClient(t testing.TB, addr string) *goredis.Client {
	c := goredis.NewClient(&goredis.Options{Addr: addr, DialTimeout: time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// cli runs redis-cli with args and returns its output.
func cli(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("redis-cli", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// startCluster starts n masters with cluster-enabled on loopback ports
// (the cluster bus on ports of its own) and creates a Redis Cluster of
// them with redis-cli --cluster create.
func startCluster(t *testing.T, n int) []*server {
	t.Helper()
	var nodes []*server
	var addrs []string
	for range n {
		s := startServer(t, "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(freePort(t)),
			"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
		nodes = append(nodes, s)
		addrs = append(addrs, s.addr())
	}
	cli(t, append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...)
	for _, s := range nodes {
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(cli(t, "-p", strconv.Itoa(s.port), "cluster", "info"), "cluster_state:ok") {
			if time.Now().After(deadline) {
				t.Fatalf("cluster not ok on %d", s.port)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nodes
}

// proxy is a TCP proxy to a Redis server that can cut its connections, or
// lose the replies to the requests that hold a given text: the server
// carries out the command, the client sees its connection drop.
type proxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	lose  string // lose the replies to requests holding this, if not ""
}

func startProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[s] = struct{}{}, struct{}{}
		p.mu.Unlock()
		var doomed atomic.Bool // a reply on this connection is to be lost
		p.wg.Add(2)
		go p.pipe(s, c, func(b []byte) bool {
			p.mu.Lock()
			lose := p.lose
			p.mu.Unlock()
			if lose != "" && bytes.Contains(bytes.ToLower(b), []byte(lose)) {
				doomed.Store(true) // before the server can answer
			}
			return true
		})
		go p.pipe(c, s, func([]byte) bool { return !doomed.Load() })
	}
}

// pipe copies from src to dst until either fails, or pass refuses a chunk.
func (p *proxy) pipe(dst, src net.Conn, pass func([]byte) bool) {
	defer p.wg.Done()
	defer func() {
		dst.Close()
		src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !pass(buf[:n]) {
				return
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// loseReplies makes the proxy lose the replies to the requests that hold
// text (in lower case), or, with "", none.
func (p *proxy) loseReplies(text string) {
	p.mu.Lock()
	p.lose = text
	p.mu.Unlock()
}

// cut closes every connection through the proxy.
func (p *proxy) cut() {
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}

func (p *proxy) close() {
	p.ln.Close()
	p.cut()
	p.wg.Wait()
}

// flushAll empties a server, as a restart without persistence would.
func flushAll(t *testing.T, addr string) {
	t.Helper()
	if err := newClient(t, addr).FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}
