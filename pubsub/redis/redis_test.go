package redis_test

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosockjs/sockjs/internal/testproc"
	"github.com/gosockjs/sockjs/pubsub"
	"github.com/gosockjs/sockjs/pubsub/pubsubtest"
	"github.com/gosockjs/sockjs/pubsub/redis"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Quick retries, for tests that take Redis away.
var fast = redis.Options{MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}

// node is one process of a deployment: its client, broker and relay.
type node struct {
	name string
	b    *redis.Broker
	r    *pubsub.Relay
	recs map[string]*pubsubtest.Recorder // by channel
}

// newNode returns a node on rdb, shut down at the end of the test.
func newNode(t *testing.T, name string, rdb goredis.UniversalClient, opts redis.Options) *node {
	n := &node{name: name, b: redis.New(rdb, opts), recs: map[string]*pubsubtest.Recorder{}}
	n.r = pubsub.NewRelay(n.b, pubsub.RelayOptions{Node: name, PublishTimeout: time.Second})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n.r.Shutdown(ctx)
		n.b.Close()
	})
	return n
}

// subscribe subscribes the node to channels, each with its recorder.
func (n *node) subscribe(t *testing.T, channels ...string) {
	t.Helper()
	for _, ch := range channels {
		rec := &pubsubtest.Recorder{}
		sub, err := n.r.Subscribe(context.Background(), ch, rec)
		require.NoError(t, err)
		t.Cleanup(func() { sub.Close() })
		n.recs[ch] = rec
	}
}

// traffic publishes "node:k" on every channel from every node, each pair
// on its own goroutine with a pause between messages, until stop. It
// returns what Publish accepted, by channel, once stopped.
type traffic struct {
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	sent map[string][]string
}

func startTraffic(t *testing.T, nodes []*node, channels []string, pause time.Duration) *traffic {
	tr := &traffic{stop: make(chan struct{}), sent: map[string][]string{}}
	for _, n := range nodes {
		for _, ch := range channels {
			tr.wg.Go(func() {
				for k := 0; ; k++ {
					select {
					case <-tr.stop:
						return
					case <-time.After(pause):
					}
					m := fmt.Sprintf("%s:%d", n.name, k)
					if err := n.r.Publish(ch, m); err != nil {
						t.Errorf("%s: publish: %v", n.name, err)
						return
					}
					tr.mu.Lock()
					tr.sent[ch] = append(tr.sent[ch], m)
					tr.mu.Unlock()
				}
			})
		}
	}
	return tr
}

func (tr *traffic) end() map[string][]string {
	close(tr.stop)
	tr.wg.Wait()
	return tr.sent
}

// checkDelivery waits until every node got as many messages on every
// channel as were sent, then checks that each got exactly those, once,
// all nodes in the same order: counted by the receivers, against what
// Publish accepted.
func checkDelivery(t *testing.T, nodes []*node, sent map[string][]string) {
	t.Helper()
	for ch, msgs := range sent {
		var first []string
		for _, n := range nodes {
			rec := n.recs[ch]
			deadline := time.Now().Add(20 * time.Second)
			for len(rec.Got()) < len(msgs) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond) // for anything more, which would be an error
			got := pubsubtest.Data(rec.Got())
			require.NoError(t, pubsubtest.ExactlyOnce(msgs, got), "%s on %s", ch, n.name)
			if first == nil {
				first = got
			} else {
				require.Equal(t, first, got, "%s: %s and %s saw different orders", ch, n.name, nodes[0].name)
			}
			assert.Empty(t, rec.Losses(), "%s on %s", ch, n.name)
		}
	}
}

func channels(n int) []string {
	var chs []string
	for i := range n {
		chs = append(chs, fmt.Sprintf("room-%d", i))
	}
	return chs
}

func TestBroker(t *testing.T) {
	s := startServer(t)
	rdb := newClient(t, s.addr())
	i := 0
	pubsubtest.TestBroker(t, func(t *testing.T, maxLen int) pubsub.Broker {
		i++
		b := redis.New(rdb, redis.Options{Prefix: fmt.Sprintf("t%d:", i), MaxLen: int64(maxLen)})
		t.Cleanup(func() { b.Close() })
		return b
	})
}

