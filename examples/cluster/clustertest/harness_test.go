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

	"github.com/gosockjs/sockjs/internal/testproc"
	"github.com/gosockjs/sockjs/pubsub"
)

var nodeBin string // the node binary, built by TestMain

func TestMain(m *testing.M) {
	flag.Parse()
	missing := []string{}
	for _, cmd := range []string{"nginx", "redis-server", "haproxy"} {
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

// cluster is redis-server, nodes of examples/cluster and a balancer in
// front of them (nginx with the shipped nginx.conf, or HAProxy with the
// shipped haproxy.cfg), on loopback ports, for one test.
type cluster struct {
	t         *testing.T
	dir       string
	redisPort int
	frontPort int
	nodePorts []int
	nodeArgs  []string    // extra arguments of every node
	redis     *exec.Cmd   // nil while down
	nodes     []*exec.Cmd // nil while down
	front     *exec.Cmd
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

// startCluster starts redis-server and n nodes, with args, then nginx in
// front of them, or HAProxy (3 nodes) when balancer is "haproxy".
func startCluster(t *testing.T, n int, balancer string, args ...string) *cluster {
	c := &cluster{t: t, dir: t.TempDir(), redisPort: freePort(t), frontPort: freePort(t), nodeArgs: args}
	t.Cleanup(c.stop)
	c.startRedis()
	for range n {
		c.nodePorts = append(c.nodePorts, freePort(t))
		c.nodes = append(c.nodes, nil)
	}
	for i := range n {
		c.startNode(i)
	}
	switch balancer {
	case "nginx":
		c.startNginx()
	case "haproxy":
		c.startHAProxy()
	default:
		t.Fatalf("unknown balancer %q", balancer)
	}
	c.waitPort(c.frontPort)
	return c
}

// startNginx starts nginx with the shipped nginx.conf, its placeholders
// filled.
func (c *cluster) startNginx() {
	var ups strings.Builder
	for _, p := range c.nodePorts {
		fmt.Fprintf(&ups, "server 127.0.0.1:%d max_fails=1 fail_timeout=5s; ", p)
	}
	tmpl, err := os.ReadFile("../nginx.conf")
	if err != nil {
		c.t.Fatal(err)
	}
	conf := strings.NewReplacer("@LISTEN@", fmt.Sprintf("127.0.0.1:%d", c.frontPort), "@UPSTREAMS@", ups.String()).Replace(string(tmpl))
	prefix := filepath.Join(c.dir, "nginx")
	for _, d := range []string{"logs", "tmp"} {
		os.MkdirAll(filepath.Join(prefix, d), 0o755)
	}
	if err := os.WriteFile(filepath.Join(prefix, "nginx.conf"), []byte(conf), 0o644); err != nil {
		c.t.Fatal(err)
	}
	c.front = c.start("nginx.log", nil, "nginx", "-p", prefix, "-e", filepath.Join(prefix, "logs", "error.log"),
		"-c", filepath.Join(prefix, "nginx.conf"), "-g", "daemon off; pid "+filepath.Join(prefix, "nginx.pid")+";")
}

// startHAProxy starts HAProxy in the foreground with the shipped
// haproxy.cfg, the addresses in its environment variables.
func (c *cluster) startHAProxy() {
	env := []string{fmt.Sprintf("SOCKJS_FRONT=127.0.0.1:%d", c.frontPort)}
	for i, p := range c.nodePorts {
		env = append(env, fmt.Sprintf("SOCKJS_NODE%d=127.0.0.1:%d", i+1, p))
	}
	c.front = c.start("haproxy.log", env, "haproxy", "-db", "-f", "../haproxy.cfg")
}

func (c *cluster) redisAddr() string { return fmt.Sprintf("127.0.0.1:%d", c.redisPort) }

// url returns the URL of a service (such as "/chat") through the balancer.
func (c *cluster) url(service string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", c.frontPort, service)
}

// startRedis starts redis-server, again after killRedis: it writes every
// command to its append-only file before answering, so that a kill loses
// nothing it acknowledged.
func (c *cluster) startRedis() {
	c.redis = c.start("redis.log", nil, "redis-server", "--port", strconv.Itoa(c.redisPort), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", c.dir)
	c.waitPort(c.redisPort)
}

// startNode starts node i (0-based) on its port, again after killNode.
func (c *cluster) startNode(i int) {
	args := append([]string{"-addr", fmt.Sprintf("127.0.0.1:%d", c.nodePorts[i]), "-node", fmt.Sprintf("n%d", i+1),
		"-redis", c.redisAddr(), "-heartbeat", "5s", "-history", "10000"}, c.nodeArgs...)
	c.nodes[i] = c.start(fmt.Sprintf("n%d.log", i+1), nil, nodeBin, args...)
	c.waitPort(c.nodePorts[i])
}

// start starts a process with its output appended to the file log.
func (c *cluster) start(log string, env []string, name string, args ...string) *exec.Cmd {
	c.t.Helper()
	f, err := os.OpenFile(filepath.Join(c.dir, log), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	testproc.DieWithParent(cmd)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
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
// the same port and files.
func (c *cluster) killRedis() {
	kill(c.redis, syscall.SIGKILL)
	c.redis = nil
}

// stop stops every process; it may be called more than once.
func (c *cluster) stop() {
	kill(c.front, syscall.SIGTERM)
	c.front = nil
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
	Node      string            `json:"node"`
	Sessions  int               `json:"sessions"`
	Broadcast int               `json:"broadcast_sessions"`
	Relay     pubsub.RelayStats `json:"relay"`
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

// status returns the status code of GET path on node i, or 0 if it does
// not answer.
func (c *cluster) status(i int, path string) int {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", c.nodePorts[i], path))
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
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
