package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gosockjs/sockjs/pubsub"
	goredis "github.com/redis/go-redis/v9"
)

// server is a redis-server started for a test, on a loopback port.
type server struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

// startServer starts redis-server, or skips the test if there is none.
func startServer(t *testing.T) *server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("SOCKJS_REQUIRE_REDIS") != "" {
			t.Fatal("redis-server not found")
		}
		t.Skip("redis-server not found")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &server{t: t, port: port}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.t.TempDir(), "--loglevel", "warning")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", s.addr())
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

func newClient(t *testing.T, s *server) *goredis.Client {
	c := goredis.NewClient(&goredis.Options{Addr: s.addr(), MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// rec is a pubsub.Handler that records what it gets.
type rec struct {
	mu       sync.Mutex
	msgs     []string
	statuses []pubsub.Status
}

func (r *rec) HandleMessage(m []byte) { r.mu.Lock(); r.msgs = append(r.msgs, string(m)); r.mu.Unlock() }
func (r *rec) HandleStatus(st pubsub.Status) {
	r.mu.Lock()
	r.statuses = append(r.statuses, st)
	r.mu.Unlock()
}
func (r *rec) get() ([]string, []pubsub.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...), append([]pubsub.Status(nil), r.statuses...)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPublishSubscribeInOrder(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	b1 := New(newClient(t, s), Options{Prefix: "test:"})
	b2 := New(newClient(t, s), Options{Prefix: "test:"})
	other := New(newClient(t, s), Options{Prefix: "other:"})
	var r1, r2, r3 rec
	for _, x := range []struct {
		b *Broker
		r *rec
	}{{b1, &r1}, {b2, &r2}, {other, &r3}} {
		sub, err := x.b.Subscribe(ctx, "ch", x.r)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
	}
	const n = 500
	for i := range n {
		if err := b1.Publish(ctx, "ch", []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []*rec{&r1, &r2} {
		eventually(t, "messages", func() bool { m, _ := r.get(); return len(m) >= n })
		m, st := r.get()
		for i, x := range m {
			if x != strconv.Itoa(i) {
				t.Fatalf("message %d is %q", i, x)
			}
		}
		if len(st) != 0 {
			t.Errorf("statuses %v", st)
		}
	}
	if m, _ := r3.get(); len(m) != 0 {
		t.Errorf("prefix not applied: %q", m)
	}
}

func TestSubscribeUnreachable(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := New(c, Options{}).Subscribe(ctx, "ch", &rec{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Subscribe: %v", err)
	}
}

func TestSurvivesRestart(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	pub := New(newClient(t, s), Options{})
	b := New(newClient(t, s), Options{MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	var r rec
	sub, err := b.Subscribe(ctx, "ch", &r)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	pub.Publish(ctx, "ch", []byte("before"))
	eventually(t, "first message", func() bool { m, _ := r.get(); return len(m) == 1 })

	s.stop()
	eventually(t, "the outage report", func() bool { _, st := r.get(); return len(st) == 1 })
	if err := pub.Publish(ctx, "ch", []byte("during")); err == nil {
		t.Error("Publish succeeded with Redis down")
	}
	s.start()
	eventually(t, "the resubscription", func() bool { _, st := r.get(); return len(st) == 2 })
	_, st := r.get()
	if st[0].Connected || st[0].Err == nil || !st[1].Connected || st[1].Since.IsZero() {
		t.Errorf("statuses %+v", st)
	}
	eventually(t, "publish after restart", func() bool { return pub.Publish(ctx, "ch", []byte("after")) == nil })
	eventually(t, "message after restart", func() bool { m, _ := r.get(); return len(m) == 2 })
	if m, _ := r.get(); m[1] != "after" {
		t.Errorf("got %q", m)
	}
}

// Two relays over Redis: a restart of Redis loses the messages published
// while the subscriptions were down, and the relays report exactly those.
func TestRelayAcrossRestart(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	opts := Options{MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	var got rec
	var lossMu sync.Mutex
	var losses []pubsub.Loss
	recv, err := pubsub.NewRelay(ctx, New(newClient(t, s), opts), "room",
		pubsub.TargetFunc(func(m string) { got.HandleMessage([]byte(m)) }),
		pubsub.RelayOptions{Node: "recv", OnLoss: func(l pubsub.Loss) { lossMu.Lock(); losses = append(losses, l); lossMu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Shutdown(ctx)
	send, err := pubsub.NewRelay(ctx, New(newClient(t, s), opts), "room", pubsub.TargetFunc(func(string) {}),
		pubsub.RelayOptions{Node: "send", PublishTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer send.Shutdown(ctx)

	i := 0
	publish := func(k int) {
		for range k {
			send.Publish(fmt.Sprint(i))
			i++
		}
	}
	publish(10)
	eventually(t, "10 messages", func() bool { m, _ := got.get(); return len(m) == 10 })
	s.stop()
	publish(10) // retried by the sender until Redis is back
	time.Sleep(200 * time.Millisecond)
	s.start()
	eventually(t, "the sender's backlog", func() bool { return send.Stats().Pending == 0 })
	eventually(t, "the resubscription", func() bool { return recv.Stats().Connected })
	publish(10)
	eventually(t, "the last message", func() bool {
		m, _ := got.get()
		return len(m) > 0 && m[len(m)-1] == "29"
	})
	m, _ := got.get()
	prev := -1
	for _, x := range m {
		n, _ := strconv.Atoi(x)
		if n <= prev {
			t.Fatalf("out of order or duplicated: %q", m)
		}
		prev = n
	}
	st := recv.Stats()
	if int(st.Received+st.Lost) != 30 || int(st.Received) != len(m) || st.Outages != 1 {
		t.Errorf("received %d, stats %+v", len(m), st)
	}
	lossMu.Lock()
	defer lossMu.Unlock()
	var gap uint64
	outage := false
	for _, l := range losses {
		switch l.Kind {
		case pubsub.LossGap:
			gap += l.Count
		case pubsub.LossOutage:
			outage = true
		}
	}
	if gap != st.Lost || !outage {
		t.Errorf("losses %v, stats %+v", losses, st)
	}
	t.Logf("across the restart: %d delivered, %d lost and reported", st.Received, st.Lost)
}