// Messages published while Redis is killed and restarted reach every node,
// each once: the publishers retry, the readers resume from their last id.
func TestNoLossAcrossRestart(t *testing.T) {
	s := startServer(t)
	chs := channels(6)
	opts := fast
	opts.MaxLen = 100_000 // the window holds the backlog the relays append when Redis is back
	var nodes []*node
	for i := range 3 {
		n := newNode(t, fmt.Sprint("n", i), newClient(t, s.addr()), opts)
		n.subscribe(t, chs...)
		nodes = append(nodes, n)
	}
	tr := startTraffic(t, nodes, chs, 2*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	s.kill()
	time.Sleep(2 * time.Second) // longer than go-redis retries by itself: the relays hold their backlog
	s.start()
	time.Sleep(300 * time.Millisecond)
	sent := tr.end()
	checkDelivery(t, nodes, sent)
	total := 0
	for _, m := range sent {
		total += len(m)
	}
	t.Logf("%d messages on %d channels from %d nodes, each delivered once to each node", total, len(chs), len(nodes))
}

// Connections cut under the readers and the publishers (a proxy in between
// closes them every 30 ms) lose and duplicate nothing.
func TestNoLossWhenConnectionsDrop(t *testing.T) {
	s := startServer(t)
	chs := channels(4)
	var nodes []*node
	var proxies []*proxy
	for i := range 2 {
		p := startProxy(t, s.addr())
		proxies = append(proxies, p)
		n := newNode(t, fmt.Sprint("n", i), newClient(t, p.addr()), fast)
		n.subscribe(t, chs...)
		nodes = append(nodes, n)
	}
	tr := startTraffic(t, nodes, chs, time.Millisecond)
	for range 20 {
		time.Sleep(30 * time.Millisecond)
		for _, p := range proxies {
			p.cut()
		}
	}
	checkDelivery(t, nodes, tr.end())
}

// An append that Redis carried out but whose reply was lost is retried
// (by go-redis, then by the relay) without being appended twice.
func TestRetriedAppendIsNotDuplicated(t *testing.T) {
	s := startServer(t)
	p := startProxy(t, s.addr())
	pub := newNode(t, "pub", newClient(t, p.addr()), fast)
	sub := newNode(t, "sub", newClient(t, s.addr()), fast)
	sub.subscribe(t, "room")
	// Once Redis knows the script, the appends run it with EVALSHA.
	sent := []string{"pub:0"}
	require.NoError(t, pub.r.Publish("room", sent[0]))
	sub.recs["room"].WaitFor(t, 1)
	p.loseReplies("evalsha")
	for k := 1; k < 30; k++ {
		m := fmt.Sprintf("pub:%d", k)
		require.NoError(t, pub.r.Publish("room", m))
		sent = append(sent, m)
	}
	deadline := time.Now().Add(10 * time.Second)
	for pub.r.Stats().AppendErrors < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.GreaterOrEqual(t, pub.r.Stats().AppendErrors, uint64(3), "the appends failed")
	p.loseReplies("")
	checkDelivery(t, []*node{sub}, map[string][]string{"room": sent})
	log, err := sub.b.Range(context.Background(), "room", pubsub.Offset{}, 0)
	require.NoError(t, err)
	assert.Len(t, log, len(sent), "each message is in the stream once")
	t.Logf("%d appends failed after Redis carried them out", pub.r.Stats().AppendErrors)
}

// A node reads only the streams of the channels it subscribes to.
func TestReadsOnlySubscribedStreams(t *testing.T) {
	s := startServer(t)
	monitor := monitor(t, s)

	rdb := newClient(t, s.addr())
	n := newNode(t, "n", rdb, redis.Options{Block: 100 * time.Millisecond})
	n.subscribe(t, "here")
	pub := newNode(t, "pub", newClient(t, s.addr()), redis.Options{})
	for k := range 5 {
		require.NoError(t, pub.r.Publish("here", fmt.Sprintf("pub:%d", k)))
		require.NoError(t, pub.r.Publish("elsewhere", fmt.Sprintf("pub:%d", k)))
	}
	n.recs["here"].WaitFor(t, 5)
	time.Sleep(300 * time.Millisecond) // a few XREADs more
	here, elsewhere := n.b.StreamKey("here"), n.b.StreamKey("elsewhere")
	xreads := 0
	for _, l := range monitor() {
		if !strings.Contains(l, `"XREAD"`) && !strings.Contains(l, `"xread"`) {
			continue
		}
		xreads++
		assert.Contains(t, l, strconv.Quote(here))
		assert.NotContains(t, l, strconv.Quote(elsewhere))
	}
	assert.Positive(t, xreads)
}

// monitor runs redis-cli monitor on s, and returns a function that stops
// it and returns the lines it printed.
func monitor(t *testing.T, s *server) func() []string {
	cmd := exec.Command("redis-cli", "-p", strconv.Itoa(s.port), "monitor")
	testproc.DieWithParent(cmd)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	require.True(t, sc.Scan(), "redis-cli monitor says OK first")
	var lines []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
	}()
	return func() []string {
		cmd.Process.Kill()
		<-done
		cmd.Wait()
		return lines
	}
}

