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

// Target receives the messages a Relay delivers on its node. A
// *sockjs.Handler is a Target: its Broadcast encodes a message once and
// queues it on every local session. Broadcast may be called from several
// goroutines at once.
type Target interface {
	Broadcast(msg string)
}

// TargetFunc adapts a function to a Target.
type TargetFunc func(msg string)

// Broadcast calls f(msg).
func (f TargetFunc) Broadcast(msg string) { f(msg) }

// Default values of the RelayOptions left at their zero value.
const (
	DefaultMaxPending     = 10_000
	DefaultMaxBatchBytes  = 64 << 10
	DefaultPublishTimeout = 5 * time.Second
)

// RelayOptions configures a Relay. The zero value is ready to use.
type RelayOptions struct {
	// Node names this process in logs and loss reports, such as a host
	// name. The relay appends a random instance id, so that a restarted
	// node is never mistaken for its previous instance. Default: the host
	// name.
	Node string

	// MaxPending bounds the messages waiting to be published, while the
	// broker is slow or down. Publish drops the messages beyond it and
	// reports them as LossDropped. Default: DefaultMaxPending.
	MaxPending int

	// MaxBatchBytes bounds the size of one envelope: the messages waiting
	// when the relay publishes are sent together up to that size.
	// Default: DefaultMaxBatchBytes.
	MaxBatchBytes int

	// PublishTimeout bounds one call to Broker.Publish; a publish that
	// fails is retried. Default: DefaultPublishTimeout.
	PublishTimeout time.Duration

	// Logger receives warnings about outages and losses. Default: none.
	Logger *slog.Logger

	// OnLoss, if set, is called for every loss the relay detects. It may be
	// called from several goroutines at once and should return quickly.
	OnLoss func(Loss)
}

// LossKind tells how messages were lost.
type LossKind uint8

// The kinds of Loss.
const (
	// LossGap: messages of another node are missing from its sequence, seen
	// when a later message of that node arrived. Loss.Count is exact.
	LossGap LossKind = iota + 1
	// LossOutage: this node's subscription lost its connection to the
	// broker. Messages published until it is back do not reach this node;
	// they are reported as LossGap once the next message of their node
	// arrives. Loss.Count is 0 (unknown).
	LossOutage
	// LossDropped: this node dropped its own messages, which no other node
	// will get, because more than MaxPending waited for the broker or the
	// relay shut down before publishing them. Loss.Count is exact.
	LossDropped
	// LossMalformed: an envelope on the channel could not be decoded.
	LossMalformed
)

// String returns the name of the kind.
func (k LossKind) String() string {
	switch k {
	case LossGap:
		return "gap"
	case LossOutage:
		return "outage"
	case LossDropped:
		return "dropped"
	case LossMalformed:
		return "malformed"
	}
	return "unknown"
}

// Loss reports messages that did not, or may not, reach every node.
type Loss struct {
	// Kind tells how they were lost.
	Kind LossKind
	// Node is the node (name#instance) whose messages were lost.
	Node string
	// Count is the number of messages lost, 0 when unknown.
	Count uint64
	// Err is the cause, when known.
	Err error
}

// String describes the loss.
func (l Loss) String() string {
	s := fmt.Sprintf("%s: %d message(s) of %s", l.Kind, l.Count, l.Node)
	if l.Err != nil {
		s += ": " + l.Err.Error()
	}
	return s
}

