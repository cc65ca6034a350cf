// Package pubsubtest checks that a pubsub.Broker keeps the contract that
// pubsub.Relay relies on. pubsub.Local and the Redis broker
// (github.com/gosockjs/sockjs/pubsub/redis) run it in their tests.
package pubsubtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosockjs/sockjs/pubsub"
)

// Open returns a broker with empty logs that retain maxLen messages each
// (at least maxLen: a broker may keep more), closed at the end of t.
type Open func(t *testing.T, maxLen int) pubsub.Broker

// TestBroker runs every check of the package as subtests of t.
func TestBroker(t *testing.T, open Open) {
	t.Run("Log", func(t *testing.T) { TestLog(t, open) })
	t.Run("Idempotent", func(t *testing.T) { TestIdempotent(t, open) })
	t.Run("Concurrent", func(t *testing.T) { TestConcurrent(t, open) })
	t.Run("Subscribe", func(t *testing.T) { TestSubscribe(t, open) })
}

// TestLog appends generated batches (fixed seeds, logged) and checks the
// offsets and what Range and Tail return: messages numbered from 1 without
// a hole, offsets that increase, Range after every offset returning exactly
// what follows it while the offset is retained and pubsub.ErrGap once it is
// not, the log retaining at least maxLen messages.
func TestLog(t *testing.T, open Open) {
	for _, tc := range []struct {
		name   string
		maxLen int
		n      int
		seed   uint64
	}{
		{"empty", 50, 0, 1},
		{"one", 50, 1, 2},
		{"within the window", 50, 49, 3},
		{"beyond the window", 50, 400, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Logf("seed %d", tc.seed)
			rng := rand.New(rand.NewPCG(tc.seed, tc.seed))
			b := open(t, tc.maxLen)
			ctx := context.Background()
			var sent []string
			for i := range tc.n {
				sent = append(sent, fmt.Sprintf("m%d %x", i, rng.Uint64()))
			}
			offs := AppendAll(t, b, "c", "p", sent, func() int { return 1 + rng.IntN(9) })

			tail, err := b.Tail(ctx, "c")
			if err != nil {
				t.Fatal(err)
			}
			if want := last(offs); tail != want {
				t.Fatalf("Tail is %v, want %v", tail, want)
			}
			// The retained window is a suffix of the log: find its start.
			first := len(offs)
			for i := len(offs) - 1; i >= 0; i-- {
				if _, err := b.Range(ctx, "c", offs[i], 1); err != nil {
					break
				}
				first = i
			}
			if kept := len(offs) - first; kept < min(len(offs), tc.maxLen) {
				t.Fatalf("the log retains %d messages, want at least %d", kept, min(len(offs), tc.maxLen))
			}
			for i, o := range offs {
				got, err := b.Range(ctx, "c", o, 7)
				if i < first {
					if !errors.Is(err, pubsub.ErrGap) {
						t.Fatalf("Range after %v (trimmed): %v, want ErrGap", o, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("Range after %v: %v", o, err)
				}
				want := messages(offs, sent)[i+1 : min(len(offs), i+8)]
				if !slices.Equal(got, want) {
					t.Fatalf("Range after %v: got %v, want %v", o, got, want)
				}
			}
			all, err := b.Range(ctx, "c", pubsub.Offset{}, 0)
			switch {
			case first == 0 && err != nil:
				t.Fatalf("Range from the start: %v", err)
			case first == 0 && !slices.Equal(all, messages(offs, sent)):
				t.Fatalf("Range from the start: got %d messages, want %d", len(all), len(sent))
			case first > 0 && !errors.Is(err, pubsub.ErrGap):
				t.Fatalf("Range from the start after a trim: %v, want ErrGap", err)
			}
			for _, o := range []pubsub.Offset{
				{Time: tail.Time + 1, Seq: tail.Seq},
				{Time: tail.Time, Seq: tail.Seq + 1},
				{Time: tail.Time + 1, Seq: 1},
			} {
				if _, err := b.Range(ctx, "c", o, 0); !errors.Is(err, pubsub.ErrGap) {
					t.Errorf("Range after %v, not in the log: %v, want ErrGap", o, err)
				}
			}
		})
	}
}

// TestIdempotent checks that a batch appended again (same producer, same or
// lower number) is not appended twice, and that numbers are per producer
// and channel.
func TestIdempotent(t *testing.T, open Open) {
	b := open(t, 100)
	ctx := context.Background()
	app := func(ch, producer string, n uint64, msgs ...string) pubsub.Offset {
		t.Helper()
		o, err := b.Append(ctx, ch, pubsub.Batch{Producer: producer, Number: n, Msgs: msgs})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	o1 := app("c", "a", 1, "a1", "a2")
	if again := app("c", "a", 1, "a1", "a2"); again != o1 {
		t.Errorf("the retried batch gave %v, want the first one's %v", again, o1)
	}
	app("c", "b", 1, "b1")
	app("other", "a", 1, "x")
	o2 := app("c", "a", 2, "a3")
	if old := app("c", "a", 1, "a1", "a2"); old != o2 {
		t.Errorf("an older batch gave %v, want the last one's %v", old, o2)
	}
	all, err := b.Range(ctx, "c", pubsub.Offset{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Data(all), []string{"a1", "a2", "b1", "a3"}; !slices.Equal(got, want) {
		t.Errorf("log %q, want %q", got, want)
	}
}

// TestConcurrent appends from several producers at once and checks that
// every message is in the log once, numbered without a hole, each
// producer's in order.
func TestConcurrent(t *testing.T, open Open) {
	b := open(t, 10_000)
	const producers, n = 4, 200
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range n {
				_, err := b.Append(context.Background(), "c", pubsub.Batch{
					Producer: fmt.Sprint(p), Number: uint64(i + 1), Msgs: []string{fmt.Sprintf("%d:%d", p, i)},
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	all, err := b.Range(context.Background(), "c", pubsub.Offset{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != producers*n {
		t.Fatalf("%d messages, want %d", len(all), producers*n)
	}
	next := make([]int, producers)
	for i, m := range all {
		var p, k int
		fmt.Sscanf(m.Data, "%d:%d", &p, &k)
		if m.Offset.Seq != uint64(i+1) || k != next[p] {
			t.Fatalf("message %d: %v %q, want seq %d and %d:%d", i, m.Offset, m.Data, i+1, p, next[p])
		}
		next[p]++
	}
}

// TestSubscribe checks that subscriptions deliver exactly the messages after
// their offset, in order, that they are independent, and that Close stops
// them.
func TestSubscribe(t *testing.T, open Open) {
	b := open(t, 1000)
	ctx := context.Background()
	var sent []string
	for i := range 40 {
		sent = append(sent, fmt.Sprint(i))
	}
	offs := AppendAll(t, b, "c", "p", sent[:10], func() int { return 3 })
	var fromStart, fromMid, other, closed Recorder
	subs := map[*Recorder]pubsub.Subscription{}
	for _, s := range []struct {
		ch    string
		after pubsub.Offset
		h     *Recorder
	}{{"c", pubsub.Offset{}, &fromStart}, {"c", offs[4], &fromMid}, {"d", pubsub.Offset{}, &other}, {"c", last(offs), &closed}} {
		sub, err := b.Subscribe(ctx, s.ch, s.after, s.h)
		if err != nil {
			t.Fatal(err)
		}
		subs[s.h] = sub
		t.Cleanup(func() { sub.Close() })
	}
	if err := subs[&closed].Close(); err != nil {
		t.Fatal(err)
	}
	more := AppendAll(t, b, "c", "q", sent[10:], func() int { return 2 })
	all := messages(append(offs, more...), sent)
	if got := fromStart.WaitFor(t, 40); !slices.Equal(got, all) {
		t.Errorf("from the start: got %v", Data(got))
	}
	if got := fromMid.WaitFor(t, 35); !slices.Equal(got, all[5:]) {
		t.Errorf("from %v: got %v", offs[4], Data(got))
	}
	if got := other.Got(); len(got) != 0 {
		t.Errorf("another channel got %v", Data(got))
	}
	if got := closed.Got(); len(got) != 0 {
		t.Errorf("a closed subscription got %v", Data(got))
	}
}

// AppendAll appends msgs to channel in batches of the sizes batch returns,
// and returns the offset of every message: each batch's messages have
// consecutive numbers, ending at the offset Append returns.
func AppendAll(t testing.TB, b pubsub.Broker, channel, producer string, msgs []string, batch func() int) []pubsub.Offset {
	t.Helper()
	var offs []pubsub.Offset
	for n := uint64(1); len(msgs) > 0; n++ {
		k := min(len(msgs), batch())
		o, err := b.Append(context.Background(), channel, pubsub.Batch{Producer: producer, Number: n, Msgs: msgs[:k]})
		if err != nil {
			t.Fatal(err)
		}
		for i := k - 1; i >= 0; i-- {
			offs = append(offs, pubsub.Offset{Time: o.Time, Seq: o.Seq - uint64(i)})
		}
		msgs = msgs[k:]
	}
	return offs
}

func last(offs []pubsub.Offset) pubsub.Offset {
	if len(offs) == 0 {
		return pubsub.Offset{}
	}
	return offs[len(offs)-1]
}

func messages(offs []pubsub.Offset, data []string) []pubsub.Message {
	msgs := make([]pubsub.Message, len(offs))
	for i := range offs {
		msgs[i] = pubsub.Message{Offset: offs[i], Data: data[i]}
	}
	return msgs
}

// Data returns the data of msgs.
func Data(msgs []pubsub.Message) []string {
	d := make([]string, len(msgs))
	for i, m := range msgs {
		d[i] = m.Data
	}
	return d
}

// Recorder is a pubsub.Handler and a pubsub.Receiver that records what it
// gets. Its zero value is ready to use.
type Recorder struct {
	mu       sync.Mutex
	msgs     []pubsub.Message
	losses   []pubsub.Loss
	statuses []pubsub.Status
}

// HandleMessages records msgs.
func (r *Recorder) HandleMessages(msgs []pubsub.Message) {
	r.mu.Lock()
	r.msgs = append(r.msgs, msgs...)
	r.mu.Unlock()
}

// Receive records m.
func (r *Recorder) Receive(m pubsub.Message) { r.HandleMessages([]pubsub.Message{m}) }

// HandleStatus records st.
func (r *Recorder) HandleStatus(st pubsub.Status) {
	r.mu.Lock()
	r.statuses = append(r.statuses, st)
	r.mu.Unlock()
}

// Lost records l.
func (r *Recorder) Lost(l pubsub.Loss) {
	r.mu.Lock()
	r.losses = append(r.losses, l)
	r.mu.Unlock()
}

// Got returns the messages recorded.
func (r *Recorder) Got() []pubsub.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// Losses returns the losses recorded.
func (r *Recorder) Losses() []pubsub.Loss {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.losses)
}

// Statuses returns the statuses recorded.
func (r *Recorder) Statuses() []pubsub.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.statuses)
}

// WaitFor waits up to 10 seconds for n messages and returns those recorded.
func (r *Recorder) WaitFor(t testing.TB, n int) []pubsub.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(r.Got()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %d messages in 10 s, want %d", len(r.Got()), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return r.Got()
}

// ExactlyOnce checks messages named "sender:k" (k from 0 up, each sender's
// in the order it sent them): it returns an error describing the first
// message of got that is not in sent, that comes twice or out of its
// sender's order, or, if there is none, the first one of sent that is not
// in got.
func ExactlyOnce(sent, got []string) error {
	want := make(map[string]bool, len(sent))
	for _, m := range sent {
		want[m] = true
	}
	seen := make(map[string]bool, len(got))
	last := map[string]int{}
	for i, m := range got {
		if !want[m] {
			return fmt.Errorf("message %d, %q, was never sent", i, m)
		}
		if seen[m] {
			return fmt.Errorf("message %d, %q, came twice", i, m)
		}
		seen[m] = true
		s, k, _ := strings.Cut(m, ":")
		n, _ := strconv.Atoi(k)
		if prev, ok := last[s]; ok && n <= prev {
			return fmt.Errorf("message %d, %q, came after %s:%d", i, m, s, prev)
		}
		last[s] = n
	}
	for _, m := range sent {
		if !seen[m] {
			return fmt.Errorf("%d of %d messages missing, such as %q", len(sent)-len(seen), len(sent), m)
		}
	}
	return nil
}