// A reader that falls behind the window of a stream is told how many
// messages it lost: exactly those that the stream dropped before it read
// them.
func TestGapBeyondTheWindow(t *testing.T) {
	s := startServer(t, "--stream-node-max-entries", "5")
	n := newNode(t, "n", newClient(t, s.addr()), redis.Options{MaxLen: 10})
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	rec := &pubsubtest.Recorder{}
	sub, err := n.r.Subscribe(context.Background(), "room", slow{rec, func() { once.Do(func() { close(entered); <-release }) }})
	require.NoError(t, err)
	defer sub.Close()
	require.NoError(t, n.r.Publish("room", "m:0"))
	<-entered
	for k := 1; k <= 100; k++ {
		require.NoError(t, n.r.Publish("room", fmt.Sprintf("m:%d", k)))
	}
	for n.r.Stats().Pending > 0 {
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	rec.WaitFor(t, 11)
	time.Sleep(100 * time.Millisecond) // for anything more, which would be an error
	got := rec.Got()
	first := got[1].Offset.Seq // the first message after the gap
	require.Greater(t, first, uint64(2), "the stream dropped messages")
	require.Equal(t, 101-int(first)+2, len(got), "then every message from there")
	for i, m := range got[1:] {
		assert.Equal(t, fmt.Sprintf("m:%d", int(first)-1+i), m.Data)
	}
	l := rec.Losses()
	require.Len(t, l, 1)
	assert.Equal(t, pubsub.LossGap, l[0].Kind)
	assert.Equal(t, first-2, l[0].Count, "messages 1 to %d were dropped", first-2)
}

// slow is a Receiver that calls wait before each message.
type slow struct {
	*pubsubtest.Recorder
	wait func()
}

func (s slow) Receive(m pubsub.Message) { s.wait(); s.Recorder.Receive(m) }

// A Redis that lost its data (FLUSHALL, as a restart without persistence)
// starts the streams again: readers go on and report a reset, and history
// from an old offset is a gap.
func TestResetAfterDataLoss(t *testing.T) {
	s := startServer(t)
	n := newNode(t, "n", newClient(t, s.addr()), redis.Options{})
	n.subscribe(t, "room")
	for k := range 5 {
		require.NoError(t, n.r.Publish("room", fmt.Sprintf("n:%d", k)))
	}
	old := n.recs["room"].WaitFor(t, 5)
	flushAll(t, s.addr())
	for k := 5; k < 10; k++ {
		require.NoError(t, n.r.Publish("room", fmt.Sprintf("n:%d", k)))
	}
	got := n.recs["room"].WaitFor(t, 10)
	require.NoError(t, pubsubtest.ExactlyOnce(pubsubtest.Data(got), pubsubtest.Data(got)))
	assert.Equal(t, uint64(1), got[5].Offset.Seq, "the new stream starts at 1")
	assert.Equal(t, 1, got[5].Offset.Compare(got[4].Offset), "after the old one")
	l := n.recs["room"].Losses()
	require.Len(t, l, 1)
	assert.Equal(t, pubsub.LossReset, l[0].Kind)
	_, err := n.r.History(context.Background(), "room", old[2].Offset, 0)
	assert.ErrorIs(t, err, pubsub.ErrGap)
}

func TestClosedBroker(t *testing.T) {
	s := startServer(t)
	b := redis.New(newClient(t, s.addr()), redis.Options{})
	sub, err := b.Subscribe(context.Background(), "c", pubsub.Offset{}, &pubsubtest.Recorder{})
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, b.Close())
	assert.Less(t, time.Since(start), time.Second, "Close wakes the blocked reader")
	require.NoError(t, sub.Close())
	ctx := context.Background()
	_, err = b.Append(ctx, "c", pubsub.Batch{Producer: "p", Number: 1, Msgs: []string{"x"}})
	assert.ErrorIs(t, err, pubsub.ErrClosed)
	_, err = b.Range(ctx, "c", pubsub.Offset{}, 0)
	assert.ErrorIs(t, err, pubsub.ErrClosed)
	_, err = b.Tail(ctx, "c")
	assert.ErrorIs(t, err, pubsub.ErrClosed)
	_, err = b.Subscribe(ctx, "c", pubsub.Offset{}, &pubsubtest.Recorder{})
	assert.ErrorIs(t, err, pubsub.ErrClosed)
}
