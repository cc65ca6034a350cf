package pubsub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultyBroker is a Local broker whose publishes can fail or vanish.
type faultyBroker struct {
	*Local
	mu        sync.Mutex
	fail      bool // Publish fails without delivering
	vanish    bool // Publish succeeds without delivering
	failAfter bool // Publish delivers, then fails
	handlers  []Handler
	published int
}

func newFaulty() *faultyBroker { return &faultyBroker{Local: NewLocal()} }

func (f *faultyBroker) set(fn func(f *faultyBroker)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

func (f *faultyBroker) Publish(ctx context.Context, ch string, msg []byte) error {
	f.mu.Lock()
	fail, vanish, failAfter := f.fail, f.vanish, f.failAfter
	f.published++
	f.mu.Unlock()
	switch {
	case fail:
		return errors.New("broker down")
	case vanish:
		return nil
	case failAfter:
		f.Local.Publish(ctx, ch, msg)
		return errors.New("reply lost")
	}
	return f.Local.Publish(ctx, ch, msg)
}

func (f *faultyBroker) Subscribe(ctx context.Context, ch string, h Handler) (Subscription, error) {
	f.mu.Lock()
	f.handlers = append(f.handlers, h)
	f.mu.Unlock()
	return f.Local.Subscribe(ctx, ch, h)
}

// target records what a relay delivers.
type target struct{ c *collector }

func (t target) Broadcast(m string) { t.c.HandleMessage([]byte(m)) }

// losses records what OnLoss gets.
type losses struct {
	mu sync.Mutex
	l  []Loss
}

func (l *losses) add(x Loss) { l.mu.Lock(); l.l = append(l.l, x); l.mu.Unlock() }
func (l *losses) get() []Loss {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Loss(nil), l.l...)
}

type node struct {
	r    *Relay
	c    *collector
	loss *losses
}

func newNode(t *testing.T, b Broker, name string, opts RelayOptions) *node {
	t.Helper()
	n := &node{c: newCollector(), loss: &losses{}}
	opts.Node = name
	opts.OnLoss = n.loss.add
	r, err := NewRelay(context.Background(), b, "room", target{n.c}, opts)
	if err != nil {
		t.Fatal(err)
	}
	n.r = r
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	return n
}

// checkSeq checks that msgs, of the form "sender:i", hold each sender's
// messages exactly once, in order, and returns the count per sender.
func checkSeq(t *testing.T, who string, msgs []string) map[string]int {
	t.Helper()
	next := map[string]int{}
	for _, m := range msgs {
		s, i, _ := strings.Cut(m, ":")
		var n int
		fmt.Sscan(i, &n)
		if n != next[s] {
			t.Fatalf("%s: message %q, want %s:%d", who, m, s, next[s])
		}
		next[s]++
	}
	return next
}

