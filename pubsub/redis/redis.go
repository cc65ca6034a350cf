// Package redis is a pubsub.Broker on Redis Streams, for SockJS services
// that run on several nodes.
//
// It is a separate Go module, github.com/gosockjs/sockjs/pubsub/redis, so
// that the sockjs module itself does not depend on a Redis client. It uses
// github.com/redis/go-redis/v9: give New any goredis.UniversalClient, a
// *goredis.Client for one server, a Sentinel failover client, or a
// *goredis.ClusterClient for Redis Cluster.
//
//	rdb := goredis.NewUniversalClient(&goredis.UniversalOptions{Addrs: []string{"127.0.0.1:6379"}})
//	broker := redis.New(rdb, redis.Options{Prefix: "myapp:"})
//	relay := pubsub.NewRelay(broker, pubsub.RelayOptions{})
//
// # Streams
//
// Each channel is a stream, capped at about MaxLen entries (XADD MAXLEN ~).
// The broker appends with a Lua script that gives the entries their ids,
// "<ms>-<n>": n numbers the stream's entries from 1 without a hole, so that
// a reader that sees n jump knows exactly what it missed; ms is the server's
// time, never below the last entry's, so that a stream that Redis lost and
// started again, whose numbers start again from 1, still sorts after the old
// one. The same script makes retries idempotent: it remembers, per producer
// and stream, the last Batch.Number it appended (a hash that expires
// DedupTTL after the producer's last append).
//
// A node reads only the channels it has subscriptions for, with XREAD BLOCK
// from the last id it delivered: after a Redis restart or a dropped
// connection it resumes there, and loses nothing that the stream still
// holds. Redis must keep the streams across a restart for that: run it
// with appendonly yes (and appendfsync always, for no loss at all when it
// is killed); without persistence, a restart loses the streams, which the
// readers report as a reset.
//
// # Keys and Redis Cluster
//
// The keys of a channel carry a hash tag, the channel's shard: its stream is
// Prefix+"{<shard>}c:"+channel, the shard being a hash of the channel name
// modulo Shards. One XREAD reads all the subscribed streams of a shard, which
// share a hash slot. On one server (or a Sentinel-managed one) a single
// XREAD reads all shards at once, holding one connection; on a Redis Cluster
// each shard with subscriptions holds one connection to the master of its
// slot. Every node of a deployment must use the same Prefix and Shards.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"github.com/gosockjs/sockjs/pubsub"
	goredis "github.com/redis/go-redis/v9"
)

// Default values of the Options left at their zero value.
const (
	DefaultPrefix     = "sockjs:"
	DefaultMaxLen     = 1000
	DefaultShards     = 16
	DefaultBlock      = 5 * time.Second
	DefaultReadCount  = 1000
	DefaultDedupTTL   = 24 * time.Hour
	DefaultMinBackoff = 50 * time.Millisecond
	DefaultMaxBackoff = 2 * time.Second
)

// Options configures a Broker. The zero value is ready to use.
type Options struct {
	// Prefix is prepended to every key, to share a Redis server between
	// applications. Default: DefaultPrefix.
	Prefix string

	// MaxLen is about how many entries each stream keeps (XADD MAXLEN ~):
	// the window of history that readers can resume in. Default:
	// DefaultMaxLen.
	MaxLen int64

	// Shards is the number of hash tags the channels are spread over.
	// Default: DefaultShards.
	Shards int

	// Block is how long one XREAD waits for entries before it is issued
	// again. Default: DefaultBlock.
	Block time.Duration

	// ReadCount bounds the entries one XREAD returns per stream. Default:
	// DefaultReadCount.
	ReadCount int64

	// DedupTTL is how long Redis remembers a producer's last batch of each
	// stream after its last append, so that a retry is not appended twice:
	// longer than any outage a retry may outlast. Default: DefaultDedupTTL.
	DedupTTL time.Duration

	// MinBackoff and MaxBackoff bound the wait between two attempts to
	// read after an error; the wait doubles from MinBackoff up to
	// MaxBackoff. Defaults: DefaultMinBackoff, DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
}

// Broker is a pubsub.Broker on Redis Streams. Create it with New; its
// methods are safe for concurrent use.
type Broker struct {
	client   goredis.UniversalClient
	opts     Options
	single   bool   // one server: one XREAD reads every shard
	instance string // names this broker's wake keys

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the readers

	mu     sync.Mutex
	groups map[int]*group // by shard, or just 0 on one server
	closed bool
}

var _ pubsub.Broker = (*Broker)(nil)

// New returns a broker on client. The broker does not own the client:
// close the client after the broker.
func New(client goredis.UniversalClient, opts Options) *Broker {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.MaxLen <= 0 {
		opts.MaxLen = DefaultMaxLen
	}
	if opts.Shards <= 0 {
		opts.Shards = DefaultShards
	}
	if opts.Block <= 0 {
		opts.Block = DefaultBlock
	}
	if opts.ReadCount <= 0 {
		opts.ReadCount = DefaultReadCount
	}
	if opts.DedupTTL <= 0 {
		opts.DedupTTL = DefaultDedupTTL
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(DefaultMaxBackoff, opts.MinBackoff)
	}
	var inst [6]byte
	rand.Read(inst[:])
	_, single := client.(*goredis.Client)
	b := &Broker{
		client:   client,
		opts:     opts,
		single:   single,
		instance: hex.EncodeToString(inst[:]),
		groups:   make(map[int]*group),
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return b
}

// shard returns the shard of channel.
func (b *Broker) shard(channel string) int {
	h := fnv.New32a()
	h.Write([]byte(channel))
	return int(h.Sum32() % uint32(b.opts.Shards))
}

// tag returns the hash tag of a shard's keys, with the prefix.
func (b *Broker) tag(shard int) string {
	return b.opts.Prefix + "{" + strconv.Itoa(shard) + "}"
}

// StreamKey returns the key of the stream of channel.
func (b *Broker) StreamKey(channel string) string {
	return b.tag(b.shard(channel)) + "c:" + channel
}

// Close stops the broker's readers, waiting for them: once it returns, no
// handler gets a call. Then every method fails with pubsub.ErrClosed.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	var running []*group
	for _, g := range b.groups {
		if g.running {
			running = append(running, g)
		}
	}
	b.mu.Unlock()
	// Wake the readers blocked in XREAD, then stop them.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	for _, g := range running {
		g.wakeUp(ctx)
	}
	cancel()
	b.cancel()
	b.wg.Wait()
	return nil
}

func (b *Broker) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}
