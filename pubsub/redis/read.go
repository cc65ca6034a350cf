package redis

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/gosockjs/sockjs/pubsub"
	goredis "github.com/redis/go-redis/v9"
)

// group is the subscriptions one reader serves with one XREAD: those of a
// shard on a Redis Cluster, all of them on one server.
type group struct {
	b    *Broker
	wake string // the reader's wake stream, in the group's slot

	// Under b.mu:
	subs    map[string][]*subscription // by stream key
	running bool                       // the reader runs
}

// subscription is one subscription to a channel.
type subscription struct {
	g       *group
	key     string
	channel string
	h       pubsub.Handler
	pos     pubsub.Offset // the last offset delivered, under b.mu

	mu     sync.Mutex // held across handler calls
	closed bool
}

// Subscribe delivers the messages of channel after offset after to h. It
// does not wait for Redis: the reader of the channel's shard reads the
// channel from its next XREAD, which Subscribe wakes up.
func (b *Broker) Subscribe(ctx context.Context, channel string, after pubsub.Offset, h pubsub.Handler) (pubsub.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	shard := b.shard(channel)
	gid := shard
	if b.single {
		gid = 0
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, pubsub.ErrClosed
	}
	g := b.groups[gid]
	if g == nil {
		g = &group{b: b, wake: b.tag(gid) + "w:" + b.instance, subs: make(map[string][]*subscription)}
		b.groups[gid] = g
	}
	s := &subscription{g: g, key: b.tag(shard) + "c:" + channel, channel: channel, h: h, pos: after}
	g.subs[s.key] = append(g.subs[s.key], s)
	start := !g.running
	if start {
		g.running = true
		b.wg.Add(1)
	}
	b.mu.Unlock()
	if start {
		go g.run()
	} else {
		g.wakeUp(ctx) // a failure only delays the new subscription until the next XREAD
	}
	return s, nil
}

// Close ends the subscription.
func (s *subscription) Close() error {
	b := s.g.b
	b.mu.Lock()
	subs := slices.DeleteFunc(s.g.subs[s.key], func(x *subscription) bool { return x == s })
	if len(subs) == 0 {
		delete(s.g.subs, s.key)
	} else {
		s.g.subs[s.key] = subs
	}
	b.mu.Unlock()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// wakeUp makes the reader's XREAD return, by appending to its wake stream.
// The stream expires an hour after the last wake-up.
func (g *group) wakeUp(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, _ = g.b.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.XAdd(ctx, &goredis.XAddArgs{Stream: g.wake, MaxLen: 1, Values: []string{"w", ""}})
		p.Expire(ctx, g.wake, time.Hour)
		return nil
	})
}

// run reads the group's streams until it has no subscription or the broker
// closes, resuming after errors from the positions it delivered.
func (g *group) run() {
	b := g.b
	defer b.wg.Done()
	wakeID := "0-0" // an old wake entry costs one empty round
	backoff := b.opts.MinBackoff
	var downSince time.Time
	for {
		b.mu.Lock()
		if len(g.subs) == 0 || b.closed {
			g.running = false
			b.mu.Unlock()
			return
		}
		keys := make([]string, 0, 2*(len(g.subs)+1))
		keys = append(keys, g.wake)
		for key := range g.subs {
			keys = append(keys, key)
		}
		keys = append(keys, wakeID)
		for _, key := range keys[1 : len(keys)-1] {
			keys = append(keys, g.from(key).String())
		}
		b.mu.Unlock()

		res, err := b.client.XRead(b.ctx, &goredis.XReadArgs{Streams: keys, Count: b.opts.ReadCount, Block: b.opts.Block}).Result()
		if err != nil && !errors.Is(err, goredis.Nil) {
			if b.ctx.Err() != nil {
				continue // closing: the loop ends
			}
			if downSince.IsZero() {
				downSince = time.Now()
				g.status(pubsub.Status{Err: err})
			}
			if !sleep(b.ctx, backoff) {
				continue
			}
			backoff = min(2*backoff, b.opts.MaxBackoff)
			continue
		}
		backoff = b.opts.MinBackoff
		if !downSince.IsZero() {
			g.status(pubsub.Status{Connected: true, Since: downSince})
			downSince = time.Time{}
		}
		for _, st := range res {
			if st.Stream == g.wake {
				if n := len(st.Messages); n > 0 {
					wakeID = st.Messages[n-1].ID
				}
				continue
			}
			g.deliver(st.Stream, messages(st.Messages))
		}
	}
}

// from returns the offset to read the stream key from: the earliest
// position of its subscriptions. b.mu is held.
func (g *group) from(key string) pubsub.Offset {
	subs := g.subs[key]
	pos := subs[0].pos
	for _, s := range subs[1:] {
		if s.pos.Compare(pos) < 0 {
			pos = s.pos
		}
	}
	return pos
}

// deliver hands the messages read from stream key to each of its
// subscriptions, those after its position.
func (g *group) deliver(key string, msgs []pubsub.Message) {
	b := g.b
	b.mu.Lock()
	subs := slices.Clone(g.subs[key])
	b.mu.Unlock()
	for _, s := range subs {
		b.mu.Lock()
		i := 0
		for i < len(msgs) && msgs[i].Offset.Compare(s.pos) <= 0 {
			i++
		}
		b.mu.Unlock()
		if i == len(msgs) {
			continue
		}
		s.mu.Lock()
		if !s.closed {
			s.h.HandleMessages(msgs[i:])
		}
		s.mu.Unlock()
		b.mu.Lock()
		s.pos = msgs[len(msgs)-1].Offset
		b.mu.Unlock()
	}
}

// status reports a change of the connection to every subscription.
func (g *group) status(st pubsub.Status) {
	b := g.b
	b.mu.Lock()
	var subs []*subscription
	for _, ss := range g.subs {
		subs = append(subs, ss...)
	}
	b.mu.Unlock()
	for _, s := range subs {
		st.Channel = s.channel
		s.mu.Lock()
		if !s.closed {
			s.h.HandleStatus(st)
		}
		s.mu.Unlock()
	}
}

// sleep waits for d or the end of ctx, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
