package pubsub

import (
	"context"
	"sync"
)

// Local is a Broker within one process: every subscription of the process
// receives every message published on its channel, in publish order. It
// never loses its connection, so it never calls Handler.HandleStatus.
//
// Each subscription has its own goroutine and an unbounded queue, so a slow
// handler delays only itself and Publish never blocks on it. The zero value
// is not usable; create a Local with NewLocal.
type Local struct {
	mu     sync.Mutex
	subs   map[string]map[*localSub]struct{}
	closed bool
}

// NewLocal returns an empty in-process broker.
func NewLocal() *Local {
	return &Local{subs: make(map[string]map[*localSub]struct{})}
}

var _ Broker = (*Local)(nil)

// Publish queues a copy of msg for every current subscription of channel.
// It returns ErrClosed once the broker is closed, or ctx's error if ctx is
// already done.
func (l *Local) Publish(ctx context.Context, channel string, msg []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	subs := l.subs[channel]
	if len(subs) == 0 {
		return nil
	}
	cp := append([]byte(nil), msg...)
	for s := range subs {
		s.push(cp)
	}
	return nil
}

// Subscribe subscribes h to channel. The subscription is established when
// Subscribe returns.
func (l *Local) Subscribe(ctx context.Context, channel string, h Handler) (Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &localSub{l: l, channel: channel, h: h, wake: make(chan struct{}, 1), done: make(chan struct{})}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	m := l.subs[channel]
	if m == nil {
		m = make(map[*localSub]struct{})
		l.subs[channel] = m
	}
	m[s] = struct{}{}
	l.mu.Unlock()
	go s.run()
	return s, nil
}

// Close ends every subscription, waiting for their handlers to return, and
// makes Publish and Subscribe fail with ErrClosed. Messages still queued are
// dropped.
func (l *Local) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	var all []*localSub
	for _, m := range l.subs {
		for s := range m {
			all = append(all, s)
		}
	}
	l.subs = nil
	l.mu.Unlock()
	for _, s := range all {
		s.stop()
	}
	return nil
}

// localSub is one subscription of a Local broker.
type localSub struct {
	l       *Local
	channel string
	h       Handler

	mu      sync.Mutex
	queue   [][]byte
	stopped bool

	wake chan struct{} // signalled when the queue grows or on stop
	done chan struct{} // closed when run returns
	once sync.Once
}

// push queues msg. The broker's lock is held.
func (s *localSub) push(msg []byte) {
	s.mu.Lock()
	if !s.stopped {
		s.queue = append(s.queue, msg)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run delivers the queue to the handler until the subscription stops.
func (s *localSub) run() {
	defer close(s.done)
	var batch [][]byte
	for range s.wake {
		s.mu.Lock()
		batch, s.queue = s.queue, batch[:0]
		stopped := s.stopped
		s.mu.Unlock()
		if stopped {
			return
		}
		for i, m := range batch {
			s.mu.Lock()
			stopped := s.stopped
			s.mu.Unlock()
			if stopped {
				return
			}
			s.h.HandleMessage(m)
			batch[i] = nil
		}
	}
}

// stop ends the subscription and waits for its goroutine.
func (s *localSub) stop() {
	s.once.Do(func() {
		s.mu.Lock()
		s.stopped = true
		s.queue = nil
		s.mu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
	})
	<-s.done
}

// Close unsubscribes and waits until the handler has returned.
func (s *localSub) Close() error {
	s.l.mu.Lock()
	if m := s.l.subs[s.channel]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(s.l.subs, s.channel)
		}
	}
	s.l.mu.Unlock()
	s.stop()
	return nil
}