func TestRelayExactlyOnceInOrder(t *testing.T) {
	checkGoroutines(t)
	b := NewLocal()
	defer b.Close()
	nodes := []*node{newNode(t, b, "a", RelayOptions{}), newNode(t, b, "b", RelayOptions{}), newNode(t, b, "c", RelayOptions{})}
	const senders, n = 6, 300
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			r := nodes[s%len(nodes)].r
			for i := range n {
				if err := r.Publish(fmt.Sprintf("s%d:%d", s, i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for _, nd := range nodes {
		got := checkSeq(t, nd.r.Node(), nd.c.waitFor(t, senders*n))
		for s, c := range got {
			if c != n {
				t.Errorf("%s got %d of %s", nd.r.Node(), c, s)
			}
		}
	}
	time.Sleep(20 * time.Millisecond)
	for _, nd := range nodes {
		if got := len(nd.c.got()); got != senders*n {
			t.Errorf("%s: %d messages, want %d", nd.r.Node(), got, senders*n)
		}
		st := nd.r.Stats()
		if st.Published != 2*n || st.Sent != 2*n || st.Received != uint64((senders-2)*n) || st.Lost+st.Dropped+st.Duplicates != 0 {
			t.Errorf("stats %+v", st)
		}
		if l := nd.loss.get(); len(l) != 0 {
			t.Errorf("losses %v", l)
		}
	}
}

func TestRelayReportsGap(t *testing.T) {
	checkGoroutines(t)
	b := newFaulty()
	defer b.Close()
	a, c := newNode(t, b, "a", RelayOptions{}), newNode(t, b, "c", RelayOptions{})
	a.r.Publish("a:0")
	c.c.waitFor(t, 1)
	b.set(func(f *faultyBroker) { f.vanish = true })
	a.r.Publish("lost:0")
	a.r.Publish("lost:1")
	waitFor(t, func() bool { return a.r.Stats().Sent == 3 })
	b.set(func(f *faultyBroker) { f.vanish = false })
	a.r.Publish("a:1")
	got := c.c.waitFor(t, 2)
	if strings.Join(got, ",") != "a:0,a:1" {
		t.Errorf("got %q", got)
	}
	if st := c.r.Stats(); st.Lost != 2 || st.Received != 2 {
		t.Errorf("stats %+v", st)
	}
	l := c.loss.get()
	if len(l) != 1 || l[0].Kind != LossGap || l[0].Count != 2 || l[0].Node != a.r.Node() {
		t.Errorf("losses %v", l)
	}
	if got := a.c.got(); len(got) != 4 {
		t.Errorf("the publisher's own target got %q", got)
	}
}

func TestRelayDropsDuplicates(t *testing.T) {
	checkGoroutines(t)
	b := newFaulty()
	defer b.Close()
	a, c := newNode(t, b, "a", RelayOptions{}), newNode(t, b, "c", RelayOptions{})
	b.set(func(f *faultyBroker) { f.failAfter = true })
	a.r.Publish("a:0")
	waitFor(t, func() bool { return a.r.Stats().PublishErrors >= 2 })
	b.set(func(f *faultyBroker) { f.failAfter = false })
	a.r.Publish("a:1")
	c.c.waitFor(t, 2)
	time.Sleep(20 * time.Millisecond)
	got := c.c.got()
	if strings.Join(got, ",") != "a:0,a:1" {
		t.Errorf("got %q", got)
	}
	if st := c.r.Stats(); st.Duplicates < 2 || st.Lost != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestRelayRetriesWhileBrokerDown(t *testing.T) {
	checkGoroutines(t)
	b := newFaulty()
	defer b.Close()
	a, c := newNode(t, b, "a", RelayOptions{MaxPending: 5}), newNode(t, b, "c", RelayOptions{})
	b.set(func(f *faultyBroker) { f.fail = true })
	for i := range 8 {
		a.r.Publish(fmt.Sprintf("a:%d", i))
	}
	// Local delivery does not wait for the broker.
	if got := a.c.waitFor(t, 8); len(got) != 8 {
		t.Errorf("local target got %q", got)
	}
	waitFor(t, func() bool { return a.r.Stats().PublishErrors >= 2 })
	b.set(func(f *faultyBroker) { f.fail = false })
	waitFor(t, func() bool { return a.r.Stats().Pending == 0 })
	// The first envelope may have been taken before the queue filled, so
	// between 5 and 6 messages made it; the others are reported.
	got := c.c.waitFor(t, 5)
	checkSeq(t, "c", got)
	st := a.r.Stats()
	if st.Dropped != uint64(8-len(got)) || st.Sent != uint64(len(got)) {
		t.Errorf("publisher stats %+v, receiver got %d", st, len(got))
	}
	var dropped uint64
	for _, l := range a.loss.get() {
		if l.Kind == LossDropped {
			dropped += l.Count
		}
	}
	if dropped != st.Dropped {
		t.Errorf("reported %d dropped, stats say %d", dropped, st.Dropped)
	}
	// The receiver sees the drop as a gap at the next message.
	a.r.Publish("next:0")
	c.c.waitFor(t, len(got)+1)
	if st := c.r.Stats(); st.Lost != uint64(8-len(got)) {
		t.Errorf("receiver stats %+v", st)
	}
}

func TestRelayOutage(t *testing.T) {
	checkGoroutines(t)
	b := newFaulty()
	defer b.Close()
	n := newNode(t, b, "a", RelayOptions{})
	b.mu.Lock()
	h := b.handlers[0]
	b.mu.Unlock()
	err := errors.New("connection reset")
	h.HandleStatus(Status{Channel: "room", Err: err})
	if st := n.r.Stats(); st.Connected || st.Outages != 1 {
		t.Errorf("stats %+v", st)
	}
	l := n.loss.get()
	if len(l) != 1 || l[0].Kind != LossOutage || !errors.Is(l[0].Err, err) {
		t.Errorf("losses %v", l)
	}
	// While the subscription is down, publishing waits for it.
	n.r.Publish("a:0")
	time.Sleep(50 * time.Millisecond)
	b.mu.Lock()
	held := b.published == 0
	b.mu.Unlock()
	if !held {
		t.Error("published while the subscription was down")
	}
	h.HandleStatus(Status{Channel: "room", Connected: true, Since: time.Now()})
	if st := n.r.Stats(); !st.Connected {
		t.Errorf("stats %+v", st)
	}
	waitFor(t, func() bool { return n.r.Stats().Sent == 1 })
}

func TestRelayShutdownWhileDown(t *testing.T) {
	checkGoroutines(t)
	b := newFaulty()
	defer b.Close()
	n := newNode(t, b, "a", RelayOptions{})
	b.mu.Lock()
	h := b.handlers[0]
	b.mu.Unlock()
	h.HandleStatus(Status{Channel: "room", Err: errors.New("down")})
	n.r.Publish("a:0")
	// Shutdown does not wait for the subscription: it tries at once.
	if err := n.r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := n.r.Stats(); st.Sent != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestRelayMalformed(t *testing.T) {
	b := NewLocal()
	defer b.Close()
	n := newNode(t, b, "a", RelayOptions{})
	b.Publish(context.Background(), "room", []byte("junk"))
	waitFor(t, func() bool { return n.r.Stats().Malformed == 1 })
	if l := n.loss.get(); len(l) != 1 || l[0].Kind != LossMalformed {
		t.Errorf("losses %v", l)
	}
}

func TestRelayShutdown(t *testing.T) {
	checkGoroutines(t)
	b := newFaulty()
	defer b.Close()
	a, c := newNode(t, b, "a", RelayOptions{}), newNode(t, b, "c", RelayOptions{})
	for i := range 100 {
		a.r.Publish(fmt.Sprintf("a:%d", i))
	}
	if err := a.r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.r.Publish("late"); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Shutdown: %v", err)
	}
	checkSeq(t, "c", c.c.waitFor(t, 100))

	// A broker that never accepts: Shutdown gives up at its deadline.
	b.set(func(f *faultyBroker) { f.fail = true })
	c.r.Publish("c:0")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := c.r.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v", err)
	}
	if st := c.r.Stats(); st.Dropped != 1 || st.Pending != 0 {
		t.Errorf("stats %+v", st)
	}
	if err := c.r.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

func TestRestartedNodeIsNew(t *testing.T) {
	b := NewLocal()
	defer b.Close()
	c := newNode(t, b, "c", RelayOptions{})
	a1 := newNode(t, b, "a", RelayOptions{})
	a1.r.Publish("a:0")
	c.c.waitFor(t, 1)
	a1.r.Shutdown(context.Background())
	a2 := newNode(t, b, "a", RelayOptions{})
	a2.r.Publish("a:1")
	c.c.waitFor(t, 2)
	if st := c.r.Stats(); st.Duplicates != 0 || st.Received != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestEnvelope(t *testing.T) {
	msgs := []string{"", "hello", strings.Repeat("x", 300), "\x00\xff"}
	b := appendEnvelope(nil, "node#1", 42, msgs)
	e, err := decodeEnvelope(b)
	if err != nil || e.node != "node#1" || e.first != 42 || strings.Join(e.msgs, "|") != strings.Join(msgs, "|") {
		t.Fatalf("decoded %+v, %v", e, err)
	}
	for i := range b {
		if _, err := decodeEnvelope(b[:i]); err == nil {
			t.Errorf("truncated to %d bytes: no error", i)
		}
	}
	for _, bad := range [][]byte{nil, {2}, append(b, 0), appendEnvelope(nil, "n", 0, []string{"x"})} {
		if _, err := decodeEnvelope(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(appendEnvelope(nil, "n", 1, []string{"a", "b"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEnvelope(b)
		if err != nil {
			return
		}
		again, err := decodeEnvelope(appendEnvelope(nil, e.node, e.first, e.msgs))
		if err != nil || again.node != e.node || again.first != e.first || strings.Join(again.msgs, "\x00") != strings.Join(e.msgs, "\x00") {
			t.Errorf("%q: round trip gave %+v, %v", b, again, err)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
