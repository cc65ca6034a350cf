package pubsub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Default values of the RelayOptions left at their zero value.
const (
	DefaultMaxPending     = 10_000
	DefaultMaxBatch       = 256
	DefaultPublishTimeout = 5 * time.Second
)

// RelayOptions configures a Relay. The zero value is ready to use.
type RelayOptions struct {
	// Node names this process in logs, such as a host name. The relay
	// appends a random instance id: the result is its Batch.Producer.
	// Default: the host name.
	Node string

	// MaxPending bounds the messages accepted by Publish and not yet
	// appended, while the broker is slow or down. Publish refuses more with
	// ErrFull. Default: DefaultMaxPending.
	MaxPending int

	// MaxBatch bounds the messages of one channel appended in one call.
	// Default: DefaultMaxBatch.
	MaxBatch int

	// PublishTimeout bounds one call to Broker.Append; an append that fails
	// is retried. Default: DefaultPublishTimeout.
	PublishTimeout time.Duration

	// Logger receives warnings about outages and losses. Default: none.
	Logger *slog.Logger
}

// RelayStats counts what a Relay did since it was created.
type RelayStats struct {
	// Node is the relay's producer id, name#instance.
	Node string `json:"node"`
	// Published counts the messages Publish accepted.
	Published uint64 `json:"published"`
	// Rejected counts the messages Publish refused with ErrFull.
	Rejected uint64 `json:"rejected"`
	// Appended counts the accepted messages the broker appended.
	Appended uint64 `json:"appended"`
	// Dropped counts the accepted messages never appended, because
	// Shutdown gave up.
	Dropped uint64 `json:"dropped"`
	// AppendErrors counts failed calls to Broker.Append (each retried).
	AppendErrors uint64 `json:"append_errors"`
	// Pending is the number of accepted messages not yet appended.
	Pending int `json:"pending"`
	// Delivered counts the messages given to receivers.
	Delivered uint64 `json:"delivered"`
	// Duplicates counts the messages a broker delivered again, dropped.
	Duplicates uint64 `json:"duplicates"`
	// Lost counts the messages that logs dropped before they were read
	// (LossGap).
	Lost uint64 `json:"lost"`
	// Resets counts the logs found lost or rolled back (LossReset).
	Resets uint64 `json:"resets"`
	// Subscriptions is the number of live subscriptions.
	Subscriptions int `json:"subscriptions"`
	// Connected tells whether the broker takes appends and every
	// subscription reads: false during an outage, while messages wait.
	Connected bool `json:"connected"`
}

// Relay is a node's access to a Broker: it publishes this node's messages
// in the background, retrying while the broker is down, and delivers each
// subscribed channel's messages to a Receiver in log order, each once,
// reporting what the log lost. Create one per node with NewRelay; its
// methods are safe for concurrent use.
type Relay struct {
	broker   Broker
	opts     RelayOptions
	logger   *slog.Logger
	producer string

	ctx    context.Context // cancelled when appending must stop
	cancel context.CancelFunc
	wg     sync.WaitGroup // the append workers

	mu      sync.Mutex
	queues  map[string]*queue // by channel; a queue has one worker
	number  uint64            // the last Batch.Number given out
	closing bool
	failing int // workers whose last append failed
	down    int // subscriptions whose connection is down
	subs    map[*relaySub]struct{}
	stats   RelayStats
}

// queue holds the accepted messages of one channel not yet appended.
type queue struct{ msgs []string }

