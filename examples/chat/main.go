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
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/examples/chat/chat"
)

func main() {
	addr := flag.String("addr", ":8080", "address to listen on")
	sockjsURL := flag.String("sockjs-url", sockjs.DefaultSockJSURL, "URL of the sockjs-client script, for the page and the iframe transports")
	verbose := flag.Bool("v", false, "log every request")
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

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

	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hub.Handler().Shutdown(shutdown)
		hs.Shutdown(shutdown)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
