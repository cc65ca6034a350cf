package pubsub_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gosockjs/sockjs/pubsub"
	"github.com/gosockjs/sockjs/pubsub/pubsubtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faulty is a Local broker whose calls can fail.
type faulty struct {
	*pubsub.Local
	mu        sync.Mutex
	down      bool // every call fails without effect
	ambiguous bool // Append appends, then fails (the reply was lost)
	appends   int  // calls of Append
	handlers  []pubsub.Handler
}

var errDown = errors.New("broker down")

func newFaulty(maxLen int) *faulty {
	return &faulty{Local: pubsub.NewLocal(pubsub.LocalOptions{MaxLen: maxLen})}
}

func (f *faulty) set(fn func(f *faulty)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *faulty) Append(ctx context.Context, ch string, b pubsub.Batch) (pubsub.Offset, error) {
	f.mu.Lock()
	down, ambiguous := f.down, f.ambiguous
	f.appends++
	f.mu.Unlock()
	switch {
	case down:
		return pubsub.Offset{}, errDown
	case ambiguous:
		f.Local.Append(ctx, ch, b)
		return pubsub.Offset{}, errors.New("reply lost")
	}
	return f.Local.Append(ctx, ch, b)
}

func (f *faulty) Tail(ctx context.Context, ch string) (pubsub.Offset, error) {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return pubsub.Offset{}, errDown
	}
	return f.Local.Tail(ctx, ch)
}

func (f *faulty) Subscribe(ctx context.Context, ch string, after pubsub.Offset, h pubsub.Handler) (pubsub.Subscription, error) {
	f.mu.Lock()
	f.handlers = append(f.handlers, h)
	f.mu.Unlock()
	return f.Local.Subscribe(ctx, ch, after, h)
}

// newRelay returns a relay on b, shut down at the end of the test.
func newRelay(t *testing.T, b pubsub.Broker, opts pubsub.RelayOptions) *pubsub.Relay {
	r := pubsub.NewRelay(b, opts)
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	return r
}

// subscribe subscribes a recorder to channel on r.
func subscribe(t *testing.T, r *pubsub.Relay, channel string) *pubsubtest.Recorder {
	t.Helper()
	var rec pubsubtest.Recorder
	sub, err := r.Subscribe(context.Background(), channel, &rec)
	require.NoError(t, err)
	t.Cleanup(func() { sub.Close() })
	return &rec
}

// checkExactly checks that every recorder got exactly the messages sent,
// each once, each sender's ("sender:k") in order, all in the same order.
func checkExactly(t *testing.T, sent map[string]bool, recs ...*pubsubtest.Recorder) {
	t.Helper()
	var want []string
	for m := range sent {
		want = append(want, m)
	}
	var first []string
	for i, rec := range recs {
		rec.WaitFor(t, len(sent))
		time.Sleep(10 * time.Millisecond) // for anything more, which would be an error
		got := pubsubtest.Data(rec.Got())
		require.NoError(t, pubsubtest.ExactlyOnce(want, got), "receiver %d", i)
		if i == 0 {
			first = got
		} else {
			assert.Equal(t, first, got, "receivers %d and 0 saw different orders", i)
		}
	}
}