// RelayStats counts what a Relay did since it was created.
type RelayStats struct {
	// Node is the relay's node id, name#instance.
	Node string `json:"node"`
	// Published counts the messages given to Publish.
	Published uint64 `json:"published"`
	// Sent counts the messages the broker accepted.
	Sent uint64 `json:"sent"`
	// Received counts the messages of other nodes given to the target.
	Received uint64 `json:"received"`
	// Duplicates counts messages of other nodes received twice, and dropped.
	Duplicates uint64 `json:"duplicates"`
	// Lost counts the messages of other nodes missing from their sequences.
	Lost uint64 `json:"lost"`
	// Dropped counts this node's messages never published.
	Dropped uint64 `json:"dropped"`
	// PublishErrors counts failed calls to Broker.Publish (each retried).
	PublishErrors uint64 `json:"publish_errors"`
	// Outages counts the losses of the subscription's connection.
	Outages uint64 `json:"outages"`
	// Malformed counts envelopes that could not be decoded.
	Malformed uint64 `json:"malformed"`
	// Pending is the number of messages waiting to be published.
	Pending int `json:"pending"`
	// Connected tells whether the subscription is established.
	Connected bool `json:"connected"`
}

// Relay binds a broker channel to a Target on every node: a message given
// to Publish on any node is delivered to the Target of every node at most
// once, the messages of each node in the order it published them, and what
// the broker loses is reported (see "Delivery guarantees" in the package
// documentation). Create one per node and channel with NewRelay.
type Relay struct {
	broker  Broker
	channel string
	target  Target
	opts    RelayOptions
	logger  *slog.Logger
	node    string
	sub     Subscription

	ctx    context.Context // cancelled when publishing must stop
	cancel context.CancelFunc
	wake   chan struct{}
	up     chan struct{} // signalled when the subscription is back
	done   chan struct{} // closed when the publisher returns

	mu      sync.Mutex
	seq     uint64 // last sequence number given out
	pending []pendingMsg
	closing bool
	unrep   uint64 // dropped messages not reported yet
	stats   RelayStats
	peers   map[string]*peer // by node id, touched by the subscription only
}

// pendingMsg is a message waiting to be published.
type pendingMsg struct {
	seq uint64
	msg string
}

// peer is what a relay knows of another node.
type peer struct {
	last uint64    // last sequence number received
	seen time.Time // when
}

