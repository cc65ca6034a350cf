// Package redis is a pubsub.Broker on Redis pub/sub, for SockJS services
// that run on several nodes.
//
// It is a separate Go module, github.com/gosockjs/sockjs/pubsub/redis, so
// that the sockjs module itself does not depend on a Redis client. It uses
// github.com/redis/go-redis/v9: give New any client of that package (a
// *redis.Client for one server or a Sentinel failover client).
//
//	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
//	broker := redis.New(rdb, redis.Options{Prefix: "myapp:"})
//	relay, err := pubsub.NewRelay(ctx, broker, "chat", handler, pubsub.RelayOptions{})
//
// Redis pub/sub delivers the messages of one publisher connection in order
// and forgets them at once: a subscriber that is disconnected when a
// message is published never gets it. Each subscription of this broker has
// its own connection and goroutine; when the connection is lost (Redis
// restarted, network trouble), the subscription reports it through
// pubsub.Handler.HandleStatus, reconnects and resubscribes with backoff, and
// reports its return. A pubsub.Relay on top turns those outages, and the
// messages they cost, into reports (see the pubsub package).
package redis

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/gosockjs/sockjs/pubsub"
	goredis "github.com/redis/go-redis/v9"
)

// Default values of the Options left at their zero value.
const (
	DefaultHealthCheckInterval = 15 * time.Second
	DefaultMinBackoff          = 100 * time.Millisecond
	DefaultMaxBackoff          = 2 * time.Second
)

// Options configures a Broker. The zero value is ready to use.
type Options struct {
	// Prefix is prepended to every channel name, to share a Redis server
	// between applications. Default: none.
	Prefix string

	// HealthCheckInterval is how long a subscription waits for a message
	// before it pings Redis, so that a silently dead connection is noticed.
	// Default: DefaultHealthCheckInterval.
	HealthCheckInterval time.Duration

	// MinBackoff and MaxBackoff bound the wait between two attempts to
	// re-establish a lost subscription; the wait doubles from MinBackoff up
	// to MaxBackoff. Defaults: DefaultMinBackoff, DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
}

// Broker is a pubsub.Broker on Redis pub/sub. Create it with New; its
// methods are safe for concurrent use.
type Broker struct {
	client goredis.UniversalClient
	opts   Options
}

var _ pubsub.Broker = (*Broker)(nil)

// New returns a broker that publishes and subscribes through client. The
// broker does not own the client: close the client after the broker's
// subscriptions.
func New(client goredis.UniversalClient, opts Options) *Broker {
	if opts.HealthCheckInterval <= 0 {
		opts.HealthCheckInterval = DefaultHealthCheckInterval
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(DefaultMaxBackoff, opts.MinBackoff)
	}
	return &Broker{client: client, opts: opts}
}

// Publish publishes msg on channel with the PUBLISH command. Sequential
// calls reach every subscriber in order: each waits for Redis's reply.
func (b *Broker) Publish(ctx context.Context, channel string, msg []byte) error {
	return b.client.Publish(ctx, b.opts.Prefix+channel, msg).Err()
}

// Subscribe subscribes h to channel on a connection of its own and returns
// once Redis has confirmed the subscription. If Redis cannot be reached, it
// keeps trying until ctx is done and then returns the last error.
func (b *Broker) Subscribe(ctx context.Context, channel string, h pubsub.Handler) (pubsub.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &subscription{
		b:       b,
		channel: channel,
		h:       h,
		ps:      b.client.Subscribe(context.Background(), b.opts.Prefix+channel),
		ready:   make(chan struct{}),
		done:    make(chan struct{}),
		stop:    make(chan struct{}),
	}
	go s.run()
	select {
	case <-s.ready:
		return s, nil
	case <-s.done:
		return nil, s.lastErr()
	case <-ctx.Done():
		s.Close()
		if err := s.lastErr(); err != nil {
			return nil, errors.Join(ctx.Err(), err)
		}
		return nil, ctx.Err()
	}
}

// subscription is one live subscription with its own connection.
type subscription struct {
	b       *Broker
	channel string
	h       pubsub.Handler
	ps      *goredis.PubSub

	ready chan struct{} // closed at the first confirmation
	done  chan struct{} // closed when run returns
	stop  chan struct{} // closed by Close
	once  sync.Once

	mu  sync.Mutex
	err error // the last receive error
}

func (s *subscription) lastErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// run receives until Close, reporting outages once the subscription has
// been established.
func (s *subscription) run() {
	defer close(s.done)
	ctx := context.Background()
	established := false // the first confirmation has arrived
	up := false          // the connection is up, as last reported
	var downSince time.Time
	backoff := s.b.opts.MinBackoff
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		msg, err := s.ps.ReceiveTimeout(ctx, s.b.opts.HealthCheckInterval)
		if err != nil {
			if isTimeout(err) {
				// Quiet channel: check the connection. A failure
				// surfaces at the next receive.
				if perr := s.ps.Ping(ctx); perr == nil {
					continue
				}
			}
			select {
			case <-s.stop:
				return
			default:
			}
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			if up {
				up = false
				downSince = time.Now()
				s.h.HandleStatus(pubsub.Status{Channel: s.channel, Err: err})
			}
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.stop:
				t.Stop()
				return
			}
			backoff = min(2*backoff, s.b.opts.MaxBackoff)
			continue
		}
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			backoff = s.b.opts.MinBackoff
			if !established {
				established, up = true, true
				close(s.ready)
				continue
			}
			if !up {
				up = true
				s.h.HandleStatus(pubsub.Status{Channel: s.channel, Connected: true, Since: downSince})
			}
		case *goredis.Message:
			if !established {
				continue // cannot happen: Redis confirms first
			}
			s.h.HandleMessage([]byte(m.Payload))
		}
	}
}

// isTimeout reports whether err is a read timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Close unsubscribes, closes the subscription's connection and waits for
// its goroutine, so that the handler gets no call once Close returns.
func (s *subscription) Close() error {
	var err error
	s.once.Do(func() {
		close(s.stop)
		err = s.ps.Close()
	})
	<-s.done
	if errors.Is(err, goredis.ErrClosed) {
		err = nil
	}
	return err
}
