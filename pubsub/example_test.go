package pubsub_test

import (
	"context"
	"log"
	"net/http"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/pubsub"
)

// A chat service whose messages reach the sessions of every node: each
// message received is published through the relay, which broadcasts it to
// the local sessions at once and to the sessions of the other nodes through
// the broker. Replace pubsub.NewLocal with a Redis broker
// (github.com/gosockjs/sockjs/pubsub/redis) to run several nodes.
func ExampleRelay() {
	broker := pubsub.NewLocal()
	var relay *pubsub.Relay
	h := sockjs.NewHandler("/chat", func(c *sockjs.Conn, ev sockjs.Event, _ struct{}) struct{} {
		if ev.Type == sockjs.EventRecv {
			relay.Publish(ev.Data)
		}
		return struct{}{}
	}, struct{}{}, sockjs.Options{})

	relay, err := pubsub.NewRelay(context.Background(), broker, "chat", h, pubsub.RelayOptions{
		OnLoss: func(l pubsub.Loss) { log.Printf("chat: %v", l) },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer relay.Shutdown(context.Background())

	http.Handle("/chat/", h)
}
