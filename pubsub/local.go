package pubsub

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"
)

// DefaultMaxLen is the number of messages a log retains by default.
const DefaultMaxLen = 1000

// LocalOptions configures a Local broker. The zero value is ready to use.
type LocalOptions struct {
	// MaxLen is the number of messages each log retains; older ones are
	// dropped. Default: DefaultMaxLen.
	MaxLen int
}

// Local is a Broker within one process: logs in memory, each retaining its
// last MaxLen messages. It never loses its connection, so it never calls
// Handler.HandleStatus.
//
// Each subscription has its own goroutine, so a slow handler delays only
// itself and Append never blocks on it. Create a Local with NewLocal.
type Local struct {
	maxLen int

	mu     sync.Mutex
	logs   map[string]*localLog
	closed bool
}

// localLog is the log of one channel.
type localLog struct {
	msgs      []Message // the retained messages, oldest first
	last      Offset    // the last offset given out
	producers map[string]appended
	subs      map[*localSub]struct{}
}

// appended is the last batch a producer appended to a log.
type appended struct {
	number uint64
	last   Offset
}

// NewLocal returns an empty in-process broker.
func NewLocal(opts LocalOptions) *Local {
	if opts.MaxLen <= 0 {
		opts.MaxLen = DefaultMaxLen
	}
	return &Local{maxLen: opts.MaxLen, logs: make(map[string]*localLog)}
}

var _ Broker = (*Local)(nil)

// log returns the log of channel, creating it. l.mu is held.
func (l *Local) log(channel string) *localLog {
	g := l.logs[channel]
	if g == nil {
		g = &localLog{producers: make(map[string]appended), subs: make(map[*localSub]struct{})}
		l.logs[channel] = g
	}
	return g
}

// Append appends the messages of b to the log of channel.
func (l *Local) Append(ctx context.Context, channel string, b Batch) (Offset, error) {
	if err := ctx.Err(); err != nil {
		return Offset{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return Offset{}, ErrClosed
	}
	g := l.log(channel)
	if p, ok := g.producers[b.Producer]; ok && b.Number <= p.number {
		return p.last, nil
	}
	ms := max(uint64(time.Now().UnixMilli()), g.last.Time)
	for _, m := range b.Msgs {
		g.last = Offset{Time: ms, Seq: g.last.Seq + 1}
		g.msgs = append(g.msgs, Message{Offset: g.last, Data: m})
	}
	if n := len(g.msgs) - l.maxLen; n > 0 {
		clear(g.msgs[:n])
		g.msgs = g.msgs[n:]
	}
	g.producers[b.Producer] = appended{b.Number, g.last}
	for s := range g.subs {
		s.signal()
	}
	return g.last, nil
}

// Range returns the messages of channel after offset after.
func (l *Local) Range(ctx context.Context, channel string, after Offset, limit int) ([]Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	msgs := l.log(channel).msgs
	i := 0
	if after.IsZero() {
		if len(msgs) > 0 && msgs[0].Offset.Seq != 1 {
			return nil, ErrGap
		}
	} else {
		i = search(msgs, after)
		if i == len(msgs) || msgs[i].Offset != after {
			return nil, ErrGap
		}
		i++
	}
	if limit <= 0 || limit > len(msgs)-i {
		limit = len(msgs) - i
	}
	return slices.Clone(msgs[i : i+limit]), nil
}

// Tail returns the offset of the last message of channel.
func (l *Local) Tail(ctx context.Context, channel string) (Offset, error) {
	if err := ctx.Err(); err != nil {
		return Offset{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return Offset{}, ErrClosed
	}
	return l.log(channel).last, nil
}

// search returns the index of the first message at or after o.
func search(msgs []Message, o Offset) int {
	return sort.Search(len(msgs), func(i int) bool { return msgs[i].Offset.Compare(o) >= 0 })
}

// Subscribe delivers the messages of channel after offset after to h.
func (l *Local) Subscribe(ctx context.Context, channel string, after Offset, h Handler) (Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &localSub{l: l, channel: channel, h: h, pos: after, wake: make(chan struct{}, 1), done: make(chan struct{})}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	l.log(channel).subs[s] = struct{}{}
	s.signal()
	go s.run()
	return s, nil
}

// Close ends every subscription, waiting for their handlers to return, and
// makes the other methods fail with ErrClosed.
func (l *Local) Close() error {
	l.mu.Lock()
	l.closed = true
	var all []*localSub
	for _, g := range l.logs {
		for s := range g.subs {
			all = append(all, s)
		}
	}
	l.mu.Unlock()
	for _, s := range all {
		s.Close()
	}
	return nil
}

// localSub is one subscription of a Local broker.
type localSub struct {
	l       *Local
	channel string
	h       Handler
	pos     Offset // the last offset delivered, touched by run only

	mu      sync.Mutex // held across handler calls
	stopped bool

	wake chan struct{}
	done chan struct{}
	once sync.Once
}

func (s *localSub) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run delivers the log after s.pos until the subscription stops.
func (s *localSub) run() {
	defer close(s.done)
	for range s.wake {
		s.l.mu.Lock()
		msgs := s.l.logs[s.channel].msgs
		batch := slices.Clone(msgs[search(msgs, Offset{Time: s.pos.Time, Seq: s.pos.Seq + 1}):])
		s.l.mu.Unlock()
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			return
		}
		if len(batch) > 0 {
			s.h.HandleMessages(batch)
			s.pos = batch[len(batch)-1].Offset
		}
		s.mu.Unlock()
	}
}

// Close ends the subscription and waits for its goroutine.
func (s *localSub) Close() error {
	s.once.Do(func() {
		s.l.mu.Lock()
		delete(s.l.logs[s.channel].subs, s)
		s.l.mu.Unlock()
		s.mu.Lock()
		s.stopped = true
		s.mu.Unlock()
		close(s.wake)
	})
	<-s.done
	return nil
}