func TestRelayExactlyOnceInLogOrder(t *testing.T) {
	b := pubsub.NewLocal(pubsub.LocalOptions{MaxLen: 100_000})
	defer b.Close()
	var relays []*pubsub.Relay
	recs := map[string][]*pubsubtest.Recorder{}
	channels := []string{"a", "b", "c"}
	for i := range 3 {
		r := newRelay(t, b, pubsub.RelayOptions{Node: fmt.Sprint("n", i), MaxBatch: 7})
		relays = append(relays, r)
		for _, ch := range channels {
			recs[ch] = append(recs[ch], subscribe(t, r, ch))
		}
	}
	const senders, n = 6, 300
	sent := map[string]map[string]bool{}
	for _, ch := range channels {
		sent[ch] = map[string]bool{}
	}
	var wg sync.WaitGroup
	for s := range senders {
		ch := channels[s%len(channels)]
		for i := range n {
			sent[ch][fmt.Sprintf("s%d:%d", s, i)] = true
		}
		wg.Go(func() {
			r := relays[s%len(relays)]
			for i := range n {
				if err := r.Publish(ch, fmt.Sprintf("s%d:%d", s, i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for _, ch := range channels {
		checkExactly(t, sent[ch], recs[ch]...)
	}
}

// Messages published while the broker is down wait, and all reach every
// node once it is back.
func TestRelayKeepsTheBacklogWhileDown(t *testing.T) {
	b := newFaulty(10_000)
	defer b.Close()
	a, c := newRelay(t, b, pubsub.RelayOptions{Node: "a"}), newRelay(t, b, pubsub.RelayOptions{Node: "c"})
	recA, recC := subscribe(t, a, "room"), subscribe(t, c, "room")
	sent := map[string]bool{}
	say := func(r *pubsub.Relay, s string, from, to int) {
		for i := from; i < to; i++ {
			m := fmt.Sprintf("%s:%d", s, i)
			require.NoError(t, r.Publish("room", m))
			sent[m] = true
		}
	}
	say(a, "a", 0, 10)
	recC.WaitFor(t, 10)
	b.set(func(f *faulty) { f.down = true })
	say(a, "a", 10, 60)
	say(c, "c", 0, 50)
	eventually(t, func() bool { return a.Stats().AppendErrors >= 2 && c.Stats().AppendErrors >= 2 })
	assert.False(t, a.Stats().Connected, "an outage shows in Stats")
	assert.Len(t, recA.Got(), 10, "nothing delivered while the broker is down")
	b.set(func(f *faulty) { f.down = false })
	checkExactly(t, sent, recA, recC)
	assert.True(t, a.Stats().Connected)
}

// An append that the broker carried out but reported as failed is retried
// with the same batch number: nothing is delivered twice.
func TestRelayRetryIsIdempotent(t *testing.T) {
	b := newFaulty(10_000)
	defer b.Close()
	a, c := newRelay(t, b, pubsub.RelayOptions{Node: "a"}), newRelay(t, b, pubsub.RelayOptions{Node: "c"})
	rec := subscribe(t, c, "room")
	sent := map[string]bool{}
	b.set(func(f *faulty) { f.ambiguous = true })
	for i := range 20 {
		m := fmt.Sprintf("a:%d", i)
		require.NoError(t, a.Publish("room", m))
		sent[m] = true
	}
	eventually(t, func() bool { return a.Stats().AppendErrors >= 3 })
	b.set(func(f *faulty) { f.ambiguous = false })
	checkExactly(t, sent, rec)
}

func TestRelayRefusesBeyondMaxPending(t *testing.T) {
	b := newFaulty(10_000)
	defer b.Close()
	a := newRelay(t, b, pubsub.RelayOptions{Node: "a", MaxPending: 5})
	rec := subscribe(t, a, "room")
	b.set(func(f *faulty) { f.down = true })
	sent := map[string]bool{}
	for i := range 8 {
		m := fmt.Sprintf("a:%d", i)
		err := a.Publish("room", m)
		if i < 5 {
			require.NoError(t, err)
			sent[m] = true
		} else {
			require.ErrorIs(t, err, pubsub.ErrFull)
		}
	}
	b.set(func(f *faulty) { f.down = false })
	checkExactly(t, sent, rec)
	st := a.Stats()
	assert.Equal(t, uint64(3), st.Rejected)
	assert.Zero(t, st.Pending)
}

// A subscriber that falls behind a log's retained window is told exactly
// how many messages it lost.
func TestRelayReportsGap(t *testing.T) {
	b := pubsub.NewLocal(pubsub.LocalOptions{MaxLen: 10})
	defer b.Close()
	r := newRelay(t, b, pubsub.RelayOptions{Node: "r"})
	entered, release := make(chan struct{}), make(chan struct{})
	var rec pubsubtest.Recorder
	var once sync.Once
	sub, err := r.Subscribe(context.Background(), "room", slow{&rec, func() { once.Do(func() { close(entered); <-release }) }})
	require.NoError(t, err)
	defer sub.Close()
	ctx := context.Background()
	_, err = b.Append(ctx, "room", pubsub.Batch{Producer: "p", Number: 1, Msgs: []string{"0"}})
	require.NoError(t, err)
	<-entered // the receiver holds message 0
	for i := 1; i <= 30; i++ {
		_, err := b.Append(ctx, "room", pubsub.Batch{Producer: "p", Number: uint64(i + 1), Msgs: []string{fmt.Sprint(i)}})
		require.NoError(t, err)
	}
	close(release)
	got := rec.WaitFor(t, 11)
	assert.Equal(t, []string{"0", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30"}, pubsubtest.Data(got))
	l := rec.Losses()
	require.Len(t, l, 1)
	assert.Equal(t, pubsub.LossGap, l[0].Kind)
	assert.Equal(t, uint64(20), l[0].Count, "messages 1 to 20 were trimmed before the receiver read them")
	assert.Equal(t, got[0].Offset, l[0].After)
	assert.Equal(t, got[1].Offset, l[0].Next)
}

// slow is a Receiver that calls wait before each message.
type slow struct {
	*pubsubtest.Recorder
	wait func()
}

func (s slow) Receive(m pubsub.Message) { s.wait(); s.Recorder.Receive(m) }

// What a broker delivers again is dropped; a log that starts again is
// reported as a reset.
func TestRelayDropsRepeatsAndReportsResets(t *testing.T) {
	b := newFaulty(100)
	defer b.Close()
	r := newRelay(t, b, pubsub.RelayOptions{Node: "r"})
	rec := subscribe(t, r, "room")
	b.mu.Lock()
	h := b.handlers[0]
	b.mu.Unlock()
	msg := func(t, s uint64, d string) pubsub.Message {
		return pubsub.Message{Offset: pubsub.Offset{Time: t, Seq: s}, Data: d}
	}
	h.HandleMessages([]pubsub.Message{msg(10, 1, "1"), msg(10, 2, "2"), msg(11, 3, "3")})
	h.HandleMessages([]pubsub.Message{msg(10, 2, "2 again"), msg(11, 3, "3 again"), msg(11, 4, "4")})
	// The log was lost: it starts again at 1, later in time.
	h.HandleMessages([]pubsub.Message{msg(20, 1, "new 1"), msg(20, 2, "new 2")})
	assert.Equal(t, []string{"1", "2", "3", "4", "new 1", "new 2"}, pubsubtest.Data(rec.Got()))
	l := rec.Losses()
	require.Len(t, l, 1)
	assert.Equal(t, pubsub.LossReset, l[0].Kind)
	st := r.Stats()
	assert.Equal(t, uint64(2), st.Duplicates)
	assert.Equal(t, uint64(1), st.Resets)
}

// Subscribe waits for a broker that is down, until its context ends.
func TestRelaySubscribeWaitsForTheBroker(t *testing.T) {
	b := newFaulty(100)
	defer b.Close()
	r := newRelay(t, b, pubsub.RelayOptions{Node: "r"})
	b.set(func(f *faulty) { f.down = true })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := r.Subscribe(ctx, "room", &pubsubtest.Recorder{})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, errDown)

	go func() {
		time.Sleep(100 * time.Millisecond)
		b.set(func(f *faulty) { f.down = false })
	}()
	rec := subscribe(t, r, "room")
	require.NoError(t, r.Publish("room", "x:0"))
	checkExactly(t, map[string]bool{"x:0": true}, rec)
}

func TestRelayShutdown(t *testing.T) {
	b := newFaulty(10_000)
	defer b.Close()
	a, c := newRelay(t, b, pubsub.RelayOptions{Node: "a"}), newRelay(t, b, pubsub.RelayOptions{Node: "c"})
	rec := subscribe(t, c, "room")
	sent := map[string]bool{}
	for i := range 100 {
		m := fmt.Sprintf("a:%d", i)
		require.NoError(t, a.Publish("room", m))
		sent[m] = true
	}
	require.NoError(t, a.Shutdown(context.Background()), "Shutdown appends what is pending")
	assert.ErrorIs(t, a.Publish("room", "late"), pubsub.ErrClosed)
	_, err := a.Subscribe(context.Background(), "room", &pubsubtest.Recorder{})
	assert.ErrorIs(t, err, pubsub.ErrClosed)
	checkExactly(t, sent, rec)

	// A broker that never takes them: Shutdown gives up at its deadline.
	b.set(func(f *faulty) { f.down = true })
	require.NoError(t, c.Publish("room", "c:0"))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = c.Shutdown(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "1 message(s) dropped")
	st := c.Stats()
	assert.Equal(t, uint64(1), st.Dropped)
	assert.Zero(t, st.Pending)
	assert.Zero(t, st.Subscriptions, "Shutdown closes the subscriptions")
	require.NoError(t, c.Shutdown(context.Background()), "a second Shutdown")
}

func TestRelayHistory(t *testing.T) {
	b := pubsub.NewLocal(pubsub.LocalOptions{MaxLen: 5})
	defer b.Close()
	r := newRelay(t, b, pubsub.RelayOptions{Node: "r"})
	rec := subscribe(t, r, "room")
	for i := range 8 {
		require.NoError(t, r.Publish("room", fmt.Sprint(i)))
		rec.WaitFor(t, i+1) // each is read before the log trims it
	}
	got := rec.Got()
	ctx := context.Background()
	h, err := r.History(ctx, "room", got[4].Offset, 2)
	require.NoError(t, err)
	assert.Equal(t, got[5:7], h)
	_, err = r.History(ctx, "room", got[1].Offset, 0)
	assert.ErrorIs(t, err, pubsub.ErrGap, "message 2 is no longer retained")
}

// eventually waits until cond holds, failing t after 10 seconds.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
