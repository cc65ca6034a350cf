// Command ours serves the benchmark services with this library
// (github.com/gosockjs/sockjs), through its public API only.
//
//	/echo          SockJS echo
//	/echo-deflate  the same with Options.Compression: permessage-deflate on
//	               the websockets of clients that offer it
//	/broadcast     SockJS; receives what POST /trigger broadcasts
//	/trigger       POST; the body is passed to Handler.Broadcast
package main

import (
	"flag"
	"net/http"
	"time"

	"github.com/gosockjs/sockjs"

	"github.com/gosockjs/sockjs/bench/internal/srvutil"
)

type none struct{}

func echo(c *sockjs.Conn, ev sockjs.Event, st none) none {
	if ev.Type == sockjs.EventRecv {
		c.Send(ev.Data)
	}
	return st
}

func member(c *sockjs.Conn, ev sockjs.Event, st none) none { return st }

func main() {
	flag.Parse()
	opts := sockjs.Options{
		HeartbeatDelay:  25 * time.Second,
		DisconnectDelay: 5 * time.Second,
		ResponseLimit:   128 * 1024,
	}
	eh := sockjs.NewHandler("/echo", echo, none{}, opts)
	dopts := opts
	dopts.Compression = true
	dh := sockjs.NewHandler("/echo-deflate", echo, none{}, dopts)
	bh := sockjs.NewHandler("/broadcast", member, none{}, opts)
	mux := http.NewServeMux()
	mux.Handle("/echo", eh)
	mux.Handle("/echo/", eh)
	mux.Handle("/echo-deflate", dh)
	mux.Handle("/echo-deflate/", dh)
	mux.Handle("/broadcast", bh)
	mux.Handle("/broadcast/", bh)
	mux.HandleFunc("/trigger", func(w http.ResponseWriter, r *http.Request) {
		msg, ok := srvutil.ReadTrigger(w, r)
		if !ok {
			return
		}
		bh.Broadcast(msg)
		w.WriteHeader(http.StatusNoContent)
	})
	srvutil.Debug(mux)
	srvutil.Serve(mux)
}