// NewRelay returns a relay on b.
func NewRelay(b Broker, opts RelayOptions) *Relay {
	if opts.Node == "" {
		opts.Node, _ = os.Hostname()
		if opts.Node == "" {
			opts.Node = "node"
		}
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultMaxPending
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.PublishTimeout <= 0 {
		opts.PublishTimeout = DefaultPublishTimeout
	}
	var inst [6]byte
	rand.Read(inst[:])
	r := &Relay{
		broker:   b,
		opts:     opts,
		logger:   opts.Logger,
		producer: opts.Node + "#" + hex.EncodeToString(inst[:]),
		queues:   make(map[string]*queue),
		subs:     make(map[*relaySub]struct{}),
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	r.stats.Node = r.producer
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r
}

// Node returns the relay's producer id, name#instance.
func (r *Relay) Node() string { return r.producer }

// Publish queues msg for the log of channel and returns at once, without
// waiting for the broker, which makes it safe to call from a SockJS
// callback. The messages of sequential calls are appended in that order.
// An accepted message (nil error) is appended once, however often the
// broker fails meanwhile, unless Shutdown gives up on it. Publish refuses
// msg with ErrFull when MaxPending messages wait, and with ErrClosed once
// Shutdown has been called.
func (r *Relay) Publish(channel, msg string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return ErrClosed
	}
	if r.stats.Pending >= r.opts.MaxPending {
		r.stats.Rejected++
		return ErrFull
	}
	r.stats.Pending++
	r.stats.Published++
	q := r.queues[channel]
	if q == nil {
		q = &queue{}
		r.queues[channel] = q
		r.wg.Add(1)
		go r.flush(channel, q)
	}
	q.msgs = append(q.msgs, msg)
	return nil
}

// History returns the messages of channel after offset after, at most limit
// of them if limit > 0, or ErrGap if the log no longer holds the one that
// follows after: what a client that reconnects asks for.
func (r *Relay) History(ctx context.Context, channel string, after Offset, limit int) ([]Message, error) {
	return r.broker.Range(ctx, channel, after, limit)
}

// flush appends the queue of channel until it is empty, one batch at a
// time.
func (r *Relay) flush(channel string, q *queue) {
	defer r.wg.Done()
	for {
		r.mu.Lock()
		if len(q.msgs) == 0 {
			delete(r.queues, channel)
			r.mu.Unlock()
			return
		}
		n := min(len(q.msgs), r.opts.MaxBatch)
		r.number++
		b := Batch{Producer: r.producer, Number: r.number, Msgs: q.msgs[:n:n]}
		r.mu.Unlock()

		ok := r.append(channel, b)

		r.mu.Lock()
		if !ok {
			n = len(q.msgs)
			r.stats.Dropped += uint64(n)
			delete(r.queues, channel)
		} else {
			r.stats.Appended += uint64(n)
		}
		clear(q.msgs[:n])
		q.msgs = q.msgs[n:]
		r.stats.Pending -= n
		r.mu.Unlock()
		if !ok {
			r.logger.Warn("pubsub: messages dropped at shutdown", "channel", channel, "count", n)
			return
		}
	}
}

// append appends b until the broker takes it, with backoff. It returns
// false if the relay's context ended first or the broker is closed.
func (r *Relay) append(channel string, b Batch) bool {
	backoff := 50 * time.Millisecond
	var failedSince time.Time
	defer func() {
		if !failedSince.IsZero() {
			r.mu.Lock()
			r.failing--
			r.mu.Unlock()
		}
	}()
	for {
		ctx, cancel := context.WithTimeout(r.ctx, r.opts.PublishTimeout)
		_, err := r.broker.Append(ctx, channel, b)
		cancel()
		if err == nil {
			if !failedSince.IsZero() {
				r.logger.Info("pubsub: appending again", "channel", channel, "after", time.Since(failedSince).Round(time.Millisecond))
			}
			return true
		}
		if r.ctx.Err() != nil || errors.Is(err, ErrClosed) {
			return false
		}
		r.mu.Lock()
		r.stats.AppendErrors++
		if failedSince.IsZero() {
			r.failing++
		}
		r.mu.Unlock()
		if failedSince.IsZero() {
			failedSince = time.Now()
			r.logger.Warn("pubsub: append failed, retrying", "channel", channel, "err", err)
		}
		if !sleep(r.ctx, backoff) {
			return false
		}
		backoff = min(2*backoff, 2*time.Second)
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

// Stats returns the relay's counters.
func (r *Relay) Stats() RelayStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stats
	st.Subscriptions = len(r.subs)
	st.Connected = r.failing == 0 && r.down == 0
	return st
}

// Shutdown stops accepting messages, appends those still pending until ctx
// is done, then drops the rest, and closes the subscriptions. It returns an
// error that wraps ctx's if messages were dropped.
func (r *Relay) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		r.cancel()
		<-done
		if n := r.Stats().Dropped; n > 0 {
			err = fmt.Errorf("pubsub: %d message(s) dropped: %w", n, ctx.Err())
		}
	}
	r.cancel()
	r.mu.Lock()
	subs := make([]*relaySub, 0, len(r.subs))
	for s := range r.subs {
		subs = append(subs, s)
	}
	r.mu.Unlock()
	for _, s := range subs {
		s.Close()
	}
	return err
}
