package pubsub_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/pubsub"
)

// A relay on a broker: a message published on a channel is appended to
// its log and delivered, with its offset, to the subscribers of every node.
// A client that saw "hello" and reconnects asks for what followed it.
func ExampleRelay() {
	ctx := context.Background()
	relay := pubsub.NewRelay(pubsub.NewLocal(pubsub.LocalOptions{}), pubsub.RelayOptions{Node: "n1"})
	defer relay.Shutdown(ctx)

	got := make(chan pubsub.Message, 2)
	sub, err := relay.Subscribe(ctx, "lobby", pubsub.ReceiverFunc(func(m pubsub.Message) { got <- m }))
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()

	relay.Publish("lobby", "hello")
	relay.Publish("lobby", "world")
	hello, world := <-got, <-got
	fmt.Println(hello.Data, hello.Offset.Seq, world.Data, world.Offset.Seq)

	missed, err := relay.History(ctx, "lobby", hello.Offset, 100)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range missed {
		fmt.Println("missed:", m.Data)
	}
	// Output:
	// hello 1 world 2
	// missed: world
}

// A SockJS service whose messages reach the sessions of every node: each
// message received is published on the relay, and what the relay delivers
// goes to every local session with Handler.Broadcast, encoded once. Replace
// pubsub.NewLocal with a Redis broker (github.com/gosockjs/sockjs/pubsub/redis)
// to run several nodes.
func ExampleRelay_Subscribe() {
	relay := pubsub.NewRelay(pubsub.NewLocal(pubsub.LocalOptions{}), pubsub.RelayOptions{})
	h := sockjs.NewHandler("/broadcast", func(c *sockjs.Conn, ev sockjs.Event, _ struct{}) struct{} {
		if ev.Type == sockjs.EventRecv {
			if err := relay.Publish("broadcast", ev.Data); err != nil {
				c.Send("not delivered: " + err.Error())
			}
		}
		return struct{}{}
	}, struct{}{}, sockjs.Options{})

	sub, err := relay.Subscribe(context.Background(), "broadcast", pubsub.ReceiverFunc(func(m pubsub.Message) {
		h.Broadcast(m.Data)
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()
	http.Handle("/broadcast/", h)
}
