package redis_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/gosockjs/sockjs/pubsub"
	"github.com/gosockjs/sockjs/pubsub/pubsubtest"
	"github.com/gosockjs/sockjs/pubsub/redis"
)

// BenchmarkStreams measures a message's trip through Redis Streams: a
// relay publishes b.N messages, another node's subscription receives them
// all. Compare with BenchmarkPubSub, the same trip through Redis Pub/Sub
// without any of the guarantees (go-redis alone).
func BenchmarkStreams(b *testing.B) {
	s := startServer(b)
	pub := redis.New(newClient(b, s.addr()), redis.Options{})
	sub := redis.New(newClient(b, s.addr()), redis.Options{})
	rp, rs := pubsub.NewRelay(pub, pubsub.RelayOptions{MaxPending: b.N}), pubsub.NewRelay(sub, pubsub.RelayOptions{})
	defer func() { rp.Shutdown(context.Background()); rs.Shutdown(context.Background()); pub.Close(); sub.Close() }()
	rec := &pubsubtest.Recorder{}
	ss, err := rs.Subscribe(context.Background(), "bench", rec)
	if err != nil {
		b.Fatal(err)
	}
	defer ss.Close()
	b.ResetTimer()
	for i := range b.N {
		rp.Publish("bench", fmt.Sprint("m:", i))
	}
	rec.WaitFor(b, b.N)
}

// BenchmarkPubSub is the baseline of BenchmarkStreams: PUBLISH and a
// subscriber's receive, with go-redis alone.
func BenchmarkPubSub(b *testing.B) {
	s := startServer(b)
	pub, sub := newClient(b, s.addr()), newClient(b, s.addr())
	ps := sub.Subscribe(context.Background(), "bench")
	defer ps.Close()
	if _, err := ps.Receive(context.Background()); err != nil {
		b.Fatal(err)
	}
	ch := ps.Channel()
	done := make(chan struct{})
	go func() {
		for range b.N {
			<-ch
		}
		close(done)
	}()
	b.ResetTimer()
	for i := range b.N {
		// Pipelined like the relay's batches, 256 at a time.
		if i%256 == 0 {
			p := pub.Pipeline()
			for j := i; j < min(b.N, i+256); j++ {
				p.Publish(context.Background(), "bench", fmt.Sprint("m:", j))
			}
			if _, err := p.Exec(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	<-done
}
