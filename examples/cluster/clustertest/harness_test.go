package clustertest

import (
	"encoding/json"
	"flag"
	"fmt"
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

	"github.com/gosockjs/sockjs/pubsub"
)

var nodeBin string // the node binary, built by TestMain

func TestMain(m *testing.M) {
	flag.Parse()
	missing := []string{}
	for _, cmd := range []string{"nginx", "redis-server"} {
		if _, err := exec.LookPath(cmd); err != nil {
			missing = append(missing, cmd)
		}
	}
	if len(missing) > 0 {
		if os.Getenv("CLUSTER_TEST_REQUIRE") != "" {
			fmt.Fprintf(os.Stderr, "clustertest: %s not found\n", strings.Join(missing, ", "))
			os.Exit(1)
		}
		fmt.Printf("clustertest: skipped, %s not found\n", strings.Join(missing, ", "))
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "clustertest-bin")
	if err != nil {
		panic(err)
	}
	nodeBin = filepath.Join(dir, "node")
	build := exec.Command("go", "build", "-o", nodeBin, "..")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "clustertest: building the node:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cluster is redis-server, nodes of examples/cluster and nginx in front of
// them, on loopback ports, for one test.
type cluster struct {
	t         *testing.T
	dir       string
	redisPort int
	nginxPort int
	nodePorts []int
	redis     *exec.Cmd
	nodes     []*exec.Cmd // nil once killed
	nginx     *exec.Cmd
	dumped    bool
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startCluster starts redis-server, n nodes and nginx.
func startCluster(t *testing.T, n int) *cluster {
	c := &cluster{t: t, dir: t.TempDir(), redisPort: freePort(t), nginxPort: freePort(t)}
	t.Cleanup(c.stop)
	c.startRedis()
	var ups strings.Builder
	for i := range n {
		p := freePort(t)
		c.nodePorts = append(c.nodePorts, p)
		fmt.Fprintf(&ups, "server 127.0.0.1:%d max_fails=1 fail_timeout=5s; ", p)
		c.nodes = append(c.nodes, c.start(fmt.Sprintf("n%d.log", i+1), nodeBin,
			"-addr", fmt.Sprintf("127.0.0.1:%d", p), "-node", fmt.Sprintf("n%d", i+1),
			"-redis", c.redisAddr(), "-heartbeat", "5s"))
	}
	for _, p := range c.nodePorts {
		c.waitPort(p)
	}

	// The shipped nginx.conf, with its placeholders filled.
	tmpl, err := os.ReadFile("../nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.NewReplacer("@LISTEN@", fmt.Sprintf("127.0.0.1:%d", c.nginxPort), "@UPSTREAMS@", ups.String()).Replace(string(tmpl))
	prefix := filepath.Join(c.dir, "nginx")
	for _, d := range []string{"logs", "tmp"} {
		os.MkdirAll(filepath.Join(prefix, d), 0o755)
	}
	if err := os.WriteFile(filepath.Join(prefix, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	c.nginx = c.start("nginx.out", "nginx", "-p", prefix, "-e", filepath.Join(prefix, "logs", "error.log"), "-c", filepath.Join(prefix, "nginx.conf"),
		"-g", "daemon off; pid "+filepath.Join(prefix, "nginx.pid")+";")
	c.waitPort(c.nginxPort)
	return c
}

func (c *cluster) redisAddr() string { return fmt.Sprintf("127.0.0.1:%d", c.redisPort) }

// url returns the URL of a service (such as "/chat") through nginx.
func (c *cluster) url(service string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", c.nginxPort, service)
}

func (c *cluster) startRedis() {
	c.redis = c.start("redis.log", "redis-server", "--port", strconv.Itoa(c.redisPort), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", c.dir)
	c.waitPort(c.redisPort)
}

// start starts a process with its output in the file log.
func (c *cluster) start(log, name string, args ...string) *exec.Cmd {
	c.t.Helper()
	f, err := os.Create(filepath.Join(c.dir, log))
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	f.Close()
	return cmd
}

func (c *cluster) waitPort(p int) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p), time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			c.dumpLogs()
			c.t.Fatalf("port %d not open: %v", p, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill kills a process by its PID and reaps it.
func kill(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// killNode kills node i (0-based) with SIGKILL: no goodbye to its sessions.
func (c *cluster) killNode(i int) {
	kill(c.nodes[i], syscall.SIGKILL)
	c.nodes[i] = nil
}

// killRedis kills redis-server with SIGKILL; startRedis starts it again on
// the same port.
func (c *cluster) killRedis() {
	kill(c.redis, syscall.SIGKILL)
	c.redis = nil
}

// stop stops every process; it may be called more than once.
func (c *cluster) stop() {
	kill(c.nginx, syscall.SIGTERM)
	c.nginx = nil
	for i, n := range c.nodes {
		kill(n, syscall.SIGTERM)
		c.nodes[i] = nil
	}
	kill(c.redis, syscall.SIGTERM)
	c.redis = nil
	if c.t.Failed() && !c.dumped {
		c.dumped = true
		c.dumpLogs()
	}
}

func (c *cluster) dumpLogs() {
	files, _ := filepath.Glob(filepath.Join(c.dir, "*.log"))
	files = append(files, filepath.Join(c.dir, "nginx", "logs", "error.log"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || len(b) == 0 {
			continue
		}
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		c.t.Logf("--- %s (tail)\n%s", filepath.Base(f), b)
	}
}

// nodeStats is what a node's /stats returns.
type nodeStats struct {
	Node     string            `json:"node"`
	Sessions int               `json:"sessions"`
	Relay    pubsub.RelayStats `json:"relay"`

	Broadcast struct {
		Sessions int               `json:"sessions"`
		Relay    pubsub.RelayStats `json:"relay"`
	} `json:"broadcast"`
}

// stats returns the counters of node i, read from it directly.
func (c *cluster) stats(i int) (nodeStats, error) {
	var st nodeStats
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/stats", c.nodePorts[i]))
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// eventually waits up to d for cond.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