// NewRelay subscribes to channel on b and returns a relay that delivers
// what other nodes publish there to t. ctx bounds the subscription's setup
// only; the relay runs until Shutdown.
func NewRelay(ctx context.Context, b Broker, channel string, t Target, opts RelayOptions) (*Relay, error) {
	if opts.Node == "" {
		opts.Node, _ = os.Hostname()
		if opts.Node == "" {
			opts.Node = "node"
		}
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultMaxPending
	}
	if opts.MaxBatchBytes <= 0 {
		opts.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if opts.PublishTimeout <= 0 {
		opts.PublishTimeout = DefaultPublishTimeout
	}
	var inst [6]byte
	rand.Read(inst[:])
	r := &Relay{
		broker:  b,
		channel: channel,
		target:  t,
		opts:    opts,
		logger:  opts.Logger,
		node:    opts.Node + "#" + hex.EncodeToString(inst[:]),
		wake:    make(chan struct{}, 1),
		up:      make(chan struct{}, 1),
		done:    make(chan struct{}),
		peers:   make(map[string]*peer),
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	r.stats.Node = r.node
	r.stats.Connected = true
	sub, err := b.Subscribe(ctx, channel, relayHandler{r})
	if err != nil {
		return nil, fmt.Errorf("pubsub: subscribe to %q: %w", channel, err)
	}
	r.sub = sub
	r.ctx, r.cancel = context.WithCancel(context.Background())
	go r.publisher()
	return r, nil
}

// Node returns the relay's node id, name#instance.
func (r *Relay) Node() string { return r.node }

// Publish delivers msg to the local target at once, on the calling
// goroutine, and queues it for the other nodes. It returns without waiting
// for the broker, which makes it safe to call from a SockJS callback.
// Messages published by sequential calls reach every node in that order.
// If more than MaxPending messages wait for the broker, msg still reaches
// the local target but is dropped for the other nodes, and reported.
// Publish returns ErrClosed once Shutdown has been called.
func (r *Relay) Publish(msg string) error {
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		return ErrClosed
	}
	r.seq++
	r.stats.Published++
	if len(r.pending) < r.opts.MaxPending {
		r.pending = append(r.pending, pendingMsg{r.seq, msg})
	} else {
		r.stats.Dropped++
		r.unrep++
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	r.target.Broadcast(msg)
	return nil
}

// Stats returns the relay's counters.
func (r *Relay) Stats() RelayStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stats
	st.Pending = len(r.pending)
	return st
}

// Shutdown stops accepting messages, publishes those still pending until
// ctx is done (then reports the rest as dropped), and closes the
// subscription. It returns ctx's error if pending messages were dropped.
func (r *Relay) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	already := r.closing
	r.closing = true
	r.mu.Unlock()
	if already {
		<-r.done
		return nil
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	var err error
	select {
	case <-r.done:
	case <-ctx.Done():
		err = ctx.Err()
		r.cancel()
		<-r.done
	}
	r.cancel()
	if cerr := r.sub.Close(); err == nil {
		err = cerr
	}
	return err
}

// publisher publishes the pending messages in order, one envelope at a
// time, retrying while the broker fails.
func (r *Relay) publisher() {
	defer close(r.done)
	var buf []byte
	var batch []string
	for {
		r.mu.Lock()
		// Report what Publish dropped.
		if r.unrep > 0 {
			n := r.unrep
			r.unrep = 0
			r.mu.Unlock()
			r.report(Loss{Kind: LossDropped, Node: r.node, Count: n, Err: errors.New("too many messages waiting for the broker")})
			r.mu.Lock()
		}
		if len(r.pending) == 0 {
			closing := r.closing
			r.mu.Unlock()
			if closing {
				return
			}
			select {
			case <-r.wake:
			case <-r.ctx.Done():
				return
			}
			continue
		}
		// The longest run of consecutive messages within MaxBatchBytes.
		first := r.pending[0].seq
		batch = batch[:0]
		size := 0
		for i, p := range r.pending {
			if i > 0 && (p.seq != first+uint64(i) || size+len(p.msg) > r.opts.MaxBatchBytes) {
				break
			}
			batch = append(batch, p.msg)
			size += len(p.msg) + 4
		}
		connected := r.stats.Connected
		r.mu.Unlock()

		// While this node's subscription is down, the broker is most
		// likely down for the other nodes too: wait for it to come back
		// rather than publish into a broker that nobody has resubscribed
		// to yet.
		if !connected {
			r.waitUp() // or shutting down: then try anyway
		}

		buf = appendEnvelope(buf[:0], r.node, first, batch)
		if !r.publish(buf) {
			r.mu.Lock()
			n := uint64(len(r.pending))
			r.stats.Dropped += n
			r.pending = nil
			r.mu.Unlock()
			r.report(Loss{Kind: LossDropped, Node: r.node, Count: n, Err: errors.New("relay shut down, or broker closed, before the broker accepted them")})
			return
		}
		r.mu.Lock()
		clear(r.pending[:len(batch)])
		r.pending = r.pending[len(batch):]
		if len(r.pending) == 0 {
			r.pending = nil // let the backing array go
		}
		r.stats.Sent += uint64(len(batch))
		r.mu.Unlock()
		clear(batch)
	}
}

// waitUp waits until the subscription is back or the relay shuts down. It
// reports whether the subscription is back.
func (r *Relay) waitUp() bool {
	for {
		r.mu.Lock()
		connected, closing := r.stats.Connected, r.closing
		r.mu.Unlock()
		if connected {
			return true
		}
		if closing {
			return false
		}
		select {
		case <-r.up:
		case <-r.wake: // Shutdown signals wake
		case <-r.ctx.Done():
			return false
		}
	}
}

// publish publishes env until the broker accepts it, with backoff. It
// returns false if the relay's context ended first or the broker is closed.
func (r *Relay) publish(env []byte) bool {
	backoff := 50 * time.Millisecond
	var failedSince time.Time
	for {
		ctx, cancel := context.WithTimeout(r.ctx, r.opts.PublishTimeout)
		err := r.broker.Publish(ctx, r.channel, env)
		cancel()
		if err == nil {
			if !failedSince.IsZero() {
				r.logger.Info("pubsub: publishing again", "channel", r.channel, "after", time.Since(failedSince).Round(time.Millisecond))
			}
			return true
		}
		if r.ctx.Err() != nil {
			return false
		}
		r.mu.Lock()
		r.stats.PublishErrors++
		r.mu.Unlock()
		if errors.Is(err, ErrClosed) {
			r.logger.Warn("pubsub: broker closed, giving up publishing", "channel", r.channel)
			return false
		}
		if failedSince.IsZero() {
			failedSince = time.Now()
			r.logger.Warn("pubsub: publish failed, retrying", "channel", r.channel, "err", err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-r.ctx.Done():
			t.Stop()
			return false
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// report logs a loss and passes it to OnLoss.
func (r *Relay) report(l Loss) {
	r.logger.Warn("pubsub: messages lost", "channel", r.channel, "kind", l.Kind.String(),
		"node", l.Node, "count", l.Count, "err", l.Err)
	if r.opts.OnLoss != nil {
		r.opts.OnLoss(l)
	}
}

// relayHandler is the relay's subscription handler, kept out of Relay's
// method set.
type relayHandler struct{ r *Relay }

// HandleMessage delivers the messages of another node's envelope to the
// target, dropping duplicates and reporting gaps.
func (h relayHandler) HandleMessage(b []byte) {
	r := h.r
	env, err := decodeEnvelope(b)
	if err != nil {
		r.mu.Lock()
		r.stats.Malformed++
		r.mu.Unlock()
		r.report(Loss{Kind: LossMalformed, Err: err})
		return
	}
	if env.node == r.node {
		return // delivered locally by Publish
	}
	now := time.Now()
	p := r.peers[env.node]
	if p == nil {
		r.prunePeers(now)
		// The first envelope seen from a node sets its baseline.
		p = &peer{last: env.first - 1}
		r.peers[env.node] = p
	}
	p.seen = now
	msgs := env.msgs
	var dup, gap uint64
	if env.first <= p.last {
		dup = min(p.last-env.first+1, uint64(len(msgs)))
		msgs = msgs[dup:]
	} else if env.first > p.last+1 {
		gap = env.first - p.last - 1
	}
	if len(msgs) > 0 {
		p.last = env.first + uint64(len(env.msgs)) - 1
	}
	r.mu.Lock()
	r.stats.Duplicates += dup
	r.stats.Lost += gap
	r.stats.Received += uint64(len(msgs))
	r.mu.Unlock()
	if gap > 0 {
		r.report(Loss{Kind: LossGap, Node: env.node, Count: gap})
	}
	for _, m := range msgs {
		r.target.Broadcast(m)
	}
}

// prunePeers forgets nodes not heard from for a day, when there are many.
func (r *Relay) prunePeers(now time.Time) {
	if len(r.peers) < 256 {
		return
	}
	for id, p := range r.peers {
		if now.Sub(p.seen) > 24*time.Hour {
			delete(r.peers, id)
		}
	}
}

// HandleStatus records and reports the subscription's outages.
func (h relayHandler) HandleStatus(st Status) {
	r := h.r
	r.mu.Lock()
	r.stats.Connected = st.Connected
	if !st.Connected {
		r.stats.Outages++
	}
	r.mu.Unlock()
	if st.Connected {
		select {
		case r.up <- struct{}{}:
		default:
		}
		r.logger.Info("pubsub: subscription back", "channel", r.channel, "outage", time.Since(st.Since).Round(time.Millisecond))
		return
	}
	r.report(Loss{Kind: LossOutage, Node: r.node, Err: st.Err})
}
