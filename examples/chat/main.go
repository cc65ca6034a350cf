// Command chat serves a multi-room chat on one node: the SockJS service at
// /chat and the page at /. Open the page in two browser tabs.
//
// For several nodes behind a load balancer, with Redis between them, see
// examples/cluster, which serves the same chat (package chat).
//
// Usage:
//
//	go run ./examples/chat [-addr :8080] [-sockjs-url URL] [-v]
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/examples/chat/chat"
	"github.com/gosockjs/sockjs/examples/internal/run"
)

func main() {
	addr := flag.String("addr", ":8080", "address to listen on")
	sockjsURL := flag.String("sockjs-url", sockjs.DefaultSockJSURL, "URL of the sockjs-client script, for the page and the iframe transports")
	verbose := flag.Bool("v", false, "log every request")
	flag.Parse()

	logger := run.Logger(*verbose)

	hub := chat.NewHub("/chat", chat.Options{
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

	if err := run.Serve(ln, mux, hub.Handler().Shutdown); err != nil {
		log.Fatal(err)
	}
}
