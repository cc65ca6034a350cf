package sockjs_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/gosockjs/sockjs"
)

// An echo service: every message comes back to its sender.
func ExampleNewHandler() {
	echo := func(c *sockjs.Conn, ev sockjs.Event, state struct{}) struct{} {
		if ev.Type == sockjs.EventRecv {
			c.Send(ev.Data)
		}
		return state
	}
	h := sockjs.NewHandler("/echo", echo, struct{}{}, sockjs.Options{})

	mux := http.NewServeMux()
	mux.Handle("/echo", h)
	mux.Handle("/echo/", h)
	// log.Fatal(http.ListenAndServe(":8081", mux))
	fmt.Println(h.Prefix())
	// Output: /echo
}

// The state returned by the callback is handed to its next call for the same
// session: here, a per-session message counter.
func ExampleCallback() {
	counter := func(c *sockjs.Conn, ev sockjs.Event, n int) int {
		switch ev.Type {
		case sockjs.EventInit:
			c.Send("welcome")
		case sockjs.EventRecv:
			n++
			c.Send(fmt.Sprintf("message %d: %s", n, ev.Data))
		case sockjs.EventClosed:
			log.Printf("session %s sent %d messages", c.ID(), n)
		}
		return n
	}
	_ = sockjs.NewHandler("/count", counter, 0, sockjs.Options{})
}

// Conn.Post runs code in a session's callback from any goroutine, in order
// with the session's other events, like a message sent to a sockjs-erlang
// session process.
func ExampleConn_Post() {
	type tick struct{ at time.Time }
	clock := func(c *sockjs.Conn, ev sockjs.Event, stop func()) func() {
		switch ev.Type {
		case sockjs.EventInit:
			t := time.NewTicker(time.Second)
			done := make(chan struct{})
			go func() {
				defer t.Stop()
				for {
					select {
					case now := <-t.C:
						if c.Post(tick{now}) != nil {
							return
						}
					case <-done:
						return
					}
				}
			}()
			return func() { close(done) }
		case sockjs.EventInfo:
			if t, ok := ev.Info.(tick); ok {
				c.Send(t.at.Format(time.TimeOnly))
			}
		case sockjs.EventClosed:
			if stop != nil {
				stop()
			}
		}
		return stop
	}
	_ = sockjs.NewHandler("/clock", clock, nil, sockjs.Options{})
}

// A chat room: Broadcast encodes a message once for every session.
func ExampleHandler_Broadcast() {
	var room *sockjs.Handler
	room = sockjs.NewHandler("/chat", func(c *sockjs.Conn, ev sockjs.Event, name string) string {
		switch ev.Type {
		case sockjs.EventInit:
			name = "guest-" + c.ID()[:4]
		case sockjs.EventRecv:
			room.Broadcast(name + ": " + strings.TrimSpace(ev.Data))
		}
		return name
	}, "", sockjs.Options{})
	_ = room
}

// Shutdown closes every session with a close frame before the HTTP server
// stops, which http.Server.Shutdown alone does not do for streaming
// responses and websockets.
func ExampleHandler_Shutdown() {
	h := sockjs.NewHandler("/echo", func(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} { return s }, struct{}{}, sockjs.Options{})
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: h}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		log.Print(err)
	}
	srv.Shutdown(ctx)
	fmt.Println("stopped")
	// Output: stopped
}

// Broadcast sends one message to a group of connections, such as the members
// of a chat room, encoding it once.
func ExampleBroadcast() {
	var members []*sockjs.Conn // gathered from EventInit and EventClosed
	n := sockjs.Broadcast(members, "the room is closing")
	fmt.Println(n, "members notified")
	// Output: 0 members notified
}

// AllowOrigins restricts every transport to pages of the listed origins.
func ExampleAllowOrigins() {
	opts := sockjs.Options{
		CheckOrigin: sockjs.AllowOrigins("https://app.example.com", "https://*.example.org"),
	}
	req, _ := http.NewRequest(http.MethodGet, "/echo/info", nil)
	for _, origin := range []string{"https://app.example.com", "https://www.example.org", "https://evil.example"} {
		req.Header.Set("Origin", origin)
		fmt.Println(origin, opts.CheckOrigin(req))
	}
	// Output:
	// https://app.example.com true
	// https://www.example.org true
	// https://evil.example false
}

// Stats snapshots a handler's counters, for expvar, Prometheus or logs.
func ExampleHandler_Stats() {
	h := sockjs.NewHandler("/echo", func(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} { return s }, struct{}{}, sockjs.Options{})
	st := h.Stats()
	fmt.Println(st.Sessions, st.SessionsOpened, st.MessagesIn)
	// Output: 0 0 0
}
