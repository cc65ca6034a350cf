package pubsub

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// collector is a Handler that records what it gets.
type collector struct {
	mu       sync.Mutex
	msgs     []string
	statuses []Status
	notify   chan struct{}
}

func newCollector() *collector { return &collector{notify: make(chan struct{}, 1)} }

func (c *collector) HandleMessage(m []byte) {
	c.mu.Lock()
	c.msgs = append(c.msgs, string(m))
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *collector) HandleStatus(st Status) {
	c.mu.Lock()
	c.statuses = append(c.statuses, st)
	c.mu.Unlock()
}

func (c *collector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}

// waitFor waits until c has n messages.
func (c *collector) waitFor(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if got := c.got(); len(got) >= n {
			return got
		}
		select {
		case <-c.notify:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("got %d messages, want %d: %q", len(c.got()), n, c.got())
		}
	}
}

// checkGoroutines fails t if goroutines started by the test outlive it.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				n := runtime.Stack(buf, true)
				t.Errorf("goroutines leaked: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:n])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestLocalOrderAndFanout(t *testing.T) {
	checkGoroutines(t)
	l := NewLocal()
	defer l.Close()
	ctx := context.Background()
	a, b, other := newCollector(), newCollector(), newCollector()
	for _, s := range []struct {
		ch string
		h  Handler
	}{{"c", a}, {"c", b}, {"d", other}} {
		sub, err := l.Subscribe(ctx, s.ch, s.h)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
	}
	const n = 1000
	for i := range n {
		if err := l.Publish(ctx, "c", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*collector{a, b} {
		got := c.waitFor(t, n)
		for i, m := range got {
			if m != fmt.Sprint(i) {
				t.Fatalf("message %d is %q", i, m)
			}
		}
	}
	if got := other.got(); len(got) != 0 {
		t.Errorf("other channel got %q", got)
	}
}

func TestLocalPublishCopies(t *testing.T) {
	l := NewLocal()
	defer l.Close()
	c := newCollector()
	sub, _ := l.Subscribe(context.Background(), "c", c)
	defer sub.Close()
	buf := []byte("hello")
	l.Publish(context.Background(), "c", buf)
	copy(buf, "XXXXX")
	if got := c.waitFor(t, 1); got[0] != "hello" {
		t.Errorf("got %q", got[0])
	}
}

func TestLocalUnsubscribe(t *testing.T) {
	checkGoroutines(t)
	l := NewLocal()
	defer l.Close()
	c := newCollector()
	sub, _ := l.Subscribe(context.Background(), "c", c)
	l.Publish(context.Background(), "c", []byte("1"))
	c.waitFor(t, 1)
	sub.Close()
	sub.Close() // idempotent
	l.Publish(context.Background(), "c", []byte("2"))
	time.Sleep(20 * time.Millisecond)
	if got := c.got(); len(got) != 1 {
		t.Errorf("got %q after Close", got)
	}
}

func TestLocalCloseWaitsForHandler(t *testing.T) {
	checkGoroutines(t)
	l := NewLocal()
	entered, release := make(chan struct{}), make(chan struct{})
	var returned bool
	var mu sync.Mutex
	sub, _ := l.Subscribe(context.Background(), "c", HandlerFuncs{Message: func([]byte) {
		close(entered)
		<-release
		mu.Lock()
		returned = true
		mu.Unlock()
	}})
	_ = sub
	l.Publish(context.Background(), "c", []byte("x"))
	<-entered
	go func() { time.Sleep(20 * time.Millisecond); close(release) }()
	l.Close()
	mu.Lock()
	defer mu.Unlock()
	if !returned {
		t.Error("Close returned before the handler")
	}
}

func TestLocalErrors(t *testing.T) {
	l := NewLocal()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Publish(ctx, "c", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish with done ctx: %v", err)
	}
	if _, err := l.Subscribe(ctx, "c", newCollector()); !errors.Is(err, context.Canceled) {
		t.Errorf("Subscribe with done ctx: %v", err)
	}
	l.Close()
	l.Close()
	if err := l.Publish(context.Background(), "c", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close: %v", err)
	}
	if _, err := l.Subscribe(context.Background(), "c", newCollector()); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
}

func TestLocalConcurrentPublishers(t *testing.T) {
	checkGoroutines(t)
	l := NewLocal()
	defer l.Close()
	c := newCollector()
	sub, _ := l.Subscribe(context.Background(), "c", c)
	defer sub.Close()
	const pubs, n = 4, 500
	var wg sync.WaitGroup
	for p := range pubs {
		wg.Go(func() {
			for i := range n {
				l.Publish(context.Background(), "c", fmt.Appendf(nil, "%d:%d", p, i))
			}
		})
	}
	wg.Wait()
	got := c.waitFor(t, pubs*n)
	next := make([]int, pubs)
	for _, m := range got {
		var p, i int
		fmt.Sscanf(m, "%d:%d", &p, &i)
		if i != next[p] {
			t.Fatalf("publisher %d: got %d, want %d", p, i, next[p])
		}
		next[p]++
	}
}
