package pubsub

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Receiver receives the messages of a channel that a Relay delivers on its
// node. The calls for one subscription never overlap and come in log order.
type Receiver interface {
	// Receive is called for every message of the channel, once.
	Receive(m Message)
	// Lost is called when messages of the channel will never be received.
	Lost(l Loss)
}

// ReceiverFunc adapts a function to a Receiver that ignores losses (the
// relay logs them).
type ReceiverFunc func(m Message)

// Receive calls f(m).
func (f ReceiverFunc) Receive(m Message) { f(m) }

// Lost does nothing.
func (ReceiverFunc) Lost(Loss) {}

// LossKind tells how messages were lost.
type LossKind uint8

// The kinds of Loss.
const (
	// LossGap: the log dropped messages before this node read them (it
	// retains a bounded number). Loss.Count is exact.
	LossGap LossKind = iota + 1
	// LossReset: the log was lost, or rolled back, and started again (a
	// broker that restarted without its data, a failover to a replica
	// that lagged). Loss.Count is 0: unknown.
	LossReset
)

// String returns the name of the kind.
func (k LossKind) String() string {
	switch k {
	case LossGap:
		return "gap"
	case LossReset:
		return "reset"
	}
	return "unknown"
}

// Loss reports messages of a channel that a subscription will never
// deliver.
type Loss struct {
	// Channel is the subscription's channel.
	Channel string
	// Kind tells how they were lost.
	Kind LossKind
	// Count is the number of messages lost, 0 when unknown.
	Count uint64
	// After is the offset of the last message delivered before the loss,
	// and Next that of the first one after it.
	After, Next Offset
}

// String describes the loss.
func (l Loss) String() string {
	return fmt.Sprintf("%s of %d message(s) in %q between %v and %v", l.Kind, l.Count, l.Channel, l.After, l.Next)
}

// Subscribe delivers to rc every message of channel appended from now on,
// until the subscription is closed or the relay shut down. It asks the
// broker for the log's last offset first, and retries while the broker is
// down, until ctx is done.
func (r *Relay) Subscribe(ctx context.Context, channel string, rc Receiver) (Subscription, error) {
	backoff := 50 * time.Millisecond
	var tail Offset
	for {
		var err error
		if tail, err = r.broker.Tail(ctx, channel); err == nil {
			break
		}
		if errors.Is(err, ErrClosed) || !sleep(ctx, backoff) {
			return nil, fmt.Errorf("pubsub: subscribe to %q: %w", channel, errors.Join(ctx.Err(), err))
		}
		backoff = min(2*backoff, 2*time.Second)
	}
	s := &relaySub{r: r, channel: channel, rc: rc, last: tail}
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		return nil, ErrClosed
	}
	r.subs[s] = struct{}{}
	r.mu.Unlock()
	bs, err := r.broker.Subscribe(ctx, channel, tail, s)
	if err != nil {
		r.mu.Lock()
		delete(r.subs, s)
		r.mu.Unlock()
		return nil, fmt.Errorf("pubsub: subscribe to %q: %w", channel, err)
	}
	s.mu.Lock()
	s.bs = bs
	closed := s.closed // by Shutdown, meanwhile
	s.mu.Unlock()
	if closed {
		bs.Close()
		return nil, ErrClosed
	}
	return s, nil
}

// relaySub is a relay's subscription to one channel, the broker
// subscription's handler.
type relaySub struct {
	r       *Relay
	channel string
	rc      Receiver
	last    Offset // the last offset delivered, touched by the handler only
	down    bool   // the connection is down, under r.mu

	mu     sync.Mutex
	bs     Subscription
	closed bool
}

// HandleMessages delivers msgs in order, dropping those at or before the
// last offset delivered and reporting the jumps of Offset.Seq.
func (s *relaySub) HandleMessages(msgs []Message) {
	var delivered, dup, lost, resets uint64
	for _, m := range msgs {
		if m.Offset.Compare(s.last) <= 0 {
			dup++
			continue
		}
		if m.Offset.Seq != s.last.Seq+1 {
			l := Loss{Channel: s.channel, Kind: LossGap, Count: m.Offset.Seq - s.last.Seq - 1, After: s.last, Next: m.Offset}
			if m.Offset.Seq <= s.last.Seq {
				l.Kind, l.Count = LossReset, 0
				resets++
			}
			lost += l.Count
			s.r.logger.Warn("pubsub: messages lost", "loss", l.String())
			s.rc.Lost(l)
		}
		s.rc.Receive(m)
		s.last = m.Offset
		delivered++
	}
	s.r.mu.Lock()
	s.r.stats.Delivered += delivered
	s.r.stats.Duplicates += dup
	s.r.stats.Lost += lost
	s.r.stats.Resets += resets
	s.r.mu.Unlock()
}

// HandleStatus records the outages of the subscription.
func (s *relaySub) HandleStatus(st Status) {
	r := s.r
	r.mu.Lock()
	if st.Connected == s.down {
		s.down = !st.Connected
		if s.down {
			r.down++
		} else {
			r.down--
		}
	}
	r.mu.Unlock()
	if st.Connected {
		r.logger.Info("pubsub: reading again", "channel", s.channel, "outage", time.Since(st.Since).Round(time.Millisecond))
	} else {
		r.logger.Warn("pubsub: subscription down, resuming when the broker is back", "channel", s.channel, "err", st.Err)
	}
}

// Close ends the subscription.
func (s *relaySub) Close() error {
	s.mu.Lock()
	bs, closed := s.bs, s.closed
	s.closed = true
	s.mu.Unlock()
	if closed {
		return nil
	}
	var err error
	if bs != nil {
		err = bs.Close()
	}
	s.r.mu.Lock()
	delete(s.r.subs, s)
	if s.down {
		s.down = false
		s.r.down--
	}
	s.r.mu.Unlock()
	return err
}
