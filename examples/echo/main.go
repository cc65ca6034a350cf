// Command echo serves the test services of the SockJS protocol suite, the
// same ones as sockjs-erlang's test server, and a page at / to try them in a
// browser:
//
//	/echo                     echoes every message (response limit 4 KiB)
//	/close                    closes every session with 3000 "Go away!" on open
//	/amplify                  answers a message "N" with 2^N 'x' characters
//	/broadcast                sends every message to every open session
//	/disabled_websocket_echo  echo without the websocket transports
//	/cookie_needed_echo       echo that sets the JSESSIONID cookie
//	/generated                sends the generated test strings on open, then echoes
//	/auth_echo                echo for ?token=good only (401 without a token, 403 with another)
//	/polling_only_echo        echo over xhr-polling and jsonp-polling only
//	/debug/vars               expvar, with every service's Stats under "sockjs"
//
// /generated sends, as soon as a session opens, the strings that
// internal/teststrings generates for -generated-seed and -generated-count
// (2000 strings of 0 to 32 Ki UTF-16 code units, every kind of code unit,
// lone surrogates included), then echoes every message as /echo does. The
// browser suite (e2e/) checks them against the same generator in
// JavaScript.
//
// Usage:
//
//	go run ./examples/echo [-addr :8081] [-sockjs-url URL] [-v]
//	    [-generated-seed N] [-generated-count N]
package main

import (
	"context"
	_ "embed"
	"errors"
	"expvar"
	"flag"
	"fmt"
	"html/template"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/examples/internal/run"
	"github.com/gosockjs/sockjs/internal/teststrings"
)

//go:embed index.html
var indexHTML string

func main() {
	addr := flag.String("addr", ":8081", "address to listen on")
	sockjsURL := flag.String("sockjs-url", sockjs.DefaultSockJSURL, "URL of the sockjs-client script, for the iframe transports and the page at /")
	verbose := flag.Bool("v", false, "log every request")
	seed := flag.Uint("generated-seed", teststrings.DefaultSeed, "seed of the strings /generated sends")
	count := flag.Int("generated-count", teststrings.DefaultCount, "number of strings /generated sends")
	flag.Parse()

	logger := run.Logger(*verbose)

	srv, err := newServer(*sockjsURL, teststrings.Strings(uint32(*seed), *count), logger)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())

	if err := run.Serve(ln, srv, srv.shutdown); err != nil {
		log.Fatal(err)
	}
}

// server routes requests to the services by prefix. It does not use
// http.ServeMux, whose path cleaning answers some of the protocol's URLs
// (such as /echo//) with a redirect where the protocol wants 404.
type server struct {
	services []*sockjs.Handler
	page     *template.Template
	data     struct{ SockJSURL string }
}

func newServer(sockjsURL string, generated []string, logger *slog.Logger) (*server, error) {
	page, err := template.New("index").Parse(indexHTML)
	if err != nil {
		return nil, err
	}
	opts := sockjs.Options{SockJSURL: sockjsURL, Logger: logger}
	s := &server{page: page}
	s.data.SockJSURL = sockjsURL

	echoOpts := opts
	echoOpts.ResponseLimit = 4096
	noWS := opts
	noWS.DisableWebsocket = true
	cookie := opts
	cookie.CookieNeeded = true
	gen := opts
	gen.MaxQueuedBytes = 64 << 20 // all of the generated strings are queued at once
	auth := opts
	auth.Authenticate = tokenAuth
	polling := opts
	polling.Transports = []sockjs.Transport{sockjs.TransportXHRPolling, sockjs.TransportJSONPPolling}

	var broadcast *sockjs.Handler
	broadcast = sockjs.NewHandler("/broadcast", func(c *sockjs.Conn, ev sockjs.Event, _ struct{}) struct{} {
		if ev.Type == sockjs.EventRecv {
			broadcast.Broadcast(ev.Data)
		}
		return struct{}{}
	}, struct{}{}, opts)

	s.services = []*sockjs.Handler{
		sockjs.NewHandler("/echo", echo, struct{}{}, echoOpts),
		sockjs.NewHandler("/close", closer, struct{}{}, opts),
		sockjs.NewHandler("/amplify", amplify, struct{}{}, opts),
		broadcast,
		sockjs.NewHandler("/disabled_websocket_echo", echo, struct{}{}, noWS),
		sockjs.NewHandler("/cookie_needed_echo", echo, struct{}{}, cookie),
		sockjs.NewHandler("/generated", sendAll(generated), struct{}{}, gen),
		sockjs.NewHandler("/auth_echo", greetAndEcho, struct{}{}, auth),
		sockjs.NewHandler("/polling_only_echo", echo, struct{}{}, polling),
	}
	publishStats(s.services)
	return s, nil
}

// publishStats exports the Stats of every service with expvar, under the map
// "sockjs" keyed by prefix, read at every request to /debug/vars.
func publishStats(services []*sockjs.Handler) {
	m, ok := expvar.Get("sockjs").(*expvar.Map)
	if !ok {
		m = expvar.NewMap("sockjs")
	}
	for _, h := range services {
		m.Set(h.Prefix(), expvar.Func(func() any { return h.Stats() }))
	}
}

// echo sends every message back.
func echo(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
	if ev.Type == sockjs.EventRecv {
		c.Send(ev.Data)
	}
	return st
}

// sendAll sends msgs as a session opens, then echoes.
func sendAll(msgs []string) func(*sockjs.Conn, sockjs.Event, struct{}) struct{} {
	return func(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
		if ev.Type == sockjs.EventInit {
			for _, m := range msgs {
				c.Send(m)
			}
		}
		return echo(c, ev, st)
	}
}

// tokenAuth lets a request open a session when its query string carries
// token=good, as the user "alice".
func tokenAuth(r *http.Request) (any, error) {
	switch tok := r.URL.Query().Get("token"); tok {
	case "good":
		return "alice", nil
	case "":
		return nil, sockjs.ErrUnauthorized
	default:
		return nil, fmt.Errorf("unknown token %q", tok)
	}
}

// greetAndEcho greets the authenticated user, then echoes.
func greetAndEcho(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
	if ev.Type == sockjs.EventInit {
		c.Send(fmt.Sprintf("hello %v", c.Identity()))
	}
	return echo(c, ev, st)
}

// closer closes every session as soon as it opens.
func closer(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
	if ev.Type == sockjs.EventInit {
		c.Close(3000, "Go away!")
	}
	return st
}

// amplify answers "N" with 2^N 'x' characters, N from 1 to 18.
func amplify(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
	if ev.Type == sockjs.EventRecv {
		n, err := strconv.Atoi(strings.TrimSpace(ev.Data))
		if err != nil || n < 1 || n > 18 {
			n = 1
		}
		c.Send(strings.Repeat("x", 1<<n))
	}
	return st
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, h := range s.services {
		p := h.Prefix()
		if r.URL.Path == p || strings.HasPrefix(r.URL.Path, p+"/") {
			h.ServeHTTP(w, r)
			return
		}
	}
	if r.URL.Path == "/debug/vars" {
		expvar.Handler().ServeHTTP(w, r)
		return
	}
	if r.URL.Path == "/" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		s.page.Execute(w, s.data)
		return
	}
	http.NotFound(w, r)
}

// shutdown closes every session of every service.
func (s *server) shutdown(ctx context.Context) error {
	var errs []error
	for _, h := range s.services {
		errs = append(errs, h.Shutdown(ctx))
	}
	return errors.Join(errs...)
}
