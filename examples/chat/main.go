// Command chat serves a multi-room chat on one node: the SockJS service at
// /chat and the page at /. Open the page in two browser tabs. The rooms are
// logs in memory (pubsub.Local): a tab that reloads, or loses its network
// for a while, gets the lines it missed when it reconnects.
//
// For several nodes behind a load balancer, with Redis between them, see
// examples/cluster, which serves the same chat (package chat).
//
// Usage:
//
//	go run ./examples/chat [-addr :8080] [-sockjs-url URL] [-history N] [-v]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/examples/chat/chat"
	"github.com/gosockjs/sockjs/examples/internal/run"
	"github.com/gosockjs/sockjs/pubsub"
)

func main() {
	addr := flag.String("addr", ":8080", "address to listen on")
	sockjsURL := flag.String("sockjs-url", sockjs.DefaultSockJSURL, "URL of the sockjs-client script, for the page and the iframe transports")
	history := flag.Int("history", pubsub.DefaultMaxLen, "events each room keeps for reconnecting clients")
	verbose := flag.Bool("v", false, "log every request")
	flag.Parse()

	logger := run.Logger(*verbose)

	broker := pubsub.NewLocal(pubsub.LocalOptions{MaxLen: *history})
	relay := pubsub.NewRelay(broker, pubsub.RelayOptions{Node: "single", Logger: logger})
	hub := chat.NewHub("/chat", relay, chat.Options{
		Node:   "single",
		SockJS: sockjs.Options{SockJSURL: *sockjsURL, Logger: logger},
	})
	mux := http.NewServeMux()
	mux.Handle("/chat", hub.Handler())
	mux.Handle("/chat/", hub.Handler())
	mux.Handle("/{$}", chat.Page(chat.PageData{SockJSURL: *sockjsURL, Prefix: "/chat"}))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("chat on http://%s/\n", ln.Addr())

	err = run.Serve(ln, mux, hub.Handler().Shutdown, func(context.Context) error { return hub.Close() },
		relay.Shutdown, func(context.Context) error { return broker.Close() })
	if err != nil {
		log.Fatal(err)
	}
}
