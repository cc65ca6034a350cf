// Command multiplex serves three channels over one SockJS connection with
// package multiplex, and a page at / that opens all three from one browser
// connection:
//
//	ann   echoes every message
//	bob   echoes in upper case
//	carl  echoes reversed
//
// The page speaks the wire format of the npm websocket-multiplex client with
// a small client of its own.
//
// Usage:
//
//	go run ./examples/multiplex [-addr :8082] [-sockjs-url URL] [-v]
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"html/template"
	"log"
	"net"
	"net/http"
	"strings"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/examples/internal/run"
	"github.com/gosockjs/sockjs/multiplex"
)

//go:embed index.html
var indexHTML string

var page = template.Must(template.New("index").Parse(indexHTML))

func main() {
	addr := flag.String("addr", ":8082", "address to listen on")
	sockjsURL := flag.String("sockjs-url", sockjs.DefaultSockJSURL, "URL of the sockjs-client script, for the iframe transports and the page at /")
	verbose := flag.Bool("v", false, "log every request")
	flag.Parse()

	logger := run.Logger(*verbose)

	opts := sockjsOptions(*sockjsURL)
	opts.Logger = logger
	h := newMultiplexer().NewHandler("/multiplex", opts)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())

	if err := run.Serve(ln, newServer(h, *sockjsURL), h.Shutdown); err != nil {
		log.Fatal(err)
	}
}

// sockjsOptions returns the handler's options.
func sockjsOptions(sockjsURL string) sockjs.Options {
	return sockjs.Options{SockJSURL: sockjsURL}
}

// newMultiplexer registers the three channels.
func newMultiplexer() *multiplex.Multiplexer {
	m := multiplex.New()
	multiplex.Handle(m, "ann", echo(func(s string) string { return s }), 0)
	multiplex.Handle(m, "bob", echo(strings.ToUpper), 0)
	multiplex.Handle(m, "carl", echo(reverse), 0)
	return m
}

// echo returns a channel callback that greets the subscriber and answers
// every message with f(message); its state counts the messages.
func echo(f func(string) string) multiplex.Callback[int] {
	return func(ch *multiplex.Channel, ev sockjs.Event, n int) int {
		switch ev.Type {
		case sockjs.EventInit:
			ch.Send("hello from " + ch.Topic())
		case sockjs.EventRecv:
			n++
			ch.Send(f(ev.Data))
		}
		return n
	}
}

// reverse reverses s by runes.
func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// newServer serves h under its prefix and the page at /. It matches the
// prefix itself rather than using http.ServeMux, whose path cleaning answers
// some protocol URLs with redirects.
func newServer(h *sockjs.Handler, sockjsURL string) http.Handler {
	data := struct{ SockJSURL, Prefix string }{sockjsURL, h.Prefix()}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := h.Prefix()
		switch {
		case r.URL.Path == p || strings.HasPrefix(r.URL.Path, p+"/"):
			h.ServeHTTP(w, r)
		case r.URL.Path == "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			page.Execute(w, data)
		default:
			http.NotFound(w, r)
		}
	})
}
